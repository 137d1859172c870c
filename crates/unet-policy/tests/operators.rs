//! Semantics of every operator over every type combination: exact, typed, never an error.

mod common;

use common::{holds, holds_on, switch};
use serde_json::json;

fn check(cases: &[(&str, bool)]) {
    for (condition, expected) in cases {
        assert_eq!(holds(condition), *expected, "{condition}");
    }
}

#[test]
fn string_comparisons_are_lexicographic_not_by_length() {
    check(&[
        (r#"node.vendor == "cisco""#, true),
        (r#"node.vendor == "Cisco""#, false),
        (r#"node.vendor != "juniper""#, true),
        (r#"node.vendor != "cisco""#, false),
        // Upstream compared by length: "cisco" (5) < "arista" (6) would have been true.
        (r#"node.vendor < "arista""#, false),
        (r#"node.vendor > "arista""#, true),
        (r#"node.vendor <= "cisco""#, true),
        (r#"node.vendor >= "cisco""#, true),
        (r#"node.vendor < "cisco""#, false),
        (r#"node.model < "C9400""#, true),
        (r#""cisco" == node.vendor"#, true),
    ]);
}

#[test]
fn number_comparisons_are_numeric_and_exact() {
    check(&[
        ("node.custom_data.mtu == 9000", true),
        ("node.custom_data.mtu == 9000.0", true),
        ("node.custom_data.mtu != 1500", true),
        ("node.custom_data.mtu > 1500", true),
        // String comparison would put "9000" after "10000"; numbers do not.
        ("node.custom_data.mtu < 10000", true),
        ("node.custom_data.mtu <= 9000", true),
        ("node.custom_data.mtu >= 9000.5", false),
        ("node.custom_data.ratio == 0.5", true),
        ("node.custom_data.ratio < 1", true),
        ("node.custom_data.ratio > -1e3", true),
        ("node.revision >= 7", true),
        ("node.revision > 7", false),
    ]);
    // 2^53 + 1 is not representable as f64; it must still differ from 2^53 as a float.
    let node = json!({"custom_data": {"big": 9007199254740993_i64, "max": u64::MAX}});
    assert!(!holds_on("custom_data.big == 9007199254740992.0", &node));
    assert!(holds_on("custom_data.big > 9007199254740992.0", &node));
    assert!(holds_on("custom_data.big == 9007199254740993", &node));
    assert!(holds_on("custom_data.max > 9223372036854775807", &node));
}

#[test]
fn boolean_comparisons() {
    check(&[
        ("custom_data.poe == true", true),
        ("custom_data.poe == TRUE", true),
        ("custom_data.poe != false", true),
        ("custom_data.poe == false", false),
        // Booleans have no order.
        ("custom_data.poe > false", false),
        ("custom_data.poe <= true", false),
    ]);
}

#[test]
fn incompatible_types_are_false_for_every_operator() {
    check(&[
        (r#"node.custom_data.mtu == "9000""#, false),
        (r#"node.custom_data.mtu != "9000""#, false),
        (r#"node.custom_data.mtu < "9001""#, false),
        (r#"node.custom_data.mtu >= "0""#, false),
        ("node.vendor == 1", false),
        ("node.vendor > 1", false),
        ("custom_data.poe == 1", false),
        ("custom_data.vlans == 10", false),
        ("custom_data.vlans > 1", false),
        ("custom_data.snmp == \"v3\"", false),
        ("custom_data.snmp CONTAINS 3", false),
        ("node.revision CONTAINS 7", false),
        ("custom_data.mtu MATCHES /9000/", false),
    ]);
}

#[test]
fn null_and_missing_fields() {
    check(&[
        ("node.asset_tag IS NULL", true),
        ("node.asset_tag IS NOT NULL", false),
        ("node.custom_data.absent IS NULL", true),
        ("node.custom_data.absent.deeper.still IS NULL", true),
        ("node.vendor.no_such_key IS NULL", true),
        ("node.management_ip IS NOT NULL", true),
        ("node.asset_tag == null", true),
        ("custom_data.absent == NULL", true),
        ("node.vendor == null", false),
        // Equality with null asks "is it null?", so != is true for a present value …
        ("node.vendor != null", true),
        ("custom_data.absent != \"x\"", true),
        ("custom_data.absent != null", false),
        // … but a missing field never orders, matches or contains anything.
        ("custom_data.absent == \"x\"", false),
        ("custom_data.absent < 5", false),
        ("custom_data.absent >= 5", false),
        ("custom_data.absent CONTAINS \"x\"", false),
        ("custom_data.absent MATCHES /.*/", false),
        ("status.sys_uptime IS NULL", true),
    ]);
    // A node with no custom_data at all.
    let bare = json!({"name": "r1"});
    assert!(holds_on("custom_data.snmp_version IS NULL", &bare));
    assert!(!holds_on("custom_data.snmp_version == \"v3\"", &bare));
}

#[test]
fn contains_on_strings_arrays_and_objects() {
    check(&[
        (r#"node.model CONTAINS "9300""#, true),
        (r#"node.model CONTAINS "9400""#, false),
        (r#"node.model CONTAINS """#, true),
        (r#"custom_data.ntp_servers CONTAINS "192.0.2.1""#, true),
        (r#"custom_data.ntp_servers CONTAINS "192.0.2""#, false),
        ("custom_data.vlans CONTAINS 20", true),
        ("custom_data.vlans CONTAINS 20.0", true),
        ("custom_data.vlans CONTAINS 40", false),
        (r#"custom_data.vlans CONTAINS "20""#, false),
        (r#"custom_data.snmp CONTAINS "users""#, true),
        (r#"custom_data.snmp CONTAINS "v3""#, false),
        (r#"custom_data.snmp.users CONTAINS "monitor""#, true),
        ("config.running CONTAINS \"ntp server 192.0.2.1\"", true),
        ("config.running CONTAINS \"logging host\"", false),
        (
            r#"custom_data.ntp_servers CONTAINS custom_data.ntp_servers.0"#,
            true,
        ),
    ]);
}

#[test]
fn matches_with_regex_and_string_patterns() {
    check(&[
        ("node.name MATCHES /^sw-b1-/", true),
        ("node.name MATCHES /^SW-B1-/", false),
        ("node.name MATCHES /^SW-B1-/i", true),
        (r#"node.name MATCHES "^sw-.*-\\d+$""#, true),
        (r#"node.fqdn MATCHES /\.example\.net$/"#, true),
        ("node.name MATCHES /^sw-b1-f1-01$/", true),
        // `/` inside a regex literal is escaped.
        (r#"location.path MATCHES /^Campus\/Building A\//"#, true),
        // m: ^ and $ at line breaks.
        (
            "config.running MATCHES /^ntp server 192\\.0\\.2\\.1$/",
            false,
        ),
        (
            "config.running MATCHES /^ntp server 192\\.0\\.2\\.1$/m",
            true,
        ),
        // s: dot crosses line breaks.
        ("config.running MATCHES /hostname.*ntp/", false),
        ("config.running MATCHES /hostname.*ntp/s", true),
        // x: whitespace and comments in the pattern are ignored.
        ("node.name MATCHES /^ sw - b2 # building two/x", false),
        ("node.name MATCHES /^ sw - b1 # building one/x", true),
        ("node.name MATCHES /^ sw - b1 /x", true),
        ("config.running MATCHES /^NTP \\s SERVER/mix", true),
    ]);
}

#[test]
fn logic_operators_and_precedence() {
    check(&[
        (r#"node.vendor == "cisco" AND node.role == "access""#, true),
        (r#"node.vendor == "cisco" AND node.role == "core""#, false),
        (r#"node.vendor == "juniper" OR node.role == "access""#, true),
        (r#"node.vendor == "juniper" OR node.role == "core""#, false),
        (r#"NOT node.vendor == "juniper""#, true),
        (r#"NOT NOT node.vendor == "juniper""#, false),
        // AND binds tighter than OR.
        (
            r#"node.vendor == "cisco" OR node.role == "core" AND node.status == "planned""#,
            true,
        ),
        (
            r#"(node.vendor == "cisco" OR node.role == "core") AND node.status == "planned""#,
            false,
        ),
        (
            r#"NOT (node.vendor == "juniper" OR node.role == "core")"#,
            true,
        ),
        ("TRUE", true),
        ("FALSE", false),
        ("NOT FALSE AND TRUE", true),
        (r#"node.role IS NOT NULL AND node.role != "core""#, true),
    ]);
}

#[test]
fn location_context_with_ancestors() {
    check(&[
        (r#"location.path == "Campus/Building A/Floor 1""#, true),
        (r#"location.kind == "floor""#, true),
        (r#"location.ancestors.0.name == "Campus""#, true),
        (r#"location.ancestors.1.kind == "building""#, true),
        (r#"location.ancestors.2.kind IS NULL"#, true),
        (r#"location.custom_data.timezone == "Europe/Berlin""#, true),
    ]);
    let mut node = switch();
    node["custom_data"]["vlans"] = json!([]);
    assert!(!holds_on("custom_data.vlans CONTAINS 10", &node));
}

#[test]
fn status_fields_read_polled_state() {
    let node = switch();
    let status = json!({"reachable": true, "sys_descr": "Cisco IOS XE Software, Version 17.9.4", "if_down": 3});
    let set = common::load(
        r#"WHEN status.reachable == true THEN ASSERT status.sys_descr MATCHES /Version 17\./
           WHEN status.if_down > 0 THEN ASSERT status.if_down IS 0
           WHEN status.missing IS NULL THEN APPLY "x""#,
    );
    let outcomes = |status: Option<&serde_json::Value>| {
        let facts = unet_policy::NodeFacts {
            status,
            ..unet_policy::NodeFacts::new(&node)
        };
        set.evaluate(&facts)
            .results
            .iter()
            .map(|r| r.outcome)
            .collect::<Vec<_>>()
    };
    use unet_policy::Outcome::{Fail, NotApplicable, Pass};
    assert_eq!(outcomes(Some(&status)), [Pass, Fail, Pass]);
    // Not polled yet: status is empty, every status field is null.
    assert_eq!(outcomes(None), [NotApplicable, NotApplicable, Pass]);
}
