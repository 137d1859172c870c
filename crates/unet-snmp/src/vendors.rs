//! Vendor knowledge as data: the enterprise number in `sysObjectID` names the vendor, and the
//! vendor's pattern reads the software version out of `sysDescr`. A new vendor is a new row.

use std::sync::LazyLock;

use regex::Regex;

/// One vendor: its IANA enterprise number, μNet's slug for it, and the pattern whose first
/// group is the software version in its `sysDescr`.
struct Vendor {
    enterprise: u32,
    slug: &'static str,
    version: &'static str,
}

const VENDORS: &[Vendor] = &[
    // "Cisco IOS Software, C3560 Software (...), Version 12.2(55)SE7, RELEASE SOFTWARE (fc1)"
    // "Cisco NX-OS(tm) n5000, Software (n5000-uk9), Version 5.2(1)N1(4), RELEASE SOFTWARE"
    Vendor {
        enterprise: 9,
        slug: "cisco",
        version: r"Version ([^ ,]+)",
    },
    // "Juniper Networks, Inc. mx960 internet router, kernel JUNOS 12.3R6.6, Build date: ..."
    Vendor {
        enterprise: 2636,
        slug: "juniper",
        version: r"JUNOS ([^ ,\]]+)",
    },
    // "Arista Networks EOS version 4.13.5F running on an Arista Networks DCS-7150S-52-CL"
    Vendor {
        enterprise: 30065,
        slug: "arista",
        version: r"EOS version ([^ ,]+)",
    },
    // "Huawei Versatile Routing Platform Software VRP (R) software, Version 5.170 (S5720 V200R011C10SPC500)"
    Vendor {
        enterprise: 2011,
        slug: "huawei",
        version: r"\((?:\S+ )?(V\d{3}R\d{3}\S*)\)",
    },
    // "HP J9146A 2910al-24G Switch, revision W.14.49, ROM W.14.04 (/ws/swbuildm/...)"
    Vendor {
        enterprise: 11,
        slug: "hpe",
        version: r"revision ([^ ,]+)",
    },
    Vendor {
        enterprise: 25506,
        slug: "h3c",
        version: r"Version ([^ ,]+)",
    },
    Vendor {
        enterprise: 1991,
        slug: "brocade",
        version: r"Version ([^ ,]+)",
    },
    Vendor {
        enterprise: 1588,
        slug: "brocade",
        version: r"(?:Fabric OS|v)\s*([0-9][^ ,]*)",
    },
    Vendor {
        enterprise: 12356,
        slug: "fortinet",
        version: r"v(\d+\.\d+[^ ,]*)",
    },
    Vendor {
        enterprise: 25461,
        slug: "paloalto",
        version: r"(?:PAN-OS|version) ([0-9][^ ,]*)",
    },
    Vendor {
        enterprise: 14988,
        slug: "mikrotik",
        version: r"RouterOS ([0-9][^ ,]*)",
    },
    Vendor {
        enterprise: 6486,
        slug: "nokia",
        version: r"TiMOS-\S*?-([0-9][^ ,]*)",
    },
    Vendor {
        enterprise: 3902,
        slug: "zte",
        version: r"Version:? ?([^ ,]+)",
    },
    Vendor {
        enterprise: 4881,
        slug: "ruijie",
        version: r"Version ([^ ,]+)",
    },
    Vendor {
        enterprise: 171,
        slug: "dlink",
        version: r"(?:Firmware|Build) ?([0-9][^ ,]*)",
    },
    Vendor {
        enterprise: 41112,
        slug: "ubiquiti",
        version: r"v(\d+\.\d+[^ ,]*)",
    },
    Vendor {
        enterprise: 14823,
        slug: "aruba",
        version: r"Version ([^ ,]+)",
    },
    // net-snmp on Linux: "Linux core-01 5.10.0-28-amd64 #1 SMP Debian ..."
    Vendor {
        enterprise: 8072,
        slug: "linux",
        version: r"^Linux \S+ (\S+)",
    },
];

/// Enterprise numbers live under `1.3.6.1.4.1`.
const ENTERPRISES: &[u32] = &[1, 3, 6, 1, 4, 1];

static PATTERNS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    VENDORS
        .iter()
        .map(|v| Regex::new(v.version).expect("vendor patterns are tested"))
        .collect()
});

/// The vendor slug and software version a device's `sysObjectID` and `sysDescr` tell.
pub fn identify(object_id: &[u32], description: Option<&str>) -> (Option<String>, Option<String>) {
    let enterprise = object_id
        .strip_prefix(ENTERPRISES)
        .and_then(|rest| rest.first().copied());
    let Some(i) = enterprise.and_then(|e| VENDORS.iter().position(|v| v.enterprise == e)) else {
        return (None, None);
    };
    let version = description
        .and_then(|d| PATTERNS[i].captures(d))
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().trim_end_matches(['.', ',', ';']).to_string())
        .filter(|v| !v.is_empty());
    (Some(VENDORS[i].slug.to_string()), version)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oid(text: &str) -> Vec<u32> {
        text.split('.').map(|a| a.parse().unwrap()).collect()
    }

    #[test]
    fn every_pattern_compiles() {
        assert_eq!(PATTERNS.len(), VENDORS.len());
    }

    #[test]
    fn versions_of_real_descriptions() {
        let cases = [
            (
                "1.3.6.1.4.1.9.1.633",
                "Cisco IOS Software, C3560 Software (C3560-IPSERVICESK9-M), Version 12.2(55)SE7, RELEASE SOFTWARE (fc1)",
                "cisco",
                "12.2(55)SE7",
            ),
            (
                "1.3.6.1.4.1.9.12.3.1.3.1084",
                "Cisco NX-OS(tm) n5000, Software (n5000-uk9), Version 5.2(1)N1(4), RELEASE SOFTWARE Copyright (c) 2002-2011",
                "cisco",
                "5.2(1)N1(4)",
            ),
            (
                "1.3.6.1.4.1.2636.1.1.1.2.25",
                "Juniper Networks, Inc. mx960 internet router, kernel JUNOS 12.3R6.6, Build date: 2014-03-13 06:47:29 UTC",
                "juniper",
                "12.3R6.6",
            ),
            (
                "1.3.6.1.4.1.30065.1.3011.7150.3282.52",
                "Arista Networks EOS version 4.13.5F running on an Arista Networks DCS-7150S-52-CL",
                "arista",
                "4.13.5F",
            ),
            (
                "1.3.6.1.4.1.8072.3.2.10",
                "Linux core-01 5.10.0-28-amd64 #1 SMP Debian 5.10.209-2",
                "linux",
                "5.10.0-28-amd64",
            ),
            (
                "1.3.6.1.4.1.11.2.3.7.11.87",
                "HP J9146A 2910al-24G Switch, revision W.14.49, ROM W.14.04",
                "hpe",
                "W.14.49",
            ),
        ];
        for (object_id, description, vendor, version) in cases {
            assert_eq!(
                identify(&oid(object_id), Some(description)),
                (Some(vendor.to_string()), Some(version.to_string())),
                "{description}"
            );
        }
    }

    #[test]
    fn unknown_vendors_and_missing_versions() {
        assert_eq!(
            identify(&oid("1.3.6.1.4.1.99999.1"), Some("Version 1")),
            (None, None)
        );
        assert_eq!(identify(&[], None), (None, None));
        assert_eq!(
            identify(&oid("1.3.6.1.4.1.9.1.1"), Some("no version here")),
            (Some("cisco".into()), None)
        );
    }
}
