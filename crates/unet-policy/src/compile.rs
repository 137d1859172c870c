//! Turns parsed rules into a `PolicySet`: every field reference becomes a slot index, every
//! literal a typed constant and every pattern a compiled regex (one per distinct pattern), so
//! evaluating a node does no name lookups per rule.

use std::collections::HashMap;

use regex::{Regex, RegexBuilder};

use crate::ast::{Action, Condition, FieldRef, Operand, Pattern, PolicyFile, RegexFlags};
use crate::diagnostic::{Diagnostic, Diagnostics, LineIndex, Severity};
use crate::error::PolicyError;
use crate::parser::parse;
use crate::program::{Act, Compiled, CompiledRule, Cond, Op, PolicySet, RuleInfo};
use crate::schema::{FactPath, Resolution, resolve};
use crate::value::Constant;

/// Compiled program size cap per regex; `regex` matches in linear time, and this bounds memory.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Regex syntax nesting cap.
pub const REGEX_NEST_LIMIT: u32 = 64;

impl PolicySet {
    /// Compiles `(source_name, text)` pairs in the order given (see [`crate::policy_files`]).
    /// Rules with errors are left out; check `diagnostics.has_errors()`.
    pub fn compile<'a>(sources: impl IntoIterator<Item = (&'a str, &'a str)>) -> Compiled {
        let mut compiler = Compiler::default();
        let mut diagnostics = Vec::new();
        for (file, text) in sources {
            let (ast, syntax) = parse(file, text);
            compiler.diagnostics = syntax;
            compiler.add_file(file, text, &ast);
            // Files stay in load order; within a file, diagnostics go in source order.
            let mut of_file = std::mem::take(&mut compiler.diagnostics);
            of_file.sort_by_key(|d| (d.line, d.column));
            diagnostics.extend(of_file);
        }
        Compiled {
            set: compiler.set,
            diagnostics: Diagnostics(diagnostics),
        }
    }

    /// Like [`PolicySet::compile`], but any error rejects the whole set (a revision goes live
    /// only if everything in it is valid). On success the warnings are returned too.
    pub fn load<'a>(
        sources: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<(PolicySet, Diagnostics), PolicyError> {
        let compiled = Self::compile(sources);
        if compiled.diagnostics.has_errors() {
            return Err(PolicyError::Invalid(compiled.diagnostics));
        }
        Ok((compiled.set, compiled.diagnostics))
    }

    pub fn rules(&self) -> impl ExactSizeIterator<Item = &RuleInfo> {
        self.rules.iter().map(|r| &r.info)
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

#[derive(Default)]
struct Compiler {
    set: PolicySet,
    slot_ids: HashMap<FactPath, usize>,
    /// Compiled patterns by source and flags; rule sets repeat patterns, and `Regex` clones share.
    regexes: HashMap<(String, RegexFlags), Regex>,
    /// Rule id → where it was first defined, to reject duplicate names.
    ids: HashMap<String, String>,
    diagnostics: Vec<Diagnostic>,
}

/// One file being compiled.
struct FileContext<'a> {
    file: &'a str,
    text: &'a str,
    lines: LineIndex,
}

impl FileContext<'_> {
    fn diagnostic(&self, at: usize, severity: Severity, message: String) -> Diagnostic {
        Diagnostic::at(self.file, self.text, &self.lines, at, severity, message)
    }
}

