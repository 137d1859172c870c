//! Where a polled device disagrees with the inventory — what an NMS alone cannot tell, having
//! no source of truth: its `sysName` against the node's name, its software version against
//! `custom_data.expected_version`, and each inventory link against the interface table and
//! what LLDP sees on it, plus LLDP neighbours that no link describes. Pure.

use std::collections::HashSet;

use unet_config::canonical_interface;
use unet_core::{Drift, DriftKind, IfStatus, Neighbour, Platform, PolledState, Uuid};

/// What the inventory says about a node, for comparing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inventory {
    pub name: String,
    pub fqdn: Option<String>,
    pub platform: Platform,
    /// `custom_data.expected_version`.
    pub expected_version: Option<String>,
    pub links: Vec<InventoryLink>,
}

/// One inventory link as seen from the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryLink {
    pub id: Uuid,
    /// The node's own interface on the link.
    pub interface: String,
    /// The other end: node name, its platform and interface; `None` for an external circuit.
    pub peer: Option<(String, Platform, String)>,
}

/// Every disagreement, links in inventory order, then unlisted neighbours by interface.
pub fn drift(inventory: &Inventory, state: &PolledState) -> Vec<Drift> {
    let mut found = Vec::new();
    if let Some(name) = &state.system.name
        && !same_host(name, &inventory.name, inventory.fqdn.as_deref())
    {
        found.push(item(
            DriftKind::SystemName,
            None,
            None,
            Some(&inventory.name),
            Some(name),
        ));
    }
    if let Some(expected) = &inventory.expected_version
        && state.system.version.as_deref() != Some(expected.as_str())
    {
        found.push(item(
            DriftKind::Version,
            None,
            None,
            Some(expected),
            state.system.version.as_deref(),
        ));
    }
    let local = |name: &str| canonical_interface(inventory.platform, name);
    let mut linked = HashSet::new();
    for link in &inventory.links {
        let wanted = local(&link.interface);
        linked.insert(wanted.clone());
        let Some(interface) = state.interfaces.iter().find(|i| local(&i.name) == wanted) else {
            found.push(item(
                DriftKind::MissingInterface,
                Some(&link.interface),
                Some(link.id),
                Some(&link.interface),
                None,
            ));
            continue;
        };
        if interface.oper_status != IfStatus::Up {
            found.push(item(
                DriftKind::LinkDown,
                Some(&interface.name),
                Some(link.id),
                Some("up"),
                Some(interface.oper_status.as_str()),
            ));
        }
        let Some((peer, peer_platform, peer_interface)) = &link.peer else {
            continue;
        };
        let seen: Vec<&Neighbour> = state
            .neighbours
            .iter()
            .filter(|n| local(&n.local_port) == wanted)
            .collect();
        let matches = |n: &&Neighbour| {
            n.system_name
                .as_deref()
                .is_some_and(|s| same_host(s, peer, None))
                && [Some(n.port.as_str()), n.port_description.as_deref()]
                    .into_iter()
                    .flatten()
                    .any(|p| {
                        canonical_interface(*peer_platform, p)
                            == canonical_interface(*peer_platform, peer_interface)
                    })
        };
        // No LLDP on the interface says nothing; only a different neighbour disagrees.
        if !seen.is_empty() && !seen.iter().any(matches) {
            let actual = seen
                .iter()
                .map(|n| describe(n))
                .collect::<Vec<_>>()
                .join(", ");
            found.push(item(
                DriftKind::LinkMismatch,
                Some(&interface.name),
                Some(link.id),
                Some(&format!("{peer} {peer_interface}")),
                Some(&actual),
            ));
        }
    }
    for n in &state.neighbours {
        if !linked.contains(&local(&n.local_port)) {
            found.push(item(
                DriftKind::UnlistedNeighbour,
                Some(&n.local_port),
                None,
                None,
                Some(&describe(n)),
            ));
        }
    }
    found
}

/// A neighbour as operators read it: its system name (else chassis id) and port.
fn describe(n: &Neighbour) -> String {
    format!(
        "{} {}",
        n.system_name.as_deref().unwrap_or(&n.chassis_id),
        n.port
    )
}

/// Whether a name a device reports is this host: its name or fqdn, or the name with a domain
/// (devices often report one), case-insensitive.
fn same_host(reported: &str, name: &str, fqdn: Option<&str>) -> bool {
    let reported = reported.trim().trim_end_matches('.');
    reported.eq_ignore_ascii_case(name)
        || fqdn.is_some_and(|f| reported.eq_ignore_ascii_case(f))
        || reported
            .split_once('.')
            .is_some_and(|(host, _)| host.eq_ignore_ascii_case(name))
}

