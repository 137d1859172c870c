//! JSON over HTTP(S) for [`super::Remote`]: TLS trust, bearer token, timeouts, body limits,
//! and problem documents (`application/problem+json`) turned into [`CliError::Server`].

use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::OnceCell;
use unet_trust::Trust;

use super::Endpoint;
use crate::error::{CliError, Result};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Long enough for a large import to finish on the server.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(600);
/// The largest answer read: a whole-inventory export of a big network fits many times over.
const MAX_RESPONSE_BYTES: usize = 1 << 30;
/// Error bodies are short problem documents; more is not worth reading.
const MAX_PROBLEM_BYTES: usize = 64 * 1024;
/// The server refuses a `server.max_body_bytes` below this, so smaller bodies always fit.
const SMALLEST_BODY_LIMIT: usize = 1024;
/// Where the server says how large a body it accepts.
const LIMITS_PATH: &str = "api/v1/limits";

/// What `GET /api/v1/limits` says the server accepts.
#[derive(Debug, Clone, Copy, serde::Deserialize)]
struct ServerLimits {
    max_body_bytes: u64,
    /// Absent from a server that stores no running configurations.
    #[serde(default)]
    max_config_bytes: Option<u64>,
}

/// A JSON response: the decoded body and the headers (paging, ETag).
pub struct Reply<T> {
    pub body: T,
    pub headers: HeaderMap,
}

pub struct Api {
    endpoint: Endpoint,
    token: Option<String>,
    client: reqwest::Client,
    /// Checks the server's certificate and remembers why it refused one.
    trust: Trust,
    /// The server's limits, asked once when a body needs them; `None` when the server does not
    /// say (it then answers for itself).
    limits: OnceCell<Option<ServerLimits>>,
}

impl Api {
    /// A client for `endpoint`, sending `token` as `Authorization: Bearer` when given (refused
    /// over plain http to another machine unless the operator allowed it).
    pub fn new(endpoint: &Endpoint, token: Option<String>) -> Result<Api> {
        if token.is_some() {
            endpoint.check_secret("the API token")?;
        }
        Api::with_trust(endpoint, token, endpoint.trust()?)
    }

