//! What operators check with the `sqlite3` shell while μNet runs.

use sqlx::Row;
use unet_store::testing::TestDatabase;
use unet_store::{Store, StoreOptions};

/// The steps of SQLite's plan for `query`.
async fn plan(store: &Store, query: &str) -> Vec<String> {
    let explain = format!("EXPLAIN QUERY PLAN {query}");
    sqlx::query(sqlx::AssertSqlSafe(explain))
        .fetch_all(store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String, _>("detail").unwrap())
        .collect()
}

#[tokio::test]
async fn file_is_created_in_wal_mode_with_foreign_keys_and_status_is_indexed() {
    let db = TestDatabase::sqlite();
    let path = db.url().trim_start_matches("sqlite://").to_string();
    assert!(!std::path::Path::new(&path).exists());
    let store = Store::open(db.url(), StoreOptions::default())
        .await
        .unwrap();
    assert!(std::path::Path::new(&path).exists(), "created on first use");
    let embedded = store.migration_status().await.unwrap().len();
    let pending = store.pending_migrations().await.unwrap().len();
    assert_eq!(pending, embedded, "open does not migrate");
    store.migrate().await.unwrap();

    let mode: String = sqlx::query("PRAGMA journal_mode")
        .fetch_one(store.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = sqlx::query("PRAGMA foreign_keys")
        .fetch_one(store.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(fk, 1);
    let ok: String = sqlx::query("PRAGMA integrity_check")
        .fetch_one(store.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(ok, "ok");
    let detail = plan(&store, "SELECT * FROM nodes WHERE status = 'active'").await;
    assert!(
        detail
            .iter()
            .any(|d| d.contains("USING INDEX nodes_status")),
        "{detail:?}"
    );
    // The one secondary index of policy results serves a rule filter alone too, the way the
    // store asks for it: every stored outcome and the rule.
    let detail = plan(
        &store,
        "SELECT * FROM policy_results \
         WHERE outcome IN ('pass', 'fail', 'error') AND rule_id = 'ntp'",
    )
    .await;
    assert!(
        detail
            .iter()
            .any(|d| d.contains("USING INDEX policy_results_outcome (outcome=? AND rule_id=?)")),
        "{detail:?}"
    );
    store.close().await;
}
