//! What an evaluation reports: an outcome per rule, proposed `SET` changes, and templates.

use serde::Serialize;
use serde_json::{Map, Value};

/// Outcome of one rule for one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
    Error,
    /// The rule's condition is false for this node.
    NotApplicable,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Error => "error",
            Outcome::NotApplicable => "not_applicable",
        }
    }
}

/// One rule × node result. `expected`/`actual` are set on failures; `message` explains
/// failures, errors and proposed changes. Passing and inapplicable results carry no detail,
/// so a result is three words: a fleet-wide evaluation stays small.
///
/// Serializes as `{rule, outcome, expected, actual, message}` (absent parts are `null`).
#[derive(Debug, Clone, PartialEq)]
pub struct RuleResult<'s> {
    pub rule: &'s str,
    pub outcome: Outcome,
    detail: Option<Box<Detail>>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Detail {
    pub expected: Option<Value>,
    pub actual: Option<Value>,
    pub message: Option<String>,
}

impl<'s> RuleResult<'s> {
    pub(crate) fn bare(rule: &'s str, outcome: Outcome) -> Self {
        Self {
            rule,
            outcome,
            detail: None,
        }
    }

    pub(crate) fn detailed(rule: &'s str, outcome: Outcome, detail: Detail) -> Self {
        Self {
            rule,
            outcome,
            detail: Some(Box::new(detail)),
        }
    }

    pub fn expected(&self) -> Option<&Value> {
        self.detail.as_ref()?.expected.as_ref()
    }

    pub fn actual(&self) -> Option<&Value> {
        self.detail.as_ref()?.actual.as_ref()
    }

    pub fn message(&self) -> Option<&str> {
        self.detail.as_ref()?.message.as_deref()
    }
}

impl Serialize for RuleResult<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = serializer.serialize_struct("RuleResult", 5)?;
        out.serialize_field("rule", self.rule)?;
        out.serialize_field("outcome", &self.outcome)?;
        out.serialize_field("expected", &self.expected())?;
        out.serialize_field("actual", &self.actual())?;
        out.serialize_field("message", &self.message())?;
        out.end()
    }
}

/// A `SET` whose condition held and whose value differs from the node's current one. It is
/// only reported; the caller decides whether to apply it (see [`ProposedChange::apply_to`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProposedChange<'s> {
    pub rule: &'s str,
    /// `custom_data.<path>`
    pub target: &'s str,
    #[serde(skip)]
    pub keys: &'s [String],
    /// The current value (`null` when absent).
    pub old: Value,
    pub new: Value,
}

/// Everything the rule set says about one node, in rule order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeEvaluation<'s> {
    pub results: Vec<RuleResult<'s>>,
    pub changes: Vec<ProposedChange<'s>>,
    /// Templates assigned by `APPLY`, in rule order, each once.
    pub templates: Vec<&'s str>,
}

impl NodeEvaluation<'_> {
    /// True when no rule failed or errored.
    pub fn is_compliant(&self) -> bool {
        self.results
            .iter()
            .all(|r| matches!(r.outcome, Outcome::Pass | Outcome::NotApplicable))
    }
}

impl ProposedChange<'_> {
    /// Writes the new value into a node's `custom_data` object, creating intermediate objects.
    /// Fails without changing anything when a value on the way is not an object: a blocker
    /// can only be an existing value, met before anything is created.
    pub fn apply_to(&self, custom_data: &mut Value) -> Result<(), crate::PolicyError> {
        let mut walked = String::from("custom_data");
        let mut current = custom_data;
        for key in self.keys {
            if current.is_null() {
                *current = Value::Object(Map::new());
            }
            let Value::Object(map) = current else {
                return Err(crate::PolicyError::SetBlocked {
                    target: self.target.to_owned(),
                    blocker: walked,
                });
            };
            walked.push('.');
            walked.push_str(key);
            current = map.entry(key.clone()).or_insert(Value::Null);
        }
        *current = self.new.clone();
        Ok(())
    }
}
