//! The compiled form of a rule set: conditions over slot indexes and typed constants, ready
//! to evaluate without name lookups.

use regex::Regex;

use crate::ast::CompareOp;
use crate::diagnostic::Diagnostics;
use crate::gather::FactTree;
use crate::value::Constant;

/// A value read by a compiled rule: a slot of the node's gathered facts, or a constant.
#[derive(Debug, Clone)]
pub(crate) enum Op {
    Slot(usize),
    Const(Constant),
}

#[derive(Debug, Clone)]
pub(crate) enum Cond {
    Const(bool),
    All(Vec<Cond>),
    Any(Vec<Cond>),
    Not(Box<Cond>),
    Compare(Op, CompareOp, Op),
    Contains(Op, Op),
    Matches(Op, Regex),
    IsNull(Op, bool),
}

#[derive(Debug, Clone)]
pub(crate) enum Act {
    AssertIs {
        field: Op,
        field_name: String,
        expected: Op,
    },
    Assert {
        condition: Cond,
        /// Printed condition, reported as `expected` on failure.
        text: String,
        /// Fields the condition reads, reported as `actual` on failure.
        fields: Vec<(String, Op)>,
    },
    Set {
        /// Keys below `custom_data`.
        keys: Vec<String>,
        /// `custom_data.<keys>` for reports.
        target: String,
        value: Op,
    },
    Apply(String),
}

/// One rule's identity and canonical text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RuleInfo {
    /// The rule name, or `file:line` when the rule has none.
    pub id: String,
    pub name: Option<String>,
    pub file: String,
    pub line: u32,
    /// The rule in canonical form.
    pub text: String,
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledRule {
    pub info: RuleInfo,
    pub condition: Cond,
    pub action: Act,
}

/// A compiled, immutable rule set; share it between threads and evaluate any number of nodes.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    pub(crate) rules: Vec<CompiledRule>,
    pub(crate) facts: FactTree,
}

/// Everything a load produced: the rules that compiled, and all errors and warnings.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub set: PolicySet,
    pub diagnostics: Diagnostics,
}
