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

use crate::auth::{Access, Caller, Role, auth_error, authorize, client_of};
use crate::error::{Error, Problem, Result};
use crate::state::AppState;
use crate::tls::CertificateStatus;

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
    let ops = state.operations();
    let tls = ops.tls().ok_or_else(|| {
        Error::request(
            StatusCode::CONFLICT,
            "tls_disabled",
            "HTTPS is off (tls.enabled = false): there is no certificate to rotate",
        )
    })?;
    let section = ops.settings().tls.clone();
    match tls.rotate(&section, true) {
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
                .await
                .map_err(auth_error)?;
            Ok(Json(status))
        }
        Err(e) => {
            tracing::error!(target: "unet::tls", event = "certificate_rotation_refused", "ERROR certificate_rotation refused, the running certificate stays: {e}");
            Err(e)
        }
    }
}
