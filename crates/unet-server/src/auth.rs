//! Where authentication and authorisation plug in. Every route group declares the role it
//! needs in one place (an [`Access`] passed to [`authorize`] in the group's `router()`); the
//! [`Authenticator`] in the application state decides who is calling: [`TokenAuthenticator`]
//! (the default), or [`Anonymous`] with `[auth] required = false`.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use serde_json::json;
use unet_auth::{AuthError, Client, Credential, EventType, Security};

use crate::error::{Error, ErrorCode};

pub use unet_auth::Role;

/// Who is calling, as established by the [`Authenticator`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// User or API key name; recorded as the actor of every change.
    pub name: String,
    pub roles: Vec<Role>,
    /// The user account behind the credential: the session's user or the API key's creator
    /// (`None` when authentication is off). Guards against a caller removing itself.
    pub account: Option<String>,
}

impl Principal {
    pub fn may(&self, required: Role) -> bool {
        unet_auth::may(&self.roles, required)
    }
}

pub type AuthFuture<'a> = Pin<Box<dyn Future<Output = Result<Principal, Error>> + Send + 'a>>;

/// Establishes the caller of a request from its headers (bearer token, API key, …).
pub trait Authenticator: Send + Sync + 'static {
    fn authenticate<'a>(&'a self, parts: &'a Parts) -> AuthFuture<'a>;
}

/// The authenticator of `[auth] required = false` (a lab on loopback): everyone is
/// `anonymous` with every role.
#[derive(Debug, Clone, Copy, Default)]
pub struct Anonymous;

impl Authenticator for Anonymous {
    fn authenticate<'a>(&'a self, _parts: &'a Parts) -> AuthFuture<'a> {
        Box::pin(async {
            Ok(Principal {
                name: "anonymous".to_string(),
                roles: vec![Role::Admin],
                account: None,
            })
        })
    }
}

/// The authenticator once users exist: `Authorization: Bearer <session token or API key>`.
pub struct TokenAuthenticator {
    security: Arc<Security>,
}

impl TokenAuthenticator {
    pub fn new(security: Arc<Security>) -> Self {
        TokenAuthenticator { security }
    }
}

impl Authenticator for TokenAuthenticator {
    fn authenticate<'a>(&'a self, parts: &'a Parts) -> AuthFuture<'a> {
        Box::pin(async move {
            let Some(bearer) = bearer_token(parts) else {
                return Err(Error::request(
                    StatusCode::UNAUTHORIZED,
                    ErrorCode::Unauthenticated,
                    "this endpoint needs `Authorization: Bearer <token or API key>`; \
                     get a token from POST /api/v1/auth/login",
                ));
            };
            let identity = self
                .security
                .authenticate(bearer, &client_of(parts))
                .await?;
            let account = match identity.credential {
                Credential::Session { .. } => identity.name.clone(),
                Credential::ApiKey { created_by, .. } => created_by,
            };
            Ok(Principal {
                name: identity.name,
                roles: identity.roles,
                account: Some(account),
            })
        })
    }
}

/// The bearer credential of a request, if any.
pub fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Source address (the TCP peer, when the server records it) and user agent of a request.
pub fn client_of(parts: &Parts) -> Client {
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.chars().take(256).collect());
    Client {
        source_ip: parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string()),
        user_agent,
    }
}

/// A refusal of the security service as a response, with `Retry-After` when the address's budget is spent.
pub fn refusal(e: AuthError) -> Response {
    let retry_after = match e {
        AuthError::RateLimited { retry_after_secs } => Some(retry_after_secs),
        _ => None,
    };
    let mut response = Error::from(e).into_response();
    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// The HTTP answer for a refusal of the security service.
impl From<AuthError> for Error {
    fn from(e: AuthError) -> Error {
        let detail = e.to_string();
        match e {
            AuthError::InvalidCredentials => Error::request(
                StatusCode::UNAUTHORIZED,
                ErrorCode::InvalidCredentials,
                detail,
            ),
            AuthError::Unauthenticated(_) => {
                Error::request(StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated, detail)
            }
            AuthError::RateLimited { .. } => Error::request(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimited,
                detail,
            ),
            AuthError::Forbidden(_) => {
                Error::request(StatusCode::FORBIDDEN, ErrorCode::Forbidden, detail)
            }
            AuthError::Invalid { field, message } => {
                Error::invalid_field(ErrorCode::ValidationFailed, field, message)
            }
            AuthError::NotFound(_) => {
                Error::request(StatusCode::NOT_FOUND, ErrorCode::NotFound, detail)
            }
            AuthError::Store(store) => Error::Store(store),
            AuthError::Hashing(_) | AuthError::Io { .. } => {
                Error::Internal(format!("security service failure: {detail}"))
            }
        }
    }
}

/// The role a route group needs for reading (GET, HEAD) and for changing (everything else).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    pub read: Role,
    pub write: Role,
}

impl Access {
    /// Inventory: viewers read, operators change.
    pub const INVENTORY: Access = Access {
        read: Role::Viewer,
        write: Role::Operator,
    };

    /// Any signed-in caller (every role includes viewing): `auth/me`, `auth/logout`.
    pub const SIGNED_IN: Access = Access {
        read: Role::Viewer,
        write: Role::Viewer,
    };

    /// Users, API keys, security events and policies: auditors read, admins change.
    pub const SECURITY: Access = Access {
        read: Role::Auditor,
        write: Role::Admin,
    };

    pub fn required(&self, method: &Method) -> Role {
        if method == Method::GET || method == Method::HEAD {
            self.read
        } else {
            self.write
        }
    }
}

/// What [`authorize`] needs of the application state: who the caller is, and where a refusal
/// is recorded.
pub trait Guard: Clone + Send + Sync + 'static {
    fn authenticator(&self) -> &dyn Authenticator;
    fn security(&self) -> &Security;
}

/// Middleware for a route group: authenticates, checks the group's [`Access`], and leaves the
/// [`Principal`] in the request for handlers.
pub async fn authorize<S: Guard>(
    State((state, access)): State<(S, Access)>,
    request: Request,
    next: Next,
) -> Result<Response, Error> {
    let (mut parts, body) = request.into_parts();
    let principal = state.authenticator().authenticate(&parts).await?;
    let required = access.required(&parts.method);
    if !principal.may(required) {
        let client = client_of(&parts);
        let detail = json!({"method": parts.method.as_str(), "path": parts.uri.path(), "required": required});
        state
            .security()
            .record(
                EventType::PermissionDenied,
                Some(&principal.name),
                &client,
                detail,
            )
            .await?;
        return Err(Error::request(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            format!("this request needs the {required} role"),
        ));
    }
    parts.extensions.insert(Arc::new(principal));
    Ok(next.run(Request::from_parts(parts, body)).await)
}

/// The caller of an authorised request (see [`authorize`]).
pub struct Caller(pub Arc<Principal>);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Error> {
        parts
            .extensions
            .get::<Arc<Principal>>()
            .cloned()
            .map(Caller)
            .ok_or_else(|| {
                Error::request(
                    StatusCode::UNAUTHORIZED,
                    ErrorCode::Unauthenticated,
                    "this endpoint needs an authenticated caller",
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_splits_reads_from_writes() {
        assert_eq!(Access::INVENTORY.required(&Method::GET), Role::Viewer);
        assert_eq!(Access::INVENTORY.required(&Method::PATCH), Role::Operator);
    }
}
