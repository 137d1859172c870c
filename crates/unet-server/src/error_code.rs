//! Every `code` a problem document can carry. The strings are part of the API: scripts test
//! them (docs/api.md lists each with its status), so a variant's spelling never changes.

use std::fmt;

/// Declares the enum, its spelling and the list of all codes from one table.
macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $variant:ident => $code:literal,)*) => {
        /// The stable, machine-readable kind of an HTTP error.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ErrorCode {
            $($(#[doc = $doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, in the order of the table below.
            #[cfg(test)]
            const ALL: &[ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The code as the problem document spells it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }
        }
    };
}

error_codes! {
    /// 400: the body is not JSON (syntax error, trailing data).
    MalformedJson => "malformed_json",
    /// 400: a body read whatever its `Content-Type` is not the object the endpoint expects.
    InvalidJson => "invalid_json",
    /// 400: an `{id}` in the path is not a UUID.
    InvalidUuid => "invalid_uuid",
    /// 400: unknown query parameter, bad filter value, `limit` out of range, NUL in a value.
    InvalidQuery => "invalid_query",
    /// 400: `If-Match` is neither `*` nor a list of entity tags.
    InvalidHeader => "invalid_header",
    /// 400: the body could not be read.
    UnreadableBody => "unreadable_body",
    /// 400: a running-configuration version in the path that is neither a number from 1 nor
    /// `latest`.
    InvalidConfigVersion => "invalid_config_version",
    /// 401: no credentials, or a token or API key that is unknown, expired or revoked.
    Unauthenticated => "unauthenticated",
    /// 401: a login with a wrong user name or password (or a disabled account).
    InvalidCredentials => "invalid_credentials",
    /// 401: a Git webhook call without a valid `X-Hub-Signature-256`.
    InvalidSignature => "invalid_signature",
    /// 403: the caller's role does not allow the request.
    Forbidden => "forbidden",
    /// 404: no record with this id (or no location with the name in `location=`).
    NotFound => "not_found",
    /// 404: no such endpoint.
    RouteNotFound => "route_not_found",
    /// 404: the Git sync names a repository that is not configured.
    GitRepositoryNotFound => "git_repository_not_found",
    /// 404: the Git webhook is off (no `git.webhook_secret_file`).
    GitWebhookDisabled => "git_webhook_disabled",
    /// 405: the endpoint exists, the method does not.
    MethodNotAllowed => "method_not_allowed",
    /// 408: the request ran longer than `server.request_timeout`.
    RequestTimeout => "request_timeout",
    /// 409: duplicate name, an interface already used by another link.
    Conflict => "conflict",
    /// 409: the node is being collected now.
    CollectionInProgress => "collection_in_progress",
    /// 409: the node is being polled now.
    PollInProgress => "poll_in_progress",
    /// 409: delete refused while other records point here.
    Referenced => "referenced",
    /// 409: a name matches several records.
    Ambiguous => "ambiguous",
    /// 409: a snapshot with this name exists already.
    SnapshotExists => "snapshot_exists",
    /// 409: certificate rotation asked for while HTTPS is off.
    TlsDisabled => "tls_disabled",
    /// 409: a config diff for a node without a stored running configuration.
    NoRunningConfig => "no_running_config",
    /// 409: a config diff for a node without templates assigned (nothing is intended).
    NoTemplatesAssigned => "no_templates_assigned",
    /// 412: `If-Match` (or body `revision`) does not name the stored revision.
    StaleRevision => "stale_revision",
    /// 413: the body exceeds `server.max_body_bytes`.
    PayloadTooLarge => "payload_too_large",
    /// 413: a running configuration larger than `configs.max_bytes`.
    ConfigTooLarge => "config_too_large",
    /// 415: a body without a JSON content type (a running configuration: without `text/plain`).
    UnsupportedMediaType => "unsupported_media_type",
    /// 422: the body has a field the record does not have.
    UnknownField => "unknown_field",
    /// 422: a field of the wrong JSON type or given twice, a non-object body, NUL in text.
    InvalidField => "invalid_field",
    /// 422: a value breaks a rule of the data model.
    ValidationFailed => "validation_failed",
    /// 422: a reference to a location or node that does not exist.
    DanglingReference => "dangling_reference",
    /// 422: a snapshot name that is not a plain file name.
    InvalidSnapshotName => "invalid_snapshot_name",
    /// 422: certificate files that do not hold a usable certificate and key.
    InvalidCertificate => "invalid_certificate",
    /// 422: a running configuration that is not UTF-8 text, holds a NUL byte or is blank.
    InvalidConfigText => "invalid_config_text",
    /// 422: policy rules that do not compile.
    InvalidRules => "invalid_rules",
    /// 422: a node's templates do not render (a missing variable, an assigned template that
    /// is not in the folder, a runaway loop).
    RenderFailed => "render_failed",
    /// 422: a collection asked for a node that is not collected (not active or staged, or
    /// no management_ip).
    NodeNotCollectable => "node_not_collectable",
    /// 422: a poll (or its status) asked for a node that is not polled (not active or
    /// staged, or no management_ip).
    NodeNotPollable => "node_not_pollable",
    /// 422: a config comparison asked for a node whose platform is `generic`.
    NoConfigPlatform => "no_config_platform",
    /// 422: a rendered or running configuration does not parse for the node's platform.
    ConfigUnparsable => "config_unparsable",
    /// 429: too many failed logins or webhook signatures from this source.
    RateLimited => "rate_limited",
    /// Any other 4xx or 5xx produced below the handlers.
    HttpError => "http_error",
    /// 500: the database failed.
    Database => "database",
    /// 500: a migration failed.
    Migration => "migration",
    /// 500: any other server-side failure.
    Internal => "internal",
    /// 503: no database connection became free within `database.acquire_timeout`.
    DatabaseUnavailable => "database_unavailable",
    /// 503: the database gave the change up to settle a clash with a concurrent one.
    DatabaseBusy => "database_busy",
    /// 503: a policy evaluation stopped because the server shuts down.
    EvaluationInterrupted => "evaluation_interrupted",
    /// 503: no templates revision loads (the folder is missing or has never compiled).
    TemplatesUnavailable => "templates_unavailable",
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    /// The API documentation's error table is the contract scripts rely on: every code the
    /// server can answer has its row there.
    #[test]
    fn every_code_has_a_row_in_the_api_documentation() {
        let doc = include_str!("../../../docs/api.md");
        for code in ErrorCode::ALL {
            assert!(
                doc.contains(&format!("| `{code}` |"))
                    || doc.contains(&format!("`{code}`, "))
                    || doc.contains(&format!(", `{code}` |")),
                "docs/api.md has no error-table row for `{code}`"
            );
        }
    }
}
