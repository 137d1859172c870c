//! A model of how a device applies commands, used to predict the config after a remediation
//! (and to check the core property: `apply(running, remediate(running, intended)) == intended`).

use crate::normalize::collapse_whitespace;
use crate::remediate::{Command, CommandKind, Remediation, STEP, sequence_number};
use crate::rules::Syntax;
use crate::tree::{ConfigTree, NodeId, ROOT};

/// The config `running` becomes once `remediation` is applied.
pub fn apply(running: &ConfigTree, remediation: &Remediation) -> ConfigTree {
    let mut tree = running.clone();
    for command in &remediation.commands {
        apply_command(&mut tree, ROOT, command);
    }
    tree
}

fn normalised_key(tree: &ConfigTree, text: &str) -> String {
    let text = collapse_whitespace(text);
    tree.key_of(&text).unwrap_or_else(|| text.into_owned())
}

fn apply_command(tree: &mut ConfigTree, parent: NodeId, command: &Command) {
    match command.kind {
        CommandKind::Negate => return remove_matching(tree, parent, &command.text),
        // Renumbering changes no line; entries are then addressed as 10, 20… below.
        CommandKind::Resequence => return,
        CommandKind::Set => {}
    }
    let rules = tree.rules();
    let key = normalised_key(tree, &command.text);
    let existing = tree.find_child(parent, &key);
    let id = match existing {
        Some(id) => {
            if rules.replaces_on_entry(tree.text(id)) && !command.children.is_empty() {
                for child in tree.node(id).children.clone() {
                    tree.detach(child);
                }
            }
            id
        }
        None => add_new(tree, parent, &command.text, &key),
    };
    if renumbered_entries(tree, id, &command.children) {
        apply_by_number(tree, id, &command.children);
        return;
    }
    for child in &command.children {
        apply_command(tree, id, child);
    }
}

/// An ordered section printed without sequence numbers, edited by number after a resequence.
fn renumbered_entries(tree: &ConfigTree, id: NodeId, commands: &[Command]) -> bool {
    let node = tree.node(id);
    node.ordered
        && !node.children.is_empty()
        && node
            .children
            .iter()
            .all(|&c| sequence_number(tree.key(c)).is_none())
        && commands.iter().all(|c| {
            let entry = match c.kind {
                CommandKind::Negate => c
                    .text
                    .strip_prefix(tree.rules().driver.negation)
                    .unwrap_or(&c.text),
                _ => &c.text,
            };
            sequence_number(entry).is_some()
        })
}

/// Entries are numbered 10, 20… in order; `no N` removes entry N, `N text` inserts `text`
/// where N falls. The device prints the entries without their numbers.
fn apply_by_number(tree: &mut ConfigTree, section: NodeId, commands: &[Command]) {
    let mut numbered: Vec<(u64, NodeId)> = (1..)
        .zip(tree.node(section).children.clone())
        .map(|(k, id)| (k * STEP, id))
        .collect();
    for command in commands {
        let (number, rest) = command.text.split_once(' ').unwrap_or((&command.text, ""));
        let (number, rest) = match command.kind {
            CommandKind::Negate => (rest.split(' ').next().unwrap_or_default(), ""),
            _ => (number, rest),
        };
        let Ok(number) = number.parse::<u64>() else {
            continue;
        };
        if command.kind == CommandKind::Negate {
            if let Some(index) = numbered.iter().position(|&(n, _)| n == number) {
                tree.detach(numbered.remove(index).1);
            }
            continue;
        }
        let position = numbered
            .iter()
            .position(|&(n, _)| n > number)
            .unwrap_or(numbered.len());
        let key = normalised_key(tree, rest);
        let text = collapse_whitespace(rest);
        let id = tree.insert_child_at(section, position, &text, &key);
        numbered.insert(position, (number, id));
    }
}

/// A positive command the parent does not have yet.
fn add_new(tree: &mut ConfigTree, parent: NodeId, text: &str, key: &str) -> NodeId {
    let rules = tree.rules();
    // Setting `X` clears an explicit `no X`.
    let negated = format!("{}{key}", rules.driver.negation);
    if let Some(old) = tree.find_child(parent, &negated) {
        tree.detach(old);
    }
    if let Some(identity) = rules.idempotent_identity(text) {
        let same_setting = tree.node(parent).children.iter().copied().find(|&c| {
            tree.node(c).children.is_empty()
                && rules.idempotent_identity(tree.text(c)).as_ref() == Some(&identity)
        });
        if let Some(id) = same_setting {
            tree.retext(id, text, key);
            return id;
        }
    }
    if tree.node(parent).ordered
        && let Some(seq) = sequence_number(key)
    {
        return insert_by_sequence(tree, parent, seq, text, key);
    }
    let text = collapse_whitespace(text);
    tree.insert_child_at(parent, usize::MAX, &text, key)
}

