//! One way of reaching the inventory from the real `unet`: `--database-url` or `--server`
//! with a token, so one script runs against both sides.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// One way of reaching the inventory: `--database-url` or `--server` with a token.
pub struct Side {
    pub flag: &'static str,
    pub target: String,
    pub token: Option<String>,
    pub home: tempfile::TempDir,
    pub scratch: tempfile::TempDir,
    /// Extra environment of every run (`UNET_POLICIES`, `UNET_TEMPLATES`, …).
    pub env: Vec<(&'static str, String)>,
}

impl Side {
    pub fn new(flag: &'static str, target: &str) -> Side {
        Side {
            flag,
            target: target.to_string(),
            token: None,
            home: tempfile::tempdir().unwrap(),
            scratch: tempfile::tempdir().unwrap(),
            env: Vec::new(),
        }
    }

    pub fn run_with(&self, args: &[&str], stdin: &[u8]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_unet"));
        cmd.arg(self.flag)
            .arg(&self.target)
            .args(args)
            .env("USER", "tester")
            .env("XDG_CONFIG_HOME", self.home.path())
            .env_remove("UNET_DATABASE_URL")
            .env_remove("UNET_SERVER")
            .env_remove("UNET_TOKEN")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        if let Some(token) = &self.token {
            cmd.env("UNET_TOKEN", token);
        }
        let mut child = cmd.spawn().unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        child.wait_with_output().unwrap()
    }

    /// Exit status, stdout, stderr.
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.run_with(args, b"");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let (code, stdout, stderr) = self.run(args);
        assert_eq!(code, 0, "unet {} {args:?}:\n{stdout}{stderr}", self.flag);
        stdout
    }

    /// The command must exit with `code`; stdout and stderr together.
    pub fn fails(&self, code: i32, args: &[&str]) -> String {
        let (got, stdout, stderr) = self.run(args);
        assert_eq!(got, code, "unet {} {args:?}:\n{stdout}{stderr}", self.flag);
        format!("{stdout}{stderr}")
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["-o", "json"];
        all.extend_from_slice(args);
        serde_json::from_str(&self.ok(&all)).unwrap()
    }

    pub fn file(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.scratch.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path.display().to_string()
    }
}
