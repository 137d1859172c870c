//! One sync of one source: fetch, resolve, check out into staging, validate, promote.

use std::path::Path;

use crate::checkout::{Limits, Writer};
use crate::error::{GitError, Result};
use crate::fetch::{fetch_wanted, open_mirror};
use crate::live::{self, Live, discard, live, mirror_dir, promote};
use crate::source::{Source, normalized};

/// Judges a checked-out revision before it goes live: `Err` carries one message per problem
/// (file:line: message), relative to the folder it is given.
pub type Validator<'a> = &'a (dyn Fn(&Path) -> std::result::Result<(), Vec<String>> + Sync);

/// What a successful sync did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new revision went live.
    Updated {
        live: Live,
        /// The commit that was live before, if any.
        previous: Option<String>,
    },
    /// The wanted revision is already live.
    Unchanged(Live),
}

impl Outcome {
    pub fn live(&self) -> &Live {
        match self {
            Outcome::Updated { live, .. } | Outcome::Unchanged(live) => live,
        }
    }
}

/// Brings `source` up to date under `root/<name>`. The revision goes live only when it checks
/// out within `limits` and `validate` accepts it; otherwise the live revision stays.
///
/// Two syncs of the same source must not run at once (the caller serialises them).
pub fn sync(source: &Source, root: &Path, limits: Limits, validate: Validator) -> Result<Outcome> {
    source.check()?;
    let source_dir = root.join(&source.name);
    let mut repo = open_mirror(&mirror_dir(&source_dir))?;
    let commit = fetch_wanted(&mut repo, source, &source_dir)?;
    let hex = commit.to_hex().to_string();
    let subfolder = normalized(&source.path);
    let current = live(&source_dir);
    if let Some(current) = &current
        && current.commit == hex
        && normalized(&current.path) == subfolder
    {
        return Ok(Outcome::Unchanged(current.clone()));
    }
    let tree = subtree(&repo, commit, &subfolder, &hex)?;
    let (id, staging) = live::staging(&source_dir, &hex)?;
    let checked = Writer::new(&repo, limits, hex.clone())
        .write(tree, &staging)
        .and_then(|()| {
            validate(&staging).map_err(|diagnostics| GitError::Validation {
                commit: hex.clone(),
                diagnostics,
            })
        });
    if let Err(e) = checked {
        discard(&staging);
        return Err(e);
    }
    let shown_path = if subfolder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        subfolder.as_path()
    };
    match promote(&source_dir, &staging, &id, &hex, shown_path) {
        Ok(live) => Ok(Outcome::Updated {
            live,
            previous: current.map(|c| c.commit),
        }),
        Err(e) => {
            discard(&staging);
            Err(e)
        }
    }
}

/// The tree of `subfolder` in `commit`.
fn subtree(
    repo: &gix::Repository,
    commit: gix::ObjectId,
    subfolder: &Path,
    hex: &str,
) -> Result<gix::ObjectId> {
    let tree = repo
        .find_commit(commit)
        .and_then(|c| c.tree())
        .map_err(|e| GitError::git(format!("reading commit {hex}"), e))?;
    if subfolder.as_os_str().is_empty() {
        return Ok(tree.id);
    }
    let not_found = || GitError::PathNotFound {
        path: subfolder.display().to_string(),
        commit: hex.to_string(),
    };
    let entry = tree
        .lookup_entry_by_path(subfolder)
        .map_err(|e| GitError::git(format!("reading commit {hex}"), e))?
        .ok_or_else(not_found)?;
    if entry.mode().is_tree() {
        Ok(entry.object_id())
    } else {
        Err(not_found())
    }
}
