//! The config dialects μNet knows. A node's `platform` names one; the config engine keeps one
//! rule set per dialect. Stored records and the API use the canonical names only; operators
//! typing a platform on the command line may use the short names they are used to
//! ([`Platform::parse_lenient`]).

use serde::{Deserialize, Serialize};

use crate::text_enum::text_enum;

/// Config dialect used to parse, diff and remediate the node's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    CiscoIos,
    CiscoNxos,
    CiscoIosxr,
    AristaEos,
    JuniperJunos,
    Generic,
}

text_enum!(Platform, "platform", [
    CiscoIos => "cisco_ios", CiscoNxos => "cisco_nxos", CiscoIosxr => "cisco_iosxr",
    AristaEos => "arista_eos", JuniperJunos => "juniper_junos", Generic => "generic",
]);

/// Lines a device prints in its configuration that change without the configuration changing:
/// timestamps of the last change or save, the clock's drift. Per platform, by line start.
const VOLATILE_LINES: &[(Platform, &str)] = &[
    (Platform::CiscoIos, "! Last configuration change at "),
    (Platform::CiscoIos, "! NVRAM config last updated at "),
    (
        Platform::CiscoIos,
        "! No configuration change since last restart",
    ),
    (Platform::CiscoIos, "ntp clock-period "),
    (Platform::CiscoIos, "Building configuration"),
    (Platform::CiscoIos, "Current configuration : "),
    (Platform::CiscoNxos, "!Time: "),
    (Platform::CiscoNxos, "!Running configuration last done at: "),
    (Platform::CiscoIosxr, "!! Last configuration change at "),
    (Platform::CiscoIosxr, "Building configuration"),
    (Platform::JuniperJunos, "## Last commit: "),
    (Platform::JuniperJunos, "## Last changed: "),
];

/// IOS-XR prints the time before the configuration: `Mon Dec  7 10:00:00.123 UTC`.
fn is_xr_timestamp(line: &str) -> bool {
    const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let words: Vec<&str> = line.split_whitespace().collect();
    matches!(words.as_slice(), [day, _, date, time, _]
        if WEEKDAYS.contains(day)
            && date.chars().all(|c| c.is_ascii_digit())
            && time.chars().all(|c| c.is_ascii_digit() || c == ':' || c == '.')
            && time.contains(':'))
}

impl Platform {
    /// Whether `line` of a configuration printed by this platform changes on its own (a
    /// timestamp, the clock's drift): two configurations that differ only in such lines are the
    /// same configuration.
    pub fn is_volatile_line(self, line: &str) -> bool {
        let line = line.trim_end();
        VOLATILE_LINES
            .iter()
            .any(|(platform, start)| *platform == self && line.starts_with(start))
            || (self == Platform::CiscoIosxr && is_xr_timestamp(line))
    }

    /// The dialect a vendor most often speaks, used when a node names no platform.
    pub fn infer_from_vendor(vendor: Option<&str>) -> Platform {
        match vendor {
            Some("cisco") => Platform::CiscoIos,
            Some("juniper") => Platform::JuniperJunos,
            Some("arista") => Platform::AristaEos,
            _ => Platform::Generic,
        }
    }

    /// An operator's name for a platform: a canonical name or a common short one (`ios`,
    /// `iosxe`, `nxos`, `iosxr`, `eos`, `junos`, …), in any case, spaces around ignored.
    /// IOS-XE shares the IOS rules. Inventory records never take this path: they accept the
    /// canonical names only.
    pub fn parse_lenient(text: &str) -> Option<Platform> {
        let wanted = text.trim().to_ascii_lowercase();
        let canonical = match wanted.as_str() {
            "cisco_xe" | "cisco_iosxe" | "ios" | "iosxe" => "cisco_ios",
            "nxos" => "cisco_nxos",
            "iosxr" | "cisco_xr" => "cisco_iosxr",
            "eos" => "arista_eos",
            "junos" => "juniper_junos",
            other => other,
        };
        canonical.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_may_use_short_names_records_may_not() {
        assert_eq!(Platform::parse_lenient(" IOS "), Some(Platform::CiscoIos));
        assert_eq!(Platform::parse_lenient("eos"), Some(Platform::AristaEos));
        assert_eq!(
            Platform::parse_lenient("cisco_xr"),
            Some(Platform::CiscoIosxr)
        );
        assert_eq!(Platform::parse_lenient("Generic"), Some(Platform::Generic));
        assert_eq!(Platform::parse_lenient("bogus"), None);
        assert!("ios".parse::<Platform>().is_err());
        assert!(serde_json::from_str::<Platform>("\"eos\"").is_err());
    }

    #[test]
    fn volatile_lines_are_per_platform() {
        let ios = Platform::CiscoIos;
        assert!(ios.is_volatile_line(
            "! Last configuration change at 09:14:02 UTC Mon Nov 30 2026 by netadmin"
        ));
        assert!(ios.is_volatile_line("ntp clock-period 17179738\r"));
        assert!(!ios.is_volatile_line("ntp server 10.0.0.1"));
        assert!(!Platform::AristaEos.is_volatile_line("! Last configuration change at 09:14"));
        let xr = Platform::CiscoIosxr;
        assert!(xr.is_volatile_line("Mon Dec  7 10:00:00.123 UTC"));
        assert!(!xr.is_volatile_line("Mon Dec 7 maintenance window"));
        assert!(
            Platform::JuniperJunos
                .is_volatile_line("## Last commit: 2026-11-30 08:41:17 UTC by netadmin")
        );
        assert!(Platform::CiscoNxos.is_volatile_line("!Time: Mon Dec  7 10:00:00 2026"));
        assert!(!Platform::Generic.is_volatile_line("!Time: Mon Dec  7 10:00:00 2026"));
    }
}
