mod common;

use common::{ctx, link, node};
use unet_core::{ChangeFilter, EntityType, LinkFilter, PageRequest};
use unet_store::StoreError;
use unet_store::testing::for_each_backend;

#[tokio::test]
async fn interfaces_are_used_once_and_references_must_exist() {
    for_each_backend(|store| async move {
        let a = store.create_node(&ctx(), node("a", None)).await.unwrap();
        let b = store.create_node(&ctx(), node("b", None)).await.unwrap();
        let mut d = link(a.id, "Gi1/0/1", Some((b.id, "Gi1/0/1")));
        d.name = Some("a-b".into());
        d.circuit_id = Some("CID-7".into());
        let l = store.create_link(&ctx(), d.clone()).await.unwrap();
        assert_eq!(store.resolve_link("a-b").await.unwrap().id, l.id);

        // Either side of an existing link counts.
        let err = store
            .create_link(&ctx(), link(b.id, "Gi1/0/1", None))
            .await
            .unwrap_err();
        assert_eq!(err.code(), "conflict", "{err}");
        let err = store
            .create_link(&ctx(), link(a.id, "Gi1/0/1", None))
            .await
            .unwrap_err();
        assert_eq!(err.code(), "conflict", "{err}");
        // An external circuit on a free interface is fine.
        let ext = store
            .create_link(&ctx(), link(a.id, "Gi1/0/2", None))
            .await
            .unwrap();
        assert_eq!(ext.node_z_id, None);

        let ghost = unet_core::Uuid::new_v4();
        let err = store
            .create_link(&ctx(), link(a.id, "Gi1/0/3", Some((ghost, "x"))))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Dangling { field: "node_z_id", id, .. } if *id == ghost)
        );
        let err = store
            .create_link(&ctx(), link(a.id, "x", Some((a.id, "y"))))
            .await
            .unwrap_err();
        assert!(matches!(&err, StoreError::Invalid(e) if e.field() == "node_z_id"));

        // Moving the link frees its old interface.
        d.interface_a = "Gi1/0/9".into();
        let moved = store
            .update_link(&ctx(), l.id, d.clone(), Some(1))
            .await
            .unwrap();
        assert_eq!(moved.revision, 2);
        store
            .create_link(&ctx(), link(a.id, "Gi1/0/1", None))
            .await
            .unwrap();

        let err = store.delete_node(&ctx(), a.id, false).await.unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::Referenced {
                    entity: EntityType::Node,
                    ..
                }
            ),
            "{err}"
        );
        let f = LinkFilter {
            node_id: Some(b.id),
            ..Default::default()
        };
        assert_eq!(
            store
                .list_links(&f, &PageRequest::default())
                .await
                .unwrap()
                .total,
            1
        );
        let f = LinkFilter {
            q: Some("cid-".into()),
            ..Default::default()
        };
        assert_eq!(
            store
                .list_links(&f, &PageRequest::default())
                .await
                .unwrap()
                .total,
            1
        );
        store.delete_node(&ctx(), a.id, true).await.unwrap();
        let page = store
            .list_links(&LinkFilter::default(), &PageRequest::default())
            .await
            .unwrap();
        assert_eq!(page.total, 0);
        let deletes = ChangeFilter {
            entity_type: Some(EntityType::Link),
            action: Some(unet_core::ChangeAction::Delete),
            ..Default::default()
        };
        assert_eq!(
            store
                .list_changes(&deletes, &PageRequest::default())
                .await
                .unwrap()
                .total,
            3
        );

        let c = store.create_node(&ctx(), node("c", None)).await.unwrap();
        let l2 = store
            .create_link(&ctx(), link(b.id, "e0", Some((c.id, "e0"))))
            .await
            .unwrap();
        store.delete_link(&ctx(), l2.id).await.unwrap();
        // Its interfaces are free again.
        store
            .create_link(&ctx(), link(c.id, "e0", Some((b.id, "e0"))))
            .await
            .unwrap();
    })
    .await;
}
