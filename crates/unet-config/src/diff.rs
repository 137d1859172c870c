//! Semantic diff of two trees of one platform: lines match by normalised key, unordered
//! sections compare as sets, ordered sections (ACLs) as sequences, idempotent commands as
//! one setting whose value changed.

use std::collections::HashMap;

use serde::Serialize;

use crate::tree::{ConfigTree, NodeId, ROOT};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// Only in the intended config (with its whole subtree).
    Added,
    /// Only in the running config (with its whole subtree).
    Removed,
    /// A section in both whose contents differ.
    Changed,
    /// An idempotent command whose value differs (`previous` holds the running line).
    Replaced,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub kind: ChangeKind,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub running_line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intended_line: Option<u32>,
    /// Set on a changed section compared in order (ACL): its entries differ in order or content.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub ordered: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Change>,
    #[serde(skip)]
    pub(crate) running: Option<NodeId>,
    #[serde(skip)]
    pub(crate) intended: Option<NodeId>,
}

/// Differences between a running and an intended config.
#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    pub equal: bool,
    pub changes: Vec<Change>,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// `+`/`-` lines with the unchanged parents of changed lines as context.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let mut stack: Vec<(&Change, usize)> = self.changes.iter().rev().map(|c| (c, 0)).collect();
        while let Some((change, depth)) = stack.pop() {
            let indent = " ".repeat(depth);
            match change.kind {
                ChangeKind::Added => push_marked(&mut out, '+', &indent, &change.text),
                ChangeKind::Removed => push_marked(&mut out, '-', &indent, &change.text),
                ChangeKind::Changed => push_marked(&mut out, ' ', &indent, &change.text),
                ChangeKind::Replaced => {
                    push_marked(
                        &mut out,
                        '-',
                        &indent,
                        change.previous.as_deref().unwrap_or_default(),
                    );
                    push_marked(&mut out, '+', &indent, &change.text);
                }
            }
            stack.extend(change.children.iter().rev().map(|c| (c, depth + 1)));
        }
        out
    }
}

fn push_marked(out: &mut String, marker: char, indent: &str, text: &str) {
    for (i, line) in text.split('\n').enumerate() {
        out.push(marker);
        out.push(' ');
        if i == 0 {
            out.push_str(indent);
        }
        out.push_str(line);
        out.push('\n');
    }
}

/// What changes from `running` to `intended`. Both must be of the same platform.
pub fn diff(running: &ConfigTree, intended: &ConfigTree) -> Diff {
    let pair = Pair { running, intended };
    let changes = pair.children(ROOT, ROOT);
    Diff {
        equal: changes.is_empty(),
        changes,
    }
}

pub(crate) struct Pair<'a> {
    pub running: &'a ConfigTree,
    pub intended: &'a ConfigTree,
}

