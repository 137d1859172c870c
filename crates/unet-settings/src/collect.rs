//! `[collect]` and `[[collect.profiles]]`: fetching running configurations from the devices —
//! the schedule, its limits, how host keys are trusted, the credential profiles (secrets read
//! from files here, at start and on reload, never kept in the database) and the syslog trigger.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use toml::{Table, Value};
use unet_collect::{Credential, Login, Program};
use unet_core::Platform;

use super::profiles::{
    check_default, open_to_others, profile_name, profile_platforms, read_profiles, strings,
};
use super::reader::Reader;

/// How the collector trusts devices' SSH host keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeyTrust {
    /// Pin each node's key on first contact; a different key later is refused.
    FirstUse,
    /// Accept only the keys an OpenSSH known_hosts file lists.
    KnownHosts(PathBuf),
}

/// Where a profile's configurations come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileSource {
    Ssh(Login),
    Command(Program),
}

/// One `[[collect.profiles]]` table: credentials (or a program) and the nodes it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialProfile {
    pub name: String,
    /// Nodes of these platforms use this profile unless their `custom_data.collect.profile`
    /// names another; empty: only nodes that name it (or the default profile).
    pub platforms: Vec<Platform>,
    /// The SSH port, when not `collect.port`.
    pub port: Option<u16>,
    pub source: ProfileSource,
}

/// The UDP syslog listener that collects a node as soon as it logs a configuration change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyslogListener {
    pub listen: SocketAddr,
    /// Messages from one node within this time start one collection.
    pub debounce: Duration,
}

/// `[collect]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectSection {
    /// Whether the schedule runs (on-demand collection works either way).
    pub enabled: bool,
    pub interval: Duration,
    /// Each node's next time is moved by up to this much, so a fleet does not come due at once.
    pub jitter: Duration,
    pub concurrency: u32,
    pub connect_timeout: Duration,
    pub timeout: Duration,
    /// The wait after a failure, doubled with each further failure up to `interval`.
    pub retry_after: Duration,
    pub port: u16,
    pub host_keys: HostKeyTrust,
    /// The profile of nodes that name none and match no profile's platforms.
    pub default_profile: Option<String>,
    pub profiles: Vec<CredentialProfile>,
    pub syslog: Option<SyslogListener>,
}

impl Default for CollectSection {
    fn default() -> Self {
        CollectSection {
            enabled: false,
            interval: Duration::from_secs(3600),
            jitter: Duration::from_secs(300),
            concurrency: 50,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(60),
            retry_after: Duration::from_secs(60),
            port: 22,
            host_keys: HostKeyTrust::FirstUse,
            default_profile: None,
            profiles: Vec::new(),
            syslog: None,
        }
    }
}

impl CollectSection {
    pub fn profile(&self, name: &str) -> Option<&CredentialProfile> {
        self.profiles.iter().find(|p| p.name == name)
    }
}

/// Takes `[[collect.profiles]]` out of the document before the flat reader sees it.
pub(super) fn detach_profiles(doc: &mut Table) -> Option<Value> {
    doc.get_mut("collect")?.as_table_mut()?.remove("profiles")
}

