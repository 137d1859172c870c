//! The HTTPS listener's certificate: loaded from `tls.cert_file` / `tls.key_file`, swapped live
//! on rotation or SIGHUP. A new pair is fully loaded and checked — the key must belong to the
//! certificate — before it replaces the old one, so a bad pair never takes the listener down;
//! connections already open keep the certificate they negotiated.
//!
//! With `tls.self_signed`, a certificate valid for `tls.self_signed_days` is issued into the
//! files when they are missing, on every rotation, and at start or SIGHUP when the stored
//! self-signed one expires within 30 days or outlives the configured lifetime (one issued
//! before the limit existed, valid until the year 4096), so that expiry monitoring means
//! something.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum_server::tls_rustls::RustlsConfig;
use rustls::ServerConfig;
use rustls::pki_types::CertificateDer;
use serde::Serialize;
use sha2::{Digest, Sha256};
use unet_core::{IoFailure, Timestamp};
use utoipa::ToSchema;

use unet_settings::{TlsSection, read_certificates, read_private_key};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// No usable certificate and key pair in the files.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Io(#[from] IoFailure),
    /// A certificate could not be issued.
    #[error("{0}")]
    Failed(String),
    /// The HTTPS listener could not start.
    #[error("{0}")]
    Listen(String),
}

impl TlsError {
    fn io(context: String, source: std::io::Error) -> TlsError {
        TlsError::Io(IoFailure::new(context, source))
    }
}

/// Certificates expiring within this many days are reported (log and status).
const EXPIRY_WARNING_DAYS: i64 = 30;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CertificateStatus {
    pub enabled: bool,
    pub subject: Option<String>,
    pub issuer: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub not_before: Option<Timestamp>,
    /// When the certificate stops being valid.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expiration: Option<Timestamp>,
    pub days_remaining: Option<i64>,
    /// True when fewer than 30 days remain.
    pub expiring_soon: bool,
    pub fingerprint_sha256: Option<String>,
    pub self_signed: bool,
}

impl CertificateStatus {
    pub fn disabled() -> CertificateStatus {
        CertificateStatus {
            enabled: false,
            subject: None,
            issuer: None,
            not_before: None,
            expiration: None,
            days_remaining: None,
            expiring_soon: false,
            fingerprint_sha256: None,
            self_signed: false,
        }
    }
}

/// The live certificate of the HTTPS listener.
pub struct Tls {
    rustls: RustlsConfig,
    status: Mutex<CertificateStatus>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

impl Tls {
    /// Loads the configured pair, issuing a self-signed one first when so configured and the
    /// files are missing.
    pub fn start(section: &TlsSection) -> Result<Tls, TlsError> {
        if needs_self_signed(section) {
            issue_self_signed(section)?;
        }
        let (config, status) = load(section)?;
        warn_if_expiring(&status);
        Ok(Tls {
            rustls: RustlsConfig::from_config(config),
            status: Mutex::new(status),
        })
    }

    pub fn rustls(&self) -> RustlsConfig {
        self.rustls.clone()
    }

