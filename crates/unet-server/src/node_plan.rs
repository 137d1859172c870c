//! What a collection or a poll of one node takes, worked out from the node and the settings
//! alone: whether the node is managed at all, its per-node choices (`custom_data.collect`,
//! `custom_data.snmp`) and its credential profile. No I/O.

use std::time::Duration;

use serde_json::Value;
use unet_core::{NodeStatus, Platform};
use unet_settings::{CredentialProfile, SnmpProfile};

/// Per-node choices in `custom_data.collect` or `custom_data.snmp`.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct NodeOptions {
    pub(crate) profile: Option<String>,
    pub(crate) port: Option<u16>,
    /// `custom_data.collect.format` only.
    pub(crate) format: Option<String>,
    /// `custom_data.snmp.context` only: the SNMPv3 context (a multi-context agent's instance).
    pub(crate) context: Option<String>,
    pub(crate) interval: Option<Duration>,
}

/// The per-node choices a job reads: its `custom_data` key and whether `format` is one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OptionsKey {
    pub(crate) key: &'static str,
    pub(crate) format: bool,
    /// What the job does to a node, for messages: `collected`, `polled`.
    pub(crate) done: &'static str,
}

pub(crate) const COLLECT: OptionsKey = OptionsKey {
    key: "collect",
    format: true,
    done: "collected",
};
pub(crate) const SNMP: OptionsKey = OptionsKey {
    key: "snmp",
    format: false,
    done: "polled",
};

/// Why a node is not managed (collected and polled), if it is not.
pub(crate) fn not_managed(
    which: OptionsKey,
    status: NodeStatus,
    management_ip: Option<&str>,
) -> Option<String> {
    if !matches!(status, NodeStatus::Active | NodeStatus::Staged) {
        return Some(format!(
            "its status is {status} (active and staged nodes are {})",
            which.done
        ));
    }
    if management_ip.is_none() {
        return Some("it has no management_ip".to_string());
    }
    None
}

/// `custom_data.<key>`: `profile`, `port`, `interval` (and for collection `format`); a wrong
/// value names its key.
pub(crate) fn node_options(custom_data: &Value, which: OptionsKey) -> Result<NodeOptions, String> {
    let section = which.key;
    let Some(collect) = custom_data.get(section) else {
        return Ok(NodeOptions::default());
    };
    let Some(collect) = collect.as_object() else {
        return Err(format!(
            "custom_data.{section}: expected an object, got {collect}"
        ));
    };
    let text = |value: &Value| value.as_str().map(str::to_string);
    let mut options = NodeOptions::default();
    for (key, value) in collect {
        let wrong = |expected: &str| {
            format!("custom_data.{section}.{key}: expected {expected}, got {value}")
        };
        match key.as_str() {
            "profile" => {
                options.profile = Some(text(value).ok_or_else(|| wrong("a profile name"))?)
            }
            "format" if which.format => {
                options.format = Some(text(value).ok_or_else(|| wrong("a format name"))?)
            }
            "port" => {
                options.port = Some(
                    value
                        .as_u64()
                        .and_then(|p| u16::try_from(p).ok())
                        .filter(|p| *p > 0)
                        .ok_or_else(|| wrong("a port from 1 to 65535"))?,
                )
            }
            "context" if !which.format => {
                options.context = Some(
                    text(value)
                        .filter(|c| c.len() <= 32)
                        .ok_or_else(|| wrong("an SNMPv3 context name of at most 32 characters"))?,
                )
            }
            "interval" => {
                options.interval = Some(
                    value
                        .as_str()
                        .and_then(unet_settings::parse_duration)
                        .filter(|d| *d >= Duration::from_secs(60))
                        .ok_or_else(|| wrong("a duration of at least \"1m\", such as \"30m\""))?,
                )
            }
            _ => {
                let known = if which.format {
                    "profile, port, format and interval are"
                } else {
                    "profile, port, context and interval are"
                };
                return Err(format!("custom_data.{section}.{key}: unknown ({known})"));
            }
        }
    }
    Ok(options)
}

/// A credential profile: its name and the platforms it is for.
pub(crate) trait Profile {
    fn name(&self) -> &str;
    fn platforms(&self) -> &[Platform];
}

impl Profile for CredentialProfile {
    fn name(&self) -> &str {
        &self.name
    }
    fn platforms(&self) -> &[Platform] {
        &self.platforms
    }
}

impl Profile for SnmpProfile {
    fn name(&self) -> &str {
        &self.name
    }
    fn platforms(&self) -> &[Platform] {
        &self.platforms
    }
}

/// The node's profile: the one it names, else the first for its platform, else the default.
pub(crate) fn choose_profile<'a, P: Profile>(
    which: OptionsKey,
    profiles: &'a [P],
    default: Option<&str>,
    platform: Platform,
    options: &NodeOptions,
) -> Result<&'a P, String> {
    let section = which.key;
    let named = |name: &str| profiles.iter().find(|p| p.name() == name);
    if let Some(name) = &options.profile {
        return named(name).ok_or_else(|| {
            format!(
                "custom_data.{section}.profile names {name:?}, which no [[{section}.profiles]] is"
            )
        });
    }
    profiles
        .iter()
        .find(|p| p.platforms().contains(&platform))
        .or_else(|| default.and_then(named))
        .ok_or_else(|| {
            format!(
                "no credential profile applies to platform {platform}: set \
                 custom_data.{section}.profile, a profile's platforms, or {section}.default_profile"
            )
        })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn node_options_of(custom_data: &Value) -> Result<NodeOptions, String> {
        node_options(custom_data, COLLECT)
    }

    #[test]
    fn node_options_name_the_wrong_key() {
        let ok = node_options_of(&json!({"collect": {"profile": "ro", "port": 2222, "format": "brace", "interval": "30m"}})).unwrap();
        assert_eq!(ok.port, Some(2222));
        assert_eq!(ok.interval, Some(Duration::from_secs(1800)));
        assert_eq!(
            node_options_of(&json!({"role": "x"})).unwrap(),
            NodeOptions::default()
        );
        let err = node_options_of(&json!({"collect": {"port": 70000}})).unwrap_err();
        assert!(
            err.starts_with("custom_data.collect.port: expected a port"),
            "{err}"
        );
        let err = node_options_of(&json!({"collect": {"interval": "5s"}})).unwrap_err();
        assert!(err.contains("custom_data.collect.interval"), "{err}");
        let err = node_options_of(&json!({"collect": {"profle": "x"}})).unwrap_err();
        assert!(err.contains("custom_data.collect.profle: unknown"), "{err}");
    }
}

#[cfg(test)]
mod snmp_tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn snmp_options_have_no_format() {
        let ok = node_options(&json!({"snmp": {"profile": "core", "port": 1161}}), SNMP).unwrap();
        assert_eq!((ok.profile.as_deref(), ok.port), (Some("core"), Some(1161)));
        let err = node_options(&json!({"snmp": {"format": "x"}}), SNMP).unwrap_err();
        assert_eq!(
            err,
            "custom_data.snmp.format: unknown (profile, port, context and interval are)"
        );
    }
}
