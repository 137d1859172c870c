//! Snapshots under `<data.dir>/snapshots/<name>/`: a consistent online copy of the database
//! (SQLite `VACUUM INTO`, PostgreSQL `pg_dump`), and for `full` the configuration file and the
//! git checkouts in `<data.dir>/git`, described by `snapshot.json` with a SHA-256 per file.
//!
//! A snapshot is assembled in a hidden `.partial-…` folder and renamed into place, so a listed
//! snapshot is always complete. Names come from HTTP callers: they are reduced to
//! `[A-Za-z0-9._-]` and the result is checked to be a direct child of the snapshot folder.

use std::io::Read;
use std::path::{Path, PathBuf};

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use unet_core::Timestamp;
use unet_store::{Backend, Store};
use utoipa::ToSchema;

use crate::backup::copy_database;
use crate::error::Error;
use crate::migrate::snapshot_stamp;
use crate::operations::{Operations, OpsSettings};

const MANIFEST: &str = "snapshot.json";
const MAX_NAME_CHARS: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SnapshotKind {
    /// The database only.
    Database,
    /// The database, the configuration file and the git checkouts.
    Full,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SnapshotFile {
    /// Path inside the snapshot folder.
    pub path: String,
    pub size_bytes: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Snapshot {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: SnapshotKind,
    /// The snapshot folder.
    pub path: String,
    /// All files together.
    pub size_bytes: u64,
    /// SHA-256 of the database copy.
    pub sha256: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    pub files: Vec<SnapshotFile>,
}

/// Reduces `raw` to a safe folder name: every run of characters outside `[A-Za-z0-9._-]`
/// becomes one `-`, leading dots and dashes go (no hidden or option-like names), at most
/// 100 characters. Refuses a name with nothing left.
pub fn sanitize_name(raw: &str) -> Result<String, Error> {
    let mut name = String::new();
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
            name.push(c);
        } else if !name.ends_with('-') {
            name.push('-');
        }
    }
    let name: String = name
        .trim_start_matches(['.', '-'])
        .trim_end_matches('-')
        .chars()
        .take(MAX_NAME_CHARS)
        .collect();
    if name.is_empty() || name.chars().all(|c| c == '.') {
        return Err(Error::request(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_snapshot_name",
            format!("snapshot name {raw:?} has no usable characters (letters, digits, . _ -)"),
        ));
    }
    Ok(name)
}

/// `dir/name`, refusing anything that would not be a direct child of `dir`.
fn child_of(dir: &Path, name: &str) -> Result<PathBuf, Error> {
    let path = dir.join(name);
    let direct = path.parent() == Some(dir)
        && path.file_name().and_then(|n| n.to_str()) == Some(name)
        && !name.contains('/');
    if direct {
        Ok(path)
    } else {
        Err(Error::request(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_snapshot_name",
            format!("snapshot name {name:?} does not stay inside the snapshot folder"),
        ))
    }
}

