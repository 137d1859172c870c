//! Syncs over ssh from Debian's OpenSSH server, started unprivileged on a loopback port with a
//! host key of its own and serving a work repository through git-shell to one client key.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use unet_git::testing::{SshServer, commit, init, key_pair};
use unet_git::{GitError, HostKey, Limits, Outcome, Source, Wanted, live, sync};

struct Fixture {
    dir: tempfile::TempDir,
    work: PathBuf,
    root: PathBuf,
    server: SshServer,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let work = init(dir.path(), "served");
        let server = SshServer::start(dir.path());
        Fixture {
            root: dir.path().join("sync"),
            work,
            server,
            dir,
        }
    }

    /// The served repository with the server's key and host key.
    fn source(&self) -> Source {
        Source {
            name: "rules".into(),
            url: self.server.url(&self.work),
            wanted: Wanted::Branch("main".into()),
            path: ".".into(),
            ca_file: None,
            credentials: None,
            ssh_key_file: Some(self.server.key_file.clone()),
            host_key: Some(HostKey::Pinned(self.server.host_key.clone())),
        }
    }

    fn sync(&self, source: &Source) -> Result<Outcome, GitError> {
        sync(source, &self.root, Limits::default(), &no_broken_files)
    }

    fn live_commit(&self) -> String {
        live(&self.root.join("rules"))
            .expect("a live revision")
            .commit
    }
}

/// Refuses any revision whose `a.rules` starts with `broken`.
fn no_broken_files(dir: &Path) -> Result<(), Vec<String>> {
    let text = std::fs::read_to_string(dir.join("a.rules")).unwrap_or_default();
    if text.starts_with("broken") {
        Err(vec!["a.rules:1:1: broken".to_string()])
    } else {
        Ok(())
    }
}

#[test]
fn the_repository_key_syncs_new_commits_and_bad_revisions_stay_out() {
    let f = Fixture::new();
    let first = commit(&f.work, &[("a.rules", "one")]);
    let outcome = f.sync(&f.source()).unwrap();
    assert!(matches!(outcome, Outcome::Updated { .. }), "{outcome:?}");
    assert_eq!(f.live_commit(), first);

    // A push: the next sync takes it.
    let second = commit(&f.work, &[("a.rules", "two")]);
    assert_eq!(f.sync(&f.source()).unwrap().live().commit, second);
    assert!(matches!(
        f.sync(&f.source()).unwrap(),
        Outcome::Unchanged(_)
    ));

    // A revision the validator refuses does not go live.
    let bad = commit(&f.work, &[("a.rules", "broken")]);
    let err = f.sync(&f.source()).unwrap_err();
    assert!(matches!(err, GitError::Validation { .. }), "{err}");
    assert!(err.to_string().contains(&bad), "{err}");
    assert_eq!(f.live_commit(), second);

    // The pinned key went into the source's own known_hosts file, for this port only.
    let known_hosts = std::fs::read_to_string(f.root.join("rules/ssh/known_hosts")).unwrap();
    assert!(known_hosts.starts_with("[127.0.0.1]:"), "{known_hosts}");
}

/// The deploy-key procedure of docs/git.md: the host key read with `ssh-keyscan` (its
/// `TYPE BASE64` part) is what `host_key` pins.
#[test]
fn the_host_key_read_with_ssh_keyscan_pins_the_host() {
    let f = Fixture::new();
    let first = commit(&f.work, &[("a.rules", "one")]);
    let scan = std::process::Command::new("ssh-keyscan")
        .args([
            "-t",
            "ed25519",
            "-p",
            &f.server.port().to_string(),
            "127.0.0.1",
        ])
        .output()
        .expect("ssh-keyscan (openssh-client)");
    let line = String::from_utf8(scan.stdout).unwrap();
    let key = line
        .lines()
        .find(|l| !l.starts_with('#'))
        .and_then(|l| l.split_once(' '))
        .map(|(_, key)| key.trim().to_string())
        .unwrap_or_else(|| panic!("no key in the ssh-keyscan output: {line:?}"));
    let mut source = f.source();
    source.host_key = Some(HostKey::Pinned(key));
    assert_eq!(f.sync(&source).unwrap().live().commit, first);
}

