//! Filters for device templates: interface addresses and prefixes (IPv4 and IPv6), and VLAN
//! lists, interface names. Each refuses what it cannot read with the filter's name, the value and what was
//! expected, so a render fails with a message instead of writing a wrong line into a config.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use minijinja::{Environment, Error, ErrorKind, Value};

/// The highest VLAN id (802.1Q reserves 0 and 4095).
const MAX_VLAN: u16 = 4094;

/// Adds the network filters to `env`.
pub fn register(env: &mut Environment<'_>) {
    env.add_filter("ip", ip);
    env.add_filter("network", network);
    env.add_filter("cidr", cidr);
    env.add_filter("prefixlen", prefixlen);
    env.add_filter("netmask", netmask);
    env.add_filter("wildcard", wildcard);
    env.add_filter("nth_host", nth_host);
    env.add_filter("vlan_expand", vlan_expand);
    env.add_filter("vlan_compress", vlan_compress);
    env.add_filter("interface_name", interface_name);
}

/// An address with its prefix length: `10.0.0.1/24`, `10.0.0.1/255.255.255.0` or
/// `2001:db8::1/64`; a bare address is a host prefix (/32, /128).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Prefixed {
    addr: IpAddr,
    len: u32,
}

impl Prefixed {
    fn parse(filter: &str, text: &str) -> Result<Prefixed, Error> {
        let expected = "an IP address or prefix such as 10.0.0.1/24 or 2001:db8::1/64";
        let text = text.trim();
        let (addr, len) = match text.split_once('/') {
            Some((addr, len)) => (addr, Some(len)),
            None => (text, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| invalid(filter, text, expected))?;
        let bits = bits(addr);
        let len = match len {
            None => bits,
            Some(mask) if addr.is_ipv4() && mask.contains('.') => {
                let mask: Ipv4Addr = mask.parse().map_err(|_| invalid(filter, text, expected))?;
                let mask = u32::from(mask);
                if mask.leading_ones() + mask.trailing_zeros() != 32 {
                    return Err(invalid(filter, text, "a contiguous netmask"));
                }
                mask.leading_ones()
            }
            Some(len) => len
                .parse::<u32>()
                .ok()
                .filter(|len| *len <= bits)
                .ok_or_else(|| invalid(filter, text, expected))?,
        };
        Ok(Prefixed { addr, len })
    }

    fn mask(self) -> u128 {
        let bits = bits(self.addr);
        if self.len == 0 {
            0
        } else {
            full(bits) & (u128::MAX << (bits - self.len))
        }
    }

    fn network(self) -> u128 {
        number(self.addr) & self.mask()
    }
}

fn bits(addr: IpAddr) -> u32 {
    if addr.is_ipv4() { 32 } else { 128 }
}

fn full(bits: u32) -> u128 {
    if bits == 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    }
}

fn number(addr: IpAddr) -> u128 {
    match addr {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

/// `n` as an address of the same family as `like`; `n` fits by construction.
fn address(like: IpAddr, n: u128) -> IpAddr {
    match like {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from(u32::try_from(n).unwrap_or(u32::MAX))),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from(n)),
    }
}

fn invalid(filter: &str, value: &str, expected: &str) -> Error {
    Error::new(
        ErrorKind::InvalidOperation,
        format!("{filter}: {value:?} is not {expected}"),
    )
}

/// `10.0.0.1/24` → `10.0.0.1`.
fn ip(value: &str) -> Result<String, Error> {
    Ok(Prefixed::parse("ip", value)?.addr.to_string())
}

/// `10.0.0.1/24` → `10.0.0.0`.
fn network(value: &str) -> Result<String, Error> {
    let p = Prefixed::parse("network", value)?;
    Ok(address(p.addr, p.network()).to_string())
}

/// `10.0.0.1/24` → `10.0.0.0/24`.
fn cidr(value: &str) -> Result<String, Error> {
    let p = Prefixed::parse("cidr", value)?;
    Ok(format!("{}/{}", address(p.addr, p.network()), p.len))
}

/// `10.0.0.1/24` → `24`.
fn prefixlen(value: &str) -> Result<u32, Error> {
    Ok(Prefixed::parse("prefixlen", value)?.len)
}

/// `10.0.0.1/24` → `255.255.255.0` (IPv4 only: IPv6 configs take prefix lengths).
fn netmask(value: &str) -> Result<String, Error> {
    let p = ipv4_only("netmask", value)?;
    Ok(address(p.addr, p.mask()).to_string())
}

/// `10.0.0.1/24` → `0.0.0.255`, the inverse mask of ACLs and OSPF network statements.
fn wildcard(value: &str) -> Result<String, Error> {
    let p = ipv4_only("wildcard", value)?;
    Ok(address(p.addr, !p.mask() & full(32)).to_string())
}