/// Writes a snapshot named after `raw_name`; a name already taken gets the time appended.
pub async fn create(
    store: &Store,
    ops: &Operations,
    raw_name: &str,
    kind: SnapshotKind,
) -> Result<Snapshot, Error> {
    let name = sanitize_name(raw_name)?;
    let settings = ops.settings();
    let dir = settings.snapshots_dir();
    let _one_at_a_time = ops.snapshot_lock.lock().await;
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    let created_at = Timestamp::now();
    let mut target = child_of(&dir, &name)?;
    let mut final_name = name.clone();
    if target.exists() {
        final_name = format!("{name}-{}", snapshot_stamp(created_at));
        target = child_of(&dir, &final_name)?;
        if target.exists() {
            return Err(Error::request(
                StatusCode::CONFLICT,
                "snapshot_exists",
                format!("a snapshot named {final_name:?} already exists"),
            ));
        }
    }
    let partial = child_of(&dir, &format!(".partial-{}", uuid::Uuid::new_v4()))?;
    std::fs::create_dir(&partial)
        .map_err(|e| Error::io(format!("creating {}", partial.display()), e))?;
    let result = fill(store, &settings, &partial, kind)
        .await
        .and_then(|files| {
            let snapshot = describe(final_name, kind, &target, created_at, files);
            write_manifest(&partial, &snapshot)?;
            std::fs::rename(&partial, &target)
                .map_err(|e| Error::io(format!("renaming into {}", target.display()), e))?;
            Ok(snapshot)
        });
    if result.is_err() {
        // Best effort: the partial folder is hidden from listings either way.
        let _ = std::fs::remove_dir_all(&partial);
    }
    let snapshot = result?;
    ops.snapshot_done(created_at);
    tracing::info!(
        target: "unet::snapshot",
        event = "snapshot_created",
        name = %snapshot.name,
        size_bytes = snapshot.size_bytes,
        sha256 = %snapshot.sha256,
        "snapshot written to {}",
        snapshot.path
    );
    for removed in apply_retention(&dir, &settings, created_at, &snapshot.name) {
        tracing::info!(target: "unet::snapshot", event = "snapshot_removed", name = %removed, "snapshot removed by retention");
    }
    Ok(snapshot)
}

fn database_file_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "unet.db",
        Backend::Postgres => "unet.dump",
    }
}

async fn fill(
    store: &Store,
    settings: &OpsSettings,
    folder: &Path,
    kind: SnapshotKind,
) -> Result<Vec<SnapshotFile>, Error> {
    let db_name = database_file_name(store.backend());
    copy_database(store, &settings.database_url, &folder.join(db_name)).await?;
    let mut files = vec![file_entry(folder, db_name)?];
    if kind == SnapshotKind::Full {
        if let Some(config) = &settings.config_file {
            let copied = folder.join("config.toml");
            std::fs::copy(config, &copied)
                .map_err(|e| Error::io(format!("copying {}", config.display()), e))?;
            files.push(file_entry(folder, "config.toml")?);
        }
        for (name, dir) in crate::git_sync::snapshot_folders(&settings.data_dir) {
            copy_tree(&dir, &folder.join("git").join(name), folder, &mut files)?;
        }
    }
    Ok(files)
}

/// Copies regular files and folders; symbolic links are not followed (a checkout has none
/// that matter, and following one could leave the data folder).
fn copy_tree(
    from: &Path,
    to: &Path,
    root: &Path,
    files: &mut Vec<SnapshotFile>,
) -> Result<(), Error> {
    std::fs::create_dir_all(to).map_err(|e| Error::io(format!("creating {}", to.display()), e))?;
    let entries =
        std::fs::read_dir(from).map_err(|e| Error::io(format!("reading {}", from.display()), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(format!("reading {}", from.display()), e))?;
        let kind = entry
            .file_type()
            .map_err(|e| Error::io(format!("reading {}", entry.path().display()), e))?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &target, root, files)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target)
                .map_err(|e| Error::io(format!("copying {}", entry.path().display()), e))?;
            let relative = target
                .strip_prefix(root)
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_else(|_| target.display().to_string());
            files.push(file_entry(root, &relative)?);
        }
    }
    Ok(())
}

fn file_entry(root: &Path, relative: &str) -> Result<SnapshotFile, Error> {
    let (size_bytes, sha256) = sha256_file(&root.join(relative))?;
    Ok(SnapshotFile {
        path: relative.to_string(),
        size_bytes,
        sha256,
    })
}

