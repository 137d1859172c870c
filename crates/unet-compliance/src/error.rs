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
    /// The rule set has errors: it is refused as a whole, before anything is read, evaluated,
    /// recorded or applied. Holds every diagnostic of the load (errors and warnings).
    #[error(
        "the rules have {} error(s): the rule set is refused as a whole, nothing was evaluated, stored or applied",
        .0.errors().count()
    )]
    InvalidRules(unet_policy::Diagnostics),
    #[error(transparent)]
    Intended(#[from] crate::intended::IntendedError),
    /// The runtime shut down while results were being written.
    #[error("the evaluation was interrupted before its results were recorded")]
    Interrupted,
}

pub type Result<T, E = ComplianceError> = std::result::Result<T, E>;
