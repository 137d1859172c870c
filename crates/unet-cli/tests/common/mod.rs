//! Running the real `unet` binary against fresh databases of every backend.

#![allow(dead_code)] // Each test binary uses a different subset of these helpers.

pub mod server;
pub mod side;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use unet_store::testing::TestDatabase;

pub struct Unet {
    pub db: TestDatabase,
    pub scratch: tempfile::TempDir,
}

/// Runs `body` once per backend (SQLite always; PostgreSQL when `UNET_TEST_POSTGRES_URL` is set).
pub fn each_backend(body: impl Fn(&Unet)) {
    for db in TestDatabase::all_blocking() {
        eprintln!("-- backend {}", db.backend().as_str());
        let unet = Unet {
            db,
            scratch: tempfile::tempdir().unwrap(),
        };
        body(&unet);
    }
}

pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
}

pub fn fixture(name: &str) -> String {
    repo_path("fixtures").join(name).display().to_string()
}

impl Unet {
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_unet"))
            .arg("--database-url")
            .arg(self.db.url())
            .args(args)
            .env("USER", "tester")
            .env_remove("UNET_DATABASE_URL")
            .output()
            .unwrap()
    }

    /// Runs a command that must succeed; returns its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "unet {args:?} failed ({:?}):\n{}{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs a command with `-o json` that must succeed; returns the parsed output.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["-o", "json"];
        all.extend_from_slice(args);
        let text = self.ok(&all);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: {e}: {text}"))
    }

    /// Runs a command that must fail with `code`; returns stdout and stderr together.
    pub fn fails(&self, code: i32, args: &[&str]) -> String {
        let out = self.run(args);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(code), "unet {args:?}:\n{text}");
        text
    }

    /// Every file of a fresh export, by name: compares whole databases.
    pub fn snapshot(&self) -> BTreeMap<String, Vec<u8>> {
        let dir = tempfile::tempdir_in(self.scratch.path()).unwrap();
        let path = dir.path().display().to_string();
        self.ok(&["export", &path]);
        read_dir(dir.path())
    }

    pub fn scratch_file(&self, name: &str, text: &str) -> String {
        let path = self.scratch.path().join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    pub fn id_of(&self, group: &str, ident: &str) -> String {
        self.json(&[group, "show", ident])["id"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

pub fn read_dir(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}
