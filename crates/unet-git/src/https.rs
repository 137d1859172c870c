//! https remotes. gix fetches them over reqwest, which gets a rustls configuration on the ring
//! provider (the build carries no other TLS stack) trusting the system's certificate store and,
//! per repository, the certificates of `ca_file` — an internal CA, typically. A login is the
//! repository's own `credentials`, handed to gix when the server asks (see `fetch.rs`); no
//! credential helper or prompt is ever run.

use std::path::Path;
use std::sync::{Arc, Mutex};

use gix::protocol::transport::client::blocking_io::http;
use unet_trust::{Anchor, Refusal, Trust, TrustError};

use crate::error::{GitError, Result};

/// Transport options for an https fetch that trusts `ca_file` besides the system store, and
/// the trust that checks the server's certificate (asked after a failure: [`refusal`]).
pub(crate) fn transport_options(ca_file: Option<&Path>) -> Result<(http::Options, Trust)> {
    let trust = Trust::new(Anchor::Roots {
        ca_file: ca_file.map(Path::to_path_buf),
    })
    .map_err(trust_error)?;
    let tls = trust.client_config().map_err(trust_error)?;
    let backend = http::reqwest::Options {
        configure_client: Some(Box::new(move |builder| {
            Ok(builder.tls_backend_preconfigured(tls.clone()))
        })),
        configure_request: None,
    };
    let options = http::Options {
        backend: Some(Arc::new(Mutex::new(backend))),
        user_agent: Some(concat!("unet/", env!("CARGO_PKG_VERSION")).to_string()),
        ..Default::default()
    };
    Ok((options, trust))
}

/// The refusal of the server's certificate, if that is why a fetch from `url` failed: the
/// certificate named, and what to change.
pub(crate) fn refusal(trust: &Trust, url: &str) -> Option<GitError> {
    let seen = trust.last_seen()?;
    let hint = match seen.refusal.as_ref()? {
        Refusal::UnknownIssuer => {
            "; give the repository a ca_file with the certificate of the CA that issued it"
        }
        Refusal::Expired | Refusal::NotYetValid => {
            "; the Git server needs a current certificate (and this machine the right time)"
        }
        Refusal::WrongName { .. } => "; use a URL with a name the certificate holds",
        Refusal::NotPinned { .. } | Refusal::Other(_) => "",
    };
    Some(GitError::UntrustedCertificate {
        url: url.to_string(),
        message: format!("{}{hint}", seen.describe()),
    })
}

fn trust_error(e: TrustError) -> GitError {
    match e {
        TrustError::CaFile { file, message } => GitError::Tls { file, message },
        TrustError::Setup(message) => GitError::Git {
            context: "configuring TLS".to_string(),
            message,
        },
    }
}
