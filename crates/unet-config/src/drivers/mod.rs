//! One declarative rule set per platform; [`rules`] compiles each once per process.

mod cisco;
mod junos;

use std::sync::OnceLock;

use crate::platform::Platform;
use crate::rules::{Driver, Rules};

pub fn driver(platform: Platform) -> &'static Driver {
    match platform {
        Platform::CiscoIos => &cisco::CISCO_IOS,
        Platform::CiscoNxos => &cisco::CISCO_NXOS,
        Platform::CiscoIosxr => &cisco::CISCO_IOSXR,
        Platform::AristaEos => &cisco::ARISTA_EOS,
        Platform::JuniperJunos => &junos::JUNIPER_JUNOS,
        Platform::Generic => &junos::GENERIC,
    }
}

/// The compiled rules of `platform`, built on first use.
pub fn rules(platform: Platform) -> &'static Rules {
    static COMPILED: [OnceLock<Rules>; 6] = [const { OnceLock::new() }; 6];
    let slot = Platform::ALL
        .iter()
        .position(|p| *p == platform)
        .unwrap_or(Platform::ALL.len() - 1);
    COMPILED[slot].get_or_init(|| Rules::compile(driver(platform)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_driver_compiles_and_names_its_platform() {
        for &platform in Platform::ALL {
            assert_eq!(rules(platform).driver.platform, platform);
        }
    }

    #[test]
    fn interface_abbreviations_resolve_per_platform() {
        let ios = rules(Platform::CiscoIos);
        assert_eq!(ios.interface_type("Gi"), Some("GigabitEthernet"));
        assert_eq!(ios.interface_type("Te"), Some("TenGigabitEthernet"));
        assert_eq!(ios.interface_type("Tw"), Some("TwoGigabitEthernet"));
        assert_eq!(ios.interface_type("Twe"), Some("TwentyFiveGigE"));
        assert_eq!(ios.interface_type("Fo"), Some("FortyGigabitEthernet"));
        assert_eq!(ios.interface_type("po"), Some("Port-channel"));
        assert_eq!(ios.interface_type("G"), None);
        let xr = rules(Platform::CiscoIosxr);
        assert_eq!(xr.interface_type("BE"), Some("Bundle-Ether"));
        assert_eq!(xr.interface_type("Te"), Some("TenGigE"));
        assert_eq!(
            rules(Platform::AristaEos).interface_type("Et"),
            Some("Ethernet")
        );
        assert_eq!(
            rules(Platform::CiscoNxos).interface_type("Eth"),
            Some("Ethernet")
        );
        assert_eq!(rules(Platform::JuniperJunos).interface_type("ge"), None);
    }

    #[test]
    fn negation_follows_the_rules() {
        let ios = rules(Platform::CiscoIos);
        assert_eq!(ios.negate("description uplink"), "no description");
        assert_eq!(
            ios.negate("ip address 10.0.0.1 255.255.255.0"),
            "no ip address"
        );
        assert_eq!(
            ios.negate("ip address 10.0.0.2 255.255.255.0 secondary"),
            "no ip address 10.0.0.2 255.255.255.0 secondary"
        );
        // A secondary written with a prefix length is removed alone, not with every address.
        assert_eq!(
            rules(Platform::CiscoNxos).negate("ip address 10.1.1.2/24 secondary"),
            "no ip address 10.1.1.2/24 secondary"
        );
        assert_eq!(ios.negate("no ip http server"), "ip http server");
        assert_eq!(
            ios.negate("interface GigabitEthernet1/0/3"),
            "default interface GigabitEthernet1/0/3"
        );
        assert_eq!(ios.negate("interface Vlan10"), "no interface Vlan10");
        // Subinterfaces can be deleted; only physical ports are reset.
        assert_eq!(
            ios.negate("interface GigabitEthernet0/0/0.100"),
            "no interface GigabitEthernet0/0/0.100"
        );
        assert_eq!(
            rules(Platform::AristaEos).negate("interface Ethernet1/1"),
            "default interface Ethernet1/1"
        );
        let junos = rules(Platform::JuniperJunos);
        assert_eq!(
            junos.negate("set system ntp server 10.0.0.1"),
            "delete system ntp server 10.0.0.1"
        );
    }

    #[test]
    fn idempotent_identity_groups_values_of_one_setting() {
        let ios = rules(Platform::CiscoIos);
        assert_eq!(
            ios.idempotent_identity("description a"),
            ios.idempotent_identity("description b")
        );
        assert_ne!(
            ios.idempotent_identity("neighbor 10.0.0.1 remote-as 1"),
            ios.idempotent_identity("neighbor 10.0.0.2 remote-as 1")
        );
        assert_eq!(
            ios.idempotent_identity("ip address 10.0.0.2 255.255.255.0 secondary"),
            None
        );
        assert_eq!(
            ios.idempotent_identity("name voice"),
            ios.idempotent_identity("name voice-phones")
        );
        // Distinct settings that share a prefix stay distinct.
        assert_ne!(
            ios.idempotent_identity("maximum-paths 4"),
            ios.idempotent_identity("maximum-paths ibgp 4")
        );
        assert_ne!(
            ios.idempotent_identity("access-class VTY-IN in"),
            ios.idempotent_identity("access-class VTY-OUT out")
        );
        assert_ne!(
            ios.idempotent_identity("access-class VTY-IN in"),
            ios.idempotent_identity("ipv6 access-class VTY6-IN in")
        );
        let nxos = rules(Platform::CiscoNxos);
        for secondary in ["ip address 10.1.1.2/24 secondary", "ip 10.1.0.5 secondary"] {
            assert_eq!(nxos.idempotent_identity(secondary), None, "{secondary}");
        }
        assert_eq!(
            nxos.idempotent_identity("ip 10.1.0.1"),
            nxos.idempotent_identity("ip 10.1.0.254")
        );
        assert_eq!(nxos.idempotent_identity("ip redirects"), None);
        assert_ne!(
            nxos.idempotent_identity("ip ospf message-digest-key 1 md5 a"),
            nxos.idempotent_identity("ip ospf message-digest-key 2 md5 b")
        );
        assert!(ios.weight("no route-map X permit 10") > ios.weight("route-map X permit 10"));
    }
}
