//! The crate's one error type.

use crate::diagnostic::Diagnostics;

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The rule sources have errors; every error and warning is listed.
    #[error("policy rules are invalid:\n{0}")]
    Invalid(Diagnostics),
    /// A `SET` cannot be applied because a value on its path is not an object.
    #[error("cannot set `{target}`: `{blocker}` is not an object")]
    SetBlocked { target: String, blocker: String },
}
