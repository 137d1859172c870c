//! Remediation: the commands that take the running config to the intended one, in an order
//! the device accepts; rollback is the remediation of the opposite direction.

use std::collections::HashSet;

use serde::Serialize;

use crate::diff::{Change, ChangeKind, Pair, diff, sequenced};
use crate::rules::{Rules, Syntax};
use crate::tree::{ConfigTree, NodeId};

/// One command, with the commands to enter under it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Command {
    pub text: String,
    pub kind: CommandKind,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Command>,
    /// Command that leaves this section (`exit-address-family`), printed after the children.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit: Option<&'static str>,
    /// Sort weight forced by the engine (a section's negation travels with its re-creation).
    #[serde(skip)]
    pub(crate) weight: Option<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandKind {
    /// Adds or changes configuration (or enters a section).
    Set,
    /// Removes configuration (`no …`, `default …`, `delete …`).
    Negate,
    /// Renumbers the entries of an ordered section; the configuration itself is unchanged.
    Resequence,
}

#[derive(Debug, Clone, Serialize)]
pub struct Remediation {
    pub commands: Vec<Command>,
    #[serde(skip)]
    syntax: Syntax,
}

impl Remediation {
    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }

    /// Commands as a device accepts them pasted: indented by parent (Junos: flat `set`/`delete`).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let indent = self.syntax == Syntax::Indented;
        for command in &self.commands {
            render(command, 0, indent, &mut out);
        }
        out
    }
}

fn render(command: &Command, depth: usize, indent: bool, out: &mut String) {
    let pad = if indent {
        " ".repeat(depth)
    } else {
        String::new()
    };
    out.push_str(&pad);
    out.push_str(&command.text);
    out.push('\n');
    for child in &command.children {
        render(child, depth + 1, indent, out);
    }
    if let Some(exit) = command.exit {
        out.push_str(&pad);
        out.push_str(exit);
        out.push('\n');
    }
}

/// Commands that turn `running` into `intended`.
pub fn remediate(running: &ConfigTree, intended: &ConfigTree) -> Remediation {
    let changes = diff(running, intended).changes;
    let builder = Builder {
        rules: running.rules(),
        running,
        intended,
    };
    Remediation {
        commands: builder.level(&changes),
        syntax: running.rules().driver.syntax,
    }
}

/// Commands that undo [`remediate`]`(running, intended)`: take `intended` back to `running`.
pub fn rollback(running: &ConfigTree, intended: &ConfigTree) -> Remediation {
    remediate(intended, running)
}

struct Builder<'a> {
    rules: &'static Rules,
    running: &'a ConfigTree,
    intended: &'a ConfigTree,
}

