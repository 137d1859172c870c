//! `unet nodes|locations|links|changes` end to end: every verb and output format, identifiers
//! by name and UUID, refused deletes and --cascade, on every backend.

mod common;

use common::{Unet, each_backend};
use serde_json::Value;

/// A site with a room, two switches and a link between them.
fn seed(unet: &Unet) {
    unet.ok(&[
        "locations",
        "add",
        "HQ",
        "--kind",
        "site",
        "--set",
        "city=Berlin",
    ]);
    unet.ok(&[
        "locations",
        "add",
        "Server Room",
        "--kind",
        "room",
        "--parent",
        "HQ",
    ]);
    for (name, ip) in [("core-01", "10.0.0.1"), ("access-01", "10.0.0.2")] {
        unet.ok(&[
            "nodes",
            "add",
            name,
            "--domain",
            "hq.example.net",
            "--vendor",
            "cisco",
            "--role",
            if name.starts_with("core") {
                "core"
            } else {
                "access"
            },
            "--status",
            "active",
            "--location",
            "HQ/Server Room",
            "--management-ip",
            ip,
            "--set",
            "mgmt_vlan=99",
        ]);
    }
    unet.ok(&[
        "links",
        "add",
        "--node-a",
        "core-01",
        "--interface-a",
        "Gi1/0/1",
        "--node-z",
        "access-01.hq.example.net",
        "--interface-z",
        "Gi1/0/48",
        "--name",
        "core-access",
        "--bandwidth-bps",
        "1000000000",
    ]);
}

#[test]
fn add_show_list_in_every_format() {
    each_backend(|unet| {
        seed(unet);
        let node = unet.json(&["nodes", "show", "core-01"]);
        assert_eq!(node["fqdn"], "core-01.hq.example.net");
        assert_eq!(node["platform"], "cisco_ios", "inferred from the vendor");
        assert_eq!(node["custom_data"]["mgmt_vlan"], 99);
        let id = node["id"].as_str().unwrap();
        // By UUID and by FQDN the same record.
        assert_eq!(unet.json(&["nodes", "show", id]), node);
        assert_eq!(
            unet.json(&["nodes", "show", "core-01.hq.example.net"]),
            node
        );

        let list = unet.json(&["nodes", "list"]);
        assert_eq!(list.as_array().unwrap().len(), 2, "a JSON array: {list}");
        let filtered = unet.json(&["nodes", "list", "--role", "core", "--status", "active"]);
        assert_eq!(filtered.as_array().unwrap().len(), 1);
        assert_eq!(filtered[0]["name"], "core-01");
        let by_location = unet.json(&["nodes", "list", "--location", "HQ"]);
        assert_eq!(by_location.as_array().unwrap().len(), 2, "subtree of HQ");
        let q = unet.json(&["nodes", "list", "--q", "10.0.0.2"]);
        assert_eq!(q[0]["name"], "access-01");

        let table = unet.ok(&["nodes", "list"]);
        assert!(
            table.contains("NAME") && table.contains("core-01"),
            "{table}"
        );
        // Tables show referenced records by name: the location's path, the link's nodes.
        assert!(table.contains("HQ/Server Room"), "{table}");
        let links_table = unet.ok(&["links", "list"]);
        let row = links_table.lines().nth(1).unwrap();
        assert!(
            row.contains("core-01") && row.contains("access-01"),
            "{links_table}"
        );
        let yaml = unet.ok(&["-o", "yaml", "nodes", "list"]);
        assert!(yaml.starts_with("- id: "), "{yaml}");
        let csv = unet.ok(&["-o", "csv", "nodes", "list"]);
        let mut lines = csv.lines();
        assert!(lines.next().unwrap().starts_with("id,name,domain,fqdn,"));
        assert_eq!(lines.count(), 2);
        let one_csv = unet.ok(&["-o", "csv", "locations", "show", "HQ"]);
        assert_eq!(one_csv.lines().count(), 2, "{one_csv}");
        let show_table = unet.ok(&["nodes", "show", "access-01"]);
        assert!(show_table.contains("management_ip") && show_table.contains("10.0.0.2"));
        let text_alias = unet.ok(&["-o", "text", "locations", "list"]);
        assert!(text_alias.contains("HQ/Server Room"), "{text_alias}");

        let room = unet.json(&["locations", "show", "HQ/Server Room"]);
        assert_eq!(room["path"], "HQ/Server Room");
        let children = unet.json(&["locations", "list", "--parent", "HQ"]);
        assert_eq!(children.as_array().unwrap().len(), 1);
        let link = unet.json(&["links", "show", "core-access"]);
        assert_eq!(link["node_a_id"], Value::String(id.to_string()));
        let links = unet.json(&["links", "list", "--node", "access-01"]);
        assert_eq!(links.as_array().unwrap().len(), 1);

        let unified = unet.fails(1, &["-o", "unified", "nodes", "list"]);
        assert!(unified.contains("-o unified"), "{unified}");
    });
}

