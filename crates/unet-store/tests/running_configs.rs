mod common;

use common::{ctx, node};
use unet_core::{ConfigSource, Timestamp, Uuid};
use unet_store::testing::for_each_backend;
use unet_store::{Retention, Store, StoreError};

const KEEP_ALL: Retention = Retention {
    keep_versions: 100,
    keep_days: 0,
};

async fn push(store: &Store, node: Uuid, content: &str) -> unet_store::Pushed {
    store
        .push_running_config(node, ConfigSource::Upload, None, content, &KEEP_ALL)
        .await
        .unwrap()
}

fn versions(infos: &[unet_core::RunningConfigInfo]) -> Vec<u64> {
    infos.iter().map(|i| i.version).collect()
}

#[tokio::test]
async fn a_version_is_stored_only_when_the_content_changes() {
    for_each_backend(|store| async move {
        let r1 = store.create_node(&ctx(), node("r1", None)).await.unwrap();
        let first = push(&store, r1.id, "hostname r1\n!\nend").await;
        assert!(first.created);
        assert_eq!(first.info.version, 1);
        assert_eq!(first.info.size_bytes, 17);
        assert_eq!(first.info.line_count, 3);
        assert_eq!(first.info.source, ConfigSource::Upload);
        assert_eq!(
            first.info.sha256,
            "1af12a008c33dc04b225fd27ffa1802c99d535a043cfeb3aeec9b60b6d49d199"
        );
        assert_eq!(first.info.taken_at, first.info.stored_at);

        // The same text again: nothing stored, the latest answered.
        let same = push(&store, r1.id, "hostname r1\n!\nend").await;
        assert!(!same.created);
        assert_eq!(same.info, first.info);

        let taken: Timestamp = "2026-12-01T10:00:00Z".parse().unwrap();
        let second = store
            .push_running_config(
                r1.id,
                ConfigSource::Collected,
                Some(taken),
                "hostname r1-new\n",
                &KEEP_ALL,
            )
            .await
            .unwrap();
        assert!(second.created);
        assert_eq!(second.info.version, 2);
        assert_eq!(second.info.taken_at, taken);
        assert_eq!(second.info.source, ConfigSource::Collected);

        // Back to the first text: a new version, not a reuse of version 1.
        let third = push(&store, r1.id, "hostname r1\n!\nend").await;
        assert_eq!((third.created, third.info.version), (true, 3));
        assert_eq!(third.info.sha256, first.info.sha256);

        let list = store.running_configs(r1.id).await.unwrap();
        assert_eq!(versions(&list), [3, 2, 1]);
        assert_eq!(list[1], second.info);

        let latest = store.running_config(r1.id, None).await.unwrap();
        assert_eq!(latest.info, third.info);
        assert_eq!(latest.content, "hostname r1\n!\nend");
        let v2 = store.running_config(r1.id, Some(2)).await.unwrap();
        assert_eq!(v2.content, "hostname r1-new\n");
    })
    .await;
}

#[tokio::test]
async fn a_change_of_timestamps_alone_is_no_new_version() {
    for_each_backend(|store| async move {
        // vendor cisco: platform cisco_ios.
        let r1 = store.create_node(&ctx(), node("r1", None)).await.unwrap();
        let config = |stamp: &str, ntp: &str| {
            format!(
                "Building configuration...\n\nCurrent configuration : 1234 bytes\n!\n\
                 ! Last configuration change at {stamp} UTC Mon Dec 7 2026 by netadmin\n\
                 ! NVRAM config last updated at {stamp} UTC Mon Dec 7 2026 by netadmin\n!\n\
                 hostname r1\nntp clock-period 1717{stamp}\nntp server {ntp}\nend\n"
            )
        };
        let first = push(&store, r1.id, &config("09:14:02", "10.0.0.1")).await;
        assert!(first.created);
        // Saved again, the clock drifted: the same configuration, nothing stored.
        let again = push(&store, r1.id, &config("11:02:55", "10.0.0.1")).await;
        assert!(!again.created);
        assert_eq!(again.info, first.info);
        // A change of a line that matters: a new version, as taken.
        let changed = push(&store, r1.id, &config("11:05:10", "10.0.0.2")).await;
        assert_eq!((changed.created, changed.info.version), (true, 2));
        let latest = store.running_config(r1.id, None).await.unwrap();
        assert!(latest.content.contains("11:05:10"), "{}", latest.content);
    })
    .await;
}

