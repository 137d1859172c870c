//! The real `unet-server` on an ephemeral loopback port, for the CLI's server-mode tests.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub struct LiveServer {
    child: Child,
    pub base: String,
    /// The HTTPS listener's base URL, when `tls.enabled`.
    pub https: Option<String>,
    /// The bootstrap administrator's password, when the server requires authentication.
    pub admin_password: Option<String>,
    _dir: tempfile::TempDir,
}

fn server_binary() -> PathBuf {
    let unet = Path::new(env!("CARGO_BIN_EXE_unet"));
    let path = unet.with_file_name(format!("unet-server{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: run `cargo build -p unet-server` before these tests",
        path.display()
    );
    path
}

impl LiveServer {
    /// `unet ARGS` with `UNET_SERVER` and `UNET_TOKEN` set as the runbook sets them.
    pub fn unet(&self, token: Option<&str>, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_unet"));
        cmd.args(args)
            .env("UNET_SERVER", &self.base)
            .env_remove("UNET_TOKEN")
            .env_remove("UNET_DATABASE_URL");
        if let Some(token) = token {
            cmd.env("UNET_TOKEN", token);
        }
        cmd.output().unwrap()
    }

    /// Starts the server on `db_url` with `extra_config` (TOML lines) added to the minimal
    /// config, and waits for its listening line.
    pub fn start(db_url: &str, extra_config: &str) -> LiveServer {
        LiveServer::start_on("127.0.0.1:0", db_url, extra_config)
    }

    /// [`LiveServer::start`] with HTTP on `listen`.
    pub fn start_on(listen: &str, db_url: &str, extra_config: &str) -> LiveServer {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("unet.toml");
        let text = format!(
            "server.listen = {listen:?}\ndatabase.url = {db_url:?}\ndata.dir = {:?}\n{extra_config}\n",
            dir.path().join("data").display().to_string(),
        );
        std::fs::write(&config, text).unwrap();
        let mut child = Command::new(server_binary())
            .arg("--config")
            .arg(&config)
            .current_dir(dir.path())
            .env_remove("UNET_CONFIG")
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut log = Vec::new();
        let mut https = None;
        while Instant::now() < deadline {
            let Ok(line) = rx.recv_timeout(Duration::from_millis(100)) else {
                continue;
            };
            // HTTPS is logged first; the HTTP line marks the server ready.
            if let Some(rest) = line.split("listening on https://").nth(1) {
                let addr = rest.split_whitespace().next().unwrap_or("");
                https = Some(format!("https://{addr}"));
            }
            if let Some(rest) = line.split("listening on http://").nth(1) {
                let addr = rest.split_whitespace().next().unwrap_or("");
                // A server on every address is dialled on loopback.
                let addr = match addr.strip_prefix("0.0.0.0:") {
                    Some(port) => format!("127.0.0.1:{port}"),
                    None => addr.to_string(),
                };
                // Keep draining the log so the server never blocks on a full pipe.
                std::thread::spawn(move || while rx.recv().is_ok() {});
                let password_file = dir.path().join("data").join("initial-admin-password");
                return LiveServer {
                    child,
                    base: format!("http://{addr}"),
                    https,
                    admin_password: std::fs::read_to_string(password_file)
                        .ok()
                        .map(|p| p.trim().to_string()),
                    _dir: dir,
                };
            }
            log.push(line);
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("unet-server did not start:\n{}", log.join("\n"));
    }

    /// Signs in as the bootstrap administrator with `unet login` (password on stdin), with
    /// `config_home` as the CLI's XDG config directory, and returns the stored session token.
    /// `None` when the server runs without authentication.
    pub fn admin_token(&self, config_home: &Path) -> Option<String> {
        self.admin_password.as_ref()?;
        let out = self.admin_login(config_home, &["--server", &self.base]);
        assert!(
            out.status.success(),
            "unet login: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let token = std::fs::read_to_string(config_home.join("unet").join("token")).unwrap();
        Some(token.trim().to_string())
    }

    /// `unet ARGS login -u admin` with the bootstrap password on stdin.
    pub fn admin_login(&self, config_home: &Path, args: &[&str]) -> Output {
        let password = self.admin_password.as_deref().unwrap_or_default();
        let mut login = Command::new(env!("CARGO_BIN_EXE_unet"))
            .args(args)
            .args(["login", "-u", "admin"])
            .env("XDG_CONFIG_HOME", config_home)
            .env_remove("UNET_TOKEN")
            .env_remove("UNET_CA_FILE")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        login
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{password}\n").as_bytes())
            .unwrap();
        login.wait_with_output().unwrap()
    }
}

impl Drop for LiveServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
