use serde_json::json;
use unet_compliance::{Collect, EvaluateOptions, LoadedPolicies, evaluate};
use unet_core::{
    ChangeContext, ChangeFilter, ChangeSource, LocationDraft, NodeDraft, NodeFilter, PageRequest,
};
use unet_store::testing::for_each_backend;
use unet_store::{PolicyOutcome, ResultFilter, Store};

const RULES: &str = r#"
RULE "campus-syslog":
WHEN location.path MATCHES /^Campus(\/|$)/ THEN ASSERT custom_data.syslog_server IS NOT NULL

RULE "timezone-from-site":
WHEN location.ancestors.0.custom_data.timezone IS NOT NULL AND custom_data.timezone IS NULL
THEN SET custom_data.timezone TO location.ancestors.0.custom_data.timezone

WHEN node.vendor == "cisco" THEN APPLY "cisco-ios/base.j2"
WHEN node.role == "access" THEN APPLY "cisco-ios/access-ports.j2"
"#;

fn ctx() -> ChangeContext {
    ChangeContext::new("alice", ChangeSource::Cli)
}

fn policies() -> LoadedPolicies {
    let loaded = LoadedPolicies::from_sources(&[("inline.rules".into(), RULES.into())]);
    assert!(loaded.diagnostics.is_empty(), "{}", loaded.diagnostics);
    loaded
}

