//! SNMP credentials: a v2c community or an SNMPv3 USM user with its keys. They come from the
//! settings' secret files and live in memory only; `Debug` shows no secret.

use std::fmt;
use std::str::FromStr;

/// How μNet authenticates to an agent.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    V2c { community: String },
    V3(Usm),
}

/// An SNMPv3 user (authNoPriv or authPriv; noAuthNoPriv is not offered: it sends the user in
/// clear and proves nothing).
#[derive(Clone, PartialEq, Eq)]
pub struct Usm {
    pub user: String,
    pub auth: AuthProtocol,
    pub auth_password: String,
    /// The privacy protocol and password; `None` is authNoPriv.
    pub privacy: Option<(PrivProtocol, String)>,
    /// The SNMPv3 context (empty for most agents; a proxy or simulator may select by it).
    pub context: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::V2c { .. } => f.write_str("V2c { community: <hidden> }"),
            Credentials::V3(usm) => f
                .debug_struct("V3")
                .field("user", &usm.user)
                .field("auth", &usm.auth)
                .field("privacy", &usm.privacy.as_ref().map(|(p, _)| p))
                .field("context", &usm.context)
                .finish_non_exhaustive(),
        }
    }
}

impl fmt::Debug for Usm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&Credentials::V3(self.clone()), f)
    }
}

/// USM authentication protocols offered (the SHA family; MD5 is broken and not offered).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthProtocol {
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

/// USM privacy protocols offered (AES; DES is broken and not offered). AES-192 and AES-256
/// need a longer key than the hash gives, and vendors extend it two ways: net-snmp's
/// `AES-256` and most agents by Blumenthal's draft, Cisco (and net-snmp's `AES-256-C`) by
/// Reeder's — `aes256` and `aes256c` here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrivProtocol {
    Aes128,
    Aes192,
    Aes256,
    Aes192Cisco,
    Aes256Cisco,
}

impl FromStr for AuthProtocol {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "sha" | "sha1" => Ok(AuthProtocol::Sha1),
            "sha224" => Ok(AuthProtocol::Sha224),
            "sha256" => Ok(AuthProtocol::Sha256),
            "sha384" => Ok(AuthProtocol::Sha384),
            "sha512" => Ok(AuthProtocol::Sha512),
            _ => Err(format!(
                "expected one of sha, sha224, sha256, sha384, sha512, got {s:?}"
            )),
        }
    }
}

impl FromStr for PrivProtocol {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "aes" | "aes128" => Ok(PrivProtocol::Aes128),
            "aes192" => Ok(PrivProtocol::Aes192),
            "aes256" => Ok(PrivProtocol::Aes256),
            "aes192c" => Ok(PrivProtocol::Aes192Cisco),
            "aes256c" => Ok(PrivProtocol::Aes256Cisco),
            _ => Err(format!(
                "expected one of aes, aes192, aes256, aes192c, aes256c, got {s:?}"
            )),
        }
    }
}

impl AuthProtocol {
    pub(crate) fn wire(self) -> async_snmp::AuthProtocol {
        match self {
            AuthProtocol::Sha1 => async_snmp::AuthProtocol::Sha1,
            AuthProtocol::Sha224 => async_snmp::AuthProtocol::Sha224,
            AuthProtocol::Sha256 => async_snmp::AuthProtocol::Sha256,
            AuthProtocol::Sha384 => async_snmp::AuthProtocol::Sha384,
            AuthProtocol::Sha512 => async_snmp::AuthProtocol::Sha512,
        }
    }
}

impl PrivProtocol {
    pub(crate) fn wire(self) -> async_snmp::PrivProtocol {
        match self {
            PrivProtocol::Aes128 => async_snmp::PrivProtocol::Aes128,
            PrivProtocol::Aes192 => async_snmp::PrivProtocol::Aes192Blumenthal,
            PrivProtocol::Aes256 => async_snmp::PrivProtocol::Aes256Blumenthal,
            PrivProtocol::Aes192Cisco => async_snmp::PrivProtocol::Aes192Reeder,
            PrivProtocol::Aes256Cisco => async_snmp::PrivProtocol::Aes256Reeder,
        }
    }
}

/// USM passwords shorter than this are refused by RFC 3414's key localisation.
pub const MIN_USM_PASSWORD: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_secret() {
        let v2 = Credentials::V2c {
            community: "c0mmunity-secret".into(),
        };
        let v3 = Credentials::V3(Usm {
            user: "poller".into(),
            auth: AuthProtocol::Sha256,
            auth_password: "auth-secret-1".into(),
            privacy: Some((PrivProtocol::Aes128, "priv-secret-1".into())),
            context: String::new(),
        });
        let text = format!("{v2:?} {v3:?}");
        for secret in ["c0mmunity-secret", "auth-secret-1", "priv-secret-1"] {
            assert!(!text.contains(secret), "{text}");
        }
        assert!(text.contains("poller"), "{text}");
    }

    #[test]
    fn protocol_names_are_the_ones_operators_type() {
        assert_eq!("SHA".parse(), Ok(AuthProtocol::Sha1));
        assert_eq!("sha512".parse(), Ok(AuthProtocol::Sha512));
        assert!(
            "md5"
                .parse::<AuthProtocol>()
                .unwrap_err()
                .contains("sha256")
        );
        assert_eq!("AES".parse(), Ok(PrivProtocol::Aes128));
        assert!("des".parse::<PrivProtocol>().is_err());
    }
}
