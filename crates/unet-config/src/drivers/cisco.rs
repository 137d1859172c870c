//! Rule sets of the Cisco-style indented dialects: IOS/IOS-XE, NX-OS, IOS-XR and Arista EOS.

use crate::platform::Platform;
use crate::rules::{
    Driver, Ignore, InterfaceType, LiteralBlock, LiteralEnd, NegateWith, SectionalExit, Syntax,
    Weight,
};

const fn iface(canonical: &'static str, min_prefix: usize) -> InterfaceType {
    InterfaceType {
        canonical,
        min_prefix,
        aliases: &[],
    }
}

/// Volatile header lines every Cisco-style `show running-config` prints.
const COMMON_IGNORE: &[Ignore] = &[
    Ignore::Prefix("Building configuration"),
    Ignore::Prefix("Current configuration"),
    Ignore::Prefix("ntp clock-period"),
    Ignore::Prefix("version "),
    Ignore::Exact("end"),
];

/// Settings with exactly one value per parent, shared by the Cisco-style dialects: a new value
/// replaces the old one, so remediation sends it alone, never `no <old value>` first. Compared
/// with hier_config 3.7.1's `idempotent_commands` of every platform (docs/config-engine.md says
/// which of its rules we word differently and which we leave out, and why). A pattern matches
/// the line alone, so each is written to match only the single-valued form (`ip address A M`
/// but not `… secondary`; `maximum-paths N` apart from `maximum-paths ibgp N`).
const COMMON_IDEMPOTENT: &[&str] = &[
    r"^description ",
    r"^hostname ",
    r"^ip address (?:\S+ \d+\.\d+\.\d+\.\d+|\S+/\d+|dhcp)$",
    r"^ipv4 address (?:\S+ \d+\.\d+\.\d+\.\d+|\S+/\d+)$",
    r"^ipv6 address (?:dhcp|autoconfig)$",
    r"^ipv6 link-local ",
    // The name of a VLAN (and of an MST region).
    r"^name ",
    r"^switchport mode ",
    r"^switchport access vlan ",
    r"^switchport trunk native vlan ",
    r"^switchport trunk allowed vlan (?:\d|none|all)",
    r"^switchport voice vlan ",
    r"^spanning-tree mode ",
    r"^ip domain[- ]name ",
    r"^bgp router-id ",
    r"^router-id ",
    r"^remote-as ",
    r"^(neighbor \S+) remote-as ",
    r"^(neighbor \S+) description ",
    r"^(neighbor \S+) update-source ",
    r"^(neighbor \S+) peer-group ",
    r"^(neighbor \S+) password ",
    r"^(neighbor \S+) maximum-prefix ",
    r"^password ",
    r"^maximum-prefix ",
    r"^soft-reconfiguration inbound(?: |$)",
    r"^additional-paths selection route-policy ",
    r"^mtu ",
    r"^ip mtu ",
    r"^speed ",
    r"^duplex ",
    r"^bandwidth ",
    r"^udld port(?: |$)",
    r"^ip ospf (cost|priority|network|hello-interval|dead-interval) ",
    r"^(ip ospf message-digest-key \d+) ",
    r"^(message-digest-key \d+) ",
    r"^ospfv3 cost ",
    r"^cost ",
    r"^priority ",
    r"^log-adjacency-changes(?: |$)",
    r"^max-lsa ",
    r"^max-metric router-lsa(?: |$)",
    r"^snmp-server location ",
    r"^snmp-server contact ",
    r"^(snmp-server source-interface(?: traps| informs)?) ",
    r"^(snmp-server user \S+) ",
    r"^ip default-gateway ",
    r"^enable secret ",
    r"^service-policy (input|output) ",
    r"^ip access-group \S+ (in|out)$",
    r"^(ipv6 )?access-class \S+ (in|out)(?: |$)",
    r"^(ipv6 )?access-class (ingress|egress) ",
    r"^transport (input|output) ",
    r"^exec-timeout ",
    r"^idle-timeout ",
    r"^(?:ip )?vrf (?:forwarding|member) ",
    r"^encapsulation dot1[qQ] ",
    r"^channel-group \d+ mode ",
    r"^(standby \d+) ip \S+$",
    r"^(standby \d+) priority ",
    r"^(standby \d+) authentication ",
    // The virtual address of an NX-OS `hsrp N` section.
    r"^ip \d+\.\d+\.\d+\.\d+$",
    r"^authentication md5 key-string ",
    r"^authentication host-mode ",
    r"^authentication event server dead action authorize vlan ",
    r"^ntp source ",
    r"^logging source-interface ",
    r"^((?:ip |ipv6 )?(?:tftp(?: client)?|telnet|tacacs|radius|ftp|http(?: client)?|ssh(?: client)?)) source-interface ",
    r"^ip ssh version ",
    r"^clock timezone ",
    r"^timers bgp ",
    // `maximum-paths N` and `maximum-paths ibgp N` are two settings.
    r"^maximum-paths (?:(ibgp|ebgp|eibgp) )?",
    r"^set local-preference ",
    r"^set metric ",
    r"^police ",
    r"^(banner \S+)",
    r"^(?:no )?logging (console|monitor|trap)(?: |$)",
    r"^logging buffered ",
    r"^logging facility ",
    r"^tacacs-server key ",
    r"^errdisable recovery interval ",
    r"^mac address-table aging-time ",
    r"^port-channel load-balance ",
    r"^power redundancy-mode ",
    r"^(hardware access-list tcam region \S+) ",
    r"^(cli alias name \S+) ",
    r"^aaa authentication login console ",
    r"^aaa authentication enable default ",
    r"^role priority ",
    r"^vlan internal allocation policy ",
    r"^session protection(?: |$)",
    r"^igp sync delay ",
    r"^ip dhcp snooping vlan ",
    // NX-OS lists every VLAN on one line: the new list replaces it, never `no vlan <all>`.
    r"^vlan \d+[,-][\d,-]*$",
    r"^(username \S+) ",
    r"^(snmp-server community \S+) ",
];