    pub fn status(&self) -> CertificateStatus {
        self.status
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Re-reads the files (with `tls.self_signed`, issues a new certificate first when `renew`
    /// or when the stored one is due) and swaps the pair in. On any error the running pair
    /// stays.
    pub fn rotate(&self, section: &TlsSection, renew: bool) -> Result<CertificateStatus, TlsError> {
        if (section.self_signed && renew) || needs_self_signed(section) {
            issue_self_signed(section)?;
        }
        let (config, status) = load(section)?;
        self.rustls.reload_from_config(config);
        *self.status.lock().unwrap_or_else(PoisonError::into_inner) = status.clone();
        tracing::info!(
            target: "unet::tls",
            event = "certificate_rotated",
            subject = status.subject.as_deref().unwrap_or(""),
            fingerprint = status.fingerprint_sha256.as_deref().unwrap_or(""),
            "certificate swapped in"
        );
        warn_if_expiring(&status);
        Ok(status)
    }
}

fn warn_if_expiring(status: &CertificateStatus) {
    if status.expiring_soon {
        tracing::warn!(
            target: "unet::tls",
            event = "certificate_expiring",
            days_remaining = status.days_remaining.unwrap_or(0),
            "the TLS certificate expires within {EXPIRY_WARNING_DAYS} days"
        );
    }
}

fn tls_error(message: String) -> TlsError {
    TlsError::Invalid(message)
}

fn load(section: &TlsSection) -> Result<(Arc<ServerConfig>, CertificateStatus), TlsError> {
    let certs = read_certificates(&section.cert_file).map_err(tls_error)?;
    let key = read_private_key(&section.key_file).map_err(tls_error)?;
    let status = describe(certs.first(), section.self_signed)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error(format!("TLS protocol setup: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            tls_error(format!(
                "the key in {} does not belong to the certificate in {}: {e}",
                section.key_file.display(),
                section.cert_file.display()
            ))
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok((Arc::new(config), status))
}

fn describe(
    cert: Option<&CertificateDer<'static>>,
    self_signed: bool,
) -> Result<CertificateStatus, TlsError> {
    let cert = cert.ok_or_else(|| tls_error("no certificate in the file".to_string()))?;
    let (_, parsed) = x509_parser::parse_x509_certificate(cert.as_ref())
        .map_err(|e| tls_error(format!("cannot parse the certificate: {e}")))?;
    let validity = parsed.validity();
    let not_before = Timestamp::from_unix_seconds(validity.not_before.timestamp());
    let expiration = Timestamp::from_unix_seconds(validity.not_after.timestamp());
    let days_remaining =
        expiration.map(|e| (e.unix_seconds() - Timestamp::now().unix_seconds()) / 86_400);
    Ok(CertificateStatus {
        enabled: true,
        subject: Some(parsed.subject().to_string()),
        issuer: Some(parsed.issuer().to_string()),
        not_before,
        expiration,
        days_remaining,
        expiring_soon: days_remaining.is_some_and(|d| d < EXPIRY_WARNING_DAYS),
        fingerprint_sha256: Some(hex::encode(Sha256::digest(cert.as_ref()))),
        self_signed,
    })
}

/// Whether `tls.self_signed` calls for a new certificate now: the files are missing, or the
/// stored certificate is self-signed (issuer = subject) and expires within
/// [`EXPIRY_WARNING_DAYS`] or later than `tls.self_signed_days` from now. A file that does not
/// parse is left for [`load`] to report.
fn needs_self_signed(section: &TlsSection) -> bool {
    if !section.self_signed {
        return false;
    }
    if !(section.cert_file.exists() && section.key_file.exists()) {
        return true;
    }
    let Ok(certs) = read_certificates(&section.cert_file) else {
        return false;
    };
    let Ok(status) = describe(certs.first(), true) else {
        return false;
    };
    let outlives = status
        .days_remaining
        .is_some_and(|d| d > i64::from(section.self_signed_days));
    status.subject == status.issuer && (status.expiring_soon || outlives)
}

/// A certificate's validity starts this long before its issue, for clients whose clock is a
/// little behind.
const CLOCK_SKEW: time::Duration = time::Duration::hours(1);

/// Writes a new self-signed certificate for `localhost` and this host name, valid for
/// `tls.self_signed_days`; the key file is created with mode 0600. Both go through temporary
/// names and a rename.
fn issue_self_signed(section: &TlsSection) -> Result<(), TlsError> {
    let failed =
        |e: rcgen::Error| TlsError::Failed(format!("cannot issue a self-signed certificate: {e}"));
    let mut names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    if let Ok(host) = std::fs::read_to_string("/proc/sys/kernel/hostname") {
        let host = host.trim();
        if !host.is_empty() && host != "localhost" {
            names.push(host.to_string());
        }
    }
    let mut params = rcgen::CertificateParams::new(names).map_err(failed)?;
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - CLOCK_SKEW;
    params.not_after = now + time::Duration::days(i64::from(section.self_signed_days));
    let signing_key = rcgen::KeyPair::generate().map_err(failed)?;
    let cert = params.self_signed(&signing_key).map_err(failed)?;
    write_private(
        &section.key_file,
        signing_key.serialize_pem().as_bytes(),
        0o600,
    )?;
    write_private(&section.cert_file, cert.pem().as_bytes(), 0o644)?;
    tracing::info!(
        target: "unet::tls",
        event = "certificate_issued",
        days = section.self_signed_days,
        "issued a self-signed certificate: {}",
        section.cert_file.display()
    );
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8], mode: u32) -> Result<(), TlsError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| TlsError::io(format!("creating {}", parent.display()), e))?;
    }
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&partial)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&partial, path));
    written.map_err(|e| TlsError::io(format!("writing {}", path.display()), e))
}

/// The HTTPS listener: binds `listen` (`tls.listen`) and serves `app` over HTTPS until `stop` turns true, then
/// drains for `drain` (`server.shutdown_timeout`). Returns once the listener is bound (its
/// address logged).
pub async fn serve_https(
    listen: SocketAddr,
    drain: Duration,
    rustls: RustlsConfig,
    app: axum::Router,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Result<tokio::task::JoinHandle<()>, TlsError> {
    let handle = axum_server::Handle::new();
    let server = axum_server::bind_rustls(listen, rustls).handle(handle.clone());
    // The peer address feeds `source_ip` of security events and the per-address login limit.
    let app = app.layer(axum::middleware::map_response(strict_transport_security));
    let task = tokio::spawn(
        server.serve(app.into_make_service_with_connect_info::<std::net::SocketAddr>()),
    );
    let Some(addr) = handle.listening().await else {
        let detail = match task.await {
            Ok(Err(e)) => e.to_string(),
            _ => "the listener stopped".to_string(),
        };
        return Err(TlsError::Listen(format!("tls.listen {listen}: {detail}")));
    };
    tracing::info!(target: "unet::server", "listening on https://{addr}");
    Ok(tokio::spawn(async move {
        let _ = stop.wait_for(|s| *s).await;
        handle.graceful_shutdown(Some(drain));
        match task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(target: "unet::server", "ERROR https {e}"),
            Err(e) => tracing::error!(target: "unet::server", "ERROR https {e}"),
        }
    }))
}

/// HSTS, on HTTPS answers only: browsers that saw it keep to HTTPS for a year. Sent over plain
/// HTTP it would be ignored (RFC 6797 §8.1) and could pin a host that has no HTTPS.
async fn strict_transport_security(
    mut response: axum::response::Response,
) -> axum::response::Response {
    response.headers_mut().insert(
        axum::http::header::STRICT_TRANSPORT_SECURITY,
        axum::http::HeaderValue::from_static("max-age=31536000"),
    );
    response
}
