//! Intended configurations from MiniJinja templates. This crate is pure: it gets template
//! sources and a node's context and renders text; loading templates and reading the inventory
//! are its callers' business.
//!
//! [`TemplateSet`] compiles templates once (strict undefined variables, bounded work and
//! output, no file or network access) and renders one per call; [`filters`] are the network
//! filters device templates need. [`check`] compares a node's rendered templates with its running
//! configuration, each template on the slice of the configuration it owns.

mod check;
pub mod filters;
mod render;

pub use check::{
    CheckError, ConfigCheck, SliceCheck, Verdict, Verdicts, check, intended_text, verdicts,
};
pub use minijinja::Value;
pub use render::{Limits, Rendered, TemplateError, TemplateSet};

/// A template context from any serialisable value (a node's JSON, for instance).
pub fn context<T: serde::Serialize>(value: &T) -> Value {
    Value::from(minijinja::value::Serde(value))
}
