//! Which database errors a client may simply retry: the ones where the database gave a
//! transaction up to settle a clash with a concurrent one and wrote nothing of it.

use sqlx::Connection;
use unet_store::StoreError;
use unet_store::testing::TestDatabase;

/// Two PostgreSQL transactions that lock two rows in opposite orders: the server aborts one
/// with a deadlock (`40P01`), which is transient; the unique violation met afterwards is not.
#[tokio::test]
async fn a_postgres_deadlock_is_transient_and_a_unique_violation_is_not() {
    let Some(db) = TestDatabase::postgres().await else {
        eprintln!("PostgreSQL skipped: UNET_TEST_POSTGRES_URL is not set");
        return;
    };
    let store = db.store().await;
    sqlx::raw_sql(
        "CREATE TABLE clash (id BIGINT PRIMARY KEY, v BIGINT); \
         INSERT INTO clash VALUES (1, 0), (2, 0)",
    )
    .execute(store.pool())
    .await
    .unwrap();
    let (mut a, mut b) = (
        sqlx::AnyConnection::connect(db.url()).await.unwrap(),
        sqlx::AnyConnection::connect(db.url()).await.unwrap(),
    );
    let (mut ta, mut tb) = (a.begin().await.unwrap(), b.begin().await.unwrap());
    let update = |id: i64| format!("UPDATE clash SET v = v + 1 WHERE id = {id}");
    for (tx, id) in [(&mut ta, 1), (&mut tb, 2)] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(update(id)))
            .execute(&mut **tx)
            .await
            .unwrap();
    }
    let (ra, rb) = tokio::join!(
        sqlx::raw_sql(sqlx::AssertSqlSafe(update(2))).execute(&mut *ta),
        sqlx::raw_sql(sqlx::AssertSqlSafe(update(1))).execute(&mut *tb),
    );
    let failed: Vec<StoreError> = [ra.err(), rb.err()]
        .into_iter()
        .flatten()
        .map(StoreError::from)
        .collect();
    assert_eq!(failed.len(), 1, "one of the two is given up: {failed:?}");
    assert!(failed[0].is_transient(), "{}", failed[0]);
    // The surviving transaction still holds its row locks until it ends.
    for tx in [ta, tb] {
        tx.rollback().await.unwrap();
    }

    let duplicate = sqlx::raw_sql("INSERT INTO clash VALUES (1, 0)")
        .execute(store.pool())
        .await
        .unwrap_err();
    assert!(!StoreError::from(duplicate).is_transient());
}

/// SQLite answers `SQLITE_BUSY` to a writer that found the write lock taken for longer than
/// its busy timeout: transient. A unique violation is not.
#[tokio::test]
async fn sqlite_busy_is_transient_and_a_unique_violation_is_not() {
    let db = TestDatabase::sqlite();
    let store = db.store().await;
    sqlx::raw_sql("CREATE TABLE clash (id BIGINT PRIMARY KEY); INSERT INTO clash VALUES (1)")
        .execute(store.pool())
        .await
        .unwrap();
    let mut holder = sqlx::AnyConnection::connect(db.url()).await.unwrap();
    sqlx::raw_sql("BEGIN IMMEDIATE")
        .execute(&mut holder)
        .await
        .unwrap();
    let mut other = sqlx::AnyConnection::connect(db.url()).await.unwrap();
    sqlx::raw_sql("PRAGMA busy_timeout = 0")
        .execute(&mut other)
        .await
        .unwrap();
    let busy = sqlx::raw_sql("INSERT INTO clash VALUES (2)")
        .execute(&mut other)
        .await
        .unwrap_err();
    assert!(StoreError::from(busy).is_transient());
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut holder)
        .await
        .unwrap();

    let duplicate = sqlx::raw_sql("INSERT INTO clash VALUES (1)")
        .execute(&mut other)
        .await
        .unwrap_err();
    assert!(!StoreError::from(duplicate).is_transient());
}
