//! The fleet both fleet-evaluation benchmarks seed: 10,000 nodes in 20 sites and 250 racks.

use serde_json::json;
use unet_core::{LocationDraft, NodeDraft, NodeStatus, Uuid};
use unet_store::{ImportBatch, Origin, Sourced};

const NODES: usize = 10_000;
const SITES: usize = 20;

fn origin(index: usize) -> Origin {
    Origin {
        file: "bench".into(),
        index,
    }
}

/// Sites with a timezone, a rack per 40 nodes, and a mixed fleet of vendors and roles.
pub fn fleet() -> ImportBatch {
    let mut batch = ImportBatch::default();
    let sites: Vec<Uuid> = (0..SITES).map(|_| Uuid::new_v4()).collect();
    for (i, id) in sites.iter().enumerate() {
        batch.locations.push(Sourced {
            origin: origin(i),
            draft: LocationDraft {
                id: Some(*id),
                name: format!("Site {i}"),
                kind: "site".into(),
                custom_data: Some(json!({"timezone": "Europe/Berlin"})),
                ..Default::default()
            },
        });
    }
    let racks: Vec<Uuid> = (0..NODES / 40).map(|_| Uuid::new_v4()).collect();
    for (i, id) in racks.iter().enumerate() {
        batch.locations.push(Sourced {
            origin: origin(SITES + i),
            draft: LocationDraft {
                id: Some(*id),
                name: format!("Rack {i}"),
                kind: "rack".into(),
                parent_id: sites.get(i % SITES).copied(),
                ..Default::default()
            },
        });
    }
    let vendors = [
        ("cisco", "access"),
        ("arista", "leaf"),
        ("juniper", "firewall"),
    ];
    for i in 0..NODES {
        let (vendor, role) = vendors[i % vendors.len()];
        batch.nodes.push(Sourced {
            origin: origin(i),
            draft: NodeDraft {
                id: Some(Uuid::new_v4()),
                name: format!("node{i:05}"),
                domain: Some("bench.example.net".into()),
                vendor: Some(vendor.into()),
                role: Some(role.into()),
                status: Some(if i % 10 == 0 { NodeStatus::Planned } else { NodeStatus::Active }),
                location_id: racks.get(i / 40).copied(),
                management_ip: (i % 7 != 0).then(|| format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256)),
                serial_number: Some(format!("SN{i:08}")),
                custom_data: Some(json!({"snmp_version": if i % 5 == 0 { "v2c" } else { "v3" }, "ntp_servers": ["192.0.2.1"]})),
                ..Default::default()
            },
        });
    }
    batch
}
