//! What to sync: a repository's name, URL, the revision wanted, the folder inside it and how to
//! reach it. The checks here run both when the configuration is read and before every sync, so
//! a bad value can never reach a path, a known_hosts file or a fetch.

use std::path::{Component, Path, PathBuf};

use crate::error::{GitError, Result};

/// Longest repository name (it becomes a folder name).
const MAX_NAME_CHARS: usize = 64;
/// Longest branch name accepted.
const MAX_BRANCH_CHARS: usize = 255;
/// Host key types OpenSSH accepts.
const HOST_KEY_TYPES: [&str; 7] = [
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-rsa",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
];

/// The revision a repository is synced to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    /// The head of this branch, followed as it moves.
    Branch(String),
    /// This commit (40 hexadecimal digits), never moving.
    Commit(String),
}

/// One repository to keep in sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// A slug: lowercase letters, digits, `-` and `_`; the folder under the sync root.
    pub name: String,
    /// An https or ssh URL (`ssh://` or `user@host:path`), a local path or a `file://` URL.
    pub url: String,
    pub wanted: Wanted,
    /// The folder of the revision that is checked out (`.` for all of it).
    pub path: PathBuf,
    /// PEM certificates trusted for an https URL besides the system store (an internal CA).
    pub ca_file: Option<PathBuf>,
    /// The login for an https URL, sent only when the Git server asks for one.
    pub credentials: Option<Credentials>,
    /// The private key an ssh URL logs in with (a deploy key, without a passphrase).
    pub ssh_key_file: Option<PathBuf>,
    /// Whom an ssh URL trusts to be the server.
    pub host_key: Option<HostKey>,
}

/// The host key an ssh server must present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKey {
    /// One public key, `TYPE BASE64` as `ssh-keyscan` prints it after the host name.
    Pinned(String),
    /// An OpenSSH known_hosts file naming the host.
    KnownHostsFile(PathBuf),
}

impl HostKey {
    /// The setting it comes from.
    pub fn field(&self) -> &'static str {
        match self {
            HostKey::Pinned(_) => "host_key",
            HostKey::KnownHostsFile(_) => "known_hosts_file",
        }
    }
}

/// A user name and a password or access token for an https repository. `Debug` shows the
/// user name only.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"***")
            .finish()
    }
}

impl Source {
    /// Every problem of this source, as `(field, message)` pairs.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Err(e) = check_name(&self.name) {
            out.push(("name", e));
        }
        if let Err(e) = check_url(&self.url) {
            out.push(("url", e.to_string()));
        }
        match &self.wanted {
            Wanted::Branch(branch) => {
                if let Err(e) = check_branch(branch) {
                    out.push(("branch", e));
                }
            }
            Wanted::Commit(commit) => {
                if let Err(e) = check_commit(commit) {
                    out.push(("commit", e));
                }
            }
        }
        if let Err(e) = check_subfolder(&self.path) {
            out.push(("path", e));
        }
        let scheme = parse_url(&self.url).ok().map(|u| u.scheme);
        let https = scheme == Some(gix::url::Scheme::Https);
        if scheme == Some(gix::url::Scheme::Ssh) {
            out.extend(self.ssh_problems());
        } else {
            if self.ssh_key_file.is_some() {
                out.push((
                    "ssh_key_file",
                    "a key file is used only with an ssh URL".to_string(),
                ));
            }
            if let Some(host_key) = &self.host_key {
                out.push((
                    host_key.field(),
                    "a host key is used only with an ssh URL".to_string(),
                ));
            }
        }
        if self.ca_file.is_some() && !https {
            out.push((
                "ca_file",
                "a CA file is used only with an https URL".to_string(),
            ));
        }
        match &self.credentials {
            Some(_) if !https => out.push((
                "username",
                "a login is used only with an https URL".to_string(),
            )),
            Some(c) if c.username.is_empty() || c.username.contains(':') => out.push((
                "username",
                "expected a non-empty user name without ':'".to_string(),
            )),
            _ => {}
        }
        out
    }

    /// An ssh URL needs a key and a host key to trust; both are the repository's own.
    fn ssh_problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if self.ssh_key_file.is_none() {
            out.push((
                "ssh_key_file",
                "missing: the private key file an ssh URL logs in with (a deploy key)".to_string(),
            ));
        }
        match &self.host_key {
            None => out.push((
                "host_key",
                "missing: the server's public host key (host_key) or a known_hosts_file naming \
                 it; `ssh-keyscan HOST` prints it"
                    .to_string(),
            )),
            Some(HostKey::Pinned(line)) => {
                if let Err(e) = check_host_key(line) {
                    out.push(("host_key", e));
                }
            }
            Some(HostKey::KnownHostsFile(_)) => {}
        }
        out
    }

    /// Fails with the first problem of [`Source::problems`].
    pub fn check(&self) -> Result<()> {
        match self.problems().into_iter().next() {
            None => Ok(()),
            Some((field, message)) => Err(GitError::InvalidSetting {
                field,
                value: match field {
                    "name" => self.name.clone(),
                    "url" => redact_url(&self.url),
                    "path" => self.path.display().to_string(),
                    "ca_file" => self
                        .ca_file
                        .as_ref()
                        .map(|f| f.display().to_string())
                        .unwrap_or_default(),
                    "username" => self
                        .credentials
                        .as_ref()
                        .map(|c| c.username.clone())
                        .unwrap_or_default(),
                    "ssh_key_file" => self
                        .ssh_key_file
                        .as_ref()
                        .map(|f| f.display().to_string())
                        .unwrap_or_default(),
                    "host_key" | "known_hosts_file" => match &self.host_key {
                        Some(HostKey::Pinned(line)) => line.clone(),
                        Some(HostKey::KnownHostsFile(f)) => f.display().to_string(),
                        None => String::new(),
                    },
                    _ => match &self.wanted {
                        Wanted::Branch(b) => b.clone(),
                        Wanted::Commit(c) => c.clone(),
                    },
                },
                message,
            }),
        }
    }

    /// The URL with any password replaced by `***`, for logs and status.
    pub fn redacted_url(&self) -> String {
        redact_url(&self.url)
    }
}

