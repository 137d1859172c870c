//! Runs the real `unet-server` binary for end-to-end tests: a temporary directory with a
//! config file, port 0 on loopback (the server logs the address it bound), stderr captured.

#![allow(dead_code)] // each test file uses a different part of this module

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use reqwest::blocking::{Client, RequestBuilder, Response};
pub use serde_json::{Value, json};
pub use unet_store::testing::TestDatabase;

pub const BIN: &str = env!("CARGO_BIN_EXE_unet-server");

pub struct Server {
    child: Child,
    pub base: String,
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    lines: mpsc::Receiver<String>,
    pub log: Vec<String>,
    /// Session token of the bootstrap `admin`, sent by every client but [`Server::anonymous`];
    /// `None` when the server wrote no bootstrap password (authentication off).
    pub token: Option<String>,
    client: Client,
}

/// A config file for `db_url` with `extra` TOML appended (dotted keys such as
/// `database.auto_migrate = true`), in a fresh temporary directory.
/// A file or folder of the repository (fixtures, policies, templates).
pub fn repo_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
}

/// The small-office fixture as one import document.
pub fn small_office() -> Value {
    let read = |file: &str| -> Value {
        let path = repo_path("fixtures/small-office").join(file);
        serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("JSON")
    };
    json!({
        "locations": read("locations.json"),
        "nodes": read("nodes.json"),
        "links": read("links.json"),
    })
}

pub fn write_config(db_url: &str, extra: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("unet.toml");
    let text = format!(
        "server.listen = \"127.0.0.1:0\"\ndatabase.url = {db_url:?}\ndata.dir = {:?}\n{extra}",
        dir.path().join("data").display().to_string()
    );
    std::fs::write(&config, text).expect("write config");
    (dir, config)
}

pub fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove("UNET_CONFIG")
        .env_remove("RUST_LOG");
    cmd
}

impl Server {
    pub fn start(db: &TestDatabase) -> Server {
        Server::start_with(db.url(), "")
    }

    pub fn start_with(db_url: &str, extra: &str) -> Server {
        let (dir, config) = write_config(db_url, extra);
        Server::spawn(dir, config).unwrap_or_else(|log| panic!("server did not start:\n{log}"))
    }

    /// Starts the server on `config`; `Err` holds its output when it exits instead.
    pub fn spawn(dir: tempfile::TempDir, config: PathBuf) -> Result<Server, String> {
        let cmd = command(&["--config", config.to_str().expect("utf-8 path")]);
        Server::spawn_command(cmd, dir, config)
    }