    /// A client that checks the server's certificate with `trust`.
    pub fn with_trust(endpoint: &Endpoint, token: Option<String>, trust: Trust) -> Result<Api> {
        let setup = |e: String| CliError::Config(format!("cannot set up the HTTP client: {e}"));
        let tls = trust.client_config().map_err(|e| setup(e.to_string()))?;
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("unet/", env!("CARGO_PKG_VERSION")))
            .tls_backend_preconfigured(tls)
            .build()
            .map_err(|e| setup(e.to_string()))?;
        Ok(Api {
            endpoint: endpoint.clone(),
            token,
            client,
            trust,
            limits: OnceCell::new(),
        })
    }

    /// `path` (such as `api/v1/nodes`) below the server URL.
    pub fn url(&self, path: &str) -> Result<Url> {
        self.endpoint
            .url()
            .join(path.trim_start_matches('/'))
            .map_err(|e| self.error(format!("invalid request path {path:?}: {e}")))
    }

    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Reply<T>> {
        self.request(Method::GET, path, query, None::<&()>, None)
            .await
    }

    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        body: &B,
    ) -> Result<Reply<T>> {
        self.request(Method::POST, path, query, Some(body), None)
            .await
    }

    /// PUT, with `If-Match` for the revision being replaced when given.
    pub async fn put<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        if_revision: Option<i64>,
    ) -> Result<Reply<T>> {
        self.request(Method::PUT, path, &[], Some(body), if_revision)
            .await
    }

    pub async fn delete(&self, path: &str, query: &[(&str, String)]) -> Result<()> {
        self.send(Method::DELETE, path, query, None::<&()>, HeaderMap::new())
            .await
            .map(drop)
    }

    /// POST of a `text/plain` body (a running configuration), refused before sending when it
    /// is larger than the server's `configs.max_bytes`; a JSON answer.
    pub async fn post_text<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        text: &str,
    ) -> Result<Reply<T>> {
        self.check_config_size(text.len()).await?;
        let mut request = self
            .client
            .post(self.url(path)?)
            .query(query)
            .header(CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(text.to_string());
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = self.dispatch(request).await?;
        let headers = response.headers().clone();
        let bytes = self.read_body(response, MAX_RESPONSE_BYTES).await?;
        let body = serde_json::from_slice(&bytes)
            .map_err(|e| self.error(format!("unexpected response to {path}: {e}")))?;
        Ok(Reply { body, headers })
    }

    /// Any method (PATCH takes a JSON merge patch) with an optional JSON body, `If-Match` for
    /// `if_revision`, and a JSON answer.
    pub async fn request<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
        if_revision: Option<i64>,
    ) -> Result<Reply<T>> {
        let headers = if_match(if_revision)?;
        let response = self.send(method, path, query, body, headers).await?;
        let headers = response.headers().clone();
        let bytes = self.read_body(response, MAX_RESPONSE_BYTES).await?;
        let body = serde_json::from_slice(&bytes)
            .map_err(|e| self.error(format!("unexpected response to {path}: {e}")))?;
        Ok(Reply { body, headers })
    }

    /// Sends one request; any status but 2xx becomes an error carrying the server's detail.
    async fn send<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
        headers: HeaderMap,
    ) -> Result<reqwest::Response> {
        let mut request = self
            .client
            .request(method, self.url(path)?)
            .headers(headers)
            .query(query);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            let bytes = serde_json::to_vec(body).map_err(|e| CliError::Render(e.to_string()))?;
            self.check_body_size(bytes.len()).await?;
            request = request.header(CONTENT_TYPE, "application/json").body(bytes);
        }
        self.dispatch(request).await
    }

    async fn dispatch(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response> {
        let response = request.send().await.map_err(|e| self.transport(e))?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status();
        let bytes = self.read_body(response, MAX_PROBLEM_BYTES).await?;
        Err(problem(status, &bytes))
    }

    /// Refuses, before sending it, a body larger than the server accepts. The server answers
    /// such a body with 413 without reading it and closes the connection; a client still
    /// writing the body would see the connection reset ("broken pipe") instead of that answer.
    async fn check_body_size(&self, len: usize) -> Result<()> {
        if len <= SMALLEST_BODY_LIMIT {
            return Ok(());
        }
        let limit = self.limits().await?.map(|l| l.max_body_bytes);
        match limit {
            Some(limit) if len as u64 > limit => Err(CliError::Server {
                status: StatusCode::PAYLOAD_TOO_LARGE.as_u16(),
                code: "payload_too_large".to_string(),
                detail: format!(
                    "the request body ({len} bytes) is larger than the server accepts \
                     (server.max_body_bytes = {limit}); nothing was sent"
                ),
                errors: Vec::new(),
            }),
            _ => Ok(()),
        }
    }

    /// Refuses, before sending it, a configuration larger than the server's
    /// `configs.max_bytes` (which the server applies instead of `server.max_body_bytes`).
    async fn check_config_size(&self, len: usize) -> Result<()> {
        if len <= SMALLEST_BODY_LIMIT {
            return Ok(());
        }
        match self.limits().await?.and_then(|l| l.max_config_bytes) {
            Some(limit) if len as u64 > limit => Err(CliError::Server {
                status: StatusCode::PAYLOAD_TOO_LARGE.as_u16(),
                code: "config_too_large".to_string(),
                detail: format!(
                    "the configuration is {len} bytes, more than the server accepts \
                     (configs.max_bytes = {limit}); nothing was sent"
                ),
                errors: Vec::new(),
            }),
            _ => Ok(()),
        }
    }

    async fn limits(&self) -> Result<Option<ServerLimits>> {
        Ok(*self.limits.get_or_try_init(|| self.server_limits()).await?)
    }

    /// `GET /api/v1/limits` (public); `None` from a server without it.
    async fn server_limits(&self) -> Result<Option<ServerLimits>> {
        let request = self.client.get(self.url(LIMITS_PATH)?);
        let response = match self.dispatch(request).await {
            Ok(response) => response,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e),
        };
        let bytes = self.read_body(response, MAX_PROBLEM_BYTES).await?;
        let limits: ServerLimits = serde_json::from_slice(&bytes)
            .map_err(|e| self.error(format!("unexpected response to {LIMITS_PATH}: {e}")))?;
        Ok(Some(limits))
    }

    /// The body, refused once it grows past `limit` bytes.
    async fn read_body(&self, mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>> {
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.transport(e))? {
            if body.len() + chunk.len() > limit {
                return Err(self.error(format!("the answer is larger than {limit} bytes")));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn transport(&self, e: reqwest::Error) -> CliError {
        if let Some(seen) = self.trust.last_seen().filter(|s| s.refusal.is_some()) {
            return self.endpoint.untrusted(&seen);
        }
        let url = self.endpoint.shown();
        if e.is_connect() {
            return CliError::Unreachable {
                url,
                reason: root_cause(&e),
            };
        }
        if e.is_timeout() {
            return self.error("no answer in time (the request timed out)".to_string());
        }
        self.error(root_cause(&e))
    }

    fn error(&self, message: String) -> CliError {
        CliError::Http {
            url: self.endpoint.shown(),
            message,
        }
    }
}

fn if_match(revision: Option<i64>) -> Result<HeaderMap> {
    let mut headers = HeaderMap::new();
    if let Some(revision) = revision {
        let value = HeaderValue::from_str(&format!("\"{revision}\""))
            .map_err(|e| CliError::Config(format!("revision {revision}: {e}")))?;
        headers.insert(reqwest::header::IF_MATCH, value);
    }
    Ok(headers)
}

/// The innermost error message ("Connection refused (os error 111)" → "connection refused").
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    if let Some(io) = cause.downcast_ref::<std::io::Error>() {
        return match io.kind() {
            std::io::ErrorKind::ConnectionRefused => "connection refused".to_string(),
            _ => io.to_string(),
        };
    }
    cause.to_string()
}

/// A non-2xx answer as an error: the problem document's detail and field errors, or the
/// status alone when the body is not a problem document.
fn problem(status: StatusCode, body: &[u8]) -> CliError {
    #[derive(serde::Deserialize)]
    struct FieldError {
        field: String,
        message: String,
    }
    #[derive(serde::Deserialize)]
    struct Problem {
        #[serde(default)]
        code: String,
        #[serde(default)]
        detail: String,
        #[serde(default)]
        errors: Vec<FieldError>,
    }
    let parsed: Option<Problem> = serde_json::from_slice(body).ok();
    let (code, detail, errors) = match parsed {
        Some(p) => (
            p.code,
            p.detail,
            p.errors.into_iter().map(|e| (e.field, e.message)).collect(),
        ),
        None => (String::new(), String::new(), Vec::new()),
    };
    let detail = match (detail.is_empty(), status) {
        (false, _) => detail,
        (true, StatusCode::NOT_FOUND) => "not found".to_string(),
        (true, _) => format!("the server answered {status}"),
    };
    CliError::Server {
        status: status.as_u16(),
        code,
        detail,
        errors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_documents_keep_detail_and_fields() {
        let body = br#"{"type":"urn:unet:problem:validation_failed","title":"Unprocessable Entity",
            "status":422,"detail":"name: required","code":"validation_failed",
            "errors":[{"field":"name","message":"required"},{"field":"vendor","message":"unknown"}]}"#;
        let e = problem(StatusCode::UNPROCESSABLE_ENTITY, body);
        assert_eq!(e.to_string(), "name: required\n  vendor: unknown");
        let e = problem(StatusCode::NOT_FOUND, b"");
        assert!(e.is_not_found());
        assert_eq!(e.to_string(), "not found");
        let e = problem(StatusCode::BAD_GATEWAY, b"<html>");
        assert_eq!(e.to_string(), "the server answered 502 Bad Gateway");
    }
}
