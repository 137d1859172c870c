//! Snapshots under `<data.dir>/snapshots/<name>/`: a consistent online copy of the database
//! (SQLite `VACUUM INTO`, PostgreSQL `pg_dump`), and for `full` the configuration file and the
//! git checkouts in `<data.dir>/git`, described by `snapshot.json` with a SHA-256 per file.
//!
//! A snapshot is assembled in a hidden `.partial-…` folder and renamed into place, so a listed
//! snapshot is always complete. Names come from HTTP callers: they are reduced to
//! `[A-Za-z0-9._-]` and the result is checked to be a direct child of the snapshot folder.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use unet_core::Timestamp;
use unet_settings::SnapshotsSection;
use unet_store::{Backend, Store};
use utoipa::ToSchema;

use crate::OpsError;
use crate::backup::{copy_database, sha256_file};
use crate::stamp;

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
pub fn sanitize_name(raw: &str) -> Result<String, OpsError> {
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
        return Err(OpsError::InvalidSnapshotName(format!(
            "snapshot name {raw:?} has no usable characters (letters, digits, . _ -)"
        )));
    }
    Ok(name)
}

/// `dir/name`, refusing anything that would not be a direct child of `dir`.
fn child_of(dir: &Path, name: &str) -> Result<PathBuf, OpsError> {
    let path = dir.join(name);
    let direct = path.parent() == Some(dir)
        && path.file_name().and_then(|n| n.to_str()) == Some(name)
        && !name.contains('/');
    if direct {
        Ok(path)
    } else {
        Err(OpsError::InvalidSnapshotName(format!(
            "snapshot name {name:?} does not stay inside the snapshot folder"
        )))
    }
}

/// What a snapshot copies and where it goes, from the configuration in force.
#[derive(Debug, Clone)]
pub struct SnapshotSource {
    /// Kept whole for `pg_dump`; never shown.
    pub database_url: String,
    /// Snapshots go to `<data_dir>/snapshots/`.
    pub data_dir: PathBuf,
    /// Copied into a full snapshot as `config.toml`.
    pub config_file: Option<PathBuf>,
    /// Folders copied into a full snapshot as `git/<name>/`.
    pub git_folders: Vec<(String, PathBuf)>,
    pub retention: SnapshotsSection,
}

impl SnapshotSource {
    pub fn snapshots_dir(&self) -> PathBuf {
        self.data_dir.join("snapshots")
    }
}

/// The snapshots one server takes: one at a time (two writers of the same name would race on
/// the rename), and when the last one was written.
#[derive(Debug, Default)]
pub struct Snapshots {
    one_at_a_time: tokio::sync::Mutex<()>,
    last: Mutex<Option<Timestamp>>,
}

impl Snapshots {
    pub fn last(&self) -> Option<Timestamp> {
        *self.last.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes a snapshot named after `raw_name`; a name already taken gets the time appended.
    pub async fn create(
        &self,
        store: &Store,
        source: SnapshotSource,
        raw_name: &str,
        kind: SnapshotKind,
    ) -> Result<Snapshot, OpsError> {
        let name = sanitize_name(raw_name)?;
        let dir = source.snapshots_dir();
        let _one_at_a_time = self.one_at_a_time.lock().await;
        let created_at = Timestamp::now();
        let (partial, target, final_name) = {
            let dir = dir.clone();
            crate::blocking(move || prepare(&dir, &name, created_at)).await?
        };
        let db_name = database_file_name(store.backend());
        let copied = copy_database(store, &source.database_url, &partial.join(db_name)).await;
        let source = Arc::new(source);
        let result = match copied {
            Ok(()) => {
                let (source, partial) = (source.clone(), partial.clone());
                crate::blocking(move || {
                    let files = fill(&source, &partial, db_name, kind)?;
                    let snapshot = describe(final_name, kind, &target, created_at, files);
                    write_manifest(&partial, &snapshot)?;
                    std::fs::rename(&partial, &target).map_err(|e| {
                        OpsError::io(format!("renaming into {}", target.display()), e)
                    })?;
                    Ok(snapshot)
                })
                .await
            }
            Err(e) => Err(e),
        };
        if result.is_err() {
            // Best effort: the partial folder is hidden from listings either way.
            let _ = tokio::fs::remove_dir_all(&partial).await;
        }
        let snapshot = result?;
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) = Some(created_at);
        tracing::info!(
            target: "unet::snapshot",
            event = "snapshot_created",
            name = %snapshot.name,
            size_bytes = snapshot.size_bytes,
            sha256 = %snapshot.sha256,
            "snapshot written to {}",
            snapshot.path
        );
        let spare = snapshot.name.clone();
        let removed = crate::blocking(move || {
            Ok(apply_retention(&dir, source.retention, created_at, &spare))
        })
        .await?;
        for removed in removed {
            tracing::info!(target: "unet::snapshot", event = "snapshot_removed", name = %removed, "snapshot removed by retention");
        }
        Ok(snapshot)
    }
}

