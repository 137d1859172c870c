//! Work repositories for tests, made by the `git` binary (feature `testing`).

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `git ARGS` in `dir` with a fixed identity and no user configuration; panics with git's
/// message when it fails (tests only). Returns the trimmed standard output.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.net")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.net")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap_or_else(|e| panic!("git {args:?} does not run: {e}"));
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A new repository with branch `main` at `dir/name`.
pub fn init(dir: &Path, name: &str) -> PathBuf {
    let work = dir.join(name);
    std::fs::create_dir_all(&work).unwrap_or_else(|e| panic!("{}: {e}", work.display()));
    git(&work, &["init", "-q", "-b", "main"]);
    work
}

/// Writes `files` (path, content) into `work`, commits everything, returns the commit id.
pub fn commit(work: &Path, files: &[(&str, &str)]) -> String {
    for (path, content) in files {
        let full = work.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{}: {e}", parent.display()));
        }
        std::fs::write(&full, content).unwrap_or_else(|e| panic!("{}: {e}", full.display()));
    }
    git(work, &["add", "-A"]);
    git(work, &["commit", "-q", "--allow-empty", "-m", "change"]);
    git(work, &["rev-parse", "HEAD"])
}