pub(crate) fn check_name(name: &str) -> Result<(), String> {
    let slug = !name.is_empty()
        && name.chars().count() <= MAX_NAME_CHARS
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && !name.starts_with(['-', '_']);
    if slug {
        Ok(())
    } else {
        Err(format!(
            "expected a slug of at most {MAX_NAME_CHARS} characters: lowercase letters, digits, \
             '-' and '_', starting with a letter or digit"
        ))
    }
}

/// A branch name as Git accepts it, minus the rarely used characters.
pub(crate) fn check_branch(branch: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/');
    let ok = !branch.is_empty()
        && branch.len() <= MAX_BRANCH_CHARS
        && branch.chars().all(allowed)
        && !branch.starts_with(['-', '/', '.'])
        && !branch.ends_with(['/', '.'])
        && !branch.ends_with(".lock")
        && !branch.contains("..")
        && !branch.contains("//")
        && !branch.contains("/.");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "expected a branch name of at most {MAX_BRANCH_CHARS} characters from letters, \
             digits, '-', '_', '.' and '/' (no '..', no leading '-', '/' or '.')"
        ))
    }
}

pub(crate) fn check_commit(commit: &str) -> Result<(), String> {
    if commit.len() == 40 && commit.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err("expected a full commit id: 40 hexadecimal digits".to_string())
    }
}

/// One public key line as a known_hosts entry carries it after the host name: a key type
/// OpenSSH knows, the base64 key, and an optional comment. Nothing else can get through to the
/// known_hosts file written from it (a line break would add entries of its own).
pub(crate) fn check_host_key(line: &str) -> Result<(), String> {
    let mut parts = line.split_ascii_whitespace();
    let well_formed = match (parts.next(), parts.next()) {
        (Some(kind), Some(key)) => {
            HOST_KEY_TYPES.contains(&kind)
                && key.len() >= 16
                && key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        }
        _ => false,
    };
    if well_formed && !line.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(format!(
            "expected one public key line such as \"ssh-ed25519 AAAAC3Nza…\": a key type ({}) \
             and the base64 key, as `ssh-keyscan HOST` prints them after the host name",
            HOST_KEY_TYPES.join(", ")
        ))
    }
}

