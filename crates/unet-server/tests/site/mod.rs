//! A temporary root standing in for `/` (config in `etc/unet`, database and data in
//! `var/lib/unet`, log in `var/log/unet`, backups in `backups/unet`) with the server running
//! on it, and the runbook's commands adapted to it.

#![allow(dead_code)] // each test file uses a different part of this module

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use super::common::*;

pub struct Site {
    root: tempfile::TempDir,
    server: Option<Server>,
    /// `None`: SQLite at `var/lib/unet/unet.db`.
    database_url: Option<String>,
}

impl Site {
    /// On SQLite.
    pub fn new() -> Site {
        Site::with_database(None)
    }

    pub fn with_database(database_url: Option<String>) -> Site {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        for dir in [
            "etc/unet",
            "var/lib/unet",
            "var/log/unet",
            "backups/unet",
            "opt/unet/bin",
            "tmp",
        ] {
            std::fs::create_dir_all(r.join(dir)).unwrap();
        }
        std::fs::copy(BIN, r.join("opt/unet/bin/unet-server")).unwrap();
        // The operator's sqlite3 waits for the server's short write locks instead of failing
        // with `database is locked` (docs/operations.md asks for the same ~/.sqliterc).
        std::fs::create_dir_all(r.join("home")).unwrap();
        std::fs::write(r.join("home/.sqliterc"), ".timeout 10000\n").unwrap();
        // The policies the server evaluates, for the runbook's `unet policies list`.
        // The same rule in a Git repository the server syncs, for `unet git status`.
        let rule = "RULE \"active-nodes-have-management-ip\":\n  WHEN node.status == \"active\"\n  \
                    THEN ASSERT node.management_ip IS NOT NULL\n";
        std::fs::create_dir_all(r.join("etc/unet/policies")).unwrap();
        std::fs::write(r.join("etc/unet/policies/site.rules"), rule).unwrap();
        std::fs::create_dir_all(r.join("srv/git")).unwrap();
        let repo = unet_git::testing::init(&r.join("srv/git"), "network-policies");
        unet_git::testing::commit(&repo, &[("site.rules", rule)]);
        let site = Site {
            root,
            server: None,
            database_url,
        };
        site.write_config("");
        site
    }

    pub fn path(&self, p: &str) -> PathBuf {
        self.root.path().join(p.trim_start_matches('/'))
    }

    pub fn config(&self) -> PathBuf {
        self.path("etc/unet/config.toml")
    }

    pub fn db(&self) -> PathBuf {
        self.path("var/lib/unet/unet.db")
    }

    pub fn write_config(&self, extra: &str) {
        let text = format!(
            "server.listen = \"127.0.0.1:0\"\ndatabase.url = {:?}\ndata.dir = {:?}\n\
             logging.file = {:?}\ndatabase.slow_query_threshold = \"1ms\"\npolicies.dir = {:?}\n{extra}\n\
             [[git.repositories]]\nname = \"network-policies\"\nurl = {:?}\ncontent = \"policies\"\n",
            self.database_url
                .clone()
                .unwrap_or_else(|| format!("sqlite://{}", self.db().display())),
            self.path("var/lib/unet").display().to_string(),
            self.log_file().display().to_string(),
            self.path("etc/unet/policies").display().to_string(),
            self.path("srv/git/network-policies").display().to_string(),
        );
        std::fs::write(self.config(), text).unwrap();
    }

    pub fn log_file(&self) -> PathBuf {
        self.path("var/log/unet/unet.log")
    }

    /// `systemctl start unet-server`.
    pub fn start(&mut self) {
        let cmd = command(&["--config", self.config().to_str().unwrap()]);
        let server = Server::spawn_command(cmd, tempfile::tempdir().unwrap(), self.config())
            .unwrap_or_else(|log| panic!("server did not start:\n{log}"));
        self.server = Some(server);
    }

    /// `systemctl reload unet-server` after raising the log level: the same process keeps
    /// serving and logs what changed.
    pub fn reload_with_debug_level(&self) {
        let pid = self.server().pid();
        self.write_config("logging.level = \"debug\"\n");
        signal_pid(pid, "HUP");
        wait_for("config_reloaded", || {
            self.log().contains("changed=logging.level")
        });
        assert_eq!(self.server().pid(), pid);
        assert!(self.server().get("/api/v1/health").status().is_success());
    }

    /// `systemctl stop unet-server`.
    pub fn stop(&mut self) {
        let server = self.server.take().expect("running");
        let (status, _) = server.terminate();
        assert!(status.success(), "{status}");
    }

