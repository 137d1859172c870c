//! Where authentication and authorisation plug in. Every route group declares the role it
//! needs in one place (an [`Access`] passed to [`authorize`] in the group's `router()`); the
//! [`Authenticator`] in the application state decides who is calling. Until users and tokens
//! exist, [`Anonymous`] lets every request through as `anonymous` with every role.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use crate::error::Error;
use crate::state::AppState;

/// Roles of PRODUCT.md §7, from least to most privileged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Viewer,
    Auditor,
    Operator,
    Admin,
}

impl Role {
    /// Whether holding `self` grants what `required` allows: admin grants everything, operator
    /// and auditor include viewing.
    pub fn grants(self, required: Role) -> bool {
        self == required
            || self == Role::Admin
            || (required == Role::Viewer && matches!(self, Role::Operator | Role::Auditor))
    }
}

/// Who is calling, as established by the [`Authenticator`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// User or API key name; recorded as the actor of every change.
    pub name: String,
    pub roles: Vec<Role>,
}

impl Principal {
    pub fn may(&self, required: Role) -> bool {
        self.roles.iter().any(|r| r.grants(required))
    }
}

pub type AuthFuture<'a> = Pin<Box<dyn Future<Output = Result<Principal, Error>> + Send + 'a>>;

/// Establishes the caller of a request from its headers (bearer token, API key, …).
pub trait Authenticator: Send + Sync + 'static {
    fn authenticate<'a>(&'a self, parts: &'a Parts) -> AuthFuture<'a>;
}

/// The authenticator before users exist: everyone is `anonymous` with every role. The server
/// binds to loopback by default while this is the authenticator.
#[derive(Debug, Clone, Copy, Default)]
pub struct Anonymous;

impl Authenticator for Anonymous {
    fn authenticate<'a>(&'a self, _parts: &'a Parts) -> AuthFuture<'a> {
        Box::pin(async {
            Ok(Principal {
                name: "anonymous".to_string(),
                roles: vec![Role::Admin],
            })
        })
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

    pub fn required(&self, method: &Method) -> Role {
        if method == Method::GET || method == Method::HEAD {
            self.read
        } else {
            self.write
        }
    }
}

/// Middleware for a route group: authenticates, checks the group's [`Access`], and leaves the
/// [`Principal`] in the request for handlers.
pub async fn authorize(
    State((state, access)): State<(AppState, Access)>,
    request: Request,
    next: Next,
) -> Result<Response, Error> {
    let (mut parts, body) = request.into_parts();
    let principal = state.authenticator().authenticate(&parts).await?;
    let required = access.required(&parts.method);
    if !principal.may(required) {
        return Err(Error::request(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("this request needs the {required:?} role"),
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
                    "unauthenticated",
                    "this endpoint needs an authenticated caller",
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_grant_what_product_md_says() {
        assert!(Role::Admin.grants(Role::Operator));
        assert!(Role::Operator.grants(Role::Viewer));
        assert!(Role::Auditor.grants(Role::Viewer));
        assert!(!Role::Viewer.grants(Role::Operator));
        assert!(!Role::Auditor.grants(Role::Operator));
        assert!(!Role::Operator.grants(Role::Auditor));
        assert_eq!(Access::INVENTORY.required(&Method::GET), Role::Viewer);
        assert_eq!(Access::INVENTORY.required(&Method::PATCH), Role::Operator);
    }
}
