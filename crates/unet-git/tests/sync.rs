//! Syncs of real repositories made by the `git` binary in temporary folders.

use std::path::{Path, PathBuf};
use unet_git::testing::{commit, init};
use unet_git::{GitError, Limits, Outcome, Source, Status, SyncResult, Wanted, live, sync};

/// A work repository the tests commit to, and the sync root.
struct Fixture {
    _dir: tempfile::TempDir,
    work: PathBuf,
    root: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let work = init(dir.path(), "work");
        Fixture {
            root: dir.path().join("sync"),
            work,
            _dir: dir,
        }
    }

    /// Writes `files` (path, content) and commits them; returns the commit id.
    fn commit(&self, files: &[(&str, &str)]) -> String {
        commit(&self.work, files)
    }

    fn source(&self, wanted: Wanted) -> Source {
        Source {
            name: "rules".into(),
            url: self.work.display().to_string(),
            wanted,
            path: ".".into(),
            ca_file: None,
            credentials: None,
            ssh_key_file: None,
            host_key: None,
        }
    }

    fn main(&self) -> Source {
        self.source(Wanted::Branch("main".into()))
    }

    fn sync(&self, source: &Source) -> Result<Outcome, GitError> {
        sync(source, &self.root, Limits::default(), &no_broken_files)
    }
}