/// Creates the snapshot folder and a hidden partial folder in it; returns the partial folder,
/// the final one and its name (`name`, or `name-STAMP` when `name` is taken).
fn prepare(
    dir: &Path,
    name: &str,
    created_at: Timestamp,
) -> Result<(PathBuf, PathBuf, String), OpsError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| OpsError::io(format!("creating {}", dir.display()), e))?;
    let mut target = child_of(dir, name)?;
    let mut final_name = name.to_string();
    if target.exists() {
        final_name = format!("{name}-{}", stamp(created_at));
        target = child_of(dir, &final_name)?;
        if target.exists() {
            return Err(OpsError::SnapshotExists(format!(
                "a snapshot named {final_name:?} already exists"
            )));
        }
    }
    let partial = child_of(dir, &format!(".partial-{}", uuid::Uuid::new_v4()))?;
    std::fs::create_dir(&partial)
        .map_err(|e| OpsError::io(format!("creating {}", partial.display()), e))?;
    Ok((partial, target, final_name))
}

fn database_file_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "unet.db",
        Backend::Postgres => "unet.dump",
    }
}

/// Describes the database copy and, for a full snapshot, copies the configuration file and
/// the git folders beside it.
fn fill(
    source: &SnapshotSource,
    folder: &Path,
    db_name: &str,
    kind: SnapshotKind,
) -> Result<Vec<SnapshotFile>, OpsError> {
    let mut files = vec![file_entry(folder, db_name)?];
    if kind == SnapshotKind::Full {
        if let Some(config) = &source.config_file {
            let copied = folder.join("config.toml");
            std::fs::copy(config, &copied)
                .map_err(|e| OpsError::io(format!("copying {}", config.display()), e))?;
            files.push(file_entry(folder, "config.toml")?);
        }
        for (name, dir) in &source.git_folders {
            copy_tree(dir, &folder.join("git").join(name), folder, &mut files)?;
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
) -> Result<(), OpsError> {
    std::fs::create_dir_all(to)
        .map_err(|e| OpsError::io(format!("creating {}", to.display()), e))?;
    let entries = std::fs::read_dir(from)
        .map_err(|e| OpsError::io(format!("reading {}", from.display()), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| OpsError::io(format!("reading {}", from.display()), e))?;
        let kind = entry
            .file_type()
            .map_err(|e| OpsError::io(format!("reading {}", entry.path().display()), e))?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &target, root, files)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target)
                .map_err(|e| OpsError::io(format!("copying {}", entry.path().display()), e))?;
            let relative = target
                .strip_prefix(root)
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_else(|_| target.display().to_string());
            files.push(file_entry(root, &relative)?);
        }
    }
    Ok(())
}

fn file_entry(root: &Path, relative: &str) -> Result<SnapshotFile, OpsError> {
    let (size_bytes, sha256) = sha256_file(&root.join(relative))?;
    Ok(SnapshotFile {
        path: relative.to_string(),
        size_bytes,
        sha256,
    })
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

fn write_manifest(folder: &Path, snapshot: &Snapshot) -> Result<(), OpsError> {
    let path = folder.join(MANIFEST);
    let text = serde_json::to_vec_pretty(snapshot)
        .map_err(|e| OpsError::Failed(format!("cannot describe the snapshot: {e}")))?;
    std::fs::write(&path, text).map_err(|e| OpsError::io(format!("writing {}", path.display()), e))
}

/// Every complete snapshot in `dir`, newest first. Folders without a readable manifest (not
/// ours, or damaged) are skipped with a warning.
pub async fn list(dir: PathBuf) -> Result<Vec<Snapshot>, OpsError> {
    crate::blocking(move || read_all(&dir)).await
}

fn read_all(dir: &Path) -> Result<Vec<Snapshot>, OpsError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(OpsError::io(format!("reading {}", dir.display()), e)),
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
fn apply_retention(
    dir: &Path,
    rules: SnapshotsSection,
    now: Timestamp,
    spare: &str,
) -> Vec<String> {
    let snapshots = match read_all(dir) {
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
