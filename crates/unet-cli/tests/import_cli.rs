//! `unet import` and `unet export` end to end on every backend: the upstream example, our
//! fixtures, byte-identical round trips, and bad input that must leave the database as it was.

mod common;

use std::process::Command;

use common::{Unet, each_backend, fixture, read_dir};
use serde_json::{Value, json};
use unet_store::Backend;

fn counts(report: &Value, entity: &str) -> [u64; 4] {
    let c = &report[entity];
    ["created", "updated", "unchanged", "failed"].map(|k| c[k].as_u64().unwrap())
}

fn total(unet: &Unet, group: &str) -> usize {
    unet.json(&[group, "list", "--all"])
        .as_array()
        .unwrap()
        .len()
}

fn sqlite3(db_url: &str, sql: &str) -> String {
    let path = db_url.trim_start_matches("sqlite://");
    let out = Command::new("sqlite3").arg(path).arg(sql).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn upstream_small_office_imports_once_then_reports_unchanged() {
    each_backend(|unet| {
        let example = fixture("upstream/small-office");
        let report = unet.json(&["import", &example]);
        assert_eq!(report["committed"], true);
        assert_eq!(counts(&report, "locations"), [4, 0, 0, 0]);
        assert_eq!(counts(&report, "nodes"), [6, 0, 0, 0]);
        assert_eq!(counts(&report, "links"), [6, 0, 0, 0]);
        assert_eq!(
            (
                total(unet, "nodes"),
                total(unet, "locations"),
                total(unet, "links")
            ),
            (6, 4, 6)
        );
        let wlc = unet.json(&["nodes", "show", "wifi-controller-01"]);
        assert_eq!(wlc["role"], "wireless-controller");
        assert_eq!(wlc["status"], "active");
        assert_eq!(wlc["serial_number"], "CN123456789");

        let before = unet.snapshot();
        let again = unet.json(&["import", &example]);
        assert_eq!(counts(&again, "locations"), [0, 0, 4, 0]);
        assert_eq!(counts(&again, "nodes"), [0, 0, 6, 0]);
        assert_eq!(counts(&again, "links"), [0, 0, 6, 0]);
        assert_eq!(unet.snapshot(), before, "a second import changes nothing");
        let imports = unet.json(&["changes", "list", "--source", "import", "--all"]);
        assert_eq!(imports.as_array().unwrap().len(), 16);
        assert_eq!(imports[0]["actor"], "tester");

        if unet.db.backend() == Backend::Sqlite {
            assert_eq!(sqlite3(unet.db.url(), "PRAGMA integrity_check;"), "ok");
            let latest = sqlite3(
                unet.db.url(),
                "SELECT version FROM schema_migrations ORDER BY version DESC LIMIT 1;",
            );
            assert!(
                latest.len() >= 14 && latest.chars().all(|c| c.is_ascii_digit()),
                "{latest}"
            );
            assert_eq!(
                sqlite3(
                    unet.db.url(),
                    "SELECT COUNT(*) FROM nodes WHERE status = 'active';"
                ),
                "6"
            );
        }
    });
}

#[test]
fn fixtures_import_cleanly_and_round_trip_byte_for_byte() {
    each_backend(|unet| {
        for (name, locations, nodes, links) in [
            ("small-office", 4, 6, 6),
            ("campus", 22, 32, 61),
            ("datacenter", 73, 207, 857),
        ] {
            let report = unet.json(&["import", &fixture(name)]);
            assert_eq!(report["failures"], json!([]), "{name}");
            assert_eq!(counts(&report, "locations")[0], locations, "{name}");
            assert_eq!(counts(&report, "nodes")[0], nodes, "{name}");
            assert_eq!(counts(&report, "links")[0], links, "{name}");
        }
        assert_eq!(total(unet, "nodes"), 6 + 32 + 207);
        let spines = unet.json(&["nodes", "list", "--role", "spine", "--vendor", "arista"]);
        assert_eq!(spines.as_array().unwrap().len(), 4);

        // export → import into an empty database → export is byte-identical, in every format.
        let first = unet.snapshot();
        for format in ["json", "yaml", "csv"] {
            let fresh = common::Unet {
                db: unet_store::testing::TestDatabase::sqlite(),
                scratch: tempfile::tempdir().unwrap(),
            };
            let dir = tempfile::tempdir().unwrap();
            let dir_path = dir.path().display().to_string();
            unet.ok(&["export", &dir_path, "--format", format]);
            fresh.ok(&["import", &dir_path]);
            assert_eq!(fresh.snapshot(), first, "{format}");
            let again = tempfile::tempdir().unwrap();
            let again_path = again.path().display().to_string();
            fresh.ok(&["export", &again_path, "--format", format]);
            assert_eq!(read_dir(again.path()), read_dir(dir.path()), "{format}");
        }
    });
}

#[test]
fn round_trip_into_the_same_backend() {
    each_backend(|unet| {
        unet.ok(&["import", &fixture("campus")]);
        let first = unet.snapshot();
        let dir = unet.scratch.path().join("campus-export");
        let dir = dir.display().to_string();
        unet.ok(&["export", &dir]);
        // The snapshot of a second, empty database of the same backend after importing it.
        let mut dbs = unet_store::testing::TestDatabase::all_blocking();
        let db = dbs.remove(match unet.db.backend() {
            Backend::Sqlite => 0,
            Backend::Postgres => 1,
        });
        let fresh = Unet {
            db,
            scratch: tempfile::tempdir().unwrap(),
        };
        fresh.ok(&["import", &dir]);
        assert_eq!(fresh.snapshot(), first);
        let unchanged = fresh.json(&["import", &dir]);
        assert_eq!(counts(&unchanged, "nodes"), [0, 0, 32, 0]);
    });
}

/// Each bad input fails with exit 1, says what and where, and leaves the database exactly
/// as it was.
#[test]
fn bad_input_is_refused_and_changes_nothing() {
    each_backend(|unet| {
        unet.ok(&["import", &fixture("small-office")]);
        let before = unet.snapshot();
        let site = "3a1f0000-0000-4000-8000-000000000001";
        let missing = "3a1f0000-0000-4000-8000-0000000000ff";
        let cases: Vec<(&str, String, Vec<&str>)> = vec![
            (
                "nodes.json",
                "[\n  {\"name\": \"a-01\"},\n  {\"name\": \"a-02\",}\n]\n".into(),
                vec!["nodes.json:3:", "syntax"],
            ),
            (
                "locations.yaml",
                "- name: X\n  kind: site\n  colour: red\n".into(),
                vec!["locations.yaml", "record 0", "unknown field `colour`"],
            ),
            (
                "nodes.json",
                format!(r#"[{{"name": "edge-01", "location_id": "{missing}"}}]"#),
                vec!["nodes.json", "record 0", "location_id", missing],
            ),
            (
                "nodes.json",
                r#"[{"id": "3a1f0000-0000-4000-8000-000000000011", "name": "dup-01"},
                    {"id": "3a1f0000-0000-4000-8000-000000000012", "name": "dup-01"}]"#
                    .into(),
                vec!["nodes.json", "record 1", "dup-01"],
            ),
            (
                // Without ids both records get the id of their natural key: both are named.
                "nodes.json",
                r#"[{"name": "dup-02"}, {"name": "dup-02"}]"#.into(),
                vec!["nodes.json record 1", "nodes.json record 0"],
            ),
            (
                "nodes.json",
                r#"[{"name": "core-sw-01", "domain": "smallcorp.example.com"}]"#.into(),
                vec!["nodes.json", "record 0", "core-sw-01"],
            ),
            (
                "nodes.json",
                r#"[{"name": "ok-01"}, {"name": "edge-02", "management_ip": "10.1.2.256"}]"#.into(),
                vec!["nodes.json", "record 1", "management_ip"],
            ),
            (
                "nodes.json",
                r#"[{"name": "edge-03", "role": "Core Switch"}]"#.into(),
                vec!["nodes.json", "record 0", "role"],
            ),
            (
                "nodes.json",
                r#"[{"name": "edge_04!"}]"#.into(),
                vec!["nodes.json", "record 0", "name"],
            ),
            (
                "locations.json",
                format!(r#"[{{"id": "{site}", "name": "Annex", "kind": "Big Site"}}]"#),
                vec!["locations.json", "record 0", "kind"],
            ),
            (
                "nodes.csv",
                "name,status\nedge-05,active\nedge-06,live\n".into(),
                vec!["nodes.csv:3", "record 1", "status"],
            ),
        ];
        for (i, (file, text, expected)) in cases.iter().enumerate() {
            let path = unet.scratch_file(&format!("bad-{i}/{file}"), text);
            let err = unet.fails(1, &["import", &path]);
            for needle in expected {
                assert!(
                    err.contains(needle),
                    "case {i} ({file}) lacks {needle:?}:\n{err}"
                );
            }
            assert_eq!(unet.snapshot(), before, "case {i} changed the database");
        }

        // A dangling link names the link's record and the node it points at.
        let core = unet.id_of("nodes", "core-sw-01");
        let links = format!(
            r#"[{{"node_a_id": "{core}", "interface_a": "Gi1/0/40", "node_z_id": "{missing}", "interface_z": "Gi0/1"}}]"#
        );
        let path = unet.scratch_file("dangling/links.json", &links);
        let err = unet.fails(1, &["import", &path]);
        assert!(
            err.contains("links.json") && err.contains("record 0"),
            "{err}"
        );
        assert!(err.contains(missing), "{err}");
        assert_eq!(unet.snapshot(), before);
    });
}

#[test]
fn continue_on_error_and_dry_run() {
    each_backend(|unet| {
        let mixed = r#"[
            {"name": "good-01", "management_ip": "10.9.0.1"},
            {"name": "bad-01", "management_ip": "not-an-ip"},
            {"name": "good-02"}
        ]"#;
        let path = unet.scratch_file("mixed/nodes.json", mixed);
        let before = unet.snapshot();
        let dry = unet.run(&[
            "-o",
            "json",
            "import",
            &path,
            "--dry-run",
            "--continue-on-error",
        ]);
        assert_eq!(
            dry.status.code(),
            Some(1),
            "a dry run with failures exits 1"
        );
        let dry: Value = serde_json::from_slice(&dry.stdout).unwrap();
        assert_eq!(dry["committed"], false);
        assert_eq!(counts(&dry, "nodes"), [2, 0, 0, 1]);
        assert_eq!(unet.snapshot(), before, "a dry run writes nothing");

        let out = unet.run(&["-o", "json", "import", &path, "--continue-on-error"]);
        assert_eq!(out.status.code(), Some(1), "partial imports exit 1");
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["committed"], true);
        assert_eq!(counts(&report, "nodes"), [2, 0, 0, 1]);
        let failure = &report["failures"][0];
        assert_eq!(failure["origin"]["index"], 1);
        assert!(
            failure["origin"]["file"]
                .as_str()
                .unwrap()
                .ends_with("nodes.json")
        );
        assert!(
            failure["message"]
                .as_str()
                .unwrap()
                .contains("management_ip")
        );
        assert_eq!(total(unet, "nodes"), 2);

        let table = unet.fails(1, &["import", &path, "--continue-on-error"]);
        assert!(
            table.contains("UNCHANGED") && table.contains("not-an-ip"),
            "{table}"
        );
        let clean = unet.scratch_file("clean/nodes.json", r#"[{"name": "good-03"}]"#);
        let dry_ok = unet.ok(&["import", &clean, "--dry-run"]);
        assert!(dry_ok.contains("CREATED"), "{dry_ok}");
        assert_eq!(total(unet, "nodes"), 2);
    });
}

#[test]
fn single_files_and_combined_documents() {
    each_backend(|unet| {
        let nodes_yaml = unet.scratch_file(
            "single/nodes.yaml",
            "- name: r1\n  domain: lab.example.net\n  vendor: juniper\n",
        );
        let report = unet.json(&["import", &nodes_yaml]);
        assert_eq!(counts(&report, "nodes"), [1, 0, 0, 0]);
        assert_eq!(
            unet.json(&["nodes", "show", "r1"])["platform"],
            "juniper_junos"
        );
        // No ids in the file: the same natural keys map to the same records.
        let again = unet.json(&["import", &nodes_yaml]);
        assert_eq!(counts(&again, "nodes"), [0, 0, 1, 0]);

        let combined = unet.scratch_file(
            "inventory.json",
            r#"{"locations": [{"id": "7c0e0000-0000-4000-8000-000000000001", "name": "Lab", "kind": "site"}],
                "nodes": [{"name": "r2", "location_id": "7c0e0000-0000-4000-8000-000000000001"}]}"#,
        );
        let report = unet.json(&["import", &combined]);
        assert_eq!(counts(&report, "locations"), [1, 0, 0, 0]);
        assert_eq!(counts(&report, "nodes"), [1, 0, 0, 0]);
        let csv_table = unet.ok(&["-o", "csv", "import", &combined]);
        assert!(
            csv_table.starts_with("entity,created,updated,unchanged,failed"),
            "{csv_table}"
        );
    });
}
