//! Arbitrary text through the whole pipeline: parse, compile, evaluate. Nothing may panic,
//! and text that parses cleanly must print to text that parses back to the same tree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unet_policy::{NodeFacts, PolicySet, parse};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (file, diagnostics) = parse("fuzz.rules", text);
    for diagnostic in &diagnostics {
        let _ = diagnostic.to_string();
    }
    if diagnostics.is_empty() {
        let printed = file.to_string();
        let (again, again_diagnostics) = parse("printed.rules", &printed);
        assert!(
            again_diagnostics.is_empty(),
            "printed form does not parse: {printed}"
        );
        assert_eq!(again, file, "printed form parses differently: {printed}");
    }
    let compiled = PolicySet::compile([("fuzz.rules", text)]);
    let node = serde_json::json!({
        "name": "sw1", "vendor": "cisco", "status": "active", "revision": 3,
        "custom_data": {"snmp_version": "v3", "vlans": [10, 20], "a": {"b": 1.5}}
    });
    let facts = NodeFacts {
        running_config: Some("hostname sw1\nntp server 192.0.2.1\n"),
        ..NodeFacts::new(&node)
    };
    let evaluation = compiled.set.evaluate(&facts);
    for change in &evaluation.changes {
        let mut custom_data = node["custom_data"].clone();
        let _ = change.apply_to(&mut custom_data);
    }
});