impl Compiler {
    fn add_file(&mut self, file: &str, text: &str, ast: &PolicyFile) {
        let ctx = FileContext {
            file,
            text,
            lines: LineIndex::new(text),
        };
        for rule in &ast.rules {
            let (line, column) = ctx.lines.position(text, rule.span.start);
            let id = match &rule.name {
                Some(name) => name.clone(),
                None if self.ids.contains_key(&format!("{file}:{line}")) => {
                    format!("{file}:{line}:{column}")
                }
                None => format!("{file}:{line}"),
            };
            let location = format!("{file}:{line}:{column}");
            if let Some(first) = self.ids.get(&id) {
                self.diagnostics.push(ctx.diagnostic(
                    rule.span.start,
                    Severity::Error,
                    format!("rule name `{id}` is already used at {first}"),
                ));
                continue;
            }
            let before = self.diagnostics.len();
            let condition = self.condition(&ctx, &rule.condition);
            let action = self.action(&ctx, &rule.action);
            let failed = self
                .diagnostics
                .iter()
                .skip(before)
                .any(Diagnostic::is_error);
            if let (Some(condition), Some(action), false) = (condition, action, failed) {
                self.ids.insert(id.clone(), location);
                self.set.rules.push(CompiledRule {
                    info: RuleInfo {
                        id,
                        name: rule.name.clone(),
                        file: file.to_owned(),
                        line,
                        text: rule.to_string(),
                    },
                    condition,
                    action,
                });
            }
        }
    }

    fn slot(&mut self, fact: FactPath) -> usize {
        if let Some(id) = self.slot_ids.get(&fact) {
            return *id;
        }
        let id = self.slot_ids.len();
        self.set.facts.insert(&fact, id);
        self.slot_ids.insert(fact, id);
        id
    }

    fn field(&mut self, ctx: &FileContext<'_>, field: &FieldRef) -> Op {
        match resolve(&field.segments) {
            Resolution::Known(fact) => Op::Slot(self.slot(fact)),
            Resolution::Unknown { fact, suggestion } => {
                let mut message = format!("unknown field `{}`", field.dotted());
                if let Some(suggestion) = suggestion {
                    message.push_str(&format!("; did you mean `{suggestion}`?"));
                }
                match &fact {
                    Some(_) => message.push_str(" (it is read anyway and is null when absent)"),
                    None => message.push_str(" (it is always null)"),
                }
                self.diagnostics
                    .push(ctx.diagnostic(field.span.start, Severity::Warning, message));
                match fact {
                    Some(fact) => Op::Slot(self.slot(fact)),
                    None => Op::Const(Constant::Null),
                }
            }
        }
    }

    fn operand(&mut self, ctx: &FileContext<'_>, operand: &Operand) -> Op {
        match operand {
            Operand::Field(field) => self.field(ctx, field),
            Operand::Literal(literal) => Op::Const(Constant::from_literal(literal)),
        }
    }

    /// `None` when a regex in it does not compile (already reported).
    fn condition(&mut self, ctx: &FileContext<'_>, condition: &Condition) -> Option<Cond> {
        Some(match condition {
            Condition::Constant(b) => Cond::Const(*b),
            Condition::All(children) => Cond::All(self.conditions(ctx, children)?),
            Condition::Any(children) => Cond::Any(self.conditions(ctx, children)?),
            Condition::Not(inner) => Cond::Not(Box::new(self.condition(ctx, inner)?)),
            Condition::Compare { left, op, right } => {
                Cond::Compare(self.operand(ctx, left), *op, self.operand(ctx, right))
            }
            Condition::Contains { haystack, needle } => {
                Cond::Contains(self.operand(ctx, haystack), self.operand(ctx, needle))
            }
            Condition::Matches { subject, pattern } => {
                let subject = self.operand(ctx, subject);
                Cond::Matches(subject, self.regex(ctx, pattern)?)
            }
            Condition::IsNull { operand, negated } => {
                Cond::IsNull(self.operand(ctx, operand), *negated)
            }
        })
    }

    fn conditions(&mut self, ctx: &FileContext<'_>, children: &[Condition]) -> Option<Vec<Cond>> {
        // Compile every child so every problem is reported, then fail if any did.
        let compiled: Vec<Option<Cond>> = children.iter().map(|c| self.condition(ctx, c)).collect();
        compiled.into_iter().collect()
    }

