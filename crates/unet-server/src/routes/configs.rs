//! `/api/v1/nodes/{id}/configs`: a node's stored running configurations. A push is a
//! `text/plain` body under its own size limit (`configs.max_bytes`, not
//! `server.max_body_bytes`); reading one version answers JSON or the bare text, with secrets
//! masked for callers without the operator role. Configuration content is never logged.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use unet_core::{ConfigSource, Pushed, RunningConfigInfo, Timestamp, Uuid};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::listing::parse_opt;
use crate::auth::{Access, Caller, Role, authorize};
use crate::error::{Error, ErrorCode, FieldError, Problem, Result};
use crate::extract::{IdPath, QueryParams, path_rejection};
use crate::state::AppState;

pub(super) fn router(state: &AppState) -> OpenApiRouter<AppState> {
    let max_bytes = usize::try_from(state.limits().configs.max_bytes).unwrap_or(usize::MAX);
    OpenApiRouter::new()
        .routes(routes!(list_configs, push_config))
        .routes(routes!(get_config))
        // Replaces server.max_body_bytes for these routes only.
        .layer(DefaultBodyLimit::max(max_bytes))
        .route_layer(from_fn_with_state(
            (state.clone(), Access::INVENTORY),
            authorize,
        ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct PushQuery {
    /// When the configuration was read from the device (RFC 3339); default: now.
    #[param(value_type = Option<String>, format = DateTime)]
    taken_at: Option<String>,
}

/// Store a node's running configuration (a new version only when the content changed).
#[utoipa::path(post, path = "/api/v1/nodes/{id}/configs", tag = "nodes",
    params(("id" = Uuid, Path), PushQuery),
    request_body(content = String, content_type = "text/plain",
        description = "The configuration as the device prints it, UTF-8"),
    responses(
        (status = 201, description = "A new version was stored", body = Pushed,
            headers(("Location" = String, description = "URL of the new version"))),
        (status = 200, description = "Same content as the latest version: nothing stored",
            body = Pushed),
        (status = 413, description = "Larger than `configs.max_bytes`", body = Problem,
            content_type = "application/problem+json"),
        (status = 415, description = "Not `text/plain`", body = Problem,
            content_type = "application/problem+json"),
        (status = 422, description = "Not UTF-8, or a NUL byte", body = Problem,
            content_type = "application/problem+json")))]
async fn push_config(
    State(state): State<AppState>,
    IdPath(id): IdPath,
    QueryParams(query): QueryParams<PushQuery>,
    ConfigBody(bytes): ConfigBody,
) -> Result<Response> {
    let taken_at: Option<Timestamp> = parse_opt(query.taken_at.as_deref())?;
    let content = unet_core::config_text(&bytes).map_err(|e| {
        Error::invalid_field(ErrorCode::InvalidConfigText, e.field(), e.to_string())
    })?;
    let pushed = crate::templates::push_and_check(
        state.templates(),
        state.store(),
        id,
        ConfigSource::Upload,
        taken_at,
        content,
        &state.limits().configs.retention(),
    )
    .await?;
    let mut response = axum::Json(&pushed).into_response();
    if pushed.created {
        *response.status_mut() = StatusCode::CREATED;
        let url = format!("/api/v1/nodes/{id}/configs/{}", pushed.info.version);
        if let Ok(value) = HeaderValue::from_str(&url) {
            response.headers_mut().insert(header::LOCATION, value);
        }
    }
    Ok(response)
}

/// The body of a push: `text/plain` (UTF-8 if a charset is given), within `configs.max_bytes`.
struct ConfigBody(Bytes);

impl FromRequest<AppState> for ConfigBody {
    type Rejection = Error;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Error> {
        check_text_plain(req.headers())?;
        let limit = state.limits().configs;
        // A declared length is checked before anything is read, to name the size.
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if let Some(size) = declared {
            limit.check_size(size).map_err(too_large)?;
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| body_rejection(e, limit.max_bytes))?;
        Ok(ConfigBody(bytes))
    }
}

fn too_large(detail: String) -> Error {
    Error::request(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::ConfigTooLarge,
        format!("{detail}; nothing was stored"),
    )
}

fn body_rejection(e: BytesRejection, max_bytes: u64) -> Error {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(format!(
            "the configuration is larger than configs.max_bytes ({max_bytes} bytes) allows"
        ))
    } else {
        Error::request(
            StatusCode::BAD_REQUEST,
            ErrorCode::UnreadableBody,
            e.body_text(),
        )
    }
}

