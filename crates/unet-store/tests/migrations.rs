use sqlx::Row;
use unet_store::testing::TestDatabase;
use unet_store::{Backend, Store, StoreOptions};

#[tokio::test]
async fn migrations_are_recorded_and_a_changed_one_is_refused() {
    for db in TestDatabase::all().await {
        let store = Store::open(db.url(), StoreOptions::default())
            .await
            .unwrap();
        let pending = store.pending_migrations().await.unwrap();
        assert!(!pending.is_empty());
        let applied = store.migrate().await.unwrap();
        assert_eq!(applied.len(), pending.len());
        assert!(store.pending_migrations().await.unwrap().is_empty());
        assert!(
            store.migrate().await.unwrap().is_empty(),
            "a second run applies nothing"
        );

        let row = sqlx::query("SELECT version, description, applied_at, checksum FROM schema_migrations ORDER BY version DESC LIMIT 1")
            .fetch_one(store.pool())
            .await
            .unwrap();
        let latest = applied.last().unwrap();
        assert_eq!(row.try_get::<i64, _>("version").unwrap(), latest.version);
        assert_eq!(
            row.try_get::<String, _>("checksum").unwrap(),
            latest.checksum
        );
        assert_eq!(latest.checksum.len(), 64);
        let status = store.migration_status().await.unwrap();
        assert!(status.iter().all(|m| m.applied_at.is_some()));

        // Simulate an applied migration whose text changed since: the checksums differ.
        sqlx::query("UPDATE schema_migrations SET checksum = 'tampered'")
            .execute(store.pool())
            .await
            .unwrap();
        let err = store.migrate().await.unwrap_err();
        assert_eq!(err.code(), "migration");
        assert!(
            err.to_string().contains("was changed after it was applied"),
            "{err}"
        );
        assert!(store.migration_status().await.is_err());
        store.close().await;
        eprintln!("{:?} ok", db.backend());
        assert!(matches!(db.backend(), Backend::Sqlite | Backend::Postgres));
    }
}
