//! `unet policies`: validation exit codes, listing, evaluation over the fixtures with stored
//! results, and `--apply` writing policy changes and template assignments once.

mod common;

use common::{Unet, each_backend, fixture, repo_path};
use serde_json::Value;
use unet_core::{ChangeFilter, ChangeSource, PageRequest};
use unet_store::{Store, StoreOptions};

fn policies() -> String {
    repo_path("policies").display().to_string()
}

fn import_fixtures(unet: &Unet) {
    unet.ok(&["import", &fixture("campus")]);
    unet.ok(&["import", &fixture("small-office")]);
}

fn array(value: Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items,
        other => panic!("expected a JSON array, got {other}"),
    }
}

/// Policy change rows and template assignments, read straight from the database.
fn applied_state(unet: &Unet) -> (u64, Vec<Vec<String>>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = Store::open(unet.db.url(), StoreOptions::default())
            .await
            .unwrap();
        let filter = ChangeFilter {
            source: Some(ChangeSource::Policy),
            ..Default::default()
        };
        let changes = store
            .list_changes(&filter, &PageRequest::default())
            .await
            .unwrap();
        let mut templates = Vec::new();
        for name in ["nf-core-01", "nf-a1-acc-01"] {
            if let Ok(node) = store.resolve_node(name).await {
                templates.push(store.node_templates(node.id).await.unwrap());
            }
        }
        store.close().await;
        (changes.total, templates)
    })
}

#[test]
fn validate_reports_diagnostics_with_exit_codes() {
    each_backend(|unet| {
        let out = unet.run(&["policies", "validate", &policies()]);
        assert_eq!(out.status.code(), Some(0), "{out:?}");

        let bad = unet.scratch_file(
            "bad/broken.rules",
            "RULE \"ok\": WHEN true THEN ASSERT node.name IS NOT NULL\n\
             RULE \"broken\": WHEN node.vendor == THEN ASSERT node.name IS NOT NULL\n",
        );
        let text = unet.fails(1, &["policy", "validate", &bad]);
        let first = text.lines().next().unwrap_or_default();
        assert!(first.starts_with(&format!("{bad}:2:")), "{text}");
        assert!(first.contains(": error: "), "{text}");

        // Through --server, evaluation goes to the server; one that does not answer is an error.
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_unet"))
            .args(["--server", "http://127.0.0.1:9", "policies", "eval"])
            .env_remove("UNET_TOKEN")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("127.0.0.1:9"));

        let missing = unet.scratch.path().join("nowhere").display().to_string();
        unet.fails(1, &["policies", "validate", &missing]);
    });
}

#[test]
fn list_shows_files_rules_and_diagnostics() {
    each_backend(|unet| {
        let listing = unet.json(&["policies", "list", "--path", &policies()]);
        assert!(listing["files"].as_array().is_some_and(|f| f.len() >= 6));
        let rules = listing["rules"].as_array().unwrap();
        assert!(rules.iter().any(|r| r["id"] == "snmp-v3"));
        assert_eq!(listing["diagnostics"], Value::Array(Vec::new()));
        let table = unet.ok(&["policies", "list", "--path", &policies()]);
        assert!(table.contains("snmp-v3"));
    });
}

#[test]
fn eval_over_the_fixtures_stores_results_and_applies_only_when_asked() {
    each_backend(|unet| {
        import_fixtures(unet);
        let nodes = array(unet.json(&["nodes", "list", "--all"]));
        let rules = unet.json(&["policies", "list", "--path", &policies()])["rules"]
            .as_array()
            .unwrap()
            .len();

        let results = array(unet.json(&["policies", "eval", "--path", &policies()]));
        assert_eq!(results.len(), nodes.len() * rules);
        for r in &results {
            for key in ["node", "rule", "outcome", "expected", "actual", "message"] {
                assert!(r.get(key).is_some(), "{key} missing in {r}");
            }
        }
        let names: Vec<&str> = nodes.iter().filter_map(|n| n["name"].as_str()).collect();
        assert!(
            results
                .iter()
                .all(|r| names.contains(&r["node"].as_str().unwrap()))
        );
        let failing = results
            .iter()
            .filter(|r| r["outcome"] == "fail" || r["outcome"] == "error")
            .count();

        let failures =
            array(unet.json(&["policies", "eval", "--path", &policies(), "--failures-only"]));
        assert_eq!(failures.len(), failing);
        assert!(
            failures
                .iter()
                .all(|r| r["outcome"] == "fail" || r["outcome"] == "error")
        );

        let one = array(unet.json(&[
            "policies",
            "eval",
            "--path",
            &policies(),
            "--node",
            "nf-core-01",
        ]));
        assert_eq!(one.len(), rules);
        assert!(one.iter().all(|r| r["node"] == "nf-core-01"));

        // Every applicable result is stored; a rule that does not apply is only counted.
        let applicable = |r: &&Value| r["outcome"] != "not_applicable";
        let stored = array(unet.json(&["policies", "results", "--limit", "100000"]));
        assert_eq!(stored.len(), results.iter().filter(applicable).count());
        assert!(stored.iter().all(|r| applicable(&r)));
        let refused = unet.fails(2, &["policies", "results", "--outcome", "not_applicable"]);
        assert!(refused.contains("counted, not stored"), "{refused}");
        let stored_failures = array(unet.json(&["policies", "results", "--outcome", "fail"]));
        assert_eq!(
            stored_failures.len(),
            failures.iter().filter(|r| r["outcome"] == "fail").count()
        );
        let of_node = array(unet.json(&["policies", "results", "--node", "nf-core-01"]));
        assert_eq!(of_node.len(), one.iter().filter(applicable).count());

        // Without --apply nothing was written to the inventory.
        assert_eq!(applied_state(unet), (0, vec![Vec::new(), Vec::new()]));

        unet.ok(&["policies", "eval", "--path", &policies(), "--apply"]);
        let (changes, templates) = applied_state(unet);
        assert!(changes > 0);
        assert!(templates.iter().all(|t| !t.is_empty()), "{templates:?}");
        assert!(templates[0].contains(&"cisco-ios/core-ospf.j2".to_string()));
        let history = array(unet.json(&["changes", "list", "--source", "policy", "--all"]));
        assert!(
            history
                .iter()
                .all(|c| c["actor"] == "tester" && c["source"] == "policy")
        );

        // Applying again changes nothing and assigns nothing twice.
        unet.ok(&["policies", "eval", "--path", &policies(), "--apply"]);
        assert_eq!(applied_state(unet), (changes, templates));
    });
}
