//! Turns what the agent answered into μNet's polled state: the system group, one interface per
//! ifIndex (ifXTable's names, 64-bit counters and speeds where the device has them), and the
//! LLDP neighbours with their local port named as the interface table names it. Pure; every
//! value may be missing, of the wrong type or hostile, and becomes `None`, never a panic.

use std::collections::BTreeMap;

use async_snmp::Value;
use unet_core::{Counters, IfStatus, InterfaceState, Neighbour, SystemInfo};

use crate::catalogue::{ifc, lldp};
use crate::vendors::identify;
use crate::walk::Cells;

/// Longest text kept from one value (a `sysDescr` is a few hundred characters at most).
const MAX_TEXT: usize = 1024;

/// The system group from the values of `catalogue::SYSTEM`, in order; `None` without a
/// `sysUpTime`, which every agent has.
pub(crate) fn system(values: &[Option<Value>]) -> Option<SystemInfo> {
    let get = |i: usize| values.get(i).and_then(Option::as_ref);
    let uptime_ticks = match get(2)? {
        Value::TimeTicks(t) => u64::from(*t),
        _ => return None,
    };
    let object_id = match get(1) {
        Some(Value::ObjectIdentifier(oid)) => Some(oid.arcs().to_vec()),
        _ => None,
    };
    let description = get(0).and_then(text);
    let (vendor, version) = object_id
        .as_deref()
        .map(|oid| identify(oid, description.as_deref()))
        .unwrap_or_default();
    Some(SystemInfo {
        name: get(4).and_then(text),
        description,
        object_id: object_id.map(|arcs| dotted(&arcs)),
        contact: get(3).and_then(text),
        location: get(5).and_then(text),
        uptime_ticks,
        vendor,
        version,
    })
}

/// One interface per ifIndex from the cells of `catalogue::INTERFACE_COLUMNS`.
pub(crate) fn interfaces(columns: Vec<Cells>) -> Vec<InterfaceState> {
    let mut rows: BTreeMap<u32, Vec<Option<Value>>> = BTreeMap::new();
    let width = columns.len();
    for (c, cells) in columns.into_iter().enumerate() {
        for (index, value) in cells {
            // ifIndex is the whole index; anything else is not a row of these tables.
            let [if_index] = index[..] else { continue };
            rows.entry(if_index).or_insert_with(|| vec![None; width])[c] = Some(value);
        }
    }
    rows.into_iter()
        .filter_map(|(index, row)| interface(index, &row))
        .collect()
}

fn interface(index: u32, row: &[Option<Value>]) -> Option<InterfaceState> {
    let get = |c: usize| row.get(c).and_then(Option::as_ref);
    // A row of ifXTable alone (no ifTable status) is not an interface the device lists.
    let oper_status = IfStatus::from_mib(integer(get(ifc::OPER)?)?);
    let admin_status = get(ifc::ADMIN)
        .and_then(integer)
        .map_or(IfStatus::Unknown, IfStatus::from_mib);
    let description = get(ifc::DESCR).and_then(text);
    let name = get(ifc::NAME)
        .and_then(text)
        .or_else(|| description.clone())
        .unwrap_or_else(|| format!("ifIndex {index}"));
    let high_speed = get(ifc::HIGH_SPEED).and_then(unsigned).filter(|s| *s > 0);
    let speed = get(ifc::SPEED).and_then(unsigned);
    // ifSpeed saturates at 4294967295 (RFC 2863): ifHighSpeed (Mb/s) is then the speed.
    let speed_bps = match (high_speed, speed) {
        (Some(mbps), _) => Some(mbps.saturating_mul(1_000_000)),
        (None, Some(bps)) if bps > 0 => Some(bps),
        _ => None,
    };
    let hc_in = get(ifc::HC_IN_OCTETS).and_then(counter64);
    let hc_out = get(ifc::HC_OUT_OCTETS).and_then(counter64);
    let high_capacity = hc_in.is_some() && hc_out.is_some();
    let counters = Counters {
        in_octets: if high_capacity {
            hc_in
        } else {
            get(ifc::IN_OCTETS).and_then(unsigned)
        },
        out_octets: if high_capacity {
            hc_out
        } else {
            get(ifc::OUT_OCTETS).and_then(unsigned)
        },
        in_errors: get(ifc::IN_ERRORS).and_then(unsigned),
        out_errors: get(ifc::OUT_ERRORS).and_then(unsigned),
        in_discards: get(ifc::IN_DISCARDS).and_then(unsigned),
        out_discards: get(ifc::OUT_DISCARDS).and_then(unsigned),
        high_capacity,
    };
    Some(InterfaceState {
        index,
        name,
        description,
        alias: get(ifc::ALIAS).and_then(text),
        admin_status,
        oper_status,
        speed_bps,
        last_change_ticks: match get(ifc::LAST_CHANGE) {
            Some(Value::TimeTicks(t)) => Some(u64::from(*t)),
            _ => None,
        },
        counters,
        in_bps: None,
        out_bps: None,
    })
}

