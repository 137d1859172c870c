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

impl Platform {
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
}
