//! Request extractors whose every rejection is a problem document: JSON bodies (content type,
//! size, syntax, unknown fields, wrong types), UUIDs in the path, query strings, `If-Match`.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use unet_core::Uuid;

use crate::error::{Error, ErrorCode, FieldError};
use crate::objects_only::ObjectsOnly;

/// A JSON request body (`application/json`, or any `+json` type such as
/// `application/merge-patch+json`).
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if essence != "application/json" && !essence.ends_with("+json") {
            return Err(Error::request(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedMediaType,
                format!(
                    "expected a JSON body (Content-Type: application/json), got {content_type:?}"
                ),
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(body_rejection)?;
        parse_json(&bytes).map(JsonBody)
    }
}

fn body_rejection(e: BytesRejection) -> Error {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Error::request(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            "the request body is larger than the server accepts (server.max_body_bytes)",
        )
    } else {
        Error::request(
            StatusCode::BAD_REQUEST,
            ErrorCode::UnreadableBody,
            e.body_text(),
        )
    }
}

/// Parses a body, naming the offending field: syntax errors are `malformed_json` (400), an
/// unknown field is `unknown_field` (422), a value of the wrong type is `invalid_field` (422).
/// Text containing NUL is refused on every backend (PostgreSQL cannot store it). Every request
/// body of the API is a JSON object, and so is every struct inside it (see [`ObjectsOnly`]).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    if has_nul_escape(bytes) {
        return Err(Error::invalid_field(
            ErrorCode::InvalidField,
            ".",
            "text may not contain the NUL character (\\u0000)",
        ));
    }
    if !starts_object(bytes) {
        serde_json::from_slice::<serde::de::IgnoredAny>(bytes).map_err(|e| json_error(".", &e))?;
        return Err(Error::invalid_field(
            ErrorCode::InvalidField,
            ".",
            "expected a JSON object as the request body",
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed: Result<T, _> = serde_path_to_error::deserialize(ObjectsOnly(&mut de));
    let value = match parsed {
        Ok(v) => v,
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            return Err(json_error(&path, &inner));
        }
    };
    de.end().map_err(|e| json_error(".", &e))?;
    Ok(value)
}

/// A body read as JSON whatever its `Content-Type` (the runbook's curl commands send none):
/// anything but a JSON object that reads as `T` is 400 `invalid_json`, with `expected` (the
/// shape the endpoint takes) and where the body went wrong.
pub fn parse_untyped_body<T: DeserializeOwned>(bytes: &[u8], expected: &str) -> Result<T, Error> {
    let refuse = |why: String| {
        Error::request(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidJson,
            format!("expected {expected}: {why}"),
        )
    };
    if !starts_object(bytes) {
        return Err(refuse("the body is not a JSON object".to_string()));
    }
    serde_json::from_slice(bytes)
        .map_err(|e| refuse(format!("at line {}, column {}: {e}", e.line(), e.column())))
}

/// Reads an already parsed JSON value as `T`, with the same field-naming errors as a body.
pub fn value_into<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, Error> {
    serde_path_to_error::deserialize(ObjectsOnly(value)).map_err(|e| {
        let path = e.path().to_string();
        json_error(&path, &e.into_inner())
    })
}

fn json_error(path: &str, e: &serde_json::Error) -> Error {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => Error::request(
            StatusCode::BAD_REQUEST,
            ErrorCode::MalformedJson,
            format!("the body is not valid JSON: {e}"),
        ),
        Category::Data => {
            let message = e.to_string();
            match unknown_field(&message) {
                // serde_path_to_error's path already ends with the unknown field's name.
                Some(field) => {
                    let field = if path == "." { field } else { path };
                    Error::invalid_field(ErrorCode::UnknownField, field, strip_position(&message))
                }
                None => {
                    Error::invalid_field(ErrorCode::InvalidField, path, strip_position(&message))
                }
            }
        }
    }
}

/// Whether the first character of a body (after white space) opens a JSON object.
fn starts_object(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{')
}

/// Whether a JSON document holds `\u0000` inside a string (an escape, not an escaped backslash
/// followed by `u0000`). Raw NUL bytes are already invalid JSON.
fn has_nul_escape(bytes: &[u8]) -> bool {
    const ESCAPE: &[u8] = b"u0000";
    bytes.windows(ESCAPE.len()).enumerate().any(|(i, w)| {
        w == ESCAPE && {
            let backslashes = bytes[..i].iter().rev().take_while(|b| **b == b'\\').count();
            backslashes % 2 == 1
        }
    })
}

/// The field named by serde's "unknown field `x`, expected …".
fn unknown_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.split('`').next()
}

/// serde_json appends " at line 1 column 42"; the field name already says where.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// The `{id}` segment of a path, which must be a UUID.
pub struct IdPath(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        axum::extract::Path::<Uuid>::from_request_parts(parts, state)
            .await
            .map(|p| IdPath(p.0))
            .map_err(path_rejection)
    }
}

