//! The platforms the engine knows. Each maps to one declarative rule set in `drivers`.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::error::ConfigError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    CiscoIos,
    CiscoNxos,
    CiscoIosxr,
    AristaEos,
    JuniperJunos,
    Generic,
}

impl Platform {
    pub const ALL: [Platform; 6] = [
        Platform::CiscoIos,
        Platform::CiscoNxos,
        Platform::CiscoIosxr,
        Platform::AristaEos,
        Platform::JuniperJunos,
        Platform::Generic,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Platform::CiscoIos => "cisco_ios",
            Platform::CiscoNxos => "cisco_nxos",
            Platform::CiscoIosxr => "cisco_iosxr",
            Platform::AristaEos => "arista_eos",
            Platform::JuniperJunos => "juniper_junos",
            Platform::Generic => "generic",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Platform {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        // IOS-XE shares IOS rules; accept the names operators actually type.
        let alias = match wanted.as_str() {
            "cisco_xe" | "cisco_iosxe" | "ios" | "iosxe" => "cisco_ios",
            "nxos" => "cisco_nxos",
            "iosxr" | "cisco_xr" => "cisco_iosxr",
            "eos" => "arista_eos",
            "junos" => "juniper_junos",
            other => other,
        };
        Platform::ALL
            .into_iter()
            .find(|p| p.name() == alias)
            .ok_or_else(|| ConfigError::UnknownPlatform(s.to_string()))
    }
}
