mod common;

use common::{ctx, node};
use unet_core::Uuid;
use unet_core::{CollectionResult, ConfigSource, NodeDraft, Platform, Timestamp};
use unet_store::testing::for_each_backend;
use unet_store::{
    AttemptOutcome, Backend, CollectionAttempt, CollectionFilter, Retention, Store, StoreError,
};

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn managed(name: &str, ip: &str) -> NodeDraft {
    NodeDraft {
        management_ip: Some(ip.to_string()),
        platform: Some(Platform::CiscoIos),
        ..node(name, None)
    }
}

/// The configuration every successful attempt fetches: the first stores version 1, the
/// next find it unchanged.
const CONFIG: &str = "hostname r1\n";

fn attempt(result: CollectionResult, started: &str, next: &str) -> CollectionAttempt<'static> {
    let outcome = if result.is_failure() {
        AttemptOutcome::Failed {
            result,
            message: format!("{result} happened"),
        }
    } else {
        fetched(None)
    };
    CollectionAttempt {
        started_at: at(started),
        duration_ms: 120,
        outcome,
        next_due_at: at(next),
    }
}

fn fetched(pin: Option<&str>) -> AttemptOutcome<'static> {
    AttemptOutcome::Fetched {
        config: CONFIG,
        platform: Platform::CiscoIos,
        retention: Retention::default(),
        pin_host_key: pin.map(|key| (key.to_string(), format!("SHA256:{key}"))),
    }
}

async fn failures(store: &Store, node: Uuid, attempt: &CollectionAttempt<'_>) -> Option<u32> {
    store
        .record_collection(node, attempt)
        .await
        .unwrap()
        .map(|r| r.failures)
}

