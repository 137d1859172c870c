//! Evaluating a compiled rule set against one node: gather the node's facts into slots once,
//! then run every rule on the slots.

use serde_json::{Map, Value};

use crate::program::{Act, Cond, Op, PolicySet};
use crate::results::{Detail, NodeEvaluation, Outcome, ProposedChange, RuleResult};
use crate::value::{self, Val};

/// What a rule sees of one node. Values are borrowed; nothing is copied to evaluate.
#[derive(Debug, Clone, Copy)]
pub struct NodeFacts<'a> {
    /// The node as JSON (the field names of the data model), including `custom_data`.
    pub node: &'a Value,
    /// The node's location with `path` and an `ancestors` array (root first), if it has one.
    pub location: Option<&'a Value>,
    /// Polled state; `None` until the node has been polled.
    pub status: Option<&'a Value>,
    /// The stored running configuration, if any (`config.running`).
    pub running_config: Option<&'a str>,
    /// The node's recorded config check as JSON (`config.compliant`, `config.state`,
    /// `config.missing`, `config.extra`, `config.noncompliant_templates`, `config.checked_at`,
    /// `config.running_version`); `None` until the node has been checked.
    pub config_check: Option<&'a Value>,
}

impl<'a> NodeFacts<'a> {
    pub fn new(node: &'a Value) -> Self {
        Self {
            node,
            location: None,
            status: None,
            running_config: None,
            config_check: None,
        }
    }
}

