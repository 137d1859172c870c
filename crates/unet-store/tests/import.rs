mod common;

use common::{at, ctx};
use unet_core::{
    ChangeFilter, ChangeSource, EntityType, LinkDraft, LocationDraft, NodeDraft, PageRequest, Uuid,
};
use unet_store::testing::for_each_backend;
use unet_store::{ImportBatch, ImportOptions, Store};

/// Children listed before their parents, to show the import orders by dependency.
fn batch() -> ImportBatch {
    let (site, rack) = (Uuid::new_v4(), Uuid::new_v4());
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    ImportBatch {
        locations: vec![
            at(
                "locations.json",
                0,
                LocationDraft {
                    id: Some(rack),
                    name: "Rack 1".into(),
                    kind: "rack".into(),
                    parent_id: Some(site),
                    ..Default::default()
                },
            ),
            at(
                "locations.json",
                1,
                LocationDraft {
                    id: Some(site),
                    name: "Site".into(),
                    kind: "site".into(),
                    ..Default::default()
                },
            ),
        ],
        nodes: vec![
            at(
                "nodes.json",
                0,
                NodeDraft {
                    id: Some(a),
                    name: "a".into(),
                    location_id: Some(rack),
                    created_at: Some("2026-01-01T00:00:00Z".parse().unwrap()),
                    updated_at: Some("2026-02-01T00:00:00Z".parse().unwrap()),
                    revision: Some(7),
                    ..Default::default()
                },
            ),
            at(
                "nodes.json",
                1,
                NodeDraft {
                    id: Some(b),
                    name: "b".into(),
                    ..Default::default()
                },
            ),
        ],
        links: vec![at(
            "links.json",
            0,
            LinkDraft {
                id: Some(Uuid::new_v4()),
                node_a_id: a,
                interface_a: "e1".into(),
                node_z_id: Some(b),
                interface_z: Some("e1".into()),
                ..Default::default()
            },
        )],
    }
}

async fn snapshot(store: &Store) -> String {
    serde_json::to_string_pretty(&store.export().await.unwrap()).unwrap()
}

#[tokio::test]
async fn creates_then_reports_unchanged_then_updates() {
    for_each_backend(|store| async move {
        let b = batch();
        let report = store
            .import(&ctx(), b.clone(), &ImportOptions::default())
            .await
            .unwrap();
        assert!(report.committed && report.failures.is_empty(), "{report:?}");
        assert_eq!(
            (
                report.locations.created,
                report.nodes.created,
                report.links.created
            ),
            (2, 2, 1)
        );
        let a = store.get_node(b.nodes[0].draft.id.unwrap()).await.unwrap();
        assert_eq!(
            (a.revision, a.created_at.to_string().as_str()),
            (7, "2026-01-01T00:00:00.000000Z")
        );
        assert_eq!(
            store
                .get_location(b.locations[0].draft.id.unwrap())
                .await
                .unwrap()
                .path,
            "Site/Rack 1"
        );
        let import_rows = ChangeFilter {
            source: Some(ChangeSource::Import),
            ..Default::default()
        };
        assert_eq!(
            store
                .list_changes(&import_rows, &PageRequest::default())
                .await
                .unwrap()
                .total,
            5
        );

        let writes = common::change_count(&store).await;
        let again = store
            .import(&ctx(), b.clone(), &ImportOptions::default())
            .await
            .unwrap();
        assert_eq!(
            (
                again.locations.unchanged,
                again.nodes.unchanged,
                again.links.unchanged
            ),
            (2, 2, 1)
        );
        assert_eq!(
            common::change_count(&store).await,
            writes,
            "unchanged records write nothing"
        );

        let mut changed = b.clone();
        changed.nodes[1].draft.role = Some("core".into());
        let report = store
            .import(&ctx(), changed, &ImportOptions::default())
            .await
            .unwrap();
        assert_eq!((report.nodes.updated, report.nodes.unchanged), (1, 1));
        let node_b = store.get_node(b.nodes[1].draft.id.unwrap()).await.unwrap();
        assert_eq!((node_b.revision, node_b.role.as_deref()), (2, Some("core")));
        let history = store
            .node_history(node_b.id, &PageRequest::default())
            .await
            .unwrap();
        assert_eq!(history.items[0].source, ChangeSource::Import);
        assert_eq!(
            history.items[0].before.as_ref().unwrap()["role"],
            serde_json::Value::Null
        );
    })
    .await;
}

