//! ASSERT, SET and APPLY: outcomes, expected/actual, proposed changes and template order.

mod common;

use common::{load, location, switch};
use serde_json::{Value, json};
use unet_policy::{NodeFacts, Outcome, PolicyError};

#[test]
fn assert_is_passes_or_fails_with_expected_and_actual() {
    let set = load(
        r#"RULE "snmp-v3": WHEN node.vendor == "cisco" THEN ASSERT custom_data.snmp_version IS "v3"
           RULE "mtu": WHEN node.vendor == "cisco" THEN ASSERT node.custom_data.mtu IS 1500
           RULE "juniper": WHEN node.vendor == "juniper" THEN ASSERT node.role IS "core"
           RULE "same": WHEN TRUE THEN ASSERT custom_data.snmp.version IS custom_data.snmp_version"#,
    );
    let node = switch();
    let evaluation = set.evaluate(&NodeFacts::new(&node));
    let outcomes: Vec<(&str, Outcome)> = evaluation
        .results
        .iter()
        .map(|r| (r.rule, r.outcome))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("snmp-v3", Outcome::Pass),
            ("mtu", Outcome::Fail),
            ("juniper", Outcome::NotApplicable),
            ("same", Outcome::Pass),
        ]
    );
    let mtu = &evaluation.results[1];
    assert_eq!(mtu.expected().cloned(), Some(json!(1500)));
    assert_eq!(mtu.actual().cloned(), Some(json!(9000)));
    assert_eq!(
        mtu.message(),
        Some("`node.custom_data.mtu` is 9000, expected 1500")
    );
    assert!(!evaluation.is_compliant());
}

#[test]
fn assert_of_a_missing_field_fails_with_null_actual() {
    let set = load(r#"WHEN TRUE THEN ASSERT custom_data.syslog_host IS "192.0.2.50""#);
    let node = switch();
    let result = &set.evaluate(&NodeFacts::new(&node)).results[0];
    assert_eq!(result.outcome, Outcome::Fail);
    assert_eq!(result.actual().cloned(), Some(Value::Null));
    assert_eq!(result.expected().cloned(), Some(json!("192.0.2.50")));
}

#[test]
fn assert_condition_reports_the_condition_and_the_fields_it_read() {
    let set = load(
        r#"WHEN node.role == "access" THEN ASSERT node.management_ip IS NOT NULL AND custom_data.uplinks >= 2
           WHEN node.role == "access" THEN ASSERT custom_data.uplinks >= 4 OR node.model MATCHES /^C93/i
           WHEN node.role == "access" THEN ASSERT custom_data.uplinks >= 4 AND custom_data.vlans CONTAINS 99"#,
    );
    let node = switch();
    let results = set.evaluate(&NodeFacts::new(&node)).results;
    assert_eq!(results[0].outcome, Outcome::Pass);
    assert_eq!(results[1].outcome, Outcome::Pass);
    let failed = &results[2];
    assert_eq!(failed.outcome, Outcome::Fail);
    assert_eq!(
        failed.expected().cloned(),
        Some(json!(
            "custom_data.uplinks >= 4 AND custom_data.vlans CONTAINS 99"
        ))
    );
    assert_eq!(
        failed.actual().cloned(),
        Some(json!({"custom_data.uplinks": 2, "custom_data.vlans": [10, 20, 30]}))
    );
}

#[test]
fn set_proposes_a_change_only_when_the_value_differs() {
    let set = load(
        r#"WHEN node.role == "access" THEN SET custom_data.snmp_version TO "v3"
           WHEN node.role == "access" THEN SET custom_data.managed_by TO "unet"
           WHEN node.role == "access" THEN SET node.custom_data.site.timezone TO location.custom_data.timezone
           WHEN node.role == "core" THEN SET custom_data.never TO 1"#,
    );
    let node = switch();
    let location = location();
    let facts = NodeFacts {
        location: Some(&location),
        ..NodeFacts::new(&node)
    };
    let evaluation = set.evaluate(&facts);
    let outcomes: Vec<Outcome> = evaluation.results.iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        [
            Outcome::Pass,
            Outcome::Pass,
            Outcome::Pass,
            Outcome::NotApplicable
        ]
    );
    assert_eq!(
        evaluation.results[0].message(),
        None,
        "already v3: nothing to change"
    );
    let changes: Vec<(&str, &Value, &Value)> = evaluation
        .changes
        .iter()
        .map(|c| (c.target, &c.old, &c.new))
        .collect();
    assert_eq!(
        changes,
        [
            ("custom_data.managed_by", &Value::Null, &json!("unet")),
            (
                "custom_data.site.timezone",
                &Value::Null,
                &json!("Europe/Berlin")
            ),
        ]
    );
    assert_eq!(
        evaluation.results[1].message(),
        Some("would set `custom_data.managed_by` from null to \"unet\"")
    );
    // Applying is explicit and creates intermediate objects.
    let mut custom_data = node["custom_data"].clone();
    for change in &evaluation.changes {
        change.apply_to(&mut custom_data).expect("path is clear");
    }
    assert_eq!(custom_data["managed_by"], json!("unet"));
    assert_eq!(custom_data["site"], json!({"timezone": "Europe/Berlin"}));
    assert_eq!(custom_data["mtu"], json!(9000), "other keys are kept");
    // Re-evaluating the updated node proposes nothing: SET is idempotent.
    let mut updated = node.clone();
    updated["custom_data"] = custom_data;
    let again = set.evaluate(&NodeFacts {
        location: Some(&location),
        ..NodeFacts::new(&updated)
    });
    assert!(again.changes.is_empty());
}

