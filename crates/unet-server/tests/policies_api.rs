//! Policy endpoints against the real binary, on every backend available here: the rule files
//! of `policies.dir`, validation, evaluation over the small-office fixture (stored, inline,
//! filtered, applied), fleet and node compliance, background evaluation after an inventory
//! change, and `--validate` with a missing policies directory.

mod common;

use std::time::{Duration, Instant};

use common::*;

fn array(value: &Value) -> &Vec<Value> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
}

fn start_with_fixture(db: &TestDatabase) -> (Server, Vec<Value>) {
    let extra = format!(
        "policies.dir = {:?}\npolicies.interval = \"0s\"\npolicies.evaluate_on_change = false\n",
        repo_path("policies").display().to_string()
    );
    let server = Server::start_with(db.url(), &extra);
    let (status, _, report) = json_of(server.post_json("/api/v1/import", &small_office()));
    assert_eq!(status, 200, "{report}");
    let (status, _, nodes) = json_of(server.get("/api/v1/nodes?limit=1000"));
    assert_eq!(status, 200, "{nodes}");
    let nodes = array(&nodes).clone();
    assert!(!nodes.is_empty());
    (server, nodes)
}

#[test]
fn listing_validation_and_evaluation_over_the_fixture() {
    for db in TestDatabase::all_blocking() {
        let (server, nodes) = start_with_fixture(&db);

        let (status, _, listing) = json_of(server.get("/api/v1/policies"));
        assert_eq!(status, 200, "{listing}");
        assert!(array(&listing["files"]).len() >= 6, "{listing}");
        let rules = array(&listing["rules"]).len();
        assert!(rules > 10, "{listing}");
        assert_eq!(listing["diagnostics"], json!([]), "{listing}");

        let (status, _, nothing_yet) = json_of(server.get("/api/v1/compliance"));
        assert_eq!(status, 200, "{nothing_yet}");
        assert_eq!(nothing_yet["nodes_evaluated"], 0, "{nothing_yet}");

        let (status, _, results) =
            json_of(server.post_json("/api/v1/policies/evaluate", &json!({})));
        assert_eq!(status, 200, "{results}");
        let results = array(&results);
        assert_eq!(results.len(), nodes.len() * rules);
        for r in results {
            for key in [
                "node", "node_id", "rule", "outcome", "expected", "actual", "message",
            ] {
                assert!(r.get(key).is_some(), "{key} missing in {r}");
            }
        }
        let failing = results
            .iter()
            .filter(|r| r["outcome"] == "fail" || r["outcome"] == "error")
            .count();
        assert!(failing > 0);

        let (status, _, summary) = json_of(server.get("/api/v1/compliance"));
        assert_eq!(status, 200, "{summary}");
        assert_eq!(summary["nodes_evaluated"], nodes.len(), "{summary}");
        let counts = &summary["counts"];
        let stored_failing = counts["fail"].as_u64().unwrap() + counts["error"].as_u64().unwrap();
        assert_eq!(stored_failing as usize, failing, "{summary}");
        assert!(!array(&summary["worst_nodes"]).is_empty(), "{summary}");
        assert!(!array(&summary["failing_rules"]).is_empty(), "{summary}");

        // A node's stored results are the rules that apply to it; the others are counted.
        let node = &nodes[0];
        let path = format!("/api/v1/nodes/{}/compliance", node["id"].as_str().unwrap());
        let (status, _, of_node) = json_of(server.get(&path));
        assert_eq!(status, 200, "{of_node}");
        assert_eq!(of_node["node"], node["name"], "{of_node}");
        let applicable = results
            .iter()
            .filter(|r| r["node_id"] == node["id"] && r["outcome"] != "not_applicable")
            .count();
        assert_eq!(array(&of_node["results"]).len(), applicable, "{of_node}");
        let not_applicable = of_node["compliance"]["counts"]["not_applicable"].as_u64();
        assert_eq!(
            not_applicable.unwrap() as usize + applicable,
            rules,
            "{of_node}"
        );
        assert_eq!(of_node["compliance"]["node"], node["name"], "{of_node}");

        let vendor = node["vendor"].as_str().unwrap();
        let filtered = json!({"nodes": {"vendor": vendor}});
        let (status, _, some) = json_of(server.post_json("/api/v1/policies/evaluate", &filtered));
        assert_eq!(status, 200, "{some}");
        let with_vendor = nodes.iter().filter(|n| n["vendor"] == vendor).count();
        assert_eq!(array(&some).len(), with_vendor * rules);

        assert_problem(
            server.post_json(
                "/api/v1/policies/evaluate",
                &json!({"nodes": {"status": "sleeping"}}),
            ),
            422,
            "invalid_field",
        );
        assert_problem(
            server.get(&format!(
                "/api/v1/nodes/{}/compliance",
                unet_core::Uuid::new_v4()
            )),
            404,
            "not_found",
        );
        server.terminate();
    }
}