/// Size and SHA-256 (hex) of a file, streamed.
pub fn sha256_file(path: &Path) -> Result<(u64, String), Error> {
    let context = || format!("reading {}", path.display());
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(context(), e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(|e| Error::io(context(), e))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((size, hex::encode(hasher.finalize())))
}

fn describe(
    name: String,
    kind: SnapshotKind,
    target: &Path,
    created_at: Timestamp,
    files: Vec<SnapshotFile>,
) -> Snapshot {
    Snapshot {
        name,
        kind,
        path: target.display().to_string(),
        size_bytes: files.iter().map(|f| f.size_bytes).sum(),
        sha256: files.first().map(|f| f.sha256.clone()).unwrap_or_default(),
        created_at,
        files,
    }
}

fn write_manifest(folder: &Path, snapshot: &Snapshot) -> Result<(), Error> {
    let path = folder.join(MANIFEST);
    let text = serde_json::to_vec_pretty(snapshot)
        .map_err(|e| Error::Startup(format!("cannot describe the snapshot: {e}")))?;
    std::fs::write(&path, text).map_err(|e| Error::io(format!("writing {}", path.display()), e))
}

/// Every complete snapshot in `dir`, newest first. Folders without a readable manifest (not
/// ours, or damaged) are skipped with a warning.
pub fn list(dir: &Path) -> Result<Vec<Snapshot>, Error> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(format!("reading {}", dir.display()), e)),
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || !entry.path().is_dir() {
            continue;
        }
        let manifest = entry.path().join(MANIFEST);
        let parsed = std::fs::read(&manifest)
            .map_err(|e| e.to_string())
            .and_then(|bytes| {
                serde_json::from_slice::<Snapshot>(&bytes).map_err(|e| e.to_string())
            });
        match parsed {
            Ok(mut snapshot) => {
                snapshot.path = entry.path().display().to_string();
                out.push(snapshot);
            }
            Err(e) => tracing::warn!(
                target: "unet::snapshot",
                "skipping {}: no readable {MANIFEST}: {e}",
                entry.path().display()
            ),
        }
    }
    out.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.name.cmp(&b.name)));
    Ok(out)
}

/// Removes snapshots beyond `[snapshots] keep` and older than `max_age_days`, never `spare`
/// (the one just written). Returns the names removed.
fn apply_retention(dir: &Path, settings: &OpsSettings, now: Timestamp, spare: &str) -> Vec<String> {
    let rules = settings.snapshots;
    let snapshots = match list(dir) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(target: "unet::snapshot", "ERROR snapshot_retention cannot list {}: {e}", dir.display());
            return Vec::new();
        }
    };
    let max_age_seconds = i64::from(rules.max_age_days) * 86_400;
    let mut removed = Vec::new();
    for (index, s) in snapshots.iter().enumerate() {
        let too_many = rules.keep > 0 && index >= rules.keep as usize;
        let too_old = rules.max_age_days > 0
            && now.unix_seconds() - s.created_at.unix_seconds() > max_age_seconds;
        if s.name == spare || !(too_many || too_old) {
            continue;
        }
        let Ok(path) = child_of(dir, &s.name) else {
            continue;
        };
        match std::fs::remove_dir_all(&path) {
            Ok(()) => removed.push(s.name.clone()),
            Err(e) => {
                tracing::error!(target: "unet::snapshot", "ERROR snapshot_retention cannot remove {}: {e}", path.display())
            }
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_reduced_to_safe_characters() {
        assert_eq!(
            sanitize_name("pre-maintenance-$(date +%Y%m%d)").unwrap(),
            "pre-maintenance-date-Y-m-d"
        );
        assert_eq!(sanitize_name("../../etc/passwd").unwrap(), "etc-passwd");
        assert_eq!(sanitize_name("a;rm -rf /`x`").unwrap(), "a-rm--rf-x");
        assert_eq!(sanitize_name("weekly_2026.11").unwrap(), "weekly_2026.11");
        for bad in ["", "..", "/", "$()", "..."] {
            assert!(sanitize_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(sanitize_name(&"x".repeat(500)).unwrap().len(), 100);
    }

    #[test]
    fn only_direct_children_are_accepted() {
        let dir = Path::new("/srv/unet/snapshots");
        assert!(child_of(dir, "ok").is_ok());
        assert!(child_of(dir, "a/b").is_err());
        assert!(child_of(dir, "..").is_err());
    }
}
