//! `[snmp]` and `[[snmp.profiles]]`: polling the devices' agents — the schedule, its limits,
//! the credential profiles (communities and SNMPv3 keys read from files here, at start and on
//! reload, never kept in the database) and how long status events are kept.

use std::time::Duration;

use toml::{Table, Value};
use unet_core::Platform;
use unet_snmp::{AuthProtocol, Credentials, PrivProtocol, Usm};

use super::profiles::{
    check_default, open_to_others, profile_name, profile_platforms, read_profiles,
};
use super::reader::Reader;

/// One `[[snmp.profiles]]` table: credentials and the nodes they are for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnmpProfile {
    pub name: String,
    /// Nodes of these platforms use this profile unless their `custom_data.snmp.profile` names
    /// another; empty: only nodes that name it (or the default profile).
    pub platforms: Vec<Platform>,
    /// The agent's port, when not `snmp.port`.
    pub port: Option<u16>,
    pub credentials: Credentials,
}

/// `[snmp]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnmpSection {
    /// Whether the schedule runs (polls on request work either way).
    pub enabled: bool,
    pub interval: Duration,
    /// Each node's next time is moved by up to this much, so a fleet does not come due at once.
    pub jitter: Duration,
    pub concurrency: u32,
    /// The wait for one answer, and the requests sent again after a timeout.
    pub timeout: Duration,
    pub retries: u32,
    /// The wait after a failed poll, doubled with each further failure up to `interval`.
    pub retry_after: Duration,
    pub port: u16,
    /// Cells asked for in one GETBULK.
    pub bulk_size: u32,
    /// Table cells one poll may hold; a larger answer is refused.
    pub max_cells: u32,
    /// Status events older than this many days are deleted.
    pub event_retention_days: u32,
    /// `/metrics` shows every polled interface's status, traffic and errors (one series per
    /// interface and figure: a fleet's worth of series).
    pub interface_metrics: bool,
    pub default_profile: Option<String>,
    pub profiles: Vec<SnmpProfile>,
}

impl Default for SnmpSection {
    fn default() -> Self {
        SnmpSection {
            enabled: false,
            interval: Duration::from_secs(300),
            jitter: Duration::from_secs(30),
            concurrency: 200,
            timeout: Duration::from_secs(2),
            retries: 2,
            retry_after: Duration::from_secs(60),
            port: 161,
            bulk_size: 48,
            max_cells: 200_000,
            event_retention_days: 90,
            interface_metrics: false,
            default_profile: None,
            profiles: Vec::new(),
        }
    }
}

impl SnmpSection {
    pub fn profile(&self, name: &str) -> Option<&SnmpProfile> {
        self.profiles.iter().find(|p| p.name == name)
    }
}

/// Takes `[[snmp.profiles]]` out of the document before the flat reader sees it.
pub(super) fn detach_profiles(doc: &mut Table) -> Option<Value> {
    doc.get_mut("snmp")?.as_table_mut()?.remove("profiles")
}

pub(super) fn snmp_section(r: &mut Reader, profiles: Option<Value>) -> SnmpSection {
    let d = SnmpSection::default();
    let day = Duration::from_secs(24 * 3600);
    let int = |r: &mut Reader, key: &str, default: u32, min: u64, max: u64| {
        u32::try_from(r.integer(key, u64::from(default), min, max)).unwrap_or(default)
    };
    let mut section = SnmpSection {
        enabled: r.bool("snmp.enabled", d.enabled),
        interval: r.duration("snmp.interval", d.interval, Duration::from_secs(10), day),
        jitter: r.duration("snmp.jitter", d.jitter, Duration::ZERO, day),
        concurrency: int(r, "snmp.concurrency", d.concurrency, 1, 10_000),
        timeout: r.duration(
            "snmp.timeout",
            d.timeout,
            Duration::from_millis(100),
            Duration::from_secs(60),
        ),
        retries: int(r, "snmp.retries", d.retries, 0, 10),
        retry_after: r.duration(
            "snmp.retry_after",
            d.retry_after,
            Duration::from_secs(1),
            day,
        ),
        port: u16::try_from(r.integer("snmp.port", 161, 1, 65535)).unwrap_or(161),
        bulk_size: int(r, "snmp.bulk_size", d.bulk_size, 1, 500),
        max_cells: int(r, "snmp.max_cells", d.max_cells, 100, 10_000_000),
        event_retention_days: int(
            r,
            "snmp.event_retention_days",
            d.event_retention_days,
            1,
            36_500,
        ),
        interface_metrics: r.bool("snmp.interface_metrics", d.interface_metrics),
        default_profile: r.opt_string("snmp.default_profile"),
        profiles: Vec::new(),
    };
    section.profiles = read_profiles(r, "snmp", profiles, profile, |p| &p.name);
    check_default(r, "snmp", section.default_profile.as_deref(), |n| {
        section.profile(n).is_some()
    });
    section
}

