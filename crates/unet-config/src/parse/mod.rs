//! Text → [`ConfigTree`]. Both parsers are single forward passes with explicit stacks:
//! linear time, no recursion, bounded nesting.

mod indented;
mod junos;

use crate::drivers::rules;
use crate::error::ConfigError;
use crate::platform::Platform;
use crate::rules::Syntax;
use crate::tree::{ConfigTree, MAX_INPUT};

/// Parse a running or intended config of `platform`.
pub fn parse(platform: Platform, text: &str) -> Result<ConfigTree, ConfigError> {
    if text.len() > MAX_INPUT {
        return Err(ConfigError::InputTooLarge { limit: MAX_INPUT });
    }
    let rules = rules(platform);
    // One line per newline at most (Junos lists may add a few): size the arenas once.
    let lines = text.bytes().filter(|&b| b == b'\n').count() + 1;
    let mut tree = ConfigTree::with_capacity(platform, lines, text.len());
    match rules.driver.syntax {
        Syntax::Indented => indented::parse_into(&mut tree, rules, text)?,
        Syntax::JunosSet => junos::parse_into(&mut tree, rules, text)?,
    }
    Ok(tree)
}

/// Iterate lines with 1-based numbers, tolerating CRLF.
pub(crate) fn numbered_lines(text: &str) -> impl Iterator<Item = (u32, &str)> {
    text.split('\n').enumerate().map(|(i, raw)| {
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        (number, raw.strip_suffix('\r').unwrap_or(raw))
    })
}