/// ACL entries with sequence numbers land in numeric order; an entry with the same number
/// is overwritten.
fn insert_by_sequence(
    tree: &mut ConfigTree,
    parent: NodeId,
    seq: &str,
    text: &str,
    key: &str,
) -> NodeId {
    let number = |s: &str| {
        s.trim_start_matches("seq ")
            .parse::<u64>()
            .unwrap_or(u64::MAX)
    };
    let wanted = number(seq);
    let children = tree.node(parent).children.clone();
    let mut position = children.len();
    for (index, &c) in children.iter().enumerate() {
        let current = sequence_number(tree.key(c)).map_or(u64::MAX, number);
        if current == wanted {
            tree.detach(c);
            position = index;
            break;
        }
        if current > wanted {
            position = index;
            break;
        }
    }
    tree.insert_child_at(parent, position, text, key)
}

/// `no X` / `default X` / `delete X` removes `X`, or everything `X` is a prefix of
/// (`no description` removes any description, `no 10` removes ACL entry 10).
fn remove_matching(tree: &mut ConfigTree, parent: NodeId, negation: &str) {
    let rules = tree.rules();
    let target = match rules.driver.syntax {
        // `activate X` undoes `deactivate X`; `delete X` removes `set X…`.
        Syntax::JunosSet => match negation.strip_prefix("activate ") {
            Some(path) => format!("deactivate {path}"),
            None => format!(
                "set {}",
                negation
                    .strip_prefix(rules.driver.negation)
                    .unwrap_or(negation)
            ),
        },
        Syntax::Indented => negation
            .strip_prefix(rules.driver.negation)
            .or_else(|| negation.strip_prefix("default "))
            .unwrap_or(negation)
            .to_string(),
    };
    let key = normalised_key(tree, &target);
    let doomed: Vec<NodeId> = tree
        .node(parent)
        .children
        .iter()
        .copied()
        .filter(|&c| {
            let child = tree.key(c);
            child == key
                || (child.starts_with(&key) && child.as_bytes().get(key.len()) == Some(&b' '))
        })
        .collect();
    if doomed.is_empty() {
        // Negating a `no X` line re-enables X: the command is then positive.
        if let Some(old) = tree.find_child(parent, &format!("{}{key}", rules.driver.negation)) {
            tree.detach(old);
        }
    }
    for id in doomed {
        tree.detach(id);
    }
}

#[cfg(test)]
mod tests {
    use crate::{Platform, apply, diff, parse, remediate};

    #[test]
    fn junos_deactivation_is_undone_with_activate() {
        let running = parse(
            Platform::JuniperJunos,
            "set protocols lldp interface all\ndeactivate protocols lldp\n",
        )
        .unwrap();
        let intended = parse(
            Platform::JuniperJunos,
            "protocols {\n lldp {\n  interface all;\n }\n}\n",
        )
        .unwrap();
        let fix = remediate(&running, &intended);
        assert_eq!(fix.to_text(), "activate protocols lldp\n");
        assert!(diff(&apply(&running, &fix), &intended).is_empty());
        let back = remediate(&intended, &running);
        assert_eq!(back.to_text(), "deactivate protocols lldp\n");
        assert!(diff(&apply(&intended, &back), &running).is_empty());
    }

    #[test]
    fn brace_inactive_marks_match_set_form_deactivate() {
        let brace = parse(
            Platform::JuniperJunos,
            "protocols {\n inactive: lldp {\n  interface all;\n }\n inactive: ospf3;\n}\n",
        )
        .unwrap();
        let set = parse(
            Platform::JuniperJunos,
            "set protocols lldp interface all\ndeactivate protocols lldp\nset protocols ospf3\ndeactivate protocols ospf3\n",
        )
        .unwrap();
        assert!(
            diff(&brace, &set).is_empty(),
            "{}",
            diff(&brace, &set).to_text()
        );
    }
}
