//! `/api/v1/users` and `/api/v1/auth/api-keys`: accounts and API keys. Auditors read both
//! lists; only admins change them. Every change is a security event.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::middleware::from_fn_with_state;
use serde::Deserialize;
use unet_auth::{ApiKey, CreatedApiKey, Role, User, UserUpdate};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Access, Caller, authorize, client_of};
use crate::error::{Error, ErrorCode, Result};
use crate::extract::{IdPath, JsonBody};
use crate::state::AppState;

pub(super) fn router(state: &AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(update_user, delete_user))
        .routes(routes!(list_api_keys, create_api_key))
        .routes(routes!(revoke_api_key))
        .route_layer(from_fn_with_state(
            (state.clone(), Access::SECURITY),
            authorize,
        ))
}

fn roles(names: &[String]) -> Result<Vec<Role>> {
    names
        .iter()
        .map(|n| n.parse::<Role>().map_err(Error::from))
        .collect()
}

/// Every user, by username.
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, description = "Users", body = ref("#/components/schemas/UserList"))))]
async fn list_users(State(state): State<AppState>) -> Result<Json<Vec<User>>> {
    Ok(Json(state.security().list_users().await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewUser {
    username: String,
    password: String,
    /// Role names: admin, operator, viewer, auditor.
    roles: Vec<String>,
}

/// Create a user.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUser,
    responses((status = 201, description = "The user", body = ref("#/components/schemas/User"))))]
async fn create_user(
    State(state): State<AppState>,
    Caller(caller): Caller,
    parts: Parts,
    JsonBody(body): JsonBody<NewUser>,
) -> Result<(StatusCode, Json<User>)> {
    let roles = roles(&body.roles)?;
    let user = state
        .security()
        .create_user(
            &body.username,
            &body.password,
            &roles,
            &caller.name,
            &client_of(&parts),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct UserChange {
    #[serde(default)]
    roles: Option<Vec<String>>,
    #[serde(default)]
    disabled: Option<bool>,
    /// A new password; ends the user's sessions.
    #[serde(default)]
    password: Option<String>,
}

/// Change roles, disable or enable (which also lifts its login lockouts), or set a new password.
#[utoipa::path(patch, path = "/api/v1/users/{username}", tag = "users", request_body = UserChange,
    params(("username" = String, Path)),
    responses((status = 200, description = "The user", body = ref("#/components/schemas/User"))))]
async fn update_user(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(username): Path<String>,
    parts: Parts,
    JsonBody(body): JsonBody<UserChange>,
) -> Result<Json<User>> {
    if caller.account.as_deref() == Some(username.as_str())
        && (body.roles.is_some() || body.disabled.is_some())
    {
        return Err(Error::request(
            StatusCode::CONFLICT,
            ErrorCode::Conflict,
            "you cannot change the roles of, or disable, your own account (a session or API key \
             of it); another administrator can",
        ));
    }
    let update = UserUpdate {
        roles: body.roles.as_deref().map(roles).transpose()?,
        disabled: body.disabled,
        password: body.password,
    };
    let user = state
        .security()
        .update_user(&username, update, &caller.name, &client_of(&parts))
        .await?;
    Ok(Json(user))
}

/// Delete a user and their sessions.
#[utoipa::path(delete, path = "/api/v1/users/{username}", tag = "users",
    params(("username" = String, Path)),
    responses((status = 204, description = "Deleted")))]
async fn delete_user(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(username): Path<String>,
    parts: Parts,
) -> Result<StatusCode> {
    if caller.account.as_deref() == Some(username.as_str()) {
        return Err(Error::request(
            StatusCode::CONFLICT,
            ErrorCode::Conflict,
            "you cannot delete your own account (a session or API key of it); another \
             administrator can",
        ));
    }
    state
        .security()
        .delete_user(&username, &caller.name, &client_of(&parts))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Live API keys (never their secrets).
#[utoipa::path(get, path = "/api/v1/auth/api-keys", tag = "auth",
    responses((status = 200, description = "API keys", body = ref("#/components/schemas/ApiKeyList"))))]
async fn list_api_keys(State(state): State<AppState>) -> Result<Json<Vec<ApiKey>>> {
    Ok(Json(state.security().list_api_keys().await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewApiKey {
    name: String,
    /// Role names, each held by the creator.
    roles: Vec<String>,
    /// Lifetime in days, at most the policy's `api_key_max_lifetime_days`.
    #[schema(minimum = 1)]
    expires_in_days: u32,
}

/// Create an API key; the answer holds its secret, shown this once.
#[utoipa::path(post, path = "/api/v1/auth/api-keys", tag = "auth", request_body = NewApiKey,
    responses((status = 201, description = "The key and its secret", body = ref("#/components/schemas/CreatedApiKey"))))]
async fn create_api_key(
    State(state): State<AppState>,
    Caller(caller): Caller,
    parts: Parts,
    JsonBody(body): JsonBody<NewApiKey>,
) -> Result<(StatusCode, Json<CreatedApiKey>)> {
    let roles = roles(&body.roles)?;
    // The key belongs to the user account behind the caller (a key made with a key belongs to
    // that key's owner): a key stays valid only while its owner exists and is enabled.
    let owner = caller.account.as_deref().unwrap_or(&caller.name);
    let created = state
        .security()
        .create_api_key(
            &body.name,
            &roles,
            body.expires_in_days,
            owner,
            &caller.roles,
            &client_of(&parts),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Revoke an API key at once.
#[utoipa::path(delete, path = "/api/v1/auth/api-keys/{id}", tag = "auth",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 204, description = "Revoked")))]
async fn revoke_api_key(
    State(state): State<AppState>,
    Caller(caller): Caller,
    IdPath(id): IdPath,
    parts: Parts,
) -> Result<StatusCode> {
    state
        .security()
        .revoke_api_key(id, &caller.name, &client_of(&parts))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
