//! `/api/v1/certificates`: the HTTPS certificate's status and its live rotation.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::middleware::from_fn_with_state;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use serde_json::json;
use unet_auth::EventType;

use crate::auth::{Access, Caller, Role, authorize, client_of};
use crate::error::{Error, ErrorCode, Problem, Result};
use crate::state::AppState;
use unet_tls::CertificateStatus;

/// Viewers see the status; only administrators rotate.
const CERTIFICATES: Access = Access {
    read: Role::Viewer,
    write: Role::Admin,
};

pub(super) fn router(state: &AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(certificate_status))
        .routes(routes!(rotate_certificate))
        .route_layer(from_fn_with_state((state.clone(), CERTIFICATES), authorize))
}

/// The HTTPS certificate: subject, issuer, validity, days remaining, fingerprint.
#[utoipa::path(get, path = "/api/v1/certificates/status", tag = "system",
    responses((status = 200, body = CertificateStatus)))]
async fn certificate_status(State(state): State<AppState>) -> Json<CertificateStatus> {
    Json(
        state
            .operations()
            .tls()
            .map_or_else(CertificateStatus::disabled, |tls| tls.status()),
    )
}

/// Re-read the certificate and key files (with `tls.self_signed`, issue a new certificate)
/// and swap them in; a bad or mismatched pair is refused and the running one stays. A
/// rotation is a `certificate_rotation` security event naming who did it and the new
/// certificate's fingerprint.
#[utoipa::path(post, path = "/api/v1/certificates/rotate", tag = "system",
    responses((status = 200, body = CertificateStatus),
        (status = 409, description = "HTTPS is off (`tls_disabled`)",
            body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No usable certificate and key pair; the running one stays",
            body = Problem, content_type = "application/problem+json")))]
async fn rotate_certificate(
    State(state): State<AppState>,
    Caller(caller): Caller,
    parts: Parts,
) -> Result<Json<CertificateStatus>> {
    let section = state.operations().settings().tls.clone();
    // Issuing a key pair and writing the files block: the blocking pool does it.
    let task_state = state.clone();
    let rotated = tokio::task::spawn_blocking(move || {
        let tls = task_state.operations().tls()?;
        Some(tls.rotate(&section, true))
    })
    .await
    .map_err(|e| Error::Internal(format!("certificate rotation stopped: {e}")))?
    .ok_or_else(|| {
        Error::request(
            StatusCode::CONFLICT,
            ErrorCode::TlsDisabled,
            "HTTPS is off (tls.enabled = false): there is no certificate to rotate",
        )
    })?;
    match rotated {
        Ok(status) => {
            let detail = json!({
                "subject": status.subject,
                "expiration": status.expiration,
                "fingerprint_sha256": status.fingerprint_sha256,
            });
            state
                .security()
                .record(
                    EventType::CertificateRotation,
                    Some(&caller.name),
                    &client_of(&parts),
                    detail,
                )
                .await?;
            Ok(Json(status))
        }
        Err(e) => {
            tracing::error!(target: "unet::tls", event = "certificate_rotation_refused", "ERROR certificate_rotation refused, the running certificate stays: {e}");
            Err(e.into())
        }
    }
}
