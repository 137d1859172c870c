use thiserror::Error;
use unet_store::StoreError;

/// Everything authentication and account management can refuse or fail with.
#[derive(Debug, Error)]
pub enum AuthError {
    /// Unknown user, wrong password, locked or disabled account: one answer for all, so a
    /// caller cannot tell which.
    #[error("invalid username or password")]
    InvalidCredentials,
    #[error("{0}")]
    Unauthenticated(&'static str),
    #[error("too many login attempts from this address; retry after {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("{0}")]
    Forbidden(String),
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("{0} not found")]
    NotFound(String),
    #[error("password hashing failed: {0}")]
    Hashing(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AuthError {
    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AuthError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

pub type Result<T, E = AuthError> = std::result::Result<T, E>;
