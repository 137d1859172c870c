//! What a collection of one node takes and when the next one is due, worked out from the
//! node and the settings alone: whether the node is collected at all, its `custom_data.collect`
//! choices, its credential profile, the backoff after failures and the jitter. No I/O.

use std::time::Duration;

use serde_json::Value;
use unet_core::NodeStatus;
use unet_settings::{CollectSection, CredentialProfile};
use unet_store::CollectionTarget;

/// Per-node choices in `custom_data.collect`.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct NodeOptions {
    pub(super) profile: Option<String>,
    pub(super) port: Option<u16>,
    pub(super) format: Option<String>,
    pub(super) interval: Option<Duration>,
}

/// Why a node is not collected, if it is not.
pub(super) fn not_managed(target: &CollectionTarget) -> Option<String> {
    if !matches!(target.status, NodeStatus::Active | NodeStatus::Staged) {
        return Some(format!(
            "its status is {} (active and staged nodes are collected)",
            target.status
        ));
    }
    if target.management_ip.is_none() {
        return Some("it has no management_ip".to_string());
    }
    None
}

/// `custom_data.collect`: `profile`, `port`, `format`, `interval`; a wrong value names its key.
pub(super) fn node_options(custom_data: &Value) -> Result<NodeOptions, String> {
    let Some(collect) = custom_data.get("collect") else {
        return Ok(NodeOptions::default());
    };
    let Some(collect) = collect.as_object() else {
        return Err(format!(
            "custom_data.collect: expected an object, got {collect}"
        ));
    };
    let text = |value: &Value| value.as_str().map(str::to_string);
    let mut options = NodeOptions::default();
    for (key, value) in collect {
        let wrong =
            |expected: &str| format!("custom_data.collect.{key}: expected {expected}, got {value}");
        match key.as_str() {
            "profile" => {
                options.profile = Some(text(value).ok_or_else(|| wrong("a profile name"))?)
            }
            "format" => options.format = Some(text(value).ok_or_else(|| wrong("a format name"))?),
            "port" => {
                options.port = Some(
                    value
                        .as_u64()
                        .and_then(|p| u16::try_from(p).ok())
                        .filter(|p| *p > 0)
                        .ok_or_else(|| wrong("a port from 1 to 65535"))?,
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
                return Err(format!(
                    "custom_data.collect.{key}: unknown (profile, port, format and interval are)"
                ));
            }
        }
    }
    Ok(options)
}

/// The node's profile: the one it names, else the first for its platform, else the default.
pub(super) fn choose_profile<'a>(
    collect: &'a CollectSection,
    target: &CollectionTarget,
    options: &NodeOptions,
) -> Result<&'a CredentialProfile, String> {
    if let Some(name) = &options.profile {
        return collect.profile(name).ok_or_else(|| {
            format!("custom_data.collect.profile names {name:?}, which no [[collect.profiles]] is")
        });
    }
    collect
        .profiles
        .iter()
        .find(|p| p.platforms.contains(&target.platform))
        .or_else(|| {
            collect
                .default_profile
                .as_deref()
                .and_then(|n| collect.profile(n))
        })
        .ok_or_else(|| {
            format!(
                "no credential profile applies to platform {}: set custom_data.collect.profile, \
                 a profile's platforms, or collect.default_profile",
                target.platform
            )
        })
}

/// The wait after `failures_before + 1` failures in a row: `retry_after` doubled per earlier
/// failure, at most `interval`.
pub(super) fn backoff(retry_after: Duration, failures_before: u32, interval: Duration) -> Duration {
    let factor = 2u32.saturating_pow(failures_before.min(20));
    retry_after.saturating_mul(factor).min(interval)
}

/// A random wait up to `max`, so a fleet collected together does not stay together.
pub(super) fn jitter(max: Duration) -> Duration {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 8];
    if max.is_zero() || ring::rand::SystemRandom::new().fill(&mut bytes).is_err() {
        return Duration::ZERO;
    }
    let millis = u64::try_from(max.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(u64::from_le_bytes(bytes) % millis.saturating_add(1))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_interval() {
        let minute = Duration::from_secs(60);
        let hour = Duration::from_secs(3600);
        let waits: Vec<u64> = (0..8)
            .map(|f| backoff(minute, f, hour).as_secs() / 60)
            .collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(backoff(minute, u32::MAX, hour), hour);
    }

    #[test]
    fn node_options_name_the_wrong_key() {
        let ok = node_options(&json!({"collect": {"profile": "ro", "port": 2222, "format": "brace", "interval": "30m"}})).unwrap();
        assert_eq!(ok.port, Some(2222));
        assert_eq!(ok.interval, Some(Duration::from_secs(1800)));
        assert_eq!(
            node_options(&json!({"role": "x"})).unwrap(),
            NodeOptions::default()
        );
        let err = node_options(&json!({"collect": {"port": 70000}})).unwrap_err();
        assert!(
            err.starts_with("custom_data.collect.port: expected a port"),
            "{err}"
        );
        let err = node_options(&json!({"collect": {"interval": "5s"}})).unwrap_err();
        assert!(err.contains("custom_data.collect.interval"), "{err}");
        let err = node_options(&json!({"collect": {"profle": "x"}})).unwrap_err();
        assert!(err.contains("custom_data.collect.profle: unknown"), "{err}");
    }

    #[test]
    fn jitter_stays_within_its_bound() {
        for _ in 0..100 {
            assert!(jitter(Duration::from_secs(5)) <= Duration::from_secs(5));
        }
        assert_eq!(jitter(Duration::ZERO), Duration::ZERO);
    }
}
