//! `unet-server backup --to PATH` (online, consistent) and `unet-server restore --from PATH`
//! (server stopped; the file is verified first and the current database is kept aside).
//!
//! SQLite: `VACUUM INTO` copies the database inside one read transaction while the server
//! keeps serving; a restore checks the SQLite header, `PRAGMA integrity_check` and the
//! `schema_migrations` table before it touches anything. PostgreSQL: `pg_dump --format=custom`
//! and `pg_restore --clean --single-transaction`, the client programs of the server's version.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use sha2::{Digest, Sha256};
use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use unet_core::Timestamp;
use unet_store::{Backend, Store};

use crate::OpsError;
use crate::open_store;
use crate::pg::run_tool;
use crate::stamp;
use unet_settings::Config;

const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Writes a consistent copy of the live database to `target` (which must not exist yet),
/// through a temporary name moved into place so that `target` is never half-written, nor
/// replaced should it appear meanwhile.
pub async fn copy_database(store: &Store, url: &str, target: &Path) -> Result<(), OpsError> {
    if target.exists() {
        return Err(OpsError::Failed(format!(
            "{} already exists; choose a new file name",
            target.display()
        )));
    }
    let partial = with_suffix(target, ".partial");
    let result = match store.backend() {
        Backend::Sqlite => store.copy_sqlite_into(&partial).await.map_err(|e| {
            OpsError::Failed(format!(
                "cannot copy the database to {}: {e}",
                target.display()
            ))
        }),
        Backend::Postgres => {
            let args = [
                "--format=custom".into(),
                "--file".into(),
                partial.clone().into_os_string(),
            ];
            let url = url.to_string();
            crate::blocking(move || run_tool("pg_dump", &args, Some(&url))).await
        }
    };
    let target = target.to_path_buf();
    crate::blocking(move || {
        match result.and_then(|()| {
            move_new(&partial, &target)
                .map_err(|e| OpsError::io(format!("moving into {}", target.display()), e))
        }) {
            Ok(()) => Ok(()),
            Err(e) => {
                let _ = std::fs::remove_file(&partial);
                Err(e)
            }
        }
    })
    .await
}

/// Moves `from` to `to`, failing with `AlreadyExists` rather than replacing an existing `to`
/// (`rename` would replace it silently): a hard link, which the file system refuses to an
/// existing name, then the removal of `from`.
fn move_new(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::hard_link(from, to)?;
    std::fs::remove_file(from)
}

/// Most names tried for the copies one restore keeps aside.
const MAX_ASIDE_ATTEMPTS: u32 = 1000;