    /// Starts `cmd` (an `unet-server` command) in `dir`.
    pub fn spawn_command(
        mut cmd: Command,
        dir: tempfile::TempDir,
        config: PathBuf,
    ) -> Result<Server, String> {
        let mut child = cmd
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn unet-server");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut log = Vec::new();
        while Instant::now() < deadline {
            match lines.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => {
                    let addr = line
                        .split("listening on http://")
                        .nth(1)
                        .map(|rest| rest.split_whitespace().next().unwrap_or("").to_string());
                    log.push(line);
                    if let Some(addr) = addr {
                        let base = format!("http://{addr}");
                        let token = admin_token(&base, &data_dir(&config, dir.path()));
                        return Ok(Server {
                            child,
                            base,
                            dir,
                            config,
                            lines,
                            log,
                            client: client_with(token.as_deref()),
                            token,
                        });
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Ok(Some(_)) = child.try_wait() {
                        break;
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        log.extend(lines.try_iter());
        Err(log.join("\n"))
    }

    /// A client that sends no credentials, for the answers to anonymous callers.
    pub fn anonymous(&self) -> Client {
        client_with(None)
    }

    /// A client that sends no credentials and connects from `source` (a loopback address such
    /// as `127.0.0.2`: all of 127.0.0.0/8 reaches the server), for answers per source address.
    pub fn anonymous_from(&self, source: &str) -> Client {
        Client::builder()
            .timeout(Duration::from_secs(30))
            .local_address(source.parse::<std::net::IpAddr>().expect("source address"))
            .build()
            .expect("client")
    }

    /// A client signed in as the bootstrap `admin` (a plain client without authentication).
    pub fn client(&self) -> Client {
        self.client.clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().expect("GET")
    }

    pub fn request(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    pub fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .expect("POST")
    }

    /// Creates a record and returns its JSON, asserting 201.
    pub fn create(&self, path: &str, body: Value) -> Value {
        let r = self.post_json(path, &body);
        let status = r.status();
        let text = r.text().expect("body");
        assert_eq!(status, 201, "POST {path} {body}: {text}");
        serde_json::from_str(&text).expect("JSON")
    }

    /// Sends SIGTERM and waits for the exit.
    pub fn terminate(mut self) -> (ExitStatus, Vec<String>) {
        signal(&self.child, "TERM");
        let status = wait_timeout(&mut self.child, Duration::from_secs(30));
        let mut log = std::mem::take(&mut self.log);
        // The process has exited: its stderr ends, and so does the reader thread.
        log.extend(self.lines.iter());
        (status, log)
    }

    /// Waits for the exit after a signal sent by the test itself.
    pub fn terminate_after_signal(mut self) -> (ExitStatus, Vec<String>) {
        let status = wait_timeout(&mut self.child, Duration::from_secs(30));
        let mut log = std::mem::take(&mut self.log);
        // The process has exited: its stderr ends, and so does the reader thread.
        log.extend(self.lines.iter());
        (status, log)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Log lines received so far.
    /// Sends SIGHUP and waits for the reload line.
    pub fn reload(&mut self) {
        signal(&self.child, "HUP");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self
                .drain_log()
                .iter()
                .any(|l| l.contains("configuration reloaded"))
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("no reload line: {:?}", self.drain_log());
    }

    pub fn drain_log(&mut self) -> Vec<String> {
        let new: Vec<String> = self.lines.try_iter().collect();
        self.log.extend(new);
        self.log.clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub fn signal(child: &Child, name: &str) {
    let ok = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(child.id().to_string())
        .status()
        .expect("run kill")
        .success();
    assert!(ok, "kill -{name} failed");
}

fn wait_timeout(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "server did not exit within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `data.dir` of a config file written by these harnesses (`data.dir = "…"`), else `dir/data`.
fn data_dir(config: &Path, dir: &Path) -> PathBuf {
    std::fs::read_to_string(config)
        .ok()
        .and_then(|text| {
            text.lines().find_map(|line| {
                let value = line
                    .strip_prefix("data.dir")?
                    .trim_start()
                    .strip_prefix('=')?;
                serde_json::from_str::<String>(value.trim()).ok()
            })
        })
        .map_or_else(|| dir.join("data"), PathBuf::from)
}

/// Logs in as the bootstrap `admin` when the server wrote its password under `data_dir`
/// (a restart on the same data dir finds the file of the first start).
pub fn admin_token(base: &str, data_dir: &Path) -> Option<String> {
    let password = std::fs::read_to_string(data_dir.join("initial-admin-password")).ok()?;
    let r = client_with(None)
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": password.trim()}))
        .send()
        .expect("POST /api/v1/auth/login");
    let (status, _, body) = json_of(r);
    assert_eq!(status, 200, "login as admin: {body}");
    Some(body["token"].as_str().expect("token").to_string())
}

/// A client with a 30 s timeout that sends `token` as a bearer token on every request.
pub fn client_with(token: Option<&str>) -> Client {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(token) = token {
        let value = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}"))
            .expect("token is a header value");
        headers.insert(reqwest::header::AUTHORIZATION, value);
    }
    Client::builder()
        .timeout(Duration::from_secs(30))
        .default_headers(headers)
        .build()
        .expect("client")
}

/// Status, headers and JSON body of a response.
pub fn json_of(r: Response) -> (u16, reqwest::header::HeaderMap, Value) {
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    (status, headers, body)
}

/// Sets one field of the security policy through the API, as the signed-in administrator.
pub fn set_security_policy(server: &Server, field: &str, value: Value) {
    let (status, _, mut policy) = json_of(server.get("/api/v1/security/policies"));
    assert_eq!(status, 200, "{policy}");
    policy[field] = value;
    let r = server
        .request(reqwest::Method::PUT, "/api/v1/security/policies")
        .json(&policy)
        .send()
        .unwrap();
    let (status, _, body) = json_of(r);
    assert_eq!(status, 200, "{body}");
}

/// Asserts a problem document with `status` and `code`, returns it.
pub fn assert_problem(r: Response, status: u16, code: &str) -> Value {
    let content_type = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or("").to_string())
        .unwrap_or_default();
    let (got, _, body) = json_of(r);
    assert_eq!(got, status, "{body}");
    assert_eq!(content_type, "application/problem+json", "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status, "{body}");
    for key in ["type", "title", "detail"] {
        assert!(body[key].is_string(), "{key} missing: {body}");
    }
    body
}

pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().expect("run unet-server");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn config_path(dir: &Path) -> PathBuf {
    dir.join("unet.toml")
}
