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

/// Rules stored first; then refused sets must leave them alone.
const GOOD: &str = "RULE \"has-serial\":\nWHEN node.name IS NOT NULL\nTHEN ASSERT node.serial_number IS NOT NULL\n";
/// Valid on its own, and with work for `--apply`: a SET and an APPLY on every node.
const VALID: &str = "RULE \"mark\": WHEN node.name IS NOT NULL THEN SET custom_data.marked TO true\n\
                     RULE \"tpl\": WHEN node.name IS NOT NULL THEN APPLY \"base.j2\"\n";
/// An error on line 2, column 31 (`THEN` where the operand belongs).
const BROKEN: &str =
    "# broken on purpose\nRULE \"y\": WHEN node.vendor == THEN ASSERT node.name IS NOT NULL\n";

/// `unet policies eval` on a rule set with any error evaluates nothing: exit 2, each error as
/// `file:line:col`, nothing on stdout, the stored results and the inventory untouched — for
/// a broken file alone, beside a valid one, and with `--apply`.
#[test]
fn eval_refuses_a_rule_set_with_any_error_as_a_whole() {
    each_backend(|unet| {
        import_fixtures(unet);
        let good = unet.scratch_file("good/good.rules", GOOD);
        unet.ok(&["policies", "eval", "--path", &good]);
        let stored = unet.json(&["policies", "results", "--limit", "100000"]);
        assert!(!array(stored.clone()).is_empty());

        let broken = unet.scratch_file("alone/broken.rules", BROKEN);
        unet.scratch_file("mixed/a-valid.rules", VALID);
        let mixed_broken = unet.scratch_file("mixed/b-broken.rules", BROKEN);
        let alone = unet.scratch.path().join("alone").display().to_string();
        let mixed = unet.scratch.path().join("mixed").display().to_string();
        for (path, file, apply) in [
            (&alone, &broken, false),
            (&mixed, &mixed_broken, false),
            (&mixed, &mixed_broken, true),
            (&broken, &broken, true),
        ] {
            let mut args = vec!["-o", "json", "policies", "eval", "--path", path];
            if apply {
                args.push("--apply");
            }
            let out = unet.run(&args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
            assert!(out.stdout.is_empty(), "{args:?} printed results: {out:?}");
            assert!(
                stderr.contains(&format!("{file}:2:31: error: ")),
                "{args:?}: {stderr}"
            );
            assert!(
                stderr.contains(
                    "error: the rules have 1 error(s): the rule set is refused as a whole, \
                     nothing was evaluated, stored or applied"
                ),
                "{args:?}: {stderr}"
            );
            assert!(!stderr.contains("compliant"), "{args:?}: {stderr}");
            let now = unet.json(&["policies", "results", "--limit", "100000"]);
            assert_eq!(now, stored, "{args:?} changed the stored results");
            let untouched = (0, vec![Vec::new(), Vec::new()]);
            assert_eq!(applied_state(unet), untouched, "{args:?} applied");
        }
    });
}
