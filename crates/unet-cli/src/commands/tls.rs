//! `unet tls trust|forget`: pin the certificate a server presents (a self-signed one,
//! typically) so the CLI trusts that server when it presents exactly this certificate, and
//! remove the pin. Pinning is never implicit: the operator runs `trust`, sees the certificate,
//! and confirms it (`--fingerprint` to compare with the value read on the server).

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use clap::Subcommand;
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use unet_trust::{Anchor, CertificateInfo, Fingerprint, Trust};

use super::block_on;
use crate::client::pins::{self, Pin};
use crate::client::{Endpoint, Remote};
use crate::client_config::ServerOptions;
use crate::error::{CliError, Result};
use crate::output::{OutputFormat, note, print_structured};

#[derive(Debug, Subcommand)]
pub enum TlsCommand {
    /// Show the certificate the server presents and pin it. Check its fingerprint with the
    /// server's administrator first: on the server, `GET /api/v1/certificates/status` reports
    /// it as `fingerprint_sha256`.
    Trust {
        /// The SHA-256 fingerprint you expect (hex, colons allowed): the certificate is pinned
        /// only if it matches. Without it, you are asked to confirm on the terminal.
        #[arg(long, value_name = "SHA256")]
        fingerprint: Option<String>,
        /// Pin without asking (for scripts that checked the certificate another way).
        #[arg(long, conflicts_with = "fingerprint")]
        yes: bool,
    },
    /// Remove the pinned certificate of the server.
    Forget,
}

pub fn run(cmd: TlsCommand, server: &ServerOptions, format: OutputFormat) -> Result<ExitCode> {
    match cmd {
        TlsCommand::Trust { fingerprint, yes } => {
            let endpoint = server.required("unet tls trust")?;
            let expected = fingerprint
                .as_deref()
                .map(Fingerprint::parse)
                .transpose()
                .map_err(|e| CliError::Config(format!("--fingerprint: {e}")))?;
            trust(&endpoint, expected, yes, format)
        }
        TlsCommand::Forget => forget(&server.required("unet tls forget")?),
    }
}

fn trust(
    endpoint: &Endpoint,
    expected: Option<Fingerprint>,
    yes: bool,
    format: OutputFormat,
) -> Result<ExitCode> {
    if !endpoint.is_https() {
        return Err(CliError::Config(format!(
            "unet tls trust pins the certificate of an https server; {} is plain http",
            endpoint.shown()
        )));
    }
    let certificate = presented_certificate(endpoint)?;
    show(endpoint, &certificate, format)?;
    let authority = endpoint.authority();
    let confirmed = match expected {
        Some(expected) if expected == certificate.fingerprint => true,
        Some(expected) => {
            return Err(CliError::Untrusted {
                url: endpoint.shown(),
                message: format!(
                    "the server presents the certificate with sha256 {}, not the expected \
                     {expected}; nothing was pinned",
                    certificate.fingerprint
                ),
            });
        }
        None if yes => true,
        None => confirm(&authority)?,
    };
    if !confirmed {
        note!("nothing was pinned");
        return Ok(ExitCode::FAILURE);
    }
    let mut all = pins::load()?;
    let pinned_at = time::OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default();
    let previous = all.insert(authority.clone(), Pin::of(&certificate, pinned_at));
    let path = pins::save(&all)?;
    match previous {
        Some(old) if old.sha256 != certificate.fingerprint.to_string() => note!(
            "pinned the certificate of {authority} in {} (replacing sha256 {})",
            path.display(),
            old.sha256
        ),
        _ => note!(
            "pinned the certificate of {authority} in {}",
            path.display()
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// The certificate the server presents, fetched over a connection that trusts anything and
/// sends nothing secret.
fn presented_certificate(endpoint: &Endpoint) -> Result<CertificateInfo> {
    let inspect = Trust::new(Anchor::Inspect).map_err(|e| CliError::Config(e.to_string()))?;
    let remote = Remote::inspect(endpoint, inspect.clone())?;
    // The health answer does not matter (a degraded server answers 503): the handshake does.
    let answer = block_on(remote.health());
    match inspect.last_seen() {
        Some(seen) => seen.certificate.ok_or_else(|| CliError::Untrusted {
            url: endpoint.shown(),
            message: "the server's certificate cannot be parsed".to_string(),
        }),
        None => Err(answer.err().unwrap_or_else(|| {
            CliError::Config(format!("{} presented no certificate", endpoint.shown()))
        })),
    }
}

fn show(endpoint: &Endpoint, cert: &CertificateInfo, format: OutputFormat) -> Result<()> {
    if matches!(format, OutputFormat::Json | OutputFormat::Yaml) {
        let stamp = |t: time::OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
        let document = json!({
            "server": endpoint.shown(),
            "subject": cert.subject,
            "issuer": cert.issuer,
            "not_before": stamp(cert.not_before),
            "not_after": stamp(cert.not_after),
            "names": cert.names,
            "sha256": cert.fingerprint.to_string(),
        });
        return print_structured(&mut std::io::stdout().lock(), &document, format);
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "server:   {}", endpoint.shown())?;
    writeln!(out, "{cert}")?;
    Ok(())
}

/// Asks on the terminal; refuses when there is none to ask.
fn confirm(authority: &str) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Config(
            "not pinned: confirm the certificate with --fingerprint SHA256 (the value the \
             server's administrator reads in GET /api/v1/certificates/status), or --yes"
                .to_string(),
        ));
    }
    eprint!("Trust this certificate for {authority} from now on? [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

fn forget(endpoint: &Endpoint) -> Result<ExitCode> {
    let authority = endpoint.authority();
    let mut all = pins::load()?;
    if all.remove(&authority).is_none() {
        note!("no certificate is pinned for {authority}");
        return Ok(ExitCode::SUCCESS);
    }
    let path = pins::save(&all)?;
    note!(
        "removed the pinned certificate of {authority} from {}",
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}