    pub fn server(&self) -> &Server {
        self.server.as_ref().expect("running")
    }

    /// The runbook's text with the port, paths and authentication adapted.
    pub fn adapt(&self, text: &str) -> String {
        let mut out = text.to_string();
        if let Some(server) = &self.server {
            out = out.replace("http://localhost:8080", &server.base);
        }
        let r = self.root.path().display().to_string();
        for (from, to) in [
            ("/path/to/unet.db", self.db().display().to_string()),
            ("/path/to/new/unet-server", BIN.to_string()),
            ("/path/to/", format!("{r}/var/lib/unet/")),
            ("/backups/", format!("{r}/backups/")),
            ("/etc/unet", format!("{r}/etc/unet")),
            ("/opt/unet/", format!("{r}/opt/unet/")),
            ("/tmp/pre-optimize.db", format!("{r}/tmp/pre-optimize.db")),
            (
                "/var/lib/unet/baselines",
                format!("{r}/var/lib/unet/baselines"),
            ),
            ("/var/log/unet/", format!("{r}/var/log/unet/")),
        ] {
            out = out.replace(from, &to);
        }
        // When the API requires a token, the harness provides it in $UNET_TOKEN.
        out.replace(
            "curl ",
            "curl ${UNET_TOKEN:+-H \"Authorization: Bearer $UNET_TOKEN\"} ",
        )
    }

    /// Runs one adapted runbook command with bash; returns stdout, asserting success.
    pub fn run(&self, text: &str) -> String {
        let (code, out, err) = self.try_run(text);
        assert_eq!(code, 0, "{text}\n{out}\n{err}");
        out
    }

    pub fn try_run(&self, text: &str) -> (i32, String, String) {
        let script = self.adapt(text);
        let mut cmd = Command::new("bash");
        cmd.arg("-c")
            .arg(&script)
            .env("TZ", "UTC")
            .env("HOME", self.path("home"))
            .env_remove("UNET_TOKEN")
            .env("PATH", cli_path());
        if let Some(server) = &self.server {
            // The operator's `unet` talks to the running server, as `UNET_SERVER` makes it.
            cmd.env("UNET_SERVER", &server.base);
            if let Some(token) = server.token.as_deref() {
                cmd.env("UNET_TOKEN", token);
            }
        }
        let out = cmd.output().expect("bash");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    pub fn json(&self, text: &str) -> Value {
        let out = self.run(text);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{text}: not JSON ({e}): {out}"))
    }

    pub fn script(&self, name: &str, env: &[(&str, String)]) -> (i32, String, String) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../deploy/scripts")
            .join(name);
        let mut cmd = Command::new("bash");
        cmd.arg(path).env_remove("UNET_TOKEN");
        if let Some(token) = self.server.as_ref().and_then(|s| s.token.as_deref()) {
            cmd.env("UNET_TOKEN", token);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("bash");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    pub fn backup_env(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "UNET_BACKUP_ROOT",
                self.path("backups/unet").display().to_string(),
            ),
            (
                "UNET_CONFIG_DIR",
                self.path("etc/unet").display().to_string(),
            ),
            (
                "UNET_SERVER_BIN",
                self.path("opt/unet/bin/unet-server").display().to_string(),
            ),
            (
                "UNET_GIT_DIR",
                self.path("var/lib/unet/git").display().to_string(),
            ),
        ]
    }

    pub fn location_names(&self) -> Vec<String> {
        let (_, _, list) = json_of(self.server().get("/api/v1/locations"));
        list.as_array()
            .unwrap()
            .iter()
            .map(|l| l["name"].as_str().unwrap().to_string())
            .collect()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_file()).unwrap_or_default()
    }
}

/// `PATH` with the directory of the built binaries first, so the runbook's `unet` is ours.
/// `cargo test --workspace` builds `unet` next to `unet-server`.
fn cli_path() -> String {
    let dir = Path::new(BIN).parent().expect("binary directory");
    assert!(
        dir.join("unet").exists(),
        "the runbook runs `unet`: build the workspace first (cargo test --workspace builds it)"
    );
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

pub fn today() -> String {
    let out = Command::new("date")
        .arg("+%Y%m%d")
        .env("TZ", "UTC")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

pub fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..100 {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

pub fn signal_pid(pid: u32, name: &str) {
    let ok = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

/// A one-shot HTTP endpoint that hands over the body of the first POST it receives.
pub fn webhook() -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
            let _ = tx.send(String::from_utf8_lossy(&body).into_owned());
        }
    });
    (url, rx)
}
