//! The checks `--validate` (and every SIGHUP) runs beyond parsing: things that depend on the
//! machine, such as files that must be readable, directories that must be writable, and a
//! certificate that must match its key.
//!
//! Files are asked about with `faccessat(2)`, never opened: the reload runs these checks inside
//! the serving process, and opening then closing the database file (or its `-wal`, `-shm`,
//! `-journal`) there would release every POSIX lock SQLite holds on it — `close(2)` drops all
//! of a process's locks on a file, whichever descriptor took them. An outside `sqlite3`
//! (the runbook's `VACUUM`) would then rewrite the file under the pool and corrupt it.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
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
    check(
        "templates.dir",
        super::templates::readable_templates(&config.templates),
    );
    if let Some(file) = &config.logging.file {
        check(
            "logging.file",
            writable_file(file).and_then(|()| not_a_database_file(file, &config.database.url)),
        );
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

/// The file of an SQLite URL (`None` for PostgreSQL and `:memory:`).
fn sqlite_file(url: &str) -> Result<Option<PathBuf>, String> {
    if !url.starts_with("sqlite:") {
        return Ok(None);
    }
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)
        .map_err(|e| format!("not a valid SQLite URL: {e}"))?;
    let file = options.get_filename();
    Ok((file.as_os_str() != ":memory:").then(|| file.to_path_buf()))
}

/// The database file and the files SQLite keeps beside it.
fn sqlite_files(file: &Path) -> [PathBuf; 4] {
    ["", "-wal", "-shm", "-journal"].map(|suffix| {
        let mut name = OsString::from(file.as_os_str());
        name.push(suffix);
        PathBuf::from(name)
    })
}

fn check_database_url(url: &str) -> Result<(), String> {
    if url.starts_with("sqlite:") {
        let Some(file) = sqlite_file(url)? else {
            return Ok(());
        };
        // SQLite creates `-wal` and `-shm` next to the file: the directory must take files.
        writable_dir(file.parent().unwrap_or(Path::new(".")))?;
        for existing in sqlite_files(&file).iter().filter(|f| f.exists()) {
            if existing.is_dir() {
                return Err(format!("is a directory: {}", existing.display()));
            }
            accessible(existing, libc::R_OK | libc::W_OK)
                .map_err(|e| format!("file not writable: {} ({e})", existing.display()))?;
        }
        Ok(())
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
        accessible(file, libc::W_OK)
            .map_err(|e| format!("file not writable: {} ({e})", file.display()))
    } else {
        writable_dir(file.parent().unwrap_or(Path::new(".")))
    }
}

/// Whether this process (its effective user and groups) may access `file` in `mode`
/// (`libc::R_OK | libc::W_OK`, …), asked of the kernel without opening the file.
fn accessible(file: &Path, mode: libc::c_int) -> Result<(), std::io::Error> {
    let path = std::ffi::CString::new(file.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
    // SAFETY: `path` is a NUL-terminated string that outlives the call; faccessat reads it
    // and touches no other memory.
    let rc = unsafe { libc::faccessat(libc::AT_FDCWD, path.as_ptr(), mode, libc::AT_EACCESS) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// `logging.file` must not be one of the database's files: the log writer opens, appends to
/// and (on every reload) closes it, which would corrupt the database and release SQLite's
/// locks on it.
fn not_a_database_file(log: &Path, url: &str) -> Result<(), String> {
    let Ok(Some(db)) = sqlite_file(url) else {
        return Ok(());
    };
    // The folder resolved (links, `..`), the name as given: the files need not exist yet.
    let resolved = |p: &Path| {
        let dir = p.parent().filter(|d| !d.as_os_str().is_empty());
        match (dir.unwrap_or(Path::new(".")).canonicalize(), p.file_name()) {
            (Ok(dir), Some(name)) => dir.join(name),
            _ => p.to_path_buf(),
        }
    };
    let log = resolved(log);
    match sqlite_files(&db).iter().find(|f| resolved(f) == log) {
        Some(f) => Err(format!(
            "{} is a file of the database; choose another log file",
            f.display()
        )),
        None => Ok(()),
    }
}

pub fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
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

pub fn read_private_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
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
    fn the_log_file_cannot_be_a_file_of_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("unet.db");
        std::fs::write(&db, "").unwrap();
        let c = config(&format!(
            "[database]\nurl = \"sqlite://{}\"\n[logging]\nfile = {:?}\n[data]\ndir = {:?}\n",
            db.display(),
            dir.path().join("sub/../unet.db-wal").display().to_string(),
            dir.path().join("data").display().to_string()
        ));
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let text: Vec<String> = check_environment(&c)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            text,
            [format!(
                "logging.file: {}-wal is a file of the database; choose another log file",
                db.display()
            )]
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
