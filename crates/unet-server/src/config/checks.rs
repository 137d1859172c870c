//! The checks `--validate` runs beyond parsing: things that depend on the machine, such as
//! files that must be readable, directories that must be writable, and a certificate that must
//! match its key.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::{Config, Problem};

/// Every problem the configuration would meet on this machine.
pub fn check_environment(config: &Config) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut check = |key: &str, result: Result<(), String>| {
        if let Err(message) = result {
            problems.push(Problem::new(key, message));
        }
    };
    check("database.url", check_database_url(&config.database.url));
    check("data.dir", writable_dir(&config.data.dir));
    check(
        "policies.dir",
        super::policies::readable_policies(&config.policies),
    );
    if let Some(file) = &config.logging.file {
        check("logging.file", writable_file(file));
    }
    if config.tls.enabled && !config.tls.self_signed {
        let cert = read_certificates(&config.tls.cert_file);
        let key = read_private_key(&config.tls.key_file);
        check(
            "tls.cert_file",
            cert.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        check(
            "tls.key_file",
            key.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        if let (Ok(cert), Ok(key)) = (cert, key) {
            check(
                "tls.key_file",
                key_matches(cert, key, &config.tls.cert_file),
            );
        }
    }
    if config.tls.enabled && config.tls.listen == config.server.listen {
        check(
            "tls.listen",
            Err(format!(
                "{} is also server.listen; HTTPS needs its own port",
                config.tls.listen
            )),
        );
    }
    problems
}

fn check_database_url(url: &str) -> Result<(), String> {
    if url.starts_with("sqlite:") {
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)
            .map_err(|e| format!("not a valid SQLite URL: {e}"))?;
        let file = options.get_filename();
        if file.as_os_str() == ":memory:" {
            return Ok(());
        }
        match file.parent() {
            Some(dir) if file.exists() => writable_file(file).or_else(|_| writable_dir(dir)),
            Some(dir) => writable_dir(dir),
            None => Ok(()),
        }
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        sqlx::postgres::PgConnectOptions::from_str(url)
            .map(|_| ())
            .map_err(|e| format!("not a valid PostgreSQL URL: {e}"))
    } else {
        Err("expected sqlite://PATH or postgres://USER@HOST/DATABASE".to_string())
    }
}

/// The directory exists (or can be created below an existing writable one) and takes files.
fn writable_dir(dir: &Path) -> Result<(), String> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    if !dir.exists() {
        let existing = dir.ancestors().skip(1).find(|a| a.exists());
        return match existing {
            Some(parent) if parent.is_dir() => writable_dir(parent).map_err(|_| {
                format!(
                    "directory not found and cannot be created: {} ({} is not writable)",
                    dir.display(),
                    parent.display()
                )
            }),
            _ => Err(format!("directory not found: {}", dir.display())),
        };
    }
    if !dir.is_dir() {
        return Err(format!("not a directory: {}", dir.display()));
    }
    let probe: PathBuf = dir.join(format!(".unet-write-check-{}", std::process::id()));
    match std::fs::File::create(&probe) {
        Ok(_) => {
            // Best effort: the probe is empty and named after this process.
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(format!("directory not writable: {} ({e})", dir.display())),
    }
}

fn writable_file(file: &Path) -> Result<(), String> {
    if file.is_dir() {
        return Err(format!("is a directory: {}", file.display()));
    }
    if file.exists() {
        std::fs::OpenOptions::new()
            .append(true)
            .open(file)
            .map(|_| ())
            .map_err(|e| format!("file not writable: {} ({e})", file.display()))
    } else {
        writable_dir(file.parent().unwrap_or(Path::new(".")))
    }
}

pub(crate) fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    if !path.exists() {
        return Err(format!("file not found: {}", path.display()));
    }
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("cannot read PEM certificates from {}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("no CERTIFICATE block in {}", path.display()));
    }
    Ok(certs)
}

pub(crate) fn read_private_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    if !path.exists() {
        return Err(format!("file not found: {}", path.display()));
    }
    PrivateKeyDer::from_pem_file(path)
        .map_err(|e| format!("cannot read a PEM private key from {}: {e}", path.display()))
}

fn key_matches(
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    cert_file: &Path,
) -> Result<(), String> {
    let provider = rustls::crypto::ring::default_provider();
    rustls::sign::CertifiedKey::from_der(certs, key, &provider)
        .map(|_| ())
        .map_err(|e| {
            format!(
                "the key does not belong to the certificate in {}: {e}",
                cert_file.display()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Config {
        Config::from_toml(text, None, Vec::new()).unwrap()
    }

    #[test]
    fn reports_missing_tls_files_and_bad_urls_with_their_keys() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(&format!(
            "[tls]\nenabled = true\ncert_file = \"/nonexistent/cert.pem\"\nkey_file = \"/nonexistent/key.pem\"\n\
             [database]\nurl = \"mysql://x\"\n[data]\ndir = {:?}\n",
            dir.path().join("data").display().to_string()
        ));
        let problems = check_environment(&c);
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "database.url: expected sqlite://PATH or postgres://USER@HOST/DATABASE",
                "tls.cert_file: file not found: /nonexistent/cert.pem",
                "tls.key_file: file not found: /nonexistent/key.pem",
            ]
        );
    }

    #[test]
    fn a_file_where_a_directory_belongs_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, "").unwrap();
        assert!(writable_dir(&file).unwrap_err().contains("not a directory"));
        assert!(writable_dir(&file.join("sub")).is_err());
        assert!(writable_dir(&dir.path().join("new/deeper")).is_ok());
    }
}