#[tokio::test]
async fn unknown_nodes_and_versions_are_not_found_by_name() {
    for_each_backend(|store| async move {
        let ghost = Uuid::new_v4();
        let err = store.running_configs(ghost).await.unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
        let err = store.running_config(ghost, None).await.unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
        let err = store
            .push_running_config(ghost, ConfigSource::Upload, None, "x", &KEEP_ALL)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }), "{err}");

        let r1 = store.create_node(&ctx(), node("r1", None)).await.unwrap();
        assert!(store.running_configs(r1.id).await.unwrap().is_empty());
        let err = store.running_config(r1.id, None).await.unwrap_err();
        assert_eq!(err.code(), "not_found");
        assert!(err.to_string().contains(&r1.id.to_string()), "{err}");
        assert!(err.to_string().contains("no running configuration stored yet"), "{err}");

        push(&store, r1.id, "hostname r1\n").await;
        let err = store.running_config(r1.id, Some(7)).await.unwrap_err();
        assert!(
            matches!(err, StoreError::NoRunningConfig { node_id, version: Some(7) } if node_id == r1.id),
            "{err}"
        );
        assert!(err.to_string().contains("version 7"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn nul_bytes_are_refused_and_nothing_is_stored() {
    for_each_backend(|store| async move {
        let r1 = store.create_node(&ctx(), node("r1", None)).await.unwrap();
        let err = store
            .push_running_config(r1.id, ConfigSource::Upload, None, "a\nb\0", &KEEP_ALL)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err}");
        assert!(err.to_string().contains("NUL byte on line 2"), "{err}");
        assert!(store.running_configs(r1.id).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn retention_keeps_the_newest_versions_and_never_the_latest_by_age() {
    for_each_backend(|store| async move {
        let r1 = store.create_node(&ctx(), node("r1", None)).await.unwrap();
        let three = Retention {
            keep_versions: 3,
            keep_days: 0,
        };
        for i in 1..=5 {
            let pushed = store
                .push_running_config(r1.id, ConfigSource::Upload, None, &format!("v{i}"), &three)
                .await
                .unwrap();
            assert_eq!(pushed.removed, u64::from(i > 3));
        }
        assert_eq!(
            versions(&store.running_configs(r1.id).await.unwrap()),
            [5, 4, 3]
        );

        // By age: versions taken more than 30 days ago go, but the latest stays whatever
        // its age, and a version taken recently stays.
        let old: Timestamp = "2020-01-01T00:00:00Z".parse().unwrap();
        let by_age = Retention {
            keep_versions: 100,
            keep_days: 30,
        };
        let pushed = store
            .push_running_config(r1.id, ConfigSource::Upload, Some(old), "v6", &by_age)
            .await
            .unwrap();
        assert_eq!((pushed.info.version, pushed.removed), (6, 0));
        let pushed = store
            .push_running_config(r1.id, ConfigSource::Upload, Some(old), "v7", &by_age)
            .await
            .unwrap();
        assert_eq!(pushed.removed, 1, "version 6, taken in 2020, is removed");
        assert_eq!(
            versions(&store.running_configs(r1.id).await.unwrap()),
            [7, 5, 4, 3]
        );
        assert_eq!(
            store.running_config(r1.id, None).await.unwrap().content,
            "v7"
        );

        // keep_versions 0 still keeps the latest.
        let none = Retention {
            keep_versions: 0,
            keep_days: 0,
        };
        let pushed = store
            .push_running_config(r1.id, ConfigSource::Upload, None, "v8", &none)
            .await
            .unwrap();
        assert_eq!(pushed.removed, 4);
        assert_eq!(versions(&store.running_configs(r1.id).await.unwrap()), [8]);
    })
    .await;
}

#[tokio::test]
async fn a_nodes_configurations_go_with_the_node() {
    for_each_backend(|store| async move {
        let r1 = store.create_node(&ctx(), node("r1", None)).await.unwrap();
        let r2 = store.create_node(&ctx(), node("r2", None)).await.unwrap();
        push(&store, r1.id, "hostname r1\n").await;
        push(&store, r2.id, "hostname r2\n").await;
        store.delete_node(&ctx(), r1.id, false).await.unwrap();
        let err = store.running_configs(r1.id).await.unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
        let latest = store.latest_running_configs(&[r1.id, r2.id]).await.unwrap();
        assert_eq!(latest.keys().collect::<Vec<_>>(), [&r2.id]);
        // Re-created with the same id, the node starts again at version 1.
        let mut again = node("r1", None);
        again.id = Some(r1.id);
        store.create_node(&ctx(), again).await.unwrap();
        assert_eq!(push(&store, r1.id, "hostname r1\n").await.info.version, 1);
    })
    .await;
}

#[tokio::test]
async fn the_latest_of_many_nodes_is_one_statement() {
    for_each_backend(|store| async move {
        let mut ids = Vec::new();
        for i in 0..30 {
            let n = store
                .create_node(&ctx(), node(&format!("n{i}"), None))
                .await
                .unwrap();
            for v in 0..(i % 3) {
                push(&store, n.id, &format!("hostname n{i}\n! v{v}\n")).await;
            }
            ids.push(n.id);
        }
        ids.push(Uuid::new_v4());
        let before = store.statements_executed();
        let latest = store.latest_running_configs(&ids).await.unwrap();
        assert_eq!(store.statements_executed() - before, 1);
        assert_eq!(latest.len(), 20, "nodes n0, n3, … have no configuration");
        for (i, id) in ids.iter().take(30).enumerate() {
            match latest.get(id) {
                Some(config) => {
                    let last = i % 3 - 1;
                    assert_eq!(config.content, format!("hostname n{i}\n! v{last}\n"));
                    assert_eq!(config.info.version, (i % 3) as u64);
                }
                None => assert_eq!(i % 3, 0),
            }
        }
        assert!(store.latest_running_configs(&[]).await.unwrap().is_empty());

        let before = store.statements_executed();
        store.running_configs(ids[2]).await.unwrap();
        store.running_config(ids[2], None).await.unwrap();
        assert_eq!(store.statements_executed() - before, 2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_pushes_for_one_node_take_distinct_versions() {
    for_each_backend(|store| async move {
        let r1 = store.create_node(&ctx(), node("r1", None)).await.unwrap();
        let mut tasks = Vec::new();
        for i in 0..16 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                // Every text twice: one of each pair stores, the other finds it latest or
                // stores it again after a different text came between.
                let text = format!("hostname r1\n! push {}\n", i / 2);
                store
                    .push_running_config(r1.id, ConfigSource::Upload, None, &text, &KEEP_ALL)
                    .await
            }));
        }
        let mut created = Vec::new();
        for task in tasks {
            let pushed = task.await.unwrap().unwrap();
            if pushed.created {
                created.push(pushed.info.version);
            }
        }
        created.sort_unstable();
        let n = created.len() as u64;
        assert!((8..=16).contains(&n), "{created:?}");
        assert_eq!(created, (1..=n).collect::<Vec<_>>());
        let stored = store.running_configs(r1.id).await.unwrap();
        assert_eq!(versions(&stored), (1..=n).rev().collect::<Vec<_>>());
    })
    .await;
}
