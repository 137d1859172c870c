//! Reading import paths: layouts, both formats, and where errors point.

use std::fs;
use std::path::{Path, PathBuf};

use unet_core::{EntityType, NodeStatus, id_from_external};
use unet_exchange::{ExchangeError, read_path};

fn upstream_example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/upstream/small-office")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    path
}

#[test]
fn upstream_small_office_maps_every_record() {
    let records = read_path(&upstream_example()).unwrap();
    assert_eq!(records.locations.len(), 4);
    assert_eq!(records.nodes.len(), 6);
    assert_eq!(records.links.len(), 6);
    let room = &records.locations[3].draft;
    assert_eq!(room.kind, "area");
    let wlc = records
        .nodes
        .iter()
        .find(|n| n.draft.name == "wifi-controller-01")
        .unwrap();
    assert_eq!(wlc.draft.role.as_deref(), Some("wireless-controller"));
    assert_eq!(wlc.draft.vendor.as_deref(), Some("aruba"));
    assert_eq!(wlc.draft.status, Some(NodeStatus::Active));
    assert_eq!(wlc.origin.index, 4);
    assert!(wlc.origin.file.ends_with("nodes.json"));
    let isp = &records.links[5].draft;
    assert_eq!(
        isp.id,
        Some(id_from_external(
            EntityType::Link,
            "link-006-isp-to-firewall"
        ))
    );
    assert_eq!(isp.interface_a, "wan1");
    assert_eq!(isp.node_z_id, None);
    assert_eq!(isp.circuit_id.as_deref(), Some("SCORP-12345"));
    // Reading twice gives the same ids: re-import is idempotent.
    assert_eq!(read_path(&upstream_example()).unwrap(), records);
}

#[test]
fn our_format_in_json_yaml_and_combined_documents() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "locations.yaml",
        "- name: DC1\n  kind: site\n- name: Hall A\n  kind: room\n",
    );
    write(
        dir.path(),
        "nodes.json",
        r#"[{"name": "leaf-1", "domain": "dc1.example.net", "vendor": "arista"}]"#,
    );
    write(dir.path(), "README.md", "not inventory");
    let records = read_path(dir.path()).unwrap();
    assert_eq!(records.locations.len(), 2);
    assert_eq!(records.nodes.len(), 1);
    assert!(records.nodes[0].draft.id.is_some());
    // Ids from natural keys are stable across reads.
    assert_eq!(read_path(dir.path()).unwrap(), records);

    let combined = write(
        dir.path(),
        "inventory.json",
        r#"{"nodes": [{"name": "a"}, {"name": "b", "colour": "red"}]}"#,
    );
    let err = read_path(&combined).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("inventory.json#nodes"), "{text}");
    assert!(text.contains("record 1"), "{text}");
    assert!(text.contains("colour"), "{text}");
}

#[test]
fn syntax_errors_carry_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let json = write(
        dir.path(),
        "nodes.json",
        "[\n  {\"name\": \"a\"},\n  {\"name\": \"b\",,}\n]\n",
    );
    match read_path(&json).unwrap_err() {
        ExchangeError::Syntax { line, column, .. } => {
            assert_eq!(line, 3);
            assert!(column > 0);
        }
        other => panic!("expected a syntax error, got {other}"),
    }
    let yaml = write(
        dir.path(),
        "links.yaml",
        "- name: a\n  interface_a: [unclosed\n",
    );
    let err = read_path(&yaml).unwrap_err();
    assert!(
        matches!(err, ExchangeError::Syntax { line, .. } if line >= 2),
        "{err}"
    );
}

