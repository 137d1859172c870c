//! `unet policies eval` and `results` with `--server` against the real `unet-server` (whose
//! `policies.dir` is the repository's `policies/`), compared with local mode on a database of
//! the same backend holding the same fixture: the JSON must be identical once times are
//! normalised (fixture records keep their ids on both sides).
//!
//! Needs the server binary next to `unet`: `cargo build -p unet-server` first.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Unet, each_backend, fixture, repo_path};
use serde_json::Value;
use unet_store::Backend;
use unet_store::testing::TestDatabase;

struct Server {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start(db_url: &str) -> Server {
        let unet = Path::new(env!("CARGO_BIN_EXE_unet"));
        let binary = unet.with_file_name(format!("unet-server{}", std::env::consts::EXE_SUFFIX));
        assert!(binary.exists(), "run `cargo build -p unet-server` first");
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("unet.toml");
        let text = format!(
            "server.listen = \"127.0.0.1:0\"\ndatabase.url = {db_url:?}\ndata.dir = {:?}\n\
             policies.dir = {:?}\npolicies.interval = \"0s\"\npolicies.evaluate_on_change = false\n",
            dir.path().join("data").display().to_string(),
            repo_path("policies").display().to_string()
        );
        std::fs::write(&config, text).unwrap();
        let mut child = Command::new(binary)
            .arg("--config")
            .arg(&config)
            .current_dir(dir.path())
            .env_remove("UNET_CONFIG")
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let Some(Ok(line)) = lines.next() else { break };
            if let Some(rest) = line.split("listening on http://").nth(1) {
                let addr = rest.split_whitespace().next().unwrap_or("").to_string();
                // Keep draining the log so the server never blocks on a full pipe.
                std::thread::spawn(move || lines.for_each(drop));
                return Server {
                    child,
                    base: format!("http://{addr}"),
                    _dir: dir,
                };
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("unet-server did not start");
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = Command::new(env!("CARGO_BIN_EXE_unet"))
            .args(["--server", &self.base, "-o", "json"])
            .args(args)
            .env("USER", "tester")
            .env_remove("UNET_TOKEN")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "unet --server {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
        let server = Server::start(remote_db.url());
        local.ok(&["import", &fixture("small-office")]);
        server.json(&["import", &fixture("small-office")]);

        for args in [
            vec!["policies", "eval"],
            vec!["policies", "eval", "--failures-only"],
            vec!["policies", "eval", "--node", "fw-01"],
        ] {
            let mut with_path = args.clone();
            with_path.extend(["--path", &policies]);
            let here = local.json(&with_path);
            let there = server.json(&args);
            assert!(!here.as_array().unwrap().is_empty(), "{args:?}");
            assert_eq!(here, there, "{args:?}");
        }
        for args in [
            vec!["policies", "results", "--limit", "100000"],
            vec!["policies", "results", "--outcome", "fail"],
            vec!["policies", "results", "--node", "fw-01"],
        ] {
            let here = without_times(local.json(&args));
            let there = without_times(server.json(&args));
            assert!(!here.as_array().unwrap().is_empty(), "{args:?}");
            assert_eq!(here, there, "{args:?}");
        }
    });
}
