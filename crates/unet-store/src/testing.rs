//! Throw-away databases for tests, in this crate and in others (feature `testing`).
//!
//! SQLite: a file in a temporary directory. PostgreSQL: `CREATE DATABASE unet_test_<random>`
//! on the server named by `UNET_TEST_POSTGRES_URL`, dropped when the value is dropped. Without
//! that variable PostgreSQL is skipped with a notice, except under `CI=true`, where a missing
//! server is a failure: CI must test both backends.

use std::future::Future;

use rand::Rng;
use sqlx::{AnyConnection, AssertSqlSafe, Connection};

use crate::{Backend, Store, StoreOptions};

pub const POSTGRES_URL_ENV: &str = "UNET_TEST_POSTGRES_URL";

/// A fresh, empty (unmigrated) database and its URL.
pub struct TestDatabase {
    url: String,
    backend: Backend,
    _dir: Option<tempfile::TempDir>,
    /// Admin URL and database name, to drop the PostgreSQL database afterwards.
    postgres: Option<(String, String)>,
}

impl std::fmt::Debug for TestDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDatabase")
            .field("backend", &self.backend)
            .field("url", &self.url)
            .finish()
    }
}

impl TestDatabase {
    /// A new SQLite file (not yet created: the store creates it on first use).
    pub fn sqlite() -> TestDatabase {
        let dir = tempfile::tempdir().expect("create a temporary directory for a test database");
        let url = format!("sqlite://{}", dir.path().join("unet.db").display());
        TestDatabase {
            url,
            backend: Backend::Sqlite,
            _dir: Some(dir),
            postgres: None,
        }
    }

    /// A new PostgreSQL database, or `None` (with a notice) when no server is configured
    /// outside CI. Panics under `CI=true` without a server, or when the server refuses.
    pub async fn postgres() -> Option<TestDatabase> {
        let admin = postgres_admin_url()?;
        let name = format!("unet_test_{:016x}", rand::rng().random::<u64>());
        sqlx::any::install_default_drivers();
        let mut conn = AnyConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("connect to {POSTGRES_URL_ENV}: {e}"));
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("create test database {name}: {e}"));
        let _ = conn.close().await;
        Some(TestDatabase {
            url: crate::DatabaseUrl::parse(&admin)
                .unwrap_or_else(|e| panic!("{POSTGRES_URL_ENV}: {e}"))
                .with_database(&name)
                .expose()
                .to_string(),
            backend: Backend::Postgres,
            _dir: None,
            postgres: Some((admin, name)),
        })
    }

    /// Every backend available here: SQLite always, PostgreSQL when configured.
    pub async fn all() -> Vec<TestDatabase> {
        let mut all = vec![TestDatabase::sqlite()];
        all.extend(TestDatabase::postgres().await);
        all
    }

    /// Blocking form of [`TestDatabase::all`] for tests that only run binaries.
    pub fn all_blocking() -> Vec<TestDatabase> {
        let mut all = vec![TestDatabase::sqlite()];
        all.extend(TestDatabase::postgres_blocking());
        all
    }

    /// Blocking form of [`TestDatabase::postgres`].
    pub fn postgres_blocking() -> Option<TestDatabase> {
        on_own_runtime(TestDatabase::postgres())
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A store on this database with the migrations up to and including `last` applied, as
    /// an older release would have left it.
    pub async fn store_migrated_through(&self, last: i64) -> Store {
        let store = Store::open(&self.url, StoreOptions::default())
            .await
            .unwrap_or_else(|e| panic!("open {}: {e}", self.url));
        store
            .migrate_through(last)
            .await
            .unwrap_or_else(|e| panic!("migrate {} through {last}: {e}", self.url));
        store
    }

    /// A store on this database with every migration applied.
    pub async fn store(&self) -> Store {
        Store::open_and_migrate(&self.url, StoreOptions::default())
            .await
            .unwrap_or_else(|e| panic!("open and migrate {}: {e}", self.url))
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.postgres.take() {
            on_own_runtime(async move {
                if let Ok(mut conn) = AnyConnection::connect(&admin).await {
                    let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    if let Err(e) = sqlx::raw_sql(AssertSqlSafe(drop)).execute(&mut conn).await {
                        eprintln!("note: could not drop test database {name}: {e}");
                    }
                    let _ = conn.close().await;
                }
            });
        }
    }
}

/// Runs `body` once per available backend, each on a fresh migrated store.
pub async fn for_each_backend<F, Fut>(body: F)
where
    F: Fn(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    for db in TestDatabase::all().await {
        eprintln!("-- backend {}", db.backend().as_str());
        let store = db.store().await;
        body(store.clone()).await;
        store.close().await;
    }
}

fn postgres_admin_url() -> Option<String> {
    match std::env::var(POSTGRES_URL_ENV) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{POSTGRES_URL_ENV} is not set but CI=true: the PostgreSQL tests must run in CI")
        }
        _ => {
            eprintln!("note: {POSTGRES_URL_ENV} is not set; skipping PostgreSQL");
            None
        }
    }
}

/// Runs a future to completion on a private runtime in its own thread, so it works from
/// both plain and async (tokio) test code, including `Drop`.
fn on_own_runtime<F>(future: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("build a test runtime")
                    .block_on(future)
            })
            .join()
            .expect("test database helper thread panicked")
    })
}