#[test]
fn record_errors_name_index_field_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "nodes.json",
        "[\n  {\"name\": \"a\"},\n  {\"name\": \"b\",\n   \"colour\": \"red\"}\n]\n",
    );
    let err = read_path(&path).unwrap_err();
    match &err {
        ExchangeError::Record {
            index, field, line, ..
        } => {
            assert_eq!(*index, 1);
            assert_eq!(field.as_deref(), Some("colour"));
            assert_eq!(*line, Some(4));
        }
        other => panic!("expected a record error, got {other}"),
    }
    assert!(err.to_string().contains("unknown field `colour`"), "{err}");

    let yaml = write(
        dir.path(),
        "locations.yaml",
        "- name: A\n  kind: site\n- name: B\n  kind: site\n  colour: red\n",
    );
    let err = read_path(&yaml).unwrap_err();
    let text = err.to_string();
    assert!(
        text.ends_with("record 1, field `colour`: unknown field `colour`, expected one of `id`, `name`, `kind`, `parent_id`, `description`, `custom_data`, `path`, `created_at`, `updated_at`, `revision`"),
        "{text}"
    );
    assert!(text.contains("locations.yaml:5:"), "{text}");

    let wrong_type = write(
        dir.path(),
        "links.json",
        r#"[{"node_a_id": "00000000-0000-0000-0000-000000000001", "interface_a": "e1", "bandwidth_bps": "fast"}]"#,
    );
    let err = read_path(&wrong_type).unwrap_err();
    assert!(
        matches!(&err, ExchangeError::Record { field: Some(f), .. } if f == "bandwidth_bps"),
        "{err}"
    );
}

#[test]
fn layout_problems_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let empty = read_path(dir.path()).unwrap_err();
    assert!(empty.to_string().contains("no inventory files"), "{empty}");
    write(dir.path(), "nodes.json", "[]");
    write(dir.path(), "nodes.yaml", "[]");
    let twice = read_path(dir.path()).unwrap_err();
    assert!(twice.to_string().contains("keep one"), "{twice}");

    let object = write(dir.path(), "links.json", r#"{"name": "x"}"#);
    assert!(matches!(
        read_path(&object).unwrap_err(),
        ExchangeError::Layout { .. }
    ));
    let csv = write(dir.path(), "links.csv", "name\n");
    assert!(
        read_path(&csv)
            .unwrap_err()
            .to_string()
            .contains("nodes only")
    );
    let missing = read_path(&dir.path().join("absent")).unwrap_err();
    assert!(matches!(missing, ExchangeError::Io { .. }));
    let upstream_bad = write(
        dir.path(),
        "locations.json",
        r#"[{"id": "site-1", "name": "HQ", "location_type": "site", "floor_count": 3}]"#,
    );
    let err = read_path(&upstream_bad).unwrap_err();
    assert!(err.to_string().contains("floor_count"), "{err}");
}

#[test]
fn hostile_input_errors_without_panicking() {
    let dir = tempfile::tempdir().unwrap();
    for text in [
        "",
        "\u{0}\u{1}",
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
        "[1, 2, 3]",
        "[null]",
        "{\"a\": 1e999999}",
        "- - - - -",
    ] {
        let json = write(dir.path(), "nodes.json", text);
        assert!(read_path(&json).is_err(), "{text:?}");
        let yaml = write(dir.path(), "nodes.yaml", text);
        // An empty YAML document is an empty list; everything else here is wrong.
        let result = read_path(&yaml);
        assert!(result.is_err() || text.is_empty(), "{text:?}");
        fs::remove_file(&yaml).unwrap();
    }
    fs::write(dir.path().join("nodes.json"), [0xff, 0xfe, 0x00]).unwrap();
    assert!(read_path(&dir.path().join("nodes.json")).is_err());
}

#[test]
fn fixtures_read_and_pass_validation() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    for (name, locations, nodes, links) in [
        ("small-office", 4, 6, 6),
        ("campus", 22, 32, 61),
        ("datacenter", 73, 207, 857),
    ] {
        let records = read_path(&root.join(name)).unwrap();
        assert_eq!(records.locations.len(), locations, "{name}");
        assert_eq!(records.nodes.len(), nodes, "{name}");
        assert_eq!(records.links.len(), links, "{name}");
        for l in records.locations {
            l.draft.validated().unwrap();
        }
        for n in records.nodes {
            n.draft.validated().unwrap();
        }
        for l in records.links {
            l.draft.validated().unwrap();
        }
    }
}

#[test]
fn absurdly_large_files_are_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nodes.json");
    // A sparse file: no disk space used, but its size is over the limit.
    let file = fs::File::create(&path).unwrap();
    file.set_len(unet_exchange::MAX_FILE_BYTES + 1).unwrap();
    let err = read_path(&path).unwrap_err();
    assert!(
        matches!(err, ExchangeError::TooLarge { size, .. } if size == unet_exchange::MAX_FILE_BYTES + 1),
        "{err}"
    );
}