/// `(node, rule, outcome)` of each result, sorted, to compare answers.
fn keys(results: &[Value]) -> Vec<(String, String, String)> {
    let mut keys: Vec<_> = results
        .iter()
        .map(|r| {
            let text = |key: &str| r[key].as_str().unwrap_or_default().to_string();
            (text("node"), text("rule"), text("outcome"))
        })
        .collect();
    keys.sort();
    keys
}

#[test]
fn failures_only_and_summary_answers_over_the_fixture() {
    for db in TestDatabase::all_blocking() {
        let (server, nodes) = start_with_fixture(&db);
        let evaluate = |body: Value| {
            let (status, _, answer) = json_of(server.post_json("/api/v1/policies/evaluate", &body));
            assert_eq!(status, 200, "{body}: {answer}");
            answer
        };
        let all = evaluate(json!({}));
        let all = array(&all);
        let failing: Vec<Value> = all
            .iter()
            .filter(|r| r["outcome"] == "fail" || r["outcome"] == "error")
            .cloned()
            .collect();
        assert!(!failing.is_empty());

        let failures = evaluate(json!({"failures_only": true}));
        assert_eq!(keys(array(&failures)), keys(&failing));

        let summary = evaluate(json!({"summary": true}));
        assert_eq!(summary["nodes"], nodes.len(), "{summary}");
        assert_eq!(summary["results"], json!([]), "{summary}");
        assert!(summary["evaluated_at"].is_string(), "{summary}");
        let count = |outcome: &str| all.iter().filter(|r| r["outcome"] == outcome).count();
        for outcome in ["pass", "fail", "error", "not_applicable"] {
            assert_eq!(
                summary["counts"][outcome],
                count(outcome),
                "{outcome}: {summary}"
            );
        }
        let compliant = nodes
            .iter()
            .filter(|n| !failing.iter().any(|r| r["node_id"] == n["id"]))
            .count();
        assert_eq!(summary["compliant_nodes"], compliant, "{summary}");
        // Every rule, each counted once per node.
        let rules = array(&summary["rules"]);
        assert_eq!(rules.len() * nodes.len(), all.len(), "{summary}");
        for rule in rules {
            let counts = &rule["counts"];
            let per_rule: u64 = ["pass", "fail", "error", "not_applicable"]
                .iter()
                .map(|o| counts[*o].as_u64().unwrap())
                .sum();
            assert_eq!(per_rule as usize, nodes.len(), "{rule}");
        }
        // Worst first, only nodes with failures or errors.
        let worst = array(&summary["worst_nodes"]);
        assert!(!worst.is_empty() && worst.len() <= 10, "{summary}");
        let failing_of = |n: &Value| {
            n["counts"]["fail"].as_u64().unwrap() + n["counts"]["error"].as_u64().unwrap()
        };
        assert!(
            worst
                .windows(2)
                .all(|w| failing_of(&w[0]) >= failing_of(&w[1]))
        );
        assert!(worst.iter().all(|n| failing_of(n) > 0), "{summary}");

        let both = evaluate(json!({"summary": true, "failures_only": true}));
        assert_eq!(keys(array(&both["results"])), keys(&failing));
        assert_eq!(both["counts"], summary["counts"], "{both}");

        // The answer is smaller; what is stored is not: every applicable result.
        let (status, _, stored) = json_of(server.get("/api/v1/policies/results?limit=100000"));
        assert_eq!(status, 200, "{stored}");
        assert_eq!(array(&stored).len(), all.len() - count("not_applicable"));
        assert_problem(
            server.get("/api/v1/policies/results?outcome=not_applicable"),
            400,
            "invalid_query",
        );
        assert_problem(
            server.post_json("/api/v1/policies/evaluate", &json!({"summary": "yes"})),
            422,
            "invalid_field",
        );
        server.terminate();
    }
}