#[test]
fn update_changes_only_given_fields_and_honours_revision() {
    each_backend(|unet| {
        seed(unet);
        let before = unet.json(&["nodes", "show", "core-01"]);
        let after = unet.json(&[
            "nodes",
            "update",
            "core-01",
            "--status",
            "maintenance",
            "--set",
            "ticket=CHG-1",
            "--unset",
            "mgmt_vlan",
        ]);
        assert_eq!(after["status"], "maintenance");
        assert_eq!(after["management_ip"], before["management_ip"]);
        assert_eq!(after["location_id"], before["location_id"]);
        assert_eq!(after["custom_data"], serde_json::json!({"ticket": "CHG-1"}));
        assert_eq!(after["revision"], before["revision"].as_i64().unwrap() + 1);

        let stale = before["revision"].to_string();
        let err = unet.fails(
            1,
            &[
                "nodes",
                "update",
                "core-01",
                "--model",
                "C9300",
                "--if-revision",
                &stale,
            ],
        );
        assert!(err.contains("revision"), "{err}");
        let current = after["revision"].to_string();
        let renamed = unet.json(&[
            "nodes",
            "update",
            "core-01",
            "--name",
            "core-99",
            "--domain",
            "",
            "--if-revision",
            &current,
        ]);
        assert_eq!(renamed["fqdn"], "core-99");

        let moved = unet.json(&["locations", "update", "Server Room", "--name", "MDF"]);
        assert_eq!(moved["path"], "HQ/MDF");
        let external = unet.json(&[
            "links",
            "update",
            "core-access",
            "--node-z",
            "",
            "--circuit-id",
            "CKT-7",
        ]);
        assert_eq!(external["node_z_id"], Value::Null);
        assert_eq!(external["interface_z"], Value::Null);
        assert_eq!(external["circuit_id"], "CKT-7");

        let history = unet.json(&["nodes", "history", "core-99"]);
        let actions: Vec<&str> = history
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["update", "update", "create"], "newest first");
        assert_eq!(history[0]["actor"], "tester");
        assert_eq!(history[0]["source"], "cli");
    });
}

#[test]
fn invalid_values_name_the_field_and_change_nothing() {
    each_backend(|unet| {
        seed(unet);
        let before = unet.snapshot();
        for (args, field) in [
            (
                vec!["nodes", "add", "edge-01", "--management-ip", "10.0.0.300"],
                "management_ip",
            ),
            (vec!["nodes", "add", "bad name"], "name"),
            (
                vec!["nodes", "add", "edge-01", "--vendor", "Cisco Systems"],
                "vendor",
            ),
            (
                vec!["locations", "add", "Annex", "--kind", "Big Site"],
                "kind",
            ),
            (
                vec!["nodes", "update", "core-01", "--domain", "a..b"],
                "domain",
            ),
        ] {
            let err = unet.fails(1, &args);
            assert!(err.contains(field), "{args:?}: {err}");
            assert_eq!(err.lines().count(), 1, "one line: {err}");
        }
        let duplicate = unet.fails(
            1,
            &["nodes", "add", "core-01", "--domain", "hq.example.net"],
        );
        assert!(duplicate.contains("core-01"), "{duplicate}");
        let missing = unet.fails(1, &["nodes", "show", "nowhere-01"]);
        assert!(missing.contains("nowhere-01"), "{missing}");
        assert_eq!(unet.snapshot(), before);
        // Usage errors are clap's: exit 2.
        unet.fails(2, &["nodes", "add"]);
        unet.fails(2, &["nodes", "list", "--status", "live"]);
        unet.fails(2, &["nodes", "add", "x", "--set", "novalue"]);
        unet.fails(2, &["nodes", "add", "x", "--custom-data", "[1]"]);
    });
}

