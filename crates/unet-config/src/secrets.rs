//! Masking the secrets of a device configuration for readers who may see the configuration but
//! not its credentials: the secret part of each known secret line is replaced by [`MASK`], the
//! rest of the line stays, so the masked text still diffs and reads like the device's.
//!
//! What a secret looks like is data: one table of patterns per platform family. In a pattern,
//! `\s` (outside a character class) stands for a blank within the line, never a line break;
//! an unquoted Junos secret starts with `$` (Junos stores only hashes and `$9$` ciphers
//! there). The first capture group
//! that took part in a match is the secret. A pattern may apply only inside one top-level block
//! of a Junos configuration (`community NAME` is a secret under `snmp`, not under
//! `policy-options`).

use std::borrow::Cow;
use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;

use crate::Platform;

/// What replaces a secret.
pub const MASK: &str = "<masked>";

struct Pattern {
    regex: &'static str,
    /// Only inside this top-level block (`snmp { … }`) of a bracketed Junos configuration.
    within: Option<&'static str>,
    /// Words in the secret's place that are keywords, not secrets (the regex engine has no
    /// look-ahead to leave them out).
    except: &'static [&'static str],
}

const fn line(regex: &'static str) -> Pattern {
    Pattern {
        regex,
        within: None,
        except: &[],
    }
}

/// An encryption type or hash name written before a secret (`7`, `sha512`, `encrypted`).
macro_rules! kind {
    () => {
        r"(?:\s+(?:[0-9]{1,2}|sha512|md5|encrypted|clear))?"
    };
}

/// IOS, IOS-XE, NX-OS, EOS and IOS-XR (and their indented blocks).
const CISCO: &[Pattern] = &[
    line(concat!(
        r"^\s*enable\s+(?:secret|password)(?:\s+level\s+\d+)?",
        kind!(),
        r"\s+(\S+)"
    )),
    line(concat!(
        r"^\s*username\s+\S+.*?\s(?:secret|password)",
        kind!(),
        r"\s+(\S+)"
    )),
    // A secret on its own line in a block: IOS-XR `username` and BGP `neighbor`, `line vty`.
    line(concat!(r"^\s+(?:secret|password)", kind!(), r"\s+(\S+)")),
    line(r"\spassword\s+7\s+(\S+)"),
    line(concat!(
        r"^\s*neighbor\s+\S+\s+password",
        kind!(),
        r"\s+(\S+)"
    )),
    line(r"^\s*snmp-server\s+community\s+(\S+)"),
    line(r"^\s*snmp-server\s+host\s+\S+(?:\s+(?:traps|informs))?\s+version\s+(?:1|2c)\s+(\S+)"),
    line(r"^\s*snmp-server\s+user\s.*?\sauth\s+(?:md5|sha\S*)\s+(\S+)"),
    line(r"^\s*snmp-server\s+user\s.*?\spriv(?:\s+(?:des|3des|aes(?:-128)?(?:\s+\d+)?))?\s+(\S+)"),
    line(concat!(r"^\s*key-string", kind!(), r"\s+(\S+)")),
    line(r"\skey\s+7\s+(\S+)"),
    line(concat!(
        r"^\s*(?:tacacs|radius)-server\s+(?:host\s+\S+.*?\s)?key",
        kind!(),
        r"\s+(\S+)"
    )),
    // `key …` in a `tacacs server` / `radius server` block; `key 1` in a key chain is an id.
    line(r"^\s+key\s+[0-9]\s+(\S+)"),
    line(r"^\s+key\s+([^ \t\r\n0-9]\S*)"),
    Pattern {
        regex: concat!(
            r"^\s*(?:\S+\s+)?pre-shared-key(?:\s+(?:local|remote))?",
            kind!(),
            r"\s+(\S+)"
        ),
        within: None,
        except: &["address", "hostname"],
    },
    line(r"^\s*pre-shared-key\s+(?:address|hostname)\s.*?\skey(?:\s+[0-9])?\s+(\S+)"),
    line(r"^\s*crypto\s+isakmp\s+key(?:\s+[0-9])?\s+(\S+)"),
    line(concat!(r"ospf\s+authentication-key", kind!(), r"\s+(\S+)")),
    line(concat!(r"^\s+authentication-key", kind!(), r"\s+(\S+)")),
    line(concat!(
        r"message-digest-key\s+\d+\s+md5",
        kind!(),
        r"\s+(\S+)"
    )),
    line(r"^\s*ntp\s+authentication-key\s+\d+\s+\S+\s+(\S+)"),
];

