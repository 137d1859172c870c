//! `unet git status|sync` against the real `unet-server` syncing a local rules repository made
//! by the `git` binary: the table with the diagnostics of a refused revision, `-o json`, exit
//! codes, and the message without a server.
//!
//! Needs the server binary next to `unet`: `cargo build -p unet-server` first.

mod common;

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::server::LiveServer;
use serde_json::Value;
use unet_git::testing::{commit, init};
use unet_store::testing::TestDatabase;

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn status_and_sync_show_live_revisions_and_refused_ones() {
    for db in TestDatabase::all_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let work = init(dir.path(), "rules");
        let good = commit(
            &work,
            &[(
                "a.rules",
                "RULE \"first\":\nWHEN node.vendor == \"cisco\"\nTHEN ASSERT node.status IS \"active\"\n",
            )],
        );
        let server = LiveServer::start(
            db.url(),
            &format!(
                "policies.interval = \"0s\"\n[git]\ninterval = \"0s\"\n[[git.repositories]]\n\
                 name = \"rules\"\nurl = {:?}\ncontent = \"policies\"",
                work.display().to_string()
            ),
        );
        let home = tempfile::tempdir().unwrap();
        let token = server.admin_token(home.path());
        let token = token.as_deref();

        // The start-up sync runs in the background.
        let deadline = Instant::now() + Duration::from_secs(30);
        let status: Value = loop {
            let out = server.unet(token, &["-o", "json", "git", "status"]);
            assert!(out.status.success(), "{:?}", out);
            let all: Value = serde_json::from_slice(&out.stdout).unwrap();
            if all[0]["live_commit"] == good.as_str() {
                break all;
            }
            assert!(Instant::now() < deadline, "no live revision: {all}");
            std::thread::sleep(Duration::from_millis(100));
        };
        assert_eq!(status[0]["name"], "rules");
        assert_eq!(status[0]["last_result"], "ok");

        let broken = commit(
            &work,
            &[("b.rules", "RULE \"second\":\nWHEN node.vendor ==\n")],
        );
        let out = server.unet(token, &["git", "sync", "rules"]);
        assert_eq!(out.status.code(), Some(1), "a failed sync exits 1: {out:?}");
        let text = stdout(&out);
        assert!(text.contains("failed") && text.contains(&broken), "{text}");

        let out = server.unet(token, &["git", "status"]);
        assert!(out.status.success(), "{out:?}");
        let table = stdout(&out);
        assert!(
            table.contains("rules") && table.contains("policies"),
            "{table}"
        );
        assert!(
            table.contains(&good[..12]),
            "the live commit stays: {table}"
        );
        assert!(table.contains("rules: revision refused:"), "{table}");
        assert!(table.contains("  b.rules:"), "{table}");

        let out = server.unet(token, &["git", "sync", "nope"]);
        assert_eq!(out.status.code(), Some(1));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("no repository named \"nope\""),
            "{out:?}"
        );
    }
}

#[test]
fn without_a_server_git_says_so() {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_unet"))
        .args(["git", "status"])
        .env("XDG_CONFIG_HOME", home.path())
        .env("HOME", home.path())
        .env_remove("UNET_SERVER")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unet git talks to a μNet server"), "{err}");
    assert!(err.contains("UNET_SERVER"), "{err}");
}
