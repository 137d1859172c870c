//! https remotes. gix fetches them over reqwest, which gets a rustls configuration on the ring
//! provider (the build carries no other TLS stack) trusting the system's certificate store and,
//! per repository, the certificates of `ca_file` — an internal CA, typically. A login is the
//! repository's own `credentials`, handed to gix when the server asks (see `fetch.rs`); no
//! credential helper or prompt is ever run.

use std::path::Path;
use std::sync::{Arc, Mutex};

use gix::protocol::transport::client::blocking_io::http;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::error::{GitError, Result};

/// Transport options for an https fetch that trusts `ca_file` besides the system store.
pub(crate) fn transport_options(ca_file: Option<&Path>) -> Result<http::Options> {
    let tls = client_config(ca_file)?;
    let backend = http::reqwest::Options {
        configure_client: Some(Box::new(move |builder| {
            Ok(builder.tls_backend_preconfigured(tls.clone()))
        })),
        configure_request: None,
    };
    Ok(http::Options {
        backend: Some(Arc::new(Mutex::new(backend))),
        user_agent: Some(concat!("unet/", env!("CARGO_PKG_VERSION")).to_string()),
        ..Default::default()
    })
}

fn client_config(ca_file: Option<&Path>) -> Result<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    // Like curl, an unreadable entry of the system store is skipped, not fatal.
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    if let Some(file) = ca_file {
        for cert in ca_certificates(file)? {
            roots.add(cert).map_err(|e| GitError::Tls {
                file: file.to_path_buf(),
                message: format!("not a usable CA certificate: {e}"),
            })?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| GitError::git("configuring TLS", e))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

/// The PEM certificates of `file`; at least one.
fn ca_certificates(file: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let unreadable = |message: String| GitError::Tls {
        file: file.to_path_buf(),
        message,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(file)
        .map_err(|e| unreadable(e.to_string()))?
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| unreadable(e.to_string()))?;
    if certs.is_empty() {
        return Err(unreadable("no PEM certificate in the file".to_string()));
    }
    Ok(certs)
}

/// Whether `file` can serve as a repository's `ca_file`: readable, with PEM certificates.
pub fn check_ca_file(file: &Path) -> Result<()> {
    ca_certificates(file).map(|_| ())
}