/// LLDP-MIB subtypes (RFC 2922 / IEEE 802.1AB): chassis id 4 and port id 3 are MAC addresses,
/// chassis id 5 a network address; port id 5 is an interface name.
const CHASSIS_MAC: i64 = 4;
const CHASSIS_NETWORK_ADDRESS: i64 = 5;
const PORT_MAC: i64 = 3;
const PORT_INTERFACE_NAME: i64 = 5;

/// The LLDP neighbours from the cells of `catalogue::LLDP_COLUMNS`; local ports are named as
/// `interfaces` names them where the device's LLDP port table can be matched to it.
pub(crate) fn neighbours(columns: Vec<Cells>, interfaces: &[InterfaceState]) -> Vec<Neighbour> {
    let mut ports: BTreeMap<u32, [Option<Value>; 3]> = BTreeMap::new();
    let mut remotes: BTreeMap<(u32, u32), [Option<Value>; 6]> = BTreeMap::new();
    for (c, cells) in columns.into_iter().enumerate() {
        for (index, value) in cells {
            match (c, &index[..]) {
                (lldp::LOC_PORT_SUBTYPE..=lldp::LOC_PORT_DESC, [port]) => {
                    ports.entry(*port).or_default()[c - lldp::LOC_PORT_SUBTYPE] = Some(value);
                }
                // lldpRemTimeMark.lldpRemLocalPortNum.lldpRemIndex
                (lldp::CHASSIS_ID..=lldp::SYS_NAME, [_, port, remote]) => {
                    remotes.entry((*port, *remote)).or_default()[c - lldp::CHASSIS_ID] =
                        Some(value);
                }
                _ => {}
            }
        }
    }
    let mut found: Vec<Neighbour> = remotes
        .into_iter()
        .filter_map(|((port, _), row)| {
            let cell = |c: usize| row[c - lldp::CHASSIS_ID].as_ref();
            let chassis = cell(lldp::CHASSIS_ID)?;
            let port_id = cell(lldp::PORT_ID)?;
            let chassis_subtype = cell(lldp::CHASSIS_SUBTYPE).and_then(integer);
            let port_subtype = cell(lldp::PORT_SUBTYPE).and_then(integer);
            Some(Neighbour {
                local_port: local_port_name(port, ports.get(&port), interfaces),
                chassis_id: identifier(
                    chassis,
                    chassis_subtype == Some(CHASSIS_MAC),
                    chassis_subtype == Some(CHASSIS_NETWORK_ADDRESS),
                ),
                system_name: cell(lldp::SYS_NAME).and_then(text),
                port: identifier(port_id, port_subtype == Some(PORT_MAC), false),
                port_description: cell(lldp::PORT_DESC).and_then(text),
            })
        })
        .collect();
    found.sort();
    found.dedup();
    found
}

/// The interface an LLDP local port number stands for: the port table's name or description
/// matched against the interface table, else the interface whose ifIndex is the port number
/// (most agents number LLDP ports so), else what the port table says.
fn local_port_name(
    port: u32,
    row: Option<&[Option<Value>; 3]>,
    interfaces: &[InterfaceState],
) -> String {
    let cell = |c: usize| row.and_then(|r| r[c - lldp::LOC_PORT_SUBTYPE].as_ref());
    let subtype = cell(lldp::LOC_PORT_SUBTYPE).and_then(integer);
    let id = cell(lldp::LOC_PORT_ID).and_then(text);
    let description = cell(lldp::LOC_PORT_DESC).and_then(text);
    let said: Vec<&str> = match subtype {
        Some(PORT_INTERFACE_NAME) => [id.as_deref(), description.as_deref()],
        _ => [description.as_deref(), id.as_deref()],
    }
    .into_iter()
    .flatten()
    .collect();
    for name in &said {
        if let Some(i) = interfaces.iter().find(|i| i.name == *name).or_else(|| {
            interfaces
                .iter()
                .find(|i| i.description.as_deref() == Some(name))
        }) {
            return i.name.clone();
        }
    }
    if let Some(i) = interfaces.iter().find(|i| i.index == port) {
        return i.name.clone();
    }
    said.first()
        .map_or_else(|| format!("port {port}"), |n| (*n).to_string())
}

