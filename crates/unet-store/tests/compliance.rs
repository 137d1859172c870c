mod common;

use common::{ctx, location, node};
use serde_json::json;
use unet_core::{Timestamp, Uuid};
use unet_store::testing::for_each_backend;
use unet_store::{
    AssignmentChange, NodeRuleResults, PolicyOutcome, ResultFilter, RuleResultRecord, Store,
    StoredResult,
};

fn result(rule: &str, outcome: PolicyOutcome, message: Option<&str>) -> RuleResultRecord {
    RuleResultRecord {
        rule_id: rule.into(),
        outcome,
        expected: message.map(|_| json!("v3")),
        actual: message.map(|_| json!("v2")),
        message: message.map(Into::into),
    }
}

async fn node_results(store: &Store, id: Uuid) -> Vec<StoredResult> {
    let filter = ResultFilter {
        node_id: Some(id),
        ..Default::default()
    };
    store.policy_results(&filter, 100).await.unwrap()
}

#[tokio::test]
async fn results_keep_changed_at_until_the_outcome_changes() {
    for_each_backend(|store| async move {
        let a = store.create_node(&ctx(), node("a", None)).await.unwrap();
        let b = store.create_node(&ctx(), node("b", None)).await.unwrap();
        let t1 = Timestamp::now();
        let first = vec![
            NodeRuleResults {
                node_id: a.id,
                results: vec![
                    result("snmp", PolicyOutcome::Fail, Some("snmp_version is \"v2\"")),
                    result("ntp", PolicyOutcome::Pass, None),
                ],
            },
            NodeRuleResults {
                node_id: b.id,
                results: vec![
                    result("snmp", PolicyOutcome::Pass, None),
                    result("ntp", PolicyOutcome::NotApplicable, None),
                ],
            },
        ];
        let recorded = store.record_policy_results(t1, &first).await.unwrap();
        // b's ntp does not apply: counted, not stored.
        assert_eq!((recorded.nodes, recorded.rewritten), (2, 3));
        let b_results = node_results(&store, b.id).await;
        assert_eq!(
            b_results
                .iter()
                .map(|r| r.rule.as_str())
                .collect::<Vec<_>>(),
            ["snmp"]
        );
        let b_compliance = store.node_compliance(b.id).await.unwrap().unwrap();
        assert_eq!(
            (b_compliance.counts.pass, b_compliance.counts.not_applicable),
            (1, 1)
        );

        let stored = node_results(&store, a.id).await;
        assert_eq!(stored.len(), 2);
        let snmp = stored.iter().find(|r| r.rule == "snmp").unwrap();
        assert_eq!(snmp.node, "a");
        assert_eq!(snmp.outcome, PolicyOutcome::Fail);
        assert_eq!(snmp.expected, Some(json!("v3")));
        assert_eq!(snmp.actual, Some(json!("v2")));
        assert_eq!((snmp.evaluated_at, snmp.changed_at), (t1, t1));

        // Same outcomes again: nothing rewritten, evaluated_at moves, changed_at stays.
        let t2 = Timestamp::now();
        let again = store.record_policy_results(t2, &first).await.unwrap();
        assert_eq!(again.rewritten, 0);
        let stored = node_results(&store, a.id).await;
        assert!(
            stored
                .iter()
                .all(|r| r.evaluated_at == t2 && r.changed_at == t1)
        );

        // The snmp outcome flips on a: only that row's changed_at moves.
        let t3 = Timestamp::now();
        let mut third = first.clone();
        third[0].results[0] = result("snmp", PolicyOutcome::Pass, None);
        let flipped = store.record_policy_results(t3, &third).await.unwrap();
        assert_eq!(flipped.rewritten, 1);
        let stored = node_results(&store, a.id).await;
        let changed: Vec<_> = stored
            .iter()
            .map(|r| (r.rule.as_str(), r.changed_at))
            .collect();
        assert_eq!(changed, [("ntp", t1), ("snmp", t3)]);

        let summary = store.compliance_summary(10, 10).await.unwrap();
        assert_eq!(summary.nodes_evaluated, 2);
        assert_eq!(summary.compliant_nodes, 2);
        assert_eq!(summary.counts.pass, 3);
        assert!(summary.worst_nodes.is_empty() && summary.failing_rules.is_empty());
        assert!((summary.compliance_percent - 100.0).abs() < f64::EPSILON);
    })
    .await;
}