/// Junos, bracketed (`system { … }`) and set-style (`set system …`).
const JUNOS: &[Pattern] = &[
    line(r#""(\$9\$[^"]*)""#),
    line(r#"(?:^|\s)(\$9\$[^ \t\r\n;"]+)"#),
    line(
        r#"\s(?:encrypted-password|secret|authentication-key|ascii-text|hexadecimal|simple-password)\s+(?:"([^"]*)"|((\$[^ \t\r\n;"]*)))"#,
    ),
    line(r#"^\s*set\s+snmp\s+community\s+(?:"([^"]*)"|([^ \t\r\n;"]+))"#),
    Pattern {
        regex: r#"^\s*community\s+(?:"([^"]*)"|([^ \t\r\n;"{]+))"#,
        within: Some("snmp"),
        except: &[],
    },
];

fn compile(table: &'static [Pattern]) -> Vec<(Regex, &'static Pattern)> {
    table
        .iter()
        .map(|p| {
            let text = format!("(?m){}", p.regex.replace(r"\s", r"[ \t]"));
            // The table is constant and covered by the tests below.
            let regex = Regex::new(&text).expect("secret pattern compiles");
            (regex, p)
        })
        .collect()
}

fn patterns(platform: Platform) -> &'static [(Regex, &'static Pattern)] {
    static CISCO_RULES: OnceLock<Vec<(Regex, &'static Pattern)>> = OnceLock::new();
    static JUNOS_RULES: OnceLock<Vec<(Regex, &'static Pattern)>> = OnceLock::new();
    static ALL_RULES: OnceLock<Vec<(Regex, &'static Pattern)>> = OnceLock::new();
    match platform {
        Platform::CiscoIos | Platform::CiscoNxos | Platform::CiscoIosxr | Platform::AristaEos => {
            CISCO_RULES.get_or_init(|| compile(CISCO))
        }
        Platform::JuniperJunos => JUNOS_RULES.get_or_init(|| compile(JUNOS)),
        // A configuration of unknown dialect gets every pattern: masking too much beats
        // showing a key.
        Platform::Generic => ALL_RULES.get_or_init(|| {
            let mut all = compile(CISCO);
            all.extend(compile(JUNOS));
            all
        }),
    }
}

/// `text` with the secret part of every known secret line of `platform` replaced by [`MASK`];
/// borrowed unchanged when it has none.
pub fn mask_secrets(platform: Platform, text: &str) -> Cow<'_, str> {
    let mut secrets: Vec<Range<usize>> = Vec::new();
    let mut blocks: Option<Vec<(Range<usize>, &str)>> = None;
    for (regex, pattern) in patterns(platform) {
        for captures in regex.captures_iter(text) {
            let Some(secret) = captures.iter().skip(1).flatten().next() else {
                continue;
            };
            if pattern.except.contains(&secret.as_str()) {
                continue;
            }
            if let Some(name) = pattern.within {
                let blocks = blocks.get_or_insert_with(|| top_level_blocks(text));
                let inside = blocks
                    .iter()
                    .any(|(range, block)| *block == name && range.contains(&secret.start()));
                if !inside {
                    continue;
                }
            }
            if !secret.is_empty() {
                secrets.push(secret.range());
            }
        }
    }
    if secrets.is_empty() {
        return Cow::Borrowed(text);
    }
    secrets.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for range in secrets {
        // Two patterns may find the same secret, or one inside another's.
        if range.start < copied {
            continue;
        }
        out.push_str(&text[copied..range.start]);
        out.push_str(MASK);
        copied = range.end;
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// The byte ranges of the top-level `NAME { … }` blocks of a bracketed configuration, with
/// their names. Braces inside double quotes and after `#` do not count.
fn top_level_blocks(text: &str) -> Vec<(Range<usize>, &str)> {
    let mut blocks = Vec::new();
    let mut depth = 0usize;
    let mut open: Option<(usize, &str)> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let mut quoted = false;
        for (i, c) in line.char_indices() {
            match c {
                '"' => quoted = !quoted,
                '#' if !quoted => break,
                '{' if !quoted => {
                    if depth == 0 {
                        let name = line.split_whitespace().next().unwrap_or_default();
                        open = Some((offset + i, name));
                    }
                    depth += 1;
                }
                '}' if !quoted => {
                    depth = depth.saturating_sub(1);
                    if depth == 0
                        && let Some((start, name)) = open.take()
                    {
                        blocks.push((start..offset + i, name));
                    }
                }
                _ => {}
            }
        }
        offset += line.len();
    }
    if let Some((start, name)) = open {
        blocks.push((start..text.len(), name));
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(platform: Platform, text: &str) -> String {
        mask_secrets(platform, text).into_owned()
    }

    #[test]
    fn every_pattern_compiles() {
        for platform in Platform::ALL {
            assert!(!patterns(*platform).is_empty());
        }
    }

    #[test]
    fn cisco_ios_secret_lines_keep_everything_but_the_secret() {
        let config = "\
hostname edge-1
enable secret 9 $9$nhEmQVczB7dqsO$X.HsgL6x1il0RxkOSSvyQYwucySCt7qFm4v7pqCxkKM
enable password 7 0822455D0A16
username admin privilege 15 secret 9 $9$abc$def
username ops password 7 045802150C2E
service password-encryption
snmp-server community s3cr3t-ro RO 10
snmp-server host 192.0.2.9 version 2c trapcomm
snmp-server user mon grp v3 auth sha AuthPass1 priv aes 128 PrivPass2
tacacs-server host 192.0.2.10 key 7 1511021F0725
radius-server key R4d1us
tacacs server TAC1
 address ipv4 192.0.2.11
 key 7 104D000A0618
radius server RAD1
 key PlainKey
key chain OSPF
 key 1
  key-string 7 0822455D0A16
crypto isakmp key IsaKey address 192.0.2.1
crypto keyring KR1
 pre-shared-key address 192.0.2.1 key PskKey
crypto ikev2 keyring KR
 peer P1
  pre-shared-key local LocalKey
crypto key generate rsa modulus 2048
interface GigabitEthernet0/1
 ip ospf authentication-key 7 13061E010803
 ip ospf message-digest-key 1 md5 7 070C285F4D06
router bgp 65000
 neighbor 192.0.2.2 password 7 02050D480809
 neighbor 192.0.2.2 remote-as 65001
ntp authentication-key 1 md5 121A0C041104 7
line vty 0 4
 password 7 0822455D0A16
 login
banner motd ^CAuthorized access only^C
";
        let out = masked(Platform::CiscoIos, config);
        let expected = "\
hostname edge-1
enable secret 9 <masked>
enable password 7 <masked>
username admin privilege 15 secret 9 <masked>
username ops password 7 <masked>
service password-encryption
snmp-server community <masked> RO 10
snmp-server host 192.0.2.9 version 2c <masked>
snmp-server user mon grp v3 auth sha <masked> priv aes 128 <masked>
tacacs-server host 192.0.2.10 key 7 <masked>
radius-server key <masked>
tacacs server TAC1
 address ipv4 192.0.2.11
 key 7 <masked>
radius server RAD1
 key <masked>
key chain OSPF
 key 1
  key-string 7 <masked>
crypto isakmp key <masked> address 192.0.2.1
crypto keyring KR1
 pre-shared-key address 192.0.2.1 key <masked>
crypto ikev2 keyring KR
 peer P1
  pre-shared-key local <masked>
crypto key generate rsa modulus 2048
interface GigabitEthernet0/1
 ip ospf authentication-key 7 <masked>
 ip ospf message-digest-key 1 md5 7 <masked>
router bgp 65000
 neighbor 192.0.2.2 password 7 <masked>
 neighbor 192.0.2.2 remote-as 65001
ntp authentication-key 1 md5 <masked> 7
line vty 0 4
 password 7 <masked>
 login
banner motd ^CAuthorized access only^C
";
        assert_eq!(out, expected);
    }

    #[test]
    fn nxos_eos_and_iosxr_spellings() {
        let nxos = "username admin password 5 $5$KLE.Pd$0n6 role network-admin\n\
                    snmp-server user admin network-admin auth md5 0x1234 priv 0x5678 localizedkey\n";
        assert_eq!(
            masked(Platform::CiscoNxos, nxos),
            "username admin password 5 <masked> role network-admin\n\
             snmp-server user admin network-admin auth md5 <masked> priv <masked> localizedkey\n"
        );
        let eos = "username admin privilege 15 role network-admin secret sha512 $6$salt$hash\n\
                   enable password sha512 $6$x$y\n\
                   router bgp 65000\n   neighbor SPINE password 7 AbCdEf==\n";
        assert_eq!(
            masked(Platform::AristaEos, eos),
            "username admin privilege 15 role network-admin secret sha512 <masked>\n\
             enable password sha512 <masked>\n\
             router bgp 65000\n   neighbor SPINE password 7 <masked>\n"
        );
        let xr = "username admin\n group root-lr\n secret 10 $6$abc$def\n!\n\
                  router ospf 1\n area 0\n  authentication-key encrypted 1511021F07\n\
                  router bgp 65000\n neighbor 192.0.2.1\n  password encrypted 104D000A\n";
        assert_eq!(
            masked(Platform::CiscoIosxr, xr),
            "username admin\n group root-lr\n secret 10 <masked>\n!\n\
             router ospf 1\n area 0\n  authentication-key encrypted <masked>\n\
             router bgp 65000\n neighbor 192.0.2.1\n  password encrypted <masked>\n"
        );
    }

    #[test]
    fn junos_bracketed_and_set_style() {
        let config = r#"system {
    root-authentication {
        encrypted-password "$6$abc$def"; ## SECRET-DATA
    }
    login {
        user ops {
            authentication {
                encrypted-password "$6$x$y";
            }
        }
    }
}
protocols {
    bgp {
        group ext {
            authentication-key "$9$dkb2aGDk.5F"; ## SECRET-DATA
        }
    }
}
snmp {
    community public {
        authorization read-only;
    }
    community "with space" {
        authorization read-only;
    }
}
policy-options {
    community BLACKHOLE members 65535:666;
}
security {
    ike {
        policy p1 {
            pre-shared-key ascii-text "$9$Tz6/CtOhSr"; ## SECRET-DATA
        }
    }
}
"#;
        let out = masked(Platform::JuniperJunos, config);
        assert!(
            out.contains(r#"encrypted-password "<masked>"; ## SECRET-DATA"#),
            "{out}"
        );
        assert!(out.contains(r#"encrypted-password "<masked>";"#), "{out}");
        assert!(
            out.contains(r#"authentication-key "<masked>"; ## SECRET-DATA"#),
            "{out}"
        );
        assert!(out.contains("    community <masked> {\n"), "{out}");
        assert!(out.contains("    community \"<masked>\" {\n"), "{out}");
        assert!(
            out.contains("community BLACKHOLE members 65535:666;"),
            "{out}"
        );
        assert!(
            out.contains(r#"pre-shared-key ascii-text "<masked>";"#),
            "{out}"
        );
        for secret in ["$6$", "$9$", "public", "with space"] {
            assert!(!out.contains(secret), "{secret} left in {out}");
        }
        assert_eq!(out.lines().count(), config.lines().count());

        let set = "set system root-authentication encrypted-password \"$6$abc\"\n\
                   set snmp community public authorization read-only\n\
                   set policy-options community BH members 65535:666\n\
                   set protocols ospf area 0 interface ge-0/0/0 authentication md5 1 key $9$abc\n";
        assert_eq!(
            masked(Platform::JuniperJunos, set),
            "set system root-authentication encrypted-password \"<masked>\"\n\
             set snmp community <masked> authorization read-only\n\
             set policy-options community BH members 65535:666\n\
             set protocols ospf area 0 interface ge-0/0/0 authentication md5 1 key <masked>\n"
        );
    }

    #[test]
    fn text_without_secrets_is_borrowed_and_generic_masks_both_families() {
        let plain = "hostname r1\ninterface Ethernet1\n description password reset desk\n";
        assert!(matches!(
            mask_secrets(Platform::CiscoIos, plain),
            Cow::Borrowed(_)
        ));
        let mixed = "enable secret 5 $1$abc\nset snmp community public\n";
        assert_eq!(
            masked(Platform::Generic, mixed),
            "enable secret 5 <masked>\nset snmp community <masked>\n"
        );
        // Junos rules leave an IOS line alone and the other way round.
        assert_eq!(
            masked(Platform::JuniperJunos, "enable secret 5 x\n"),
            "enable secret 5 x\n"
        );
    }

    #[test]
    fn odd_input_does_not_panic() {
        for text in [
            "",
            "\n",
            "{{{",
            "}}}",
            "snmp {\n community",
            "\"unterminated {",
            "ключ 7 ß",
        ] {
            for platform in Platform::ALL {
                let _ = mask_secrets(*platform, text);
            }
        }
    }
}