/// A relative folder that stays inside the repository.
pub(crate) fn check_subfolder(path: &Path) -> Result<(), String> {
    let inside = path
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
        && !path
            .components()
            .any(|c| c.as_os_str().eq_ignore_ascii_case(".git"));
    if inside && path.to_str().is_some() {
        Ok(())
    } else {
        Err(
            "expected a relative folder inside the repository (no '..', no absolute path, no .git)"
                .to_string(),
        )
    }
}

/// Accepts https URLs without credentials, ssh URLs without a password, local paths and
/// `file://` URLs; names the transport of anything else.
pub(crate) fn check_url(url: &str) -> Result<()> {
    let parsed = parse_url(url)?;
    match parsed.scheme {
        gix::url::Scheme::File => Ok(()),
        gix::url::Scheme::Https if parsed.user().is_some() || parsed.password().is_some() => {
            Err(GitError::InvalidUrl {
                url: redact_url(url),
                message: "credentials in the URL are not sent (they would sit in the \
                          configuration and in logs); give the repository a username and a \
                          password_file instead"
                    .to_string(),
            })
        }
        gix::url::Scheme::Https => Ok(()),
        gix::url::Scheme::Ssh if parsed.password().is_some() => Err(GitError::InvalidUrl {
            url: redact_url(url),
            message: "a password in the URL is never sent: ssh logs in with the repository's \
                      ssh_key_file"
                .to_string(),
        }),
        // gix refuses such a host too, but only when it connects.
        gix::url::Scheme::Ssh if parsed.host_argument_safe().is_none() => {
            Err(GitError::InvalidUrl {
                url: redact_url(url),
                message: "expected a host name (not starting with '-')".to_string(),
            })
        }
        gix::url::Scheme::Ssh => Ok(()),
        other => Err(GitError::UnsupportedScheme {
            url: redact_url(url),
            scheme: other.as_str().to_string(),
        }),
    }
}

pub(crate) fn parse_url(url: &str) -> Result<gix::Url> {
    if url.trim().is_empty() {
        return Err(GitError::InvalidUrl {
            url: String::new(),
            message: "the URL is empty".to_string(),
        });
    }
    gix::url::parse(gix::bstr::BStr::new(url.as_bytes())).map_err(|e| GitError::InvalidUrl {
        url: redact_url(url),
        message: e.to_string(),
    })
}

/// Hides the credentials of `scheme://user:password@host/…` (the password) or
/// `scheme://token@host/…` (all of it: a lone user part of an https URL is usually a token;
/// that of an ssh URL, `git@`, is the login name and stays).
pub(crate) fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let (head, rest) = url.split_at(scheme_end);
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rfind('@') {
        Some(at) => {
            let (user_info, host) = authority.split_at(at);
            match user_info.split_once(':') {
                Some((user, _)) => format!("{head}{user}:***{host}{tail}"),
                None if head == "ssh://" => url.to_string(),
                None => format!("{head}***{host}{tail}"),
            }
        }
        None => url.to_string(),
    }
}

