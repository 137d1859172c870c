mod common;

use common::{change_count, ctx, location, node};
use unet_core::{ChangeAction, ChangeSource, NodeFilter, NodeStatus, PageRequest, Platform, Uuid};
use unet_store::StoreError;
use unet_store::testing::for_each_backend;

#[tokio::test]
async fn crud_with_history_and_revisions() {
    for_each_backend(|store| async move {
        let mut d = node(" core-1 ", Some("dc1.example.net"));
        d.management_ip = Some("2001:DB8::1".into());
        let n = store.create_node(&ctx(), d.clone()).await.unwrap();
        assert_eq!((n.fqdn.as_str(), n.revision), ("core-1.dc1.example.net", 1));
        assert_eq!(n.platform, Platform::CiscoIos);
        assert_eq!(n.status, NodeStatus::Active);
        assert_eq!(n.management_ip.as_deref(), Some("2001:db8::1"));
        assert_eq!(store.get_node(n.id).await.unwrap(), n);
        assert_eq!(store.resolve_node("core-1").await.unwrap().id, n.id);
        assert_eq!(
            store
                .resolve_node("core-1.dc1.example.net")
                .await
                .unwrap()
                .id,
            n.id
        );

        d.status = Some(NodeStatus::Maintenance);
        let u = store
            .update_node(&ctx(), n.id, d.clone(), Some(1))
            .await
            .unwrap();
        assert_eq!(
            (u.revision, u.status, u.created_at),
            (2, NodeStatus::Maintenance, n.created_at)
        );

        // A stale revision is refused and writes nothing.
        let writes = change_count(&store).await;
        d.status = Some(NodeStatus::Offline);
        let err = store
            .update_node(&ctx(), n.id, d.clone(), Some(1))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::StaleRevision {
                    expected: 1,
                    actual: 2
                }
            ),
            "{err}"
        );
        assert_eq!(err.code(), "stale_revision");
        assert_eq!(store.get_node(n.id).await.unwrap(), u);
        assert_eq!(change_count(&store).await, writes);

        store.delete_node(&ctx(), n.id, false).await.unwrap();
        assert_eq!(store.get_node(n.id).await.unwrap_err().code(), "not_found");

        let history = store
            .node_history(n.id, &PageRequest::default())
            .await
            .unwrap();
        let actions: Vec<_> = history.items.iter().map(|c| c.action).collect();
        assert_eq!(
            actions,
            [
                ChangeAction::Delete,
                ChangeAction::Update,
                ChangeAction::Create
            ]
        );
        let update = &history.items[1];
        assert_eq!(update.before.as_ref().unwrap()["status"], "active");
        assert_eq!(update.after.as_ref().unwrap()["status"], "maintenance");
        assert_eq!(update.after.as_ref().unwrap()["revision"], 2);
        assert_eq!(
            (update.actor.as_str(), update.source),
            ("alice", ChangeSource::Cli)
        );
        assert_eq!(update.request_id.as_deref(), Some("req-1"));
        assert!(history.items[0].after.is_none());
        assert!(history.items[2].before.is_none());
    })
    .await;
}