#[test]
fn a_key_the_server_does_not_know_is_refused_with_what_to_do() {
    let f = Fixture::new();
    commit(&f.work, &[("a.rules", "one")]);
    let (other_key, _) = key_pair(f.dir.path(), "other");
    let mut source = f.source();
    source.ssh_key_file = Some(other_key.clone());
    let err = f.sync(&source).unwrap_err();
    assert!(matches!(err, GitError::SshKeyRefused { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("did not accept the key"), "{text}");
    assert!(text.contains(&other_key.display().to_string()), "{text}");
    assert!(text.contains("deploy key"), "{text}");
    assert!(err.host_key_refusal().is_none());
    assert!(live(&f.root.join("rules")).is_none());
}

#[test]
fn an_unknown_host_key_is_refused() {
    let f = Fixture::new();
    commit(&f.work, &[("a.rules", "one")]);
    // A known_hosts file that knows other hosts only.
    let known_hosts = f.dir.path().join("known_hosts");
    std::fs::write(
        &known_hosts,
        format!("git.example.net {}\n", f.server.host_key),
    )
    .unwrap();
    let mut source = f.source();
    source.host_key = Some(HostKey::KnownHostsFile(known_hosts.clone()));
    let err = f.sync(&source).unwrap_err();
    assert!(matches!(err, GitError::HostKeyUnknown { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("is not trusted"), "{text}");
    assert!(text.contains("ssh-keyscan -p"), "{text}");
    assert!(text.contains(&known_hosts.display().to_string()), "{text}");
    assert_eq!(
        err.host_key_refusal()
            .map(|(host, _, reason)| (host, reason)),
        Some(("127.0.0.1", "unknown"))
    );

    // The same file with the host's line syncs.
    std::fs::write(
        &known_hosts,
        format!("[127.0.0.1]:{} {}\n", f.server.port(), f.server.host_key),
    )
    .unwrap();
    assert!(f.sync(&source).is_ok());
}

#[test]
fn a_changed_host_key_is_refused_and_the_live_revision_stays() {
    let mut f = Fixture::new();
    let first = commit(&f.work, &[("a.rules", "one")]);
    let pinned = f.source();
    f.sync(&pinned).unwrap();

    f.server.replace_host_key();
    commit(&f.work, &[("a.rules", "two")]);
    let err = f.sync(&pinned).unwrap_err();
    assert!(matches!(err, GitError::HostKeyChanged { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("has CHANGED"), "{text}");
    assert!(text.contains("SHA256:"), "the offered fingerprint: {text}");
    assert_eq!(
        err.host_key_refusal().map(|(_, _, reason)| reason),
        Some("changed")
    );
    assert_eq!(f.live_commit(), first);

    // Pinning the new key lets the sync through.
    assert!(f.sync(&f.source()).is_ok());
}

#[test]
fn key_files_others_may_read_or_public_keys_are_refused_before_connecting() {
    let f = Fixture::new();
    commit(&f.work, &[("a.rules", "one")]);
    let mut source = f.source();
    let key = f.server.key_file.clone();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o640)).unwrap();
    let err = f.sync(&source).unwrap_err();
    assert!(
        matches!(
            err,
            GitError::SshFile {
                field: "ssh_key_file",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("chmod 600"), "{err}");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();

    source.ssh_key_file = Some(key.with_extension("pub"));
    let public = source.ssh_key_file.clone().unwrap();
    std::fs::set_permissions(&public, std::fs::Permissions::from_mode(0o600)).unwrap();
    let err = f.sync(&source).unwrap_err();
    assert!(err.to_string().contains("this is a public key"), "{err}");

    source.ssh_key_file = Some(key);
    source.host_key = Some(HostKey::Pinned("not a key".into()));
    let err = f.sync(&source).unwrap_err();
    assert!(
        matches!(
            err,
            GitError::InvalidSetting {
                field: "host_key",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn an_unreachable_server_is_reported_in_openssh_words() {
    let dir = tempfile::tempdir().unwrap();
    let (key_file, host_key) = key_pair(dir.path(), "key");
    let source = Source {
        name: "rules".into(),
        // Port 1 on loopback: nothing listens there.
        url: "ssh://git@127.0.0.1:1/net/rules.git".into(),
        wanted: Wanted::Branch("main".into()),
        path: ".".into(),
        ca_file: None,
        credentials: None,
        ssh_key_file: Some(key_file),
        host_key: Some(HostKey::Pinned(host_key)),
    };
    let root = dir.path().join("sync");
    let err = sync(&source, &root, Limits::default(), &no_broken_files).unwrap_err();
    assert!(matches!(err, GitError::Ssh { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with(
            "ssh://git@127.0.0.1:1/net/rules.git: ssh: connect to host 127.0.0.1 port 1"
        ),
        "{text}"
    );
    assert!(text.contains("Connection refused"), "{text}");
}
