//! `[git]` and `[[git.repositories]]`: where policies and templates come from. Each repository
//! table is read by its own [`Reader`], so a typo inside one is reported with its index
//! (`git.repositories[1].brnach: unknown key`) like every other unknown key.

use std::fmt;
use std::time::Duration;

use toml::{Table, Value};
use unet_git::{Credentials, HostKey, Source, Wanted};

use super::reader::Reader;

/// What the files of a repository are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// Rule files: the policy engine reads them from the live checkout.
    Policies,
    /// Template files.
    Templates,
}

impl Content {
    pub fn as_str(self) -> &'static str {
        match self {
            Content::Policies => "policies",
            Content::Templates => "templates",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitRepository {
    pub source: Source,
    pub content: Content,
}

/// The shared secret of the webhook, kept out of `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(pub String);

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(***)")
    }
}

/// `[git]`: how often to sync (`"0s"`: only at start, on demand and by webhook), the webhook
/// secret (no secret, no webhook) and the repositories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitSection {
    pub interval: Duration,
    pub webhook_secret: Option<WebhookSecret>,
    pub repositories: Vec<GitRepository>,
}

impl Default for GitSection {
    fn default() -> Self {
        GitSection {
            interval: Duration::from_secs(5 * 60),
            webhook_secret: None,
            repositories: Vec::new(),
        }
    }
}

impl GitSection {
    /// The repository whose rule files the policy engine reads, if one is configured.
    pub fn policies_repository(&self) -> Option<&GitRepository> {
        self.repositories
            .iter()
            .find(|r| r.content == Content::Policies)
    }

    /// The repository that holds templates, if one does (at most one may).
    pub fn templates_repository(&self) -> Option<&GitRepository> {
        self.repositories
            .iter()
            .find(|r| r.content == Content::Templates)
    }
}

/// Takes `[[git.repositories]]` out of the document before the flat reader sees it.
pub(super) fn detach_repositories(doc: &mut Table) -> Option<Value> {
    doc.get_mut("git")?.as_table_mut()?.remove("repositories")
}

pub(super) fn git_section(r: &mut Reader, repositories: Option<Value>) -> GitSection {
    let default = GitSection::default();
    let interval = r.duration(
        "git.interval",
        default.interval,
        Duration::ZERO,
        Duration::from_secs(7 * 24 * 3600),
    );
    let webhook_secret = r
        .opt_path("git.webhook_secret_file")
        .as_ref()
        .and_then(|file| super::read_secret(r, "git.webhook_secret_file", file))
        .map(WebhookSecret);
    let tables = match repositories {
        None => Vec::new(),
        Some(Value::Array(items)) => items,
        Some(other) => {
            r.problem(
                "git.repositories",
                format!("expected [[git.repositories]] tables, got {other}"),
            );
            Vec::new()
        }
    };
    let mut out: Vec<GitRepository> = Vec::new();
    for (i, item) in tables.into_iter().enumerate() {
        let key = format!("git.repositories[{i}]");
        let Value::Table(table) = item else {
            r.problem(&key, "expected a table with name, url, content");
            continue;
        };
        if let Some(repository) = repository(r, &key, table) {
            if out.iter().any(|o| o.source.name == repository.source.name) {
                r.problem(
                    &format!("{key}.name"),
                    format!("{:?} is used by another repository", repository.source.name),
                );
            } else if out.iter().any(|o| o.content == repository.content) {
                r.problem(
                    &format!("{key}.content"),
                    format!(
                        "only one repository may hold {} (the server reads one folder of them)",
                        repository.content.as_str()
                    ),
                );
            } else {
                out.push(repository);
            }
        }
    }
    GitSection {
        interval,
        webhook_secret,
        repositories: out,
    }
}

