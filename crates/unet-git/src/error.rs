//! The one error type of the crate: every message names the repository, the file or the URL
//! it is about, because it ends up verbatim in `unet git status`.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// The URL uses a transport this build does not carry.
    #[error(
        "{url}: the {scheme} transport is not built in; use an https URL, a local path or a \
         file:// URL (a mirror kept current by `git fetch` from cron, for example)"
    )]
    UnsupportedScheme { url: String, scheme: String },
    /// `ca_file` cannot be read or holds no usable certificate.
    #[error("ca_file {}: {message}", file.display())]
    Tls { file: PathBuf, message: String },
    #[error("invalid repository URL {url:?}: {message}")]
    InvalidUrl { url: String, message: String },
    #[error("invalid {field} {value:?}: {message}")]
    InvalidSetting {
        field: &'static str,
        value: String,
        message: String,
    },
    /// Fetching, reading objects or references failed inside gix.
    #[error("{context}: {message}")]
    Git { context: String, message: String },
    #[error("branch {branch:?} does not exist in {url}")]
    BranchNotFound { branch: String, url: String },
    #[error("commit {commit} does not exist in {url} (fetched every branch and tag)")]
    CommitNotFound { commit: String, url: String },
    #[error("folder {path:?} does not exist in commit {commit}")]
    PathNotFound { path: String, commit: String },
    /// The revision holds something the checkout refuses (size, count, depth, name, link).
    #[error("commit {commit}: {path}: {message}")]
    Refused {
        commit: String,
        path: String,
        message: String,
    },
    /// The caller's validator refused the revision; `diagnostics` are its messages.
    #[error("commit {commit} does not validate: {}", diagnostics.join("; "))]
    Validation {
        commit: String,
        diagnostics: Vec<String>,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl GitError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> GitError {
        GitError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn git(context: impl Into<String>, e: impl std::error::Error) -> GitError {
        GitError::Git {
            context: context.into(),
            message: causes(&e),
        }
    }

    /// The validator's messages when this is a validation failure, else nothing.
    pub fn diagnostics(&self) -> &[String] {
        match self {
            GitError::Validation { diagnostics, .. } => diagnostics,
            _ => &[],
        }
    }
}

/// The error's message followed by those of its causes that add something, so that "handshake
/// failed" comes with the certificate or HTTP status behind it.
fn causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let message = c.to_string();
        if !message.is_empty() && !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        cause = c.source();
    }
    text
}

pub type Result<T, E = GitError> = std::result::Result<T, E>;