#[tokio::test]
async fn validation_uniqueness_and_references_name_the_field() {
    for_each_backend(|store| async move {
        let writes = change_count(&store).await;
        for (mut d, field) in [
            (node("bad name", None), "name"),
            (node("a", Some("x..y")), "domain"),
            (node("a", None), "management_ip"),
            (node("a", None), "vendor"),
        ] {
            match field {
                "management_ip" => d.management_ip = Some("10.0.0.300".into()),
                "vendor" => d.vendor = Some("Cisco Systems".into()),
                _ => {}
            }
            let err = store.create_node(&ctx(), d).await.unwrap_err();
            assert!(
                matches!(&err, StoreError::Invalid(e) if e.field() == field),
                "{field}: {err}"
            );
            assert_eq!(err.code(), "validation_failed");
        }
        let mut d = node("a", None);
        let missing = Uuid::new_v4();
        d.location_id = Some(missing);
        let err = store.create_node(&ctx(), d).await.unwrap_err();
        assert!(
            matches!(&err, StoreError::Dangling { field: "location_id", id, .. } if *id == missing)
        );
        assert_eq!(change_count(&store).await, writes);

        store
            .create_node(&ctx(), node("sw", Some("a.net")))
            .await
            .unwrap();
        store
            .create_node(&ctx(), node("sw", Some("b.net")))
            .await
            .unwrap();
        let err = store
            .create_node(&ctx(), node("sw", Some("a.net")))
            .await
            .unwrap_err();
        assert_eq!(err.code(), "conflict", "{err}");
        let err = store.resolve_node("sw").await.unwrap_err();
        match err {
            StoreError::Ambiguous { candidates, .. } => {
                assert_eq!(candidates, ["sw.a.net", "sw.b.net"])
            }
            other => panic!("{other}"),
        }
        store.create_node(&ctx(), node("sw", None)).await.unwrap();
        assert_eq!(
            store
                .create_node(&ctx(), node("sw", None))
                .await
                .unwrap_err()
                .code(),
            "conflict"
        );
    })
    .await;
}

#[tokio::test]
async fn every_filter_including_descendants_and_q() {
    for_each_backend(|store| async move {
        let site = store
            .create_location(&ctx(), location("Site", "site", None))
            .await
            .unwrap();
        let rack = store
            .create_location(&ctx(), location("Rack", "rack", Some(site.id)))
            .await
            .unwrap();
        let other = store
            .create_location(&ctx(), location("Other", "site", None))
            .await
            .unwrap();
        let specs = [
            (
                "leaf1",
                "arista",
                "leaf",
                NodeStatus::Active,
                Some(rack.id),
                "10.0.0.1",
                "SN-AAA",
            ),
            (
                "leaf2",
                "arista",
                "leaf",
                NodeStatus::Planned,
                Some(site.id),
                "10.0.0.2",
                "SN-BBB",
            ),
            (
                "spine1",
                "juniper",
                "spine",
                NodeStatus::Active,
                Some(other.id),
                "10.0.1.1",
                "XY_1",
            ),
            (
                "edge1",
                "cisco",
                "border",
                NodeStatus::Offline,
                None,
                "192.0.2.9",
                "XY%2",
            ),
        ];
        for (name, vendor, role, status, loc, ip, serial) in specs {
            let mut d = node(name, Some("lab.example.net"));
            d.vendor = Some(vendor.into());
            d.role = Some(role.into());
            d.status = Some(status);
            d.location_id = loc;
            d.management_ip = Some(ip.into());
            d.serial_number = Some(serial.into());
            store.create_node(&ctx(), d).await.unwrap();
        }
        let names = |f: NodeFilter| {
            let store = store.clone();
            async move {
                let page = store.list_nodes(&f, &PageRequest::default()).await.unwrap();
                assert_eq!(page.total as usize, page.items.len());
                page.items.into_iter().map(|n| n.name).collect::<Vec<_>>()
            }
        };
        assert_eq!(
            names(NodeFilter {
                status: Some(NodeStatus::Active),
                ..Default::default()
            })
            .await,
            ["leaf1", "spine1"]
        );
        assert_eq!(
            names(NodeFilter {
                role: Some("leaf".into()),
                ..Default::default()
            })
            .await,
            ["leaf1", "leaf2"]
        );
        assert_eq!(
            names(NodeFilter {
                vendor: Some("cisco".into()),
                ..Default::default()
            })
            .await,
            ["edge1"]
        );
        assert_eq!(
            names(NodeFilter {
                platform: Some(Platform::JuniperJunos),
                ..Default::default()
            })
            .await,
            ["spine1"]
        );
        assert_eq!(
            names(NodeFilter {
                location_id: Some(site.id),
                ..Default::default()
            })
            .await,
            ["leaf1", "leaf2"]
        );
        assert_eq!(
            names(NodeFilter {
                location_id: Some(rack.id),
                ..Default::default()
            })
            .await,
            ["leaf1"]
        );
        assert_eq!(
            names(NodeFilter {
                q: Some("LEAF".into()),
                ..Default::default()
            })
            .await,
            ["leaf1", "leaf2"]
        );
        assert_eq!(
            names(NodeFilter {
                q: Some("10.0.1.".into()),
                ..Default::default()
            })
            .await,
            ["spine1"]
        );
        assert_eq!(
            names(NodeFilter {
                q: Some("sn-b".into()),
                ..Default::default()
            })
            .await,
            ["leaf2"]
        );
        // LIKE wildcards in q are literal.
        assert_eq!(
            names(NodeFilter {
                q: Some("xy%".into()),
                ..Default::default()
            })
            .await,
            ["edge1"]
        );
        assert_eq!(
            names(NodeFilter {
                q: Some("xy_".into()),
                ..Default::default()
            })
            .await,
            ["spine1"]
        );
        assert_eq!(
            names(NodeFilter {
                q: Some("edge1.lab".into()),
                ..Default::default()
            })
            .await,
            ["edge1"]
        );
        let both = NodeFilter {
            status: Some(NodeStatus::Active),
            role: Some("leaf".into()),
            location_id: Some(site.id),
            ..Default::default()
        };
        assert_eq!(names(both).await, ["leaf1"]);
    })
    .await;
}

