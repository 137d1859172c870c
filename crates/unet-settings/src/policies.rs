//! `[policies]`: where the rule files are and when the server evaluates the fleet with them.

use std::path::PathBuf;
use std::time::Duration;

use super::reader::Reader;

/// `[policies]`: the policies directory (reloaded before every evaluation), the interval of
/// background evaluations (`"0s"` switches them off) and whether inventory changes trigger one
/// after `debounce` of quiet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoliciesSection {
    pub dir: PathBuf,
    pub interval: Duration,
    pub evaluate_on_change: bool,
    pub debounce: Duration,
}

impl Default for PoliciesSection {
    fn default() -> Self {
        PoliciesSection {
            dir: PathBuf::from("./policies"),
            interval: Duration::from_secs(15 * 60),
            evaluate_on_change: true,
            debounce: Duration::from_secs(2),
        }
    }
}

pub(super) fn policies_section(r: &mut Reader) -> PoliciesSection {
    let default = PoliciesSection::default();
    PoliciesSection {
        dir: r.path("policies.dir", "./policies"),
        interval: r.duration(
            "policies.interval",
            default.interval,
            Duration::ZERO,
            Duration::from_secs(7 * 24 * 3600),
        ),
        evaluate_on_change: r.bool("policies.evaluate_on_change", default.evaluate_on_change),
        debounce: r.duration(
            "policies.debounce",
            default.debounce,
            Duration::ZERO,
            Duration::from_secs(3600),
        ),
    }
}

/// `--validate`: the policies directory (or single rule file) exists and can be read. The
/// default `./policies` may be absent (a quick start without rules); a configured one may not.
pub(super) fn readable_policies(section: &PoliciesSection) -> Result<(), String> {
    let path = section.dir.as_path();
    if !path.exists() && section.dir == PoliciesSection::default().dir {
        return Ok(());
    }
    let unreadable = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    if meta.is_dir() {
        std::fs::read_dir(path).map(drop).map_err(unreadable)
    } else {
        std::fs::File::open(path).map(drop).map_err(unreadable)
    }
}
