//! `unet nodes poll|status|interfaces|neighbours` and `unet status nodes|events` against the
//! real `unet-server` polling net-snmp's snmpd: tables for people, JSON for scripts, exit codes
//! scripts can trust (1 when a poll failed), the polled state read from the database without
//! a server, and polling itself refused there with what it needs.
//!
//! Needs the server binary next to `unet`: `cargo build -p unet-server` first.

mod common;

use std::process::{Command, Output};

use common::server::LiveServer;
use serde_json::Value;
use unet_snmp::testing::{self, Snmpd};
use unet_store::testing::TestDatabase;

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn poll_read_the_state_and_follow_the_events() {
    let agent = Snmpd::start("agent-01");
    let dir = tempfile::tempdir().unwrap();
    let secret = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("{text}\n")).unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        path.display().to_string()
    };
    let settings = format!(
        "snmp.port = {}\nsnmp.timeout = \"300ms\"\nsnmp.retries = 0\nsnmp.default_profile = \"lab\"\n\
         [[snmp.profiles]]\nname = \"lab\"\ncommunity_file = {:?}\n\
         [[snmp.profiles]]\nname = \"wrong\"\ncommunity_file = {:?}\n",
        agent.address.port(),
        secret("community", testing::COMMUNITY),
        secret("wrong", "not-the-community"),
    );
    let db = TestDatabase::sqlite();
    let server = LiveServer::start(db.url(), &settings);
    let home = tempfile::tempdir().unwrap();
    let token = server.admin_token(home.path());
    let token = token.as_deref();
    for (name, profile) in [("agent-01", "lab"), ("agent-02", "wrong")] {
        let snmp = format!(r#"snmp={{"profile": "{profile}"}}"#);
        let args = [
            "nodes",
            "add",
            name,
            "--management-ip",
            "127.0.0.1",
            "--set",
            &snmp,
        ];
        let out = server.unet(token, &args);
        assert!(out.status.success(), "{:?}", text(&out));
    }

    let out = server.unet(token, &["nodes", "poll", "agent-01"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("agent-01") && stdout.contains("ok"),
        "{stdout}"
    );
    let out = server.unet(token, &["-o", "json", "nodes", "poll", "agent-02"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    let reports: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(reports[0]["result"], "timeout", "{reports}");
    assert_eq!(reports[0]["events"][0], "unreachable", "{reports}");

    let out = server.unet(token, &["nodes", "status", "agent-01"]);
    let (stdout, _) = text(&out);
    for field in ["system name", "agent-01", "linux", "interfaces"] {
        assert!(stdout.contains(field), "{field} in {stdout}");
    }
    let out = server.unet(token, &["nodes", "interfaces", "agent-01"]);
    let (stdout, _) = text(&out);
    assert!(stdout.contains(" lo ") && stdout.contains("up"), "{stdout}");
    let out = server.unet(token, &["-o", "json", "nodes", "neighbours", "agent-01"]);
    assert_eq!(text(&out).0.trim(), "[]", "{:?}", text(&out));

    let out = server.unet(token, &["status", "nodes", "--unreachable"]);
    let (stdout, stderr) = text(&out);
    assert!(
        stderr.contains("2 managed") && stderr.contains("1 unreachable"),
        "{stderr}"
    );
    assert!(
        stdout.contains("agent-02") && !stdout.contains("agent-01"),
        "{stdout}"
    );
    let out = server.unet(token, &["status", "events", "--type", "unreachable"]);
    let (stdout, _) = text(&out);
    assert!(
        stdout.contains("agent-02") && stdout.contains("result=timeout"),
        "{stdout}"
    );
    let out = server.unet(token, &["status", "events", "--type", "exploded"]);
    assert_eq!(out.status.code(), Some(1), "{:?}", text(&out));

    let out = server.unet(token, &["nodes", "poll", "--all"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("polled 2 managed nodes: 1 failing"),
        "{stderr}"
    );
    assert!(
        stdout.contains("agent-02") && stdout.contains("timeout"),
        "{stdout}"
    );

    // Without a server: the state the server stored reads from the database; polling needs
    // the server.
    let local = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_unet"))
            .args(["--database-url", db.url()])
            .args(args)
            .env_remove("UNET_SERVER")
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path())
            .output()
            .unwrap()
    };
    let out = local(&["-o", "json", "nodes", "status", "agent-01"]);
    let status: Value = serde_json::from_str(&text(&out).0).unwrap();
    assert_eq!(
        (status["result"].as_str(), status["polling"].as_bool()),
        (Some("ok"), Some(false)),
        "{status}"
    );
    let out = local(&["status", "events", "--node", "agent-02"]);
    assert!(text(&out).0.contains("unreachable"), "{:?}", text(&out));
    let out = local(&["nodes", "poll", "agent-01"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).1.contains("holds the SNMP credentials"),
        "{:?}",
        text(&out)
    );
}