impl Builder<'_> {
    /// Commands for the changes of one level: negations first, then additions, then weights.
    fn level(&self, changes: &[Change]) -> Vec<Command> {
        let mut negations = Vec::new();
        let mut others = Vec::new();
        for change in changes {
            match change.kind {
                ChangeKind::Removed => negations.push(self.negation(&change.text)),
                ChangeKind::Added => others.push(self.added(change)),
                ChangeKind::Replaced => others.push(self.leaf(&change.text)),
                ChangeKind::Changed if change.ordered => self.ordered(change, &mut others),
                ChangeKind::Changed => {
                    let children = self.level(&change.children);
                    if !children.is_empty() {
                        others.push(self.section(&change.text, children));
                    }
                }
            }
        }
        // Re-adding `X` already undoes a removed `no X`, and vice versa: send each text once.
        let mut commands = negations;
        commands.append(&mut others);
        let keep: Vec<bool> = {
            let mut seen = HashSet::with_capacity(commands.len());
            commands
                .iter()
                .map(|c| seen.insert(c.text.as_str()))
                .collect()
        };
        let mut keep = keep.into_iter();
        commands.retain(|_| keep.next().unwrap_or(true));
        commands.sort_by_key(|c| c.weight.unwrap_or_else(|| self.rules.weight(&c.text)));
        commands
    }

    fn negation(&self, text: &str) -> Command {
        Command {
            text: self.rules.negate(text),
            kind: CommandKind::Negate,
            children: Vec::new(),
            exit: None,
            weight: None,
        }
    }

    fn leaf(&self, text: &str) -> Command {
        Command {
            text: text.to_string(),
            kind: CommandKind::Set,
            children: Vec::new(),
            exit: None,
            weight: None,
        }
    }

    fn section(&self, text: &str, children: Vec<Command>) -> Command {
        let exit = self.rules.sectional_exit(text);
        Command {
            text: text.to_string(),
            kind: CommandKind::Set,
            children,
            exit,
            weight: None,
        }
    }

    fn added(&self, change: &Change) -> Command {
        if change.children.is_empty() {
            return self.leaf(&change.text);
        }
        let children = change.children.iter().map(|c| self.added(c)).collect();
        self.section(&change.text, children)
    }

    /// A whole intended section, in intended order, as commands.
    fn full_section(&self, id: NodeId) -> Command {
        let node = self.intended.node(id);
        let text = self.intended.text(id);
        if node.children.is_empty() {
            return self.leaf(text);
        }
        let children = node
            .children
            .iter()
            .map(|&c| self.full_section(c))
            .collect();
        self.section(text, children)
    }

    /// An ordered section (ACL) whose entries differ. Cheapest safe form first: entries
    /// addressed by their sequence numbers, appending, entries addressed after renumbering,
    /// and last replacing the whole section.
    fn ordered(&self, change: &Change, others: &mut Vec<Command>) {
        let (Some(r), Some(i)) = (change.running, change.intended) else {
            return;
        };
        let running = &self.running.node(r).children;
        let intended = &self.intended.node(i).children;
        if sequenced(self.running, running) && sequenced(self.intended, intended) {
            let mut children: Vec<Command> = Vec::new();
            let mut added = Vec::new();
            for entry in &change.children {
                match entry.kind {
                    ChangeKind::Removed => {
                        let seq = sequence_number(&entry.text).unwrap_or(&entry.text);
                        children.push(self.negate_entry(seq));
                    }
                    _ => added.push(self.leaf(&entry.text)),
                }
            }
            children.extend(added);
            others.push(self.section(&change.text, children));
            return;
        }
        let pair = Pair {
            running: self.running,
            intended: self.intended,
        };
        let head = running
            .iter()
            .zip(intended)
            .take_while(|&(&a, &b)| pair.equal(a, b))
            .count();
        if head == running.len() {
            let children = intended[head..]
                .iter()
                .map(|&c| self.full_section(c))
                .collect();
            others.push(self.section(&change.text, children));
            return;
        }
        let weight = self.rules.weight(&change.text);
        if let Some(commands) = self.renumbered(change, &pair, head) {
            others.extend(commands.into_iter().map(|mut c| {
                c.weight = Some(weight);
                c
            }));
            return;
        }
        // Replace the section: its removal must stay right before its re-creation.
        if !self.rules.replaces_on_entry(&change.text) {
            let mut negation = self.negation(self.running.text(r));
            negation.weight = Some(weight);
            others.push(negation);
        }
        let mut section = self.full_section(i);
        section.weight = Some(weight);
        others.push(section);
    }

    /// Entries without printed sequence numbers: renumber the section 10, 20…, remove the
    /// changed run by number and insert the new entries into the gap it leaves, so the
    /// section is never absent. `None` when the platform cannot renumber or the gap is too small.
    fn renumbered(&self, change: &Change, pair: &Pair<'_>, head: usize) -> Option<Vec<Command>> {
        let resequence = self.rules.resequence(&change.text)?;
        let running = &self.running.node(change.running?).children;
        let intended = &self.intended.node(change.intended?).children;
        let leaves = |tree: &ConfigTree, ids: &[NodeId]| {
            ids.iter().all(|&c| {
                tree.node(c).children.is_empty() && sequence_number(tree.text(c)).is_none()
            })
        };
        if !leaves(self.running, running) || !leaves(self.intended, intended) {
            return None;
        }
        let tail = running[head..]
            .iter()
            .rev()
            .zip(intended[head..].iter().rev())
            .take_while(|&(&a, &b)| pair.equal(a, b))
            .count();
        let removed = running.len() - head - tail;
        let added = &intended[head..intended.len() - tail];
        // Free numbers between the kept head (ends at head*10) and tail (starts after the removed run).
        let low = u64::try_from(head).ok()? * STEP;
        let high = u64::try_from(head + removed + 1).ok()? * STEP;
        let count = u64::try_from(added.len()).ok()?;
        if count >= high - low {
            return None;
        }
        let gap = (high - low) / (count + 1);
        let mut children: Vec<Command> = (1..=removed)
            .map(|k| self.negate_entry(&((head + k) as u64 * STEP).to_string()))
            .collect();
        for (k, &entry) in (1..).zip(added) {
            let number = low + gap * k;
            children.push(self.leaf(&format!("{number} {}", self.intended.text(entry))));
        }
        let renumber = Command {
            text: resequence,
            kind: CommandKind::Resequence,
            children: Vec::new(),
            exit: None,
            weight: None,
        };
        Some(vec![renumber, self.section(&change.text, children)])
    }

    fn negate_entry(&self, seq: &str) -> Command {
        Command {
            text: format!("{}{seq}", self.rules.driver.negation),
            kind: CommandKind::Negate,
            children: Vec::new(),
            exit: None,
            weight: None,
        }
    }
}

/// Step of the sequence numbers a renumbered section gets.
pub(crate) const STEP: u64 = 10;
/// `10 permit ip any any` → `10`; `seq 10 permit …` → `seq 10`.
pub(crate) fn sequence_number(entry: &str) -> Option<&str> {
    let numeric = |w: &str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit());
    let mut words = entry.splitn(3, ' ');
    let first = words.next()?;
    if numeric(first) {
        return Some(first);
    }
    let second = words.next()?;
    (first == "seq" && numeric(second)).then(|| &entry[..first.len() + 1 + second.len()])
}
