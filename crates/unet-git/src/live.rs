//! The folders of one source under the sync root:
//!
//! ```text
//! <root>/<name>/mirror.git/              bare repository the fetches go into
//! <root>/<name>/checkouts/<id>/          a checked-out revision, never modified once named
//! <root>/<name>/checkouts/<id>.revision  its commit and folder ("<hex>\n<path>\n")
//! <root>/<name>/checkouts/.staging-<id>/ a revision being written and validated
//! <root>/<name>/live -> checkouts/<id>   the live revision, swapped by one rename
//! <root>/<name>/ssh/known_hosts          the pinned host key of an ssh URL (`host_key`)
//! <root>/<name>/ssh/client.log           what OpenSSH said during the last sync (see ssh.rs)
//! ```
//!
//! A reader that resolved `live` keeps a complete tree: the previous revision is removed only
//! when the one after it goes live.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;

use crate::error::{GitError, Result};

const LIVE: &str = "live";
const CHECKOUTS: &str = "checkouts";
const STAGING_PREFIX: &str = ".staging-";
const REVISION_SUFFIX: &str = ".revision";

/// The live revision of a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Live {
    pub commit: String,
    /// The folder of the repository that was checked out.
    pub path: PathBuf,
    /// When it went live.
    pub since: OffsetDateTime,
    /// The checked-out files (a path that stays valid while this revision is live).
    pub dir: PathBuf,
}

pub(crate) fn mirror_dir(source_dir: &Path) -> PathBuf {
    source_dir.join("mirror.git")
}

/// Whether `dir` is the folder of a synced source (it holds a mirror).
pub fn is_repository_folder(dir: &Path) -> bool {
    mirror_dir(dir).is_dir()
}

/// The live revision under `source_dir` (`<root>/<name>`), if one went live.
pub fn live(source_dir: &Path) -> Option<Live> {
    let link = source_dir.join(LIVE);
    let meta = std::fs::symlink_metadata(&link).ok()?;
    let target = std::fs::read_link(&link).ok()?;
    let id = target.file_name()?.to_str()?.to_string();
    let checkouts = source_dir.join(CHECKOUTS);
    let revision =
        std::fs::read_to_string(checkouts.join(format!("{id}{REVISION_SUFFIX}"))).ok()?;
    let mut lines = revision.lines();
    let commit = lines.next()?.to_string();
    let path = PathBuf::from(lines.next().unwrap_or("."));
    let dir = checkouts.join(&id);
    dir.is_dir().then(|| Live {
        commit,
        path,
        since: meta
            .modified()
            .map_or(OffsetDateTime::UNIX_EPOCH, OffsetDateTime::from),
        dir,
    })
}

/// A fresh, empty staging folder for `commit`.
pub(crate) fn staging(source_dir: &Path, commit: &str) -> Result<(String, PathBuf)> {
    let checkouts = source_dir.join(CHECKOUTS);
    std::fs::create_dir_all(&checkouts).map_err(|e| GitError::io(&checkouts, e))?;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let id = format!("{commit}-{nanos}");
    let dir = checkouts.join(format!("{STAGING_PREFIX}{id}"));
    std::fs::create_dir(&dir).map_err(|e| GitError::io(&dir, e))?;
    Ok((id, dir))
}

/// Names the validated staging folder `id`, points `live` at it with one rename, and removes
/// every other revision but the one that was live until now.
pub(crate) fn promote(
    source_dir: &Path,
    staging: &Path,
    id: &str,
    commit: &str,
    path: &Path,
) -> Result<Live> {
    let checkouts = source_dir.join(CHECKOUTS);
    let previous = std::fs::read_link(source_dir.join(LIVE))
        .ok()
        .and_then(|t| t.file_name().map(|n| n.to_os_string()));
    let revision = checkouts.join(format!("{id}{REVISION_SUFFIX}"));
    std::fs::write(&revision, format!("{commit}\n{}\n", path.display()))
        .map_err(|e| GitError::io(&revision, e))?;
    let named = checkouts.join(id);
    std::fs::rename(staging, &named).map_err(|e| GitError::io(&named, e))?;
    let next_link = source_dir.join(format!(".{LIVE}-{id}"));
    std::os::unix::fs::symlink(Path::new(CHECKOUTS).join(id), &next_link)
        .map_err(|e| GitError::io(&next_link, e))?;
    let link = source_dir.join(LIVE);
    std::fs::rename(&next_link, &link).map_err(|e| GitError::io(&link, e))?;
    prune(&checkouts, id, previous.as_deref().and_then(|p| p.to_str()));
    live(source_dir).ok_or_else(|| {
        GitError::io(
            &link,
            std::io::Error::other("the live link does not resolve after the swap"),
        )
    })
}

/// Removes a staging folder that did not go live.
pub(crate) fn discard(staging: &Path) {
    // Best effort: a leftover is hidden and removed by the next prune.
    let _ = std::fs::remove_dir_all(staging);
}

/// Removes every revision but `keep` and `previous` (and leftovers of interrupted syncs).
fn prune(checkouts: &Path, keep: &str, previous: Option<&str>) {
    let Ok(entries) = std::fs::read_dir(checkouts) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let id = name.strip_suffix(REVISION_SUFFIX).unwrap_or(name);
        if id == keep || Some(id) == previous {
            continue;
        }
        let path = entry.path();
        // Best effort: what cannot be removed now is tried again after the next sync.
        let _ = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
    }
}
