//! ssh remotes. gix fetches them through the OpenSSH client, which it starts the way Git starts
//! `GIT_SSH_COMMAND`; the mirror's configuration — in memory only, never written to disk —
//! gives it a command that logs in with the repository's own key (no agent, no password, no
//! prompt, no user or system ssh configuration) and trusts only the repository's pinned host
//! key or known_hosts file. OpenSSH's own messages go to a log file of the source, read back
//! when a fetch fails to tell an unknown or changed host key and a refused key from the rest:
//! gix itself passes on only a few of them.

use std::io::Read;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::{GitError, Result};
use crate::source::{HostKey, Source, parse_url};

/// The folder of a source holding its known_hosts file and OpenSSH's log.
const SSH_DIR: &str = "ssh";
/// How much of OpenSSH's log is read back after a failure (a connection writes a few lines).
const MAX_LOG_BYTES: u64 = 64 * 1024;
/// The OpenSSH client settings every fetch runs with, whatever the user's configuration says.
const OPTIONS: [&str; 16] = [
    "BatchMode=yes",
    "IdentitiesOnly=yes",
    "IdentityAgent=none",
    "PreferredAuthentications=publickey",
    "PasswordAuthentication=no",
    "KbdInteractiveAuthentication=no",
    "StrictHostKeyChecking=yes",
    "UpdateHostKeys=no",
    "CheckHostIP=no",
    "GlobalKnownHostsFile=/dev/null",
    "ClearAllForwardings=yes",
    "ControlMaster=no",
    "ControlPath=none",
    "ConnectTimeout=30",
    "ServerAliveInterval=15",
    "ServerAliveCountMax=4",
];

/// The OpenSSH client as set up for the fetches of one sync.
pub(crate) struct Client {
    url: String,
    user: String,
    host: String,
    port: u16,
    key_file: PathBuf,
    /// What the host key was checked against, for messages.
    trusted: String,
    log: PathBuf,
}

/// Problems of the files an ssh source names, as `(field, message)` pairs: the key must be a
/// private key only its owner can read (OpenSSH ignores any other), the known_hosts file
/// readable.
pub fn ssh_file_problems(source: &Source) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(file) = &source.ssh_key_file
        && let Err(message) = check_key_file(file)
    {
        out.push(("ssh_key_file", format!("{}: {message}", file.display())));
    }
    if let Some(HostKey::KnownHostsFile(file)) = &source.host_key
        && let Err(e) = std::fs::File::open(file)
    {
        out.push((
            "known_hosts_file",
            format!("{}: cannot be read: {e}", file.display()),
        ));
    }
    out
}

fn check_key_file(file: &Path) -> std::result::Result<(), String> {
    let meta = std::fs::metadata(file).map_err(|e| format!("cannot be read: {e}"))?;
    if !meta.is_file() {
        return Err("not a file".to_string());
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "group or others may access it (mode {mode:04o}), and OpenSSH ignores such a key: \
             chmod 600 {}",
            file.display()
        ));
    }
    let mut head = Vec::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(64).read_to_end(&mut head))
        .map_err(|e| format!("cannot be read: {e}"))?;
    let first_line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    if first_line.starts_with(b"-----BEGIN ")
        && first_line.trim_ascii_end().ends_with(b"PRIVATE KEY-----")
    {
        Ok(())
    } else if first_line.starts_with(b"ssh-") || first_line.starts_with(b"ecdsa-") {
        Err("this is a public key: give the private key (the file without .pub)".to_string())
    } else {
        Err(
            "not a private key: expected a PEM block such as -----BEGIN OPENSSH PRIVATE \
             KEY----- (`ssh-keygen -t ed25519 -N '' -f FILE` makes one)"
                .to_string(),
        )
    }
}

