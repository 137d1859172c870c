//! The μNet policy language: rules such as
//!
//! ```text
//! RULE "snmp-v3": WHEN node.vendor == "cisco" AND node.status == "active"
//!     THEN ASSERT custom_data.snmp_version IS "v3"
//! ```
//!
//! This crate is pure: it parses and compiles rule text handed to it as `(source_name, text)`
//! pairs and evaluates compiled rules against a node's facts given as JSON. It does no I/O and
//! reads no clock; storing results, scheduling and applying changes belong to the caller.
//!
//! - [`PolicySet::compile`] / [`PolicySet::load`]: rule text → compiled set + [`Diagnostics`].
//! - [`PolicySet::evaluate`]: one node's [`NodeFacts`] → [`NodeEvaluation`] (a [`RuleResult`]
//!   per rule, [`ProposedChange`]s from `SET`, templates from `APPLY`).
//! - [`parse`] and the `Display` of [`ast::PolicyFile`]: syntax tree and canonical printing.
//! - [`policy_files`]: which paths of a listing hold rules, in load order.
//!
//! The grammar and semantics are described in `docs/policy-guide.md`.

pub mod ast;
mod compile;
mod diagnostic;
mod error;
mod eval;
mod gather;
mod lexer;
mod parser;
mod printer;
mod program;
mod results;
mod schema;
mod sources;
mod value;

pub use compile::{REGEX_NEST_LIMIT, REGEX_SIZE_LIMIT};
pub use diagnostic::{Diagnostic, Diagnostics, Severity, Span};
pub use error::PolicyError;
pub use eval::NodeFacts;
pub use parser::{MAX_FIELD_PARTS, MAX_NESTING, parse};
pub use program::{Compiled, PolicySet, RuleInfo};
pub use results::{NodeEvaluation, Outcome, ProposedChange, RuleResult};
pub use schema::{LOCATION_FIELDS, NODE_FIELDS};
pub use sources::{POLICY_EXTENSIONS, is_policy_file, policy_files};
