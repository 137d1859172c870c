//! `unet policies eval` and `results` with `--server` against the real `unet-server` (whose
//! `policies.dir` is the repository's `policies/`), compared with local mode on a database of
//! the same backend holding the same fixture: the JSON must be identical once times are
//! normalised (fixture records keep their ids on both sides).
//!
//! Needs the server binary next to `unet`: `cargo build -p unet-server` first.

mod common;

use std::process::{Command, Output};

use common::server::LiveServer;
use common::{Unet, each_backend, fixture, repo_path};
use serde_json::Value;
use unet_store::Backend;
use unet_store::testing::TestDatabase;

/// `unet --server … -o json ARGS` signed in with `token`, whatever its exit status.
fn remote(server: &LiveServer, token: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_unet"));
    cmd.args(["--server", &server.base, "-o", "json"])
        .args(args)
        .env("USER", "tester")
        .env_remove("UNET_TOKEN");
    if let Some(token) = token {
        cmd.env("UNET_TOKEN", token);
    }
    cmd.output().unwrap()
}

/// `unet --server … -o json ARGS` signed in with `token`, which must succeed.
fn remote_json(server: &LiveServer, token: Option<&str>, args: &[&str]) -> Value {
    let out = remote(server, token, args);
    assert!(
        out.status.success(),
        "unet --server {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Stored results with their times replaced: the two databases evaluate at different moments.
fn without_times(mut results: Value) -> Value {
    for r in results.as_array_mut().unwrap() {
        r["evaluated_at"] = Value::Null;
        r["changed_at"] = Value::Null;
    }
    results
}

#[test]
fn eval_and_results_through_the_server_match_local_mode() {
    let policies = repo_path("policies").display().to_string();
    each_backend(|local: &Unet| {
        let remote_db = match local.db.backend() {
            Backend::Sqlite => TestDatabase::sqlite(),
            Backend::Postgres => TestDatabase::postgres_blocking().unwrap(),
        };
        let server = LiveServer::start(
            remote_db.url(),
            &format!(
                "policies.dir = {policies:?}\npolicies.interval = \"0s\"\n\
                 policies.evaluate_on_change = false"
            ),
        );
        let home = tempfile::tempdir().unwrap();
        let token = server.admin_token(home.path());
        let token = token.as_deref();
        local.ok(&["import", &fixture("small-office")]);
        remote_json(&server, token, &["import", &fixture("small-office")]);

        for args in [
            vec!["policies", "eval"],
            vec!["policies", "eval", "--failures-only"],
            vec!["policies", "eval", "--node", "fw-01"],
        ] {
            let mut with_path = args.clone();
            with_path.extend(["--path", &policies]);
            let here = local.json(&with_path);
            let there = remote_json(&server, token, &args);
            assert!(!here.as_array().unwrap().is_empty(), "{args:?}");
            assert_eq!(here, there, "{args:?}");
        }
        for args in [
            vec!["policies", "results", "--limit", "100000"],
            vec!["policies", "results", "--outcome", "fail"],
            vec!["policies", "results", "--node", "fw-01"],
        ] {
            let here = without_times(local.json(&args));
            let there = without_times(remote_json(&server, token, &args));
            assert!(!here.as_array().unwrap().is_empty(), "{args:?}");
            assert_eq!(here, there, "{args:?}");
        }
    });
}

/// With `--server`, rules with any error in the server's `policies.dir` are refused as a whole
/// there: exit 2 with each error's file, line and column, nothing printed on stdout, the
/// stored results and the inventory untouched, `--apply` included — for a broken file beside
/// a valid one and for a broken file alone.
#[test]
fn eval_through_the_server_refuses_a_rule_set_with_any_error() {
    each_backend(|local: &Unet| {
        let remote_db = match local.db.backend() {
            Backend::Sqlite => TestDatabase::sqlite(),
            Backend::Postgres => TestDatabase::postgres_blocking().unwrap(),
        };
        let rules = tempfile::tempdir().unwrap();
        let good = rules.path().join("good.rules");
        std::fs::write(
            &good,
            "RULE \"has-serial\":\nWHEN node.name IS NOT NULL\n\
             THEN ASSERT node.serial_number IS NOT NULL\n\
             RULE \"mark\": WHEN node.name IS NOT NULL THEN SET custom_data.marked TO true\n",
        )
        .unwrap();
        let server = LiveServer::start(
            remote_db.url(),
            &format!(
                "policies.dir = {:?}\npolicies.interval = \"0s\"\n\
                 policies.evaluate_on_change = false",
                rules.path().display().to_string()
            ),
        );
        let home = tempfile::tempdir().unwrap();
        let token = server.admin_token(home.path());
        let token = token.as_deref();
        remote_json(&server, token, &["import", &fixture("small-office")]);
        remote_json(&server, token, &["policies", "eval"]);
        let results = ["policies", "results", "--limit", "100000"];
        let stored = remote_json(&server, token, &results);
        assert!(!stored.as_array().unwrap().is_empty());
        let export = remote_json(&server, token, &["nodes", "list", "--all"]);

        let broken = rules.path().join("broken.rules");
        std::fs::write(
            &broken,
            "# broken on purpose\nRULE \"y\": WHEN node.vendor == THEN ASSERT node.name IS NOT NULL\n",
        )
        .unwrap();
        for alone in [false, true] {
            if alone {
                std::fs::remove_file(&good).unwrap();
            }
            for args in [
                vec!["policies", "eval"],
                vec!["policies", "eval", "--apply"],
                vec!["policies", "eval", "--failures-only"],
            ] {
                let out = remote(&server, token, &args);
                let stderr = String::from_utf8_lossy(&out.stderr);
                assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
                assert!(out.stdout.is_empty(), "{args:?} printed results: {out:?}");
                assert!(
                    stderr.contains(&format!("{}:2:31: ", broken.display())),
                    "{args:?}: {stderr}"
                );
                assert!(
                    stderr.contains("the rule set is refused as a whole"),
                    "{args:?}: {stderr}"
                );
                assert_eq!(remote_json(&server, token, &results), stored, "{args:?}");
                let nodes = remote_json(&server, token, &["nodes", "list", "--all"]);
                assert_eq!(nodes, export, "{args:?} changed the inventory");
            }
        }
    });
}