/// Removing any value of these takes only the keyword.
const COMMON_NEGATE_WITH: &[NegateWith] = &[
    NegateWith {
        pattern: r"^description .*",
        with: "no description",
    },
    NegateWith {
        pattern: r"^ip address (?:\S+ \d+\.\d+\.\d+\.\d+|\S+/\d+|dhcp)$",
        with: "no ip address",
    },
    NegateWith {
        pattern: r"^(switchport trunk allowed vlan) .*",
        with: "no $1",
    },
    NegateWith {
        pattern: r"^(logging (?:console|buffered|monitor|trap))\b.*",
        with: "no $1",
    },
    NegateWith {
        pattern: r"^(snmp-server community \S+)\b.*",
        with: "no $1",
    },
    NegateWith {
        pattern: r"^(username \S+)\b.*",
        with: "no $1",
    },
    NegateWith {
        pattern: r"^(enable secret)\b.*",
        with: "no $1",
    },
    NegateWith {
        pattern: r"^(banner \S+)[\s\S]*",
        with: "no $1",
    },
];

/// Definitions are created before their users and deleted after them.
const COMMON_WEIGHTS: &[Weight] = &[
    Weight {
        pattern: r"^no (?:switchport|shutdown)$",
        weight: 100,
    },
    Weight {
        pattern: r"^(?:feature|vlan|vrf definition|vrf context|ip vrf) ",
        weight: 150,
    },
    Weight {
        pattern: r"^switchport trunk encapsulation ",
        weight: 180,
    },
    Weight {
        pattern: r"^switchport mode ",
        weight: 200,
    },
    Weight {
        pattern: r"^(?:ip access-list|ipv6 access-list|ipv4 access-list|mac access-list|ip prefix-list|ipv6 prefix-list|route-map|class-map|policy-map|object-group|ip as-path|ip community-list|prefix-set|route-policy|community-set|as-path-set) ",
        weight: 300,
    },
    Weight {
        pattern: r"^(?:router|address-family) ",
        weight: 600,
    },
    Weight {
        pattern: r"^no (?:ip access-list|ipv6 access-list|ipv4 access-list|mac access-list|ip prefix-list|ipv6 prefix-list|route-map|class-map|policy-map|object-group|ip as-path|ip community-list|prefix-set|route-policy|community-set|as-path-set) ",
        weight: 800,
    },
    Weight {
        pattern: r"^no (?:vlan|vrf definition|vrf context|ip vrf) ",
        weight: 850,
    },
    Weight {
        pattern: r"^no feature ",
        weight: 900,
    },
    // A neighbor goes last: its address-family settings are removed first.
    Weight {
        pattern: r"^no neighbor \S+ remote-as ",
        weight: 950,
    },
];

const ACCESS_LISTS: &str = r"^(?:ip|ipv6|ipv4|mac) access-list ";

const BANNER_DELIMITED: &[LiteralBlock] = &[LiteralBlock {
    keyword: "banner ",
    pattern: r"^banner \S+ \S",
    end: LiteralEnd::DelimiterAfter,
}];

const PHYSICAL_IOS: &str = r"^interface (?:GigabitEthernet|FastEthernet|TenGigabitEthernet|TwentyFiveGigE|TwoGigabitEthernet|FortyGigabitEthernet|HundredGigE|FourHundredGigE|AppGigabitEthernet|Ethernet)\d+(?:/\d+)*$";

/// What the Cisco-style dialects share; each driver below overrides what differs.
const CISCO_STYLE: Driver = Driver {
    platform: Platform::Generic,
    syntax: Syntax::Indented,
    comments: &["!"],
    ignore: COMMON_IGNORE,
    negation: "no ",
    negate_with: COMMON_NEGATE_WITH,
    default_when: &[],
    sectional_exits: &[],
    idempotent: COMMON_IDEMPOTENT,
    weights: COMMON_WEIGHTS,
    ordered: &[ACCESS_LISTS],
    replace_on_entry: &[],
    literal_blocks: BANNER_DELIMITED,
    resequence: &[],
    interfaces: &[],
};

