//! Counts per rule and node, the worst nodes, and recording across several pages (results of
//! one page are written while the next is evaluated) on every backend available here.

use serde_json::json;
use unet_compliance::{Collect, EvaluateOptions, LoadedPolicies, WORST_NODES, evaluate};
use unet_core::{ChangeContext, ChangeSource, NodeDraft, Uuid};
use unet_store::testing::for_each_backend;
use unet_store::{ImportBatch, ImportOptions, Origin, PolicyOutcome, ResultFilter, Sourced, Store};

/// More than two pages of nodes.
const NODES: usize = 2050;

const RULES: &str = r#"
RULE "management-ip": WHEN node.vendor == "cisco" THEN ASSERT node.management_ip IS NOT NULL
RULE "snmp-v3": WHEN custom_data.snmp_version IS NOT NULL THEN ASSERT custom_data.snmp_version IS "v3"
RULE "nokia-role": WHEN node.vendor == "nokia" THEN ASSERT node.role IS NOT NULL
"#;

/// Even nodes are Cisco; every third has no management address; every fifth runs SNMP v2c.
/// So node i fails both rules when i is a multiple of 30.
async fn seed(store: &Store) {
    let mut batch = ImportBatch::default();
    for i in 0..NODES {
        batch.nodes.push(Sourced {
            origin: Origin {
                file: "fleet".into(),
                index: i,
            },
            draft: NodeDraft {
                id: Some(Uuid::new_v4()),
                name: format!("n{i:04}"),
                vendor: Some(if i % 2 == 0 { "cisco" } else { "arista" }.into()),
                management_ip: (i % 3 != 0).then(|| format!("10.0.{}.{}", i / 256, i % 256)),
                custom_data: Some(json!({"snmp_version": if i % 5 == 0 { "v2c" } else { "v3" }})),
                ..Default::default()
            },
        });
    }
    let ctx = ChangeContext::new("alice", ChangeSource::Import);
    let report = store
        .import(&ctx, batch, &ImportOptions::default())
        .await
        .unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures.first());
}

fn count(predicate: impl Fn(usize) -> bool) -> u64 {
    (0..NODES).filter(|i| predicate(*i)).count() as u64
}

#[tokio::test]
async fn summary_counts_rules_and_worst_nodes_over_several_recorded_pages() {
    for_each_backend(|store| async move {
        seed(&store).await;
        let loaded = LoadedPolicies::from_sources(&[("fleet.rules".into(), RULES.into())]);
        assert!(loaded.diagnostics.is_empty(), "{}", loaded.diagnostics);
        let opts = EvaluateOptions {
            record: true,
            collect: Collect::Failures,
            ..Default::default()
        };
        let mut pages = Vec::new();
        let report = evaluate(&store, &loaded, &opts, &mut |done, _| pages.push(done))
            .await
            .unwrap();
        assert_eq!(pages, [1000, 2000, NODES as u64]);
        assert_eq!(report.nodes, NODES as u64);

        let ip_fail = count(|i| i % 6 == 0);
        let snmp_fail = count(|i| i % 5 == 0);
        let ids: Vec<&str> = report.rules.iter().map(|r| r.rule.as_str()).collect();
        assert_eq!(ids, ["management-ip", "snmp-v3", "nokia-role"]);
        let ip = &report.rules[0].counts;
        assert_eq!(
            (ip.pass, ip.fail),
            (count(|i| i % 2 == 0) - ip_fail, ip_fail)
        );
        assert_eq!(ip.not_applicable, count(|i| i % 2 == 1));
        let snmp = &report.rules[1].counts;
        assert_eq!(
            (snmp.pass, snmp.fail),
            (NODES as u64 - snmp_fail, snmp_fail)
        );
        assert_eq!(report.rules[2].counts.not_applicable, NODES as u64);
        assert_eq!(report.rules[2].compliance_percent, 100.0);
        assert_eq!(report.counts.fail, ip_fail + snmp_fail);
        assert_eq!(report.compliant_nodes, count(|i| i % 6 != 0 && i % 5 != 0));

        // Worst first: the nodes failing both rules, by name.
        let worst: Vec<&str> = report.worst_nodes.iter().map(|n| n.node.as_str()).collect();
        let expected: Vec<String> = (0..WORST_NODES)
            .map(|k| format!("n{:04}", k * 30))
            .collect();
        assert_eq!(worst, expected);
        assert!(report.worst_nodes.iter().all(|n| n.counts.fail == 2));

        // Only failures are handed back; every applicable result of every page is stored.
        assert_eq!(report.results.len() as u64, report.counts.fail);
        assert!(
            report
                .results
                .iter()
                .all(|r| r.outcome == PolicyOutcome::Fail)
        );
        let stored = store
            .policy_results(&ResultFilter::default(), 100_000)
            .await
            .unwrap();
        let applicable = report.counts.pass + report.counts.fail + report.counts.error;
        assert_eq!(stored.len() as u64, applicable);
        assert!(report.counts.not_applicable > 0 && applicable > 0);
        let fleet = store.compliance_summary(10, 10).await.unwrap();
        assert_eq!(fleet.nodes_evaluated, NODES as u64);
        assert_eq!(fleet.counts, report.counts);
        assert_eq!(fleet.compliant_nodes, report.compliant_nodes);
    })
    .await;
}
