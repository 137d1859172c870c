//! The server the CLI talks to and how far it trusts the way there: its URL, the TLS trust
//! (the system store and an operator's CA file, or a certificate pinned with `unet tls trust`)
//! and whether a token or password may cross plain http.

use std::net::IpAddr;
use std::path::PathBuf;

use unet_trust::{Anchor, Refusal, Seen, Trust};
use url::Url;

use super::pins;
use crate::error::{CliError, Result};

/// A server URL with the client's transport settings.
#[derive(Debug, Clone)]
pub struct Endpoint {
    url: Url,
    ca_file: Option<PathBuf>,
    allow_insecure_http: bool,
}

impl Endpoint {
    /// `server` is `http(s)://HOST[:PORT][/prefix]`.
    pub fn new(server: &str, ca_file: Option<PathBuf>, allow_insecure_http: bool) -> Result<Self> {
        let mut url = Url::parse(server.trim()).map_err(|e| {
            CliError::Config(format!(
                "server URL {server:?} is not valid ({e}); expected https://HOST:PORT or \
                 http://HOST:PORT"
            ))
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(CliError::Config(format!(
                "server URL {server:?}: expected https://HOST:PORT or http://HOST:PORT"
            )));
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(Endpoint {
            url,
            ca_file,
            allow_insecure_http,
        })
    }

    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The URL as shown in messages: no trailing slash.
    pub fn shown(&self) -> String {
        self.url.as_str().trim_end_matches('/').to_string()
    }

    /// `host:port`, the key of a pinned certificate.
    pub fn authority(&self) -> String {
        let host = self.url.host_str().unwrap_or_default();
        let port = self.url.port_or_known_default().unwrap_or(443);
        format!("{host}:{port}")
    }

    pub fn is_https(&self) -> bool {
        self.url.scheme() == "https"
    }

    /// How the server's certificate is checked: the pinned certificate for this `host:port`
    /// if the operator pinned one, else the system store plus the CA file.
    pub fn trust(&self) -> Result<Trust> {
        let anchor = match pins::pinned(&self.authority())? {
            Some(pin) => Anchor::Pinned(pin),
            None => Anchor::Roots {
                ca_file: self.ca_file.clone(),
            },
        };
        Trust::new(anchor).map_err(|e| match &self.ca_file {
            Some(file) => CliError::Config(format!("--ca-file {}: {e}", file.display())),
            None => CliError::Config(e.to_string()),
        })
    }

    /// Refuses to send `secret` ("the API token", "the password") over plain http to a host
    /// that is not this machine, unless the operator allowed it.
    pub fn check_secret(&self, secret: &'static str) -> Result<()> {
        if self.is_https() || self.allow_insecure_http || self.is_loopback() {
            return Ok(());
        }
        Err(CliError::InsecureHttp {
            url: self.shown(),
            secret,
        })
    }

    fn is_loopback(&self) -> bool {
        match self.url.host() {
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).to_canonical().is_loopback(),
            None => false,
        }
    }

    /// The refusal of the server's certificate as an error that says what to do.
    pub fn untrusted(&self, seen: &Seen) -> CliError {
        let hint = match &seen.refusal {
            Some(Refusal::UnknownIssuer) => format!(
                "; trust the CA that issued it with --ca-file PATH (or UNET_CA_FILE, or \
                 `ca_file` in ~/.config/unet/config.toml), or, for a self-signed certificate \
                 whose fingerprint you have checked with the server's administrator, pin it \
                 with `unet --server {} tls trust`",
                self.shown()
            ),
            Some(Refusal::Expired | Refusal::NotYetValid) => {
                "; the server needs a current certificate (and this machine the right time)"
                    .to_string()
            }
            Some(Refusal::WrongName { .. }) => {
                "; use a server URL with a name the certificate holds, or give the server a \
                 certificate for this name"
                    .to_string()
            }
            Some(Refusal::NotPinned { .. }) => format!(
                "; if the certificate was replaced on purpose, check its new fingerprint with \
                 the server's administrator and pin it again with `unet --server {} tls trust`",
                self.shown()
            ),
            Some(Refusal::Other(_)) | None => String::new(),
        };
        CliError::Untrusted {
            url: self.shown(),
            message: format!("{}{hint}", seen.describe()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(url: &str) -> Endpoint {
        Endpoint::new(url, None, false).unwrap()
    }

    #[test]
    fn urls_are_checked_and_keyed_by_authority() {
        assert_eq!(
            endpoint("https://unet.example.net").authority(),
            "unet.example.net:443"
        );
        assert_eq!(
            endpoint("http://10.0.0.5:8080").authority(),
            "10.0.0.5:8080"
        );
        assert_eq!(
            endpoint("https://unet.example.net:8443/unet")
                .url()
                .as_str(),
            "https://unet.example.net:8443/unet/"
        );
        assert!(Endpoint::new("not a url", None, false).is_err());
        assert!(Endpoint::new("ftp://example.net", None, false).is_err());
        assert!(Endpoint::new("unix:/run/unet.sock", None, false).is_err());
    }

    #[test]
    fn secrets_cross_plain_http_only_on_this_machine_unless_allowed() {
        for local in [
            "http://127.0.0.1:8080",
            "http://127.9.9.9",
            "http://localhost:8080",
            "http://[::1]:8080",
            "http://[::ffff:127.0.0.1]:8080",
            "https://unet.example.net",
        ] {
            assert!(
                endpoint(local).check_secret("the API token").is_ok(),
                "{local}"
            );
        }
        for remote in [
            "http://10.0.0.5:8080",
            "http://unet.example.net",
            "http://[2001:db8::1]",
        ] {
            let err = endpoint(remote).check_secret("the API token").unwrap_err();
            let text = err.to_string();
            assert!(text.contains("--allow-insecure-http"), "{text}");
            assert!(text.contains("the API token"), "{text}");
        }
        let allowed = Endpoint::new("http://10.0.0.5:8080", None, true).unwrap();
        assert!(allowed.check_secret("the password").is_ok());
    }
}
