use thiserror::Error;

/// A rule of the data model that a value breaks. `field` is the JSON name an operator wrote
/// (e.g. `management_ip`), so the message can point at it in a file or request body.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CoreError {
    #[error("{field}: expected {expected}, got {got:?}")]
    Invalid {
        field: &'static str,
        expected: String,
        got: String,
    },
    #[error("{field}: required")]
    Missing { field: &'static str },
}

impl CoreError {
    pub fn invalid(
        field: &'static str,
        expected: impl Into<String>,
        got: impl Into<String>,
    ) -> Self {
        CoreError::Invalid {
            field,
            expected: expected.into(),
            got: got.into(),
        }
    }

    /// The JSON field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            CoreError::Invalid { field, .. } | CoreError::Missing { field } => field,
        }
    }
}

pub type Result<T, E = CoreError> = std::result::Result<T, E>;

/// A file, socket or process operation that failed, with what was being done: the one shape
/// the operations, TLS and server errors share, so each passes it on unchanged.
#[derive(Debug, Error)]
#[error("{context}: {source}")]
pub struct IoFailure {
    pub context: String,
    #[source]
    pub source: std::io::Error,
}

impl IoFailure {
    pub fn new(context: impl Into<String>, source: std::io::Error) -> IoFailure {
        IoFailure {
            context: context.into(),
            source,
        }
    }
}