pub(crate) fn path_rejection(e: PathRejection) -> Error {
    Error::Request {
        status: StatusCode::BAD_REQUEST,
        code: ErrorCode::InvalidUuid,
        detail: format!("the id in the path must be a UUID: {}", e.body_text()),
        errors: vec![FieldError {
            field: "id".to_string(),
            message: "expected a UUID such as 2f1e9d1c-0c55-4a1b-9a7e-3b1c2d4e5f60".to_string(),
        }],
    }
}

/// A query string; unknown parameters are refused so that a misspelt filter cannot silently
/// return everything.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        let raw = parts.uri.query().unwrap_or("");
        if raw.to_ascii_lowercase().contains("%00") {
            return Err(Error::request(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidQuery,
                "query values may not contain the NUL character (%00)",
            ));
        }
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| QueryParams(q.0))
            .map_err(query_rejection)
    }
}

fn query_rejection(e: QueryRejection) -> Error {
    let text = e.body_text();
    let message = text
        .strip_prefix("Failed to deserialize query string: ")
        .unwrap_or(&text)
        .to_string();
    // axum reports `<path>: <serde message>`; the path names the parameter.
    let field = match message.split_once(": ") {
        Some((path, rest)) if unknown_field(rest).is_some() => path.to_string(),
        _ => "query".to_string(),
    };
    Error::Request {
        status: StatusCode::BAD_REQUEST,
        code: ErrorCode::InvalidQuery,
        detail: format!("invalid query string: {message}"),
        errors: vec![FieldError { field, message }],
    }
}

/// `If-Match` (RFC 9110 §13.1.1): `*`, or a list of entity tags. This API's tags are
/// `"<revision>"` (also accepted weak, `W/"3"`, or as the bare number `3` that scripts copy
/// from a record's `revision`); a well-formed tag of any other spelling names no revision and
/// matches no record (412). Only a header that is not an entity-tag list is malformed (400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    /// No header, or `*`: the write is unconditional.
    Any,
    /// The revisions the listed tags name (possibly none), and the header as sent.
    Revisions { revisions: Vec<i64>, header: String },
}

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Error> {
        let Some(value) = parts.headers.get(header::IF_MATCH) else {
            return Ok(IfMatch::Any);
        };
        IfMatch::parse(value.as_bytes()).ok_or_else(|| {
            let text = String::from_utf8_lossy(value.as_bytes());
            Error::Request {
                status: StatusCode::BAD_REQUEST,
                code: ErrorCode::InvalidHeader,
                detail: format!(
                    "If-Match must be * or a list of entity tags such as \"3\"; got {text:?}"
                ),
                errors: vec![FieldError {
                    field: "If-Match".to_string(),
                    message: "expected * or entity tags such as \"3\"".to_string(),
                }],
            }
        })
    }
}

impl IfMatch {
    /// Exactly what [`IF_MATCH_PATTERN`] describes; `None` for anything else.
    pub fn parse(value: &[u8]) -> Option<IfMatch> {
        let text = trim_ows(value);
        if text == b"*" {
            return Some(IfMatch::Any);
        }
        let mut revisions = Vec::new();
        if is_revision(text) {
            revisions.push(revision(text)?);
        } else {
            // Tag by tag: an opaque tag may itself hold a comma.
            let mut rest = text;
            loop {
                let tag = rest.strip_prefix(b"W/").unwrap_or(rest);
                let quoted = tag.strip_prefix(b"\"")?;
                let end = quoted.iter().position(|b| *b == b'"')?;
                let opaque = &quoted[..end];
                // etagc: any visible character but the double quote (RFC 9110 §8.8.3).
                if !opaque.iter().all(|b| matches!(b, 0x21 | 0x23..=0x7e)) {
                    return None;
                }
                if is_revision(opaque) {
                    revisions.push(revision(opaque)?);
                }
                rest = trim_ows(&quoted[end + 1..]);
                if rest.is_empty() {
                    break;
                }
                rest = trim_ows(rest.strip_prefix(b",")?);
            }
        }
        revisions.sort_unstable();
        revisions.dedup();
        Some(IfMatch::Revisions {
            revisions,
            header: String::from_utf8_lossy(text).into_owned(),
        })
    }

    /// The revision the store must find for the write to happen: none for `Any`, the one the
    /// header names, or — when it names several or none — the current revision (read with
    /// `current`, only then) if it is listed; otherwise the precondition fails (412).
    pub async fn expected(
        self,
        current: impl Future<Output = Result<i64, Error>>,
    ) -> Result<Option<i64>, Error> {
        let (revisions, header) = match self {
            IfMatch::Any => return Ok(None),
            IfMatch::Revisions { revisions, header } => (revisions, header),
        };
        if let [only] = revisions[..] {
            return Ok(Some(only));
        }
        let current = current.await?;
        if revisions.contains(&current) {
            Ok(Some(current))
        } else {
            Err(Error::request(
                StatusCode::PRECONDITION_FAILED,
                ErrorCode::StaleRevision,
                format!(
                    "stale revision: If-Match {header} does not name the stored revision {current} \
                     (ETag \"{current}\"); fetch the record again and retry"
                ),
            ))
        }
    }
}

