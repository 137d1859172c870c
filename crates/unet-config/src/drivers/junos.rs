//! Juniper Junos (brace and `set` forms, both flattened to `set` lines) and the generic
//! indentation dialect.

use crate::platform::Platform;
use crate::rules::{Driver, Ignore, NegateWith, Syntax, Weight};

pub static JUNIPER_JUNOS: Driver = Driver {
    platform: Platform::JuniperJunos,
    syntax: Syntax::JunosSet,
    comments: &["#", "/*", "*"],
    ignore: &[Ignore::Prefix("set version "), Ignore::Prefix("version ")],
    negation: "delete ",
    negate_with: &[NegateWith {
        pattern: r"^deactivate (.*)",
        with: "activate $1",
    }],
    default_when: &[],
    sectional_exits: &[],
    // Leaves with one value: `set` of a new value replaces the old one.
    idempotent: &[
        r"^set system host-name ",
        r"^set system domain-name ",
        r"^set system time-zone ",
        r"^set (.+) description ",
        r"^set (.+) encrypted-password ",
        r"^set (.+) mtu ",
        r"^set (.+) vlan-id ",
        r"^set (.+) peer-as ",
        r"^set (.+) local-address ",
        r"^set (.+) local-preference ",
        r"^set (.+) metric ",
        r"^set (.+) native-vlan-id ",
        r"^set (.+) interface-mode ",
        r"^set (.+) hold-time ",
        r"^set (.+) preference ",
        r"^set (.+) authentication-key ",
        r"^set (protocols bgp group \S+) type ",
        r"^set routing-options router-id ",
        r"^set routing-options autonomous-system ",
        r"^set snmp location ",
        r"^set snmp contact ",
    ],
    // Commits are atomic, but keep deletions before additions for readability.
    weights: &[Weight {
        pattern: r"^delete ",
        weight: 100,
    }],
    ordered: &[],
    replace_on_entry: &[],
    literal_blocks: &[],
    resequence: &[],
    interfaces: &[],
};

pub static GENERIC: Driver = Driver {
    platform: Platform::Generic,
    syntax: Syntax::Indented,
    comments: &["!", "#"],
    ignore: &[],
    negation: "no ",
    negate_with: &[],
    default_when: &[],
    sectional_exits: &[],
    idempotent: &[],
    weights: &[],
    ordered: &[],
    replace_on_entry: &[],
    literal_blocks: &[],
    resequence: &[],
    interfaces: &[],
};