impl Client {
    /// Points the in-memory configuration of `repo` at the OpenSSH client for `source`;
    /// `None` when its URL is not an ssh URL.
    pub(crate) fn attach(
        repo: &mut gix::Repository,
        source: &Source,
        source_dir: &Path,
    ) -> Result<Option<Client>> {
        let url = parse_url(&source.url)?;
        if url.scheme != gix::url::Scheme::Ssh {
            return Ok(None);
        }
        // `Source::check` refused an ssh URL without them already; this keeps it so.
        let (Some(key_file), Some(host_key)) = (&source.ssh_key_file, &source.host_key) else {
            return Err(GitError::InvalidSetting {
                field: "ssh_key_file",
                value: String::new(),
                message: "an ssh URL needs ssh_key_file and host_key or known_hosts_file"
                    .to_string(),
            });
        };
        if let Some((field, message)) = ssh_file_problems(source).into_iter().next() {
            return Err(GitError::SshFile { field, message });
        }
        if !ssh_installed() {
            return Err(GitError::Ssh {
                url: source.redacted_url(),
                message: "the OpenSSH client (ssh) is not installed on this server (Debian: \
                          apt-get install openssh-client)"
                    .to_string(),
            });
        }
        let host = url
            .host()
            .unwrap_or_default()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let port = url.port.unwrap_or(22);
        let dir = source_dir.join(SSH_DIR);
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|e| GitError::io(&dir, e))?;
        let (known_hosts, trusted) = match host_key {
            HostKey::Pinned(line) => {
                let file = dir.join("known_hosts");
                let entry = format!("{} {}\n", known_hosts_name(&host, port), key_of(line));
                std::fs::write(&file, entry).map_err(|e| GitError::io(&file, e))?;
                (file, "host_key".to_string())
            }
            HostKey::KnownHostsFile(file) => {
                (file.clone(), format!("known_hosts_file {}", file.display()))
            }
        };
        let log = dir.join("client.log");
        std::fs::File::create(&log).map_err(|e| GitError::io(&log, e))?;
        let command = command(key_file, &known_hosts, &log)?;
        let mut config = repo.config_snapshot_mut();
        config
            .append_config(
                [
                    format!("core.sshCommand={command}"),
                    "ssh.variant=ssh".into(),
                ],
                gix::config::Source::Api,
            )
            .map_err(|e| GitError::git("configuring the ssh client", e))?;
        config
            .commit()
            .map_err(|e| GitError::git("configuring the ssh client", e))?;
        Ok(Some(Client {
            url: source.redacted_url(),
            user: url.user().map_or_else(current_user, str::to_string),
            host,
            port,
            key_file: key_file.clone(),
            trusted,
            log,
        }))
    }

    /// The failure `e` of a fetch as OpenSSH explains it, when it does.
    pub(crate) fn explain(&self, e: GitError) -> GitError {
        if !matches!(e, GitError::Git { .. }) {
            return e;
        }
        let mut text = Vec::new();
        // An unreadable log leaves the error as gix reported it.
        let _ = std::fs::File::open(&self.log)
            .and_then(|f| f.take(MAX_LOG_BYTES).read_to_end(&mut text));
        let log = String::from_utf8_lossy(&text);
        if log.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") {
            GitError::HostKeyChanged {
                url: self.url.clone(),
                host: self.host.clone(),
                port: self.port,
                trusted: self.trusted.clone(),
                offered: fingerprint(&log).unwrap_or("another key").to_string(),
            }
        } else if log.contains("host key is known for")
            || log.contains("Host key verification failed")
        {
            GitError::HostKeyUnknown {
                url: self.url.clone(),
                host: self.host.clone(),
                port: self.port,
                trusted: self.trusted.clone(),
            }
        } else if log.contains("Permission denied") {
            GitError::SshKeyRefused {
                url: self.url.clone(),
                user: self.user.clone(),
                key_file: self.key_file.clone(),
            }
        } else if let Some(last) = log.lines().rev().find(|l| !l.trim().is_empty()) {
            GitError::Ssh {
                url: self.url.clone(),
                // OpenSSH starts its own lines with "ssh: "; the message has that prefix already.
                message: format!("{} ({e})", last.trim().trim_start_matches("ssh: ")),
            }
        } else {
            e
        }
    }
}