fn item(
    kind: DriftKind,
    interface: Option<&str>,
    link_id: Option<Uuid>,
    expected: Option<&str>,
    actual: Option<&str>,
) -> Drift {
    Drift {
        kind,
        interface: interface.map(str::to_string),
        link_id,
        expected: expected.map(str::to_string),
        actual: actual.map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use unet_core::{Counters, InterfaceState, SystemInfo};

    use super::*;

    fn interface(name: &str, oper: IfStatus) -> InterfaceState {
        InterfaceState {
            index: 1,
            name: name.into(),
            description: None,
            alias: None,
            admin_status: IfStatus::Up,
            oper_status: oper,
            speed_bps: None,
            last_change_ticks: None,
            counters: Counters::default(),
            in_bps: None,
            out_bps: None,
        }
    }

    fn neighbour(local: &str, system: &str, port: &str) -> Neighbour {
        Neighbour {
            local_port: local.into(),
            chassis_id: "00:1c:73:00:00:01".into(),
            system_name: Some(system.into()),
            port: port.into(),
            port_description: None,
        }
    }

    fn link(n: u128, interface: &str, peer: Option<(&str, &str)>) -> InventoryLink {
        InventoryLink {
            id: Uuid::from_u128(n),
            interface: interface.into(),
            peer: peer.map(|(node, port)| (node.into(), Platform::AristaEos, port.into())),
        }
    }

    #[test]
    fn a_device_that_agrees_has_no_drift() {
        let inventory = Inventory {
            name: "leaf-01".into(),
            fqdn: Some("leaf-01.dc1.example.net".into()),
            platform: Platform::CiscoIos,
            expected_version: Some("15.2(7)E4".into()),
            links: vec![link(
                1,
                "GigabitEthernet0/1",
                Some(("spine-01", "Ethernet1")),
            )],
        };
        let state = PolledState {
            system: SystemInfo {
                name: Some("LEAF-01.dc1.example.net".into()),
                version: Some("15.2(7)E4".into()),
                ..SystemInfo::default()
            },
            // Names as the device prints them, abbreviated: the same interfaces.
            interfaces: vec![interface("Gi0/1", IfStatus::Up)],
            neighbours: vec![neighbour("Gi0/1", "spine-01.dc1.example.net", "Et1")],
        };
        assert_eq!(drift(&inventory, &state), []);
    }

    #[test]
    fn every_kind_of_disagreement() {
        let inventory = Inventory {
            name: "leaf-01".into(),
            fqdn: None,
            platform: Platform::AristaEos,
            expected_version: Some("4.31.2F".into()),
            links: vec![
                link(1, "Ethernet1", Some(("spine-01", "Ethernet1"))),
                link(2, "Ethernet2", Some(("spine-02", "Ethernet1"))),
                link(3, "Ethernet9", None),
            ],
        };
        let state = PolledState {
            system: SystemInfo {
                name: Some("switch-7".into()),
                version: Some("4.30.1F".into()),
                ..SystemInfo::default()
            },
            interfaces: vec![
                interface("Ethernet1", IfStatus::Up),
                interface("Ethernet2", IfStatus::Down),
                interface("Ethernet3", IfStatus::Up),
            ],
            neighbours: vec![
                neighbour("Ethernet1", "spine-09", "Ethernet1"),
                neighbour("Ethernet3", "rogue", "eth0"),
            ],
        };
        let found = drift(&inventory, &state);
        let kinds: Vec<(DriftKind, Option<&str>)> = found
            .iter()
            .map(|d| (d.kind, d.interface.as_deref()))
            .collect();
        assert_eq!(
            kinds,
            [
                (DriftKind::SystemName, None),
                (DriftKind::Version, None),
                (DriftKind::LinkMismatch, Some("Ethernet1")),
                (DriftKind::LinkDown, Some("Ethernet2")),
                (DriftKind::MissingInterface, Some("Ethernet9")),
                (DriftKind::UnlistedNeighbour, Some("Ethernet3")),
            ]
        );
        assert_eq!(found[2].expected.as_deref(), Some("spine-01 Ethernet1"));
        assert_eq!(found[2].actual.as_deref(), Some("spine-09 Ethernet1"));
        assert_eq!(found[2].link_id, Some(Uuid::from_u128(1)));
        assert_eq!(found[5].actual.as_deref(), Some("rogue eth0"));
    }
}
