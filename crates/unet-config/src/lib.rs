//! μNet config engine: platform-aware hierarchical parsing of device configurations, slicing,
//! semantic diff, remediation and rollback. Pure: no I/O, no clock, no database.
//!
//! Platform knowledge lives in declarative rule tables (`drivers`); the tree, diff and
//! remediation code is the same for every platform.

mod align;
mod apply;
mod diff;
mod drivers;
mod error;
mod normalize;
mod parse;
mod platform;
mod remediate;
mod rules;
mod secrets;
mod slice;
mod tree;

pub use align::render_aligned;
pub use apply::apply;
pub use diff::{Change, ChangeKind, Diff, diff};
pub use drivers::driver;
pub use error::ConfigError;
pub use normalize::canonical_interface;
pub use parse::parse;
pub use platform::{Platform, parse_platform};
pub use remediate::{Command, CommandKind, Remediation, remediate, rollback};
pub use rules::{Driver, Syntax};
pub use secrets::{MASK, mask_secrets};
pub use slice::SliceExpr;
pub use tree::{ConfigTree, Line, MAX_DEPTH, NodeId};
