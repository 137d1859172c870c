//! The one error type of the crate: every message names the repository, the file or the URL
//! it is about, because it ends up verbatim in `unet git status`.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// The URL uses a transport that does not authenticate the server (git://, http://).
    #[error(
        "{url}: the {scheme} transport is not accepted (nothing would prove who answers or keep \
         the rules from being changed on the way); use an https or ssh URL, a local path or a \
         file:// URL"
    )]
    UnsupportedScheme { url: String, scheme: String },
    /// `ca_file` cannot be read or holds no usable certificate.
    #[error("ca_file {}: {message}", file.display())]
    Tls { file: PathBuf, message: String },
    /// The https server's certificate was refused; `message` names it and says what to do.
    #[error("{url}: {message}")]
    UntrustedCertificate { url: String, message: String },
    #[error("invalid repository URL {url:?}: {message}")]
    InvalidUrl { url: String, message: String },
    #[error("invalid {field} {value:?}: {message}")]
    InvalidSetting {
        field: &'static str,
        value: String,
        message: String,
    },
    /// `ssh_key_file` or `known_hosts_file` cannot serve (its message names the file).
    #[error("{field}: {message}")]
    SshFile {
        field: &'static str,
        message: String,
    },
    /// The ssh server presented a host key that neither `host_key` nor `known_hosts_file`
    /// holds, and none for the host at all.
    #[error(
        "{url}: the host key of {host} is not trusted: {trusted} holds no key for it, so the \
         connection was refused. Get the key from the Git host's administrator or \
         documentation (or read it with `ssh-keyscan -p {port} {host}` and compare its \
         fingerprint with one of those), then put its `TYPE BASE64` part into host_key, or the \
         whole line into the known_hosts_file"
    )]
    HostKeyUnknown {
        url: String,
        host: String,
        port: u16,
        trusted: String,
    },
    /// The ssh server presented a host key other than the one trusted for the host.
    #[error(
        "{url}: the host key of {host} has CHANGED: the server presented {offered} where \
         {trusted} holds another key for it. Someone may be intercepting the connection, or \
         the host's key was replaced; nothing was fetched. Confirm the new key with the Git \
         host's administrator before replacing the trusted one"
    )]
    HostKeyChanged {
        url: String,
        host: String,
        port: u16,
        trusted: String,
        /// `SHA256:…` of the key presented, or "another key" when OpenSSH did not say.
        offered: String,
    },
    /// The ssh server did not accept the repository's key.
    #[error(
        "{url}: the server did not accept the key {} for user {user}: register its public key \
         (`ssh-keygen -y -f {}` prints it) as a read-only deploy key of the repository, check \
         the user in the URL (usually git), and make sure the key has no passphrase",
        key_file.display(),
        key_file.display()
    )]
    SshKeyRefused {
        url: String,
        user: String,
        key_file: PathBuf,
    },
    /// The OpenSSH client did not get through (not installed, no route, refused, timed out).
    #[error("{url}: ssh: {message}")]
    Ssh { url: String, message: String },
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

    /// For a sync refused because of the ssh server's host key: the host, its port and
    /// `unknown` or `changed`.
    pub fn host_key_refusal(&self) -> Option<(&str, u16, &'static str)> {
        match self {
            GitError::HostKeyUnknown { host, port, .. } => Some((host, *port, "unknown")),
            GitError::HostKeyChanged { host, port, .. } => Some((host, *port, "changed")),
            _ => None,
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
