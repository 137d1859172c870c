//! The HTTP application: one module per resource, each exposing `router()`, combined here with
//! the layers every request passes through (request id, request log, timeout, body limit,
//! problem documents for whatever the router itself refuses).

mod accounts;
mod auth_api;
mod certificates;
mod changes;
mod collection;
mod configs;
mod entity;
mod exchange;
mod git;
mod headers;
mod health;
mod limits;
mod links;
mod listing;
mod locations;
mod nodes;
mod openapi;
mod policies;
mod polling;
mod record;
mod security;
mod security_schemas;
mod system;
mod templates;

use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::{ErrorCode, PROBLEM_JSON, Problem};
use crate::state::AppState;

pub use health::{DatabaseCheck, Health, HealthChecks, HealthStatus};

pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest client `X-Request-Id` kept; it is stored with every change and logged with
/// every request.
const MAX_REQUEST_ID: usize = 128;

/// The API routes and the OpenAPI document that describes them, built from the same code.
pub(crate) fn api(state: &AppState) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(openapi::base())
        .merge(health::router())
        .merge(limits::router())
        .merge(locations::router(state))
        .merge(nodes::router(state))
        .merge(configs::router(state))
        .merge(collection::router(state))
        .merge(polling::router(state))
        .merge(links::router(state))
        .merge(changes::router(state))
        .merge(exchange::router(state))
        .merge(auth_api::router(state))
        .merge(accounts::router(state))
        .merge(security::router(state))
        .merge(system::router(state))
        .merge(policies::router(state))
        .merge(certificates::router(state))
        .merge(git::router(state))
        .merge(templates::router(state))
        .split_for_parts()
}

/// The whole application for `state`.
pub fn app(state: AppState) -> Router {
    let limits = state.limits();
    let (api, doc) = api(&state);
    let doc = openapi::finish(doc);
    Router::new()
        .merge(api)
        .merge(SwaggerUi::new("/api/docs").url("/api/v1/openapi.json", doc))
        .merge(system::prometheus_router())
        .fallback(route_not_found)
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(middleware::map_response(problem_for_bare_errors))
        .layer(middleware::from_fn(headers::security_headers))
        .layer(middleware::from_fn_with_state(
            state.policies().clone(),
            crate::policies::watch_inventory,
        ))
        .layer(middleware::from_fn(log_request))
        .layer(middleware::from_fn_with_state(
            state.operations().metrics().clone(),
            crate::metrics::record,
        ))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(middleware::map_request(drop_unusable_request_id))
        .with_state(state)
}

/// A client's `X-Request-Id` is kept only when it is 1 to [`MAX_REQUEST_ID`] visible ASCII
/// characters (one value); otherwise it is removed and the next layer generates a UUID.
async fn drop_unusable_request_id(mut request: Request) -> Request {
    let mut values = request.headers().get_all(&REQUEST_ID).iter();
    let usable = match (values.next(), values.next()) {
        (Some(id), None) => {
            let bytes = id.as_bytes();
            (1..=MAX_REQUEST_ID).contains(&bytes.len()) && bytes.iter().all(u8::is_ascii_graphic)
        }
        (None, _) => true,
        (Some(_), Some(_)) => false,
    };
    if !usable {
        request.headers_mut().remove(&REQUEST_ID);
    }
    request
}

async fn route_not_found(request: Request) -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        ErrorCode::RouteNotFound,
        format!(
            "no such endpoint: {} {}",
            request.method(),
            request.uri().path()
        ),
    )
}

/// Errors produced below the handlers (405 with its `Allow` header, 408 from the timeout, 413
/// from the body limit) come without a body or with plain text; give them a problem document
/// and keep their headers. A JSON answer (a problem document, or the health report that goes
/// with a 503) is the handler's own and stays.
async fn problem_for_bare_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| {
            let v = v.as_bytes();
            v == PROBLEM_JSON.as_bytes() || v.starts_with(b"application/json")
        });
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (code, detail) = match status {
        StatusCode::METHOD_NOT_ALLOWED => (
            ErrorCode::MethodNotAllowed,
            "this endpoint does not support the request method; the Allow header lists those it does",
        ),
        StatusCode::REQUEST_TIMEOUT => (
            ErrorCode::RequestTimeout,
            "the request took longer than server.request_timeout",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            ErrorCode::PayloadTooLarge,
            "the request body is larger than the server accepts (server.max_body_bytes)",
        ),
        _ => (ErrorCode::HttpError, "the request failed"),
    };
    let (mut parts, _) = response.into_parts();
    let problem = Problem::new(status, code, detail.to_string()).into_response();
    let (problem_parts, body) = problem.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        problem_parts
            .headers
            .get(header::CONTENT_TYPE)
            .cloned()
            .unwrap_or(HeaderValue::from_static(PROBLEM_JSON)),
    );
    Response::from_parts(parts, body)
}

/// One log line per request: method, matched route, status, latency and request id.
async fn log_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "(unmatched)".to_string());
    let request_id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let retryable = response
        .extensions()
        .get::<crate::error::Retryable>()
        .is_some();
    if response.status().is_server_error() && !retryable {
        tracing::error!(target: "unet::http", %method, %route, status, latency_ms, %request_id, "request");
    } else if retryable {
        tracing::warn!(target: "unet::http", %method, %route, status, latency_ms, %request_id, "request");
    } else {
        tracing::info!(target: "unet::http", %method, %route, status, latency_ms, %request_id, "request");
    }
    response
}
