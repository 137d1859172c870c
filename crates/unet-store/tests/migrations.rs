use sqlx::{AssertSqlSafe, Row};
use unet_core::{ChangeContext, ChangeSource, NodeDraft};
use unet_store::testing::TestDatabase;
use unet_store::{Backend, LoginFailure, Store, StoreOptions};

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

/// Migration 20261201000005 (lean policy results) on a database an older release filled:
/// applicable results survive, not-applicable rows go (they are counted, not stored), and
/// a deleted node still takes its results with it, now through a trigger.
#[tokio::test]
async fn lean_policy_results_keep_applicable_rows_and_still_follow_their_node() {
    for db in TestDatabase::all().await {
        let store = db.store_migrated_through(20261201000004).await;
        let ctx = ChangeContext::new("test", ChangeSource::Api);
        let draft = |name: &str| NodeDraft {
            name: name.into(),
            ..Default::default()
        };
        let a = store.create_node(&ctx, draft("a")).await.unwrap();
        let b = store.create_node(&ctx, draft("b")).await.unwrap();
        let at = "2026-11-30T00:00:00Z";
        for (node, rule, outcome) in [
            (a.id, "snmp", "fail"),
            (a.id, "ntp", "not_applicable"),
            (b.id, "snmp", "pass"),
        ] {
            let insert = format!(
                "INSERT INTO policy_results (node_id, rule_id, outcome, changed_at) \
                 VALUES ('{node}', '{rule}', '{outcome}', '{at}')"
            );
            sqlx::raw_sql(AssertSqlSafe(insert))
                .execute(store.pool())
                .await
                .unwrap();
        }

        store.migrate().await.unwrap();
        let rows = |store: &Store| {
            let pool = store.pool().clone();
            async move {
                sqlx::query("SELECT node_id, rule_id, outcome FROM policy_results ORDER BY rule_id, outcome")
                    .fetch_all(&pool)
                    .await
                    .unwrap()
                    .iter()
                    .map(|r| {
                        let node: String = r.try_get("node_id").unwrap();
                        let rule: String = r.try_get("rule_id").unwrap();
                        let outcome: String = r.try_get("outcome").unwrap();
                        (node, rule, outcome)
                    })
                    .collect::<Vec<_>>()
            }
        };
        let (a_id, b_id) = (a.id.to_string(), b.id.to_string());
        assert_eq!(
            rows(&store).await,
            [
                (a_id.clone(), "snmp".to_string(), "fail".to_string()),
                (b_id.clone(), "snmp".to_string(), "pass".to_string()),
            ],
            "{:?}",
            db.backend()
        );
        let not_applicable = format!(
            "INSERT INTO policy_results (node_id, rule_id, outcome, changed_at) \
             VALUES ('{b_id}', 'ntp', 'not_applicable', '{at}')"
        );
        assert!(
            sqlx::raw_sql(AssertSqlSafe(not_applicable))
                .execute(store.pool())
                .await
                .is_err(),
            "a not_applicable row is refused"
        );

        store.delete_node(&ctx, a.id, false).await.unwrap();
        assert_eq!(
            rows(&store).await,
            [(b_id, "snmp".to_string(), "pass".to_string())]
        );
        store.close().await;
    }
}

