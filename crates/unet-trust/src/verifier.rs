//! The certificate check a client runs in the handshake, remembering what it saw.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};

use crate::certificate::timestamp;
use crate::{CertificateInfo, Fingerprint, TrustError};

/// What a client accepts as the server's certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anchor {
    /// A chain to the system store or to the CA certificates of `ca_file`, valid now for the
    /// name dialled.
    Roots { ca_file: Option<PathBuf> },
    /// Exactly this certificate, whatever its issuer, names and dates: the operator compared
    /// and pinned it.
    Pinned(Fingerprint),
    /// Any certificate, recorded so it can be shown to the operator before pinning. Nothing
    /// secret may be sent on such a connection.
    Inspect,
}

/// Why the server's certificate was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not signed by a trusted CA (self-signed, or an internal CA not given).
    UnknownIssuer,
    Expired,
    NotYetValid,
    /// Valid for other names than the one dialled.
    WrongName {
        expected: String,
    },
    /// Not the pinned certificate.
    NotPinned {
        pinned: Fingerprint,
    },
    /// Anything else rustls refuses (a bad signature, a revoked or malformed certificate).
    Other(String),
}

/// The certificate the server presented last, and the refusal if it was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// `None` when the certificate cannot even be parsed.
    pub certificate: Option<CertificateInfo>,
    pub refusal: Option<Refusal>,
}

impl Seen {
    /// One sentence on what was refused and why, naming the certificate; the caller adds
    /// how to trust it, which depends on where the trust is configured.
    pub fn describe(&self) -> String {
        let identity = self
            .certificate
            .as_ref()
            .map_or_else(|| "an unreadable certificate".to_string(), |c| c.identity());
        let Some(refusal) = &self.refusal else {
            return format!("the server's certificate ({identity}) was accepted");
        };
        let cert = self.certificate.as_ref();
        match refusal {
            Refusal::UnknownIssuer => format!(
                "the server's certificate ({identity}) is not signed by a certificate authority \
                 this client trusts"
            ),
            Refusal::Expired => format!(
                "the server's certificate ({identity}) expired{}",
                cert.map(|c| format!(" on {}", timestamp(c.not_after)))
                    .unwrap_or_default()
            ),
            Refusal::NotYetValid => format!(
                "the server's certificate ({identity}) is not valid yet{}",
                cert.map(|c| format!(" (from {})", timestamp(c.not_before)))
                    .unwrap_or_default()
            ),
            Refusal::WrongName { expected } => format!(
                "the server's certificate ({identity}) is valid for {}, not for {expected}",
                cert.filter(|c| !c.names.is_empty())
                    .map_or_else(|| "no name".to_string(), |c| c.names.join(", "))
            ),
            Refusal::NotPinned { pinned } => format!(
                "the server's certificate ({identity}, sha256 {}) is not the one pinned for \
                 this server (sha256 {pinned}): it was replaced, or something between you and \
                 the server answers in its place",
                cert.map(|c| c.fingerprint.to_string()).unwrap_or_default()
            ),
            Refusal::Other(reason) => {
                format!("the server's certificate ({identity}) was refused: {reason}")
            }
        }
    }
}

/// A trust decision for one client, shareable between its connections.
#[derive(Debug, Clone)]
pub struct Trust {
    verifier: Arc<Verifier>,
}

impl Trust {
    pub fn new(anchor: Anchor) -> Result<Trust, TrustError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mode = match anchor {
            Anchor::Roots { ca_file } => {
                let roots = crate::roots::roots(ca_file.as_deref(), true)?;
                // An empty store (no system certificates, no CA file) trusts nothing; the
                // builder refuses to make such a verifier, so refusal is spelled out below.
                let webpki = if roots.is_empty() {
                    None
                } else {
                    Some(
                        WebPkiServerVerifier::builder_with_provider(
                            Arc::new(roots),
                            provider.clone(),
                        )
                        .build()
                        .map_err(|e| TrustError::Setup(e.to_string()))?,
                    )
                };
                Mode::Roots(webpki)
            }
            Anchor::Pinned(pin) => Mode::Pinned(pin),
            Anchor::Inspect => Mode::Inspect,
        };
        Ok(Trust {
            verifier: Arc::new(Verifier {
                mode,
                provider,
                seen: Mutex::new(None),
            }),
        })
    }

    /// A rustls client configuration that checks certificates this way.
    pub fn client_config(&self) -> Result<rustls::ClientConfig, TrustError> {
        let config = rustls::ClientConfig::builder_with_provider(self.verifier.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| TrustError::Setup(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(self.verifier.clone())
            .with_no_client_auth();
        Ok(config)
    }

    /// The certificate of the last handshake, if there was one.
    pub fn last_seen(&self) -> Option<Seen> {
        self.verifier
            .seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[derive(Debug)]
enum Mode {
    Roots(Option<Arc<WebPkiServerVerifier>>),
    Pinned(Fingerprint),
    Inspect,
}

#[derive(Debug)]
struct Verifier {
    mode: Mode,
    provider: Arc<CryptoProvider>,
    seen: Mutex<Option<Seen>>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = match &self.mode {
            Mode::Roots(Some(webpki)) => webpki.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ),
            Mode::Roots(None) => Err(CertificateError::UnknownIssuer.into()),
            Mode::Pinned(pin) if Fingerprint::of(end_entity) == *pin => {
                Ok(ServerCertVerified::assertion())
            }
            Mode::Pinned(_) => Err(CertificateError::ApplicationVerificationFailure.into()),
            Mode::Inspect => Ok(ServerCertVerified::assertion()),
        };
        let refusal = verdict.as_ref().err().map(|e| match &self.mode {
            Mode::Pinned(pin) => Refusal::NotPinned { pinned: *pin },
            _ => refusal(e, server_name),
        });
        *self.seen.lock().unwrap_or_else(PoisonError::into_inner) = Some(Seen {
            certificate: CertificateInfo::parse(end_entity),
            refusal,
        });
        verdict
    }

    // The handshake signature proves the server holds the certificate's key, pinned or not.
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn refusal(error: &rustls::Error, server_name: &ServerName<'_>) -> Refusal {
    let rustls::Error::InvalidCertificate(kind) = error else {
        return Refusal::Other(error.to_string());
    };
    match kind {
        CertificateError::UnknownIssuer => Refusal::UnknownIssuer,
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => Refusal::Expired,
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            Refusal::NotYetValid
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            Refusal::WrongName {
                expected: server_name.to_str().into_owned(),
            }
        }
        other => Refusal::Other(format!("{other:?}")),
    }
}
