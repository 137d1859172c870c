//! Figures about this process and its disk, read from `/proc/self` and `statvfs(2)`, for the
//! `system` part of the metrics snapshot. On a system without `/proc` a figure is absent
//! rather than invented.

use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct HostFigures {
    /// CPU used by the process since the previous snapshot (or since start), percent of one core.
    pub cpu_percent: Option<f64>,
    pub memory_rss_bytes: Option<u64>,
    pub threads: Option<u64>,
    pub open_fds: Option<u64>,
    /// Of the file system holding `data.dir`.
    pub disk_total_bytes: Option<u64>,
    pub disk_free_bytes: Option<u64>,
    pub disk_used_percent: Option<f64>,
}

/// The previous CPU sample: when, and the process's CPU seconds then.
static LAST_CPU: Mutex<Option<(Instant, f64)>> = Mutex::new(None);

pub fn figures(data_dir: &Path, uptime_seconds: f64) -> HostFigures {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
    };
    let open_fds = std::fs::read_dir("/proc/self/fd")
        .ok()
        .map(|d| d.count() as u64);
    let disk = disk_space(data_dir);
    HostFigures {
        cpu_percent: cpu_percent(uptime_seconds),
        memory_rss_bytes: field("VmRSS:").map(|kb| kb * 1024),
        threads: field("Threads:"),
        open_fds,
        disk_total_bytes: disk.map(|(total, _)| total),
        disk_free_bytes: disk.map(|(_, free)| free),
        disk_used_percent: disk.and_then(|(total, free)| {
            (total > 0).then(|| round2((total - free) as f64 / total as f64 * 100.0))
        }),
    }
}

/// User plus system CPU seconds of this process (`/proc/self/stat` fields 14 and 15).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may contain spaces; the fields after it follow its ')'.
    let after = stat.rsplit_once(')')?.1;
    let mut fields = after.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    // SAFETY: sysconf has no preconditions; it only reads a system constant.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    (ticks > 0).then(|| (utime + stime) as f64 / ticks as f64)
}

fn cpu_percent(uptime_seconds: f64) -> Option<f64> {
    let now = Instant::now();
    let cpu = cpu_seconds()?;
    let mut last = LAST_CPU.lock().unwrap_or_else(PoisonError::into_inner);
    let (elapsed, used) = match *last {
        Some((at, before)) if now.duration_since(at).as_secs_f64() > 0.0 => {
            (now.duration_since(at).as_secs_f64(), cpu - before)
        }
        _ => (uptime_seconds, cpu),
    };
    *last = Some((now, cpu));
    (elapsed > 0.0).then(|| round2(used.max(0.0) / elapsed * 100.0))
}

/// Total and available bytes of the file system holding `path` (its nearest existing ancestor).
fn disk_space(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::ffi::OsStrExt;
    let existing = path.ancestors().find(|p| p.exists())?;
    let existing = if existing.as_os_str().is_empty() {
        Path::new(".")
    } else {
        existing
    };
    let c_path = std::ffi::CString::new(existing.as_os_str().as_bytes()).ok()?;
    let mut stats = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: c_path is a valid NUL-terminated string and stats points to writable memory of
    // the right type; statvfs initialises it when it returns 0.
    let rc = unsafe { libc::statvfs(c_path.as_ptr(), stats.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: rc == 0, so statvfs filled the structure.
    let stats = unsafe { stats.assume_init() };
    // The field types are u32 on some 32-bit targets, u64 here.
    #[allow(clippy::useless_conversion)]
    let (block, blocks, available) = (
        u64::from(stats.f_frsize),
        u64::from(stats.f_blocks),
        u64::from(stats.f_bavail),
    );
    Some((blocks * block, available * block))
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_of_this_process_are_plausible() {
        let f = figures(Path::new("/tmp/does/not/exist"), 1.0);
        assert!(f.memory_rss_bytes.unwrap() > 1024 * 1024);
        assert!(f.open_fds.unwrap() >= 3);
        assert!(f.threads.unwrap() >= 1);
        let total = f.disk_total_bytes.unwrap();
        assert!(total > 0 && f.disk_free_bytes.unwrap() <= total);
        assert!((0.0..=100.0).contains(&f.disk_used_percent.unwrap()));
        assert!(f.cpu_percent.unwrap() >= 0.0);
    }
}
