//! Line normalisation: whitespace collapsing and interface-name canonicalisation, computed once
//! per line at parse time so every comparison afterwards is a plain string compare.

use crate::rules::Rules;

/// Trim and collapse runs of blanks (spaces, tabs, CR) to one space. Borrows when already clean.
pub fn collapse_whitespace(line: &str) -> std::borrow::Cow<'_, str> {
    let trimmed = line.trim_matches(is_blank);
    let clean = !trimmed.contains("  ")
        && !trimmed
            .bytes()
            .any(|b| matches!(b, b'\t' | b'\r' | 0x0b | 0x0c));
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
    let mut start = 0;
    for word in text.split(' ') {
        let word_start = start;
        start += word.len() + 1;
        let Some((letters, number)) = split_interface_name(word) else {
            continue;
        };
        let Some(canonical) = rules.interface_type(letters) else {
            continue;
        };
        if canonical == letters {
            continue;
        }
        let buf = out.get_or_insert_with(|| String::with_capacity(text.len() + 16));
        buf.push_str(&text[consumed..word_start]);
        buf.push_str(canonical);
        buf.push_str(number);
        consumed = word_start + word.len();
    }
    let mut buf = out?;
    buf.push_str(&text[consumed..]);
    Some(buf)
}

/// `Gi1/0/3.100` → (`Gi`, `1/0/3.100`): letters (and `-`) then a number that starts with a digit.
fn split_interface_name(word: &str) -> Option<(&str, &str)> {
    let split = word.find(|c: char| c.is_ascii_digit())?;
    let (letters, number) = word.split_at(split);
    let letters_ok = !letters.is_empty()
        && letters.starts_with(|c: char| c.is_ascii_alphabetic())
        && letters
            .bytes()
            .all(|b| b.is_ascii_alphabetic() || b == b'-');
    let number_ok = number
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b':'));
    (letters_ok && number_ok).then_some((letters, number))
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