/// `.` for the whole revision, else the folder with `./` and trailing `/` removed.
pub(crate) fn normalized(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(url: &str) -> Source {
        Source {
            name: "rules".into(),
            url: url.into(),
            wanted: Wanted::Branch("main".into()),
            path: ".".into(),
            ca_file: None,
            credentials: None,
            ssh_key_file: None,
            host_key: None,
        }
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("https://ops:s3cret@git.example.net/net/rules.git"),
            "https://ops:***@git.example.net/net/rules.git"
        );
        assert_eq!(
            redact_url("https://git.example.net/a@b"),
            "https://git.example.net/a@b"
        );
        assert_eq!(redact_url("/srv/git/rules"), "/srv/git/rules");
        assert_eq!(
            redact_url("https://ghp_t0ken@github.com/net/rules.git"),
            "https://***@github.com/net/rules.git"
        );
        let err = check_url("https://ghp_t0ken@github.com/net/rules.git").unwrap_err();
        assert!(!err.to_string().contains("t0ken"), "{err}");
    }

    #[test]
    fn https_and_local_transports_are_accepted_without_credentials() {
        assert!(check_url("/srv/git/rules").is_ok());
        assert!(check_url("file:///srv/git/rules").is_ok());
        assert!(check_url("https://git.example.net/net/rules.git").is_ok());
        let err = check_url("https://ops:pw@git.example.net/rules.git").unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("credentials in the URL are not sent"),
            "{text}"
        );
        assert!(!text.contains("pw@"), "{text}");
        let err = check_url("http://git.example.net/rules.git").unwrap_err();
        assert!(
            err.to_string().contains("http transport is not accepted"),
            "{err}"
        );
        assert!(check_url("git://git.example.net/rules.git").is_err());
        assert!(check_url("").is_err());
    }

    #[test]
    fn settings_are_checked() {
        assert!(source("/x").problems().is_empty());
        let mut bad = source("/x");
        bad.name = "Rules!".into();
        bad.wanted = Wanted::Branch("../main".into());
        bad.path = "../outside".into();
        bad.ca_file = Some("/etc/unet/ca.pem".into());
        let fields: Vec<_> = bad.problems().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["name", "branch", "path", "ca_file"]);
        let mut https = source("https://git.example.net/rules.git");
        https.ca_file = Some("/etc/unet/ca.pem".into());
        https.credentials = Some(Credentials {
            username: "unet".into(),
            password: "s3cret".into(),
        });
        assert!(https.problems().is_empty());
        assert!(!format!("{https:?}").contains("s3cret"));
        let mut local = source("/x");
        local.credentials = https.credentials.clone();
        assert_eq!(local.problems()[0].0, "username");
        local.credentials = None;
        local.ssh_key_file = Some("/etc/unet/git-key".into());
        local.host_key = Some(HostKey::KnownHostsFile("/etc/unet/known_hosts".into()));
        let fields: Vec<_> = local.problems().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["ssh_key_file", "known_hosts_file"]);
        assert!(check_commit("0123456789abcdef0123456789abcdef01234567").is_ok());
        assert!(check_commit("0123456").is_err());
        assert!(check_subfolder(Path::new("/etc")).is_err());
        assert!(check_subfolder(Path::new("sub/.git")).is_err());
        assert!(check_branch("release/2026.1").is_ok());
        assert!(check_branch("x.lock").is_err());
        assert_eq!(normalized(Path::new("./a/b/")), PathBuf::from("a/b"));
        assert_eq!(normalized(Path::new(".")), PathBuf::new());
    }

    #[test]
    fn ssh_urls_need_a_key_and_a_host_key_and_no_password() {
        assert!(check_url("git@git.example.net:net/rules.git").is_ok());
        assert!(check_url("ssh://git@git.example.net:2222/net/rules.git").is_ok());
        let err = check_url("ssh://git:pw@git.example.net/rules.git").unwrap_err();
        assert!(err.to_string().contains("password in the URL"), "{err}");
        assert!(!err.to_string().contains("pw@"), "{err}");
        assert!(check_url("ssh://-oProxyCommand=x/rules.git").is_err());
        assert_eq!(
            redact_url("ssh://git@git.example.net/rules.git"),
            "ssh://git@git.example.net/rules.git"
        );

        let mut ssh = source("git@git.example.net:net/rules.git");
        let fields: Vec<_> = ssh.problems().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["ssh_key_file", "host_key"]);
        ssh.ssh_key_file = Some("/etc/unet/git-key".into());
        ssh.host_key = Some(HostKey::Pinned(
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0x deploy".into(),
        ));
        assert!(ssh.problems().is_empty(), "{:?}", ssh.problems());
        ssh.ca_file = Some("/etc/unet/ca.pem".into());
        assert_eq!(ssh.problems()[0].0, "ca_file");
        ssh.ca_file = None;
        for bad in [
            "[git.example.net]:22 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0x",
            "ssh-ed25519",
            "ssh-dss AAAAB3NzaC1kc3MAAACBAP",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0x\n@cert-authority * ssh-ed25519 AAAA",
            "ssh-ed25519 AAAA$(reboot)AAAAAAAAAA",
        ] {
            ssh.host_key = Some(HostKey::Pinned(bad.into()));
            let problems = ssh.problems();
            assert_eq!(problems.len(), 1, "{bad:?}: {problems:?}");
            assert_eq!(problems[0].0, "host_key");
            assert!(problems[0].1.contains("ssh-keyscan"), "{problems:?}");
        }
        let err = ssh.check().unwrap_err();
        assert!(err.to_string().starts_with("invalid host_key"), "{err}");
    }
}
