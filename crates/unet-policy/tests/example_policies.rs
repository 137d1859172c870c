//! The example policies in `policies/` load cleanly and give sensible results on the fixture
//! networks in `fixtures/`.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use unet_policy::{NodeFacts, Outcome, PolicySet, policy_files};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `(relative name, text)` of every policy file, in load order.
fn example_sources() -> Vec<(String, String)> {
    let dir = repo_root().join("policies");
    let listing = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    policy_files(listing)
        .into_iter()
        .map(|path| {
            let text =
                fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let name = format!(
                "policies/{}",
                path.file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default()
            );
            (name, text)
        })
        .collect()
}

fn read_json(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Each location with its `path` and `ancestors` (root first), keyed by id.
fn locations_with_paths(locations: &Value) -> HashMap<String, Value> {
    let by_id: HashMap<&str, &Value> = locations
        .as_array()
        .map(|all| {
            all.iter()
                .filter_map(|l| Some((l["id"].as_str()?, l)))
                .collect()
        })
        .unwrap_or_default();
    let mut out = HashMap::new();
    for (id, location) in &by_id {
        let mut chain = vec![*location];
        while let Some(parent) = chain
            .last()
            .and_then(|l| l["parent_id"].as_str())
            .and_then(|p| by_id.get(p))
        {
            chain.push(parent);
        }
        chain.reverse();
        let path: Vec<&str> = chain.iter().filter_map(|l| l["name"].as_str()).collect();
        let mut with_path = (*location).clone();
        with_path["path"] = json!(path.join("/"));
        with_path["ancestors"] = json!(chain[..chain.len() - 1]);
        out.insert((*id).to_owned(), with_path);
    }
    out
}

#[test]
fn example_policies_load_without_errors_or_warnings() {
    let sources = example_sources();
    assert!(
        sources.len() >= 5,
        "expected the example policy files, found {}",
        sources.len()
    );
    let compiled = PolicySet::compile(sources.iter().map(|(n, t)| (n.as_str(), t.as_str())));
    assert!(compiled.diagnostics.is_empty(), "{}", compiled.diagnostics);
    assert!(compiled.set.len() >= 30);
    let ids: Vec<&str> = compiled.set.rules().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.first(), Some(&"active-has-management-ip"));
    assert!(ids.contains(&"policies/50-templates.rules:4"));
}

#[test]
fn example_policies_evaluate_the_fixture_networks() {
    let sources = example_sources();
    let (set, _) = PolicySet::load(sources.iter().map(|(n, t)| (n.as_str(), t.as_str())))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut evaluated = 0;
    for network in ["campus", "datacenter", "small-office"] {
        let dir = repo_root().join("fixtures").join(network);
        let locations = locations_with_paths(&read_json(&dir.join("locations.json")));
        let nodes = read_json(&dir.join("nodes.json"));
        for node in nodes.as_array().into_iter().flatten() {
            let location = node["location_id"]
                .as_str()
                .and_then(|id| locations.get(id));
            let facts = NodeFacts {
                location,
                ..NodeFacts::new(node)
            };
            let evaluation = set.evaluate(&facts);
            evaluated += 1;
            let outcome_of = |rule: &str| {
                evaluation
                    .results
                    .iter()
                    .find(|r| r.rule == rule)
                    .map(|r| r.outcome)
            };
            for result in &evaluation.results {
                assert_ne!(
                    result.outcome,
                    Outcome::Error,
                    "{}: {result:?}",
                    node["name"]
                );
            }
            // The SNMPv3 rule agrees with the data it checks.
            let in_service = !matches!(node["status"].as_str(), Some("planned" | "decommissioned"));
            let expected_snmp = match (in_service, node["custom_data"]["snmp_version"].as_str()) {
                (false, _) => Outcome::NotApplicable,
                (true, Some("v3")) => Outcome::Pass,
                (true, _) => Outcome::Fail,
            };
            assert_eq!(
                outcome_of("snmp-v3"),
                Some(expected_snmp),
                "{}",
                node["name"]
            );
            // Without a stored running config, config rules do not apply.
            assert_eq!(outcome_of("ios-no-telnet"), Some(Outcome::NotApplicable));
            // Every Cisco IOS device gets its base template first.
            if node["platform"] == "cisco_ios" && node["vendor"] == "cisco" {
                assert_eq!(evaluation.templates.first(), Some(&"cisco-ios/base.j2"));
            }
            if network == "campus" && node["status"] == "active" {
                assert_ne!(
                    outcome_of("campus-syslog"),
                    Some(Outcome::NotApplicable),
                    "{}: campus locations must resolve",
                    node["name"]
                );
            }
        }
    }
    assert!(evaluated > 200);
}