/// Migration 20261201000006 (host names in lower case) on a database an older release filled
/// with names in any case: each is lower-cased unless that would collide with another node's
/// name, in which case both keep their spelling, are listed, and stay reachable.
#[tokio::test]
async fn host_names_are_lower_cased_unless_two_differ_only_in_case() {
    for db in TestDatabase::all().await {
        let store = db.store_migrated_through(20261201000005).await;
        let ctx = ChangeContext::new("test", ChangeSource::Api);
        let draft = |name: &str, domain: Option<&str>| NodeDraft {
            name: name.into(),
            domain: domain.map(Into::into),
            ..Default::default()
        };
        let mixed = store
            .create_node(&ctx, draft("sw-a", Some("x.net")))
            .await
            .unwrap();
        let lower = store.create_node(&ctx, draft("dup", None)).await.unwrap();
        let upper = store.create_node(&ctx, draft("dup-2", None)).await.unwrap();
        // What an older release stored as given.
        for (id, name, domain, fqdn) in [
            (mixed.id, "SW-A", "'X.Net'", "SW-A.X.Net"),
            (upper.id, "DUP", "NULL", "DUP"),
        ] {
            let update = format!(
                "UPDATE nodes SET name = '{name}', domain = {domain}, fqdn = '{fqdn}' WHERE id = '{id}'"
            );
            sqlx::raw_sql(AssertSqlSafe(update))
                .execute(store.pool())
                .await
                .unwrap();
        }

        store.migrate().await.unwrap();
        let fqdn = |id| {
            let store = store.clone();
            async move { store.get_node(id).await.unwrap().fqdn }
        };
        assert_eq!(fqdn(mixed.id).await, "sw-a.x.net");
        assert_eq!(store.get_node(mixed.id).await.unwrap().revision, 1);
        assert_eq!(
            (fqdn(lower.id).await, fqdn(upper.id).await),
            ("dup".into(), "DUP".into())
        );
        assert_eq!(store.mixed_case_host_names().await.unwrap(), ["DUP"]);
        assert_eq!(store.resolve_node("SW-A.x.net").await.unwrap().id, mixed.id);
        assert_eq!(store.resolve_node("dup").await.unwrap().id, lower.id);
        assert_eq!(
            store.resolve_node("DUP").await.unwrap_err().code(),
            "ambiguous"
        );
        // The kept node cannot take the other's name; renamed, it is lower case like any.
        let taken = store
            .update_node(&ctx, upper.id, draft("Dup", None), None)
            .await;
        assert_eq!(taken.unwrap_err().code(), "conflict");
        let renamed = store
            .update_node(&ctx, upper.id, draft("DUP", Some("x.net")), None)
            .await;
        assert_eq!(renamed.unwrap().fqdn, "dup.x.net");
        assert!(store.mixed_case_host_names().await.unwrap().is_empty());
        store.close().await;
    }
}

/// Migration 20261206000004 (login failures per source) on a database with accounts, one of
/// them locked out account-wide by an older release: every account keeps working (its lock,
/// whose source was never recorded, is dropped with the per-account columns), and failures
/// are then counted per name and source.
#[tokio::test]
async fn login_failures_per_source_keep_the_accounts_and_drop_account_wide_locks() {
    for db in TestDatabase::all().await {
        let store = db.store_migrated_through(20261201000005).await;
        let at = "2026-11-30T00:00:00Z";
        for (id, name, failures, locked_until) in [
            ("0190a1b2-0000-7000-8000-000000000001", "alice", 0, "NULL"),
            (
                "0190a1b2-0000-7000-8000-000000000002",
                "bob",
                5,
                "'2999-01-01T00:00:00Z'",
            ),
        ] {
            let insert = format!(
                "INSERT INTO users (id, username, password_hash, roles, disabled, failed_logins, \
                 locked_until, password_changed_at, created_at, updated_at) VALUES \
                 ('{id}', '{name}', 'hash', '[\"viewer\"]', 0, {failures}, {locked_until}, \
                 '{at}', '{at}', '{at}')"
            );
            sqlx::raw_sql(AssertSqlSafe(insert))
                .execute(store.pool())
                .await
                .unwrap();
        }

        store.migrate().await.unwrap();
        let users = store.list_users().await.unwrap();
        let names: Vec<&str> = users.iter().map(|u| u.username.as_str()).collect();
        assert_eq!(names, ["alice", "bob"], "{:?}", db.backend());
        let now: unet_core::Timestamp = "2026-12-01T00:00:00Z".parse().unwrap();
        assert_eq!(store.count_locked_accounts(now).await.unwrap(), 0);
        assert_eq!(
            store
                .login_locked_until("bob", "192.0.2.7", now)
                .await
                .unwrap(),
            None
        );
        // Counted per name and source: the second failure from one source locks it alone.
        let later: unet_core::Timestamp = "2026-12-01T00:15:00Z".parse().unwrap();
        let failure = |source| LoginFailure {
            username: "bob",
            source,
            at: now,
            forget_before: at.parse().unwrap(),
        };
        let counted = store
            .record_login_failure(&failure("192.0.2.7"), 2, later)
            .await
            .unwrap();
        assert_eq!(counted, (1, false));
        let counted = store
            .record_login_failure(&failure("198.51.100.20"), 2, later)
            .await
            .unwrap();
        assert_eq!(counted, (1, false));
        let counted = store
            .record_login_failure(&failure("192.0.2.7"), 2, later)
            .await
            .unwrap();
        assert_eq!(counted, (2, true));
        assert_eq!(
            store
                .login_locked_until("bob", "192.0.2.7", now)
                .await
                .unwrap(),
            Some(later)
        );
        assert_eq!(
            store
                .login_locked_until("bob", "198.51.100.20", now)
                .await
                .unwrap(),
            None
        );
        assert_eq!(store.count_locked_accounts(now).await.unwrap(), 1);
        store.close().await;
    }
}