#[tokio::test]
async fn summary_ranks_worst_nodes_and_failing_rules() {
    for_each_backend(|store| async move {
        let a = store.create_node(&ctx(), node("a", None)).await.unwrap();
        let b = store.create_node(&ctx(), node("b", None)).await.unwrap();
        let batch = vec![
            NodeRuleResults {
                node_id: a.id,
                results: vec![
                    result("snmp", PolicyOutcome::Fail, Some("m")),
                    result("ntp", PolicyOutcome::Error, Some("e")),
                    result("serial", PolicyOutcome::Pass, None),
                ],
            },
            NodeRuleResults {
                node_id: b.id,
                results: vec![
                    result("snmp", PolicyOutcome::Fail, Some("m")),
                    result("ntp", PolicyOutcome::Pass, None),
                    result("serial", PolicyOutcome::NotApplicable, None),
                ],
            },
        ];
        store
            .record_policy_results(Timestamp::now(), &batch)
            .await
            .unwrap();
        let before = store.statements_executed();
        let summary = store.compliance_summary(1, 10).await.unwrap();
        assert_eq!(store.statements_executed() - before, 3);
        assert_eq!((summary.nodes_evaluated, summary.compliant_nodes), (2, 0));
        assert_eq!(
            (
                summary.counts.pass,
                summary.counts.fail,
                summary.counts.error,
                summary.counts.not_applicable
            ),
            (2, 2, 1, 1)
        );
        assert!((summary.compliance_percent - 40.0).abs() < 1e-9);
        assert_eq!(summary.worst_nodes.len(), 1);
        assert_eq!(summary.worst_nodes[0].node, "a");
        let failing: Vec<_> = summary
            .failing_rules
            .iter()
            .map(|r| (r.rule.as_str(), r.fail, r.error))
            .collect();
        assert_eq!(failing, [("snmp", 2, 0), ("ntp", 0, 1)]);
        let node_a = store.node_compliance(a.id).await.unwrap().unwrap();
        assert_eq!((node_a.counts.fail, node_a.counts.error), (1, 1));
        let failures = store
            .policy_results(
                &ResultFilter {
                    outcome: Some(PolicyOutcome::Fail),
                    ..Default::default()
                },
                100,
            )
            .await
            .unwrap();
        assert_eq!(failures.len(), 2);
    })
    .await;
}

#[tokio::test]
async fn a_rule_that_stops_applying_loses_its_row_and_gets_a_new_one_when_it_applies_again() {
    for_each_backend(|store| async move {
        let a = store.create_node(&ctx(), node("a", None)).await.unwrap();
        let b = store.create_node(&ctx(), node("b", None)).await.unwrap();
        let results = |snmp: PolicyOutcome| {
            vec![
                NodeRuleResults {
                    node_id: a.id,
                    results: vec![
                        result("snmp", snmp, None),
                        result("ntp", PolicyOutcome::Fail, Some("m")),
                    ],
                },
                NodeRuleResults {
                    node_id: b.id,
                    results: vec![result("snmp", PolicyOutcome::Pass, None)],
                },
            ]
        };
        let t1 = Timestamp::now();
        store
            .record_policy_results(t1, &results(PolicyOutcome::Pass))
            .await
            .unwrap();

        let t2 = Timestamp::now();
        let stopped = store
            .record_policy_results(t2, &results(PolicyOutcome::NotApplicable))
            .await
            .unwrap();
        assert_eq!((stopped.rewritten, stopped.removed), (0, 1));
        let rules: Vec<_> = node_results(&store, a.id)
            .await
            .into_iter()
            .map(|r| (r.rule, r.changed_at))
            .collect();
        assert_eq!(rules, [("ntp".to_string(), t1)]);
        let counts = store.node_compliance(a.id).await.unwrap().unwrap().counts;
        assert_eq!((counts.fail, counts.not_applicable), (1, 1));

        // Applying again is a change of outcome: a new row from this evaluation on.
        let t3 = Timestamp::now();
        let again = store
            .record_policy_results(t3, &results(PolicyOutcome::Pass))
            .await
            .unwrap();
        assert_eq!((again.rewritten, again.removed), (1, 0));
        let snmp = store
            .policy_results(
                &ResultFilter {
                    rule: Some("snmp".into()),
                    ..Default::default()
                },
                100,
            )
            .await
            .unwrap();
        let by_node: Vec<_> = snmp
            .iter()
            .map(|r| (r.node.as_str(), r.changed_at))
            .collect();
        assert_eq!(by_node, [("a", t3), ("b", t1)]);

        // No row is ever not_applicable, so asking for them is a mistake worth naming.
        let refused = store
            .policy_results(
                &ResultFilter {
                    outcome: Some(PolicyOutcome::NotApplicable),
                    ..Default::default()
                },
                100,
            )
            .await
            .unwrap_err();
        assert!(
            refused.to_string().contains("counted, not stored"),
            "{refused}"
        );
        assert_eq!(
            unet_store::parse_stored_outcome("fail").unwrap(),
            PolicyOutcome::Fail
        );
        assert!(unet_store::parse_stored_outcome("not_applicable").is_err());
    })
    .await;
}