#[test]
fn validation_answers_with_diagnostics() {
    for db in TestDatabase::all_blocking() {
        let server = Server::start(&db);
        let good = json!({"text": "RULE \"x\": WHEN node.status == \"active\" THEN ASSERT node.serial_number IS NOT NULL\n"});
        let (status, _, answer) = json_of(server.post_json("/api/v1/policies/validate", &good));
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer, json!({"valid": true, "diagnostics": []}));

        let bad = json!({"text": "RULE \"x\":\nWHEN node.status ==\nTHEN ASSERT\n", "source": "edge.rules"});
        let (status, _, answer) = json_of(server.post_json("/api/v1/policies/validate", &bad));
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["valid"], false, "{answer}");
        let first = &array(&answer["diagnostics"])[0];
        assert_eq!(first["file"], "edge.rules", "{answer}");
        assert!(first["line"].as_u64().unwrap() >= 2, "{answer}");
        assert!(first["column"].as_u64().unwrap() >= 1, "{answer}");
        assert_eq!(first["severity"], "error", "{answer}");

        assert_problem(
            server.post_json("/api/v1/policies/validate", &json!({"rules": "x"})),
            422,
            "unknown_field",
        );
        server.terminate();
    }
}

#[test]
fn inline_rules_are_not_stored_and_apply_writes_policy_changes() {
    for db in TestDatabase::all_blocking() {
        let (server, nodes) = start_with_fixture(&db);
        let inline = json!({
            "rules": "RULE \"inline-serial\":\nWHEN node.name IS NOT NULL\nTHEN ASSERT node.serial_number IS NOT NULL\n",
        });
        let (status, _, results) = json_of(server.post_json("/api/v1/policies/evaluate", &inline));
        assert_eq!(status, 200, "{results}");
        assert_eq!(array(&results).len(), nodes.len());
        assert!(array(&results).iter().all(|r| r["rule"] == "inline-serial"));
        let (_, _, summary) = json_of(server.get("/api/v1/compliance"));
        assert_eq!(
            summary["nodes_evaluated"], 0,
            "inline results were stored: {summary}"
        );

        let broken = json!({"rules": "RULE \"x\": WHEN THEN"});
        let problem = assert_problem(
            server.post_json("/api/v1/policies/evaluate", &broken),
            422,
            "invalid_rules",
        );
        assert!(!array(&problem["errors"]).is_empty(), "{problem}");

        let (_, _, before) = json_of(server.get("/api/v1/changes?source=policy"));
        assert_eq!(array(&before).len(), 0, "{before}");
        let (status, _, applied) =
            json_of(server.post_json("/api/v1/policies/evaluate", &json!({"apply": true})));
        assert_eq!(status, 200, "{applied}");
        let (_, _, after) = json_of(server.get("/api/v1/changes?source=policy"));
        let changes = array(&after);
        assert!(!changes.is_empty(), "{after}");
        assert!(changes.iter().all(|c| c["source"] == "policy"), "{after}");

        let with_templates = nodes.iter().any(|n| {
            let path = format!("/api/v1/nodes/{}/compliance", n["id"].as_str().unwrap());
            let (_, _, of_node) = json_of(server.get(&path));
            !array(&of_node["templates"]).is_empty()
        });
        assert!(with_templates, "APPLY assigned no template");
        server.terminate();
    }
}