fn ipv4_only(filter: &str, value: &str) -> Result<Prefixed, Error> {
    let p = Prefixed::parse(filter, value)?;
    if p.addr.is_ipv4() {
        Ok(p)
    } else {
        Err(invalid(
            filter,
            value,
            "an IPv4 prefix (IPv6 has no netmasks)",
        ))
    }
}

/// The `n`th address of the prefix, `10.0.0.0/24 | nth_host(1)` → `10.0.0.1`; `n` from 0 (the
/// network address) to the last address of the prefix.
fn nth_host(value: &str, n: i64) -> Result<String, Error> {
    let p = Prefixed::parse("nth_host", value)?;
    let size = 1u128 << (bits(p.addr) - p.len).min(127);
    let n = u128::try_from(n)
        .ok()
        .filter(|n| *n < size || bits(p.addr) - p.len == 128)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidOperation,
                format!(
                    "nth_host: {n} is outside {value:?} (0 to {})",
                    size.saturating_sub(1)
                ),
            )
        })?;
    Ok(address(p.addr, p.network() + n).to_string())
}

/// `"10-12,20"` → `[10, 11, 12, 20]`: sorted, each once.
fn vlan_expand(value: &str) -> Result<Vec<u16>, Error> {
    let mut vlans = Vec::new();
    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (first, last) = match part.split_once('-') {
            Some((a, b)) => (vlan(value, a)?, vlan(value, b)?),
            None => (vlan(value, part)?, vlan(value, part)?),
        };
        if first > last {
            return Err(invalid(
                "vlan_expand",
                value,
                "a VLAN list with ranges written low-high",
            ));
        }
        vlans.extend(first..=last);
    }
    vlans.sort_unstable();
    vlans.dedup();
    Ok(vlans)
}

fn vlan(list: &str, text: &str) -> Result<u16, Error> {
    text.trim()
        .parse::<u16>()
        .ok()
        .filter(|id| (1..=MAX_VLAN).contains(id))
        .ok_or_else(|| {
            invalid(
                "vlan_expand",
                list,
                "a VLAN list such as 10-12,20 (ids 1 to 4094)",
            )
        })
}

/// `[10, 11, 12, 20]` (numbers or their text, any order, repeats allowed) → `"10-12,20"`.
fn vlan_compress(value: Value) -> Result<String, Error> {
    let mut ids = Vec::new();
    for item in value.try_iter()? {
        let id = u16::try_from(item.clone())
            .ok()
            .or_else(|| item.as_str().and_then(|s| s.trim().parse().ok()))
            .filter(|id| (1..=MAX_VLAN).contains(id))
            .ok_or_else(|| {
                invalid(
                    "vlan_compress",
                    &item.to_string(),
                    "a VLAN id from 1 to 4094",
                )
            })?;
        ids.push(id);
    }
    ids.sort_unstable();
    ids.dedup();
    let mut ranges: Vec<(u16, u16)> = Vec::new();
    for id in ids {
        match ranges.last_mut() {
            Some((_, last)) if *last + 1 == id => *last = id,
            _ => ranges.push((id, id)),
        }
    }
    Ok(ranges
        .iter()
        .map(|&(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}-{b}")
            }
        })
        .collect::<Vec<_>>()
        .join(","))
}