pub(super) fn collect_section(r: &mut Reader, profiles: Option<Value>) -> CollectSection {
    let d = CollectSection::default();
    let day = Duration::from_secs(24 * 3600);
    let interval = r.duration(
        "collect.interval",
        d.interval,
        Duration::from_secs(60),
        7 * day,
    );
    let host_keys = match r
        .choice(
            "collect.host_keys",
            "first_use",
            &["first_use", "known_hosts"],
        )
        .as_str()
    {
        "known_hosts" => match r.opt_path("collect.known_hosts_file") {
            Some(file) => {
                if let Err(e) = std::fs::metadata(&file) {
                    r.problem(
                        "collect.known_hosts_file",
                        format!("cannot read {}: {e}", file.display()),
                    );
                }
                HostKeyTrust::KnownHosts(file)
            }
            None => {
                r.problem(
                    "collect.known_hosts_file",
                    "missing: host_keys = \"known_hosts\" needs the known_hosts file to trust",
                );
                HostKeyTrust::FirstUse
            }
        },
        _ => {
            if r.opt_path("collect.known_hosts_file").is_some() {
                r.problem(
                    "collect.known_hosts_file",
                    "only read with host_keys = \"known_hosts\"",
                );
            }
            HostKeyTrust::FirstUse
        }
    };
    let syslog = r
        .opt_string("collect.syslog_listen")
        .and_then(|text| match text.parse() {
            Ok(listen) => Some(listen),
            Err(_) => {
                r.problem(
                    "collect.syslog_listen",
                    format!("expected an address and port such as \"0.0.0.0:5514\", got {text:?}"),
                );
                None
            }
        });
    let debounce = r.duration(
        "collect.syslog_debounce",
        Duration::from_secs(2),
        Duration::ZERO,
        Duration::from_secs(600),
    );
    let mut section = CollectSection {
        enabled: r.bool("collect.enabled", d.enabled),
        interval,
        jitter: r.duration("collect.jitter", d.jitter, Duration::ZERO, day),
        concurrency: u32::try_from(r.integer("collect.concurrency", 50, 1, 4096)).unwrap_or(50),
        connect_timeout: r.duration(
            "collect.connect_timeout",
            d.connect_timeout,
            Duration::from_millis(100),
            Duration::from_secs(600),
        ),
        timeout: r.duration(
            "collect.timeout",
            d.timeout,
            Duration::from_millis(100),
            Duration::from_secs(3600),
        ),
        retry_after: r.duration(
            "collect.retry_after",
            d.retry_after,
            Duration::from_secs(1),
            day,
        ),
        port: u16::try_from(r.integer("collect.port", 22, 1, 65535)).unwrap_or(22),
        host_keys,
        default_profile: r.opt_string("collect.default_profile"),
        profiles: Vec::new(),
        syslog: syslog.map(|listen| SyslogListener { listen, debounce }),
    };
    section.profiles = read_profiles(r, "collect", profiles, profile, |p| &p.name);
    check_default(r, "collect", section.default_profile.as_deref(), |n| {
        section.profile(n).is_some()
    });
    section
}

