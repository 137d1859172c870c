//! `unet users`, `unet api-keys` and `unet security` in local mode: recovery without a server.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

fn unet(db: &str, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_unet"))
        .args(["--database-url", db])
        .args(args)
        .env_remove("UNET_SERVER")
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn accounts_keys_and_events_work_on_the_local_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("unet.db").display());
    let (ok, _, err) = unet(
        &db,
        &["users", "create", "alice", "--role", "admin"],
        "a long enough password\n",
    );
    assert!(ok, "{err}");
    let (ok, _, err) = unet(
        &db,
        &["users", "create", "bob", "--role", "root"],
        "a long enough password\n",
    );
    assert!(!ok && err.contains("unknown role \"root\""), "{err}");
    let (ok, _, err) = unet(
        &db,
        &["users", "create", "bob", "--role", "viewer"],
        "short\n",
    );
    assert!(
        !ok && err.contains("password: must be at least 12 characters"),
        "{err}"
    );

    let (ok, out, _) = unet(&db, &["-o", "json", "users", "list"], "");
    assert!(ok);
    let users: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(users[0]["username"], "alice");
    assert_eq!(users[0]["roles"], serde_json::json!(["admin"]));
    assert!(!out.contains("argon2"), "no password hash in the output");

    let (ok, out, _) = unet(&db, &["users", "disable", "alice"], "");
    assert!(ok && out.contains("true"), "{out}");

    let (ok, secret, err) = unet(&db, &["api-keys", "create", "ci", "--role", "viewer"], "");
    assert!(
        ok && secret.starts_with("unet_") && err.contains("only this once"),
        "{err}"
    );
    let (ok, out, _) = unet(&db, &["-o", "json", "api-keys", "list"], "");
    assert!(ok && !out.contains(secret.trim()));
    let keys: Value = serde_json::from_str(&out).unwrap();
    let id = keys[0]["id"].as_str().unwrap().to_string();
    let (ok, _, err) = unet(&db, &["api-keys", "revoke", &id], "");
    assert!(ok, "{err}");
    let (ok, out, _) = unet(&db, &["-o", "json", "api-keys", "list"], "");
    assert!(ok && out.trim() == "[]", "{out}");

    let (ok, out, _) = unet(
        &db,
        &["-o", "json", "security", "events", "--type", "user_change"],
        "",
    );
    assert!(ok);
    let events: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        events.as_array().unwrap().len(),
        2,
        "create and disable: {out}"
    );
    let (ok, out, _) = unet(&db, &["-o", "json", "security", "audit"], "");
    assert!(ok);
    let summary: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["api_key_changes"], 2);
}
