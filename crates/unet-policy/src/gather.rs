//! Reading a node's facts into slots. Field paths are merged into a tree at load time, so each
//! distinct key prefix is looked up once per node however many rules and fields share it.

use serde_json::Value;

use crate::eval::NodeFacts;
use crate::schema::{FactPath, Root};
use crate::value::Val;

#[derive(Debug, Clone, Default)]
struct Branch {
    /// The slot that wants the value at this point of the path, if any.
    slot: Option<usize>,
    children: Vec<Child>,
}

#[derive(Debug, Clone)]
struct Child {
    key: String,
    /// The key as an array index, when it is a number.
    index: Option<usize>,
    branch: Branch,
}

impl Branch {
    fn insert(&mut self, path: &[String], slot: usize) {
        let Some((key, rest)) = path.split_first() else {
            self.slot = Some(slot);
            return;
        };
        let position = match self.children.iter().position(|c| c.key == *key) {
            Some(position) => position,
            None => {
                self.children.push(Child {
                    key: key.clone(),
                    index: key.parse().ok(),
                    branch: Branch::default(),
                });
                self.children.len() - 1
            }
        };
        if let Some(child) = self.children.get_mut(position) {
            child.branch.insert(rest, slot);
        }
    }

    /// Fills the slots of this subtree; `out` starts as all null, so absent subtrees are skipped.
    /// Recursion depth is the longest field path, which the parser caps.
    fn fill<'a>(&self, value: &'a Value, out: &mut [Val<'a>]) {
        if let Some(target) = self.slot.and_then(|slot| out.get_mut(slot)) {
            *target = Val::from_json(value);
        }
        for child in &self.children {
            let next = match value {
                Value::Object(map) => map.get(&child.key),
                Value::Array(items) => child.index.and_then(|i| items.get(i)),
                _ => None,
            };
            if let Some(next) = next {
                child.branch.fill(next, out);
            }
        }
    }
}

/// Every field the rules read, as one tree per fact root.
#[derive(Debug, Clone, Default)]
pub(crate) struct FactTree {
    node: Branch,
    location: Branch,
    status: Branch,
    config_check: Branch,
    running_config: Option<usize>,
    slots: usize,
}

impl FactTree {
    /// Adds a field read by slot `slot`; slots are numbered densely from 0.
    pub fn insert(&mut self, fact: &FactPath, slot: usize) {
        self.slots = self.slots.max(slot + 1);
        match fact.root {
            Root::Node => self.node.insert(&fact.path, slot),
            Root::Location => self.location.insert(&fact.path, slot),
            Root::Status => self.status.insert(&fact.path, slot),
            Root::RunningConfig => self.running_config = Some(slot),
            Root::ConfigCheck => self.config_check.insert(&fact.path, slot),
        }
    }

    pub fn reads_running_config(&self) -> bool {
        self.running_config.is_some()
    }

    pub fn reads_config_check(&self) -> bool {
        self.config_check.slot.is_some() || !self.config_check.children.is_empty()
    }

    pub fn reads_status(&self) -> bool {
        self.status.slot.is_some() || !self.status.children.is_empty()
    }

    /// The value of every slot for one node (null where absent).
    pub fn gather<'a>(&self, facts: &NodeFacts<'a>) -> Vec<Val<'a>> {
        let mut out = vec![Val::Null; self.slots];
        self.node.fill(facts.node, &mut out);
        if let Some(location) = facts.location {
            self.location.fill(location, &mut out);
        }
        if let Some(status) = facts.status {
            self.status.fill(status, &mut out);
        }
        if let Some(check) = facts.config_check {
            self.config_check.fill(check, &mut out);
        }
        if let (Some(slot), Some(config)) = (self.running_config, facts.running_config)
            && let Some(target) = out.get_mut(slot)
        {
            *target = Val::Str(config);
        }
        out
    }
}
