//! `GET /api/v1/limits`: what the server accepts, public so that a client can check a request
//! before it sends it. A body larger than `server.max_body_bytes` is answered 413 before it has
//! been read, and the server then closes the connection: a client still sending sees the
//! connection reset ("broken pipe") instead of that answer.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct ServerLimits {
    /// The largest request body accepted, in bytes (`server.max_body_bytes`).
    pub max_body_bytes: u64,
    /// The largest running configuration accepted by `POST /api/v1/nodes/{id}/configs`, in
    /// bytes (`configs.max_bytes`).
    pub max_config_bytes: u64,
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(limits))
}

/// The request limits of this server.
#[utoipa::path(
    get,
    path = "/api/v1/limits",
    tag = "system",
    security(()),
    responses((status = 200, description = "The limits in force", body = ServerLimits))
)]
async fn limits(State(state): State<AppState>) -> Json<ServerLimits> {
    Json(ServerLimits {
        max_body_bytes: state.limits().max_body_bytes as u64,
        max_config_bytes: state.limits().configs.max_bytes,
    })
}