#[test]
fn deletes_of_referenced_records_need_cascade() {
    each_backend(|unet| {
        seed(unet);
        let before = unet.snapshot();
        let refused = unet.fails(1, &["nodes", "delete", "core-01"]);
        assert!(refused.contains("cascade"), "{refused}");
        let refused = unet.fails(1, &["locations", "delete", "HQ"]);
        assert!(refused.contains("cascade"), "{refused}");
        assert_eq!(unet.snapshot(), before, "a refused delete changes nothing");

        let access = unet.id_of("nodes", "access-01");
        unet.ok(&["nodes", "delete", &access, "--cascade"]);
        assert_eq!(unet.json(&["links", "list"]), serde_json::json!([]));
        unet.ok(&["locations", "delete", "HQ", "--cascade"]);
        assert_eq!(unet.json(&["nodes", "list"]), serde_json::json!([]));
        assert_eq!(unet.json(&["locations", "list"]), serde_json::json!([]));

        let deletes = unet.json(&["changes", "list", "--action", "delete", "--all"]);
        assert_eq!(deletes.as_array().unwrap().len(), 5, "{deletes}");
        let node_changes = unet.json(&[
            "changes",
            "list",
            "--entity-type",
            "node",
            "--entity",
            &access,
        ]);
        assert_eq!(node_changes.as_array().unwrap().len(), 2, "create + delete");
        let by_actor = unet.json(&["changes", "list", "--actor", "tester", "--source", "cli"]);
        assert_eq!(by_actor.as_array().unwrap().len(), 10);
    });
}

#[test]
fn paging_follows_cursors() {
    each_backend(|unet| {
        for i in 0..5 {
            unet.ok(&["nodes", "add", &format!("sw-{i}")]);
        }
        let first = unet.run(&["nodes", "list", "--limit", "2"]);
        let stderr = String::from_utf8_lossy(&first.stderr);
        assert!(stderr.contains("2 of 5 shown"), "{stderr}");
        let cursor = stderr
            .split("--cursor ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap();
        let second = unet.json(&["nodes", "list", "--limit", "2", "--cursor", cursor]);
        assert_eq!(second[0]["name"], "sw-2");
        let all = unet.json(&["nodes", "list", "--limit", "2", "--all"]);
        let names: Vec<&str> = all
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["sw-0", "sw-1", "sw-2", "sw-3", "sw-4"]);
        unet.fails(1, &["nodes", "list", "--limit", "0"]);
    });
}

#[test]
fn version_completions_and_default_database() {
    let dir = tempfile::tempdir().unwrap();
    let version = std::process::Command::new(env!("CARGO_BIN_EXE_unet"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("unet "));
    let bash = std::process::Command::new(env!("CARGO_BIN_EXE_unet"))
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&bash.stdout).contains("nodes"));
    // Without --database-url or UNET_DATABASE_URL: ./unet.db in the working directory.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_unet"))
        .args(["nodes", "list"])
        .env_remove("UNET_DATABASE_URL")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("unet.db").exists());
    // A bad import file is refused before the database is opened: nothing is created.
    let bad = dir.path().join("nodes.json");
    std::fs::write(&bad, "[{").unwrap();
    let fresh = dir.path().join("fresh.db");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_unet"))
        .arg("--database-url")
        .arg(format!("sqlite://{}", fresh.display()))
        .arg("import")
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nodes.json:1:"));
    assert!(!fresh.exists());
    // The environment variable is honoured.
    let env_db = dir.path().join("env.db");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_unet"))
        .args(["locations", "list"])
        .env(
            "UNET_DATABASE_URL",
            format!("sqlite://{}", env_db.display()),
        )
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(env_db.exists());
}

/// `update` reads the record, changes the flags given and writes it back: eight of them at
/// once, each setting its own `custom_data` key, must all last (an update written over a
/// revision it did not read would drop the others' keys).
#[test]
fn concurrent_updates_keep_every_change() {
    const CLIENTS: usize = 8;
    const UPDATES: usize = 3;
    each_backend(|unet| {
        seed(unet);
        for (group, ident) in [
            ("locations", "HQ"),
            ("nodes", "core-01"),
            ("links", "core-access"),
        ] {
            let before = unet.json(&[group, "show", ident]);
            std::thread::scope(|scope| {
                for n in 0..CLIENTS {
                    scope.spawn(move || {
                        for i in 1..=UPDATES {
                            let set = format!("client{n}={i}");
                            unet.ok(&[group, "update", ident, "--set", &set]);
                        }
                    });
                }
            });
            let after = unet.json(&[group, "show", ident]);
            for n in 0..CLIENTS {
                assert_eq!(
                    after["custom_data"][format!("client{n}")],
                    serde_json::json!(UPDATES),
                    "{group} {ident}: an update was lost: {after}"
                );
            }
            let writes = i64::try_from(CLIENTS * UPDATES).unwrap();
            assert_eq!(
                after["revision"].as_i64().unwrap() - before["revision"].as_i64().unwrap(),
                writes
            );
        }
    });
}
