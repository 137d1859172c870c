//! Server mode end to end: the real `unet-server` on an ephemeral loopback port, and the same
//! command script run by `unet` against it and against a local database of the same backend.
//! Outputs must be identical byte for byte once the two things that cannot agree between two
//! databases are normalised: timestamps (`<time>`), and the UUIDs of records created by `add`
//! (numbered in order of appearance, so the structure must still match). Imported records keep
//! their fixture ids. The change history differs by design in actor and source (`tester`/`cli`
//! locally, the server's caller/`api` remotely), so it is compared without those fields.
//!
//! Needs the server binary next to `unet`: `cargo build -p unet-server` first.

mod common;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use common::server::LiveServer;
use common::{fixture, read_dir};
use serde_json::Value;
use unet_store::testing::TestDatabase;

/// `unet` with a clean environment: no server, database, token or config file unless given.
fn unet(config_home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_unet"));
    cmd.env("USER", "tester")
        .env("XDG_CONFIG_HOME", config_home)
        .env_remove("UNET_DATABASE_URL")
        .env_remove("UNET_SERVER")
        .env_remove("UNET_TOKEN");
    cmd
}

/// One way of reaching the inventory: `--database-url` or `--server`.
struct Mode {
    flag: &'static str,
    target: String,
    home: tempfile::TempDir,
    scratch: tempfile::TempDir,
    /// Sent as `UNET_TOKEN` by every command.
    token: Option<String>,
}

impl Mode {
    fn new(flag: &'static str, target: &str) -> Mode {
        Mode {
            flag,
            target: target.to_string(),
            home: tempfile::tempdir().unwrap(),
            scratch: tempfile::tempdir().unwrap(),
            token: None,
        }
    }

