//! Typed values and the exact comparison rules: strings compare as strings, numbers as
//! numbers (integers and floats exactly, without rounding), and anything else is false.

use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

use crate::ast::CompareOp;

/// A number as JSON may hold it: every JSON integer fits `i128`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Num {
    Int(i128),
    Float(f64),
}

impl Num {
    fn from_json(n: &Number) -> Num {
        if let Some(i) = n.as_i64() {
            Num::Int(i128::from(i))
        } else if let Some(u) = n.as_u64() {
            Num::Int(i128::from(u))
        } else {
            Num::Float(n.as_f64().unwrap_or(f64::NAN))
        }
    }

    fn to_json(self) -> Value {
        match self {
            Num::Int(i) => i64::try_from(i)
                .map(Value::from)
                .or_else(|_| u64::try_from(i).map(Value::from))
                .unwrap_or(Value::Null),
            Num::Float(x) => Number::from_f64(x).map_or(Value::Null, Value::Number),
        }
    }
}

/// Exact ordering of an integer against a float.
fn int_float_cmp(i: i128, x: f64) -> Option<Ordering> {
    if x.is_nan() {
        return None;
    }
    // Rounding an integer to f64 is monotonic, so a strict difference after rounding is
    // the true order; on a tie the float is integral and compares exactly as an integer.
    #[allow(clippy::cast_precision_loss)]
    let rounded = i as f64;
    match rounded.partial_cmp(&x)? {
        Ordering::Equal => {
            if x >= i128::MAX as f64 {
                Some(Ordering::Less)
            } else if x < i128::MIN as f64 {
                Some(Ordering::Greater)
            } else {
                #[allow(clippy::cast_possible_truncation)]
                Some(i.cmp(&(x as i128)))
            }
        }
        order => Some(order),
    }
}

fn num_cmp(a: Num, b: Num) -> Option<Ordering> {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => Some(x.cmp(&y)),
        (Num::Float(x), Num::Float(y)) => x.partial_cmp(&y),
        (Num::Int(i), Num::Float(x)) => int_float_cmp(i, x),
        (Num::Float(x), Num::Int(i)) => int_float_cmp(i, x).map(Ordering::reverse),
    }
}

/// A value seen by a rule: borrowed from the node's facts or from the compiled rule.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Val<'a> {
    Null,
    Bool(bool),
    Num(Num),
    Str(&'a str),
    Array(&'a [Value]),
    Object(&'a Map<String, Value>),
}

impl<'a> Val<'a> {
    pub fn from_json(value: &'a Value) -> Val<'a> {
        match value {
            Value::Null => Val::Null,
            Value::Bool(b) => Val::Bool(*b),
            Value::Number(n) => Val::Num(Num::from_json(n)),
            Value::String(s) => Val::Str(s),
            Value::Array(a) => Val::Array(a),
            Value::Object(o) => Val::Object(o),
        }
    }

    pub fn is_null(self) -> bool {
        matches!(self, Val::Null)
    }

    pub fn to_json(self) -> Value {
        match self {
            Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(b),
            Val::Num(n) => n.to_json(),
            Val::Str(s) => Value::String(s.to_owned()),
            Val::Array(a) => Value::Array(a.to_vec()),
            Val::Object(o) => Value::Object(o.clone()),
        }
    }

    /// The type name used in messages.
    pub fn type_name(self) -> &'static str {
        match self {
            Val::Null => "null",
            Val::Bool(_) => "boolean",
            Val::Num(_) => "number",
            Val::Str(_) => "string",
            Val::Array(_) => "array",
            Val::Object(_) => "object",
        }
    }
}

/// Same type and same value; arrays and objects deeply. `None` when the types differ.
fn same_type_eq(a: Val<'_>, b: Val<'_>) -> Option<bool> {
    Some(match (a, b) {
        (Val::Null, Val::Null) => true,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Num(x), Val::Num(y)) => num_cmp(x, y) == Some(Ordering::Equal),
        (Val::Str(x), Val::Str(y)) => x == y,
        (Val::Array(x), Val::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Val::Object(x), Val::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, p)| y.get(k).is_some_and(|q| json_eq(p, q)))
        }
        _ => return None,
    })
}

fn json_eq(a: &Value, b: &Value) -> bool {
    same_type_eq(Val::from_json(a), Val::from_json(b)).unwrap_or(false)
}

/// `a == b` as rules see it.
pub(crate) fn equals(a: Val<'_>, b: Val<'_>) -> bool {
    same_type_eq(a, b).unwrap_or(false)
}

pub(crate) fn compare(op: CompareOp, a: Val<'_>, b: Val<'_>) -> bool {
    match op {
        CompareOp::Eq => equals(a, b),
        // Different values of one type, or exactly one side null; other type mixes are false.
        CompareOp::Ne => match same_type_eq(a, b) {
            Some(eq) => !eq,
            None => a.is_null() || b.is_null(),
        },
        CompareOp::Lt | CompareOp::Le | CompareOp::Gt | CompareOp::Ge => {
            let order = match (a, b) {
                (Val::Num(x), Val::Num(y)) => num_cmp(x, y),
                (Val::Str(x), Val::Str(y)) => Some(x.cmp(y)),
                _ => None,
            };
            match (op, order) {
                (_, None) => false,
                (CompareOp::Lt, Some(o)) => o == Ordering::Less,
                (CompareOp::Le, Some(o)) => o != Ordering::Greater,
                (CompareOp::Gt, Some(o)) => o == Ordering::Greater,
                (_, Some(o)) => o != Ordering::Less,
            }
        }
    }
}

/// Substring of a string, element of an array, or key of an object.
pub(crate) fn contains(haystack: Val<'_>, needle: Val<'_>) -> bool {
    match (haystack, needle) {
        (Val::Str(h), Val::Str(n)) => h.contains(n),
        (Val::Array(items), needle) => items
            .iter()
            .any(|item| equals(Val::from_json(item), needle)),
        (Val::Object(map), Val::Str(key)) => map.contains_key(key),
        _ => false,
    }
}

/// A literal from a rule, owned by the compiled rule set.
#[derive(Debug, Clone)]
pub(crate) enum Constant {
    Null,
    Bool(bool),
    Num(Num),
    Str(Box<str>),
}

impl Constant {
    pub fn from_literal(literal: &crate::ast::Literal) -> Constant {
        use crate::ast::Literal;
        match literal {
            Literal::Null => Constant::Null,
            Literal::Bool(b) => Constant::Bool(*b),
            Literal::Int(i) => Constant::Num(Num::Int(i128::from(*i))),
            Literal::Float(x) => Constant::Num(Num::Float(*x)),
            Literal::Str(s) => Constant::Str(s.as_str().into()),
        }
    }

    pub fn as_val(&self) -> Val<'_> {
        match self {
            Constant::Null => Val::Null,
            Constant::Bool(b) => Val::Bool(*b),
            Constant::Num(n) => Val::Num(*n),
            Constant::Str(s) => Val::Str(s),
        }
    }
}
