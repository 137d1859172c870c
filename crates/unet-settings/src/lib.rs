//! The server's configuration file: TOML, found by a fixed search order, every
//! key overridable by `UNET_<SECTION>__<KEY>`, working defaults with no file at all, unknown
//! keys refused. Loading reports every problem it finds with its key, so `--validate` can show
//! an operator the whole list at once.

mod checks;
mod collect;
mod configs;
mod git;
mod policies;
mod profiles;
mod reader;
mod snmp;
mod templates;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Table;
use unet_store::DatabaseUrl;

pub use checks::check_environment;
pub use checks::{read_certificates, read_private_key};
pub use collect::{CollectSection, CredentialProfile, HostKeyTrust, ProfileSource, SyslogListener};
pub use configs::ConfigsSection;
pub use git::{Content, GitRepository, GitSection, WebhookSecret};
pub use policies::PoliciesSection;
use reader::Reader;
pub use reader::{format_duration, parse_duration};
pub use snmp::{SnmpProfile, SnmpSection};
pub use templates::TemplatesSection;

/// `url` with any password replaced by `***`, for logs and messages; a URL that does not
/// parse is shown up to its last `@` only.
pub fn redact_url(url: &str) -> String {
    match DatabaseUrl::parse(url) {
        Ok(parsed) => parsed.to_string(),
        Err(_) => url.rsplit('@').next().unwrap_or_default().to_string(),
    }
}

/// Where the server looks for its file when `--config` and `$UNET_CONFIG` are absent.
pub const SEARCH_PATHS: &[&str] = &["./unet.toml", "/etc/unet/config.toml"];

/// One thing wrong with the configuration, tied to the key (`section.key`) it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub key: String,
    pub message: String,
}

impl Problem {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            key: key.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub server: ServerSection,
    pub tls: TlsSection,
    pub database: DatabaseSection,
    pub logging: LoggingSection,
    pub data: DataSection,
    pub metrics: MetricsSection,
    pub auth: AuthSection,
    pub snapshots: SnapshotsSection,
    pub policies: PoliciesSection,
    pub templates: TemplatesSection,
    pub git: GitSection,
    pub configs: ConfigsSection,
    pub collect: CollectSection,
    pub snmp: SnmpSection,
    /// The file this configuration was read from; `None` for the built-in defaults.
    pub source: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServerSection {
    pub listen: SocketAddr,
    /// A request still running after this long is answered with 408 (`request_timeout`).
    pub request_timeout: Duration,
    /// How long a shutdown waits for in-flight requests before giving up on them.
    pub shutdown_timeout: Duration,
    /// Request bodies above this size are refused with 413.
    pub max_body_bytes: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TlsSection {
    pub enabled: bool,
    pub listen: SocketAddr,
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    pub self_signed: bool,
    /// Lifetime of an issued self-signed certificate, days; more than the 30 days before
    /// expiry at which a stored one is renewed.
    pub self_signed_days: u32,
}

#[derive(Clone, PartialEq)]
pub struct DatabaseSection {
    /// The effective URL, secrets from `url_file`/`password_file` already applied.
    pub url: String,
    pub max_connections: u32,
    pub busy_timeout: Duration,
    pub acquire_timeout: Duration,
    pub slow_query_threshold: Duration,
    pub auto_migrate: bool,
}

impl DatabaseSection {
    /// The URL with any password replaced by `***`, for logs and messages.
    pub fn redacted_url(&self) -> String {
        redact_url(&self.url)
    }
}

impl fmt::Debug for DatabaseSection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseSection")
            .field("url", &self.redacted_url())
            .field("max_connections", &self.max_connections)
            .field("busy_timeout", &self.busy_timeout)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("slow_query_threshold", &self.slow_query_threshold)
            .field("auto_migrate", &self.auto_migrate)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct LoggingSection {
    pub level: String,
    pub format: LogFormat,
    pub file: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DataSection {
    pub dir: PathBuf,
}

impl DataSection {
    pub fn snapshots_dir(&self) -> PathBuf {
        self.dir.join("snapshots")
    }
}

/// `[metrics]`: whether `GET /metrics` answers without a token (a Prometheus scraper on a
/// trusted network) or needs the viewer role like the rest of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricsSection {
    pub public: bool,
}

/// `[auth]`: whether every request but health and login needs a bearer token (session token
/// or API key). On by default; off makes every caller an anonymous administrator (a lab on
/// loopback only); see docs/security.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthSection {
    pub required: bool,
}

/// `[snapshots]`: retention of the snapshots under `<data.dir>/snapshots`, applied after each
/// new snapshot. `keep = 0` and `max_age_days = 0` switch the respective rule off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotsSection {
    pub keep: u32,
    pub max_age_days: u32,
}