    /// Server mode signed in as the bootstrap administrator with `unet login` (when the
    /// server requires authentication).
    fn signed_in(server: &LiveServer) -> Mode {
        let mut mode = Mode::new("--server", &server.base);
        mode.token = server.admin_token(mode.home.path());
        mode
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut cmd = unet(self.home.path());
        if let Some(token) = &self.token {
            cmd.env("UNET_TOKEN", token);
        }
        cmd.arg(self.flag)
            .arg(&self.target)
            .args(args)
            .current_dir(self.scratch.path())
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "unet {} {args:?} failed ({:?}):\n{}{}",
            self.flag,
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

/// Replaces RFC 3339 UTC timestamps by `<time>` and UUIDs by `<id N>`, numbered in order of
/// first appearance. Fixture ids go through the same numbering, so both sides must agree.
struct Normaliser {
    ids: HashMap<String, usize>,
}

impl Normaliser {
    fn new() -> Normaliser {
        Normaliser {
            ids: HashMap::new(),
        }
    }

    fn apply(&mut self, text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        while i < bytes.len() {
            if let Some(len) = uuid_at(&bytes[i..]) {
                let next = self.ids.len();
                let n = *self.ids.entry(text[i..i + len].to_string()).or_insert(next);
                out.push_str(&format!("<id {n}>"));
                i += len;
            } else if let Some(len) = timestamp_at(&bytes[i..]) {
                out.push_str("<time>");
                i += len;
            } else {
                let ch = text[i..].chars().next().unwrap();
                out.push(ch);
                i += ch.len_utf8();
            }
        }
        out
    }
}

fn shape_matches(bytes: &[u8], shape: &str) -> bool {
    bytes.len() >= shape.len()
        && shape.bytes().zip(bytes).all(|(s, b)| match s {
            b'h' => b.is_ascii_hexdigit(),
            b'9' => b.is_ascii_digit(),
            other => other == *b,
        })
}

fn uuid_at(bytes: &[u8]) -> Option<usize> {
    let shape = "hhhhhhhh-hhhh-hhhh-hhhh-hhhhhhhhhhhh";
    shape_matches(bytes, shape).then_some(shape.len())
}

/// `2026-01-02T03:04:05` then optional fraction, then `Z` or `+00:00`.
fn timestamp_at(bytes: &[u8]) -> Option<usize> {
    let shape = "9999-99-99T99:99:99";
    if !shape_matches(bytes, shape) {
        return None;
    }
    let mut len = shape.len();
    if bytes.get(len) == Some(&b'.') {
        len += 1;
        while bytes.get(len).is_some_and(u8::is_ascii_digit) {
            len += 1;
        }
    }
    if bytes.get(len) == Some(&b'Z') {
        len += 1;
    } else if shape_matches(&bytes[len..], "+99:99") {
        len += 6;
    }
    Some(len)
}

/// Runs `args` in both modes and requires the same exit code, stdout and stderr. Each side
/// numbers its own UUIDs.
fn same(local: &Mode, remote: &Mode, norm: &mut [Normaliser; 2], args: &[&str]) -> String {
    let (a, b) = (local.run(args), remote.run(args));
    let text = |o: &Output| {
        format!(
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            o.status.code(),
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    let (a, b) = (norm[0].apply(&text(&a)), norm[1].apply(&text(&b)));
    assert_eq!(
        a, b,
        "unet {args:?}: local (left) and server mode (right) differ"
    );
    a
}

fn without_origin(mut change: Value) -> Value {
    if let Some(object) = change.as_object_mut() {
        for key in ["id", "actor", "source", "request_id", "created_at"] {
            object.remove(key);
        }
    }
    change
}

#[test]
fn every_inventory_command_gives_the_same_output_locally_and_through_the_server() {
    let locals = TestDatabase::all_blocking();
    let remotes = TestDatabase::all_blocking();
    for (local_db, server_db) in locals.iter().zip(&remotes) {
        eprintln!("-- backend {}", local_db.backend().as_str());
        let server = LiveServer::start(server_db.url(), "");
        let local = Mode::new("--database-url", local_db.url());
        let remote = Mode::signed_in(&server);
        let mut norm = [Normaliser::new(), Normaliser::new()];
        let same = |norm: &mut [Normaliser; 2], args: &[&str]| same(&local, &remote, norm, args);

        let office = fixture("small-office");
        let upstream = fixture("upstream/small-office");
        same(&mut norm, &["import", "--dry-run", &office]);
        same(&mut norm, &["import", &office]);
        same(&mut norm, &["-o", "json", "import", &upstream]);
        same(&mut norm, &["import", &office]);
        for format in ["table", "json", "yaml", "csv"] {
            for group in ["locations", "nodes", "links"] {
                same(&mut norm, &["-o", format, group, "list", "--all"]);
                same(&mut norm, &["-o", format, group, "list", "--limit", "2"]);
            }
            same(
                &mut norm,
                &["-o", format, "nodes", "list", "--limit", "2", "--all"],
            );
        }
        let first_nodes: Value =
            serde_json::from_str(&local.ok(&["-o", "json", "nodes", "list", "--limit", "1"]))
                .unwrap();
        let node = first_nodes[0]["name"].as_str().unwrap().to_string();
        let location = local.ok(&["-o", "json", "locations", "list", "--limit", "1"]);
        let location: Value = serde_json::from_str(&location).unwrap();
        let location = location[0]["path"].as_str().unwrap().to_string();
        for format in ["table", "json", "yaml"] {
            same(&mut norm, &["-o", format, "nodes", "show", &node]);
            same(&mut norm, &["-o", format, "locations", "show", &location]);
            same(&mut norm, &["-o", format, "nodes", "history", &node]);
            same(
                &mut norm,
                &["-o", format, "nodes", "list", "--location", &location],
            );
        }

        // Changes, in the same order with the same ids on both sides.
        same(
            &mut norm,
            &["locations", "add", "lab", "--kind", "building"],
        );
        same(
            &mut norm,
            &[
                "nodes",
                "add",
                "lab-sw1",
                "--domain",
                "lab.example.net",
                "--vendor",
                "cisco",
                "--role",
                "access",
                "--location",
                "lab",
            ],
        );
        same(
            &mut norm,
            &[
                "-o", "json", "nodes", "update", "lab-sw1", "--set", "rack=R9",
            ],
        );
        same(
            &mut norm,
            &["-o", "yaml", "nodes", "show", "lab-sw1.lab.example.net"],
        );
        same(&mut norm, &["nodes", "delete", "lab-sw1"]);
        same(&mut norm, &["nodes", "show", "lab-sw1"]);
        same(&mut norm, &["locations", "delete", "lab"]);
        same(&mut norm, &["locations", "delete", &location]);
        same(
            &mut norm,
            &[
                "nodes",
                "update",
                &node,
                "--model",
                "X1",
                "--if-revision",
                "99",
            ],
        );
        same(
            &mut norm,
            &["-o", "yaml", "links", "show", "fw-01:ge-0/0/0"],
        );
        same(&mut norm, &["-o", "csv", "links", "list", "--node", &node]);
        same(&mut norm, &["links", "delete", "fw-01:ge-0/0/0"]);
        same(&mut norm, &["nodes", "delete", "fw-01"]);
        same(&mut norm, &["nodes", "delete", "fw-01", "--cascade"]);
        same(&mut norm, &["nodes", "add", "bad name!"]);

        // Bad import files are refused before anything is sent; record failures name files.
        let broken = local.scratch.path().join("nodes.json");
        let broken_remote = remote.scratch.path().join("nodes.json");
        let text = r#"[{"name": "dup", "domain": "x.net", "vendor": "cisco", "role": "core"},
                       {"name": "dup", "domain": "x.net", "vendor": "cisco", "role": "core"}]"#;
        std::fs::write(&broken, text).unwrap();
        std::fs::write(&broken_remote, text).unwrap();
        same(&mut norm, &["import", "nodes.json"]);
        same(
            &mut norm,
            &["-o", "json", "import", "--continue-on-error", "nodes.json"],
        );

        for format in ["json", "yaml", "csv"] {
            same(&mut norm, &["export", "out", "--format", format]);
            let files = |mode: &Mode, norm: &mut Normaliser| -> Vec<(String, String)> {
                read_dir(&mode.scratch.path().join("out"))
                    .into_iter()
                    .map(|(name, bytes)| (name, norm.apply(&String::from_utf8(bytes).unwrap())))
                    .collect()
            };
            let [local_norm, remote_norm] = &mut norm;
            assert_eq!(
                files(&local, local_norm),
                files(&remote, remote_norm),
                "export --format {format}"
            );
        }

        let changes = |mode: &Mode| -> Vec<Value> {
            let text = mode.ok(&["-o", "json", "changes", "list", "--all"]);
            let list: Vec<Value> = serde_json::from_str(&text).unwrap();
            list.into_iter().map(without_origin).collect()
        };
        let (a, b) = (changes(&local), changes(&remote));
        assert_eq!(
            norm[0].apply(&serde_json::to_string_pretty(&a).unwrap()),
            norm[1].apply(&serde_json::to_string_pretty(&b).unwrap())
        );
        let api_changes = remote.ok(&["-o", "csv", "changes", "list", "--source", "import"]);
        assert!(api_changes.lines().count() > 10, "{api_changes}");
    }
}

#[test]
fn server_errors_show_their_detail_and_exit_1() {
    let db = TestDatabase::sqlite();
    let server = LiveServer::start(db.url(), "");
    let remote = Mode::signed_in(&server);
    let out = remote.run(&["nodes", "show", "ghost"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains("ghost"), "{stderr}");

    let out = remote.run(&["locations", "add", "x", "--kind", "Not A Slug"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("kind"), "{stderr}");
}

#[test]
fn an_unreachable_server_is_named_with_a_hint() {
    // A port that was free a moment ago: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let remote = Mode::new("--server", &url);
    let out = remote.run(&["nodes", "list"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.trim_end(),
        format!(
            "error: cannot reach μNet server at {url}: connection refused — is unet-server running?"
        )
    );
}

/// Accepts one connection, answers an empty node list, and returns the request head.
fn capture_one_request(listener: TcpListener) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap() == 1 {
            head.push(byte[0]);
        }
        stream
            .write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-total-count: 0\r\n\
                  content-length: 2\r\nconnection: close\r\n\r\n[]",
            )
            .unwrap();
        String::from_utf8(head).unwrap()
    })
}

#[test]
fn the_token_is_sent_as_a_bearer_token_and_the_server_can_come_from_the_config_file() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let request = capture_one_request(listener);
    let home = tempfile::tempdir().unwrap();
    let out = unet(home.path())
        .args(["--server", &url, "-o", "json", "nodes", "list"])
        .env("UNET_TOKEN", "s3cr3t-token")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "[]");
    let head = request.join().unwrap().to_ascii_lowercase();
    assert!(head.starts_with("get /api/v1/nodes?limit=100 "), "{head}");
    assert!(
        head.contains("\r\nauthorization: bearer s3cr3t-token\r\n"),
        "{head}"
    );

    // No flag, no UNET_SERVER: the config file names the server; the token file is used.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let request = capture_one_request(listener);
    let dir = home.path().join("unet");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), format!("server = {url:?}\n")).unwrap();
    std::fs::write(dir.join("token"), "from-file\n").unwrap();
    let out = unet(home.path())
        .args(["-o", "json", "nodes", "list"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let head = request.join().unwrap().to_ascii_lowercase();
    assert!(
        head.contains("\r\nauthorization: bearer from-file\r\n"),
        "{head}"
    );

    std::fs::write(
        dir.join("config.toml"),
        "server = \"http://x\"\nsevrer = 1\n",
    )
    .unwrap();
    let out = unet(home.path()).args(["nodes", "list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("config.toml line 2") && stderr.contains("sevrer"),
        "{stderr}"
    );
}

#[test]
fn server_and_database_url_conflict() {
    let home = tempfile::tempdir().unwrap();
    let out = unet(home.path())
        .args([
            "--server",
            "http://127.0.0.1:1",
            "--database-url",
            "sqlite://x.db",
        ])
        .args(["nodes", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
