//! Reads typed values out of a parsed TOML document while collecting *every* problem with the
//! key it belongs to, instead of stopping at the first one as serde would. Keys that no reader
//! asked for are reported as unknown at the end, so a typo never passes silently.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use toml::{Table, Value};

use super::Problem;

/// Where a value came from: the file, or an environment override (whose values are text and
/// are converted to the key's type).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Origin {
    File,
    Env(String),
}

pub(crate) struct Reader {
    values: BTreeMap<String, (Value, Origin)>,
    consumed: BTreeSet<String>,
    problems: Vec<Problem>,
}

impl Reader {
    /// Flattens `[section] key = value` into `section.key`; anything that is not a table of
    /// scalars at the top level is kept so that it can be reported as unknown or mistyped.
    pub(crate) fn new(doc: Table) -> Reader {
        let mut values = BTreeMap::new();
        let mut problems = Vec::new();
        for (section, value) in doc {
            match value {
                Value::Table(keys) => {
                    for (key, value) in keys {
                        values.insert(format!("{section}.{key}"), (value, Origin::File));
                    }
                }
                _ => problems.push(Problem::new(
                    section,
                    "unknown key: settings belong in a [section]",
                )),
            }
        }
        Reader {
            values,
            consumed: BTreeSet::new(),
            problems,
        }
    }

    /// Applies `UNET_<SECTION>__<KEY>` variables over the file's values.
    pub(crate) fn apply_env(&mut self, vars: impl IntoIterator<Item = (String, String)>) {
        for (name, text) in vars {
            let Some(rest) = name.strip_prefix("UNET_") else {
                continue;
            };
            let Some((section, key)) = rest.split_once("__") else {
                continue;
            };
            let key = format!("{}.{}", section.to_lowercase(), key.to_lowercase());
            self.values
                .insert(key, (Value::String(text), Origin::Env(name)));
        }
    }

    pub(crate) fn problem(&mut self, key: &str, message: impl Into<String>) {
        self.problems.push(Problem::new(key, message));
    }

    /// Unknown keys (everything no reader asked for) plus every problem found so far.
    pub(crate) fn finish(mut self) -> Vec<Problem> {
        for (key, (_, origin)) in &self.values {
            if !self.consumed.contains(key) {
                let from = match origin {
                    Origin::File => String::new(),
                    Origin::Env(var) => format!(" (from environment variable {var})"),
                };
                self.problems
                    .push(Problem::new(key, format!("unknown key{from}")));
            }
        }
        self.problems
    }

    fn take(&mut self, key: &str) -> Option<(Value, Origin)> {
        self.consumed.insert(key.to_string());
        self.values.get(key).cloned()
    }

    fn mistyped(&mut self, key: &str, expected: &str, value: &Value, origin: &Origin) {
        let from = match origin {
            Origin::File => String::new(),
            Origin::Env(var) => format!(" (from {var})"),
        };
        self.problem(key, format!("expected {expected}, got {value}{from}"));
    }

    pub(crate) fn string(&mut self, key: &str, default: &str) -> String {
        self.opt_string(key).unwrap_or_else(|| default.to_string())
    }

    pub(crate) fn opt_string(&mut self, key: &str) -> Option<String> {
        match self.take(key)? {
            (Value::String(s), _) => Some(s),
            (other, origin) => {
                self.mistyped(key, "a string", &other, &origin);
                None
            }
        }
    }

    pub(crate) fn path(&mut self, key: &str, default: &str) -> PathBuf {
        PathBuf::from(self.string(key, default))
    }

    pub(crate) fn opt_path(&mut self, key: &str) -> Option<PathBuf> {
        self.opt_string(key).map(PathBuf::from)
    }

    pub(crate) fn bool(&mut self, key: &str, default: bool) -> bool {
        match self.take(key) {
            None => default,
            Some((Value::Boolean(b), _)) => b,
            Some((Value::String(s), origin @ Origin::Env(_))) => match s.as_str() {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => {
                    self.mistyped(key, "true or false", &Value::String(s.clone()), &origin);
                    default
                }
            },
            Some((other, origin)) => {
                self.mistyped(key, "true or false", &other, &origin);
                default
            }
        }
    }