/// An LLDP id: a MAC address as `aa:bb:cc:dd:ee:ff`, a network address as the address, text
/// as text, other bytes in hex.
fn identifier(value: &Value, mac: bool, network_address: bool) -> String {
    let bytes = match value {
        Value::OctetString(b) => &b[..],
        other => return text(other).unwrap_or_default(),
    };
    if mac && bytes.len() == 6 {
        return hex(bytes, ":");
    }
    // IANA address family 1 (IPv4) then the address.
    if network_address && bytes.len() == 5 && bytes[0] == 1 {
        return format!("{}.{}.{}.{}", bytes[1], bytes[2], bytes[3], bytes[4]);
    }
    match printable(bytes) {
        Some(text) => text,
        None => hex(bytes, ":"),
    }
}

/// Text of a value: printable UTF-8 of an octet string (trimmed, NULs dropped, at most
/// `MAX_TEXT`), or a number's digits; empty text is `None`.
pub(crate) fn text(value: &Value) -> Option<String> {
    match value {
        Value::OctetString(bytes) => printable(bytes),
        Value::Integer(i) => Some(i.to_string()),
        Value::Gauge32(n) | Value::Counter32(n) | Value::UInteger32(n) => Some(n.to_string()),
        _ => None,
    }
}

fn printable(bytes: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(bytes).ok()?;
    let text = text.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    if text.is_empty()
        || text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return None;
    }
    let mut end = text.len().min(MAX_TEXT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Some(text[..end].to_string())
}

fn hex(bytes: &[u8], separator: &str) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(separator)
}

fn dotted(arcs: &[u32]) -> String {
    arcs.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Integer(i) => Some(i64::from(*i)),
        _ => None,
    }
}

/// A 32-bit unsigned value of any SNMP type that carries one.
fn unsigned(value: &Value) -> Option<u64> {
    match value {
        Value::Counter32(n) | Value::Gauge32(n) | Value::UInteger32(n) | Value::TimeTicks(n) => {
            Some(u64::from(*n))
        }
        Value::Integer(i) => u64::try_from(*i).ok(),
        _ => None,
    }
}