impl Pair<'_> {
    /// The child of intended section `i` matching running line `rc`.
    fn in_intended(&self, i: NodeId, rc: NodeId) -> Option<NodeId> {
        let hash = self.running.node(rc).hash;
        self.intended.find_hashed(i, hash, self.running.key(rc))
    }

    /// The child of running section `r` matching intended line `ic`.
    fn in_running(&self, r: NodeId, ic: NodeId) -> Option<NodeId> {
        let hash = self.intended.node(ic).hash;
        self.running.find_hashed(r, hash, self.intended.key(ic))
    }

    fn children(&self, r: NodeId, i: NodeId) -> Vec<Change> {
        if self.running.node(r).ordered || self.intended.node(i).ordered {
            return self.ordered_children(r, i);
        }
        let mut removed = Vec::new();
        for &rc in &self.running.node(r).children {
            if self.in_intended(i, rc).is_none() {
                removed.push(rc);
            }
        }
        let mut changes: Vec<Change> = Vec::new();
        let mut added = Vec::new();
        for &ic in &self.intended.node(i).children {
            match self
                .running
                .find_hashed(r, self.intended.node(ic).hash, self.intended.key(ic))
            {
                None => {
                    added.push(changes.len());
                    changes.push(subtree(self.intended, ic, ChangeKind::Added));
                }
                Some(rc) => {
                    let inner = self.children(rc, ic);
                    if !inner.is_empty() {
                        let mut change = self.section(rc, ic, ChangeKind::Changed);
                        change.ordered =
                            self.running.node(rc).ordered || self.intended.node(ic).ordered;
                        change.children = inner;
                        changes.push(change);
                    }
                }
            }
        }
        let removed = self.pair_idempotent(removed, &added, &mut changes);
        let mut out: Vec<Change> = removed
            .into_iter()
            .map(|rc| subtree(self.running, rc, ChangeKind::Removed))
            .collect();
        out.extend(changes);
        out
    }

    /// Turn a removed and an added leaf with the same idempotent identity into one `Replaced`.
    fn pair_idempotent(
        &self,
        removed: Vec<NodeId>,
        added: &[usize],
        changes: &mut [Change],
    ) -> Vec<NodeId> {
        if removed.is_empty() || added.is_empty() {
            return removed;
        }
        let rules = self.running.rules();
        let mut by_identity: HashMap<String, usize> = HashMap::new();
        for &index in added {
            let change = &changes[index];
            if change.children.is_empty()
                && let Some(identity) = rules.idempotent_identity(&change.text)
            {
                by_identity.entry(identity).or_insert(index);
            }
        }
        let mut remaining = Vec::new();
        for rc in removed {
            let node = self.running.node(rc);
            let paired = node
                .children
                .is_empty()
                .then(|| rules.idempotent_identity(self.running.text(rc)))
                .flatten()
                .and_then(|identity| by_identity.remove(&identity));
            match paired {
                Some(index) => {
                    let change = &mut changes[index];
                    change.kind = ChangeKind::Replaced;
                    change.previous = Some(self.running.text(rc).to_string());
                    change.running_line = Some(node.line);
                    change.running = Some(rc);
                }
                None => remaining.push(rc),
            }
        }
        remaining
    }

    /// Sequence comparison: trim the common head and tail, report the middle as removed
    /// then added. Linear, and it is exactly what remediation must replace.
    fn ordered_children(&self, r: NodeId, i: NodeId) -> Vec<Change> {
        let rs = &self.running.node(r).children;
        let is = &self.intended.node(i).children;
        if sequenced(self.running, rs) && sequenced(self.intended, is) {
            return self.sequenced_children(r, i);
        }
        let same = |a: NodeId, b: NodeId| self.equal(a, b);
        let head = rs.iter().zip(is).take_while(|&(&a, &b)| same(a, b)).count();
        let tail = rs[head..]
            .iter()
            .rev()
            .zip(is[head..].iter().rev())
            .take_while(|&(&a, &b)| same(a, b))
            .count();
        let mut out: Vec<Change> = rs[head..rs.len() - tail]
            .iter()
            .map(|&rc| subtree(self.running, rc, ChangeKind::Removed))
            .collect();
        out.extend(
            is[head..is.len() - tail]
                .iter()
                .map(|&ic| subtree(self.intended, ic, ChangeKind::Added)),
        );
        out
    }

    /// Entries carrying sequence numbers sit where their number says, so they compare as a
    /// set: only entries whose text differs are reported.
    fn sequenced_children(&self, r: NodeId, i: NodeId) -> Vec<Change> {
        let mut out: Vec<Change> = self
            .running
            .node(r)
            .children
            .iter()
            .filter(|&&rc| self.in_intended(i, rc).is_none())
            .map(|&rc| subtree(self.running, rc, ChangeKind::Removed))
            .collect();
        out.extend(
            self.intended
                .node(i)
                .children
                .iter()
                .filter(|&&ic| self.in_running(r, ic).is_none())
                .map(|&ic| subtree(self.intended, ic, ChangeKind::Added)),
        );
        out
    }

    /// Same key and same subtree.
    pub(crate) fn equal(&self, r: NodeId, i: NodeId) -> bool {
        self.running.key(r) == self.intended.key(i) && self.children(r, i).is_empty()
    }

    fn section(&self, r: NodeId, i: NodeId, kind: ChangeKind) -> Change {
        let node = self.intended.node(i);
        Change {
            kind,
            text: self.intended.text(i).to_string(),
            previous: None,
            running_line: Some(self.running.node(r).line),
            intended_line: Some(node.line),
            ordered: false,
            children: Vec::new(),
            running: Some(r),
            intended: Some(i),
        }
    }
}

/// Every entry is a leaf with a sequence number (`10 permit …`, `seq 10 …`).
pub(crate) fn sequenced(tree: &ConfigTree, ids: &[NodeId]) -> bool {
    ids.iter().all(|&c| {
        tree.node(c).children.is_empty()
            && crate::remediate::sequence_number(tree.text(c)).is_some()
    })
}

/// A whole subtree as added (from the intended tree) or removed (from the running tree).
fn subtree(tree: &ConfigTree, id: NodeId, kind: ChangeKind) -> Change {
    let node = tree.node(id);
    let from_running = kind == ChangeKind::Removed;
    Change {
        kind,
        text: tree.text(id).to_string(),
        previous: None,
        running_line: from_running.then_some(node.line),
        intended_line: (!from_running).then_some(node.line),
        ordered: false,
        children: node
            .children
            .iter()
            .map(|&c| subtree(tree, c, kind))
            .collect(),
        running: from_running.then_some(id),
        intended: (!from_running).then_some(id),
    }
}