/// A campus site with a timezone, a floor below it, and `count` access switches on the floor.
async fn seed(store: &Store, count: usize) {
    let site = store
        .create_location(
            &ctx(),
            LocationDraft {
                name: "Campus".into(),
                kind: "site".into(),
                custom_data: Some(json!({"timezone": "Europe/Berlin"})),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let floor = store
        .create_location(
            &ctx(),
            LocationDraft {
                name: "Floor 1".into(),
                kind: "floor".into(),
                parent_id: Some(site.id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    for i in 0..count {
        let custom_data = if i == 0 {
            json!({"syslog_server": "192.0.2.1"})
        } else {
            json!({})
        };
        let draft = NodeDraft {
            name: format!("sw{i}"),
            vendor: Some("cisco".into()),
            role: Some("access".into()),
            location_id: Some(floor.id),
            custom_data: Some(custom_data),
            ..Default::default()
        };
        store.create_node(&ctx(), draft).await.unwrap();
    }
}

#[tokio::test]
async fn fleet_evaluation_sees_locations_records_results_and_only_applies_when_asked() {
    for_each_backend(|store| async move {
        seed(&store, 3).await;
        let loaded = policies();
        let opts = EvaluateOptions {
            record: true,
            collect: Collect::All,
            ..Default::default()
        };
        let mut pages = Vec::new();
        let report = evaluate(&store, &loaded, &opts, &mut |done, total| {
            pages.push((done, total))
        })
        .await
        .unwrap();
        assert_eq!(pages, [(3, 3)]);
        assert_eq!(report.nodes, 3);
        // SET and APPLY results pass; only the syslog assertion fails on two nodes.
        assert_eq!((report.counts.pass, report.counts.fail), (10, 2));
        let sw1 = report
            .results
            .iter()
            .find(|r| r.node == "sw1" && r.rule == "campus-syslog")
            .unwrap();
        assert_eq!(sw1.outcome, PolicyOutcome::Fail);
        // SET is proposed with the site's timezone, not applied.
        assert_eq!(report.changes.len(), 3);
        assert!(
            report
                .changes
                .iter()
                .all(|c| !c.applied && c.new == json!("Europe/Berlin"))
        );
        assert_eq!(
            report.templates[0].templates,
            ["cisco-ios/base.j2", "cisco-ios/access-ports.j2"]
        );
        assert!(report.templates[0].added.is_empty());
        let stored = store
            .policy_results(&ResultFilter::default(), 100)
            .await
            .unwrap();
        assert_eq!(stored.len(), 3 * 4);
        let sw0 = store.resolve_node("sw0").await.unwrap();
        assert!(store.node_templates(sw0.id).await.unwrap().is_empty());
        assert_eq!(sw0.custom_data.get("timezone"), None);

        // Applying: one update per node with source policy; templates assigned once.
        let apply = EvaluateOptions {
            record: true,
            apply: Some(ChangeContext::new("bob", ChangeSource::Cli)),
            ..Default::default()
        };
        let applied = evaluate(&store, &loaded, &apply, &mut |_, _| {})
            .await
            .unwrap();
        assert!(
            applied
                .changes
                .iter()
                .all(|c| c.applied && c.error.is_none())
        );
        assert_eq!(applied.templates[0].added.len(), 2);
        let sw0 = store.resolve_node("sw0").await.unwrap();
        assert_eq!(sw0.custom_data["timezone"], json!("Europe/Berlin"));
        assert_eq!(
            store.node_templates(sw0.id).await.unwrap(),
            ["cisco-ios/base.j2", "cisco-ios/access-ports.j2"]
        );
        let policy_changes = store
            .list_changes(
                &ChangeFilter {
                    source: Some(ChangeSource::Policy),
                    ..Default::default()
                },
                &PageRequest::default(),
            )
            .await
            .unwrap();
        assert_eq!(policy_changes.total, 3);
        assert!(policy_changes.items.iter().all(|c| c.actor == "bob"));

        // Again: nothing left to change, nothing new to assign.
        let again = evaluate(&store, &loaded, &apply, &mut |_, _| {})
            .await
            .unwrap();
        assert!(again.changes.is_empty());
        assert!(
            again
                .templates
                .iter()
                .all(|t| t.added.is_empty() && t.removed.is_empty())
        );
        assert_eq!(store.node_templates(sw0.id).await.unwrap().len(), 2);

        // A template whose rule no longer applies is unassigned on the next evaluation; a node
        // left with none is reported with an empty list.
        let fewer = LoadedPolicies::from_sources(&[(
            "inline.rules".into(),
            r#"WHEN node.name == "sw0" THEN APPLY "cisco-ios/access-ports.j2""#.into(),
        )]);
        let moved = evaluate(&store, &fewer, &apply, &mut |_, _| {})
            .await
            .unwrap();
        assert_eq!(
            store.node_templates(sw0.id).await.unwrap(),
            ["cisco-ios/access-ports.j2"]
        );
        let sw1 = store.resolve_node("sw1").await.unwrap();
        assert!(store.node_templates(sw1.id).await.unwrap().is_empty());
        let report_sw1 = moved.templates.iter().find(|t| t.node == "sw1").unwrap();
        assert!(report_sw1.templates.is_empty());
        assert_eq!(report_sw1.removed.len(), 2);
        let report_sw0 = moved.templates.iter().find(|t| t.node == "sw0").unwrap();
        assert_eq!(report_sw0.removed, ["cisco-ios/base.j2"]);

        // One node, failures only, not recorded.
        let one = EvaluateOptions {
            node: Some(sw0.id),
            collect: Collect::Failures,
            ..Default::default()
        };
        let report = evaluate(&store, &loaded, &one, &mut |_, _| {})
            .await
            .unwrap();
        assert_eq!(report.nodes, 1);
        assert!(report.results.is_empty());
    })
    .await;
}

#[tokio::test]
async fn statements_per_page_do_not_grow_with_the_page() {
    for_each_backend(|store| async move {
        seed(&store, 2).await;
        let loaded = policies();
        let opts = EvaluateOptions {
            record: true,
            filter: NodeFilter::default(),
            ..Default::default()
        };
        let before = store.statements_executed();
        evaluate(&store, &loaded, &opts, &mut |_, _| {})
            .await
            .unwrap();
        let small = store.statements_executed() - before;
        // Nodes some rule applies to, so both runs write result rows.
        for i in 0..20 {
            let draft = NodeDraft {
                name: format!("extra{i}"),
                vendor: Some("cisco".into()),
                ..Default::default()
            };
            store.create_node(&ctx(), draft).await.unwrap();
        }
        let before = store.statements_executed();
        evaluate(&store, &loaded, &opts, &mut |_, _| {})
            .await
            .unwrap();
        assert_eq!(store.statements_executed() - before, small);
    })
    .await;
}

/// A rule set with any error is refused whole: the rules that compiled are not evaluated, the
/// stored results stay as they were, and nothing is applied, whatever the options ask.
#[tokio::test]
async fn a_rule_set_with_an_error_is_refused_whole_before_the_store_is_touched() {
    for_each_backend(|store| async move {
        seed(&store, 2).await;
        let record = EvaluateOptions {
            record: true,
            ..Default::default()
        };
        evaluate(&store, &policies(), &record, &mut |_, _| {})
            .await
            .unwrap();
        let stored = store
            .policy_results(&ResultFilter::default(), 100)
            .await
            .unwrap();
        assert_eq!(stored.len(), 2 * 4);

        // The good file alone would replace every stored result with its one rule.
        let mixed = LoadedPolicies::from_sources(&[
            (
                "good.rules".into(),
                "RULE \"named\": WHEN true THEN SET custom_data.x TO 1\n".into(),
            ),
            (
                "broken.rules".into(),
                "RULE \"y\":\nWHEN node.vendor ==\n".into(),
            ),
        ]);
        assert_eq!(mixed.set.len(), 1);
        let apply = EvaluateOptions {
            record: true,
            apply: Some(ctx()),
            collect: Collect::All,
            ..Default::default()
        };
        let before = store.statements_executed();
        let mut progressed = false;
        let err = evaluate(&store, &mixed, &apply, &mut |_, _| progressed = true)
            .await
            .unwrap_err();
        assert_eq!(store.statements_executed(), before, "the store was used");
        assert!(!progressed);
        let unet_compliance::ComplianceError::InvalidRules(diagnostics) = &err else {
            panic!("not refused as invalid rules: {err}");
        };
        let lines: Vec<String> = diagnostics.errors().map(|d| d.one_line()).collect();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0].starts_with("broken.rules:3:1: error: "),
            "{lines:?}"
        );
        assert!(
            err.to_string()
                .contains("the rule set is refused as a whole, nothing was evaluated"),
            "{err}"
        );
        let after = store
            .policy_results(&ResultFilter::default(), 100)
            .await
            .unwrap();
        assert_eq!(after, stored);
        let sw0 = store.resolve_node("sw0").await.unwrap();
        assert_eq!(sw0.custom_data.get("x"), None);
    })
    .await;
}

#[test]
fn a_directory_loads_in_file_order_and_unreadable_files_become_diagnostics() {
    let dir = std::env::temp_dir().join(format!("unet-compliance-load-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(
        dir.join("b.rules"),
        "RULE \"b\": WHEN true THEN ASSERT node.name IS NOT NULL\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("sub/a.policy"),
        "RULE \"a\": WHEN true THEN ASSERT node.name IS NOT NULL\n",
    )
    .unwrap();
    std::fs::write(dir.join("c.rules"), [0xff, 0xfe]).unwrap();
    std::fs::write(dir.join("notes.md"), "not rules").unwrap();
    let loaded = LoadedPolicies::load(&dir).unwrap();
    let ids: Vec<&str> = loaded.rules().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["b", "a"]);
    assert_eq!(loaded.files.len(), 2);
    let errors: Vec<String> = loaded.diagnostics.iter().map(|d| d.one_line()).collect();
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].ends_with("c.rules:1:1: error: the file is not UTF-8 text"),
        "{errors:?}"
    );
    assert!(LoadedPolicies::load(&dir.join("missing")).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}
