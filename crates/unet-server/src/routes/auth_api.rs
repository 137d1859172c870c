//! `/api/v1/auth/login|logout|me`: password login to a bearer session token. Login is the one
//! route besides health that needs no token.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use unet_auth::Role;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Access, Caller, authorize, bearer_token, client_of, refusal};
use crate::error::Result;
use crate::extract::JsonBody;
use crate::state::AppState;

pub(super) fn router(state: &AppState) -> OpenApiRouter<AppState> {
    let public = OpenApiRouter::new().routes(routes!(login));
    let signed_in = OpenApiRouter::new()
        .routes(routes!(logout))
        .routes(routes!(me))
        .route_layer(from_fn_with_state(
            (state.clone(), Access::SIGNED_IN),
            authorize,
        ));
    public.merge(signed_in).layer(from_fn(no_store))
}

/// Answers about credentials are never cached.
async fn no_store(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct LoginRequest {
    username: String,
    password: String,
}

/// A bearer token for `Authorization: Bearer …` and when it stops working.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct LoginResponse {
    token: String,
    #[schema(value_type = String, format = DateTime)]
    expires_at: unet_core::Timestamp,
}

/// Log in with a username and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    security(()),
    responses((status = 200, description = "A session token", body = LoginResponse),
        (status = 401, description = "Invalid username or password (the same answer for an unknown user, a wrong password and a disabled account)"),
        (status = 429, description = "Too many attempts from this address: its login budget across all accounts is spent, or this username is locked out from this address after repeated failures (other addresses are not)", headers(("Retry-After" = u64, description = "Seconds to wait")))))]
async fn login(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
    JsonBody(body): JsonBody<LoginRequest>,
) -> Result<Response> {
    let client = client_of(&parts);
    match state
        .security()
        .login(&body.username, &body.password, &client)
        .await
    {
        Ok(session) => Ok(Json(LoginResponse {
            token: session.token,
            expires_at: session.expires_at,
        })
        .into_response()),
        Err(e) => Ok(refusal(e)),
    }
}

/// End the session of the token this request carries.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "The token no longer works")))]
async fn logout(
    State(state): State<AppState>,
    Caller(caller): Caller,
    parts: axum::http::request::Parts,
) -> Result<StatusCode> {
    if let Some(token) = bearer_token(&parts) {
        state
            .security()
            .logout(token, &caller.name, &client_of(&parts))
            .await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The caller as the server sees it.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Me {
    /// Username, or `key:<name>` for an API key.
    name: String,
    #[schema(value_type = Vec<String>)]
    roles: Vec<Role>,
}

/// Who is calling, with which roles.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    responses((status = 200, description = "The caller", body = Me)))]
async fn me(Caller(caller): Caller) -> Json<Me> {
    Json(Me {
        name: caller.name.clone(),
        roles: caller.roles.clone(),
    })
}