fn operand<'v>(op: &'v Op, slots: &[Val<'v>]) -> Val<'v> {
    match op {
        Op::Slot(i) => slots.get(*i).copied().unwrap_or(Val::Null),
        Op::Const(c) => c.as_val(),
    }
}

fn holds(cond: &Cond, slots: &[Val<'_>]) -> bool {
    #[cfg(test)]
    tests::VISITS.with(|v| v.set(v.get() + 1));
    match cond {
        Cond::Const(b) => *b,
        Cond::All(children) => children.iter().all(|c| holds(c, slots)),
        Cond::Any(children) => children.iter().any(|c| holds(c, slots)),
        Cond::Not(inner) => !holds(inner, slots),
        Cond::Compare(left, op, right) => {
            value::compare(*op, operand(left, slots), operand(right, slots))
        }
        Cond::Contains(haystack, needle) => {
            value::contains(operand(haystack, slots), operand(needle, slots))
        }
        Cond::Matches(subject, regex) => match operand(subject, slots) {
            Val::Str(s) => regex.is_match(s),
            _ => false,
        },
        Cond::IsNull(op, negated) => operand(op, slots).is_null() != *negated,
    }
}

impl PolicySet {
    /// Whether a rule reads `config.running`: callers fetch running configurations only then.
    pub fn reads_running_config(&self) -> bool {
        self.facts.reads_running_config()
    }

    /// Whether a rule reads the node's config check (`config.compliant` and the like).
    pub fn reads_config_check(&self) -> bool {
        self.facts.reads_config_check()
    }

    /// Whether a rule reads polled state (`status.reachable` and the like).
    pub fn reads_status(&self) -> bool {
        self.facts.reads_status()
    }

    /// Evaluates every rule against one node.
    pub fn evaluate<'s>(&'s self, facts: &NodeFacts<'_>) -> NodeEvaluation<'s> {
        let slots = self.facts.gather(facts);
        let mut evaluation = NodeEvaluation {
            results: Vec::with_capacity(self.rules.len()),
            changes: Vec::new(),
            templates: Vec::new(),
        };
        for rule in &self.rules {
            let id = rule.info.id.as_str();
            let result = if holds(&rule.condition, &slots) {
                act(id, &rule.action, &slots, facts.node, &mut evaluation)
            } else {
                RuleResult::bare(id, Outcome::NotApplicable)
            };
            evaluation.results.push(result);
        }
        evaluation
    }
}

fn act<'s>(
    rule: &'s str,
    action: &'s Act,
    slots: &[Val<'_>],
    node: &Value,
    evaluation: &mut NodeEvaluation<'s>,
) -> RuleResult<'s> {
    match action {
        Act::AssertIs {
            field,
            field_name,
            expected,
        } => {
            let actual = operand(field, slots);
            let expected = operand(expected, slots);
            if value::equals(actual, expected) {
                return RuleResult::bare(rule, Outcome::Pass);
            }
            let (expected, actual) = (expected.to_json(), actual.to_json());
            RuleResult::detailed(
                rule,
                Outcome::Fail,
                Detail {
                    message: Some(format!("`{field_name}` is {actual}, expected {expected}")),
                    expected: Some(expected),
                    actual: Some(actual),
                },
            )
        }
        Act::Assert {
            condition,
            text,
            fields,
        } => {
            if holds(condition, slots) {
                return RuleResult::bare(rule, Outcome::Pass);
            }
            let actual: Map<String, Value> = fields
                .iter()
                .map(|(name, op)| (name.clone(), operand(op, slots).to_json()))
                .collect();
            RuleResult::detailed(
                rule,
                Outcome::Fail,
                Detail {
                    expected: Some(Value::String(text.clone())),
                    actual: Some(Value::Object(actual)),
                    message: Some(format!("`{text}` does not hold")),
                },
            )
        }
        Act::Set {
            keys,
            target,
            value: new,
        } => {
            let new = operand(new, slots).to_json();
            match current_custom_data(node, keys) {
                Err(blocker) => RuleResult::detailed(
                    rule,
                    Outcome::Error,
                    Detail {
                        message: Some(format!("cannot set `{target}`: {blocker} is not an object")),
                        ..Detail::default()
                    },
                ),
                Ok(old) => {
                    let old = old.cloned().unwrap_or(Value::Null);
                    if value::equals(Val::from_json(&old), Val::from_json(&new)) {
                        return RuleResult::bare(rule, Outcome::Pass);
                    }
                    let message = format!("would set `{target}` from {old} to {new}");
                    evaluation.changes.push(ProposedChange {
                        rule,
                        target,
                        keys,
                        old,
                        new,
                    });
                    RuleResult::detailed(
                        rule,
                        Outcome::Pass,
                        Detail {
                            message: Some(message),
                            ..Detail::default()
                        },
                    )
                }
            }
        }
        Act::Apply(template) => {
            if !evaluation.templates.contains(&template.as_str()) {
                evaluation.templates.push(template);
            }
            RuleResult::bare(rule, Outcome::Pass)
        }
    }
}

/// The value at `custom_data.<keys>`, or the dotted name of the first non-object on the way.
fn current_custom_data<'a>(node: &'a Value, keys: &[String]) -> Result<Option<&'a Value>, String> {
    let mut current = match node.get("custom_data") {
        None | Some(Value::Null) => return Ok(None),
        Some(v) => v,
    };
    let mut walked = String::from("custom_data");
    for key in keys {
        match current {
            Value::Object(map) => match map.get(key) {
                None | Some(Value::Null) => return Ok(None),
                Some(v) => current = v,
            },
            other => {
                return Err(format!(
                    "`{walked}` ({})",
                    Val::from_json(other).type_name()
                ));
            }
        }
        walked.push('.');
        walked.push_str(key);
    }
    Ok(Some(current))
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use serde_json::json;

    use super::*;

    thread_local! {
        /// Conditions visited by `holds` on this thread, to observe short-circuiting.
        pub(super) static VISITS: Cell<usize> = const { Cell::new(0) };
    }

    fn visits(condition: &str) -> (bool, usize) {
        let text = format!("WHEN {condition} THEN APPLY \"t\"");
        let compiled = PolicySet::compile([("t.rules", text.as_str())]);
        assert!(
            !compiled.diagnostics.has_errors(),
            "{}",
            compiled.diagnostics
        );
        let node = json!({"vendor": "cisco", "custom_data": {"mtu": 9000}});
        VISITS.with(|v| v.set(0));
        let evaluation = compiled.set.evaluate(&NodeFacts::new(&node));
        let held = evaluation.results.first().map(|r| r.outcome) == Some(Outcome::Pass);
        (held, VISITS.with(Cell::get))
    }

    #[test]
    fn and_stops_at_the_first_false_operand() {
        // The whole AND, then only its first child.
        assert_eq!(
            visits("FALSE AND node.vendor == \"cisco\" AND TRUE"),
            (false, 2)
        );
        assert_eq!(
            visits("node.vendor == \"juniper\" AND custom_data.mtu > 1"),
            (false, 2)
        );
        assert_eq!(
            visits("TRUE AND node.vendor == \"cisco\" AND TRUE"),
            (true, 4)
        );
    }

    #[test]
    fn or_stops_at_the_first_true_operand() {
        assert_eq!(visits("TRUE OR FALSE OR FALSE"), (true, 2));
        assert_eq!(
            visits("node.vendor == \"cisco\" OR custom_data.mtu > 1"),
            (true, 2)
        );
        assert_eq!(
            visits("FALSE OR FALSE OR node.vendor == \"cisco\""),
            (true, 4)
        );
    }

    #[test]
    fn a_guard_on_a_missing_field_protects_the_rest() {
        // Missing fields are null, never an error, and the guard short-circuits.
        assert_eq!(
            visits("custom_data.absent IS NOT NULL AND custom_data.absent.deep > 1"),
            (false, 2)
        );
        assert_eq!(
            visits("custom_data.absent IS NULL OR custom_data.absent > 1"),
            (true, 2)
        );
    }
}
