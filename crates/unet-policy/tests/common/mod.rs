//! Helpers shared by the integration tests.
#![allow(dead_code)]

use serde_json::{Value, json};
use unet_policy::{NodeFacts, Outcome, PolicySet};

/// A typical active Cisco access switch.
pub fn switch() -> Value {
    json!({
        "id": "5f0c6a52-0000-4000-8000-000000000001",
        "name": "sw-b1-f1-01",
        "domain": "campus.example.net",
        "fqdn": "sw-b1-f1-01.campus.example.net",
        "vendor": "cisco",
        "platform": "cisco_ios",
        "model": "C9300-48P",
        "role": "access",
        "status": "active",
        "location_id": "5f0c6a52-0000-4000-8000-0000000000aa",
        "management_ip": "192.0.2.10",
        "serial_number": "FOC1234X0AB",
        "asset_tag": null,
        "revision": 7,
        "custom_data": {
            "snmp_version": "v3",
            "mtu": 9000,
            "uplinks": 2,
            "ratio": 0.5,
            "poe": true,
            "vlans": [10, 20, 30],
            "ntp_servers": ["192.0.2.1", "192.0.2.2"],
            "snmp": {"version": "v3", "users": {"monitor": "sha"}}
        }
    })
}

pub fn location() -> Value {
    json!({
        "id": "5f0c6a52-0000-4000-8000-0000000000aa",
        "name": "Floor 1",
        "kind": "floor",
        "path": "Campus/Building A/Floor 1",
        "custom_data": {"timezone": "Europe/Berlin"},
        "ancestors": [
            {"name": "Campus", "kind": "site"},
            {"name": "Building A", "kind": "building"}
        ]
    })
}

/// Compiles `text` (which must be valid) and evaluates it on `node` with a location, no
/// status and the given running config; returns each rule's outcome.
pub fn outcomes(text: &str, node: &Value, config: Option<&str>) -> Vec<Outcome> {
    let set = load(text);
    let location = location();
    let facts = NodeFacts {
        node,
        location: Some(&location),
        status: None,
        running_config: config,
        config_check: None,
    };
    set.evaluate(&facts)
        .results
        .iter()
        .map(|r| r.outcome)
        .collect()
}

pub fn load(text: &str) -> PolicySet {
    match PolicySet::load([("test.rules", text)]) {
        Ok((set, _warnings)) => set,
        Err(e) => panic!("rules must compile: {e}"),
    }
}

/// Whether `condition` holds for the default switch.
pub fn holds(condition: &str) -> bool {
    holds_on(condition, &switch())
}

pub fn holds_on(condition: &str, node: &Value) -> bool {
    let rule = format!("WHEN {condition} THEN APPLY \"t\"");
    match outcomes(&rule, node, Some("hostname sw\nntp server 192.0.2.1\n")).as_slice() {
        [Outcome::Pass] => true,
        [Outcome::NotApplicable] => false,
        other => panic!("unexpected outcomes {other:?} for {condition}"),
    }
}