fn counter64(value: &Value) -> Option<u64> {
    match value {
        Value::Counter64(n) => Some(*n),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use async_snmp::{Oid, Value};
    use bytes::Bytes;

    use super::*;
    use crate::catalogue::{INTERFACE_COLUMNS, LLDP_COLUMNS};

    fn octets(text: &str) -> Value {
        Value::OctetString(Bytes::copy_from_slice(text.as_bytes()))
    }

    #[test]
    fn system_group_with_vendor_and_version() {
        let values = vec![
            Some(octets(
                "Arista Networks EOS version 4.13.5F running on an Arista Networks DCS-7150S-52-CL",
            )),
            Some(Value::ObjectIdentifier(Oid::from_slice(&[
                1, 3, 6, 1, 4, 1, 30065, 1, 3011,
            ]))),
            Some(Value::TimeTicks(123_456)),
            Some(Value::NoSuchObject),
            Some(octets("leaf-01.example.net\0")),
            None,
        ];
        let s = system(&values).unwrap();
        assert_eq!(s.name.as_deref(), Some("leaf-01.example.net"));
        assert_eq!(
            (s.vendor.as_deref(), s.version.as_deref()),
            (Some("arista"), Some("4.13.5F"))
        );
        assert_eq!(s.object_id.as_deref(), Some("1.3.6.1.4.1.30065.1.3011"));
        assert_eq!((s.uptime_ticks, s.contact), (123_456, None));
        // No sysUpTime: not an answer of a working agent.
        assert_eq!(system(&[None, None, Some(octets("x"))]), None);
    }

    #[test]
    fn interfaces_prefer_ifx_names_speeds_and_64_bit_counters() {
        let mut columns: Vec<Cells> = vec![Vec::new(); INTERFACE_COLUMNS.len()];
        let mut put = |c: usize, index: u32, value: Value| columns[c].push((vec![index], value));
        put(ifc::DESCR, 1, octets("GigabitEthernet0/1"));
        put(ifc::NAME, 1, octets("Gi0/1"));
        put(ifc::ADMIN, 1, Value::Integer(1));
        put(ifc::OPER, 1, Value::Integer(7));
        put(ifc::SPEED, 1, Value::Gauge32(u32::MAX));
        put(ifc::HIGH_SPEED, 1, Value::Gauge32(10_000));
        put(ifc::IN_OCTETS, 1, Value::Counter32(5));
        put(ifc::OUT_OCTETS, 1, Value::Counter32(6));
        put(ifc::HC_IN_OCTETS, 1, Value::Counter64(5 + (1 << 40)));
        put(ifc::HC_OUT_OCTETS, 1, Value::Counter64(6));
        put(ifc::DESCR, 2, octets("Vlan10"));
        put(ifc::OPER, 2, Value::Integer(1));
        put(ifc::SPEED, 2, Value::Gauge32(1_000_000_000));
        put(ifc::IN_OCTETS, 2, Value::Counter32(7));
        put(ifc::OUT_OCTETS, 2, Value::Counter32(8));
        // A row of ifXTable only, and a wrong-typed status: not interfaces.
        put(ifc::NAME, 3, octets("ghost"));
        put(ifc::OPER, 4, octets("up"));
        let found = interfaces(columns);
        assert_eq!(found.len(), 2, "{found:?}");
        let gi = &found[0];
        assert_eq!(
            (gi.name.as_str(), gi.description.as_deref()),
            ("Gi0/1", Some("GigabitEthernet0/1"))
        );
        assert_eq!(
            (gi.admin_status, gi.oper_status),
            (IfStatus::Up, IfStatus::LowerLayerDown)
        );
        assert_eq!(gi.speed_bps, Some(10_000_000_000));
        assert_eq!(gi.counters.in_octets, Some(5 + (1 << 40)));
        assert!(gi.counters.high_capacity);
        let vlan = &found[1];
        assert_eq!(
            (vlan.name.as_str(), vlan.admin_status),
            ("Vlan10", IfStatus::Unknown)
        );
        assert_eq!(
            (vlan.speed_bps, vlan.counters.in_octets),
            (Some(1_000_000_000), Some(7))
        );
        assert!(!vlan.counters.high_capacity);
    }

    #[test]
    fn neighbours_name_their_local_interface() {
        let ifaces = interfaces({
            let mut columns: Vec<Cells> = vec![Vec::new(); INTERFACE_COLUMNS.len()];
            columns[ifc::OPER].push((vec![513], Value::Integer(1)));
            columns[ifc::DESCR].push((vec![513], octets("ge-0/0/0")));
            columns[ifc::OPER].push((vec![7], Value::Integer(1)));
            columns[ifc::NAME].push((vec![7], octets("Ethernet7")));
            columns
        });
        let mut columns: Vec<Cells> = vec![Vec::new(); LLDP_COLUMNS.len()];
        // Port 1: Junos style, local id is the ifIndex as text, the description the name.
        columns[lldp::LOC_PORT_SUBTYPE].push((vec![1], Value::Integer(7)));
        columns[lldp::LOC_PORT_ID].push((vec![1], octets("513")));
        columns[lldp::LOC_PORT_DESC].push((vec![1], octets("ge-0/0/0")));
        for (c, value) in [
            (lldp::CHASSIS_SUBTYPE, Value::Integer(4)),
            (
                lldp::CHASSIS_ID,
                Value::OctetString(Bytes::from_static(&[0, 0x1c, 0x73, 1, 2, 3])),
            ),
            (lldp::PORT_SUBTYPE, Value::Integer(5)),
            (lldp::PORT_ID, octets("Ethernet1")),
            (lldp::SYS_NAME, octets("spine-01")),
        ] {
            columns[c].push((vec![0, 1, 1], value));
        }
        // Port 7: no port table row, numbered as the ifIndex.
        columns[lldp::CHASSIS_ID].push((vec![0, 7, 3], octets("router-x")));
        columns[lldp::PORT_ID].push((
            vec![0, 7, 3],
            Value::OctetString(Bytes::from_static(&[0xff, 0xfe])),
        ));
        // Without a port id: not a neighbour.
        columns[lldp::CHASSIS_ID].push((vec![0, 9, 1], octets("half")));
        let found = neighbours(columns, &ifaces);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].local_port, "Ethernet7");
        assert_eq!(
            (found[0].chassis_id.as_str(), found[0].port.as_str()),
            ("router-x", "ff:fe")
        );
        assert_eq!(found[1].local_port, "ge-0/0/0");
        assert_eq!(found[1].chassis_id, "00:1c:73:01:02:03");
        assert_eq!(
            (found[1].system_name.as_deref(), found[1].port.as_str()),
            (Some("spine-01"), "Ethernet1")
        );
    }

    #[test]
    fn hostile_text_is_bounded_or_dropped() {
        let long = "x".repeat(100_000);
        assert_eq!(text(&octets(&long)).unwrap().len(), MAX_TEXT);
        assert_eq!(
            text(&Value::OctetString(Bytes::from_static(&[
                0x1b, b'[', b'2', b'J'
            ]))),
            None
        );
        assert_eq!(text(&Value::OctetString(Bytes::from_static(&[0xc3]))), None);
        assert_eq!(text(&octets("  \0")), None);
    }
}
