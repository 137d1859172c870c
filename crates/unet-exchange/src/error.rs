use std::fmt;

use thiserror::Error;

/// Everything that can be wrong with an inventory file. Each variant names the file; record
/// errors add the 0-based record index, the field path and, when known, the line and column.
#[derive(Debug, Error)]
pub enum ExchangeError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {size} bytes is larger than the {limit}-byte limit for one inventory file")]
    TooLarge { path: String, size: u64, limit: u64 },
    /// The text is not well-formed JSON/YAML/CSV, or its top level is not shaped like an
    /// inventory document (the message says which).
    #[error("{path}:{line}:{column}: {message}")]
    Syntax {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// A well-formed record whose content does not fit (unknown field, wrong type, bad value).
    #[error("{path}{}: record {index}{}: {message}", Position(*line, *column), FieldSuffix(field))]
    Record {
        path: String,
        index: usize,
        field: Option<String>,
        line: Option<usize>,
        column: Option<usize>,
        message: String,
    },
    /// The file or directory is not laid out as an inventory (wrong top-level shape, two files
    /// for one entity type, nothing to import, unsupported extension).
    #[error("{path}: {message}")]
    Layout { path: String, message: String },
}

pub type Result<T, E = ExchangeError> = std::result::Result<T, E>;

impl ExchangeError {
    pub(crate) fn io(path: &str, source: std::io::Error) -> Self {
        ExchangeError::Io {
            path: path.to_string(),
            source,
        }
    }

    pub(crate) fn layout(path: &str, message: impl Into<String>) -> Self {
        ExchangeError::Layout {
            path: path.to_string(),
            message: message.into(),
        }
    }

    /// The file the error is about.
    pub fn path(&self) -> &str {
        match self {
            ExchangeError::Io { path, .. }
            | ExchangeError::TooLarge { path, .. }
            | ExchangeError::Syntax { path, .. }
            | ExchangeError::Record { path, .. }
            | ExchangeError::Layout { path, .. } => path,
        }
    }
}

struct Position(Option<usize>, Option<usize>);

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.0, self.1) {
            (Some(line), Some(column)) => write!(f, ":{line}:{column}"),
            (Some(line), None) => write!(f, ":{line}"),
            _ => Ok(()),
        }
    }
}

struct FieldSuffix<'a>(&'a Option<String>);

impl fmt::Display for FieldSuffix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(field) => write!(f, ", field `{field}`"),
            None => Ok(()),
        }
    }
}
