//! What an operator needs to see of a server certificate to decide whether to trust it.

use std::fmt;
use std::net::IpAddr;

use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use x509_parser::extensions::GeneralName;

/// The SHA-256 digest of a certificate's DER bytes: what a pin holds, and what
/// `unet-server` reports as `fingerprint_sha256` and `openssl x509 -fingerprint -sha256` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    pub fn of(der: &[u8]) -> Fingerprint {
        Fingerprint(Sha256::digest(der).into())
    }

    /// 64 hexadecimal digits in either case, optionally in colon-separated pairs and after
    /// `sha256:` (so each common spelling can be pasted as is).
    pub fn parse(text: &str) -> Result<Fingerprint, String> {
        let text = text.trim();
        let digits = text
            .get(..7)
            .filter(|prefix| prefix.eq_ignore_ascii_case("sha256:"))
            .map_or(text, |_| &text[7..]);
        let digits: String = digits.chars().filter(|c| *c != ':').collect();
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(&digits, &mut bytes).map_err(|_| {
            format!(
                "{text:?} is not a SHA-256 fingerprint: expected 64 hexadecimal digits \
                 (colons between pairs allowed)"
            )
        })?;
        Ok(Fingerprint(bytes))
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// A certificate as shown to an operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    pub subject: String,
    pub issuer: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// The DNS names and IP addresses it is valid for (subject alternative names).
    pub names: Vec<String>,
    pub fingerprint: Fingerprint,
}

impl CertificateInfo {
    /// `None` when `der` is not a certificate x509-parser can read (rustls has refused it then).
    pub fn parse(der: &[u8]) -> Option<CertificateInfo> {
        let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
        let names = match cert.subject_alternative_name() {
            Ok(Some(san)) => san
                .value
                .general_names
                .iter()
                .filter_map(|name| match name {
                    GeneralName::DNSName(dns) => Some((*dns).to_string()),
                    GeneralName::IPAddress(bytes) => ip_address(bytes),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let validity = cert.validity();
        Some(CertificateInfo {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            not_before: validity.not_before.to_datetime(),
            not_after: validity.not_after.to_datetime(),
            names,
            fingerprint: Fingerprint::of(der),
        })
    }

    pub fn self_signed(&self) -> bool {
        self.subject == self.issuer
    }

    /// `subject CN=a, issued by CN=b` (or `self-signed`).
    pub fn identity(&self) -> String {
        let subject = display_name(&self.subject);
        if self.self_signed() {
            format!("subject {subject}, self-signed")
        } else {
            format!(
                "subject {subject}, issued by {}",
                display_name(&self.issuer)
            )
        }
    }
}

impl fmt::Display for CertificateInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "subject:  {}", display_name(&self.subject))?;
        writeln!(f, "issuer:   {}", display_name(&self.issuer))?;
        writeln!(
            f,
            "valid:    {} to {}",
            timestamp(self.not_before),
            timestamp(self.not_after)
        )?;
        let names = if self.names.is_empty() {
            "(none)".to_string()
        } else {
            self.names.join(", ")
        };
        writeln!(f, "names:    {names}")?;
        write!(f, "sha256:   {}", self.fingerprint)
    }
}

pub(crate) fn timestamp(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_else(|_| at.to_string())
}

fn display_name(name: &str) -> &str {
    if name.is_empty() { "(empty)" } else { name }
}

fn ip_address(bytes: &[u8]) -> Option<String> {
    let ip = match bytes.len() {
        4 => IpAddr::from(<[u8; 4]>::try_from(bytes).ok()?),
        16 => IpAddr::from(<[u8; 16]>::try_from(bytes).ok()?),
        _ => return None,
    };
    Some(ip.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_parse_in_every_common_spelling() {
        let hex = "ab".repeat(32);
        let plain = Fingerprint::parse(&hex).unwrap();
        let colons = hex
            .as_bytes()
            .chunks(2)
            .map(|pair| std::str::from_utf8(pair).unwrap().to_uppercase())
            .collect::<Vec<_>>()
            .join(":");
        assert_eq!(Fingerprint::parse(&colons).unwrap(), plain);
        assert_eq!(Fingerprint::parse(&format!("SHA256:{hex}")).unwrap(), plain);
        assert_eq!(plain.to_string(), hex);
        assert!(Fingerprint::parse("abcd").is_err());
        assert!(Fingerprint::parse(&"zz".repeat(32)).is_err());
        assert!(Fingerprint::parse("sha256").is_err());
    }

    #[test]
    fn garbage_is_not_a_certificate() {
        assert!(CertificateInfo::parse(b"not DER").is_none());
    }
}