#[tokio::test]
async fn keyset_pages_have_no_gaps_or_duplicates_even_under_inserts() {
    for_each_backend(|store| async move {
        let mut expected = Vec::new();
        for i in 0..25 {
            // Same name in several domains, and one without a domain, to exercise the order.
            let domain = match i % 3 {
                0 => None,
                1 => Some("b.net"),
                _ => Some("a.net"),
            };
            let n = store
                .create_node(&ctx(), node(&format!("n{:02}", i / 3), domain))
                .await
                .unwrap();
            expected.push(n);
        }
        expected.sort_by(|a, b| (&a.name, &a.domain, a.id).cmp(&(&b.name, &b.domain, b.id)));
        let mut seen = Vec::new();
        let mut cursor = None;
        let mut pages = 0;
        loop {
            let page = store
                .list_nodes(
                    &NodeFilter::default(),
                    &PageRequest::new(4, cursor).unwrap(),
                )
                .await
                .unwrap();
            seen.extend(page.items.iter().map(|n| n.id));
            pages += 1;
            if pages == 2 {
                // Inserted behind and ahead of the cursor while paging.
                store
                    .create_node(&ctx(), node("a-early", None))
                    .await
                    .unwrap();
                let late = store
                    .create_node(&ctx(), node("zz-late", None))
                    .await
                    .unwrap();
                expected.push(late);
            }
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(seen, expected.iter().map(|n| n.id).collect::<Vec<_>>());
    })
    .await;
}

#[tokio::test]
async fn list_runs_the_same_number_of_statements_for_any_page_size() {
    for_each_backend(|store| async move {
        let site = store
            .create_location(&ctx(), location("Site", "site", None))
            .await
            .unwrap();
        let batch: Vec<_> = (0..600)
            .map(|i| {
                let mut d = node(&format!("n{i:04}"), None);
                d.id = Some(Uuid::new_v4());
                d.location_id = Some(site.id);
                unet_store::Sourced {
                    origin: unet_store::Origin {
                        file: "t".into(),
                        index: i,
                    },
                    draft: d,
                }
            })
            .collect();
        let report = store
            .import(
                &ctx(),
                unet_store::ImportBatch {
                    nodes: batch,
                    ..Default::default()
                },
                &Default::default(),
            )
            .await
            .unwrap();
        assert_eq!(report.nodes.created, 600);
        let f = NodeFilter {
            location_id: Some(site.id),
            q: Some("n".into()),
            ..Default::default()
        };
        let mut counts = Vec::new();
        for limit in [1, 500] {
            let before = store.statements_executed();
            let page = store
                .list_nodes(&f, &PageRequest::new(limit, None).unwrap())
                .await
                .unwrap();
            assert_eq!(page.items.len(), limit as usize);
            counts.push(store.statements_executed() - before);
        }
        assert_eq!(counts[0], counts[1]);
        assert_eq!(counts[0], 2, "one page statement and one count");
    })
    .await;
}