#[test]
fn inventory_changes_trigger_a_background_evaluation() {
    for db in TestDatabase::all_blocking() {
        let rules = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            rules.path().join("serial.rules"),
            "RULE \"has-serial\":\nWHEN node.name IS NOT NULL\nTHEN ASSERT node.serial_number IS NOT NULL\n",
        )
        .expect("write rules");
        let extra = format!(
            "policies.dir = {:?}\npolicies.interval = \"0s\"\npolicies.debounce = \"100ms\"\n",
            rules.path().display().to_string()
        );
        let mut server = Server::start_with(db.url(), &extra);
        let site = server.create("/api/v1/locations", json!({"name": "dc1", "kind": "site"}));
        server.create(
            "/api/v1/nodes",
            json!({"name": "edge-01", "domain": "example.net", "vendor": "cisco",
                   "location_id": site["id"]}),
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        let summary = loop {
            let (status, _, summary) = json_of(server.get("/api/v1/compliance"));
            assert_eq!(status, 200, "{summary}");
            if summary["nodes_evaluated"] == 1 {
                break summary;
            }
            assert!(
                Instant::now() < deadline,
                "no background evaluation: {summary}"
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        assert_eq!(summary["counts"]["fail"], 1, "{summary}");
        let log = server.drain_log().join("\n");
        assert!(log.contains("policy_evaluation"), "{log}");

        // A broken file is reported, and the rule set is refused whole: the next inventory
        // change evaluates nothing and the stored results stay.
        std::fs::write(rules.path().join("broken.rules"), "RULE \"y\": WHEN THEN\n")
            .expect("write rules");
        let (_, _, listing) = json_of(server.get("/api/v1/policies"));
        let ids: Vec<&Value> = array(&listing["rules"]).iter().map(|r| &r["id"]).collect();
        assert_eq!(ids, vec![&json!("has-serial")], "{listing}");
        assert!(!array(&listing["diagnostics"]).is_empty(), "{listing}");
        let (_, _, stored) = json_of(server.get("/api/v1/policies/results"));
        server.create(
            "/api/v1/nodes",
            json!({"name": "edge-02", "domain": "example.net", "vendor": "cisco",
                   "location_id": site["id"]}),
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        let refusal = loop {
            let log = server.drain_log();
            if let Some(line) = log.iter().find(|l| l.contains("policy evaluation failed")) {
                break line.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no background run: {}",
                log.join("\n")
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        assert!(refusal.contains("refused as a whole"), "{refusal}");
        let log = server.drain_log().join("\n");
        assert!(log.contains("broken.rules:1:"), "{log}");
        let (_, _, after) = json_of(server.get("/api/v1/policies/results"));
        assert_eq!(after, stored);
        let (_, _, summary) = json_of(server.get("/api/v1/compliance"));
        assert_eq!(summary["nodes_evaluated"], 1, "{summary}");
        server.terminate();
    }
}

/// `POST /api/v1/policies/evaluate` over a `policies.dir` with any error: 422 `invalid_rules`
/// naming each error's file, line and column, nothing evaluated, stored or applied — for a
/// broken file beside a valid one and for a broken file alone.
#[test]
fn evaluation_refuses_policy_files_with_any_error() {
    for db in TestDatabase::all_blocking() {
        let rules = tempfile::tempdir().expect("temp dir");
        let good = rules.path().join("good.rules");
        std::fs::write(
            &good,
            "RULE \"has-serial\":\nWHEN node.name IS NOT NULL\nTHEN ASSERT node.serial_number IS NOT NULL\n\
             RULE \"mark\": WHEN node.name IS NOT NULL THEN SET custom_data.marked TO true\n",
        )
        .expect("write rules");
        let extra = format!(
            "policies.dir = {:?}\npolicies.interval = \"0s\"\npolicies.evaluate_on_change = false\n",
            rules.path().display().to_string()
        );
        let server = Server::start_with(db.url(), &extra);
        let (status, _, report) = json_of(server.post_json("/api/v1/import", &small_office()));
        assert_eq!(status, 200, "{report}");
        let (status, _, results) =
            json_of(server.post_json("/api/v1/policies/evaluate", &json!({})));
        assert_eq!(status, 200, "{results}");
        let (_, _, stored) = json_of(server.get("/api/v1/policies/results?limit=100000"));
        assert!(!array(&stored).is_empty());
        let (_, _, nodes) = json_of(server.get("/api/v1/nodes?limit=1000"));

        let broken = rules.path().join("broken.rules");
        std::fs::write(
            &broken,
            "# broken\nRULE \"y\": WHEN node.vendor == THEN ASSERT node.name IS NOT NULL\n",
        )
        .expect("write rules");
        for alone in [false, true] {
            if alone {
                std::fs::remove_file(&good).expect("remove rules");
            }
            for body in [json!({}), json!({"apply": true}), json!({"summary": true})] {
                let problem = assert_problem(
                    server.post_json("/api/v1/policies/evaluate", &body),
                    422,
                    "invalid_rules",
                );
                let detail = problem["detail"].as_str().unwrap_or_default();
                assert!(detail.contains("refused as a whole"), "{problem}");
                assert_eq!(
                    problem["errors"][0]["field"],
                    json!(format!("{}:2:31", broken.display())),
                    "{problem}"
                );
                assert_eq!(array(&problem["errors"]).len(), 1, "{problem}");
                let (_, _, now) = json_of(server.get("/api/v1/policies/results?limit=100000"));
                assert_eq!(now, stored, "{body}");
                let (_, _, now) = json_of(server.get("/api/v1/nodes?limit=1000"));
                assert_eq!(now, nodes, "{body} changed the inventory");
            }
        }
        server.terminate();
    }
}

#[test]
fn validate_refuses_a_missing_policies_dir() {
    let (dir, config) = write_config(
        "sqlite://./unet.db",
        "policies.dir = \"./no-such-policies\"\n",
    );
    let (code, out, err) =
        run(command(&["--config", config.to_str().unwrap(), "--validate"]).current_dir(dir.path()));
    assert_ne!(code, 0, "{out}{err}");
    let text = format!("{out}{err}");
    assert!(text.contains("policies.dir"), "{text}");
    assert!(text.contains("no-such-policies"), "{text}");
}