/// One `[[snmp.profiles]]` table; problems go to `outer` under `key`.
fn profile(outer: &mut Reader, key: &str, table: Table) -> Option<SnmpProfile> {
    let mut table = table;
    let field = |name: &str| format!("{key}.{name}");
    let platforms = table.remove("platforms");
    let mut doc = Table::new();
    doc.insert(key.to_string(), Value::Table(table));
    let mut r = Reader::new(doc);
    let name = r.opt_string(&field("name"));
    let version = r.choice(&field("version"), "v2c", &["v2c", "v3"]);
    let port = u16::try_from(r.integer(&field("port"), 0, 1, 65535))
        .ok()
        .filter(|p| *p != 0);
    let secret = |r: &mut Reader, name: &str| -> Option<String> {
        let file = r.opt_path(&field(name))?;
        if let Some(problem) = open_to_others(&file) {
            r.problem(&field(name), problem);
        }
        super::read_secret(r, &field(name), &file)
    };
    let credentials = if version == "v3" {
        let user = r.opt_string(&field("username"));
        let auth = r.string(&field("auth_protocol"), "sha256");
        let privacy = r.opt_string(&field("privacy_protocol"));
        let context = r.string(&field("context"), "");
        let auth_password = secret(&mut r, "auth_password_file");
        let privacy_password = secret(&mut r, "privacy_password_file");
        if r.opt_path(&field("community_file")).is_some() {
            r.problem(
                &field("community_file"),
                "SNMPv3 has no community; remove it",
            );
        }
        let auth = auth
            .parse::<AuthProtocol>()
            .map_err(|e| r.problem(&field("auth_protocol"), e))
            .ok();
        let privacy = match privacy {
            None => {
                if privacy_password.is_some() {
                    r.problem(&field("privacy_protocol"), "missing: the privacy (encryption) protocol for privacy_password_file, such as \"aes\"");
                }
                Some(None)
            }
            Some(text) => match (text.parse::<PrivProtocol>(), privacy_password) {
                (Ok(p), Some(password)) => Some(Some((p, password))),
                (Ok(_), None) => {
                    r.problem(
                        &field("privacy_password_file"),
                        "missing: the file with the privacy password",
                    );
                    None
                }
                (Err(e), _) => {
                    r.problem(&field("privacy_protocol"), e);
                    None
                }
            },
        };
        if user.is_none() {
            r.problem(&field("username"), "missing: the SNMPv3 user name");
        }
        if auth_password.is_none() && r.opt_path(&field("auth_password_file")).is_none() {
            r.problem(
                &field("auth_password_file"),
                "missing: the file with the authentication password",
            );
        }
        match (user, auth, auth_password, privacy) {
            (Some(user), Some(auth), Some(auth_password), Some(privacy)) => {
                Some(Credentials::V3(Usm {
                    user,
                    auth,
                    auth_password,
                    privacy,
                    context,
                }))
            }
            _ => None,
        }
    } else {
        for name in [
            "username",
            "auth_password_file",
            "privacy_password_file",
            "auth_protocol",
            "privacy_protocol",
            "context",
        ] {
            if r.opt_string(&field(name)).is_some() {
                r.problem(&field(name), "only read with version = \"v3\"");
            }
        }
        match secret(&mut r, "community_file") {
            Some(community) => Some(Credentials::V2c { community }),
            None => {
                if r.opt_path(&field("community_file")).is_none() {
                    r.problem(
                        &field("community_file"),
                        "missing: the file with the community",
                    );
                }
                None
            }
        }
    };
    // Keys are derived now, so a password the agent could never accept is named at start.
    let credentials = credentials.and_then(|c| match c.prepare() {
        Ok(_) => Some(c),
        Err(e) => {
            r.problem(&field("auth_password_file"), e);
            None
        }
    });
    let mut problems = r.finish();
    let name = profile_name(name, key, &mut problems);
    let platforms = profile_platforms(platforms, &mut |message| {
        problems.push(super::Problem::new(field("platforms"), message));
    });
    for p in problems {
        outer.problem(&p.key, p.message);
    }
    Some(SnmpProfile {
        name: name?,
        platforms,
        port,
        credentials: credentials?,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use unet_core::Platform;
    use unet_snmp::{AuthProtocol, Credentials, PrivProtocol, Usm};

    use crate::{Config, SnmpSection};

    fn write(dir: &Path, name: &str, text: &str) -> String {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        path.display().to_string()
    }

    #[test]
    fn off_by_default_with_a_five_minute_interval() {
        let c = Config::from_toml("", None, Vec::new()).unwrap();
        assert_eq!(c.snmp, SnmpSection::default());
        assert!(!c.snmp.enabled);
        assert_eq!(c.snmp.interval, Duration::from_secs(300));
    }

    #[test]
    fn v2c_and_v3_profiles_with_secrets_from_files() {
        let dir = tempfile::tempdir().unwrap();
        let community = write(dir.path(), "community", "s3cret-community\n");
        let auth = write(dir.path(), "auth", "auth-secret-123\n");
        let privacy = write(dir.path(), "priv", "priv-secret-123\n");
        let text = format!(
            "[snmp]\nenabled = true\ninterval = \"1m\"\nconcurrency = 500\ndefault_profile = \"campus\"\n\
             [[snmp.profiles]]\nname = \"campus\"\ncommunity_file = \"{community}\"\n\
             [[snmp.profiles]]\nname = \"core\"\nversion = \"v3\"\nusername = \"unet\"\n\
             auth_protocol = \"sha512\"\nauth_password_file = \"{auth}\"\n\
             privacy_protocol = \"aes256c\"\nprivacy_password_file = \"{privacy}\"\n\
             platforms = [\"juniper_junos\"]\nport = 1161\n"
        );
        let c = Config::from_toml(&text, None, Vec::new()).unwrap().snmp;
        assert!(c.enabled);
        assert_eq!((c.interval, c.concurrency), (Duration::from_secs(60), 500));
        assert_eq!(
            c.profile("campus").unwrap().credentials,
            Credentials::V2c {
                community: "s3cret-community".into()
            }
        );
        let core = c.profile("core").unwrap();
        assert_eq!(
            (core.platforms.as_slice(), core.port),
            ([Platform::JuniperJunos].as_slice(), Some(1161))
        );
        assert_eq!(
            core.credentials,
            Credentials::V3(Usm {
                user: "unet".into(),
                auth: AuthProtocol::Sha512,
                auth_password: "auth-secret-123".into(),
                privacy: Some((PrivProtocol::Aes256Cisco, "priv-secret-123".into())),
                context: String::new(),
            })
        );
        let debug = format!("{c:?}");
        for secret in ["s3cret-community", "auth-secret-123", "priv-secret-123"] {
            assert!(!debug.contains(secret), "{debug}");
        }
    }

    #[test]
    fn every_profile_problem_is_named_by_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let short = write(dir.path(), "short", "short\n");
        let community = write(dir.path(), "community", "c\n");
        let text = format!(
            "[snmp]\ndefault_profile = \"nope\"\nretries = 99\n\
             [[snmp.profiles]]\nname = \"a\"\n\
             [[snmp.profiles]]\nname = \"b\"\nversion = \"v3\"\nauth_password_file = \"{short}\"\n\
             [[snmp.profiles]]\nname = \"c\"\nversion = \"v3\"\nusername = \"u\"\nauth_protocol = \"md5\"\nauth_password_file = \"{short}\"\ncommunity_file = \"{community}\"\n\
             [[snmp.profiles]]\nname = \"d\"\ncommunity_file = \"{community}\"\nusername = \"u\"\n\
             [[snmp.profiles]]\nname = \"e\"\nversion = \"v3\"\nusername = \"u\"\nauth_password_file = \"{short}\"\n\
             [[snmp.profiles]]\nname = \"d\"\ncommunity_file = \"{community}\"\n"
        );
        let err = Config::from_toml(&text, None, Vec::new()).unwrap_err();
        let keys: Vec<&str> = err.problems.iter().map(|p| p.key.as_str()).collect();
        for key in [
            "snmp.default_profile",
            "snmp.retries",
            "snmp.profiles[0].community_file",
            "snmp.profiles[1].username",
            "snmp.profiles[2].auth_protocol",
            "snmp.profiles[2].community_file",
            "snmp.profiles[3].username",
            "snmp.profiles[4].auth_password_file",
            "snmp.profiles[5].name",
        ] {
            assert!(keys.contains(&key), "{key} missing in {keys:?}");
        }
        let short_password = err
            .problems
            .iter()
            .find(|p| p.key == "snmp.profiles[4].auth_password_file")
            .unwrap();
        assert!(
            short_password.message.contains("shorter than 8"),
            "{}",
            short_password.message
        );
    }
}
