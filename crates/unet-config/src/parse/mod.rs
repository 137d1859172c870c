//! Text → [`ConfigTree`]. Both parsers are single forward passes with explicit stacks:
//! linear time, no recursion, bounded nesting.

mod indented;
mod junos;

use crate::drivers::rules;
use crate::error::ConfigError;
use crate::platform::Platform;
use crate::rules::Syntax;
use crate::tree::ConfigTree;

/// Parse a running or intended config of `platform`.
pub fn parse(platform: Platform, text: &str) -> Result<ConfigTree, ConfigError> {
    let rules = rules(platform);
    // One line per newline at most (Junos lists may add a few): size the arena once.
    let lines = text.bytes().filter(|&b| b == b'\n').count() + 1;
    let mut tree = ConfigTree::with_capacity(platform, lines);
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
