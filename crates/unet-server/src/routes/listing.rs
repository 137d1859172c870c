//! How every list endpoint answers: a bare JSON array, `X-Total-Count`, and a
//! `Link: <…?cursor=…>; rel="next"` header while more items follow.

use std::str::FromStr;

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use unet_core::{CoreError, Page, PageRequest, Uuid};
use unet_store::Store;

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

/// The `limit` of a fleet-wide status listing: 1 to 10000, default 1000.
pub(super) fn fleet_limit(text: Option<&str>) -> Result<u32, Error> {
    match text {
        None => Ok(1000),
        Some(text) => match text.parse::<u32>() {
            Ok(n) if (1..=10_000).contains(&n) => Ok(n),
            _ => Err(bad_query(CoreError::invalid(
                "limit",
                "an integer from 1 to 10000",
                text,
            ))),
        },
    }
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

/// `limit` and `cursor` of a query string (implemented by [`list_query!`]).
pub(super) trait Paged: Serialize + Sized {
    /// `limit` and `cursor` as sent.
    fn paging(&self) -> (Option<&str>, Option<&str>);

    /// The same query asking for the page that starts at `cursor`.
    fn with_cursor(self, cursor: String) -> Self;

    /// The page the query asks for.
    fn page(&self) -> Result<PageRequest, Error> {
        let (limit, cursor) = self.paging();
        page_request(limit, cursor)
    }
}

/// A record type's list query: its filters select what [`list`] answers.
pub(super) trait ListQuery: Paged {
    type Item: Serialize;

    /// One page of the records the filters select (a filter naming a record by name is
    /// resolved here).
    fn fetch(
        &self,
        store: &Store,
        page: &PageRequest,
    ) -> impl Future<Output = Result<Page<Self::Item>, Error>> + Send;
}

/// The one list handler: page, fetch, answer with the headers of [`list_response`].
pub(super) async fn list<Q: ListQuery>(
    store: &Store,
    path: &str,
    query: Q,
) -> Result<Response, Error> {
    let page = query.page()?;
    let found = query.fetch(store, &page).await?;
    list_response(path, found, |cursor| query.with_cursor(cursor))
}

/// Declares a list query struct: the given filter fields, then `limit` and `cursor`, refusing
/// unknown parameters, documented for OpenAPI, with its [`Paged`] methods. With
/// `lists Item by store_method, filter(query) { … }` (`filter(query, store)` when the
/// block looks records up) it is also the [`ListQuery`] whose
/// block turns the query into the store filter.
macro_rules! list_query {
    (
        $(#[$($attr:tt)*])*
        $vis:vis struct $name:ident {
            $($(#[$($field_attr:tt)*])* $field:ident: $ty:ty,)*
        }
        lists $item:ident by $store_list:ident, filter($query:ident $(, $store:ident)?) $filter:block
    ) => {
        $crate::routes::listing::list_query! {
            $(#[$($attr)*])*
            $vis struct $name {
                $($(#[$($field_attr)*])* $field: $ty,)*
            }
        }

        impl $crate::routes::listing::ListQuery for $name {
            type Item = $item;

            async fn fetch(
                &self,
                store: &unet_store::Store,
                page: &unet_core::PageRequest,
            ) -> $crate::error::Result<unet_core::Page<$item>> {
                let $query = self;
                $(let $store = store;)?
                let filter = $filter;
                Ok(store.$store_list(&filter, page).await?)
            }
        }
    };
    (
        $(#[$($attr:tt)*])*
        $vis:vis struct $name:ident {
            $($(#[$($field_attr:tt)*])* $field:ident: $ty:ty,)*
        }
    ) => {
        $(#[$($attr)*])*
        #[derive(Debug, Default, Clone, serde::Deserialize, serde::Serialize, utoipa::IntoParams)]
        #[serde(deny_unknown_fields)]
        #[into_params(parameter_in = Query)]
        $vis struct $name {
            $($(#[$($field_attr)*])* $field: $ty,)*
            /// Page size, 1 to 1000 (default 100).
            #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub limit: Option<String>,
            /// The cursor of the previous page's `Link` header.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub cursor: Option<String>,
        }

        impl $crate::routes::listing::Paged for $name {
            fn paging(&self) -> (Option<&str>, Option<&str>) {
                (self.limit.as_deref(), self.cursor.as_deref())
            }

            fn with_cursor(self, cursor: String) -> Self {
                $name {
                    cursor: Some(cursor),
                    ..self
                }
            }
        }
    };
}

pub(super) use list_query;

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