/// Whether `ssh` is on the PATH gix starts it from.
fn ssh_installed() -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join("ssh").is_file()))
}

/// The host as known_hosts names it: `host` on port 22, `[host]:port` on any other.
fn known_hosts_name(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_string()
    } else {
        format!("[{host}]:{port}")
    }
}

/// `TYPE BASE64` of a checked public key line, without its comment.
fn key_of(line: &str) -> String {
    line.split_ascii_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `SHA256:…` fingerprint OpenSSH logged for the key the server presented.
fn fingerprint(log: &str) -> Option<&str> {
    log.split_ascii_whitespace()
        .find(|w| w.starts_with("SHA256:"))
        .map(|w| w.trim_end_matches('.'))
}

/// The login OpenSSH uses when the URL names none.
fn current_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "the current user".to_string())
}

/// The command line gix hands to `sh -c '… "$@"'` with the host and the remote command.
fn command(key_file: &Path, known_hosts: &Path, log: &Path) -> Result<String> {
    let mut command = String::from("ssh -F /dev/null");
    for option in OPTIONS {
        command.push_str(" -o ");
        command.push_str(option);
    }
    let files = [
        ("IdentityFile", key_file),
        ("UserKnownHostsFile", known_hosts),
    ];
    for (option, file) in files {
        let value = format!("{option}={}", config_path(file)?);
        command.push_str(" -o ");
        command.push_str(&shell_quoted(&value));
    }
    command.push_str(" -E ");
    command.push_str(&shell_quoted(absolute(log)?.as_str()));
    Ok(command)
}

/// `path` as an absolute UTF-8 string.
fn absolute(path: &Path) -> Result<String> {
    let full = std::path::absolute(path).map_err(|e| GitError::io(path, e))?;
    full.to_str().map(str::to_string).ok_or_else(|| {
        GitError::io(
            path,
            std::io::Error::other("the ssh client takes UTF-8 paths only"),
        )
    })
}

/// `path` as an OpenSSH option value: double-quoted (a space would split the list of files)
/// with `%` doubled (OpenSSH expands `%h`, `%u`… in file names).
fn config_path(path: &Path) -> Result<String> {
    let text = absolute(path)?;
    if text.contains('"') || text.chars().any(char::is_control) {
        return Err(GitError::io(
            path,
            std::io::Error::other(
                "the ssh client cannot take a path with '\"' or control characters",
            ),
        ));
    }
    Ok(format!("\"{}\"", text.replace('%', "%%")))
}

/// `text` as one word for `sh`.
fn shell_quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_quotes_every_path_for_the_shell_and_for_openssh() {
        let line = command(
            Path::new("/srv/unet/it's a key"),
            Path::new("/srv/unet/100%/known_hosts"),
            Path::new("/srv/unet/client.log"),
        )
        .unwrap();
        assert!(
            line.starts_with("ssh -F /dev/null -o BatchMode=yes"),
            "{line}"
        );
        assert!(
            line.contains(r#" -o 'IdentityFile="/srv/unet/it'\''s a key"'"#),
            "{line}"
        );
        assert!(
            line.contains(r#" -o 'UserKnownHostsFile="/srv/unet/100%%/known_hosts"'"#),
            "{line}"
        );
        assert!(line.ends_with(" -E '/srv/unet/client.log'"), "{line}");
        assert!(command(Path::new("/a\"b"), Path::new("/k"), Path::new("/l")).is_err());
    }

    #[test]
    fn known_hosts_entries_name_the_port_unless_it_is_22() {
        assert_eq!(known_hosts_name("git.example.net", 22), "git.example.net");
        assert_eq!(known_hosts_name("127.0.0.1", 2222), "[127.0.0.1]:2222");
        assert_eq!(
            key_of("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0x deploy key"),
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0x"
        );
        let log = "The fingerprint for the ED25519 key sent by the remote host is\n\
                   SHA256:abcDEF123+/x.\nPlease contact your system administrator.\n";
        assert_eq!(fingerprint(log), Some("SHA256:abcDEF123+/x"));
    }
}
