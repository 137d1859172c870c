//! For tests of this crate and others (feature `testing`): work repositories made by the `git`
//! binary, and an OpenSSH server serving them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `git ARGS` in `dir` with a fixed identity and no user configuration; panics with git's
/// message when it fails (tests only). Returns the trimmed standard output.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let mut command = Command::new("git");
    command
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.net")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.net")
        .env("GIT_CONFIG_GLOBAL", "/dev/null");
    stdout_of(&mut command)
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

/// The OpenSSH server the tests start; `scripts/lib/setup.sh` installs it (openssh-server).
const SSHD: &str = "/usr/sbin/sshd";

/// An OpenSSH server on a loopback port with a host key of its own, letting one client key run
/// git-upload-pack — through git-shell, whatever command the client asks for — as the user
/// running the tests. Stopped on drop.
pub struct SshServer {
    dir: PathBuf,
    port: u16,
    user: String,
    child: Child,
    /// The private key the server accepts.
    pub key_file: PathBuf,
    /// The server's public host key, as a repository's `host_key` takes it.
    pub host_key: String,
}

impl SshServer {
    /// Starts a server whose files live in `dir/sshd`.
    pub fn start(dir: &Path) -> SshServer {
        assert!(
            Path::new(SSHD).is_file(),
            "{SSHD} is missing: scripts/lib/setup.sh installs openssh-server"
        );
        let dir = dir.join("sshd");
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let (key_file, client_key) = key_pair(&dir, "client");
        let authorized = dir.join("authorized_keys");
        std::fs::write(&authorized, format!("restrict {client_key}\n"))
            .unwrap_or_else(|e| panic!("{}: {e}", authorized.display()));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("no free loopback port: {e}"));
        let user = output("id", &["-un"]);
        let (host_key, child) = spawn(&dir, port, &user);
        SshServer {
            dir,
            port,
            user,
            child,
            key_file,
            host_key,
        }
    }

    /// `ssh://<user>@127.0.0.1:<port><repository>` (an absolute path).
    pub fn url(&self, repository: &Path) -> String {
        format!(
            "ssh://{}@127.0.0.1:{}{}",
            self.user,
            self.port,
            repository.display()
        )
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Restarts the server on the same port with a new host key, as after a reinstall (or
    /// as a machine in the middle would look).
    pub fn replace_host_key(&mut self) {
        stop(&mut self.child);
        for file in ["host_key", "host_key.pub"] {
            let path = self.dir.join(file);
            std::fs::remove_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
        let (host_key, child) = spawn(&self.dir, self.port, &self.user);
        self.host_key = host_key;
        self.child = child;
    }
}

impl Drop for SshServer {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// A new ed25519 key pair without a passphrase at `dir/name`: the private key file and the
/// public key line.
pub fn key_pair(dir: &Path, name: &str) -> (PathBuf, String) {
    let file = dir.join(name);
    let path = file.display().to_string();
    output(
        "ssh-keygen",
        &["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", &path],
    );
    let public = format!("{path}.pub");
    let line = std::fs::read_to_string(&public).unwrap_or_else(|e| panic!("{public}: {e}"));
    (file, line.trim().to_string())
}

/// Generates the host key, writes the configuration and starts sshd; returns once it accepts
/// connections.
fn spawn(dir: &Path, port: u16, user: &str) -> (String, Child) {
    let (host_key_file, host_key) = key_pair(dir, "host_key");
    let git_shell = std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join("git-shell"))
                .find(|file| file.is_file())
        })
        .unwrap_or_else(|| panic!("git-shell is not on PATH: scripts/lib/setup.sh installs git"));
    let config = dir.join("sshd_config");
    let text = format!(
        "ListenAddress 127.0.0.1:{port}\nHostKey {}\nPidFile {}\nAuthorizedKeysFile {}\n\
         AllowUsers {user}\nPermitRootLogin prohibit-password\nPubkeyAuthentication yes\n\
         PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n\
         AcceptEnv GIT_PROTOCOL\nLogLevel VERBOSE\n\
         ForceCommand {} -c \"$SSH_ORIGINAL_COMMAND\"\n",
        host_key_file.display(),
        dir.join("sshd.pid").display(),
        dir.join("authorized_keys").display(),
        git_shell.display(),
    );
    std::fs::write(&config, text).unwrap_or_else(|e| panic!("{}: {e}", config.display()));
    // Run as root, sshd separates privileges into this (empty) folder.
    if output("id", &["-u"]) == "0" {
        std::fs::create_dir_all("/run/sshd").unwrap_or_else(|e| panic!("/run/sshd: {e}"));
    }
    let log_file = dir.join("sshd.log");
    let log =
        std::fs::File::create(&log_file).unwrap_or_else(|e| panic!("{}: {e}", log_file.display()));
    let mut child = Command::new(SSHD)
        .args(["-D", "-e", "-f"])
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("{SSHD} does not start: {e}"));
    let deadline = Instant::now() + Duration::from_secs(10);
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    while std::net::TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
        let exited = child.try_wait().ok().flatten();
        if exited.is_some() || Instant::now() > deadline {
            stop(&mut child);
            panic!(
                "sshd did not start listening on port {port}: {}",
                std::fs::read_to_string(&log_file).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    (host_key, child)
}

fn stop(child: &mut Child) {
    // Best effort: the server may have exited already.
    let _ = child.kill();
    let _ = child.wait();
}

/// Runs `program ARGS`; see [`stdout_of`].
fn output(program: &str, args: &[&str]) -> String {
    stdout_of(Command::new(program).args(args))
}

/// Runs `command`, panicking with its message when it fails; the trimmed standard output.
fn stdout_of(command: &mut Command) -> String {
    let shown = format!("{command:?}");
    let out = command.stdin(Stdio::null()).output().unwrap_or_else(|e| {
        panic!("{shown} does not run ({e}): scripts/lib/setup.sh installs what tests need")
    });
    assert!(
        out.status.success(),
        "{shown}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