/// Why a configuration could not be loaded: the file is unreadable, or it has problems.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors {
    pub source: Option<PathBuf>,
    pub problems: Vec<Problem>,
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Some(path) => writeln!(f, "{}: invalid configuration:", path.display())?,
            None => writeln!(f, "invalid configuration:")?,
        }
        for p in &self.problems {
            writeln!(f, "  {p}")?;
        }
        Ok(())
    }
}

impl Config {
    /// Finds the file (`--config`, `$UNET_CONFIG`, `./unet.toml`, `/etc/unet/config.toml`) and
    /// reads it with the process environment's overrides. No file at all gives the quick-start
    /// defaults (SQLite at `./unet.db`, data in `./data`).
    pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigErrors> {
        let path = match explicit {
            Some(p) => Some(p.to_path_buf()),
            None => match std::env::var_os("UNET_CONFIG").filter(|v| !v.is_empty()) {
                Some(p) => Some(PathBuf::from(p)),
                None => SEARCH_PATHS.iter().map(PathBuf::from).find(|p| p.is_file()),
            },
        };
        let text = match &path {
            Some(p) => std::fs::read_to_string(p).map_err(|e| ConfigErrors {
                source: Some(p.clone()),
                problems: vec![Problem::new("(file)", format!("cannot read: {e}"))],
            })?,
            None => String::new(),
        };
        Config::from_toml(&text, path, std::env::vars())
    }

    /// Parses `text` as the file found at `source`, with `env` as the environment.
    pub fn from_toml(
        text: &str,
        source: Option<PathBuf>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigErrors> {
        match Config::parse(text, source.clone(), env) {
            Ok((config, problems)) if problems.is_empty() => Ok(config),
            Ok((_, problems)) => Err(ConfigErrors { source, problems }),
            Err(syntax) => Err(ConfigErrors {
                source,
                problems: vec![syntax],
            }),
        }
    }

    /// Like [`Config::load`], but keeps going past problems: the configuration with defaults
    /// in place of the bad values, and every problem found (for `--validate`).
    pub fn load_for_validation(path: &Path) -> (Option<Config>, Vec<Problem>) {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => {
                return (
                    None,
                    vec![Problem::new(
                        "(file)",
                        format!("cannot read {}: {e}", path.display()),
                    )],
                );
            }
        };
        match Config::parse(&text, Some(path.to_path_buf()), std::env::vars()) {
            Ok((config, problems)) => (Some(config), problems),
            Err(syntax) => (None, vec![syntax]),
        }
    }

