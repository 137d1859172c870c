//! Canonical source form of the syntax tree. Output uses upper-case keywords, one rule per
//! line, double-quoted strings, and parentheses exactly where grouping differs from precedence,
//! so parsing the output gives back an equal tree.

use std::fmt::{self, Display, Formatter, Write};

use crate::ast::{Action, Condition, FieldRef, Literal, Operand, Pattern, PolicyFile, Rule};

impl Display for PolicyFile {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for rule in &self.rules {
            writeln!(f, "{rule}")?;
        }
        Ok(())
    }
}

impl Display for Rule {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if let Some(name) = &self.name {
            write!(f, "RULE {}: ", Quoted(name))?;
        }
        write!(f, "WHEN {} THEN {}", self.condition, self.action)
    }
}

impl Display for Action {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Action::AssertIs { field, expected } => write!(f, "ASSERT {field} IS {expected}"),
            Action::Assert(condition) => write!(f, "ASSERT {condition}"),
            Action::Set { target, value } => write!(f, "SET {target} TO {value}"),
            Action::Apply { template } => write!(f, "APPLY {}", Quoted(template)),
        }
    }
}

impl Display for Condition {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Condition::Constant(true) => f.write_str("TRUE"),
            Condition::Constant(false) => f.write_str("FALSE"),
            Condition::All(children) => join(f, children, " AND ", |c| {
                matches!(c, Condition::All(_) | Condition::Any(_))
            }),
            Condition::Any(children) => {
                join(f, children, " OR ", |c| matches!(c, Condition::Any(_)))
            }
            Condition::Not(inner) => {
                if matches!(**inner, Condition::All(_) | Condition::Any(_)) {
                    write!(f, "NOT ({inner})")
                } else {
                    write!(f, "NOT {inner}")
                }
            }
            Condition::Compare { left, op, right } => {
                write!(f, "{left} {} {right}", op.symbol())
            }
            Condition::Contains { haystack, needle } => write!(f, "{haystack} CONTAINS {needle}"),
            Condition::Matches { subject, pattern } => write!(f, "{subject} MATCHES {pattern}"),
            Condition::IsNull { operand, negated } => {
                let not = if *negated { "NOT " } else { "" };
                write!(f, "{operand} IS {not}NULL")
            }
        }
    }
}

fn join(
    f: &mut Formatter<'_>,
    children: &[Condition],
    separator: &str,
    needs_parens: impl Fn(&Condition) -> bool,
) -> fmt::Result {
    for (i, child) in children.iter().enumerate() {
        if i > 0 {
            f.write_str(separator)?;
        }
        if needs_parens(child) {
            write!(f, "({child})")?;
        } else {
            write!(f, "{child}")?;
        }
    }
    Ok(())
}

impl Display for Operand {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Field(field) => write!(f, "{field}"),
            Operand::Literal(literal) => write!(f, "{literal}"),
        }
    }
}

impl Display for FieldRef {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.segments.iter().enumerate() {
            if i > 0 {
                f.write_char('.')?;
            }
            f.write_str(segment)?;
        }
        Ok(())
    }
}

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => f.write_str("NULL"),
            Literal::Bool(true) => f.write_str("TRUE"),
            Literal::Bool(false) => f.write_str("FALSE"),
            Literal::Int(i) => write!(f, "{i}"),
            // Debug always keeps a `.` or an exponent, so the number reads back as a float.
            Literal::Float(x) => write!(f, "{x:?}"),
            Literal::Str(s) => write!(f, "{}", Quoted(s)),
        }
    }
}

impl Display for Pattern {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.quoted {
            return write!(f, "{}", Quoted(&self.source));
        }
        f.write_char('/')?;
        let mut chars = self.source.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    f.write_char('\\')?;
                    if let Some(next) = chars.next() {
                        f.write_char(next)?;
                    }
                }
                '/' => f.write_str("\\/")?,
                c => f.write_char(c)?,
            }
        }
        f.write_char('/')?;
        let flags = self.flags;
        for (on, letter) in [
            (flags.case_insensitive, 'i'),
            (flags.multi_line, 'm'),
            (flags.dot_matches_new_line, 's'),
            (flags.ignore_whitespace, 'x'),
        ] {
            if on {
                f.write_char(letter)?;
            }
        }
        Ok(())
    }
}

/// A string literal with the escapes the lexer reads back.
pub(crate) struct Quoted<'a>(pub &'a str);

impl Display for Quoted<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        for c in self.0.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                c if c.is_control() => write!(f, "\\u{:04x}", c as u32)?,
                c => f.write_char(c)?,
            }
        }
        f.write_char('"')
    }
}
