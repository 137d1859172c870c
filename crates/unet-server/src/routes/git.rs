//! `/api/v1/git`: the status of every configured repository (viewers), a sync on demand
//! (operators), and the webhook a Git host calls after a push. The webhook carries no token:
//! it is authenticated by `X-Hub-Signature-256`, the HMAC-SHA256 of the body under
//! `git.webhook_secret_file`, compared in constant time; without a secret it does not exist.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use unet_auth::EventType;
use utoipa::ToSchema;
use utoipa::openapi::{OpenApi, RefOr, Schema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Access, authorize, client_of, refusal};
use crate::error::{Error, ErrorCode, Result};
use crate::extract::parse_untyped_body;
use crate::git_sync::{RepositoryStatus, sync_now};
use crate::state::AppState;

const SIGNATURE_HEADER: &str = "x-hub-signature-256";

pub(super) fn router(state: &AppState) -> OpenApiRouter<AppState> {
    let guarded = OpenApiRouter::with_openapi(components())
        .routes(routes!(git_status))
        .routes(routes!(git_sync))
        .route_layer(from_fn_with_state(
            (state.clone(), Access::INVENTORY),
            authorize,
        ));
    let webhook = OpenApiRouter::new().routes(routes!(git_webhook));
    guarded.merge(webhook)
}

/// Every configured repository: what is wanted, what is live since when, the last attempt.
#[utoipa::path(get, path = "/api/v1/git/status", tag = "git",
    responses((status = 200, description = "One object per repository, in configuration order",
        body = ref("#/components/schemas/GitStatusList"))))]
async fn git_status(State(state): State<AppState>) -> Json<Vec<RepositoryStatus>> {
    Json(state.git().statuses())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SyncRequest {
    /// Sync only this repository (default: all).
    #[serde(default)]
    repository: Option<String>,
}

/// Sync now (all repositories with `{}`, or the one named) and answer the resulting statuses.
/// A failed sync is an answer (`last_result: failed`, the live revision stays), not an error.
#[utoipa::path(post, path = "/api/v1/git/sync", tag = "git", request_body = SyncRequest,
    responses((status = 200, description = "The statuses after the sync",
        body = ref("#/components/schemas/GitStatusList")),
        (status = 404, description = "No repository has this name", body = crate::error::Problem,
            content_type = "application/problem+json")))]
