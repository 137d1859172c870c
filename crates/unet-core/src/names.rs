//! Naming rules shared by every entity: slugs (vendor, role, location kind) and hostnames.

use crate::{CoreError, Result};

pub const MAX_SLUG: usize = 64;
/// Longest DNS domain (RFC 1035).
pub const MAX_DOMAIN: usize = 253;

// The rules below as JSON Schema patterns, for the OpenAPI document. Input patterns allow the
// surrounding whitespace the validation trims; an optional field may also be left blank.
macro_rules! label {
    () => {
        "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    };
}
macro_rules! slug {
    () => {
        "[a-z0-9]+([-_][a-z0-9]+)*"
    };
}

/// A stored host name ([`validate_hostname`]).
pub const HOSTNAME_PATTERN: &str = concat!("^", label!(), "$");
/// A host name as input.
pub const HOSTNAME_INPUT_PATTERN: &str = concat!("^\\s*(?:", label!(), ")\\s*$");
/// An optional DNS domain as input ([`validate_domain`]).
pub const DOMAIN_INPUT_PATTERN: &str = concat!("^\\s*(?:", label!(), "(\\.", label!(), ")*)?\\s*$");
/// A stored slug ([`validate_slug`]).
pub const SLUG_PATTERN: &str = concat!("^", slug!(), "$");
/// A slug as input.
pub const SLUG_INPUT_PATTERN: &str = concat!("^\\s*(?:", slug!(), ")\\s*$");
/// An optional slug as input.
pub const OPTIONAL_SLUG_INPUT_PATTERN: &str = concat!("^\\s*(?:", slug!(), ")?\\s*$");
/// An interface name: 1-64 characters, no whitespace or control characters.
pub const INTERFACE_PATTERN: &str = "^[^\\s\\x00-\\x1f\\x7f]{1,64}$";
/// A location name: 1-100 printable characters without `/`, surrounding whitespace trimmed.
pub const LOCATION_NAME_PATTERN: &str =
    "^\\s*[^/\\x00-\\x1f\\x7f\\s]([^/\\x00-\\x1f\\x7f]{0,98}[^/\\x00-\\x1f\\x7f\\s])?\\s*$";

/// A slug is lower-case ASCII letters and digits joined by single `-` or `_`
/// (`cisco`, `core`, `wireless-controller`): stable keys for filters and policies.
pub fn validate_slug(field: &'static str, value: &str) -> Result<()> {
    let mut prev_sep = true;
    let ok = !value.is_empty()
        && value.len() <= MAX_SLUG
        && value.chars().all(|c| {
            let sep = c == '-' || c == '_';
            let ok = c.is_ascii_lowercase() || c.is_ascii_digit() || (sep && !prev_sep);
            prev_sep = sep;
            ok
        })
        && !prev_sep;
    if ok {
        Ok(())
    } else {
        Err(slug_error(field, value))
    }
}

fn slug_error(field: &'static str, value: &str) -> CoreError {
    let expected =
        "a slug: lower-case letters, digits, single '-' or '_' between them, at most 64 characters";
    CoreError::invalid(field, expected, value)
}

/// Turns a display value such as `WirelessController`, `Data Center` or `Cisco Systems` into a
/// slug (`wireless-controller`, `data-center`, `cisco-systems`), as upstream files need.
pub fn slugify(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 4);
    let mut prev: Option<char> = None;
    for c in value.trim().chars() {
        if c.is_ascii_alphanumeric() {
            let camel_break = c.is_ascii_uppercase()
                && prev.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit());
            if camel_break && !out.ends_with('-') {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
        prev = Some(c);
    }
    while out.ends_with('-') {
        out.pop();
    }
    out.truncate(MAX_SLUG);
    out.trim_end_matches('-').to_string()
}

/// One DNS label: 1–63 letters, digits or hyphens, not starting or ending with a hyphen.
pub fn is_hostname_label(label: &str) -> bool {
    let bytes = label.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        && bytes.first() != Some(&b'-')
        && bytes.last() != Some(&b'-')
}

/// A node name is a single hostname label (RFC 1123).
pub fn validate_hostname(field: &'static str, value: &str) -> Result<()> {
    if is_hostname_label(value) {
        Ok(())
    } else {
        Err(CoreError::invalid(
            field,
            "a hostname: 1-63 letters, digits or '-', not starting or ending with '-'",
            value,
        ))
    }
}

/// A DNS domain: dot-separated hostname labels, at most 253 characters.
/// A slug as sent: at most [`MAX_SLUG`] characters including surrounding whitespace (the
/// input schema's `maxLength`), then trimmed and checked; `None` when blank.
pub(crate) fn slug_input(field: &'static str, raw: &str) -> Result<Option<String>> {
    if raw.chars().count() > MAX_SLUG {
        // Refused as what it is: too long for a slug, whatever it trims to.
        return Err(slug_error(field, raw));
    }
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    validate_slug(field, value)?;
    Ok(Some(value.to_string()))
}

pub fn validate_domain(field: &'static str, value: &str) -> Result<()> {
    let ok = value.len() <= MAX_DOMAIN && value.split('.').all(is_hostname_label);
    if ok {
        Ok(())
    } else {
        Err(CoreError::invalid(
            field,
            "a DNS domain: dot-separated labels of letters, digits or '-'",
            value,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        for ok in [
            "cisco",
            "core",
            "wireless-controller",
            "rack_a1",
            "l3-switch",
        ] {
            validate_slug("role", ok).unwrap();
        }
        for bad in [
            "",
            "Cisco",
            "core-",
            "-core",
            "a--b",
            "a b",
            "é",
            &"a".repeat(65),
        ] {
            let err = validate_slug("role", bad).unwrap_err();
            assert_eq!(err.field(), "role");
        }
    }

    #[test]
    fn slugify_upstream_values() {
        assert_eq!(slugify("Cisco"), "cisco");
        assert_eq!(slugify("WirelessController"), "wireless-controller");
        assert_eq!(slugify("Data Center"), "data-center");
        assert_eq!(slugify("  Top of Rack / L3 "), "top-of-rack-l3");
        assert_eq!(slugify("IOS-XE"), "ios-xe");
        for v in ["Core", "WirelessController", "a  b", "A/B/C"] {
            validate_slug("role", &slugify(v)).unwrap();
        }
    }

    #[test]
    fn hostnames_and_domains() {
        validate_hostname("name", "core-sw-01").unwrap();
        assert!(validate_hostname("name", "core_sw").is_err());
        assert!(validate_hostname("name", "-sw").is_err());
        assert!(validate_hostname("name", "a.b").is_err());
        assert!(validate_hostname("name", &"a".repeat(64)).is_err());
        validate_domain("domain", "dc1.example.net").unwrap();
        assert!(validate_domain("domain", "bad..example").is_err());
        assert!(validate_domain("domain", "").is_err());
    }

    #[test]
    fn a_slug_input_is_bounded_as_sent_then_trimmed() {
        assert_eq!(
            slug_input("vendor", " cisco ").unwrap(),
            Some("cisco".into())
        );
        assert_eq!(slug_input("vendor", "   ").unwrap(), None);
        // 65 characters as sent: refused even though they trim to nothing.
        let err = slug_input("vendor", &" ".repeat(65)).unwrap_err();
        assert_eq!(err.field(), "vendor");
        assert!(slug_input("vendor", &format!(" {} ", "a".repeat(62))).is_ok());
        assert!(slug_input("vendor", &format!(" {} ", "a".repeat(63))).is_err());
    }
}
