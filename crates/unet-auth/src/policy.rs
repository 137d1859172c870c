//! The security policy: password rules, lockout, session and API-key lifetimes, login rate.

use serde::{Deserialize, Serialize};

use crate::{AuthError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordRules {
    pub min_length: u32,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub require_digit: bool,
    pub require_symbol: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityPolicy {
    pub password: PasswordRules,
    /// Failed logins in a row of one username from one source address that lock that
    /// username out from that address (never from others).
    pub lockout_threshold: u32,
    /// How long such a lockout lasts, and how long a failure is remembered.
    pub lockout_duration_secs: u64,
    pub session_ttl_secs: u64,
    pub api_key_max_lifetime_days: u32,
    /// Login attempts per source address per minute, all usernames together.
    pub login_rate_limit_per_minute: u32,
}

impl Default for SecurityPolicy {
    fn default() -> Self {
        SecurityPolicy {
            password: PasswordRules {
                min_length: 12,
                require_uppercase: false,
                require_lowercase: false,
                require_digit: false,
                require_symbol: false,
            },
            lockout_threshold: 5,
            lockout_duration_secs: 900,
            session_ttl_secs: 8 * 3600,
            api_key_max_lifetime_days: 365,
            login_rate_limit_per_minute: 30,
        }
    }
}

fn bounded(field: &str, value: u64, min: u64, max: u64) -> Result<()> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(AuthError::invalid(
            field,
            format!("{value} is out of range; expected {min} to {max}"),
        ))
    }
}

impl SecurityPolicy {
    /// Checks every field against its sane range; the first offending field is named.
    pub fn validate(&self) -> Result<()> {
        bounded(
            "password.min_length",
            self.password.min_length.into(),
            8,
            128,
        )?;
        bounded("lockout_threshold", self.lockout_threshold.into(), 1, 100)?;
        bounded(
            "lockout_duration_secs",
            self.lockout_duration_secs,
            1,
            7 * 86400,
        )?;
        bounded("session_ttl_secs", self.session_ttl_secs, 60, 30 * 86400)?;
        bounded(
            "api_key_max_lifetime_days",
            self.api_key_max_lifetime_days.into(),
            1,
            3650,
        )?;
        bounded(
            "login_rate_limit_per_minute",
            self.login_rate_limit_per_minute.into(),
            1,
            10_000,
        )
    }

    /// Checks a new password against the rules; the message says what is missing.
    pub fn check_password(&self, password: &str) -> Result<()> {
        let rules = &self.password;
        let len = password.chars().count();
        if len < rules.min_length as usize {
            return Err(AuthError::invalid(
                "password",
                format!("must be at least {} characters", rules.min_length),
            ));
        }
        if len > 1024 {
            return Err(AuthError::invalid(
                "password",
                "must be at most 1024 characters",
            ));
        }
        let checks = [
            (
                rules.require_uppercase,
                "an uppercase letter",
                password.chars().any(char::is_uppercase),
            ),
            (
                rules.require_lowercase,
                "a lowercase letter",
                password.chars().any(char::is_lowercase),
            ),
            (
                rules.require_digit,
                "a digit",
                password.chars().any(|c| c.is_ascii_digit()),
            ),
            (
                rules.require_symbol,
                "a symbol",
                password
                    .chars()
                    .any(|c| !c.is_alphanumeric() && !c.is_whitespace()),
            ),
        ];
        match checks
            .iter()
            .find(|(required, _, present)| *required && !present)
        {
            Some((_, what, _)) => Err(AuthError::invalid(
                "password",
                format!("must contain {what}"),
            )),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_ranges_enforced() {
        let policy = SecurityPolicy::default();
        policy.validate().unwrap();
        let bad = SecurityPolicy {
            lockout_threshold: 0,
            ..policy
        };
        let err = bad.validate().unwrap_err().to_string();
        assert!(err.starts_with("lockout_threshold:"), "{err}");
    }

    #[test]
    fn password_rules() {
        let mut policy = SecurityPolicy::default();
        assert!(policy.check_password("short").is_err());
        policy.check_password("long enough password").unwrap();
        policy.password.require_digit = true;
        let err = policy.check_password("long enough password").unwrap_err();
        assert_eq!(err.to_string(), "password: must contain a digit");
        policy.check_password("long enough password 1").unwrap();
    }
}
