//! The roles a user or API key holds (docs/security.md).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::AuthError;

/// Roles, from least to most privileged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Auditor,
    Operator,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Auditor, Role::Operator, Role::Admin];

    /// Whether holding `self` grants what `required` allows: admin grants everything, operator
    /// and auditor include viewing.
    pub fn grants(self, required: Role) -> bool {
        self == required
            || self == Role::Admin
            || (required == Role::Viewer && matches!(self, Role::Operator | Role::Auditor))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Auditor => "auditor",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = AuthError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                AuthError::invalid(
                    "roles",
                    format!("unknown role {s:?}; expected admin, operator, viewer or auditor"),
                )
            })
    }
}

/// Whether any of `held` grants `required`.
pub fn may(held: &[Role], required: Role) -> bool {
    held.iter().any(|r| r.grants(required))
}

/// Roles as stored (names), parsed; an unknown stored name is dropped rather than granting.
pub(crate) fn parse_stored(names: &[String]) -> Vec<Role> {
    names.iter().filter_map(|n| n.parse().ok()).collect()
}

pub(crate) fn names(roles: &[Role]) -> Vec<String> {
    roles.iter().map(|r| r.as_str().to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_grant_what_security_md_says() {
        assert!(Role::Admin.grants(Role::Operator));
        assert!(Role::Admin.grants(Role::Auditor));
        assert!(Role::Operator.grants(Role::Viewer));
        assert!(Role::Auditor.grants(Role::Viewer));
        assert!(!Role::Viewer.grants(Role::Operator));
        assert!(!Role::Auditor.grants(Role::Operator));
        assert!(!Role::Operator.grants(Role::Auditor));
        assert_eq!("auditor".parse::<Role>().ok(), Some(Role::Auditor));
        assert!("root".parse::<Role>().is_err());
    }
}
