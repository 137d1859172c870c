//! The one error type of the CLI: everything a command can fail with, each rendered as a single
//! line on stderr that names the record, field or file involved.

use thiserror::Error;
use unet_auth::AuthError;
use unet_compliance::ComplianceError;
use unet_core::CoreError;
use unet_exchange::ExchangeError;
use unet_store::StoreError;

use crate::output::note;

#[derive(Debug, Error)]
pub enum CliError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Exchange(#[from] ExchangeError),
    #[error(transparent)]
    Invalid(#[from] CoreError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// An output format that the command cannot produce (e.g. `-o unified` for a node list).
    #[error("-o {format} is not available for this command; use table, json, yaml or csv")]
    UnsupportedOutput { format: &'static str },
    #[error("could not render output: {0}")]
    Render(String),
    #[error("could not start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// `first` is the first failure, `FILE record N (entity): message`.
    #[error(
        "import failed, nothing was written: {first} ({failed} failed record(s), all listed in the report; --continue-on-error imports the rest)"
    )]
    ImportFailed { failed: usize, first: String },
    #[error(
        "dry run, nothing was written: {first} ({failed} record(s) would fail, all listed in the report)"
    )]
    DryRunFailed { failed: usize, first: String },
    #[error("import finished with {failed} failed record(s), the others were written: {first}")]
    ImportPartial { failed: usize, first: String },
    /// A problem document from the server: its detail, then each invalid field on its own line.
    #[error("{}", server_message(detail, errors))]
    Server {
        status: u16,
        code: String,
        detail: String,
        errors: Vec<(String, String)>,
    },
    #[error("cannot reach μNet server at {url}: {reason} — is unet-server running?")]
    Unreachable { url: String, reason: String },
    /// The server's TLS certificate was refused; the message names it and says what to do.
    #[error("cannot trust μNet server at {url}: {message}")]
    Untrusted { url: String, message: String },
    /// A token or password would cross plain http to another machine.
    #[error(
        "refusing to send {secret} to {url} over plain http: anyone on the network path could \
         read and reuse it. Use the server's https:// address (unet-server serves TLS with \
         tls.enabled), or pass --allow-insecure-http if this network is trusted"
    )]
    InsecureHttp { url: String, secret: &'static str },
    /// The server answered something the client cannot use (timeout, unexpected body).
    #[error("μNet server at {url}: {message}")]
    Http { url: String, message: String },
    /// Policy rules with errors (each already printed as `file:line:col: message`).
    #[error("{0}")]
    InvalidRules(String),
    /// A node's templates do not render, or its configurations cannot be compared.
    #[error(transparent)]
    Intended(#[from] unet_compliance::IntendedError),
    /// A templates folder that does not load (each problem went to stderr).
    #[error("{0}")]
    InvalidTemplates(String),
    /// The server URL, token or client configuration file is unusable.
    #[error("{0}")]
    Config(String),
}

fn server_message(detail: &str, errors: &[(String, String)]) -> String {
    let mut text = if detail.is_empty() {
        "the server refused the request".to_string()
    } else {
        detail.to_string()
    };
    for (field, message) in errors {
        let line = format!("{field}: {message}");
        // Validation problems often repeat the one invalid field as the detail.
        if *message != detail && line != detail {
            text.push_str("\n  ");
            text.push_str(&line);
        }
    }
    text
}

/// Account and key failures: the store's own errors as such, the rest (unknown user, weak
/// password, refused role, …) as their message.
impl From<AuthError> for CliError {
    fn from(e: AuthError) -> CliError {
        match e {
            AuthError::Store(store) => CliError::Store(store),
            other => CliError::Config(other.to_string()),
        }
    }
}

/// A policies path that cannot be read keeps its I/O kind and names the path.
impl From<ComplianceError> for CliError {
    fn from(e: ComplianceError) -> CliError {
        match e {
            ComplianceError::Store(e) => CliError::Store(e),
            ComplianceError::Read { path, source } => CliError::Io(std::io::Error::new(
                source.kind(),
                format!("cannot read policies at {}: {source}", path.display()),
            )),
            e @ ComplianceError::InvalidRules(_) => CliError::InvalidRules(e.to_string()),
            ComplianceError::Intended(e) => CliError::Intended(e),
            e @ ComplianceError::Interrupted => CliError::Io(std::io::Error::new(
                std::io::ErrorKind::Interrupted,
                e.to_string(),
            )),
        }
    }
}

pub type Result<T, E = CliError> = std::result::Result<T, E>;

/// The process exit status of a command: its own on success, 0 when the reader closed the pipe,
/// else the error on stderr (lost, never a panic, when stderr is closed too) and 2 for rules
/// refused as a whole, 1 for every other error.
pub fn exit_code(result: Result<std::process::ExitCode, CliError>) -> std::process::ExitCode {
    match result {
        Ok(code) => code,
        Err(e) if e.is_broken_pipe() => std::process::ExitCode::SUCCESS,
        Err(e) => {
            note!("error: {e}");
            std::process::ExitCode::from(if e.is_invalid_rules() { 2 } else { 1 })
        }
    }
}

impl CliError {
    /// A closed pipe (`unet nodes list | head`) is the reader's choice, not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, CliError::Io(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }

    /// Policy rules with errors, refused as a whole by the local evaluation or by the server
    /// (422 `invalid_rules`): exit status 2, like a usage error, since nothing ran.
    pub fn is_invalid_rules(&self) -> bool {
        match self {
            CliError::InvalidRules(_) => true,
            CliError::Server { status, code, .. } => *status == 422 && code == "invalid_rules",
            _ => false,
        }
    }

    /// The record changed since the revision a write named, locally or on the server.
    pub fn is_stale(&self) -> bool {
        matches!(
            self,
            CliError::Store(StoreError::StaleRevision { .. })
                | CliError::Server { status: 412, .. }
        )
    }

    /// The record asked for does not exist, locally or on the server.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            CliError::Store(StoreError::NotFound { .. } | StoreError::NoRunningConfig { .. })
                | CliError::Server { status: 404, .. }
        )
    }
}
