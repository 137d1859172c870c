//! Indentation dialects (IOS family, EOS, generic): a line's parent is the nearest earlier
//! line indented less. Banners and other literal blocks are kept whole as one line.

use crate::error::ConfigError;
use crate::normalize::collapse_whitespace;
use crate::rules::{LiteralEnd, Rules};
use crate::tree::{ConfigTree, MAX_DEPTH, NodeId, ROOT};

use super::numbered_lines;

const TAB_STOP: usize = 8;

pub(super) fn parse_into(
    tree: &mut ConfigTree,
    rules: &Rules,
    text: &str,
) -> Result<(), ConfigError> {
    // (indent, node) of the open sections, outermost first.
    let mut open: Vec<(usize, NodeId)> = Vec::new();
    let mut lines = numbered_lines(text);
    while let Some((number, raw)) = lines.next() {
        let content = collapse_whitespace(raw);
        if content.is_empty() || rules.is_comment(&content) || rules.is_ignored(&content) {
            continue;
        }
        let indent = indent_width(raw);
        while open
            .last()
            .is_some_and(|&(open_indent, _)| open_indent >= indent)
        {
            open.pop();
        }
        if open.len() >= MAX_DEPTH {
            return Err(ConfigError::NestingTooDeep {
                line: number,
                limit: MAX_DEPTH,
            });
        }
        let parent = open.last().map_or(ROOT, |&(_, id)| id);
        let id = match rules.literal_block(&content) {
            Some(end) => {
                let block = literal_block(&content, end, number, &mut lines)?;
                tree.add_child(parent, &block, None, number)
            }
            None => {
                let key = crate::normalize::interface_key(rules, &content);
                tree.add_child(parent, &content, key.as_deref(), number)
            }
        };
        open.push((indent, id));
    }
    Ok(())
}

fn indent_width(raw: &str) -> usize {
    let mut width = 0;
    for b in raw.bytes() {
        match b {
            b' ' => width += 1,
            b'\t' => width = (width / TAB_STOP + 1) * TAB_STOP,
            _ => break,
        }
    }
    width
}

/// Collect a banner: from the opening line to the line holding the closing delimiter.
fn literal_block<'a>(
    opening: &str,
    end: LiteralEnd,
    number: u32,
    lines: &mut impl Iterator<Item = (u32, &'a str)>,
) -> Result<String, ConfigError> {
    let terminator = match end {
        LiteralEnd::Line(line) => line.to_string(),
        LiteralEnd::DelimiterAfter => {
            let Some(body) = delimited_body(opening) else {
                return Ok(opening.to_string());
            };
            let delimiter = delimiter_of(body);
            if body[delimiter.len()..].contains(delimiter) {
                return Ok(opening.to_string());
            }
            delimiter.to_string()
        }
    };
    let mut block = opening.to_string();
    for (_, raw) in lines.by_ref() {
        let inner = raw.trim_end();
        block.push('\n');
        block.push_str(inner);
        let closed = match end {
            LiteralEnd::Line(line) => inner.trim() == line,
            LiteralEnd::DelimiterAfter => inner.contains(terminator.as_str()),
        };
        if closed {
            return Ok(block);
        }
    }
    Err(ConfigError::UnterminatedLiteral {
        line: number,
        what: "banner",
        terminator,
    })
}

/// `banner motd ^CWelcome` → `^CWelcome` (the text from the delimiter on).
fn delimited_body(opening: &str) -> Option<&str> {
    let mut words = opening.splitn(3, ' ');
    words.next()?;
    words.next()?;
    words.next()
}

/// IOS prints the control character as `^C`; otherwise the delimiter is one character.
fn delimiter_of(body: &str) -> &str {
    if body.starts_with("^C") {
        return "^C";
    }
    let width = body.chars().next().map_or(0, char::len_utf8);
    &body[..width]
}

#[cfg(test)]
mod tests {
    use crate::ConfigError;
    use crate::parse::parse;
    use crate::platform::Platform;

    #[test]
    fn sections_nest_by_indentation_with_tabs_crlf_and_trailing_blanks() {
        let text = "hostname r1  \r\ninterface Gi1/0/1\r\n\tdescription  up\r\n ip address 10.0.0.1 255.255.255.0\r\n!\r\nend\r\n";
        let tree = parse(Platform::CiscoIos, text).unwrap();
        assert_eq!(
            tree.render(),
            "hostname r1\ninterface Gi1/0/1\n description up\n ip address 10.0.0.1 255.255.255.0\n"
        );
        let iface = tree.root().child("interface GigabitEthernet1/0/1").unwrap();
        assert_eq!(iface.line_number(), 2);
        assert_eq!(iface.children().len(), 2);
    }

    #[test]
    fn banners_stay_whole_and_unterminated_ones_are_reported() {
        let text = "banner motd ^C\n  Authorised access only\n! not a comment\n^C\nhostname r1\n";
        let tree = parse(Platform::CiscoIos, text).unwrap();
        let banner = tree.root().children().next().unwrap();
        assert_eq!(
            banner.text(),
            "banner motd ^C\n  Authorised access only\n! not a comment\n^C"
        );
        assert_eq!(tree.root().children().len(), 2);
        let single = parse(Platform::CiscoIos, "banner login #hello#\nhostname x\n").unwrap();
        assert_eq!(single.root().children().len(), 2);
        let err = parse(Platform::CiscoIos, "banner motd ^C\nno end\n").unwrap_err();
        assert!(
            matches!(err, ConfigError::UnterminatedLiteral { line: 1, .. }),
            "{err}"
        );
        let eos = parse(
            Platform::AristaEos,
            "banner motd\nhello\nEOF\nhostname s1\n",
        )
        .unwrap();
        assert_eq!(eos.root().children().len(), 2);
    }

    #[test]
    fn volatile_lines_and_sectional_exits_are_dropped() {
        let text = "Building configuration...\n\nCurrent configuration : 100 bytes\n! Last configuration change at 10:00\nversion 17.9\nntp clock-period 123\nrouter bgp 1\n address-family ipv4\n  neighbor 1.1.1.1 activate\n exit-address-family\nend\n";
        let tree = parse(Platform::CiscoIos, text).unwrap();
        assert_eq!(
            tree.render(),
            "router bgp 1\n address-family ipv4\n  neighbor 1.1.1.1 activate\n"
        );
    }
}
