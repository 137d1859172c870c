//! The crate's one error type.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ComplianceError {
    #[error(transparent)]
    Store(#[from] unet_store::StoreError),
    /// The policies path does not exist or cannot be listed.
    #[error("cannot read policies at {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The runtime shut down while results were being written.
    #[error("the evaluation was interrupted before its results were recorded")]
    Interrupted,
}

pub type Result<T, E = ComplianceError> = std::result::Result<T, E>;
