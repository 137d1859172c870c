//! Syntax tree of a rule file, exactly as written (aliases such as `custom_data.x` are kept;
//! the compiler resolves them). `Display` prints source text that parses back to an equal tree.

use crate::diagnostic::Span;

/// All rules of one source text, in source order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PolicyFile {
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// From `RULE "name":`; without it the rule id is `file:line`.
    pub name: Option<String>,
    pub condition: Condition,
    pub action: Action,
    /// Where the rule starts (`RULE` or `WHEN`).
    pub span: Span,
}

/// A boolean expression. `All`/`Any` are n-ary so long chains stay shallow.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `TRUE` or `FALSE` on its own.
    Constant(bool),
    /// Children joined by `AND`; at least two.
    All(Vec<Condition>),
    /// Children joined by `OR`; at least two.
    Any(Vec<Condition>),
    Not(Box<Condition>),
    Compare {
        left: Operand,
        op: CompareOp,
        right: Operand,
    },
    Contains {
        haystack: Operand,
        needle: Operand,
    },
    Matches {
        subject: Operand,
        pattern: Pattern,
    },
    IsNull {
        operand: Operand,
        negated: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CompareOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CompareOp::Eq => "==",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Field(FieldRef),
    Literal(Literal),
}

/// A dotted field reference such as `node.custom_data.snmp.version`.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldRef {
    pub segments: Vec<String>,
    pub span: Span,
}

impl FieldRef {
    pub fn dotted(&self) -> String {
        self.segments.join(".")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

/// The right side of `MATCHES`: a `/regex/flags` literal or a plain string.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    pub source: String,
    pub flags: RegexFlags,
    /// Written as a string (`"^ge-"`) rather than `/^ge-/`; strings carry no flags.
    pub quoted: bool,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RegexFlags {
    /// `i`
    pub case_insensitive: bool,
    /// `m`: `^` and `$` match at line breaks (useful on running configs).
    pub multi_line: bool,
    /// `s`: `.` matches a line break.
    pub dot_matches_new_line: bool,
    /// `x`: whitespace and `#` comments in the pattern are ignored.
    pub ignore_whitespace: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// `ASSERT <field> IS <value>`
    AssertIs { field: FieldRef, expected: Operand },
    /// `ASSERT <condition>`
    Assert(Condition),
    /// `SET custom_data.<path> TO <value>`; `target` is the field as written.
    Set { target: FieldRef, value: Operand },
    /// `APPLY "<template>"`
    Apply { template: String },
}
