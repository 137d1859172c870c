//! How every list endpoint answers: a bare JSON array, `X-Total-Count`, and a
//! `Link: <…?cursor=…>; rel="next"` header while more items follow.

use std::str::FromStr;

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use unet_core::{CoreError, Page, PageRequest, Uuid};

use crate::error::{Error, ErrorCode, FieldError};

pub(super) const TOTAL_COUNT: HeaderName = HeaderName::from_static("x-total-count");

/// A query value that failed to parse, as a 400 problem naming the parameter.
pub(super) fn bad_query(e: CoreError) -> Error {
    let field = e.field().to_string();
    Error::Request {
        status: StatusCode::BAD_REQUEST,
        code: ErrorCode::InvalidQuery,
        detail: e.to_string(),
        errors: vec![FieldError {
            field,
            message: e.to_string(),
        }],
    }
}

/// `limit` and `cursor` as the store takes them.
pub(super) fn page_request(
    limit: Option<&str>,
    cursor: Option<&str>,
) -> Result<PageRequest, Error> {
    let limit = match limit {
        None => PageRequest::default().limit,
        Some(text) => text.trim().parse::<u32>().map_err(|_| {
            bad_query(CoreError::invalid(
                "limit",
                "an integer from 1 to 1000",
                text,
            ))
        })?,
    };
    // `cursor=` (empty) is the first page, as when it is absent.
    let cursor = cursor.filter(|c| !c.is_empty()).map(str::to_string);
    PageRequest::new(limit, cursor).map_err(bad_query)
}

/// An optional query value parsed with `FromStr` (enums of `unet-core` name their field).
pub(super) fn parse_opt<T: FromStr<Err = CoreError>>(
    text: Option<&str>,
) -> Result<Option<T>, Error> {
    text.map(str::parse).transpose().map_err(bad_query)
}

pub(super) fn parse_uuid(field: &'static str, text: Option<&str>) -> Result<Option<Uuid>, Error> {
    text.map(|t| {
        Uuid::parse_str(t.trim()).map_err(|_| bad_query(CoreError::invalid(field, "a UUID", t)))
    })
    .transpose()
}

/// The list response. `query` is the request's query with `cursor` already set to the next
/// page's cursor, so that the `Link` header repeats every filter.
pub(super) fn list_response<T: Serialize, Q: Serialize>(
    path: &str,
    page: Page<T>,
    next_query: impl FnOnce(String) -> Q,
) -> Result<Response, Error> {
    let mut response = axum::Json(&page.items).into_response();
    let headers = response.headers_mut();
    headers.insert(TOTAL_COUNT, HeaderValue::from(page.total));
    if let Some(cursor) = page.next_cursor {
        let query = serde_urlencoded::to_string(next_query(cursor)).map_err(|e| {
            Error::request(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                e.to_string(),
            )
        })?;
        let link = format!("<{path}?{query}>; rel=\"next\"");
        if let Ok(value) = HeaderValue::from_str(&link) {
            headers.insert(header::LINK, value);
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Q {
        status: Option<&'static str>,
        cursor: String,
    }

    #[test]
    fn next_link_repeats_the_filters() {
        let page = Page {
            items: vec![1, 2],
            next_cursor: Some("abc=".to_string()),
            total: 5,
        };
        let r = list_response("/api/v1/nodes", page, |cursor| Q {
            status: Some("active"),
            cursor,
        })
        .unwrap();
        assert_eq!(r.headers()[TOTAL_COUNT], "5");
        assert_eq!(
            r.headers()[header::LINK],
            "</api/v1/nodes?status=active&cursor=abc%3D>; rel=\"next\""
        );
    }

    #[test]
    fn limits_are_checked() {
        assert_eq!(page_request(None, None).unwrap().limit, 100);
        assert!(page_request(Some("0"), None).is_err());
        assert!(page_request(Some("1001"), None).is_err());
        assert!(page_request(Some("x"), None).is_err());
    }
}