/// One `[[git.repositories]]` table; problems go to `outer` under `key`.
fn repository(outer: &mut Reader, key: &str, table: Table) -> Option<GitRepository> {
    let mut doc = Table::new();
    doc.insert(key.to_string(), Value::Table(table));
    let mut r = Reader::new(doc);
    let field = |name: &str| format!("{key}.{name}");
    let name = r.opt_string(&field("name"));
    let url = r.opt_string(&field("url"));
    let branch = r.opt_string(&field("branch"));
    let commit = r.opt_string(&field("commit"));
    let content = r.opt_string(&field("content"));
    let path = r.path(&field("path"), ".");
    let ca_file = r.opt_path(&field("ca_file"));
    let username = r.opt_string(&field("username"));
    let password_file = r.opt_path(&field("password_file"));
    let password = password_file
        .as_ref()
        .and_then(|file| super::read_secret(&mut r, &field("password_file"), file));
    let ssh_key_file = r.opt_path(&field("ssh_key_file"));
    let pinned_host_key = r.opt_string(&field("host_key"));
    let known_hosts_file = r.opt_path(&field("known_hosts_file"));
    let mut problems = r.finish();
    let mut require = |value: Option<String>, name: &str, what: &str| {
        if value.is_none() {
            problems.push(super::Problem::new(field(name), format!("missing: {what}")));
        }
        value
    };
    let name = require(name, "name", "a slug naming the repository");
    let url = require(
        url,
        "url",
        "an https or ssh URL, a local path or a file:// URL",
    );
    let content = match require(content, "content", "\"policies\" or \"templates\"").as_deref() {
        Some("policies") => Some(Content::Policies),
        Some("templates") => Some(Content::Templates),
        Some(other) => {
            problems.push(super::Problem::new(
                field("content"),
                format!("expected one of policies, templates, got {other:?}"),
            ));
            None
        }
        None => None,
    };
    let wanted = match (branch, commit) {
        (Some(_), Some(_)) => {
            problems.push(super::Problem::new(
                field("commit"),
                "give either branch or commit, not both",
            ));
            None
        }
        (None, Some(commit)) => Some(Wanted::Commit(commit.to_ascii_lowercase())),
        (branch, None) => Some(Wanted::Branch(branch.unwrap_or_else(|| "main".into()))),
    };
    let credentials = match (username, password_file) {
        (None, None) => None,
        // An unreadable or empty file is already a problem of its own.
        (Some(username), Some(_)) => password.map(|password| Credentials { username, password }),
        (Some(_), None) => {
            problems.push(super::Problem::new(
                field("password_file"),
                "missing: a file whose first line is the password or access token for username",
            ));
            None
        }
        (None, Some(_)) => {
            problems.push(super::Problem::new(
                field("username"),
                "missing: the user name that goes with password_file",
            ));
            None
        }
    };
    let host_key = match (pinned_host_key, known_hosts_file) {
        (Some(line), Some(_)) => {
            problems.push(super::Problem::new(
                field("known_hosts_file"),
                "give either host_key or known_hosts_file, not both",
            ));
            Some(HostKey::Pinned(line))
        }
        (Some(line), None) => Some(HostKey::Pinned(line)),
        (None, Some(file)) => Some(HostKey::KnownHostsFile(file)),
        (None, None) => None,
    };
    let source = match (name, url, wanted) {
        (Some(name), Some(url), Some(wanted)) => {
            let source = Source {
                name,
                url,
                wanted,
                path,
                ca_file,
                credentials,
                ssh_key_file,
                host_key,
            };
            let mut fields = Vec::new();
            for (name, message) in source.problems() {
                fields.push(name);
                problems.push(super::Problem::new(field(name), message));
            }
            // The files only when the settings naming them make sense.
            for (name, message) in unet_git::ssh_file_problems(&source) {
                if !fields.contains(&name) {
                    problems.push(super::Problem::new(field(name), message));
                }
            }
            if let Some(Err(e)) = source.ca_file.as_deref().map(unet_git::check_ca_file) {
                problems.push(super::Problem::new(field("ca_file"), e.to_string()));
            }
            Some(source)
        }
        _ => None,
    };
    let result = match (source, content) {
        (Some(source), Some(content)) => Some(GitRepository { source, content }),
        _ => None,
    };
    let clean = problems.is_empty();
    for p in problems {
        outer.problem(&p.key, p.message);
    }
    result.filter(|_| clean)
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use super::*;
    use std::path::PathBuf;

    fn load(text: &str) -> Result<Config, super::super::ConfigErrors> {
        Config::from_toml(text, None, Vec::new())
    }

    #[test]
    fn repositories_are_read() {
        let c = load(
            r#"
            [git]
            interval = "1m"
            [[git.repositories]]
            name = "rules"
            url = "/srv/git/rules"
            content = "policies"
            path = "policies"
            [[git.repositories]]
            name = "templates"
            url = "file:///srv/git/templates"
            commit = "0123456789ABCDEF0123456789abcdef01234567"
            content = "templates"
            "#,
        )
        .unwrap();
        assert_eq!(c.git.interval, Duration::from_secs(60));
        assert_eq!(c.git.repositories.len(), 2);
        let rules = c.git.policies_repository().unwrap();
        assert_eq!(rules.source.wanted, Wanted::Branch("main".into()));
        assert_eq!(rules.source.path, PathBuf::from("policies"));
        assert_eq!(
            c.git.repositories[1].source.wanted,
            Wanted::Commit("0123456789abcdef0123456789abcdef01234567".into())
        );
        assert!(load("").unwrap().git.repositories.is_empty());
    }

    #[test]
    fn an_https_repository_may_name_a_readable_ca_file() {
        let dir = tempfile::tempdir().unwrap();
        let text = |ca: &std::path::Path| {
            format!(
                "[[git.repositories]]\nname = \"rules\"\n\
                 url = \"https://git.example.net/rules.git\"\ncontent = \"policies\"\n\
                 ca_file = {:?}\n",
                ca.display().to_string()
            )
        };
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        let err = load(&text(&empty)).unwrap_err();
        let problem = err
            .problems
            .iter()
            .find(|p| p.key == "git.repositories[0].ca_file")
            .expect("a ca_file problem");
        assert!(
            problem.message.contains("no PEM certificate"),
            "{problem:?}"
        );
    }

    #[test]
    fn a_login_is_a_username_and_a_password_file_read_at_load() {
        let dir = tempfile::tempdir().unwrap();
        let token = dir.path().join("token");
        std::fs::write(&token, "s3cret\n").unwrap();
        let repository = |extra: &str| {
            format!(
                "[[git.repositories]]\nname = \"rules\"\n\
                 url = \"https://git.example.net/rules.git\"\ncontent = \"policies\"\n{extra}"
            )
        };
        let file = format!("password_file = {:?}\n", token.display().to_string());
        let c = load(&repository(&format!("username = \"unet\"\n{file}"))).unwrap();
        let login = c.git.repositories[0].source.credentials.clone().unwrap();
        assert_eq!(
            (login.username.as_str(), login.password.as_str()),
            ("unet", "s3cret")
        );
        assert!(!format!("{c:?}").contains("s3cret"), "Debug never shows it");

        let keys = |text: String| -> Vec<String> {
            load(&text)
                .unwrap_err()
                .problems
                .into_iter()
                .map(|p| p.key)
                .collect()
        };
        assert_eq!(
            keys(repository("username = \"unet\"\n")),
            ["git.repositories[0].password_file"]
        );
        assert_eq!(keys(repository(&file)), ["git.repositories[0].username"]);
        let missing = "username = \"unet\"\npassword_file = \"/nonexistent/token\"\n";
        assert_eq!(
            keys(repository(missing)),
            ["git.repositories[0].password_file"]
        );
    }

    #[test]
    fn an_ssh_repository_names_its_key_and_the_host_key_it_trusts() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("deploy-key");
        std::fs::write(
            &key,
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n",
        )
        .unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        let host_key =
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
        let repository = |extra: &str| {
            format!(
                "[[git.repositories]]\nname = \"rules\"\n\
                 url = \"git@git.example.net:net/rules.git\"\ncontent = \"policies\"\n{extra}"
            )
        };
        let key_line = format!("ssh_key_file = {:?}\n", key.display().to_string());
        let c = load(&repository(&format!("{key_line}host_key = {host_key:?}\n"))).unwrap();
        let source = &c.git.repositories[0].source;
        assert_eq!(source.ssh_key_file.as_deref(), Some(key.as_path()));
        assert_eq!(source.host_key, Some(HostKey::Pinned(host_key.into())));

        let problems = |text: String| -> Vec<(String, String)> {
            load(&text)
                .unwrap_err()
                .problems
                .into_iter()
                .map(|p| (p.key, p.message))
                .collect()
        };
        let keys =
            |text: String| -> Vec<String> { problems(text).into_iter().map(|(k, _)| k).collect() };
        assert_eq!(
            keys(repository("")),
            [
                "git.repositories[0].ssh_key_file",
                "git.repositories[0].host_key"
            ]
        );
        let known_hosts = dir.path().join("known_hosts");
        std::fs::write(&known_hosts, "").unwrap();
        let both = format!(
            "{key_line}host_key = {host_key:?}\nknown_hosts_file = {:?}\n",
            known_hosts.display().to_string()
        );
        assert_eq!(
            keys(repository(&both)),
            ["git.repositories[0].known_hosts_file"]
        );
        let missing_file = format!("{key_line}known_hosts_file = \"/nonexistent/known_hosts\"\n");
        assert_eq!(
            keys(repository(&missing_file)),
            ["git.repositories[0].known_hosts_file"]
        );
        assert_eq!(
            keys(repository(&format!("{key_line}host_key = \"AAAA\"\n"))),
            ["git.repositories[0].host_key"]
        );

        // A key others may read is refused at load, as OpenSSH would ignore it.
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let found = problems(repository(&format!("{key_line}host_key = {host_key:?}\n")));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "git.repositories[0].ssh_key_file");
        assert!(found[0].1.contains("chmod 600"), "{found:?}");
        assert!(
            !found[0].1.contains("b3BlbnNz"),
            "no key material: {found:?}"
        );

        // ssh settings on an https URL, a login on an ssh URL.
        let https = format!(
            "[[git.repositories]]\nname = \"rules\"\nurl = \"https://git.example.net/r.git\"\n\
             content = \"policies\"\n{key_line}host_key = {host_key:?}\n"
        );
        assert_eq!(
            keys(https),
            [
                "git.repositories[0].ssh_key_file",
                "git.repositories[0].host_key"
            ]
        );
        let token = dir.path().join("token");
        std::fs::write(&token, "s3cret\n").unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        let login = format!(
            "{key_line}host_key = {host_key:?}\nusername = \"git\"\npassword_file = {:?}\n",
            token.display().to_string()
        );
        assert_eq!(keys(repository(&login)), ["git.repositories[0].username"]);
    }

    #[test]
    fn every_problem_names_its_repository_and_key() {
        let err = load(
            r#"
            [git]
            interval = "soon"
            webhook_secret_file = "/nonexistent/secret"
            [[git.repositories]]
            name = "Rules"
            url = "git://git.example.net/rules.git"
            content = "policies"
            brnach = "main"
            ca_file = "/nonexistent/ca.pem"
            [[git.repositories]]
            name = "b"
            url = "/x"
            branch = "main"
            commit = "0123456789abcdef0123456789abcdef01234567"
            content = "configs"
            [[git.repositories]]
            url = "/y"
            content = "policies"
            "#,
        )
        .unwrap_err();
        let keys: Vec<_> = err.problems.iter().map(|p| p.key.as_str()).collect();
        for key in [
            "git.interval",
            "git.webhook_secret_file",
            "git.repositories[0].brnach",
            "git.repositories[0].name",
            "git.repositories[0].url",
            "git.repositories[0].ca_file",
            "git.repositories[1].content",
            "git.repositories[1].commit",
            "git.repositories[2].name",
        ] {
            assert!(keys.contains(&key), "{key} missing from {keys:?}");
        }
    }

    #[test]
    fn one_policies_repository_and_unique_names() {
        let err = load(
            r#"
            [[git.repositories]]
            name = "a"
            url = "/a"
            content = "policies"
            [[git.repositories]]
            name = "b"
            url = "/b"
            content = "policies"
            [[git.repositories]]
            name = "a"
            url = "/c"
            content = "templates"
            "#,
        )
        .unwrap_err();
        let keys: Vec<_> = err.problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            ["git.repositories[1].content", "git.repositories[2].name"]
        );
    }

    #[test]
    fn the_secret_comes_from_its_file_and_stays_out_of_debug_output() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secret");
        std::fs::write(&file, "hook-secret\n").unwrap();
        let c = Config::from_toml(
            "",
            None,
            vec![(
                "UNET_GIT__WEBHOOK_SECRET_FILE".into(),
                file.display().to_string(),
            )],
        )
        .unwrap();
        assert_eq!(
            c.git.webhook_secret,
            Some(WebhookSecret("hook-secret".into()))
        );
        assert!(!format!("{c:?}").contains("hook-secret"));
    }
}
