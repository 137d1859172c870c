//! The one error type of the CLI: everything a command can fail with, each rendered as a single
//! line on stderr that names the record, field or file involved.

use thiserror::Error;
use unet_core::CoreError;
use unet_exchange::ExchangeError;
use unet_store::StoreError;

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
}

pub type Result<T, E = CliError> = std::result::Result<T, E>;

impl CliError {
    /// A closed pipe (`unet nodes list | head`) is the reader's choice, not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, CliError::Io(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}