    /// The configuration and its problems, or the syntax error that stopped parsing.
    fn parse(
        text: &str,
        source: Option<PathBuf>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(Config, Vec<Problem>), Problem> {
        let mut doc: Table = text
            .parse()
            .map_err(|e: toml::de::Error| syntax_problem(text, &e))?;
        let git_repositories = git::detach_repositories(&mut doc);
        let collect_profiles = collect::detach_profiles(&mut doc);
        let snmp_profiles = snmp::detach_profiles(&mut doc);
        let mut r = Reader::new(doc);
        r.apply_env(env);
        let data_dir = r.path("data.dir", "./data");
        let config = Config {
            server: ServerSection {
                listen: r.socket_addr("server.listen", "127.0.0.1:8080"),
                request_timeout: r.duration(
                    "server.request_timeout",
                    Duration::from_secs(30),
                    Duration::from_millis(100),
                    Duration::from_secs(3600),
                ),
                shutdown_timeout: r.duration(
                    "server.shutdown_timeout",
                    Duration::from_secs(30),
                    Duration::ZERO,
                    Duration::from_secs(600),
                ),
                max_body_bytes: usize::try_from(r.integer(
                    "server.max_body_bytes",
                    1 << 20,
                    1024,
                    64 << 20,
                ))
                .unwrap_or(1 << 20),
            },
            tls: TlsSection {
                enabled: r.bool("tls.enabled", false),
                listen: r.socket_addr("tls.listen", "127.0.0.1:8443"),
                cert_file: r.path("tls.cert_file", "/etc/unet/ssl/cert.pem"),
                key_file: r.path("tls.key_file", "/etc/unet/ssl/key.pem"),
                self_signed: r.bool("tls.self_signed", false),
                self_signed_days: u32::try_from(r.integer("tls.self_signed_days", 365, 31, 3650))
                    .unwrap_or(365),
            },
            database: database_section(&mut r),
            logging: LoggingSection {
                level: r.choice(
                    "logging.level",
                    "info",
                    &["trace", "debug", "info", "warn", "error"],
                ),
                format: match r
                    .choice("logging.format", "text", &["text", "json"])
                    .as_str()
                {
                    "json" => LogFormat::Json,
                    _ => LogFormat::Text,
                },
                file: r.opt_path("logging.file"),
            },
            templates: templates::templates_section(&mut r, &data_dir),
            data: DataSection { dir: data_dir },
            metrics: MetricsSection {
                public: r.bool("metrics.public", false),
            },
            auth: AuthSection {
                required: r.bool("auth.required", true),
            },
            snapshots: SnapshotsSection {
                keep: u32::try_from(r.integer("snapshots.keep", 10, 0, 10_000)).unwrap_or(10),
                max_age_days: u32::try_from(r.integer("snapshots.max_age_days", 30, 0, 36_500))
                    .unwrap_or(30),
            },
            policies: policies::policies_section(&mut r),
            git: git::git_section(&mut r, git_repositories),
            configs: configs::configs_section(&mut r),
            collect: collect::collect_section(&mut r, collect_profiles),
            snmp: snmp::snmp_section(&mut r, snmp_profiles),
            source,
        };
        Ok((config, r.finish()))
    }
}

fn database_section(r: &mut Reader) -> DatabaseSection {
    let url = r.opt_string("database.url");
    let url_file = r.opt_path("database.url_file");
    let password_file = r.opt_path("database.password_file");
    let mut url = match (url, url_file) {
        (Some(_), Some(_)) => {
            r.problem(
                "database.url_file",
                "give either database.url or database.url_file, not both",
            );
            String::new()
        }
        (Some(url), None) => url,
        (None, Some(file)) => read_secret(r, "database.url_file", &file).unwrap_or_default(),
        (None, None) => "sqlite://./unet.db".to_string(),
    };
    if let Some(file) = password_file
        && let Some(password) = read_secret(r, "database.password_file", &file)
    {
        let with = DatabaseUrl::parse(&url)
            .ok()
            .and_then(|parsed| parsed.with_password(&password));
        match with {
            Some(with) => url = with.expose().to_string(),
            None => r.problem(
                "database.password_file",
                "a password applies only to a postgres:// URL with a user name and no password",
            ),
        }
    }
    DatabaseSection {
        url,
        max_connections: u32::try_from(r.integer("database.max_connections", 16, 1, 1000))
            .unwrap_or(16),
        busy_timeout: r.duration(
            "database.busy_timeout",
            Duration::from_secs(5),
            Duration::ZERO,
            Duration::from_secs(600),
        ),
        acquire_timeout: r.duration(
            "database.acquire_timeout",
            Duration::from_secs(10),
            Duration::from_millis(10),
            Duration::from_secs(600),
        ),
        slow_query_threshold: r.duration(
            "database.slow_query_threshold",
            Duration::from_millis(250),
            Duration::from_millis(1),
            Duration::from_secs(3600),
        ),
        auto_migrate: r.bool("database.auto_migrate", false),
    }
}

/// A secret kept in its own file (mode 0600, mounted by systemd or Kubernetes): the first line.
fn read_secret(r: &mut Reader, key: &str, file: &Path) -> Option<String> {
    match std::fs::read_to_string(file) {
        Ok(text) => match text.lines().next().map(str::trim) {
            Some(secret) if !secret.is_empty() => Some(secret.to_string()),
            _ => {
                r.problem(key, format!("file is empty: {}", file.display()));
                None
            }
        },
        Err(e) => {
            r.problem(key, format!("cannot read {}: {e}", file.display()));
            None
        }
    }
}

/// A TOML syntax error as `(syntax)` with line and column.
fn syntax_problem(text: &str, e: &toml::de::Error) -> Problem {
    let message = e.message().trim().to_string();
    match e.span() {
        Some(span) => {
            let before = text.get(..span.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            Problem::new(
                "(syntax)",
                format!("line {line}, column {column}: {message}"),
            )
        }
        None => Problem::new("(syntax)", message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Config, ConfigErrors> {
        Config::from_toml(text, Some("test.toml".into()), Vec::new())
    }

    #[test]
    fn no_file_gives_a_working_quick_start() {
        let c = load("").unwrap();
        assert_eq!(c.server.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(c.database.url, "sqlite://./unet.db");
        assert_eq!(c.data.dir, PathBuf::from("./data"));
        assert_eq!(c.database.slow_query_threshold, Duration::from_millis(250));
        assert!(!c.tls.enabled && !c.database.auto_migrate);
    }

    #[test]
    fn the_documented_keys_are_read() {
        let c = load(
            r#"
            [server]
            listen = "0.0.0.0:9000"
            [database]
            url = "postgres://unet@db/unet"
            max_connections = 4
            slow_query_threshold = "1s"
            auto_migrate = true
            [logging]
            level = "debug"
            format = "json"
            file = "/tmp/unet.log"
            [data]
            dir = "/srv/unet"
            "#,
        )
        .unwrap();
        assert_eq!(c.server.listen.port(), 9000);
        assert_eq!(c.database.max_connections, 4);
        assert_eq!(c.database.slow_query_threshold, Duration::from_secs(1));
        assert!(c.database.auto_migrate);
        assert_eq!(c.logging.format, LogFormat::Json);
        assert_eq!(c.logging.file, Some(PathBuf::from("/tmp/unet.log")));
        assert_eq!(c.data.dir, PathBuf::from("/srv/unet"));
    }

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let err = load("[server]\nlisten = \"x\n").unwrap_err();
        assert_eq!(err.problems.len(), 1);
        let p = &err.problems[0];
        assert_eq!(p.key, "(syntax)");
        assert!(p.message.starts_with("line 2, column"), "{p}");
    }

    #[test]
    fn every_problem_is_reported() {
        let err = load(
            "[server]\nlisten = \"nowhere\"\nlisen = 1\n[database]\nmax_connections = 0\n\
             slow_query_threshold = \"fast\"\n[logging]\nformat = \"xml\"\n[nonsense]\nx = 1\n",
        )
        .unwrap_err();
        let keys: Vec<_> = err.problems.iter().map(|p| p.key.as_str()).collect();
        for key in [
            "server.listen",
            "server.lisen",
            "database.max_connections",
            "database.slow_query_threshold",
            "logging.format",
            "nonsense.x",
        ] {
            assert!(keys.contains(&key), "{key} missing from {keys:?}");
        }
    }

    #[test]
    fn environment_overrides_the_file() {
        let c = Config::from_toml(
            "[database]\nurl = \"sqlite://a.db\"\n",
            None,
            vec![
                ("UNET_DATABASE__URL".into(), "sqlite://b.db".into()),
                ("UNET_SERVER__LISTEN".into(), "127.0.0.1:9999".into()),
            ],
        )
        .unwrap();
        assert_eq!(c.database.url, "sqlite://b.db");
        assert_eq!(c.server.listen.port(), 9999);
    }

    #[test]
    fn secrets_come_from_files_and_stay_out_of_debug_output() {
        let dir = tempfile::tempdir().unwrap();
        let pw = dir.path().join("pw");
        std::fs::write(&pw, "s3cr/t\n").unwrap();
        let c = load(&format!(
            "[database]\nurl = \"postgres://unet@db:5432/unet\"\npassword_file = {:?}\n",
            pw.display().to_string()
        ))
        .unwrap();
        assert_eq!(c.database.url, "postgres://unet:s3cr%2Ft@db:5432/unet");
        assert!(!format!("{c:?}").contains("s3cr"));
        assert_eq!(
            c.database.redacted_url(),
            "postgres://unet:***@db:5432/unet"
        );

        let missing = load("[database]\nurl_file = \"/nonexistent/url\"\n").unwrap_err();
        assert_eq!(missing.problems[0].key, "database.url_file");
    }
}
