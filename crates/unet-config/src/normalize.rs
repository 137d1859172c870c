//! Line normalisation: whitespace collapsing and interface-name canonicalisation, computed once
//! per line at parse time so every comparison afterwards is a plain string compare.

use crate::rules::Rules;

/// Trim and collapse runs of blanks (spaces, tabs, CR) to one space. Borrows when already clean.
pub fn collapse_whitespace(line: &str) -> std::borrow::Cow<'_, str> {
    let trimmed = line.trim_matches(is_blank);
    // One pass: clean means no tab/CR/VT/FF and no two blanks in a row.
    let mut previous_blank = false;
    let clean = trimmed.bytes().all(|b| {
        let blank = b == b' ';
        let ok = !(matches!(b, b'\t' | b'\r' | 0x0b | 0x0c) || blank && previous_blank);
        previous_blank = blank;
        ok
    });
    if clean {
        return std::borrow::Cow::Borrowed(trimmed);
    }
    let mut out = String::with_capacity(trimmed.len());
    for word in trimmed.split(is_blank).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    std::borrow::Cow::Owned(out)
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t' || c == '\r' || c == '\u{b}' || c == '\u{c}'
}

/// The comparison key of a collapsed line: interface names spelled canonically
/// (`Gi1/0/3` → `GigabitEthernet1/0/3`). `None` when the key equals the text.
pub fn interface_key(rules: &Rules, text: &str) -> Option<String> {
    if !rules.has_interfaces() {
        return None;
    }
    let mut out: Option<String> = None;
    let mut consumed = 0;
    for (start, letters_end, end) in interface_words(text.as_bytes()) {
        let (Some(letters), Some(number)) =
            (text.get(start..letters_end), text.get(letters_end..end))
        else {
            continue;
        };
        let Some(canonical) = rules.interface_type(letters) else {
            continue;
        };
        if canonical == letters {
            continue;
        }
        let buf = out.get_or_insert_with(|| String::with_capacity(text.len() + 16));
        buf.push_str(text.get(consumed..start).unwrap_or_default());
        buf.push_str(canonical);
        buf.push_str(number);
        consumed = end;
    }
    let mut buf = out?;
    buf.push_str(text.get(consumed..).unwrap_or_default());
    Some(buf)
}

/// `name` with its interface type spelled as `platform` prints it (`Gi1/0/3` →
/// `GigabitEthernet1/0/3` on IOS, `et1` → `Ethernet1` on EOS); other text unchanged.
pub fn canonical_interface(platform: crate::Platform, name: &str) -> String {
    let name = collapse_whitespace(name);
    interface_key(crate::drivers::rules(platform), &name).unwrap_or_else(|| name.into_owned())
}

/// Words shaped like interface names, `Gi1/0/3.100`: ASCII letters (and `-`), then a digit,
/// then letters, digits, `/`, `.` or `:`. Yields (start, end of letters, end). One byte scan,
/// no allocation: this runs on every line.
fn interface_words(bytes: &[u8]) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            let start = i;
            let starts_alpha = bytes[i].is_ascii_alphabetic();
            while i < bytes.len() && (bytes[i].is_ascii_alphabetic() || bytes[i] == b'-') {
                i += 1;
            }
            let letters_end = i;
            let digit_next = i < bytes.len() && bytes[i].is_ascii_digit();
            let mut number_ok = true;
            while i < bytes.len() && bytes[i] != b' ' {
                number_ok &=
                    bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'/' | b'.' | b':');
                i += 1;
            }
            let end = i;
            i += 1;
            if starts_alpha && digit_next && number_ok {
                return Some((start, letters_end, end));
            }
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drivers::rules;
    use crate::platform::Platform;

    #[test]
    fn whitespace_collapses_and_clean_lines_borrow() {
        assert_eq!(
            collapse_whitespace("  ip  address\t1.1.1.1   x \r"),
            "ip address 1.1.1.1 x"
        );
        assert!(matches!(
            collapse_whitespace("hostname r1"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(collapse_whitespace("a\tb"), "a b");
    }

    #[test]
    fn one_interface_name_is_spelled_as_the_platform_prints_it() {
        assert_eq!(
            canonical_interface(Platform::CiscoIos, "gi1/0/3"),
            "GigabitEthernet1/0/3"
        );
        assert_eq!(canonical_interface(Platform::AristaEos, "et1"), "Ethernet1");
        assert_eq!(
            canonical_interface(Platform::CiscoIosxr, " BE10 "),
            "Bundle-Ether10"
        );
        // Junos names have no abbreviations; unknown words stay as written.
        assert_eq!(
            canonical_interface(Platform::JuniperJunos, "xe-0/0/1"),
            "xe-0/0/1"
        );
        assert_eq!(canonical_interface(Platform::CiscoIos, "uplink"), "uplink");
    }

    #[test]
    fn interface_names_become_canonical_in_keys() {
        let ios = rules(Platform::CiscoIos);
        assert_eq!(
            interface_key(ios, "interface Gi1/0/3").as_deref(),
            Some("interface GigabitEthernet1/0/3")
        );
        assert_eq!(
            interface_key(ios, "ip flow-export source Lo0 extra").as_deref(),
            Some("ip flow-export source Loopback0 extra")
        );
        assert_eq!(interface_key(ios, "interface GigabitEthernet1/0/3"), None);
        assert_eq!(interface_key(ios, "ip address 10.0.0.1 255.0.0.0"), None);
        assert_eq!(
            interface_key(rules(Platform::Generic), "interface Gi1"),
            None
        );
    }
}