#[tokio::test]
async fn removed_rules_and_deleted_nodes_lose_their_results() {
    for_each_backend(|store| async move {
        let a = store.create_node(&ctx(), node("a", None)).await.unwrap();
        let batch = vec![NodeRuleResults {
            node_id: a.id,
            results: vec![
                result("old", PolicyOutcome::Fail, Some("m")),
                result("kept", PolicyOutcome::Pass, None),
            ],
        }];
        store
            .record_policy_results(Timestamp::now(), &batch)
            .await
            .unwrap();
        let only_kept = vec![NodeRuleResults {
            node_id: a.id,
            results: vec![result("kept", PolicyOutcome::Pass, None)],
        }];
        store
            .record_policy_results(Timestamp::now(), &only_kept)
            .await
            .unwrap();
        let all = store
            .policy_results(&ResultFilter::default(), 100)
            .await
            .unwrap();
        assert_eq!(
            all.iter().map(|r| r.rule.as_str()).collect::<Vec<_>>(),
            ["kept"]
        );

        store
            .replace_template_assignments(&[(a.id, vec!["base".into()])])
            .await
            .unwrap();
        store.delete_node(&ctx(), a.id, false).await.unwrap();
        assert!(
            store
                .policy_results(&ResultFilter::default(), 100)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(store.node_compliance(a.id).await.unwrap().is_none());
        assert!(store.node_templates(a.id).await.unwrap().is_empty());

        // A node deleted between evaluation and recording is skipped, not an error.
        let recorded = store
            .record_policy_results(Timestamp::now(), &only_kept)
            .await
            .unwrap();
        assert_eq!(recorded.nodes, 0);
    })
    .await;
}

#[tokio::test]
async fn template_assignments_are_replaced_in_order_each_once() {
    for_each_backend(|store| async move {
        let a = store.create_node(&ctx(), node("a", None)).await.unwrap();
        let b = store.create_node(&ctx(), node("b", None)).await.unwrap();
        let changed = store
            .replace_template_assignments(&[
                (a.id, vec!["base".into(), "snmp".into(), "base".into()]),
                (b.id, vec!["base".into()]),
            ])
            .await
            .unwrap();
        assert_eq!(changed.len(), 2);
        assert_eq!(changed[0].added, ["base", "snmp"]);
        assert!(changed[0].removed.is_empty());
        let again = store
            .replace_template_assignments(&[
                (a.id, vec!["snmp".into(), "ntp".into()]),
                (b.id, vec!["base".into()]),
            ])
            .await
            .unwrap();
        assert_eq!(
            again,
            [AssignmentChange {
                node_id: a.id,
                added: vec!["ntp".into()],
                removed: vec!["base".into()],
            }]
        );
        assert_eq!(store.node_templates(a.id).await.unwrap(), ["snmp", "ntp"]);
        assert_eq!(store.node_templates(b.id).await.unwrap(), ["base"]);
        let cleared = store
            .replace_template_assignments(&[(a.id, Vec::new())])
            .await
            .unwrap();
        assert_eq!(cleared[0].removed, ["snmp", "ntp"]);
        assert!(store.node_templates(a.id).await.unwrap().is_empty());
        assert!(
            store
                .replace_template_assignments(&[(a.id, Vec::new())])
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}

#[tokio::test]
async fn locations_come_with_their_ancestors() {
    for_each_backend(|store| async move {
        let campus = store
            .create_location(&ctx(), location("Campus", "site", None))
            .await
            .unwrap();
        let building = store
            .create_location(&ctx(), location("B1", "building", Some(campus.id)))
            .await
            .unwrap();
        let floor = store
            .create_location(&ctx(), location("F1", "floor", Some(building.id)))
            .await
            .unwrap();
        let other = store
            .create_location(&ctx(), location("Other", "site", None))
            .await
            .unwrap();
        let before = store.statements_executed();
        let mut found = store.locations_with_ancestors(&[floor.id]).await.unwrap();
        assert_eq!(store.statements_executed() - before, 1);
        found.sort_by(|a, b| a.path.cmp(&b.path));
        let paths: Vec<_> = found.iter().map(|l| l.path.as_str()).collect();
        assert_eq!(paths, ["Campus", "Campus/B1", "Campus/B1/F1"]);
        assert!(!found.iter().any(|l| l.id == other.id));
    })
    .await;
}

#[tokio::test]
async fn config_checks_are_replaced_read_back_and_go_with_the_node() {
    use unet_store::{ConfigCheckRecord, ConfigState, SliceRecord, SliceVerdict};
    for_each_backend(|store| async move {
        let a = store.create_node(&ctx(), node("a", None)).await.unwrap();
        let b = store.create_node(&ctx(), node("b", None)).await.unwrap();
        let at = Timestamp::now();
        let check = |id, state, slices: Vec<SliceRecord>| ConfigCheckRecord {
            node_id: id,
            checked_at: at,
            running_version: Some(3),
            state,
            missing: slices.iter().map(|s| s.missing).sum(),
            extra: slices.iter().map(|s| s.extra).sum(),
            message: None,
            slices,
        };
        let slice = |template: &str, verdict, missing, extra| SliceRecord {
            template: template.into(),
            owns: (template == "ntp.j2").then(|| "ntp server".to_string()),
            verdict,
            missing,
            extra,
        };
        let first = [
            check(
                a.id,
                ConfigState::NonCompliant,
                vec![
                    slice("base.j2", SliceVerdict::Compliant, 0, 0),
                    slice("ntp.j2", SliceVerdict::Different, 1, 2),
                ],
            ),
            check(b.id, ConfigState::NoRunningConfig, vec![]),
        ];
        assert_eq!(store.record_config_checks(&first, &[]).await.unwrap(), 2);
        let read = store.config_check(a.id).await.unwrap().unwrap();
        assert_eq!(read, first[0]);
        let summary = store.config_compliance_summary(10).await.unwrap();
        assert_eq!(
            (
                summary.nodes_checked,
                summary.non_compliant,
                summary.no_running_config
            ),
            (2, 1, 1)
        );
        assert_eq!(summary.worst_nodes[0].node, "a");
        assert_eq!(summary.checked_at, Some(at));

        // Replaced, and cleared for a node that no longer has templates.
        let second = [check(
            a.id,
            ConfigState::Compliant,
            vec![slice("base.j2", SliceVerdict::Compliant, 0, 0)],
        )];
        store.record_config_checks(&second, &[b.id]).await.unwrap();
        assert_eq!(store.config_check(a.id).await.unwrap().unwrap(), second[0]);
        assert!(store.config_check(b.id).await.unwrap().is_none());

        store.delete_node(&ctx(), a.id, false).await.unwrap();
        assert!(store.config_check(a.id).await.unwrap().is_none());
        assert_eq!(
            store
                .config_compliance_summary(10)
                .await
                .unwrap()
                .nodes_checked,
            0
        );
        // A node deleted before recording is skipped.
        assert_eq!(store.record_config_checks(&second, &[]).await.unwrap(), 0);
    })
    .await;
}
