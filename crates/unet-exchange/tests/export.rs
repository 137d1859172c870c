//! Export files read back as the same records, in every format, byte-for-byte stable.

use std::fs;

use serde_json::json;
use unet_core::{Link, Location, Node};
use unet_exchange::{ExportFormat, read_path, write_export};

fn inventory() -> (Vec<Location>, Vec<Node>, Vec<Link>) {
    let site = "00000000-0000-4000-8000-000000000001";
    let leaf = "00000000-0000-4000-8000-000000000002";
    let spine = "00000000-0000-4000-8000-000000000003";
    let at = "2026-11-29T21:00:00.000001Z";
    let locations = serde_json::from_value(json!([{
        "id": site, "name": "DC1", "kind": "site", "parent_id": null, "description": null,
        "custom_data": {"city": "Zürich"}, "path": "DC1", "created_at": at, "updated_at": at,
        "revision": 1
    }]))
    .unwrap();
    let node = |id: &str, name: &str| {
        json!({
            "id": id, "name": name, "domain": "dc1.example.net",
            "fqdn": format!("{name}.dc1.example.net"), "vendor": "arista",
            "platform": "arista_eos", "model": "7050SX3", "role": "leaf", "status": "active",
            "location_id": site, "management_ip": "10.0.0.1", "serial_number": "JPE1",
            "asset_tag": null, "custom_data": {"bgp_asn": 65001, "ntp": ["10.0.0.5"]},
            "created_at": at, "updated_at": at, "revision": 3
        })
    };
    let nodes =
        serde_json::from_value(json!([node(leaf, "leaf-1"), node(spine, "spine-1")])).unwrap();
    let links = serde_json::from_value(json!([{
        "id": "00000000-0000-4000-8000-000000000004", "name": "leaf-1:Ethernet49",
        "node_a_id": leaf, "interface_a": "Ethernet49/1", "node_z_id": spine,
        "interface_z": "Ethernet1/1", "bandwidth_bps": 100000000000i64, "circuit_id": null,
        "provider": null, "description": null, "custom_data": {}, "created_at": at,
        "updated_at": at, "revision": 1
    }]))
    .unwrap();
    (locations, nodes, links)
}

#[test]
fn every_format_reads_back_and_repeats_byte_for_byte() {
    let (locations, nodes, links) = inventory();
    for format in [ExportFormat::Json, ExportFormat::Yaml, ExportFormat::Csv] {
        let first = tempfile::tempdir().unwrap();
        let written = write_export(first.path(), &locations, &nodes, &links, format).unwrap();
        assert_eq!(written.len(), 3);
        let records = read_path(first.path()).unwrap();
        assert_eq!(records.locations.len(), 1);
        assert_eq!(records.nodes.len(), 2);
        assert_eq!(records.links.len(), 1);
        let leaf = &records.nodes[0].draft;
        assert_eq!(leaf.id, Some(nodes[0].id));
        assert_eq!(leaf.custom_data, Some(nodes[0].custom_data.clone()));
        assert_eq!(leaf.revision, Some(3));
        assert_eq!(records.links[0].draft.bandwidth_bps, Some(100_000_000_000));

        let second = tempfile::tempdir().unwrap();
        write_export(second.path(), &locations, &nodes, &links, format).unwrap();
        for path in &written {
            let name = path.file_name().unwrap();
            let bytes = fs::read(path).unwrap();
            assert_eq!(bytes, fs::read(second.path().join(name)).unwrap());
            assert_eq!(bytes.last(), Some(&b'\n'));
        }
        let leftovers: Vec<_> = fs::read_dir(first.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with('.')
            })
            .collect();
        assert!(leftovers.is_empty());
    }
}

#[test]
fn json_keeps_field_order() {
    let (locations, nodes, links) = inventory();
    let dir = tempfile::tempdir().unwrap();
    write_export(dir.path(), &locations, &nodes, &links, ExportFormat::Json).unwrap();
    let text = fs::read_to_string(dir.path().join("nodes.json")).unwrap();
    let id = text.find("\"id\"").unwrap();
    let name = text.find("\"name\"").unwrap();
    let revision = text.find("\"revision\"").unwrap();
    assert!(id < name && name < revision, "{text}");
}