/// `pre-restore-STAMP` for the first restore of a second, then `pre-restore-STAMP-1`, …
fn aside_name(stamp: &str, attempt: u32) -> String {
    match attempt {
        0 => format!("pre-restore-{stamp}"),
        n => format!("pre-restore-{stamp}-{n}"),
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Moves every one of `files` aside under the first `FILE.pre-restore-…` name that none of
/// them has yet, never replacing a copy an earlier restore kept (two restores in the same
/// second get `-1`, `-2`, … names). All files are linked to their new names before any
/// original goes, so a failure leaves the originals in place. Returns the new names.
fn move_aside(files: &[PathBuf], stamp: &str) -> Result<Vec<PathBuf>, OpsError> {
    for attempt in 0..MAX_ASIDE_ATTEMPTS {
        let suffix = format!(".{}", aside_name(stamp, attempt));
        let mut linked = Vec::with_capacity(files.len());
        let mut taken = None;
        for file in files {
            let aside = with_suffix(file, &suffix);
            match std::fs::hard_link(file, &aside) {
                Ok(()) => linked.push(aside),
                Err(e) => {
                    taken = Some((file, e));
                    break;
                }
            }
        }
        match taken {
            None => {
                for file in files {
                    std::fs::remove_file(file)
                        .map_err(|e| OpsError::io(format!("moving {} aside", file.display()), e))?;
                }
                return Ok(linked);
            }
            Some((file, e)) => {
                for aside in &linked {
                    let _ = std::fs::remove_file(aside);
                }
                if e.kind() != std::io::ErrorKind::AlreadyExists {
                    return Err(OpsError::io(format!("moving {} aside", file.display()), e));
                }
            }
        }
    }
    Err(OpsError::Failed(format!(
        "{MAX_ASIDE_ATTEMPTS} names for the copies of the current database are taken already \
         ({}.{}…); move old copies away",
        files
            .first()
            .map(|f| f.display().to_string())
            .unwrap_or_default(),
        aside_name(stamp, 0)
    )))
}

/// `unet-server backup --to PATH`: returns what to print.
pub async fn backup(config: &Config, to: &Path) -> Result<String, OpsError> {
    let store = open_store(config).await?;
    let result = copy_database(&store, &config.database.url, to).await;
    let backend = store.backend();
    store.close().await;
    result?;
    if backend == Backend::Sqlite {
        verify_sqlite(to).await?;
    }
    let file = to.to_path_buf();
    let (size, sha256) = crate::blocking(move || sha256_file(&file)).await?;
    Ok(format!(
        "backup written: {} ({size} bytes, sha256 {sha256})\n",
        to.display()
    ))
}

/// `unet-server restore --from PATH`: returns what to print.
pub async fn restore(config: &Config, from: &Path) -> Result<String, OpsError> {
    // A restore under a running server would be overwritten or corrupt its open files.
    crate::server_lock::refuse_if_serving(&config.data.dir)?;
    let now = Timestamp::now();
    match Backend::from_url(&config.database.url)? {
        Backend::Sqlite => restore_sqlite(config, from, now).await,
        Backend::Postgres => restore_postgres(config, from, now).await,
    }
}

/// Checks that `path` is an intact SQLite database holding μNet's schema.
pub async fn verify_sqlite(path: &Path) -> Result<(), OpsError> {
    let shown = path.display();
    let mut header = [0u8; 16];
    let mut file =
        std::fs::File::open(path).map_err(|e| OpsError::io(format!("opening {shown}"), e))?;
    let readable = std::io::Read::read_exact(&mut file, &mut header).is_ok();
    if !readable || &header != SQLITE_HEADER {
        return Err(OpsError::Failed(format!(
            "{shown} is not an SQLite database (no SQLite header)"
        )));
    }
    let options = SqliteConnectOptions::new().filename(path).read_only(true);
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .map_err(|e| OpsError::Failed(format!("cannot open {shown}: {e}")))?;
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
        checked.map_err(|e| OpsError::Failed(format!("cannot check {shown}: {e}")))?;
    if integrity != "ok" {
        return Err(OpsError::Failed(format!(
            "{shown} fails PRAGMA integrity_check: {integrity}"
        )));
    }
    if migrations == 0 {
        return Err(OpsError::Failed(format!(
            "{shown} is an SQLite database but not a μNet one (no schema_migrations table)"
        )));
    }
    Ok(())
}

async fn restore_sqlite(config: &Config, from: &Path, now: Timestamp) -> Result<String, OpsError> {
    verify_sqlite(from).await?;
    let options = SqliteConnectOptions::from_str(&config.database.url)
        .map_err(|e| OpsError::Failed(format!("database.url is not a valid SQLite URL: {e}")))?;
    let target = options.get_filename().to_path_buf();
    let mut out = String::new();
    // The WAL and shared-memory files belong to the old database: left in place, SQLite would
    // replay the old WAL into the restored file.
    let current: Vec<PathBuf> = ["", "-wal", "-shm"]
        .iter()
        .map(|extension| with_suffix(&target, extension))
        .filter(|file| file.exists())
        .collect();
    for aside in move_aside(&current, &stamp(now))? {
        out.push_str(&format!("kept aside: {}\n", aside.display()));
    }
    let partial = with_suffix(&target, ".partial");
    std::fs::copy(from, &partial).map_err(|e| {
        OpsError::io(
            format!("copying {} to {}", from.display(), partial.display()),
            e,
        )
    })?;
    std::fs::File::open(&partial)
        .and_then(|f| f.sync_all())
        .map_err(|e| OpsError::io(format!("syncing {}", partial.display()), e))?;
    std::fs::rename(&partial, &target)
        .map_err(|e| OpsError::io(format!("renaming into {}", target.display()), e))?;
    verify_sqlite(&target).await?;
    out.push_str(&format!(
        "restored {} from {} (integrity ok)\n",
        target.display(),
        from.display()
    ));
    Ok(out)
}

async fn restore_postgres(
    config: &Config,
    from: &Path,
    now: Timestamp,
) -> Result<String, OpsError> {
    // `pg_restore --list` reads only the archive's table of contents: it refuses any file
    // that is not a custom-format dump before the database is touched.
    run_tool(
        "pg_restore",
        &["--list".into(), from.as_os_str().to_owned()],
        None,
    )
    .map_err(|e| {
        OpsError::Failed(format!(
            "{} is not a PostgreSQL backup of μNet: {e}",
            from.display()
        ))
    })?;
    let store = open_store(config).await?;
    let dir = config.data.snapshots_dir();
    std::fs::create_dir_all(&dir)
        .map_err(|e| OpsError::io(format!("creating {}", dir.display()), e))?;
    // The first free name: `copy_database` refuses (never replaces) one taken meanwhile.
    let stamp = stamp(now);
    let aside = (0..MAX_ASIDE_ATTEMPTS)
        .map(|attempt| dir.join(format!("{}.dump", aside_name(&stamp, attempt))))
        .find(|path| !path.exists())
        .ok_or_else(|| {
            OpsError::Failed(format!(
                "{MAX_ASIDE_ATTEMPTS} names for the dump of the current database are taken \
                 already in {}; move old dumps away",
                dir.display()
            ))
        });
    let copied = match aside {
        Ok(aside) => copy_database(&store, &config.database.url, &aside)
            .await
            .map(|()| aside),
        Err(e) => Err(e),
    };
    store.close().await;
    let aside = copied?;
    run_tool(
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

/// Size and SHA-256 (hex) of a file, streamed.
pub fn sha256_file(path: &Path) -> Result<(u64, String), OpsError> {
    let context = || format!("reading {}", path.display());
    let mut file = std::fs::File::open(path).map_err(|e| OpsError::io(context(), e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| OpsError::io(context(), e))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((size, hex::encode(hasher.finalize())))
}

#[cfg(test)]
mod tests {
    use unet_core::{ChangeContext, ChangeSource, LocationDraft};
    use unet_store::testing::TestDatabase;

    use std::process::Command;

    use super::*;
    use crate::pg::find_tool;

    async fn add_location(store: &Store, name: &str) {
        let ctx = ChangeContext::new("test", ChangeSource::Cli);
        let draft = LocationDraft {
            name: name.into(),
            kind: "site".into(),
            ..Default::default()
        };
        store.create_location(&ctx, draft).await.unwrap();
    }

    /// The plain SQL of a PostgreSQL dump (its table data included).
    fn dump_text(dump: &Path) -> String {
        let program = find_tool("pg_restore").expect("pg_restore");
        let output = Command::new(program)
            .arg("--file=-")
            .arg(dump)
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap()
    }

    /// Two restores within one second (the same time stamp) keep two copies aside, each
    /// holding the database it replaced: the second never overwrites the first.
    #[tokio::test]
    async fn restores_within_one_second_keep_every_copy_aside() {
        for db in TestDatabase::all().await {
            let work = tempfile::tempdir().unwrap();
            let config = Config::from_toml(
                &format!(
                    "[database]\nurl = {:?}\n[data]\ndir = {:?}\n",
                    db.url(),
                    work.path().join("data").display().to_string()
                ),
                None,
                Vec::new(),
            )
            .unwrap();
            let backup = work.path().join("backup");
            let store = db.store().await;
            add_location(&store, "original").await;
            copy_database(&store, db.url(), &backup).await.unwrap();
            add_location(&store, "after-the-backup").await;
            store.close().await;

            let now = Timestamp::now();
            let (restore, live) = match db.backend() {
                Backend::Sqlite => {
                    let options = SqliteConnectOptions::from_str(db.url()).unwrap();
                    let live = options.get_filename().to_path_buf();
                    let first = restore_sqlite(&config, &backup, now).await.unwrap();
                    let second = restore_sqlite(&config, &backup, now).await.unwrap();
                    (vec![first, second], Some(live))
                }
                Backend::Postgres => {
                    let first = restore_postgres(&config, &backup, now).await.unwrap();
                    let second = restore_postgres(&config, &backup, now).await.unwrap();
                    (vec![first, second], None)
                }
            };
            let kept: Vec<PathBuf> = restore
                .iter()
                .map(|out| {
                    let line = out.lines().next().unwrap();
                    PathBuf::from(line.strip_prefix("kept aside: ").unwrap())
                })
                .collect();
            assert_ne!(kept[0], kept[1], "{restore:?}");
            let stamp = stamp(now);
            match live {
                Some(live) => {
                    assert_eq!(
                        kept[0],
                        with_suffix(&live, &format!(".pre-restore-{stamp}"))
                    );
                    assert_eq!(
                        kept[1],
                        with_suffix(&live, &format!(".pre-restore-{stamp}-1"))
                    );
                    // The first copy is the database as it was; the second, the first restore.
                    let first = std::fs::read(&kept[0]).unwrap();
                    assert_ne!(first, std::fs::read(&backup).unwrap());
                    assert_eq!(
                        std::fs::read(&kept[1]).unwrap(),
                        std::fs::read(&backup).unwrap()
                    );
                    assert_eq!(
                        std::fs::read(&live).unwrap(),
                        std::fs::read(&backup).unwrap()
                    );
                    let store = Store::open(db.url(), Default::default()).await.unwrap();
                    let kept_store = Store::open(
                        &format!("sqlite://{}", kept[0].display()),
                        Default::default(),
                    )
                    .await
                    .unwrap();
                    for (store, expected) in [(&kept_store, 2), (&store, 1)] {
                        let page = store
                            .list_locations(&Default::default(), &Default::default())
                            .await
                            .unwrap();
                        assert_eq!(page.total, expected);
                    }
                    kept_store.close().await;
                    store.close().await;
                }
                None => {
                    let dumps = config.data.snapshots_dir();
                    assert_eq!(kept[0], dumps.join(format!("pre-restore-{stamp}.dump")));
                    assert_eq!(kept[1], dumps.join(format!("pre-restore-{stamp}-1.dump")));
                    let (first, second) = (dump_text(&kept[0]), dump_text(&kept[1]));
                    assert!(first.contains("original"), "{first}");
                    assert!(first.contains("after-the-backup"), "{first}");
                    assert!(second.contains("original"), "{second}");
                    assert!(!second.contains("after-the-backup"), "{second}");
                }
            }
        }
    }
}