#[tokio::test]
async fn a_failure_rolls_everything_back_unless_continue_on_error() {
    for_each_backend(|store| async move {
        let mut b = batch();
        let ghost = Uuid::new_v4();
        b.nodes[1].draft.location_id = Some(ghost);
        b.nodes.push(at(
            "nodes.json",
            2,
            NodeDraft {
                id: Some(Uuid::new_v4()),
                name: "a".into(),
                ..Default::default()
            },
        ));
        b.nodes.push(at(
            "nodes.json",
            3,
            NodeDraft {
                id: Some(Uuid::new_v4()),
                name: "c".into(),
                management_ip: Some("300.1.1.1".into()),
                ..Default::default()
            },
        ));
        let before = snapshot(&store).await;
        let report = store
            .import(&ctx(), b.clone(), &ImportOptions::default())
            .await
            .unwrap();
        assert!(!report.committed);
        assert_eq!(snapshot(&store).await, before, "nothing written");
        assert_eq!(common::change_count(&store).await, 0);
        let messages: Vec<String> = report
            .failures
            .iter()
            .map(|f| format!("{}: {}", f.origin, f.message))
            .collect();
        assert_eq!(report.nodes.failed, 3, "{messages:#?}");
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with("nodes.json record 3: management_ip")),
            "{messages:#?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with("nodes.json record 1: location_id")
                    && m.contains(&ghost.to_string())),
            "{messages:#?}"
        );
        // A duplicate names both records.
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with("nodes.json record 2: name \"a\"")
                    && m.contains("nodes.json record 0")),
            "{messages:#?}"
        );
        // The link depends on the failed node b.
        assert_eq!(report.links.failed, 1);
        assert!(
            report
                .failures
                .iter()
                .any(|f| f.entity == EntityType::Link && f.message.contains("nodes.json record 1"))
        );

        let opts = ImportOptions {
            continue_on_error: true,
            ..Default::default()
        };
        let report = store.import(&ctx(), b, &opts).await.unwrap();
        assert!(report.committed);
        assert_eq!(
            (
                report.locations.created,
                report.nodes.created,
                report.nodes.failed,
                report.links.failed
            ),
            (2, 1, 3, 1)
        );
        assert_eq!(common::change_count(&store).await, 3);
    })
    .await;
}

#[tokio::test]
async fn dry_run_and_conflicts_with_stored_records() {
    for_each_backend(|store| async move {
        let opts = ImportOptions {
            dry_run: true,
            ..Default::default()
        };
        let report = store.import(&ctx(), batch(), &opts).await.unwrap();
        assert!(!report.committed && report.failures.is_empty());
        assert_eq!(report.nodes.created, 2);
        assert_eq!(snapshot(&store).await, snapshot(&store).await);
        assert_eq!(store.export().await.unwrap().nodes.len(), 0);

        let stored = store
            .create_node(&ctx(), common::node("a", None))
            .await
            .unwrap();
        let report = store
            .import(&ctx(), batch(), &ImportOptions::default())
            .await
            .unwrap();
        assert!(!report.committed);
        let f = &report.failures[0];
        assert_eq!(f.origin.to_string(), "nodes.json record 0");
        assert!(
            f.message.contains(&stored.id.to_string()) && f.message.contains("database"),
            "{}",
            f.message
        );
        // Location cycles inside a batch fail.
        let (x, y) = (Uuid::new_v4(), Uuid::new_v4());
        let cyclic = ImportBatch {
            locations: vec![
                at(
                    "l",
                    0,
                    LocationDraft {
                        id: Some(x),
                        name: "X".into(),
                        kind: "site".into(),
                        parent_id: Some(y),
                        ..Default::default()
                    },
                ),
                at(
                    "l",
                    1,
                    LocationDraft {
                        id: Some(y),
                        name: "Y".into(),
                        kind: "site".into(),
                        parent_id: Some(x),
                        ..Default::default()
                    },
                ),
            ],
            ..Default::default()
        };
        let report = store
            .import(&ctx(), cyclic, &ImportOptions::default())
            .await
            .unwrap();
        assert_eq!(report.locations.failed, 2);
        assert!(
            report.failures[0].message.contains("cycle"),
            "{:?}",
            report.failures
        );
    })
    .await;
}

#[tokio::test]
async fn export_import_export_is_byte_identical() {
    for_each_backend(|store| async move {
        store
            .import(&ctx(), batch(), &ImportOptions::default())
            .await
            .unwrap();
        store
            .create_node(&ctx(), common::node("z", Some("b.net")))
            .await
            .unwrap();
        store
            .create_node(&ctx(), common::node("z", Some("a.net")))
            .await
            .unwrap();
        store
            .create_node(&ctx(), common::node("z", None))
            .await
            .unwrap();
        let first = store.export().await.unwrap();
        let names: Vec<_> = first.nodes.iter().map(|n| n.fqdn.as_str()).collect();
        assert_eq!(names, ["a", "b", "z", "z.a.net", "z.b.net"]);

        let text = serde_json::to_string_pretty(&first).unwrap();
        let db = unet_store::testing::TestDatabase::sqlite();
        let fresh = db.store().await;
        let re: ImportBatch = ImportBatch {
            locations: first
                .locations
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    at(
                        "locations.json",
                        i,
                        serde_json::from_value(serde_json::to_value(l).unwrap()).unwrap(),
                    )
                })
                .collect(),
            nodes: first
                .nodes
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    at(
                        "nodes.json",
                        i,
                        serde_json::from_value(serde_json::to_value(n).unwrap()).unwrap(),
                    )
                })
                .collect(),
            links: first
                .links
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    at(
                        "links.json",
                        i,
                        serde_json::from_value(serde_json::to_value(l).unwrap()).unwrap(),
                    )
                })
                .collect(),
        };
        let report = fresh
            .import(&ctx(), re, &ImportOptions::default())
            .await
            .unwrap();
        assert!(report.committed, "{report:?}");
        assert_eq!(
            serde_json::to_string_pretty(&fresh.export().await.unwrap()).unwrap(),
            text
        );
    })
    .await;
}