/// One `[[collect.profiles]]` table; problems go to `outer` under `key`.
fn profile(outer: &mut Reader, key: &str, table: Table) -> Option<CredentialProfile> {
    let mut table = table;
    let field = |name: &str| format!("{key}.{name}");
    // Lists are taken before the flat reader, which reads scalars.
    let platforms = table.remove("platforms");
    let command = table.remove("command");
    let mut doc = Table::new();
    doc.insert(key.to_string(), Value::Table(table));
    let mut r = Reader::new(doc);
    let name = r.opt_string(&field("name"));
    let username = r.opt_string(&field("username"));
    let password_file = r.opt_path(&field("password_file"));
    let key_file = r.opt_path(&field("key_file"));
    let enable_file = r.opt_path(&field("enable_secret_file"));
    // 0: absent, `collect.port` applies.
    let port = u16::try_from(r.integer(&field("port"), 0, 1, 65535))
        .ok()
        .filter(|p| *p != 0);
    for (name, file) in [
        ("password_file", &password_file),
        ("key_file", &key_file),
        ("enable_secret_file", &enable_file),
    ] {
        if let Some(problem) = file.as_deref().and_then(open_to_others) {
            r.problem(&field(name), problem);
        }
    }
    let password = password_file
        .as_ref()
        .and_then(|file| super::read_secret(&mut r, &field("password_file"), file));
    let enable = enable_file
        .as_ref()
        .and_then(|file| super::read_secret(&mut r, &field("enable_secret_file"), file));
    let mut problems = r.finish();
    let name = profile_name(name, key, &mut problems);
    let mut problem = |name: &str, message: String| {
        problems.push(super::Problem::new(field(name), message));
    };
    let platforms = profile_platforms(platforms, &mut |message| problem("platforms", message));
    let command = match command {
        None => None,
        Some(value) => match strings(&value).filter(|args| !args.is_empty()) {
            Some(mut args) => {
                let path = PathBuf::from(args.remove(0));
                Some(Program { path, args })
            }
            None => {
                problem(
                    "command",
                    format!("expected a list: the program and its arguments, got {value}"),
                );
                None
            }
        },
    };
    let source = match (command, username) {
        (Some(program), None) => {
            for (set, name) in [
                (password_file.is_some(), "password_file"),
                (key_file.is_some(), "key_file"),
                (enable_file.is_some(), "enable_secret_file"),
            ] {
                if set {
                    problem(
                        name,
                        "a command profile logs in to nothing; remove it".to_string(),
                    );
                }
            }
            Some(ProfileSource::Command(program))
        }
        (Some(_), Some(_)) => {
            problem(
                "command",
                "give either command or username (SSH), not both".to_string(),
            );
            None
        }
        (None, None) => {
            problem(
                "username",
                "missing: the SSH user name (or `command`, a program printing the configuration)"
                    .to_string(),
            );
            None
        }
        (None, Some(user)) => {
            let credential = match (password, &key_file) {
                (Some(_), Some(_)) => {
                    problem(
                        "key_file",
                        "give either password_file or key_file, not both".to_string(),
                    );
                    None
                }
                (Some(password), None) => Some(Credential::Password(password)),
                (None, Some(file)) => match unet_collect::load_private_key(file) {
                    Ok(key) => Some(Credential::Key(key)),
                    Err(e) => {
                        problem("key_file", e);
                        None
                    }
                },
                // An unreadable password file is a problem already.
                (None, None) if password_file.is_some() => None,
                (None, None) => {
                    problem(
                        "password_file",
                        "missing: password_file or key_file, the secret to log in with".to_string(),
                    );
                    None
                }
            };
            credential.map(|credential| {
                ProfileSource::Ssh(Login {
                    user,
                    credential,
                    enable,
                })
            })
        }
    };
    for p in problems {
        outer.problem(&p.key, p.message);
    }
    Some(CredentialProfile {
        name: name?,
        platforms,
        port,
        source: source?,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use unet_collect::{Credential, Login, Program};
    use unet_core::Platform;

    use super::{HostKeyTrust, ProfileSource};
    use crate::{CollectSection, Config};

    fn write(dir: &Path, name: &str, text: &str) -> String {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        path.display().to_string()
    }

    fn key_file(dir: &Path) -> String {
        let path = dir.join("id_ed25519");
        let status = std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&path)
            .status()
            .unwrap();
        assert!(status.success());
        path.display().to_string()
    }

    #[test]
    fn off_by_default() {
        let c = Config::from_toml("", None, Vec::new()).unwrap();
        assert_eq!(c.collect, CollectSection::default());
        assert!(!c.collect.enabled);
        assert_eq!(c.collect.interval, Duration::from_secs(3600));
        assert_eq!(c.collect.syslog, None);
    }

    #[test]
    fn profiles_with_passwords_keys_and_programs() {
        let dir = tempfile::tempdir().unwrap();
        let password = write(dir.path(), "netops.pass", "s3cret-pass\n");
        let enable = write(dir.path(), "enable", "en-secret\n");
        let key = key_file(dir.path());
        let text = format!(
            "[collect]\nenabled = true\ninterval = \"30m\"\nconcurrency = 8\n\
             default_profile = \"netops\"\nsyslog_listen = \"127.0.0.1:5514\"\n\
             [[collect.profiles]]\nname = \"netops\"\nusername = \"netops\"\n\
             password_file = \"{password}\"\nenable_secret_file = \"{enable}\"\n\
             [[collect.profiles]]\nname = \"junos\"\nusername = \"ro\"\nkey_file = \"{key}\"\n\
             platforms = [\"juniper_junos\"]\nport = 830\n\
             [[collect.profiles]]\nname = \"jump\"\ncommand = [\"/usr/local/bin/fetch\", \"--via\", \"bastion\"]\n"
        );
        let c = Config::from_toml(&text, None, Vec::new()).unwrap().collect;
        assert!(c.enabled);
        assert_eq!((c.interval, c.concurrency), (Duration::from_secs(1800), 8));
        assert_eq!(c.syslog.unwrap().listen.to_string(), "127.0.0.1:5514");
        assert_eq!(c.syslog.unwrap().debounce, Duration::from_secs(2));
        let netops = c.profile("netops").unwrap();
        assert_eq!(
            netops.source,
            ProfileSource::Ssh(Login {
                user: "netops".into(),
                credential: Credential::Password("s3cret-pass".into()),
                enable: Some("en-secret".into()),
            })
        );
        let junos = c.profile("junos").unwrap();
        assert_eq!(junos.platforms, [Platform::JuniperJunos]);
        assert_eq!(junos.port, Some(830));
        assert!(matches!(
            &junos.source,
            ProfileSource::Ssh(Login {
                credential: Credential::Key(_),
                ..
            })
        ));
        assert_eq!(
            c.profile("jump").unwrap().source,
            ProfileSource::Command(Program {
                path: "/usr/local/bin/fetch".into(),
                args: vec!["--via".into(), "bastion".into()],
            })
        );
        // Secrets never reach Debug output (logs, panics).
        let debug = format!("{c:?}");
        assert!(
            !debug.contains("s3cret-pass") && !debug.contains("en-secret"),
            "{debug}"
        );
    }

    #[test]
    fn every_profile_problem_is_named_by_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let password = write(dir.path(), "p", "x\n");
        let not_a_key = write(dir.path(), "k", "not a key\n");
        let text = format!(
            "[collect]\nhost_keys = \"known_hosts\"\ndefault_profile = \"nope\"\n\
             [[collect.profiles]]\nname = \"a\"\n\
             [[collect.profiles]]\nname = \"b\"\nusername = \"u\"\npassword_file = \"{password}\"\nkey_file = \"{not_a_key}\"\n\
             [[collect.profiles]]\nname = \"c\"\nusername = \"u\"\nkey_file = \"{not_a_key}\"\nplatforms = [\"ios\"]\n\
             [[collect.profiles]]\nname = \"d\"\nusername = \"u\"\ncommand = [\"/bin/true\"]\n\
             [[collect.profiles]]\nname = \"e\"\nusername = \"u\"\npassword_file = \"{password}\"\npasword = 1\n"
        );
        let err = Config::from_toml(&text, None, Vec::new()).unwrap_err();
        let keys: Vec<&str> = err.problems.iter().map(|p| p.key.as_str()).collect();
        for key in [
            "collect.known_hosts_file",
            "collect.default_profile",
            "collect.profiles[0].username",
            "collect.profiles[1].key_file",
            "collect.profiles[2].platforms",
            "collect.profiles[2].key_file",
            "collect.profiles[3].command",
            "collect.profiles[4].pasword",
        ] {
            assert!(keys.contains(&key), "{key} missing in {keys:?}");
        }
    }

    #[test]
    fn a_secret_file_others_may_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let password = write(dir.path(), "p", "x\n");
        std::fs::set_permissions(&password, std::fs::Permissions::from_mode(0o644)).unwrap();
        let text = format!(
            "[[collect.profiles]]\nname = \"a\"\nusername = \"u\"\npassword_file = \"{password}\"\n"
        );
        let err = Config::from_toml(&text, None, Vec::new()).unwrap_err();
        let problem = &err.problems[0];
        assert_eq!(problem.key, "collect.profiles[0].password_file");
        assert!(problem.message.contains("chmod 600"), "{}", problem.message);
    }

    #[test]
    fn known_hosts_trust_names_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let known = write(dir.path(), "known_hosts", "");
        let text =
            format!("[collect]\nhost_keys = \"known_hosts\"\nknown_hosts_file = \"{known}\"\n");
        let c = Config::from_toml(&text, None, Vec::new()).unwrap().collect;
        assert_eq!(c.host_keys, HostKeyTrust::KnownHosts(known.into()));
    }
}
