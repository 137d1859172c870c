//! The crate's one error type, and the only place where an error becomes an HTTP response:
//! an RFC 9457 problem document (`application/problem+json`) with a stable `code`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use thiserror::Error;
use unet_core::IoFailure;
use unet_store::StoreError;
use utoipa::ToSchema;

use crate::config::ConfigErrors;
pub use crate::error_code::ErrorCode;

pub const PROBLEM_JSON: &str = "application/problem+json";

#[derive(Debug, Error)]
pub enum Error {
    /// A request the server refuses before it reaches the store (malformed JSON, bad UUID, …).
    #[error("{detail}")]
    Request {
        status: StatusCode,
        code: ErrorCode,
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Config(ConfigErrors),
    #[error(transparent)]
    Io(#[from] IoFailure),
    /// The server cannot start (pending migrations, port in use, …); the message says what to do.
    #[error("{0}")]
    Startup(String),
    /// A failure while running (a task that died, a service that broke): the client gets
    /// 500 `internal`, the log has the message.
    #[error("{0}")]
    Internal(String),
}

impl Error {
    pub fn request(status: StatusCode, code: ErrorCode, detail: impl Into<String>) -> Error {
        Error::Request {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    pub fn invalid_field(
        code: ErrorCode,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Error {
        let (field, message) = (field.into(), message.into());
        Error::Request {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code,
            detail: format!("{field}: {message}"),
            errors: vec![FieldError { field, message }],
        }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io(IoFailure::new(context, source))
    }

    /// Whether the database failed (as opposed to refusing a request: not found, conflict, …).
    pub(crate) fn is_database_failure(&self) -> bool {
        matches!(
            self,
            Error::Store(StoreError::Database(_) | StoreError::Migration(_))
        )
    }

    fn problem(&self) -> Problem {
        match self {
            Error::Request {
                status,
                code,
                detail,
                errors,
            } => Problem::new(*status, *code, detail.clone()).with_errors(errors.clone()),
            Error::Store(e) => store_problem(e),
            Error::Config(_) | Error::Io(_) | Error::Startup(_) | Error::Internal(_) => {
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::Internal,
                    self.to_string(),
                )
            }
        }
    }
}

impl From<unet_ops::OpsError> for Error {
    fn from(e: unet_ops::OpsError) -> Error {
        use unet_ops::OpsError;
        match e {
            OpsError::Store(e) => Error::Store(e),
            OpsError::Io(e) => Error::Io(e),
            OpsError::InvalidSnapshotName(detail) => Error::request(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::InvalidSnapshotName,
                detail,
            ),
            OpsError::SnapshotExists(detail) => {
                Error::request(StatusCode::CONFLICT, ErrorCode::SnapshotExists, detail)
            }
            OpsError::Failed(detail) => Error::Internal(detail),
        }
    }
}

impl From<unet_tls::TlsError> for Error {
    fn from(e: unet_tls::TlsError) -> Error {
        use unet_tls::TlsError;
        match e {
            TlsError::Invalid(detail) => Error::request(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::InvalidCertificate,
                detail,
            ),
            TlsError::Io(e) => Error::Io(e),
            TlsError::Failed(detail) => Error::Internal(detail),
            TlsError::Listen(detail) => Error::Startup(detail),
        }
    }
}

fn store_problem(e: &StoreError) -> Problem {
    let (status, code) = match e {
        StoreError::NotFound { .. } | StoreError::NoRunningConfig { .. } => {
            (StatusCode::NOT_FOUND, ErrorCode::NotFound)
        }
        StoreError::Invalid(_) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
        ),
        StoreError::Dangling { .. } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::DanglingReference,
        ),
        StoreError::Conflict { .. } => (StatusCode::CONFLICT, ErrorCode::Conflict),
        StoreError::Referenced { .. } => (StatusCode::CONFLICT, ErrorCode::Referenced),
        StoreError::Ambiguous { .. } => (StatusCode::CONFLICT, ErrorCode::Ambiguous),
        StoreError::StaleRevision { .. } => {
            (StatusCode::PRECONDITION_FAILED, ErrorCode::StaleRevision)
        }
        StoreError::Migration(_) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Migration),
        StoreError::Database(_) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Database),
    };
    let errors = match e {
        StoreError::Invalid(core) => vec![FieldError {
            field: core.field().to_string(),
            message: core.to_string(),
        }],
        StoreError::Dangling { field, .. } => vec![FieldError {
            field: (*field).to_string(),
            message: e.to_string(),
        }],
        _ => Vec::new(),
    };
    // Database errors may quote connection details; the log has them, the client does not.
    let detail = match e {
        StoreError::Database(sqlx::Error::PoolTimedOut) => {
            return Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::DatabaseUnavailable,
                "no database connection became free in time; retry shortly".to_string(),
            );
        }
        StoreError::Database(_) if e.is_transient() => {
            tracing::warn!(target: "unet::http", error = %e, "database gave up a transaction that clashed with a concurrent one; the client may retry");
            return Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::DatabaseBusy,
                "the database gave up this change to settle a clash with a concurrent one; \
                 nothing was written, retry shortly"
                    .to_string(),
            );
        }
        StoreError::Database(_) | StoreError::Migration(_) => {
            tracing::error!(target: "unet::http", error = %e, "ERROR database failure");
            "the database failed to answer; the server log has the details".to_string()
        }
        _ => e.to_string(),
    };
    Problem::new(status, code, detail).with_errors(errors)
}

/// One invalid field of a request body or query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// JSON name of the field (`.` for the document itself).
    pub field: String,
    pub message: String,
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:unet:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable kind: `not_found`, `validation_failed`, `malformed_json`, …
    pub code: String,
    /// Present for validation problems: every invalid field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl Problem {
    pub fn new(status: StatusCode, code: ErrorCode, detail: String) -> Problem {
        Problem {
            kind: format!("urn:unet:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail,
            code: code.as_str().to_string(),
            errors: Vec::new(),
        }
    }

    fn with_errors(mut self, errors: Vec<FieldError>) -> Problem {
        self.errors = errors;
        self
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        (
            status,
            [(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON))],
            body,
        )
            .into_response()
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let mut response = self.problem().into_response();
        // A busy or clashing database is worth another try soon, and is no fault of the server.
        if matches!(self, Error::Store(_)) && response.status() == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(1));
            response.extensions_mut().insert(Retryable);
        }
        if self.is_database_failure() {
            response
                .extensions_mut()
                .insert(crate::metrics::DatabaseFailure);
        }
        response
    }
}

/// Marks an answer the client should simply retry (the database was busy or gave the change up
/// to settle a clash): the request log says WARN, not ERROR.
#[derive(Clone, Copy)]
pub(crate) struct Retryable;

pub type Result<T, E = Error> = std::result::Result<T, E>;
