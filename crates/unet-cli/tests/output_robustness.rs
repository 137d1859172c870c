//! The real `unet` binary when its output goes nowhere and when a request is too large for the
//! server: a reader that closed stdout and stderr before `unet` wrote anything (`unet … 2>&1 |
//! head -1` once head has gone) never makes it panic, and every path keeps the exit code of
//! docs/cli.md; an import larger than the server's `server.max_body_bytes` ends with the 413
//! message, not with the connection reset the server's early answer causes.
//!
//! Needs the server binary next to `unet`: `cargo build -p unet-server` first.

mod common;

use std::process::{Command, Output, Stdio};

use common::server::LiveServer;
use common::{Unet, each_backend, fixture};
use serde_json::{Value, json};

/// Exit status of a Rust panic: never acceptable from `unet`.
const PANICKED: i32 = 101;

/// Runs `unet ARGS` on `unet`'s database with stdout and stderr both going into one pipe whose
/// reading end is already closed: every write fails with a broken pipe.
fn with_closed_reader(unet: &Unet, args: &[&str]) -> i32 {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let status = Command::new(env!("CARGO_BIN_EXE_unet"))
        .arg("--database-url")
        .arg(unet.db.url())
        .args(args)
        .env("USER", "tester")
        .env_remove("UNET_DATABASE_URL")
        .env_remove("UNET_SERVER")
        .stdin(Stdio::null())
        .stdout(writer.try_clone().unwrap())
        .stderr(writer)
        .status()
        .unwrap();
    status.code().expect("unet was killed by a signal")
}

#[test]
fn a_closed_stdout_and_stderr_never_make_unet_panic() {
    each_backend(|unet| {
        unet.ok(&["import", &fixture("small-office")]);
        let broken = unet.scratch_file("rules/broken.rules", "RULE \"y\": WHEN THEN\n");
        let good = unet.scratch_file(
            "good/good.rules",
            "RULE \"has-serial\": WHEN true THEN ASSERT node.serial_number IS NOT NULL\n",
        );
        let fixture_dir = fixture("small-office");
        // (arguments, exit code with output readable, what it prints on stderr, and with both
        // streams broken). The code stays the documented one; a reader that closed stdout early
        // makes a successful command end with 0.
        let cases: Vec<(Vec<&str>, i32, &str)> = vec![
            // Success: a table on stdout, then a hint for the next page on stderr.
            (vec!["nodes", "list", "--limit", "1"], 0, "next page"),
            // Success with only stderr: the summary line of a valid rule set.
            (vec!["policies", "validate", &good], 0, "valid"),
            // Errors: the message on stderr.
            (vec!["nodes", "show", "no-such-node"], 1, "error: "),
            (vec!["import", "/no/such/dir"], 1, "error: "),
            (vec!["nodes", "list", "--status", "sleepy"], 2, "sleepy"),
            (
                vec!["policies", "eval", "--path", &broken],
                2,
                "refused as a whole",
            ),
            (
                vec!["config", "diff", "--platform", "nope", "a", "b"],
                2,
                "unet config:",
            ),
            // The whole report on stdout, the summary on stderr.
            (vec!["import", "--dry-run", &fixture_dir], 0, ""),
            (
                vec!["-o", "json", "policies", "eval", "--path", &good],
                0,
                "compliant",
            ),
            (vec!["completions", "bash"], 0, ""),
            (vec!["-o", "json", "nodes", "list"], 0, ""),
            (vec!["-o", "yaml", "nodes", "show", "fw-01"], 0, ""),
            (vec!["-o", "csv", "policies", "results"], 0, ""),
        ];
        for (args, code, message) in cases {
            let out = unet.run(&args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
            assert!(stderr.contains(message), "{args:?}: {stderr}");
            let closed = with_closed_reader(unet, &args);
            assert_ne!(closed, PANICKED, "{args:?} panicked on a closed pipe");
            assert_eq!(closed, code, "{args:?} with stdout and stderr closed");
        }
    });
}

/// `unet --server URL -o json ARGS` with `token`.
fn remote(server: &LiveServer, token: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_unet"));
    cmd.args(["--server", &server.base, "-o", "json"])
        .args(args)
        .env_remove("UNET_TOKEN");
    if let Some(token) = token {
        cmd.env("UNET_TOKEN", token);
    }
    cmd.output().unwrap()
}

/// `count` nodes without a location, as one `nodes.json` of our format.
fn many_nodes(unet: &Unet, count: usize) -> String {
    let nodes: Vec<Value> = (0..count)
        .map(|i| {
            json!({
                "name": format!("bulk-{i:06}"),
                "domain": "bulk.example.net",
                "vendor": "cisco",
                "role": "access",
                "custom_data": {"note": "a record that makes the import body large"},
            })
        })
        .collect();
    let path = unet.scratch.path().join(format!("bulk-{count}/nodes.json"));
    if !path.exists() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, serde_json::to_string(&nodes).unwrap()).unwrap();
    }
    path.display().to_string()
}

/// Imports larger than `server.max_body_bytes` end with the server's limit named and exit 1
/// (docs/cli.md), whether the body is a little or far too large, and write nothing; an import
/// within the limit still goes through.
#[test]
fn an_import_larger_than_the_server_accepts_gets_the_413_message() {
    each_backend(|unet| {
        let server = LiveServer::start(unet.db.url(), "server.max_body_bytes = 65536");
        let home = tempfile::tempdir().unwrap();
        let token = server.admin_token(home.path());
        let token = token.as_deref();

        let out = remote(&server, token, &["import", &fixture("small-office")]);
        assert!(out.status.success(), "{out:?}");

        // A few bytes too many, and megabytes too many (the server answers before the body is
        // through and closes the connection).
        // The second case races the server's close against the client's writes: a few tries.
        for count in [500, 40_000, 40_000, 40_000] {
            let file = many_nodes(unet, count);
            let out = remote(&server, token, &["import", &file]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{count} nodes: {stderr}");
            assert!(stderr.starts_with("error: the request body "), "{stderr}");
            assert!(
                stderr.contains("is larger than the server accepts (server.max_body_bytes"),
                "{count} nodes: {stderr}"
            );
            assert!(!stderr.to_lowercase().contains("broken pipe"), "{stderr}");
            let out = remote(
                &server,
                token,
                &["nodes", "list", "--q", "bulk-", "--limit", "1"],
            );
            assert!(out.status.success(), "{out:?}");
            assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "[]");
        }
    });
}