async fn due(store: &Store, now: &str) -> Vec<String> {
    let mut names: Vec<String> = store
        .collection_due(at(now), 100, &[])
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn managed_nodes_are_due_until_collected_then_at_their_time() {
    for_each_backend(|store| async move {
        let r1 = store
            .create_node(&ctx(), managed("r1", "10.0.0.1"))
            .await
            .unwrap();
        store
            .create_node(&ctx(), managed("r2", "10.0.0.2"))
            .await
            .unwrap();
        // Not managed: no address, or planned.
        store.create_node(&ctx(), node("r3", None)).await.unwrap();
        let planned = NodeDraft {
            status: Some("planned".parse().unwrap()),
            ..managed("r4", "10.0.0.4")
        };
        store.create_node(&ctx(), planned).await.unwrap();

        assert_eq!(due(&store, "2026-12-07T10:00:00Z").await, ["r1", "r2"]);
        // A node being collected is left out until its result is recorded.
        let busy = store
            .collection_due(at("2026-12-07T10:00:00Z"), 100, &[r1.id])
            .await
            .unwrap();
        assert_eq!(
            busy.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
            ["r2"]
        );
        let before = store.statements_executed();
        let recorded = store
            .record_collection(
                r1.id,
                &attempt(
                    CollectionResult::Stored,
                    "2026-12-07T10:00:00Z",
                    "2026-12-07T11:00:00Z",
                ),
            )
            .await
            .unwrap()
            .unwrap();
        // The unchanged try, the node with its latest version, the version, the status (and
        // the node's lock first on PostgreSQL); a first version has nothing to retire.
        let lock = u64::from(store.backend() == Backend::Postgres);
        assert_eq!(store.statements_executed() - before, 4 + lock);
        assert_eq!(
            (recorded.result, recorded.failures),
            (CollectionResult::Stored, 0)
        );
        assert_eq!(recorded.version, Some(1));
        let stored = store.running_config(r1.id, None).await.unwrap().info;
        assert_eq!((stored.version, stored.source.as_str()), (1, "collected"));
        assert_eq!(stored.taken_at, at("2026-12-07T10:00:00Z"));
        assert_eq!(due(&store, "2026-12-07T10:30:00Z").await, ["r2"]);
        assert_eq!(due(&store, "2026-12-07T11:00:00Z").await, ["r1", "r2"]);

        let summary = store
            .collection_summary(at("2026-12-07T10:30:00Z"))
            .await
            .unwrap();
        assert_eq!(
            (
                summary.managed,
                summary.due,
                summary.failing,
                summary.never_collected
            ),
            (2, 1, 0, 1)
        );

        // A fleet-wide run makes every managed node due now.
        assert_eq!(
            store
                .collection_make_due(at("2026-12-07T10:31:00Z"))
                .await
                .unwrap(),
            2
        );
        assert_eq!(due(&store, "2026-12-07T10:31:00Z").await, ["r1", "r2"]);

        assert_eq!(
            store.managed_node_at("10.0.0.1").await.unwrap(),
            Some(r1.id)
        );
        assert_eq!(store.managed_node_at("10.0.0.4").await.unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn failures_count_up_and_a_success_resets_them_keeping_the_last_success() {
    for_each_backend(|store| async move {
        let r1 = store
            .create_node(&ctx(), managed("r1", "10.0.0.1"))
            .await
            .unwrap();
        let ok = attempt(
            CollectionResult::Stored,
            "2026-12-07T10:00:00Z",
            "2026-12-07T11:00:00Z",
        );
        store.record_collection(r1.id, &ok).await.unwrap();
        for (i, minute) in ["11", "12", "13"].iter().enumerate() {
            let failed = attempt(
                CollectionResult::AuthFailed,
                &format!("2026-12-07T{minute}:00:00Z"),
                "2026-12-07T14:00:00Z",
            );
            assert_eq!(failures(&store, r1.id, &failed).await, Some(i as u32 + 1));
        }
        let status = store.collection_status(r1.id).await.unwrap().unwrap();
        assert_eq!(status.result, Some(CollectionResult::AuthFailed));
        assert_eq!(status.failures, 3);
        assert_eq!(status.last_success_at, Some(at("2026-12-07T10:00:00Z")));
        assert_eq!(status.version, Some(1));
        assert_eq!(status.message.as_deref(), Some("auth_failed happened"));

        let failing = CollectionFilter {
            failing: true,
            ..CollectionFilter::default()
        };
        assert_eq!(
            store.collection_statuses(&failing, 10).await.unwrap().len(),
            1
        );
        let timeouts = CollectionFilter {
            result: Some(CollectionResult::Timeout),
            failing: false,
        };
        assert!(
            store
                .collection_statuses(&timeouts, 10)
                .await
                .unwrap()
                .is_empty()
        );

        let back = attempt(
            CollectionResult::Unchanged,
            "2026-12-07T15:00:00Z",
            "2026-12-07T16:00:00Z",
        );
        let before = store.statements_executed();
        let recorded = store
            .record_collection(r1.id, &back)
            .await
            .unwrap()
            .unwrap();
        // The same text again: no new version, the status names the one found unchanged, in
        // one statement (a fleet's steady state).
        assert_eq!(store.statements_executed() - before, 1);
        assert_eq!(
            (recorded.result, recorded.failures, recorded.version),
            (CollectionResult::Unchanged, 0, Some(1))
        );
        let status = store.collection_status(r1.id).await.unwrap().unwrap();
        assert_eq!(status.result, Some(CollectionResult::Unchanged));
        assert_eq!((status.failures, status.message), (0, None));
        assert_eq!(status.last_success_at, Some(at("2026-12-07T15:00:00Z")));

        // An upload since makes the same text a change again: stored as the next version.
        store
            .push_running_config(
                r1.id,
                ConfigSource::Upload,
                None,
                "hostname r1-uploaded\n",
                &Retention::default(),
            )
            .await
            .unwrap();
        let recorded = store
            .record_collection(r1.id, &back)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (recorded.result, recorded.version),
            (CollectionResult::Stored, Some(3))
        );
        assert_eq!(
            store.running_config(r1.id, None).await.unwrap().content,
            CONFIG
        );
    })
    .await;
}

#[tokio::test]
async fn the_first_host_key_is_pinned_until_forgotten() {
    for_each_backend(|store| async move {
        let r1 = store
            .create_node(&ctx(), managed("r1", "10.0.0.1"))
            .await
            .unwrap();
        let pin = |key: &str| CollectionAttempt {
            outcome: fetched(Some(key)),
            ..attempt(
                CollectionResult::Stored,
                "2026-12-07T10:00:00Z",
                "2026-12-07T11:00:00Z",
            )
        };
        store.record_collection(r1.id, &pin("first")).await.unwrap();
        store
            .record_collection(r1.id, &pin("second"))
            .await
            .unwrap();
        let target = store.collection_target(r1.id).await.unwrap();
        assert_eq!(target.host_key.as_deref(), Some("first"));
        let status = store.collection_status(r1.id).await.unwrap().unwrap();
        assert_eq!(status.host_key.as_deref(), Some("SHA256:first"));

        assert_eq!(
            store.forget_host_key(r1.id).await.unwrap().as_deref(),
            Some("SHA256:first")
        );
        assert_eq!(store.forget_host_key(r1.id).await.unwrap(), None);
        assert_eq!(store.collection_target(r1.id).await.unwrap().host_key, None);
        store
            .record_collection(r1.id, &pin("second"))
            .await
            .unwrap();
        assert_eq!(
            store
                .collection_target(r1.id)
                .await
                .unwrap()
                .host_key
                .as_deref(),
            Some("second")
        );
    })
    .await;
}

#[tokio::test]
async fn a_deleted_node_takes_its_status_and_records_nothing_more() {
    for_each_backend(|store| async move {
        let r1 = store
            .create_node(&ctx(), managed("r1", "10.0.0.1"))
            .await
            .unwrap();
        let ok = CollectionAttempt {
            outcome: fetched(Some("key")),
            ..attempt(
                CollectionResult::Stored,
                "2026-12-07T10:00:00Z",
                "2026-12-07T11:00:00Z",
            )
        };
        store.record_collection(r1.id, &ok).await.unwrap();
        store.delete_node(&ctx(), r1.id, false).await.unwrap();
        assert_eq!(failures(&store, r1.id, &ok).await, None);
        let failed = attempt(
            CollectionResult::Timeout,
            "2026-12-07T10:00:00Z",
            "2026-12-07T11:00:00Z",
        );
        assert_eq!(failures(&store, r1.id, &failed).await, None);
        assert!(matches!(
            store.collection_target(r1.id).await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            store.forget_host_key(r1.id).await,
            Err(StoreError::NotFound { .. })
        ));
        assert_eq!(
            store
                .collection_summary(at("2026-12-07T10:00:00Z"))
                .await
                .unwrap()
                .managed,
            0
        );
    })
    .await;
}