/// `{{ "Gi1/0/1" | interface_name(node.platform) }}`: the name spelled as the platform
/// prints it in its configuration, so a template may use the short form an engineer types.
fn interface_name(value: &str, platform: &str) -> Result<String, Error> {
    let platform = unet_config::parse_platform(platform)
        .map_err(|e| Error::new(ErrorKind::InvalidOperation, format!("interface_name: {e}")))?;
    Ok(unet_config::canonical_interface(platform, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(template: &str) -> Result<String, Error> {
        let mut env = Environment::new();
        register(&mut env);
        env.render_str(template, ())
    }

    fn ok(template: &str) -> String {
        render(template).unwrap_or_else(|e| panic!("{template}: {e}"))
    }

    fn fails(template: &str) -> String {
        render(template).expect_err(template).to_string()
    }

    #[test]
    fn ipv4_prefixes() {
        assert_eq!(ok("{{ '10.1.2.3/24' | ip }}"), "10.1.2.3");
        assert_eq!(ok("{{ '10.1.2.3/24' | network }}"), "10.1.2.0");
        assert_eq!(ok("{{ '10.1.2.3/24' | cidr }}"), "10.1.2.0/24");
        assert_eq!(ok("{{ '10.1.2.3/24' | prefixlen }}"), "24");
        assert_eq!(ok("{{ '10.1.2.3/24' | netmask }}"), "255.255.255.0");
        assert_eq!(ok("{{ '10.1.2.3/24' | wildcard }}"), "0.0.0.255");
        assert_eq!(ok("{{ '10.1.2.3/255.255.252.0' | cidr }}"), "10.1.0.0/22");
        assert_eq!(ok("{{ '10.0.0.0/30' | nth_host(2) }}"), "10.0.0.2");
        assert_eq!(ok("{{ '10.0.0.0/30' | nth_host(3) }}"), "10.0.0.3");
    }

    #[test]
    fn edge_prefix_lengths() {
        assert_eq!(ok("{{ '10.1.2.3' | cidr }}"), "10.1.2.3/32");
        assert_eq!(ok("{{ '10.1.2.3/32' | wildcard }}"), "0.0.0.0");
        assert_eq!(ok("{{ '10.1.2.3/0' | netmask }}"), "0.0.0.0");
        assert_eq!(ok("{{ '10.1.2.3/0' | wildcard }}"), "255.255.255.255");
        assert_eq!(ok("{{ '10.0.0.1/31' | network }}"), "10.0.0.0");
        assert_eq!(ok("{{ '10.0.0.0/31' | nth_host(1) }}"), "10.0.0.1");
        assert_eq!(ok("{{ '::/0' | nth_host(5) }}"), "::5");
    }

    #[test]
    fn ipv6_prefixes() {
        assert_eq!(ok("{{ '2001:db8:1::7/64' | network }}"), "2001:db8:1::");
        assert_eq!(ok("{{ '2001:db8:1::7/64' | cidr }}"), "2001:db8:1::/64");
        assert_eq!(ok("{{ '2001:db8:1::/64' | nth_host(1) }}"), "2001:db8:1::1");
        assert_eq!(ok("{{ '2001:db8::1' | prefixlen }}"), "128");
        assert!(fails("{{ '2001:db8::1/64' | netmask }}").contains("IPv6 has no netmasks"));
    }

    #[test]
    fn bad_addresses_are_named() {
        for (template, expected) in [
            (
                "{{ '10.1.2.300/24' | network }}",
                "network: \"10.1.2.300/24\"",
            ),
            ("{{ '10.1.2.3/33' | network }}", "network: \"10.1.2.3/33\""),
            ("{{ 'core-1' | ip }}", "ip: \"core-1\""),
            (
                "{{ '10.1.2.3/255.0.255.0' | cidr }}",
                "a contiguous netmask",
            ),
            (
                "{{ '10.0.0.0/30' | nth_host(4) }}",
                "nth_host: 4 is outside",
            ),
            (
                "{{ '10.0.0.0/30' | nth_host(-1) }}",
                "nth_host: -1 is outside",
            ),
        ] {
            let err = fails(template);
            assert!(err.contains(expected), "{template}: {err}");
        }
    }

    #[test]
    fn vlan_lists() {
        assert_eq!(
            ok("{{ '10-12, 20,11' | vlan_expand | join(' ') }}"),
            "10 11 12 20"
        );
        assert_eq!(
            ok("{{ [20, 10, 11, 12, 12, '13'] | vlan_compress }}"),
            "10-13,20"
        );
        assert_eq!(ok("{{ [1, 3, 4094] | vlan_compress }}"), "1,3,4094");
        assert_eq!(ok("{{ [] | vlan_compress }}"), "");
        assert_eq!(ok("{{ '1-3,7' | vlan_expand | vlan_compress }}"), "1-3,7");
        for (template, expected) in [
            ("{{ '12-10' | vlan_expand }}", "ranges written low-high"),
            ("{{ '0,5' | vlan_expand }}", "ids 1 to 4094"),
            ("{{ '4095' | vlan_expand }}", "ids 1 to 4094"),
            ("{{ 'ten' | vlan_expand }}", "vlan_expand: \"ten\""),
            (
                "{{ [10, 5000] | vlan_compress }}",
                "vlan_compress: \"5000\"",
            ),
        ] {
            let err = fails(template);
            assert!(err.contains(expected), "{template}: {err}");
        }
    }

    #[test]
    fn interface_names_follow_the_platform() {
        assert_eq!(
            ok("{{ 'gi1/0/1' | interface_name('cisco_ios') }}"),
            "GigabitEthernet1/0/1"
        );
        assert_eq!(ok("{{ 'Et49/1' | interface_name('eos') }}"), "Ethernet49/1");
        assert_eq!(
            ok("{{ 'ge-0/0/0' | interface_name('juniper_junos') }}"),
            "ge-0/0/0"
        );
        let err = render("{{ 'Gi1' | interface_name('vyos') }}").unwrap_err();
        assert!(err.to_string().contains("interface_name"), "{err}");
    }
}
