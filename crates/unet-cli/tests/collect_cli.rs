//! `unet configs collect|status|forget-host-key` against the real `unet-server` collecting
//! from simulated devices behind OpenSSH sshd: tables for people, JSON for scripts, exit codes
//! scripts can trust (1 when a collection failed), and the message without a server.
//!
//! Needs the server binary next to `unet`: `cargo build -p unet-server` first.

mod common;

use std::process::{Command, Output};

use common::server::LiveServer;
use serde_json::Value;
use unet_collect::testing::Fleet;
use unet_store::testing::TestDatabase;

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn collect_nodes_the_fleet_and_read_the_status() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = Fleet::start(dir.path(), &["cisco_ios", "arista_eos", "cisco_ios"]);
    let wrong = dir.path().join("wrong.pass");
    std::fs::write(&wrong, "not-the-password\n").unwrap();
    std::fs::set_permissions(&wrong, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let settings = format!(
        "collect.port = {}\ncollect.timeout = \"10s\"\ncollect.default_profile = \"lab\"\n\
         [[collect.profiles]]\nname = \"lab\"\nusername = \"{user}\"\nkey_file = {key:?}\n\
         [[collect.profiles]]\nname = \"wrong\"\nusername = \"{user}\"\npassword_file = {wrong:?}\n",
        fleet.port(),
        user = fleet.user(),
        key = fleet.key_file().display().to_string(),
        wrong = wrong.display().to_string(),
    );
    let db = TestDatabase::sqlite();
    let server = LiveServer::start(db.url(), &settings);
    let home = tempfile::tempdir().unwrap();
    let token = server.admin_token(home.path());
    let token = token.as_deref();
    for (i, device) in fleet.devices().iter().enumerate() {
        let address = device.address.to_string();
        let mut args = vec![
            "nodes",
            "add",
            &device.hostname,
            "--platform",
            device.platform,
            "--management-ip",
            &address,
        ];
        if i == 2 {
            args.extend(["--set", r#"collect={"profile": "wrong"}"#]);
        }
        let out = server.unet(token, &args);
        assert!(out.status.success(), "{:?}", text(&out));
    }

    let out = server.unet(token, &["configs", "collect", "dev0", "dev1"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert_eq!(stdout.matches("stored").count(), 2, "{stdout}");

    let out = server.unet(token, &["-o", "json", "configs", "collect", "dev2"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    let reports: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(reports[0]["result"], "auth_failed", "{reports}");

    let out = server.unet(token, &["configs", "collect", "--all"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("collected 3 managed nodes: 1 failing"),
        "{stderr}"
    );
    assert!(
        stdout.contains("dev2") && stdout.contains("auth_failed"),
        "{stdout}"
    );

    let out = server.unet(token, &["-o", "json", "configs", "status"]);
    let status: Value = serde_json::from_str(&text(&out).0).unwrap();
    assert_eq!(status["summary"]["managed"], 3, "{status}");
    let out = server.unet(token, &["configs", "status", "--failing"]);
    let (stdout, stderr) = text(&out);
    assert!(
        stderr.contains("3 managed") && stderr.contains("1 failing"),
        "{stderr}"
    );
    assert!(
        stdout.contains("dev2") && !stdout.contains("dev0"),
        "{stdout}"
    );
    let out = server.unet(token, &["configs", "status", "dev0"]);
    assert!(text(&out).0.contains("unchanged"), "{:?}", text(&out));

    let out = server.unet(token, &["configs", "forget-host-key", "dev0"]);
    assert!(
        text(&out).1.contains("forgot host key SHA256:"),
        "{:?}",
        text(&out)
    );
    let out = server.unet(token, &["configs", "list", "dev0"]);
    assert!(text(&out).0.contains("collected"), "{:?}", text(&out));

    // A change on the device: one new version, and the diff of the two says what changed.
    fleet.set_config(
        0,
        "hostname dev0\n!\ninterface Loopback7\n description new\n!\n",
    );
    let out = server.unet(token, &["configs", "collect", "dev0"]);
    assert!(text(&out).0.contains("stored"), "{:?}", text(&out));
    let out = server.unet(token, &["-o", "unified", "configs", "diff", "dev0"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("+interface Loopback7"), "{stdout}");
    assert!(stdout.contains("-interface Loopback0"), "{stdout}");

    // Without a server the command says what it needs.
    let out = Command::new(env!("CARGO_BIN_EXE_unet"))
        .args(["configs", "collect", "dev0"])
        .env_remove("UNET_SERVER")
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(
        text(&out).1.contains("talks to a μNet server"),
        "{:?}",
        text(&out)
    );
}
