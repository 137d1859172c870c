//! The one error type of the crate: every variant names where in the input the problem is.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ConfigError {
    #[error(
        "unknown platform `{0}` (expected one of: cisco_ios, cisco_nxos, cisco_iosxr, arista_eos, juniper_junos, generic)"
    )]
    UnknownPlatform(String),

    #[error("config larger than {limit} bytes")]
    InputTooLarge { limit: usize },

    #[error(
        "line {line}: nesting deeper than {limit} levels; configs this deep are not device configs"
    )]
    NestingTooDeep { line: u32, limit: usize },

    #[error("line {line}, column {column}: unbalanced `}}`: no open block to close")]
    UnexpectedCloseBrace { line: u32, column: u32 },

    #[error("line {line}: block opened here is never closed (missing `}}`)")]
    UnclosedBrace { line: u32 },

    #[error("line {line}: {what} opened here never ends (expected `{terminator}`)")]
    UnterminatedLiteral {
        line: u32,
        what: &'static str,
        terminator: String,
    },

    #[error("line {line}: expected {expected}")]
    UnexpectedLine { line: u32, expected: &'static str },

    #[error("line {line}: statement path longer than {limit} bytes")]
    PathTooLong { line: u32, limit: usize },

    #[error("slice expression, level {level}: invalid regular expression `{pattern}`: {reason}")]
    InvalidSlice {
        level: usize,
        pattern: String,
        reason: String,
    },
}
