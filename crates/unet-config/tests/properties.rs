//! Property: on generated configs, the remediation applied to the running config yields the
//! intended config, and the rollback applied to the intended config yields the running one.

use proptest::prelude::*;
use unet_config::{Platform, apply, diff, parse, remediate, rollback};

/// One interface: a spelling of its name and an optional value per idempotent setting.
fn interface(port: usize) -> impl Strategy<Value = String> {
    (
        Just(port),
        any::<bool>(),
        proptest::option::of(0..3usize),
        proptest::option::of(0..3usize),
        proptest::option::of(prop_oneof![Just("access"), Just("trunk")]),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(port, short, description, address, mode, shutdown, portfast)| {
                let name = if short { "Gi" } else { "GigabitEthernet" };
                let mut text = format!("interface {name}1/0/{port}\n");
                if let Some(d) = description {
                    text.push_str(&format!(" description link {d}\n"));
                }
                if let Some(a) = address {
                    text.push_str(&format!(" ip address 10.0.{a}.1 255.255.255.0\n"));
                }
                if let Some(m) = mode {
                    text.push_str(&format!(" switchport mode {m}\n"));
                }
                if shutdown {
                    text.push_str(" shutdown\n");
                }
                if portfast {
                    text.push_str(" spanning-tree portfast\n");
                }
                text
            },
        )
}

const ENTRIES: [&str; 6] = [
    "permit tcp any any eq 22",
    "permit udp any any eq 161",
    "deny ip 10.0.0.0 0.255.255.255 any",
    "permit icmp any any",
    "deny ip any any log",
    "permit tcp any any eq 443",
];

fn ios_config() -> impl Strategy<Value = String> {
    (
        proptest::option::of(0..2usize),
        proptest::collection::btree_set(0..4usize, 0..4),
        proptest::collection::btree_set(0..4usize, 0..4)
            .prop_flat_map(|ports| ports.into_iter().map(interface).collect::<Vec<_>>()),
        Just(ENTRIES.to_vec()).prop_shuffle(),
        0..7usize,
        proptest::collection::btree_set(1..12u32, 0..6),
        proptest::collection::btree_set(0..4usize, 0..4),
        any::<bool>(),
    )
        .prop_map(
            |(hostname, ntp, interfaces, acl, acl_len, numbered, bgp, no_http)| {
                let mut text = String::new();
                if let Some(h) = hostname {
                    text.push_str(&format!("hostname r{h}\n"));
                }
                if no_http {
                    text.push_str("no ip http server\n");
                }
                for n in ntp {
                    text.push_str(&format!("ntp server 10.0.0.{n}\n"));
                }
                for i in interfaces {
                    text.push_str(&i);
                }
                if acl_len > 0 {
                    text.push_str("ip access-list extended PLAIN\n");
                    for entry in &acl[..acl_len] {
                        text.push_str(&format!(" {entry}\n"));
                    }
                }
                if !numbered.is_empty() {
                    text.push_str("ip access-list extended NUMBERED\n");
                    for n in numbered {
                        text.push_str(&format!(
                            " {} {}\n",
                            n * 10,
                            ENTRIES[n as usize % ENTRIES.len()]
                        ));
                    }
                }
                if !bgp.is_empty() {
                    text.push_str("router bgp 65000\n address-family ipv4\n");
                    for b in bgp {
                        text.push_str(&format!("  network 10.{b}.0.0 mask 255.255.0.0\n"));
                    }
                    text.push_str(" exit-address-family\n");
                }
                text
            },
        )
}

fn junos_config() -> impl Strategy<Value = String> {
    (
        proptest::option::of(0..3usize),
        proptest::collection::btree_set(0..5usize, 0..5),
        proptest::option::of(0..3usize),
    )
        .prop_map(|(host, ntp, description)| {
            let mut text = String::new();
            if let Some(h) = host {
                text.push_str(&format!("set system host-name mx{h}\n"));
            }
            for n in ntp {
                text.push_str(&format!("set system ntp server 10.0.0.{n}\n"));
            }
            if let Some(d) = description {
                text.push_str(&format!(
                    "set interfaces xe-0/0/0 description \"link {d}\"\n"
                ));
            }
            text
        })
}

fn check(platform: Platform, running: &str, intended: &str) -> Result<(), TestCaseError> {
    let running = parse(platform, running).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let intended = parse(platform, intended).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let fix = remediate(&running, &intended);
    let left = diff(&apply(&running, &fix), &intended);
    prop_assert!(
        left.is_empty(),
        "remediation:\n{}\nleft:\n{}",
        fix.to_text(),
        left.to_text()
    );
    let back = rollback(&running, &intended);
    let left = diff(&apply(&intended, &back), &running);
    prop_assert!(
        left.is_empty(),
        "rollback:\n{}\nleft:\n{}",
        back.to_text(),
        left.to_text()
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn ios_remediation_reaches_intended(running in ios_config(), intended in ios_config()) {
        check(Platform::CiscoIos, &running, &intended)?;
    }

    #[test]
    fn junos_remediation_reaches_intended(running in junos_config(), intended in junos_config()) {
        check(Platform::JuniperJunos, &running, &intended)?;
    }
}