/// Without the optional white space (spaces and tabs) around it.
fn trim_ows(text: &[u8]) -> &[u8] {
    let ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = text.iter().position(|b| !ows(b)).unwrap_or(text.len());
    let end = text.iter().rposition(|b| !ows(b)).map_or(start, |i| i + 1);
    &text[start..end]
}

/// 1 to 18 ASCII digits: a revision as this API spells it.
fn is_revision(text: &[u8]) -> bool {
    (1..=18).contains(&text.len()) && text.iter().all(u8::is_ascii_digit)
}

fn revision(digits: &[u8]) -> Option<i64> {
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// What `If-Match` accepts, for the OpenAPI document: `*`, a bare revision, or a list of
/// entity tags (optionally weak) separated by commas.
pub const IF_MATCH_PATTERN: &str =
    "^(\\*|[0-9]{1,18}|(W/)?\"[!#-~]*\"([ \\t]*,[ \\t]*(W/)?\"[!#-~]*\")*)$";

/// The revision as an ETag header value.
pub fn etag(revision: i64) -> String {
    format!("\"{revision}\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use unet_core::NodeDraft;

    fn code(e: Error) -> (&'static str, Vec<FieldError>) {
        match e {
            Error::Request { code, errors, .. } => (code.as_str(), errors),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn if_match_reads_entity_tag_lists() {
        let revisions = |text: &str| match IfMatch::parse(text.as_bytes()) {
            Some(IfMatch::Revisions { revisions, .. }) => Some(revisions),
            Some(IfMatch::Any) => Some(vec![-1]),
            None => None,
        };
        assert_eq!(revisions("*"), Some(vec![-1]));
        assert_eq!(revisions("\"3\""), Some(vec![3]));
        assert_eq!(revisions("W/\"3\""), Some(vec![3]));
        assert_eq!(revisions("3"), Some(vec![3]));
        assert_eq!(revisions("\"stale-0\""), Some(vec![]));
        assert_eq!(revisions("\"\""), Some(vec![]));
        assert_eq!(revisions("\"4\", W/\"x\",\"2\" ,\"4\""), Some(vec![2, 4]));
        assert_eq!(revisions("\"a,1\", \"7\""), Some(vec![7]));
        let bad = [
            "",
            "yesterday",
            "\"1",
            "1\"",
            "\"a\"b\"",
            "\"1\",",
            "\"1\",,\"2\"",
            "\"1\" \"2\"",
            "W/3",
            "\"\u{7f}\"",
        ];
        for text in bad {
            assert_eq!(revisions(text), None, "{text:?}");
        }
        // The OpenAPI document says exactly what the parser takes.
        let pattern = regex::Regex::new(IF_MATCH_PATTERN).unwrap();
        let good = [
            "*",
            "3",
            "\"3\"",
            "W/\"3\"",
            "\"stale-0\"",
            "\"\"",
            "\"1\", W/\"x\",\"2\"",
            "\"a,b\",\t\"5\"",
            "W/\"k,\"\t \t,\t\"G0\" , \"2\"",
        ];
        for text in good.iter().chain(&bad) {
            assert_eq!(
                pattern.is_match(text),
                IfMatch::parse(text.as_bytes()).is_some(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn body_errors_are_classified_and_name_the_field() {
        let (c, _) = code(parse_json::<NodeDraft>(b"{\"name\": ").err().unwrap());
        assert_eq!(c, "malformed_json");
        let (c, e) = code(
            parse_json::<NodeDraft>(br#"{"name":"a","colour":"red"}"#)
                .err()
                .unwrap(),
        );
        assert_eq!((c, e[0].field.as_str()), ("unknown_field", "colour"));
        let (c, e) = code(
            parse_json::<NodeDraft>(br#"{"name":"a","location_id":"not-a-uuid"}"#)
                .err()
                .unwrap(),
        );
        assert_eq!((c, e[0].field.as_str()), ("invalid_field", "location_id"));
        let (c, _) = code(parse_json::<NodeDraft>(br#"{"name":"a"} x"#).err().unwrap());
        assert_eq!(c, "malformed_json");
        let (c, _) = code(
            parse_json::<NodeDraft>(br#"{"name":"a","model":"x\u0000"}"#)
                .err()
                .unwrap(),
        );
        assert_eq!(c, "invalid_field");
        let escaped_backslash = parse_json::<NodeDraft>(br#"{"name":"a","model":"x\\u0000"}"#);
        assert_eq!(
            escaped_backslash.unwrap().model.as_deref(),
            Some("x\\u0000")
        );
        // A nested struct given as an array is refused, naming the field.
        let (c, e) = code(
            parse_json::<unet_core::ImportDocument>(br#"{"origins": []}"#)
                .err()
                .unwrap(),
        );
        assert_eq!((c, e[0].field.as_str()), ("invalid_field", "origins"));
    }
}