#[test]
fn set_through_a_non_object_is_an_error_outcome() {
    let set = load(r#"WHEN TRUE THEN SET custom_data.snmp_version.level TO "authPriv""#);
    let node = switch();
    let result = &set.evaluate(&NodeFacts::new(&node)).results[0];
    assert_eq!(result.outcome, Outcome::Error);
    assert_eq!(
        result.message(),
        Some(
            "cannot set `custom_data.snmp_version.level`: `custom_data.snmp_version` (string) is not an object"
        )
    );
    // A node without custom_data gets one.
    let bare = json!({"name": "r1"});
    let evaluation = set.evaluate(&NodeFacts::new(&bare));
    assert_eq!(evaluation.results[0].outcome, Outcome::Pass);
    let mut custom_data = Value::Null;
    evaluation.changes[0]
        .apply_to(&mut custom_data)
        .expect("null becomes an object");
    assert_eq!(custom_data, json!({"snmp_version": {"level": "authPriv"}}));
}

#[test]
fn apply_to_refuses_a_blocked_path_without_changing_anything() {
    let set = load(r#"WHEN TRUE THEN SET custom_data.a.b.c TO 1"#);
    let node = json!({"custom_data": {}});
    let evaluation = set.evaluate(&NodeFacts::new(&node));
    let change = &evaluation.changes[0];
    let mut blocked = json!({"a": {"b": 5}, "keep": true});
    let before = blocked.clone();
    match change.apply_to(&mut blocked) {
        Err(PolicyError::SetBlocked { target, blocker }) => {
            assert_eq!(target, "custom_data.a.b.c");
            assert_eq!(blocker, "custom_data.a.b");
        }
        other => panic!("expected SetBlocked, got {other:?}"),
    }
    assert_eq!(blocked, before);
}

#[test]
fn apply_assigns_templates_in_rule_order_once_each() {
    let set = load(
        r#"WHEN node.vendor == "cisco" THEN APPLY "cisco/base.j2"
           WHEN node.role == "access" THEN APPLY "access/ports.j2"
           WHEN node.role == "core" THEN APPLY "core/bgp.j2"
           WHEN node.platform == "cisco_ios" THEN APPLY "cisco/base.j2"
           WHEN TRUE THEN APPLY "common/ntp.j2""#,
    );
    let node = switch();
    let evaluation = set.evaluate(&NodeFacts::new(&node));
    assert_eq!(
        evaluation.templates,
        ["cisco/base.j2", "access/ports.j2", "common/ntp.j2"]
    );
    assert!(evaluation.is_compliant());
}

#[test]
fn results_serialize_with_stable_lower_case_outcomes() {
    let set = load(
        r#"RULE "a": WHEN TRUE THEN ASSERT node.vendor IS "juniper"
           RULE "b": WHEN FALSE THEN APPLY "x"
           RULE "c": WHEN TRUE THEN APPLY "x"
           RULE "d": WHEN TRUE THEN SET custom_data.snmp_version.x TO 1"#,
    );
    let node = switch();
    let evaluation = set.evaluate(&NodeFacts::new(&node));
    let json = serde_json::to_value(&evaluation.results).expect("results serialize");
    let outcomes: Vec<&str> = json
        .as_array()
        .map(|a| a.iter().filter_map(|r| r["outcome"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(outcomes, ["fail", "not_applicable", "pass", "error"]);
    assert_eq!(json[0]["rule"], "a");
    assert_eq!(json[0]["expected"], "juniper");
    assert_eq!(json[0]["actual"], "cisco");
    // Every result has the same keys; parts a result lacks are null.
    assert_eq!(
        json[2],
        json!({"rule": "c", "outcome": "pass", "expected": null, "actual": null, "message": null})
    );
    assert_eq!(Outcome::NotApplicable.as_str(), "not_applicable");
}

#[test]
fn rule_info_exposes_ids_files_lines_and_canonical_text() {
    let set = load("\n\nwhen node.vendor == 'cisco'\n  then apply 'x'\n");
    let info: Vec<_> = set.rules().collect();
    assert_eq!(info.len(), 1);
    assert_eq!(info[0].id, "test.rules:3");
    assert_eq!(info[0].file, "test.rules");
    assert_eq!(info[0].line, 3);
    assert_eq!(
        info[0].text,
        r#"WHEN node.vendor == "cisco" THEN APPLY "x""#
    );
}

#[test]
fn a_compiled_set_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync + 'static>(_: &T) {}
    let set = load(r#"WHEN node.name MATCHES /^sw-/ THEN APPLY "x""#);
    shareable(&set);
    let node = switch();
    let set = std::sync::Arc::new(set);
    let worker = {
        let set = std::sync::Arc::clone(&set);
        let node = node.clone();
        std::thread::spawn(move || set.evaluate(&NodeFacts::new(&node)).templates.len())
    };
    assert_eq!(worker.join().ok(), Some(1));
}