    /// An integer in `min..=max`.
    pub(crate) fn integer(&mut self, key: &str, default: u64, min: u64, max: u64) -> u64 {
        let expected = format!("an integer from {min} to {max}");
        let n = match self.take(key) {
            None => return default,
            Some((Value::Integer(n), _)) => n,
            Some((Value::String(s), origin @ Origin::Env(_))) => match s.trim().parse::<i64>() {
                Ok(n) => n,
                Err(_) => {
                    self.mistyped(key, &expected, &Value::String(s.clone()), &origin);
                    return default;
                }
            },
            Some((other, origin)) => {
                self.mistyped(key, &expected, &other, &origin);
                return default;
            }
        };
        match u64::try_from(n) {
            Ok(n) if (min..=max).contains(&n) => n,
            _ => {
                self.problem(key, format!("expected {expected}, got {n}"));
                default
            }
        }
    }

    /// A duration written as `"250ms"`, `"30s"`, `"5m"` or `"1h"`, within `min..=max`.
    pub(crate) fn duration(
        &mut self,
        key: &str,
        default: Duration,
        min: Duration,
        max: Duration,
    ) -> Duration {
        let Some(text) = self.opt_string(key) else {
            return default;
        };
        match parse_duration(&text) {
            Some(d) if d >= min && d <= max => d,
            Some(_) => {
                self.problem(
                    key,
                    format!(
                        "expected a duration from {} to {}, got {text:?}",
                        format_duration(min),
                        format_duration(max)
                    ),
                );
                default
            }
            None => {
                self.problem(
                    key,
                    format!(
                        "expected a duration such as \"250ms\", \"30s\" or \"5m\", got {text:?}"
                    ),
                );
                default
            }
        }
    }

    pub(crate) fn socket_addr(&mut self, key: &str, default: &str) -> SocketAddr {
        let text = self.string(key, default);
        match text.parse() {
            Ok(addr) => addr,
            Err(_) => {
                self.problem(
                    key,
                    format!("expected an address and port such as \"127.0.0.1:8080\" or \"[::1]:8080\", got {text:?}"),
                );
                // The default is a literal that always parses.
                default
                    .parse()
                    .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0)))
            }
        }
    }

    /// One of `choices`.
    pub(crate) fn choice(&mut self, key: &str, default: &str, choices: &[&str]) -> String {
        let text = self.string(key, default);
        if choices.contains(&text.as_str()) {
            text
        } else {
            self.problem(
                key,
                format!("expected one of {}, got {text:?}", choices.join(", ")),
            );
            default.to_string()
        }
    }
}

/// `"250ms"`, `"30s"`, `"5m"`, `"1h"`; a bare number is refused because its unit would be a
/// guess.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits.parse().ok()?;
    match unit.trim() {
        "ms" => Some(Duration::from_millis(n)),
        "s" => Some(Duration::from_secs(n)),
        "m" => n.checked_mul(60).map(Duration::from_secs),
        "h" => n.checked_mul(3600).map(Duration::from_secs),
        _ => None,
    }
}

pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(3_600_000) && ms > 0 {
        format!("{}h", ms / 3_600_000)
    } else if ms.is_multiple_of(60_000) && ms > 0 {
        format!("{}m", ms / 60_000)
    } else if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(doc: &str) -> Reader {
        Reader::new(doc.parse::<Table>().unwrap())
    }

    #[test]
    fn durations_need_a_unit() {
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Some(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("30"), None);
        assert_eq!(parse_duration("s"), None);
        assert_eq!(parse_duration("3 weeks"), None);
        assert_eq!(format_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(format_duration(Duration::from_secs(300)), "5m");
    }

    #[test]
    fn collects_every_problem_with_its_key() {
        let mut r = reader(
            "top = 1\n[database]\nmax_connections = 0\nauto_migrate = \"yes\"\ncolour = 1\n",
        );
        r.integer("database.max_connections", 16, 1, 1000);
        r.bool("database.auto_migrate", false);
        let problems = r.finish();
        let keys: Vec<_> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "top",
                "database.max_connections",
                "database.auto_migrate",
                "database.colour"
            ]
        );
    }

    #[test]
    fn environment_text_is_converted_to_the_key_type() {
        let mut r = reader("[database]\nmax_connections = 4\n");
        r.apply_env([
            (
                "UNET_DATABASE__MAX_CONNECTIONS".to_string(),
                "32".to_string(),
            ),
            (
                "UNET_DATABASE__AUTO_MIGRATE".to_string(),
                "true".to_string(),
            ),
            ("UNET_NOPE__KEY".to_string(), "x".to_string()),
            ("UNET_CONFIG".to_string(), "/x".to_string()),
        ]);
        assert_eq!(r.integer("database.max_connections", 16, 1, 1000), 32);
        assert!(r.bool("database.auto_migrate", false));
        let problems = r.finish();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].key, "nope.key");
        assert!(problems[0].message.contains("UNET_NOPE__KEY"));
    }
}
