//! `unet-server backup --to PATH` (online, consistent) and `unet-server restore --from PATH`
//! (server stopped; the file is verified first and the current database is kept aside).
//!
//! SQLite: `VACUUM INTO` copies the database inside one read transaction while the server
//! keeps serving; a restore checks the SQLite header, `PRAGMA integrity_check` and the
//! `schema_migrations` table before it touches anything. PostgreSQL: `pg_dump --format=custom`
//! and `pg_restore --clean --single-transaction`, the client programs of the server's version.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use unet_core::Timestamp;
use unet_store::{Backend, Store};

use crate::config::Config;
use crate::error::Error;
use crate::migrate::{find_pg_tool, snapshot_stamp};
use crate::serve::open_store;
use crate::snapshot::sha256_file;

const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Writes a consistent copy of the live database to `target` (which must not exist yet),
/// through a temporary name and a rename so that `target` is never half-written.
pub async fn copy_database(store: &Store, url: &str, target: &Path) -> Result<(), Error> {
    if target.exists() {
        return Err(Error::Startup(format!(
            "{} already exists; choose a new file name",
            target.display()
        )));
    }
    let partial = partial_name(target);
    let result = match store.backend() {
        Backend::Sqlite => sqlx::query("VACUUM INTO $1")
            .bind(partial.to_string_lossy().into_owned())
            .execute(store.pool())
            .await
            .map(|_| ())
            .map_err(|e| {
                Error::Startup(format!(
                    "cannot copy the database to {}: {e}",
                    target.display()
                ))
            }),
        Backend::Postgres => run_pg_tool(
            "pg_dump",
            &[
                "--format=custom".into(),
                "--file".into(),
                partial.clone().into_os_string(),
            ],
            Some(url),
        ),
    };
    match result.and_then(|()| {
        std::fs::rename(&partial, target)
            .map_err(|e| Error::io(format!("renaming into {}", target.display()), e))
    }) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

fn partial_name(target: &Path) -> PathBuf {
    let mut name = target.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

/// Runs a PostgreSQL client program; with `url`, adds `--dbname` without the password, which
/// goes in `PGPASSWORD` instead so that it never shows in the process list.
fn run_pg_tool(name: &str, args: &[std::ffi::OsString], url: Option<&str>) -> Result<(), Error> {
    let program = find_pg_tool(name).ok_or_else(|| {
        Error::Startup(format!(
            "{name} not found: install the PostgreSQL client programs (postgresql-client) of \
             the server's major version"
        ))
    })?;
    let mut command = Command::new(&program);
    command.args(args);
    if let Some(url) = url {
        let (without, password) = split_password(url);
        command.arg("--dbname").arg(without);
        if let Some(password) = password {
            command.env("PGPASSWORD", password);
        }
    }
    let output = command
        .output()
        .map_err(|e| Error::io(format!("running {}", program.display()), e))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(Error::Startup(format!(
            "{name} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )))
    }
}

/// `unet-server backup --to PATH`: returns what to print.
pub async fn backup(config: &Config, to: &Path) -> Result<String, Error> {
    let store = open_store(config).await?;
    let result = copy_database(&store, &config.database.url, to).await;
    let backend = store.backend();
    store.close().await;
    result?;
    if backend == Backend::Sqlite {
        verify_sqlite(to).await?;
    }
    let (size, sha256) = sha256_file(to)?;
    Ok(format!(
        "backup written: {} ({size} bytes, sha256 {sha256})\n",
        to.display()
    ))
}

/// `unet-server restore --from PATH`: returns what to print.
pub async fn restore(config: &Config, from: &Path) -> Result<String, Error> {
    // A restore under a running server would be overwritten or corrupt its open files.
    crate::server_lock::refuse_if_serving(&config.data.dir)?;
    match Backend::from_url(&config.database.url)? {
        Backend::Sqlite => restore_sqlite(config, from).await,
        Backend::Postgres => restore_postgres(config, from).await,
    }
}

/// Checks that `path` is an intact SQLite database holding μNet's schema.
pub async fn verify_sqlite(path: &Path) -> Result<(), Error> {
    let shown = path.display();
    let mut header = [0u8; 16];
    let mut file =
        std::fs::File::open(path).map_err(|e| Error::io(format!("opening {shown}"), e))?;
    let readable = std::io::Read::read_exact(&mut file, &mut header).is_ok();
    if !readable || &header != SQLITE_HEADER {
        return Err(Error::Startup(format!(
            "{shown} is not an SQLite database (no SQLite header)"
        )));
    }
    let options = SqliteConnectOptions::new().filename(path).read_only(true);
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .map_err(|e| Error::Startup(format!("cannot open {shown}: {e}")))?;
    let checked: Result<(String, i64), sqlx::Error> = async {
        let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&mut conn)
            .await?;
        let migrations: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
        )
        .fetch_one(&mut conn)
        .await?;
        Ok((integrity, migrations))
    }
    .await;
    let _ = conn.close().await;
    let (integrity, migrations) =
        checked.map_err(|e| Error::Startup(format!("cannot check {shown}: {e}")))?;
    if integrity != "ok" {
        return Err(Error::Startup(format!(
            "{shown} fails PRAGMA integrity_check: {integrity}"
        )));
    }
    if migrations == 0 {
        return Err(Error::Startup(format!(
            "{shown} is an SQLite database but not a μNet one (no schema_migrations table)"
        )));
    }
    Ok(())
}

async fn restore_sqlite(config: &Config, from: &Path) -> Result<String, Error> {
    verify_sqlite(from).await?;
    let options = SqliteConnectOptions::from_str(&config.database.url)
        .map_err(|e| Error::Startup(format!("database.url is not a valid SQLite URL: {e}")))?;
    let target = options.get_filename().to_path_buf();
    let suffix = format!(".pre-restore-{}", snapshot_stamp(Timestamp::now()));
    let mut out = String::new();
    // The WAL and shared-memory files belong to the old database: left in place, SQLite would
    // replay the old WAL into the restored file.
    for extension in ["", "-wal", "-shm"] {
        let mut current = target.as_os_str().to_owned();
        current.push(extension);
        let current = PathBuf::from(current);
        if current.exists() {
            let mut aside = current.as_os_str().to_owned();
            aside.push(&suffix);
            let aside = PathBuf::from(aside);
            std::fs::rename(&current, &aside)
                .map_err(|e| Error::io(format!("moving {} aside", current.display()), e))?;
            out.push_str(&format!("kept aside: {}\n", aside.display()));
        }
    }
    let partial = partial_name(&target);
    std::fs::copy(from, &partial).map_err(|e| {
        Error::io(
            format!("copying {} to {}", from.display(), partial.display()),
            e,
        )
    })?;
    std::fs::File::open(&partial)
        .and_then(|f| f.sync_all())
        .map_err(|e| Error::io(format!("syncing {}", partial.display()), e))?;
    std::fs::rename(&partial, &target)
        .map_err(|e| Error::io(format!("renaming into {}", target.display()), e))?;
    verify_sqlite(&target).await?;
    out.push_str(&format!(
        "restored {} from {} (integrity ok)\n",
        target.display(),
        from.display()
    ));
    Ok(out)
}

async fn restore_postgres(config: &Config, from: &Path) -> Result<String, Error> {
    // `pg_restore --list` reads only the archive's table of contents: it refuses any file
    // that is not a custom-format dump before the database is touched.
    run_pg_tool(
        "pg_restore",
        &["--list".into(), from.as_os_str().to_owned()],
        None,
    )
    .map_err(|e| {
        Error::Startup(format!(
            "{} is not a PostgreSQL backup of μNet: {e}",
            from.display()
        ))
    })?;
    let store = open_store(config).await?;
    let dir = config.data.snapshots_dir();
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    let aside = dir.join(format!(
        "pre-restore-{}.dump",
        snapshot_stamp(Timestamp::now())
    ));
    let copied = copy_database(&store, &config.database.url, &aside).await;
    store.close().await;
    copied?;
    run_pg_tool(
        "pg_restore",
        &[
            "--clean".into(),
            "--if-exists".into(),
            "--no-owner".into(),
            "--single-transaction".into(),
            from.as_os_str().to_owned(),
        ],
        Some(&config.database.url),
    )?;
    Ok(format!(
        "kept aside: {}\nrestored {} from {}\n",
        aside.display(),
        config.database.redacted_url(),
        from.display()
    ))
}

/// `postgres://user:p%40ss@host/db` → (`postgres://user@host/db`, `p@ss`).
fn split_password(url: &str) -> (String, Option<String>) {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return (url.to_string(), None);
    };
    let rest = &url[scheme_end..];
    let at = rest.find('@');
    let colon = rest.find(':');
    match (at, colon) {
        (Some(at), Some(colon)) if colon < at => (
            format!("{}{}{}", &url[..scheme_end], &rest[..colon], &rest[at..]),
            Some(percent_decode(&rest[colon + 1..at])),
        ),
        _ => (url.to_string(), None),
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url_for_the_environment() {
        assert_eq!(
            split_password("postgres://unet:s3cr%2Ft@db:5432/unet?sslmode=require"),
            (
                "postgres://unet@db:5432/unet?sslmode=require".to_string(),
                Some("s3cr/t".to_string())
            )
        );
        assert_eq!(
            split_password("postgres://unet@db/unet"),
            ("postgres://unet@db/unet".to_string(), None)
        );
        assert_eq!(percent_decode("a%zzb%41"), "a%zzbA");
    }
}
