//! How each platform's CLI hands over its running configuration: data, one entry per platform,
//! read by the collector that logs in to devices. Adding a platform means adding an entry here
//! (and its volatile lines in `platform.rs`), not code.

use serde::{Deserialize, Serialize};

use crate::Platform;
use crate::text_enum::text_enum;

/// How a collection attempt ended: a configuration stored or confirmed, or the class of
/// failure operators sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CollectionResult {
    /// A new running-config version was stored.
    Stored,
    /// The configuration is the latest stored one (volatile lines aside): nothing stored.
    Unchanged,
    /// No TCP connection or no SSH handshake.
    Unreachable,
    /// The device stopped answering before the configuration was complete.
    Timeout,
    /// The device refused the login or the enable secret.
    AuthFailed,
    /// The device presented a host key other than the pinned or listed one.
    HostKeyMismatch,
    /// The device answered, but not with a complete configuration.
    OutputNotRecognised,
    /// The configured program failed.
    CommandFailed,
    /// μNet cannot collect the node as configured: no credential profile applies, or a
    /// `custom_data.collect` value is wrong.
    NotConfigured,
}

text_enum!(CollectionResult, "result", [
    Stored => "stored", Unchanged => "unchanged", Unreachable => "unreachable",
    Timeout => "timeout", AuthFailed => "auth_failed", HostKeyMismatch => "host_key_mismatch",
    OutputNotRecognised => "output_not_recognised", CommandFailed => "command_failed",
    NotConfigured => "not_configured",
]);

impl CollectionResult {
    pub fn is_failure(self) -> bool {
        !matches!(self, CollectionResult::Stored | CollectionResult::Unchanged)
    }
}

/// The dialogue that fetches a platform's running configuration through its CLI.
#[derive(Debug, PartialEq, Eq)]
pub struct CliRecipe {
    /// Commands that turn paging and line wrapping off, sent once the first prompt shows.
    /// A device that refuses one is still read: the pager is answered as a fallback.
    pub setup: &'static [&'static str],
    /// The command that leaves an unprivileged prompt (one ending in `>`) for a privileged one
    /// (`#`), on platforms that have such a level; it asks for the enable secret.
    pub enable: Option<&'static str>,
    /// The commands that print the configuration, by format name; the first is the default.
    pub show: &'static [(&'static str, &'static str)],
    /// Where the configuration begins in the command's output.
    pub begins: Begins,
    /// The line a complete configuration ends with, on platforms that print one: output without
    /// it was cut short.
    pub ends_with: Option<&'static str>,
    /// How the CLI starts the answer to a command it refused.
    pub errors: &'static [&'static str],
    /// The pager prompts printed when paging could not be turned off.
    pub pagers: &'static [&'static str],
    /// The syslog message tags this platform logs when its configuration changed.
    pub change_messages: &'static [&'static str],
}

/// Where a configuration begins in a show command's output.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Begins {
    /// After the first line starting with this text (a header the device prints).
    After(&'static str),
    /// At the first line starting with this text, which is part of the configuration.
    At(&'static str),
    /// At the first line of the output.
    Start,
}

const IOS_ERRORS: &[&str] = &[
    "% Invalid input",
    "% Incomplete command",
    "% Ambiguous command",
    "% Unknown command",
    "% Authorization failed",
    "% Permission denied",
];
const MORE: &[&str] = &["--More--", "<--- More --->"];

const CISCO_IOS: CliRecipe = CliRecipe {
    setup: &["terminal length 0", "terminal width 0"],
    enable: Some("enable"),
    show: &[("text", "show running-config")],
    begins: Begins::After("Current configuration : "),
    ends_with: Some("end"),
    errors: IOS_ERRORS,
    pagers: MORE,
    change_messages: &["%SYS-5-CONFIG_I"],
};

const CISCO_NXOS: CliRecipe = CliRecipe {
    setup: &["terminal length 0", "terminal width 511"],
    enable: Some("enable"),
    show: &[("text", "show running-config")],
    begins: Begins::After("!Command: show running-config"),
    ends_with: None,
    errors: IOS_ERRORS,
    pagers: MORE,
    change_messages: &["%VSHD-5-VSHD_SYSLOG_CONFIG_I"],
};

const CISCO_IOSXR: CliRecipe = CliRecipe {
    setup: &["terminal length 0", "terminal width 0"],
    enable: None,
    show: &[("text", "show running-config")],
    begins: Begins::At("!! IOS XR Configuration"),
    ends_with: Some("end"),
    errors: IOS_ERRORS,
    pagers: MORE,
    change_messages: &["%MGBL-CONFIG-6-DB_COMMIT"],
};

const ARISTA_EOS: CliRecipe = CliRecipe {
    setup: &["terminal length 0", "terminal width 32767"],
    enable: Some("enable"),
    show: &[("text", "show running-config")],
    begins: Begins::After("! Command: show running-config"),
    ends_with: Some("end"),
    errors: IOS_ERRORS,
    pagers: MORE,
    change_messages: &["%SYS-5-CONFIG_E", "%SYS-5-CONFIG_I"],
};

const JUNIPER_JUNOS: CliRecipe = CliRecipe {
    setup: &["set cli screen-length 0", "set cli screen-width 0"],
    enable: None,
    show: &[
        ("set", "show configuration | display set"),
        ("brace", "show configuration"),
    ],
    begins: Begins::Start,
    ends_with: None,
    errors: &["syntax error", "error:", "unknown command"],
    pagers: &["---(more", "---(more)---"],
    change_messages: &["UI_COMMIT", "UI_COMMIT_COMPLETED"],
};

const GENERIC: CliRecipe = CliRecipe {
    setup: &[],
    enable: None,
    show: &[("text", "show running-config")],
    begins: Begins::Start,
    ends_with: None,
    errors: &["% ", "unknown command", "error:"],
    pagers: MORE,
    change_messages: &[],
};

impl Platform {
    /// How to fetch this platform's running configuration through its CLI.
    pub fn cli(self) -> &'static CliRecipe {
        match self {
            Platform::CiscoIos => &CISCO_IOS,
            Platform::CiscoNxos => &CISCO_NXOS,
            Platform::CiscoIosxr => &CISCO_IOSXR,
            Platform::AristaEos => &ARISTA_EOS,
            Platform::JuniperJunos => &JUNIPER_JUNOS,
            Platform::Generic => &GENERIC,
        }
    }
}

