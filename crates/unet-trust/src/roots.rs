//! Trust anchors: the system's certificate store plus an operator's CA file.

use std::path::Path;

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::TrustError;

/// The PEM certificates of `file`; at least one.
pub fn ca_certificates(file: &Path) -> Result<Vec<CertificateDer<'static>>, TrustError> {
    let unusable = |message: String| TrustError::CaFile {
        file: file.to_path_buf(),
        message,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(file)
        .map_err(|e| unusable(e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| unusable(e.to_string()))?;
    if certs.is_empty() {
        return Err(unusable("no PEM certificate in the file".to_string()));
    }
    Ok(certs)
}

/// Whether `file` can serve as a CA file: readable, with PEM certificates rustls accepts as
/// trust anchors.
pub fn check_ca_file(file: &Path) -> Result<(), TrustError> {
    roots(Some(file), false).map(drop)
}

/// The system store (unless `system` is false) and the certificates of `ca_file`.
pub(crate) fn roots(ca_file: Option<&Path>, system: bool) -> Result<RootCertStore, TrustError> {
    let mut roots = RootCertStore::empty();
    if system {
        // Like curl, an unreadable entry of the system store is skipped, not fatal.
        roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    }
    if let Some(file) = ca_file {
        for cert in ca_certificates(file)? {
            roots.add(cert).map_err(|e| TrustError::CaFile {
                file: file.to_path_buf(),
                message: format!("not a usable CA certificate: {e}"),
            })?;
        }
    }
    Ok(roots)
}
