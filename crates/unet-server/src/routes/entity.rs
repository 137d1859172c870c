//! Pieces every inventory resource shares: the change context of a request, and how a single
//! record is answered (ETag from its revision, `Location` after a create).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use unet_core::{ChangeContext, ChangeSource};
use utoipa::IntoParams;

use super::REQUEST_ID;
use super::listing::list_query;
use crate::auth::Caller;
use crate::error::{Error, ErrorCode};
use crate::extract::etag;

/// Who changes the inventory in this request (the authenticated caller, source `api`) and the
/// request id that ties the change record to the request log.
pub(crate) struct ChangeCtx(pub ChangeContext);

impl<S: Send + Sync> FromRequestParts<S> for ChangeCtx {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let Caller(principal) = Caller::from_request_parts(parts, state).await?;
        let mut ctx = ChangeContext::new(principal.name.clone(), ChangeSource::Api);
        if let Some(id) = parts.headers.get(&REQUEST_ID).and_then(|v| v.to_str().ok()) {
            ctx = ctx.with_request_id(id);
        }
        Ok(ChangeCtx(ctx))
    }
}

/// One record with its revision as ETag; `location` is set for a newly created record.
pub(crate) fn record<T: Serialize>(
    status: StatusCode,
    revision: i64,
    body: &T,
    location: Option<String>,
) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    let headers = response.headers_mut();
    if let Ok(tag) = HeaderValue::from_str(&etag(revision)) {
        headers.insert(header::ETAG, tag);
    }
    if let Some(Ok(location)) = location.map(|l| HeaderValue::from_str(&l)) {
        headers.insert(header::LOCATION, location);
    }
    response
}

/// `?cascade=true` on DELETE.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct DeleteQuery {
    /// Also delete what references the record (children, nodes, links) instead of refusing.
    #[serde(default)]
    pub cascade: Option<bool>,
}

list_query! {
    /// `limit` and `cursor` alone (history pages).
    pub(super) struct PageQuery {}
}

pub(super) fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// A stored record as JSON, to merge a patch into.
pub(crate) fn to_value<T: Serialize>(record: &T) -> Result<serde_json::Value, Error> {
    serde_json::to_value(record).map_err(|e| {
        Error::request(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            e.to_string(),
        )
    })
}