/// Refuses any revision holding a file whose first line is `broken`.
fn no_broken_files(dir: &Path) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.path().is_file() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            if text.starts_with("broken") {
                problems.push(format!(
                    "{}:1:1: broken",
                    entry.file_name().to_string_lossy()
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

fn live_text(f: &Fixture, file: &str) -> String {
    let live = live(&f.root.join("rules")).expect("a live revision");
    std::fs::read_to_string(live.dir.join(file)).unwrap()
}

#[test]
fn first_sync_new_commit_and_unchanged() {
    let f = Fixture::new();
    let first = f.commit(&[("a.rules", "one"), ("sub/b.rules", "two")]);
    let outcome = f.sync(&f.main()).unwrap();
    assert!(
        matches!(&outcome, Outcome::Updated { previous: None, .. }),
        "{outcome:?}"
    );
    assert_eq!(outcome.live().commit, first);
    assert_eq!(live_text(&f, "a.rules"), "one");
    assert_eq!(live_text(&f, "sub/b.rules"), "two");

    let again = f.sync(&f.main()).unwrap();
    assert!(matches!(again, Outcome::Unchanged(_)), "{again:?}");

    let second = f.commit(&[("a.rules", "one, changed")]);
    let outcome = f.sync(&f.main()).unwrap();
    match &outcome {
        Outcome::Updated { live, previous } => {
            assert_eq!(live.commit, second);
            assert_eq!(previous.as_deref(), Some(first.as_str()));
        }
        other => panic!("expected an update, got {other:?}"),
    }
    assert_eq!(live_text(&f, "a.rules"), "one, changed");
    // The previous revision stays for readers that resolved it; older ones are removed.
    let third = f.commit(&[("a.rules", "three")]);
    f.sync(&f.main()).unwrap();
    let kept: Vec<String> = std::fs::read_dir(f.root.join("rules/checkouts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".revision"))
        .collect();
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert!(
        kept.iter().any(|n| n.starts_with(&third)) && kept.iter().any(|n| n.starts_with(&second))
    );
}

#[test]
fn pinned_commit_stays_put() {
    let f = Fixture::new();
    let first = f.commit(&[("a.rules", "one")]);
    f.commit(&[("a.rules", "two")]);
    let pinned = f.source(Wanted::Commit(first.clone()));
    let outcome = f.sync(&pinned).unwrap();
    assert_eq!(outcome.live().commit, first);
    assert_eq!(live_text(&f, "a.rules"), "one");
    f.commit(&[("a.rules", "three")]);
    assert!(matches!(f.sync(&pinned).unwrap(), Outcome::Unchanged(_)));

    let missing = f.source(Wanted::Commit("0".repeat(40)));
    let err = f.sync(&missing).unwrap_err();
    assert!(matches!(err, GitError::CommitNotFound { .. }), "{err}");
}

#[test]
fn broken_revision_is_refused_and_the_previous_stays_live() {
    let f = Fixture::new();
    let good = f.commit(&[("a.rules", "fine")]);
    let mut status = Status::new(&f.main(), &f.root);
    let now = time::OffsetDateTime::now_utc();
    status.record(now, &f.sync(&f.main()));
    assert_eq!(status.last_result, Some(SyncResult::Ok));

    let bad = f.commit(&[("a.rules", "broken rule")]);
    let result = f.sync(&f.main());
    let err = result.as_ref().unwrap_err();
    assert!(err.to_string().contains(&bad), "{err}");
    assert_eq!(err.diagnostics(), ["a.rules:1:1: broken"]);
    status.record(now, &result);
    assert_eq!(status.last_result, Some(SyncResult::Failed));
    assert_eq!(status.live_commit.as_deref(), Some(good.as_str()));
    assert_eq!(status.diagnostics, ["a.rules:1:1: broken"]);
    assert_eq!(live_text(&f, "a.rules"), "fine");
    let staging_left = std::fs::read_dir(f.root.join("rules/checkouts"))
        .unwrap()
        .any(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".staging")
        });
    assert!(!staging_left, "a refused revision leaves no staging folder");

    // A status read afresh (a restarted server) finds the live revision on disk.
    let fresh = Status::new(&f.main(), &f.root);
    assert_eq!(fresh.live_commit.as_deref(), Some(good.as_str()));
    assert!(fresh.live_since.is_some());

    let fixed = f.commit(&[("a.rules", "fine again")]);
    assert_eq!(f.sync(&f.main()).unwrap().live().commit, fixed);
}

#[test]
fn unreachable_and_unsupported_urls_are_reported() {
    let f = Fixture::new();
    let mut source = f.main();
    source.url = f.work.join("nowhere").display().to_string();
    let err = f.sync(&source).unwrap_err();
    assert!(matches!(err, GitError::Git { .. }), "{err:?}");
    assert!(err.to_string().contains("nowhere"), "{err}");

    source.url = "https://ops:secret@git.example.net/rules.git".into();
    let err = f.sync(&source).unwrap_err().to_string();
    assert!(err.contains("credentials in the URL are not sent"), "{err}");
    assert!(!err.contains("secret"), "{err}");
    source.url = "git://git.example.net/rules.git".into();
    let err = f.sync(&source).unwrap_err().to_string();
    assert!(err.contains("git transport is not accepted"), "{err}");
    source.url = "ssh://git.example.net/rules.git".into();
    let err = f.sync(&source).unwrap_err();
    assert!(
        matches!(
            err,
            GitError::InvalidSetting {
                field: "ssh_key_file",
                ..
            }
        ),
        "{err:?}"
    );

    f.commit(&[("a.rules", "x")]);
    let err = f
        .sync(&f.source(Wanted::Branch("nope".into())))
        .unwrap_err();
    assert!(matches!(err, GitError::BranchNotFound { .. }), "{err}");
}

#[test]
fn file_urls_and_subfolders() {
    let f = Fixture::new();
    let commit = f.commit(&[("policies/core.rules", "core"), ("README", "docs")]);
    let mut source = f.main();
    source.url = format!("file://{}", f.work.display());
    source.path = "./policies/".into();
    let outcome = f.sync(&source).unwrap();
    assert_eq!(outcome.live().commit, commit);
    assert_eq!(live_text(&f, "core.rules"), "core");
    assert!(!outcome.live().dir.join("README").exists());
    // Changing the folder alone is a change.
    source.path = ".".into();
    assert!(matches!(f.sync(&source).unwrap(), Outcome::Updated { .. }));
    assert_eq!(live_text(&f, "README"), "docs");

    source.path = "missing".into();
    let err = f.sync(&source).unwrap_err();
    assert!(matches!(err, GitError::PathNotFound { .. }), "{err}");
}

#[test]
fn limits_and_escaping_links_are_refused() {
    let f = Fixture::new();
    f.commit(&[("big.rules", &"x".repeat(4096))]);
    let limits = Limits {
        max_file_bytes: 1024,
        ..Limits::default()
    };
    let err = sync(&f.main(), &f.root, limits, &no_broken_files).unwrap_err();
    assert!(
        matches!(&err, GitError::Refused { path, .. } if path == "big.rules"),
        "{err}"
    );
    assert!(live(&f.root.join("rules")).is_none());

    let f = Fixture::new();
    std::os::unix::fs::symlink("../../../etc/passwd", f.work.join("escape.rules")).unwrap();
    f.commit(&[]);
    let err = f.sync(&f.main()).unwrap_err();
    assert!(err.to_string().contains("leaves the checkout"), "{err}");

    let f = Fixture::new();
    std::fs::create_dir(f.work.join("d")).unwrap();
    std::os::unix::fs::symlink("..", f.work.join("d/loop")).unwrap();
    f.commit(&[("d/a.rules", "a")]);
    let err = f.sync(&f.main()).unwrap_err();
    assert!(err.to_string().contains("does not end at a file"), "{err}");

    let f = Fixture::new();
    std::os::unix::fs::symlink("a.rules", f.work.join("alias.rules")).unwrap();
    f.commit(&[("a.rules", "a")]);
    f.sync(&f.main()).unwrap();
    assert_eq!(live_text(&f, "alias.rules"), "a");
}
