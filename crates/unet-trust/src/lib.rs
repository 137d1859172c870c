//! Which TLS servers a μNet client trusts, and why it refused one.
//!
//! Clients (the `unet` CLI talking to `unet-server`, Git sync fetching over https) trust a
//! server certificate in one of two ways: it chains to the system's certificate store or to
//! the CA certificates of a file named by the operator, and it is valid now for the name
//! dialled; or it is exactly the certificate the operator pinned. Everything runs on rustls
//! with the ring provider, the only TLS stack in the build.
//!
//! rustls reports a refusal as a bare kind ("UnknownIssuer"); the operator needs to know
//! which certificate was refused and what to do. The verifier here keeps the certificate the
//! server last presented, parsed, so callers can say "the certificate for CN=… issued by CN=…
//! is not signed by a CA you trust: pass its CA with …".

mod certificate;
mod roots;
mod verifier;

pub use certificate::{CertificateInfo, Fingerprint};
pub use roots::{ca_certificates, check_ca_file};
pub use verifier::{Anchor, Refusal, Seen, Trust};

use std::path::PathBuf;

/// A trust setting that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    /// The CA file is unreadable or holds no usable certificate.
    #[error("{}: {message}", file.display())]
    CaFile { file: PathBuf, message: String },
    /// rustls refused the configuration (no protocol version in common with the provider).
    #[error("cannot set up TLS: {0}")]
    Setup(String),
}