fn check_text_plain(headers: &HeaderMap) -> Result<()> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut parts = content_type.split(';').map(str::trim);
    let essence = parts.next().unwrap_or("");
    let charset_ok = parts
        .filter_map(|p| p.split_once('='))
        .filter(|(name, _)| name.trim().eq_ignore_ascii_case("charset"))
        .all(|(_, value)| {
            let value = value.trim().trim_matches('"');
            value.eq_ignore_ascii_case("utf-8") || value.eq_ignore_ascii_case("us-ascii")
        });
    if essence.eq_ignore_ascii_case("text/plain") && charset_ok {
        return Ok(());
    }
    Err(Error::request(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::UnsupportedMediaType,
        format!(
            "expected the configuration as the body with Content-Type: text/plain (UTF-8), \
             got {content_type:?}; with curl: -H 'Content-Type: text/plain' --data-binary @FILE"
        ),
    ))
}

/// List a node's stored running configurations, newest first (metadata only).
#[utoipa::path(get, path = "/api/v1/nodes/{id}/configs", tag = "nodes",
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "The stored versions, newest first",
        body = [RunningConfigInfo])))]
async fn list_configs(State(state): State<AppState>, IdPath(id): IdPath) -> Result<Response> {
    let versions = state.store().running_configs(id).await?;
    Ok(axum::Json(versions).into_response())
}

/// `{id}` and `{version}` (a number from 1, or `latest`).
struct VersionPath {
    id: Uuid,
    version: Option<u64>,
}

impl<S: Send + Sync> FromRequestParts<S> for VersionPath {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let Path((id, version)) = Path::<(Uuid, String)>::from_request_parts(parts, state)
            .await
            .map_err(path_rejection)?;
        let version = match version.as_str() {
            "latest" => None,
            text => Some(parse_version(text)?),
        };
        Ok(VersionPath { id, version })
    }
}

fn parse_version(text: &str) -> Result<u64> {
    text.parse::<u64>().ok().filter(|&v| v >= 1).ok_or_else(|| {
        let message = format!("expected a version number from 1 or `latest`, got {text:?}");
        Error::Request {
            status: StatusCode::BAD_REQUEST,
            code: ErrorCode::InvalidConfigVersion,
            detail: format!("version: {message}"),
            errors: vec![FieldError {
                field: "version".to_string(),
                message,
            }],
        }
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ShowQuery {
    /// `true` masks secrets whatever the caller's role (callers without the operator role
    /// always get masked content).
    masked: Option<bool>,
}

/// One stored running configuration with its content.
#[derive(Debug, Serialize, ToSchema)]
struct ConfigAnswer<'a> {
    info: &'a RunningConfigInfo,
    content: &'a str,
    /// Whether secrets in `content` were masked.
    masked: bool,
}

/// Get one stored running configuration (`latest` or a version number): JSON, or the bare
/// text with `Accept: text/plain`. Masked for callers without the operator role.
#[utoipa::path(get, path = "/api/v1/nodes/{id}/configs/{version}", tag = "nodes",
    params(("id" = Uuid, Path),
        ("version" = String, Path, pattern = "^(latest|[1-9][0-9]{0,18})$",
            description = "A version number, or `latest`"),
        ShowQuery),
    responses((status = 200, description = "The configuration", content(
            (ConfigAnswer = "application/json"),
            (String = "text/plain")),
        headers(
            ("X-Config-Version" = u64, description = "The version answered"),
            ("X-Config-Masked" = bool, description = "Whether secrets were masked"),
            ("ETag" = String, description = "The SHA-256 of the stored content"))),
        (status = 400, description = "A version that is neither a number nor `latest`",
            body = Problem, content_type = "application/problem+json")))]
async fn get_config(
    State(state): State<AppState>,
    Caller(caller): Caller,
    VersionPath { id, version }: VersionPath,
    QueryParams(query): QueryParams<ShowQuery>,
    headers: HeaderMap,
) -> Result<Response> {
    let store = state.store();
    let config = store.running_config(id, version).await?;
    let masked = query.masked.unwrap_or(false) || !caller.may(Role::Operator);
    let content = if masked {
        let platform = store.get_node(id).await?.platform;
        unet_config::mask_secrets(platform, &config.content).into_owned()
    } else {
        config.content
    };
    let info = &config.info;
    let mut response = if wants_text(&headers) {
        (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            content,
        )
            .into_response()
    } else {
        axum::Json(ConfigAnswer {
            info,
            content: &content,
            masked,
        })
        .into_response()
    };
    let out = response.headers_mut();
    out.insert("x-config-version", HeaderValue::from(info.version));
    out.insert(
        "x-config-masked",
        HeaderValue::from_static(if masked { "true" } else { "false" }),
    );
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", info.sha256)) {
        out.insert(header::ETAG, etag);
    }
    Ok(response)
}

/// JSON unless `Accept` names `text/plain` before any JSON type.
fn wants_text(headers: &HeaderMap) -> bool {
    let accept = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','));
    for media in accept {
        let essence = media.split(';').next().unwrap_or("").trim();
        if essence.eq_ignore_ascii_case("text/plain") {
            return true;
        }
        if essence.eq_ignore_ascii_case("application/json") {
            return false;
        }
    }
    false
}