/// Whether a syslog message says a device's configuration changed: it carries one of the
/// platforms' change tags as a whole word (`UI_COMMIT` does not match `UI_COMMIT_PROGRESS`).
pub fn is_config_change_message(message: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    Platform::ALL
        .iter()
        .flat_map(|p| p.cli().change_messages)
        .any(|tag| {
            message.match_indices(tag).any(|(at, _)| {
                let before = message[..at].chars().next_back();
                let after = message[at + tag.len()..].chars().next();
                !before.is_some_and(word) && !after.is_some_and(word)
            })
        })
}

impl CliRecipe {
    /// The show command for `format` (the default one when `None`); `None` when the platform
    /// has no such format.
    pub fn show_command(&self, format: Option<&str>) -> Option<&'static str> {
        match format {
            None => self.show.first().map(|(_, command)| *command),
            Some(wanted) => self
                .show
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(wanted.trim()))
                .map(|(_, command)| *command),
        }
    }

    /// The format names, for messages.
    pub fn formats(&self) -> Vec<&'static str> {
        self.show.iter().map(|(name, _)| *name).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_change_messages_by_their_tags() {
        for message in [
            "<189>42: *Dec  7 10:00:01.123: %SYS-5-CONFIG_I: Configured from console by admin on vty0",
            "<189>2026 Dec  7 10:00:01 nx1 %VSHD-5-VSHD_SYSLOG_CONFIG_I: Configured from vty by admin",
            "<189>Dec  7 10:00:01 eos1 ConfigAgent: %SYS-5-CONFIG_E: Enter configuration mode",
            "<189>Dec  7 10:00:01 mx1 mgd[123]: UI_COMMIT: User 'admin' requested 'commit' operation",
            "<189>Dec  7 10:00:01 mx1 mgd[123]: UI_COMMIT_COMPLETED: commit complete",
        ] {
            assert!(is_config_change_message(message), "{message}");
        }
        for message in [
            "<189>Dec  7 10:00:01 mx1 mgd[123]: UI_COMMIT_PROGRESS: Commit operation in progress",
            "<189>%LINK-3-UPDOWN: Interface Gi0/1, changed state to up",
            "%SYS-5-CONFIG_IX",
        ] {
            assert!(!is_config_change_message(message), "{message}");
        }
    }

    #[test]
    fn every_platform_prints_its_configuration_with_a_command() {
        for platform in Platform::ALL {
            assert!(platform.cli().show_command(None).is_some(), "{platform}");
        }
        let junos = Platform::JuniperJunos.cli();
        assert_eq!(
            junos.show_command(None),
            Some("show configuration | display set")
        );
        assert_eq!(
            junos.show_command(Some("Brace")),
            Some("show configuration")
        );
        assert_eq!(junos.show_command(Some("xml")), None);
        assert_eq!(junos.formats(), ["set", "brace"]);
    }
}