#[test]
fn config_rules_check_the_running_config() {
    let sources = example_sources();
    let (set, _) = PolicySet::load(sources.iter().map(|(n, t)| (n.as_str(), t.as_str())))
        .unwrap_or_else(|e| panic!("{e}"));
    let node =
        json!({"name": "sw1", "vendor": "cisco", "platform": "cisco_ios", "status": "active"});
    let good = "hostname sw1\nservice password-encryption\nntp server 10.0.0.123\nline vty 0 4\n transport input ssh\n";
    let bad = "hostname sw1\nline vty 0 4\n transport input telnet ssh\n";
    let outcomes = |config: &str| {
        let evaluation = set.evaluate(&NodeFacts {
            running_config: Some(config),
            ..NodeFacts::new(&node)
        });
        [
            "ios-password-encryption",
            "ios-no-telnet",
            "ios-ntp-configured",
        ]
        .map(|rule| {
            evaluation
                .results
                .iter()
                .find(|r| r.rule == rule)
                .map(|r| r.outcome)
        })
    };
    assert_eq!(outcomes(good), [Some(Outcome::Pass); 3]);
    assert_eq!(outcomes(bad), [Some(Outcome::Fail); 3]);
}

#[test]
fn rules_read_the_recorded_config_check() {
    let text = r#"
RULE "core-config-compliant":
WHEN node.role == "core" THEN ASSERT config.compliant IS true
RULE "ntp-template-applied":
WHEN config.state IS NOT NULL THEN ASSERT NOT config.noncompliant_templates CONTAINS "common/management.j2"
"#;
    let (set, diagnostics) =
        PolicySet::load([("config.rules", text)]).unwrap_or_else(|e| panic!("{e}"));
    assert!(!diagnostics.has_errors(), "{diagnostics}");
    assert!(set.reads_config_check() && !set.reads_running_config());
    let node = json!({"name": "core1", "role": "core"});
    let outcomes = |check: Option<&serde_json::Value>| {
        let evaluation = set.evaluate(&NodeFacts {
            config_check: check,
            ..NodeFacts::new(&node)
        });
        evaluation
            .results
            .iter()
            .map(|r| r.outcome)
            .collect::<Vec<_>>()
    };
    let compliant = json!({"compliant": true, "state": "compliant", "noncompliant_templates": []});
    let drifted = json!({"compliant": false, "state": "non_compliant",
        "noncompliant_templates": ["common/management.j2"]});
    assert_eq!(outcomes(Some(&compliant)), [Outcome::Pass, Outcome::Pass]);
    assert_eq!(outcomes(Some(&drifted)), [Outcome::Fail, Outcome::Fail]);
    // Never checked: the core rule fails (null is not true), the other does not apply.
    assert_eq!(outcomes(None), [Outcome::Fail, Outcome::NotApplicable]);

    let typo = PolicySet::load([(
        "typo.rules",
        "WHEN config.complaint == true THEN ASSERT node.name IS NOT NULL",
    )]);
    let message = match typo {
        Ok((_, d)) => d.to_string(),
        Err(e) => e.to_string(),
    };
    assert!(message.contains("config.compliant"), "{message}");
}