pub static CISCO_IOS: Driver = Driver {
    platform: Platform::CiscoIos,
    default_when: &[PHYSICAL_IOS],
    sectional_exits: &[
        SectionalExit {
            pattern: r"^address-family ",
            exit: "exit-address-family",
        },
        SectionalExit {
            pattern: r"^template peer-policy ",
            exit: "exit-peer-policy",
        },
        SectionalExit {
            pattern: r"^template peer-session ",
            exit: "exit-peer-session",
        },
    ],
    resequence: &[NegateWith {
        pattern: r"^ip access-list extended (\S+)$",
        with: "ip access-list resequence $1 10 10",
    }],
    interfaces: &[
        iface("GigabitEthernet", 2),
        iface("FastEthernet", 2),
        iface("TenGigabitEthernet", 2),
        iface("TwentyFiveGigE", 3),
        iface("TwoGigabitEthernet", 2),
        iface("FourHundredGigE", 3),
        iface("FortyGigabitEthernet", 2),
        iface("HundredGigE", 2),
        iface("AppGigabitEthernet", 2),
        iface("Ethernet", 2),
        iface("Port-channel", 2),
        iface("Loopback", 2),
        iface("Vlan", 2),
        iface("Tunnel", 2),
        iface("Serial", 2),
        iface("BDI", 3),
        iface("Null", 2),
    ],
    ..CISCO_STYLE
};

pub static CISCO_NXOS: Driver = Driver {
    platform: Platform::CiscoNxos,
    default_when: &[r"^interface Ethernet\d+(?:/\d+)*$"],
    interfaces: &[
        iface("Ethernet", 2),
        iface("port-channel", 2),
        iface("loopback", 2),
        iface("Vlan", 2),
        iface("mgmt", 2),
        iface("nve", 3),
        iface("Tunnel", 2),
    ],
    ..CISCO_STYLE
};

pub static CISCO_IOSXR: Driver = Driver {
    platform: Platform::CiscoIosxr,
    ignore: &[
        Ignore::Prefix("Building configuration"),
        Ignore::Prefix("Current configuration"),
        Ignore::Prefix("ntp clock-period"),
        Ignore::Prefix("version "),
        Ignore::Exact("end"),
        Ignore::Exact("exit"),
        Ignore::Prefix("Mon "),
        Ignore::Prefix("Tue "),
        Ignore::Prefix("Wed "),
        Ignore::Prefix("Thu "),
        Ignore::Prefix("Fri "),
        Ignore::Prefix("Sat "),
        Ignore::Prefix("Sun "),
    ],
    sectional_exits: &[
        SectionalExit {
            pattern: r"^route-policy ",
            exit: "end-policy",
        },
        SectionalExit {
            pattern: r"^(?:prefix|community|extcommunity \S+|large-community|as-path|rd)-set ",
            exit: "end-set",
        },
        SectionalExit {
            pattern: r"^extcommunity-set ",
            exit: "end-set",
        },
    ],
    ordered: &[
        ACCESS_LISTS,
        r"^route-policy ",
        r"^(?:prefix|community|large-community|as-path|rd)-set ",
        r"^extcommunity-set ",
    ],
    replace_on_entry: &[
        r"^route-policy ",
        r"^(?:prefix|community|large-community|as-path|rd)-set ",
        r"^extcommunity-set ",
    ],
    interfaces: &[
        iface("GigabitEthernet", 2),
        InterfaceType {
            canonical: "TenGigE",
            min_prefix: 2,
            aliases: &["TenGigabitEthernet"],
        },
        InterfaceType {
            canonical: "TwentyFiveGigE",
            min_prefix: 3,
            aliases: &["TF"],
        },
        InterfaceType {
            canonical: "FourHundredGigE",
            min_prefix: 3,
            aliases: &["FH"],
        },
        iface("FortyGigE", 2),
        iface("HundredGigE", 2),
        InterfaceType {
            canonical: "Bundle-Ether",
            min_prefix: 2,
            aliases: &["BE"],
        },
        iface("Loopback", 2),
        iface("MgmtEth", 2),
        iface("BVI", 2),
        iface("tunnel-ip", 7),
        iface("Null", 2),
    ],
    ..CISCO_STYLE
};

pub static ARISTA_EOS: Driver = Driver {
    platform: Platform::AristaEos,
    default_when: &[r"^interface Ethernet\d+(?:/\d+)*$"],
    ordered: &[
        ACCESS_LISTS,
        r"^ip prefix-list \S+$",
        r"^ipv6 prefix-list \S+$",
    ],
    literal_blocks: &[LiteralBlock {
        keyword: "banner ",
        pattern: r"^banner (?:login|motd)$",
        end: LiteralEnd::Line("EOF"),
    }],
    interfaces: &[
        iface("Ethernet", 2),
        iface("Port-Channel", 2),
        iface("Loopback", 2),
        iface("Management", 2),
        iface("Vlan", 2),
        iface("Vxlan", 2),
        iface("Tunnel", 2),
    ],
    ..CISCO_STYLE
};
