//! `unet configs` end to end, in local mode and against the real `unet-server`, on every
//! backend: push (new version, unchanged, stdin, refusals), list, show (masked), and the diff
//! of two stored versions with the exit codes of `unet config diff`.
//!
//! Needs the server binary next to `unet`: `cargo build -p unet-server` first.

mod common;

use common::server::LiveServer;
use common::side::Side;
use serde_json::Value;
use unet_store::testing::TestDatabase;

const V1: &str = "hostname edge-1\n!\nenable secret 9 $9$abcdefgh$ijklmnop\n\
                  snmp-server community Sup3rS3cret RO\n\
                  interface Ethernet1\n description uplink\n shutdown\n!\nend\n";
const V2: &str = "hostname edge-1\n!\nenable secret 9 $9$abcdefgh$ijklmnop\n\
                  snmp-server community Sup3rS3cret RO\n\
                  interface Ethernet1\n description uplink to core\n!\nntp server 10.0.0.1\nend\n";

fn versions(side: &Side, node: &str) -> Vec<u64> {
    side.json(&["configs", "list", node])
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_u64().unwrap())
        .collect()
}

/// The same script on either side.
fn script(side: &Side) {
    side.ok(&[
        "nodes",
        "add",
        "edge-1",
        "--vendor",
        "cisco",
        "--platform",
        "cisco_ios",
    ]);
    side.ok(&[
        "nodes",
        "add",
        "edge-2",
        "--vendor",
        "cisco",
        "--platform",
        "cisco_ios",
    ]);
    let v1 = side.file("v1.cfg", V1.as_bytes());

    let out = side.ok(&["configs", "push", "edge-1", &v1]);
    assert!(out.starts_with("stored edge-1 version 1: 9 lines"), "{out}");
    let out = side.ok(&["configs", "push", "edge-1", &v1]);
    assert!(out.starts_with("unchanged: edge-1 version 1"), "{out}");

    // From stdin, with the time it was taken.
    let out = side.run_with(
        &[
            "-o",
            "json",
            "configs",
            "push",
            "edge-1",
            "-",
            "--taken-at",
            "2026-12-01T10:00:00Z",
        ],
        V2.as_bytes(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pushed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(pushed["created"], true);
    assert_eq!(pushed["info"]["version"], 2);
    assert_eq!(pushed["info"]["taken_at"], "2026-12-01T10:00:00.000000Z");

    let list = side.json(&["configs", "list", "edge-1"]);
    assert_eq!(versions(side, "edge-1"), [2, 1]);
    assert_eq!(list[1]["line_count"], 9);
    assert!(list[0].get("content").is_none());
    let table = side.ok(&["configs", "list", "edge-1"]);
    assert!(
        table.contains("VERSION") && table.contains("upload"),
        "{table}"
    );

    // Show prints the text itself; masked on request.
    assert_eq!(side.ok(&["configs", "show", "edge-1"]), V2);
    assert_eq!(side.ok(&["configs", "show", "edge-1", "1"]), V1);
    let masked = side.ok(&["configs", "show", "edge-1", "latest", "--masked"]);
    assert!(
        masked.contains("snmp-server community <masked> RO"),
        "{masked}"
    );
    assert!(
        !masked.contains("Sup3rS3cret") && !masked.contains("$9$"),
        "{masked}"
    );
    let shown = side.json(&["configs", "show", "edge-1", "1"]);
    assert_eq!(
        (shown["content"].as_str(), shown["masked"].as_bool()),
        (Some(V1), Some(false))
    );
    let out = side.fails(1, &["configs", "show", "edge-1", "7"]);
    assert!(out.contains("no running configuration version 7"), "{out}");
    let out = side.fails(2, &["configs", "show", "edge-1", "zero"]);
    assert!(
        out.contains("expected a version number from 1 or `latest`"),
        "{out}"
    );

    // Diff: the latest against the one before, exit 1 when they differ.
    let (code, diff, _) = side.run(&["configs", "diff", "edge-1"]);
    assert_eq!(code, 1, "{diff}");
    assert!(diff.contains("+ ntp server 10.0.0.1"), "{diff}");
    assert!(diff.contains("shutdown"), "{diff}");
    let (code, unified, _) = side.run(&["-o", "unified", "configs", "diff", "edge-1", "1", "2"]);
    assert_eq!(code, 1);
    assert!(
        unified.starts_with("--- edge-1 version 1\n+++ edge-1 version 2\n"),
        "{unified}"
    );
    let (code, json, _) = side.run(&["-o", "json", "configs", "diff", "edge-1", "1"]);
    assert_eq!(code, 1);
    serde_json::from_str::<Value>(&json).unwrap();
    let (code, same, _) = side.run(&["configs", "diff", "edge-1", "2", "latest"]);
    assert_eq!((code, same.as_str()), (0, ""));
    // Trouble is 2, never 1 ("different").
    let out = side.fails(2, &["configs", "diff", "edge-1", "1", "9"]);
    assert!(out.contains("version 9"), "{out}");
    side.fails(2, &["configs", "diff", "ghost"]);
    side.fails(2, &["-o", "yaml", "configs", "diff", "edge-1"]);
    let out = side.fails(2, &["configs", "diff", "edge-2"]);
    assert!(out.contains("no stored running configuration"), "{out}");
    side.ok(&["configs", "push", "edge-2", &v1]);
    let out = side.fails(2, &["configs", "diff", "edge-2"]);
    assert!(
        out.contains("only one stored running configuration"),
        "{out}"
    );

    // Refusals name the file and store nothing.
    let latin1 = side.file("latin1.cfg", b"hostname edge-1\nbanner motd caf\xe9\n");
    let out = side.fails(1, &["configs", "push", "edge-1", &latin1]);
    assert!(
        out.contains("latin1.cfg") && out.contains("on line 2"),
        "{out}"
    );
    let empty = side.file("empty.cfg", b"\n");
    let out = side.fails(1, &["configs", "push", "edge-1", &empty]);
    assert!(out.contains("empty or blank"), "{out}");
    let out = side.fails(1, &["configs", "push", "ghost", &v1]);
    assert!(out.contains("ghost"), "{out}");
    assert_eq!(versions(side, "edge-1"), [2, 1]);
}

#[test]
fn local_mode() {
    for db in TestDatabase::all_blocking() {
        eprintln!("-- backend {}", db.backend().as_str());
        let side = Side::new("--database-url", db.url());
        script(&side);
        // Above the default limit: refused before the store is asked.
        let huge = side.file("huge.cfg", "! x\n".repeat(8_400_000).as_bytes());
        let out = side.fails(1, &["configs", "push", "edge-1", &huge]);
        assert!(out.contains("33554432 bytes"), "{out}");
        assert_eq!(versions(&side, "edge-1"), [2, 1]);
    }
}

#[test]
fn server_mode() {
    for db in TestDatabase::all_blocking() {
        eprintln!("-- backend {}", db.backend().as_str());
        let server = LiveServer::start(db.url(), "configs.max_bytes = 2048\n");
        let mut side = Side::new("--server", &server.base);
        side.token = server.admin_token(side.home.path());
        script(&side);
        // Above the server's limit: refused before sending, naming the limit.
        let big = side.file("big.cfg", "! x\n".repeat(600).as_bytes());
        let out = side.fails(1, &["configs", "push", "edge-1", &big]);
        assert!(
            out.contains("configs.max_bytes = 2048") && out.contains("nothing was sent"),
            "{out}"
        );

        // A viewer's show is masked by the server, and says so.
        let created = side.json(&[
            "api-keys",
            "create",
            "viewer-key",
            "--role",
            "viewer",
            "--expires-in-days",
            "1",
        ]);
        let viewer = Side {
            token: created["secret"].as_str().map(str::to_string),
            ..Side::new("--server", &server.base)
        };
        let (code, shown, note) = viewer.run(&["configs", "show", "edge-1"]);
        assert_eq!(code, 0, "{note}");
        assert!(shown.contains("enable secret 9 <masked>"), "{shown}");
        assert!(note.contains("secrets are masked"), "{note}");
        let out = viewer.fails(
            1,
            &[
                "configs",
                "push",
                "edge-1",
                &side.file("v3.cfg", b"hostname x\n"),
            ],
        );
        assert!(out.contains("operator"), "{out}");
    }
}
