//! Config checks of listed nodes, as the server checks the nodes whose new versions
//! collections stored: the listed nodes that exist, each outcome recorded, and nodes without
//! templates cost no reads of their context or configuration.

use unet_compliance::{ConfigRunOptions, LoadedTemplates, check_configs};
use unet_core::{ChangeContext, ChangeSource, ConfigSource, NodeDraft, Platform, Uuid};
use unet_store::testing::for_each_backend;
use unet_store::{ConfigState, Retention, Store};

async fn node(store: &Store, name: &str) -> Uuid {
    let draft = NodeDraft {
        name: name.into(),
        platform: Some(Platform::CiscoIos),
        ..Default::default()
    };
    let ctx = ChangeContext::new("test", ChangeSource::Cli);
    store.create_node(&ctx, draft).await.unwrap().id
}

#[tokio::test]
async fn listed_nodes_are_checked_together_and_those_without_templates_read_nothing_more() {
    for_each_backend(|store| async move {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("base.j2"), "hostname {{ node.name }}\n").unwrap();
        let loaded = LoadedTemplates::load(dir.path()).unwrap();
        let (r1, r2, r3) = (
            node(&store, "r1").await,
            node(&store, "r2").await,
            node(&store, "r3").await,
        );
        let base = vec!["base.j2".to_string()];
        store
            .replace_template_assignments(&[(r1, base.clone()), (r2, base)])
            .await
            .unwrap();
        for (id, text) in [(r1, "hostname r1\n"), (r2, "hostname elsewhere\n")] {
            store
                .push_running_config(
                    id,
                    ConfigSource::Collected,
                    None,
                    text,
                    &Retention::default(),
                )
                .await
                .unwrap();
        }

        // No templates among them: the nodes, their assignments and clearing their old checks
        // (two tables), nothing more; a node deleted meanwhile is left out.
        let opts = ConfigRunOptions {
            nodes: vec![r3, Uuid::new_v4()],
            ..Default::default()
        };
        let before = store.statements_executed();
        let report = check_configs(&store, &loaded, &opts, &mut |_, _| {})
            .await
            .unwrap();
        assert_eq!(store.statements_executed() - before, 4);
        assert_eq!((report.nodes, report.without_templates), (1, 1));

        let opts = ConfigRunOptions {
            nodes: vec![r1, r2, r3],
            ..Default::default()
        };
        let mut pages = Vec::new();
        let report = check_configs(&store, &loaded, &opts, &mut |done, total| {
            pages.push((done, total))
        })
        .await
        .unwrap();
        assert_eq!(pages, [(3, 3)]);
        assert_eq!(
            (
                report.compliant,
                report.non_compliant,
                report.without_templates
            ),
            (1, 1, 1)
        );
        let state = |id| {
            let store = store.clone();
            async move { store.config_check(id).await.unwrap().map(|c| c.state) }
        };
        assert_eq!(state(r1).await, Some(ConfigState::Compliant));
        assert_eq!(state(r2).await, Some(ConfigState::NonCompliant));
        assert_eq!(state(r3).await, None);
    })
    .await;
}