async fn git_sync(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<Vec<RepositoryStatus>>> {
    // Read as JSON whatever the Content-Type, like the snapshot request.
    let request: SyncRequest =
        parse_untyped_body(&body, r#"{} (every repository) or {"repository": name}"#)?;
    if let Some(name) = request.repository.as_deref()
        && !state.git().has_repository(name)
    {
        return Err(Error::request(
            StatusCode::NOT_FOUND,
            ErrorCode::GitRepositoryNotFound,
            format!("no repository named {name:?} in [[git.repositories]]"),
        ));
    }
    Ok(Json(
        sync_now(&state.syncer(), request.repository.as_deref()).await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
struct WebhookAccepted {
    /// Always `sync_requested`: the sync runs in the background; see `GET /api/v1/git/status`.
    status: &'static str,
}

/// Called by the Git host after a push: a valid signature starts a sync of every repository.
#[utoipa::path(post, path = "/api/v1/git/webhook", tag = "git",
    security(()),
    request_body(content = Object, description = "The host's event payload (signed, not interpreted)"),
    params(("X-Hub-Signature-256" = Option<String>, Header, description = "`sha256=` and the hex HMAC-SHA256 of the body; without it the call is refused with 401")),
    responses((status = 202, description = "Sync requested", body = WebhookAccepted),
        (status = 401, description = "Missing or wrong signature", body = crate::error::Problem,
            content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong signatures or logins from this address",
            body = crate::error::Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 404, description = "The webhook is off (no git.webhook_secret_file)", body = crate::error::Problem,
            content_type = "application/problem+json")))]
async fn git_webhook(State(state): State<AppState>, parts: Parts, body: Bytes) -> Result<Response> {
    let Some(secret) = state.git().webhook_secret() else {
        return Err(Error::request(
            StatusCode::NOT_FOUND,
            ErrorCode::GitWebhookDisabled,
            "the Git webhook is off: set git.webhook_secret_file to turn it on",
        ));
    };
    let signature = parts
        .headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok());
    if let Err(reason) = verify(secret.0.as_bytes(), signature, &body) {
        let client = client_of(&parts);
        // Wrong signatures spend the address's login budget, so guessing here buys nothing
        // that guessing passwords would not, and a flood is answered 429.
        let security = state.security();
        if let Err(refused) = security
            .throttle(&client, None, "git webhook rate limit")
            .await
        {
            return Ok(refusal(refused));
        }
        tracing::warn!(
            target: "unet::security",
            event = "auth_failure",
            source_ip = client.source_ip.as_deref().unwrap_or("unknown"),
            "security: git webhook refused: {reason}"
        );
        security
            .record(
                EventType::AuthFailure,
                None,
                &client,
                json!({"route": "/api/v1/git/webhook", "reason": reason}),
            )
            .await?;
        return Err(Error::request(
            StatusCode::UNAUTHORIZED,
            ErrorCode::InvalidSignature,
            format!(
                "{reason}: sign the body with HMAC-SHA256 under the webhook secret and send `X-Hub-Signature-256: sha256=<hex>`"
            ),
        ));
    }
    state.git().request_sync();
    let accepted = Json(WebhookAccepted {
        status: "sync_requested",
    });
    Ok((StatusCode::ACCEPTED, accepted).into_response())
}

/// Checks `header` (`sha256=<hex>`) against the HMAC-SHA256 of `body` under `secret`.
fn verify(
    secret: &[u8],
    header: Option<&str>,
    body: &[u8],
) -> std::result::Result<(), &'static str> {
    let header = header.ok_or("missing X-Hub-Signature-256")?;
    let hex_digest = header
        .strip_prefix("sha256=")
        .ok_or("X-Hub-Signature-256 does not start with sha256=")?;
    let digest = hex::decode(hex_digest).map_err(|_| "X-Hub-Signature-256 is not hexadecimal")?;
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    ring::hmac::verify(&key, body, &digest)
        .map_err(|_| "X-Hub-Signature-256 does not match the body")
}

/// The status schemas, written against the JSON `unet_git::Status` sends.
fn components() -> OpenApi {
    let nullable_text = json!({"type": ["string", "null"]});
    let nullable_time = json!({"type": ["string", "null"], "format": "date-time"});
    let props = json!({
        "name": {"type": "string"},
        "content": {"type": "string", "enum": ["policies", "templates"]},
        "url": {"type": "string", "description": "Password replaced by ***"},
        "branch": nullable_text,
        "commit": nullable_text,
        "path": {"type": "string"},
        "live_commit": nullable_text,
        "live_since": nullable_time,
        "last_attempt": nullable_time,
        "last_result": {"type": ["string", "null"], "enum": ["ok", "unchanged", "failed", null]},
        "error": nullable_text,
        "diagnostics": {"type": "array", "items": {"type": "string"}},
    });
    let required: Vec<String> = props
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let status = json!({"type": "object", "properties": props, "required": required});
    let list =
        json!({"type": "array", "items": {"$ref": "#/components/schemas/GitRepositoryStatus"}});
    let mut doc = OpenApi::default();
    let components = doc.components.get_or_insert_with(Default::default);
    for (name, value) in [("GitRepositoryStatus", status), ("GitStatusList", list)] {
        components
            .schemas
            .insert(name.to_string(), RefOr::T(schema(value)));
    }
    doc
}

fn schema(value: Value) -> Schema {
    // The literals above are valid JSON Schema; a mistake shows up in the tests.
    serde_json::from_value(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &[u8], body: &[u8]) -> String {
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
        format!(
            "sha256={}",
            hex::encode(ring::hmac::sign(&key, body).as_ref())
        )
    }

    #[test]
    fn signatures_are_checked() {
        let good = sign(b"s3cret", b"{}");
        assert_eq!(verify(b"s3cret", Some(&good), b"{}"), Ok(()));
        assert!(verify(b"s3cret", Some(&good), b"{ }").is_err());
        assert!(verify(b"other", Some(&good), b"{}").is_err());
        assert!(verify(b"s3cret", None, b"{}").is_err());
        assert!(verify(b"s3cret", Some("sha1=00"), b"{}").is_err());
        assert!(verify(b"s3cret", Some("sha256=zz"), b"{}").is_err());
    }

    #[test]
    fn the_status_schema_is_complete() {
        let doc = components();
        let value =
            serde_json::to_value(&doc.components.unwrap().schemas["GitRepositoryStatus"]).unwrap();
        let required = value["required"].as_array().unwrap();
        assert_eq!(required.len(), 12);
    }
}
