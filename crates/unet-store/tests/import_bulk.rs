//! Bulk import into empty tables: SQLite builds their secondary indexes after the rows are in,
//! inside the import's transaction. Whatever happens, the schema the import leaves behind is
//! the one the migrations made, and the queries still find their indexes.

mod common;

use common::{at, ctx};
use sqlx::Row;
use unet_core::{
    ChangeFilter, EntityType, LinkDraft, LocationDraft, NodeDraft, NodeFilter, NodeStatus,
    PageRequest, Uuid,
};
use unet_store::testing::for_each_backend;
use unet_store::{Backend, ImportBatch, ImportOptions, Store};

/// One rack with `n` nodes, node i's `eth1` linked to node i + 1's `eth2`.
fn chain(n: usize) -> ImportBatch {
    let rack = Uuid::new_v4();
    let ids: Vec<Uuid> = (0..n).map(|_| Uuid::new_v4()).collect();
    ImportBatch {
        locations: vec![at(
            "locations.json",
            0,
            LocationDraft {
                id: Some(rack),
                name: "Rack 1".into(),
                kind: "rack".into(),
                ..Default::default()
            },
        )],
        nodes: ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                at(
                    "nodes.json",
                    i,
                    NodeDraft {
                        id: Some(*id),
                        name: format!("sw{i:04}"),
                        domain: Some("dc1.example.net".into()),
                        role: Some(if i % 2 == 0 { "leaf" } else { "spine" }.into()),
                        status: Some(NodeStatus::Active),
                        location_id: Some(rack),
                        ..Default::default()
                    },
                )
            })
            .collect(),
        links: ids
            .windows(2)
            .enumerate()
            .map(|(i, pair)| {
                at(
                    "links.json",
                    i,
                    LinkDraft {
                        id: Some(Uuid::new_v4()),
                        node_a_id: pair[0],
                        interface_a: "eth1".into(),
                        node_z_id: Some(pair[1]),
                        interface_z: Some("eth2".into()),
                        ..Default::default()
                    },
                )
            })
            .collect(),
    }
}

/// Every index of the schema: name and definition as the database reports them.
async fn indexes(store: &Store) -> Vec<(String, String)> {
    let sql = match store.backend() {
        Backend::Sqlite => {
            "SELECT name, COALESCE(sql, '') AS definition FROM sqlite_master \
             WHERE type = 'index' ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT indexname::text AS name, indexdef AS definition FROM pg_indexes \
             WHERE schemaname = current_schema() ORDER BY indexname"
        }
    };
    sqlx::query(sql)
        .fetch_all(store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("name"), r.get("definition")))
        .collect()
}

async fn query_plan(store: &Store, sql: &str) -> String {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
        .fetch_all(store.pool())
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.get::<String, _>("detail"))
        .collect::<Vec<_>>()
        .join("; ")
}

#[tokio::test]
async fn importing_into_empty_tables_leaves_the_schema_as_the_migrations_made_it() {
    for_each_backend(|store| async move {
        let schema = indexes(&store).await;
        assert!(schema.iter().any(|(name, _)| name == "nodes_status"));

        // A dry run rolls back the rebuilt indexes with everything else.
        let report = store
            .import(
                &ctx(),
                chain(300),
                &ImportOptions {
                    dry_run: true,
                    ..ImportOptions::default()
                },
            )
            .await
            .unwrap();
        assert!(
            !report.committed && report.nodes.created == 300,
            "{report:?}"
        );
        assert_eq!(indexes(&store).await, schema);
        assert_eq!(common::change_count(&store).await, 0);

        let first = chain(300);
        let report = store
            .import(&ctx(), first.clone(), &ImportOptions::default())
            .await
            .unwrap();
        assert!(report.committed && report.failures.is_empty(), "{report:?}");
        assert_eq!((report.nodes.created, report.links.created), (300, 299));
        assert_eq!(indexes(&store).await, schema);
        assert_eq!(common::change_count(&store).await, 1 + 300 + 299);

        // The rebuilt indexes hold every row: filters, the unique name and the interfaces.
        let leaves = store
            .list_nodes(
                &NodeFilter {
                    role: Some("leaf".into()),
                    ..Default::default()
                },
                &PageRequest::default(),
            )
            .await
            .unwrap();
        assert_eq!(leaves.total, 150);
        let second = first.nodes[1].draft.id.unwrap();
        let history = store
            .node_history(second, &PageRequest::default())
            .await
            .unwrap();
        assert_eq!(history.total, 1);
        let duplicate = store
            .create_node(&ctx(), common::node("sw0001", Some("dc1.example.net")))
            .await
            .unwrap_err();
        assert_eq!(duplicate.code(), "conflict", "{duplicate}");
        let taken = store
            .create_link(
                &ctx(),
                common::link(
                    second,
                    "eth2",
                    Some((first.nodes[0].draft.id.unwrap(), "x")),
                ),
            )
            .await
            .unwrap_err();
        assert_eq!(taken.code(), "conflict", "{taken}");

        // Tables that already hold rows keep their indexes: a second import into them
        // updates, creates and reports unchanged as before.
        let mut again = first.clone();
        again.nodes[0].draft.role = Some("border".into());
        again.nodes.extend(chain(2).nodes.into_iter().map(|mut s| {
            s.draft.location_id = first.locations[0].draft.id;
            s.draft.name = format!("new-{}", s.draft.name);
            s
        }));
        let report = store
            .import(&ctx(), again, &ImportOptions::default())
            .await
            .unwrap();
        assert!(report.committed && report.failures.is_empty(), "{report:?}");
        assert_eq!(
            (
                report.nodes.created,
                report.nodes.updated,
                report.nodes.unchanged
            ),
            (2, 1, 299)
        );
        assert_eq!(indexes(&store).await, schema);
        let updates = store
            .list_changes(
                &ChangeFilter {
                    entity_type: Some(EntityType::Node),
                    action: Some(unet_core::ChangeAction::Update),
                    ..Default::default()
                },
                &PageRequest::default(),
            )
            .await
            .unwrap();
        assert_eq!(updates.total, 1);
    })
    .await;
}

#[tokio::test]
async fn after_a_bulk_import_queries_use_their_indexes() {
    let db = unet_store::testing::TestDatabase::sqlite();
    let store = db.store().await;
    let batch = chain(200);
    let node = batch.nodes[7].draft.id.unwrap();
    store
        .import(&ctx(), batch, &ImportOptions::default())
        .await
        .unwrap();

    let plan = query_plan(&store, "SELECT * FROM nodes WHERE status = 'active'").await;
    assert!(plan.contains("USING INDEX nodes_status"), "{plan}");
    // A node's history is one range of the (entity_id, entity_type, seq) index, newest first.
    let history = format!(
        "SELECT * FROM configuration_changes WHERE entity_type = 'node' AND entity_id = '{node}' \
         ORDER BY seq DESC LIMIT 51"
    );
    let plan = query_plan(&store, &history).await;
    assert!(
        plan.contains("USING INDEX configuration_changes_entity (entity_id=? AND entity_type=?)")
            && !plan.contains("TEMP B-TREE"),
        "{plan}"
    );
    let plan = query_plan(&store, "DELETE FROM link_endpoints WHERE link_id = 'x'").await;
    assert!(plan.contains("link_endpoints_link"), "{plan}");
    store.close().await;
}
