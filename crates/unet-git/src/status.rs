//! What `unet git status` shows for one source: what is wanted, what is live since when, and
//! how the last attempt went.

use std::path::Path;

use serde::Serialize;
use time::OffsetDateTime;

use crate::error::GitError;
use crate::live::live;
use crate::source::{Source, Wanted};
use crate::sync::Outcome;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SyncResult {
    /// A new revision went live.
    Ok,
    /// The wanted revision was already live.
    Unchanged,
    /// The attempt failed; the live revision (if any) stayed.
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    pub name: String,
    /// Password redacted.
    pub url: String,
    /// The branch followed, when no commit is pinned.
    pub branch: Option<String>,
    /// The pinned commit.
    pub commit: Option<String>,
    pub path: String,
    pub live_commit: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub live_since: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_attempt: Option<OffsetDateTime>,
    pub last_result: Option<SyncResult>,
    /// Why the last attempt failed.
    pub error: Option<String>,
    /// For a revision that did not validate: one entry per problem, `file:line:column: message`.
    pub diagnostics: Vec<String>,
}

impl Status {
    /// The status before any attempt in this process: the live revision found on disk.
    pub fn new(source: &Source, root: &Path) -> Status {
        let (branch, commit) = match &source.wanted {
            Wanted::Branch(b) => (Some(b.clone()), None),
            Wanted::Commit(c) => (None, Some(c.clone())),
        };
        let live = live(&root.join(&source.name));
        Status {
            name: source.name.clone(),
            url: source.redacted_url(),
            branch,
            commit,
            path: source.path.display().to_string(),
            live_commit: live.as_ref().map(|l| l.commit.clone()),
            live_since: live.map(|l| l.since),
            last_attempt: None,
            last_result: None,
            error: None,
            diagnostics: Vec::new(),
        }
    }

    /// Takes in the result of an attempt made at `at`.
    pub fn record(&mut self, at: OffsetDateTime, result: &Result<Outcome, GitError>) {
        self.last_attempt = Some(at);
        match result {
            Ok(outcome) => {
                let live = outcome.live();
                self.live_commit = Some(live.commit.clone());
                self.live_since = Some(live.since);
                self.last_result = Some(match outcome {
                    Outcome::Updated { .. } => SyncResult::Ok,
                    Outcome::Unchanged(_) => SyncResult::Unchanged,
                });
                self.error = None;
                self.diagnostics.clear();
            }
            Err(e) => {
                self.last_result = Some(SyncResult::Failed);
                self.error = Some(e.to_string());
                self.diagnostics = e.diagnostics().to_vec();
            }
        }
    }
}
