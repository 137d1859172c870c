mod common;

use common::{ctx, location, node};
use unet_core::{ChangeFilter, EntityType, LocationFilter, PageRequest, Uuid};
use unet_store::StoreError;
use unet_store::testing::for_each_backend;

#[tokio::test]
async fn paths_follow_renames_and_moves() {
    for_each_backend(|store| async move {
        let campus = store
            .create_location(&ctx(), location("Campus", "site", None))
            .await
            .unwrap();
        let b = store
            .create_location(&ctx(), location("Building A", "building", Some(campus.id)))
            .await
            .unwrap();
        let f = store
            .create_location(&ctx(), location("Floor 1", "floor", Some(b.id)))
            .await
            .unwrap();
        assert_eq!(f.path, "Campus/Building A/Floor 1");
        let hq = store
            .update_location(&ctx(), campus.id, location("HQ", "site", None), Some(1))
            .await
            .unwrap();
        assert_eq!(hq.revision, 2);
        assert_eq!(
            store.get_location(f.id).await.unwrap().path,
            "HQ/Building A/Floor 1"
        );
        let other = store
            .create_location(&ctx(), location("Annex", "site", None))
            .await
            .unwrap();
        store
            .update_location(
                &ctx(),
                b.id,
                location("Building A", "building", Some(other.id)),
                None,
            )
            .await
            .unwrap();
        assert_eq!(
            store.get_location(f.id).await.unwrap().path,
            "Annex/Building A/Floor 1"
        );
        assert_eq!(
            store.resolve_location("Annex/Building A").await.unwrap().id,
            b.id
        );
        assert_eq!(
            store.resolve_location(&f.id.to_string()).await.unwrap().id,
            f.id
        );
    })
    .await;
}

#[tokio::test]
async fn cycles_duplicates_and_dangling_parents_are_refused() {
    for_each_backend(|store| async move {
        let a = store
            .create_location(&ctx(), location("A", "site", None))
            .await
            .unwrap();
        let b = store
            .create_location(&ctx(), location("B", "building", Some(a.id)))
            .await
            .unwrap();
        let c = store
            .create_location(&ctx(), location("C", "floor", Some(b.id)))
            .await
            .unwrap();
        let before = store
            .list_changes(&ChangeFilter::default(), &PageRequest::default())
            .await
            .unwrap()
            .total;

        let err = store
            .update_location(&ctx(), a.id, location("A", "site", Some(c.id)), None)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Invalid(e) if e.field() == "parent_id"),
            "{err}"
        );
        let err = store
            .create_location(&ctx(), location("B", "room", Some(a.id)))
            .await
            .unwrap_err();
        assert_eq!(err.code(), "conflict", "{err}");
        // The same name under another parent is fine.
        store
            .create_location(&ctx(), location("B", "room", Some(c.id)))
            .await
            .unwrap();
        let missing = Uuid::new_v4();
        let err = store
            .create_location(&ctx(), location("X", "site", Some(missing)))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Dangling { field: "parent_id", id, .. } if *id == missing)
        );
        let err = store
            .create_location(&ctx(), location("Y", "Big Site", None))
            .await
            .unwrap_err();
        assert!(matches!(&err, StoreError::Invalid(e) if e.field() == "kind"));

        let after = store
            .list_changes(&ChangeFilter::default(), &PageRequest::default())
            .await
            .unwrap()
            .total;
        assert_eq!(
            after,
            before + 1,
            "only the successful create wrote a change row"
        );
        assert_eq!(store.get_location(a.id).await.unwrap().parent_id, None);
    })
    .await;
}

#[tokio::test]
async fn delete_refuses_while_referenced_and_cascades() {
    for_each_backend(|store| async move {
        let site = store
            .create_location(&ctx(), location("Site", "site", None))
            .await
            .unwrap();
        let rack = store
            .create_location(&ctx(), location("Rack 1", "rack", Some(site.id)))
            .await
            .unwrap();
        let mut d = node("sw1", None);
        d.location_id = Some(rack.id);
        let sw1 = store.create_node(&ctx(), d).await.unwrap();
        let sw2 = store.create_node(&ctx(), node("sw2", None)).await.unwrap();
        let l = store
            .create_link(&ctx(), common::link(sw1.id, "eth1", Some((sw2.id, "eth1"))))
            .await
            .unwrap();

        let err = store
            .delete_location(&ctx(), site.id, false)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::Referenced {
                    entity: EntityType::Location,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(err.code(), "referenced");
        store.get_location(rack.id).await.unwrap();

        store.delete_location(&ctx(), site.id, true).await.unwrap();
        for id in [site.id, rack.id] {
            assert_eq!(
                store.get_location(id).await.unwrap_err().code(),
                "not_found"
            );
        }
        assert_eq!(
            store.get_node(sw1.id).await.unwrap_err().code(),
            "not_found"
        );
        assert_eq!(store.get_link(l.id).await.unwrap_err().code(), "not_found");
        store.get_node(sw2.id).await.unwrap();
        for (entity, id) in [
            (EntityType::Location, site.id),
            (EntityType::Location, rack.id),
            (EntityType::Node, sw1.id),
            (EntityType::Link, l.id),
        ] {
            let f = ChangeFilter {
                entity_type: Some(entity),
                entity_id: Some(id),
                action: Some(unet_core::ChangeAction::Delete),
                ..Default::default()
            };
            let page = store
                .list_changes(&f, &PageRequest::default())
                .await
                .unwrap();
            assert_eq!(page.total, 1, "{entity} {id}");
            assert!(page.items[0].after.is_none() && page.items[0].before.is_some());
        }
        // A leaf location goes without cascade.
        let lone = store
            .create_location(&ctx(), location("Lone", "site", None))
            .await
            .unwrap();
        store.delete_location(&ctx(), lone.id, false).await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn list_filters_and_pages() {
    for_each_backend(|store| async move {
        let root = store
            .create_location(&ctx(), location("Root", "region", None))
            .await
            .unwrap();
        for i in 0..7 {
            store
                .create_location(
                    &ctx(),
                    location(&format!("Site {i}"), "site", Some(root.id)),
                )
                .await
                .unwrap();
        }
        let f = LocationFilter {
            kind: Some("site".into()),
            ..Default::default()
        };
        let mut names = Vec::new();
        let mut cursor = None;
        loop {
            let page = store
                .list_locations(&f, &PageRequest::new(3, cursor).unwrap())
                .await
                .unwrap();
            assert_eq!(page.total, 7);
            names.extend(page.items.into_iter().map(|l| l.name));
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(
            names,
            (0..7).map(|i| format!("Site {i}")).collect::<Vec<_>>()
        );
        let q = LocationFilter {
            q: Some("site 3".into()),
            ..Default::default()
        };
        assert_eq!(
            store
                .list_locations(&q, &PageRequest::default())
                .await
                .unwrap()
                .total,
            1
        );
        let p = LocationFilter {
            parent_id: Some(root.id),
            ..Default::default()
        };
        assert_eq!(
            store
                .list_locations(&p, &PageRequest::default())
                .await
                .unwrap()
                .total,
            7
        );
    })
    .await;
}