    fn regex(&mut self, ctx: &FileContext<'_>, pattern: &Pattern) -> Option<Regex> {
        let flags = pattern.flags;
        let key = (pattern.source.clone(), flags);
        if let Some(regex) = self.regexes.get(&key) {
            return Some(regex.clone());
        }
        let built = RegexBuilder::new(&pattern.source)
            .case_insensitive(flags.case_insensitive)
            .multi_line(flags.multi_line)
            .dot_matches_new_line(flags.dot_matches_new_line)
            .ignore_whitespace(flags.ignore_whitespace)
            .size_limit(REGEX_SIZE_LIMIT)
            .dfa_size_limit(REGEX_SIZE_LIMIT)
            .nest_limit(REGEX_NEST_LIMIT)
            .build();
        match built {
            Ok(regex) => {
                self.regexes.insert(key, regex.clone());
                Some(regex)
            }
            Err(error) => {
                self.diagnostics.push(ctx.diagnostic(
                    pattern.span.start,
                    Severity::Error,
                    format!("invalid regex: {}", regex_error_summary(&error)),
                ));
                None
            }
        }
    }

    fn action(&mut self, ctx: &FileContext<'_>, action: &Action) -> Option<Act> {
        Some(match action {
            Action::AssertIs { field, expected } => Act::AssertIs {
                field: self.field(ctx, field),
                field_name: field.dotted(),
                expected: self.operand(ctx, expected),
            },
            Action::Assert(condition) => {
                let mut names = Vec::new();
                collect_fields(condition, &mut names);
                let fields = names
                    .into_iter()
                    .map(|f| (f.dotted(), self.field_quietly(f)))
                    .collect();
                Act::Assert {
                    condition: self.condition(ctx, condition)?,
                    text: condition.to_string(),
                    fields,
                }
            }
            Action::Set { target, value } => {
                let keys: Vec<String> = target
                    .segments
                    .iter()
                    .skip_while(|s| *s != "custom_data")
                    .skip(1)
                    .cloned()
                    .collect();
                Act::Set {
                    target: format!("custom_data.{}", keys.join(".")),
                    keys,
                    value: self.operand(ctx, value),
                }
            }
            Action::Apply { template } => Act::Apply(template.clone()),
        })
    }

    /// Resolves a field already reported (if unknown) by the condition it appears in.
    fn field_quietly(&mut self, field: &FieldRef) -> Op {
        match resolve(&field.segments) {
            Resolution::Known(fact)
            | Resolution::Unknown {
                fact: Some(fact), ..
            } => Op::Slot(self.slot(fact)),
            Resolution::Unknown { fact: None, .. } => Op::Const(Constant::Null),
        }
    }
}

/// The fields a condition reads, first occurrence first, without repeats.
fn collect_fields<'a>(condition: &'a Condition, out: &mut Vec<&'a FieldRef>) {
    match condition {
        Condition::Constant(_) => {}
        Condition::All(children) | Condition::Any(children) => {
            for child in children {
                collect_fields(child, out);
            }
        }
        Condition::Not(inner) => collect_fields(inner, out),
        Condition::Compare { left, right, .. } => {
            add_field(left, out);
            add_field(right, out);
        }
        Condition::Contains { haystack, needle } => {
            add_field(haystack, out);
            add_field(needle, out);
        }
        Condition::Matches { subject, .. } => add_field(subject, out),
        Condition::IsNull { operand, .. } => add_field(operand, out),
    }
}

fn add_field<'a>(operand: &'a Operand, out: &mut Vec<&'a FieldRef>) {
    if let Operand::Field(field) = operand
        && !out.iter().any(|f| f.segments == field.segments)
    {
        out.push(field);
    }
}

/// The `regex` crate renders errors over several lines with its own caret; keep the gist.
fn regex_error_summary(error: &regex::Error) -> String {
    match error {
        regex::Error::CompiledTooBig(limit) => {
            format!("pattern is too large (compiled size exceeds {limit} bytes)")
        }
        other => {
            let text = other.to_string();
            text.lines()
                .rev()
                .find_map(|line| line.trim().strip_prefix("error: "))
                .map_or_else(|| text.trim().replace('\n', " "), str::to_owned)
        }
    }
}
