//! The running config laid out against the intended one, for line-based unified diffs.

use std::collections::HashMap;

use crate::rules::Syntax;
use crate::tree::{ConfigTree, NodeId, ROOT};

/// `running` rendered for a line-based unified diff against `intended.render()`: lines that
/// match an intended line are printed as the intended line spells them and in its order, and
/// each running-only line stays right after the matched line it followed, so only real
/// changes show and a changed value sits next to its replacement.
pub fn render_aligned(running: &ConfigTree, intended: &ConfigTree) -> String {
    let mut out = String::new();
    aligned(running, ROOT, intended, Some(ROOT), 0, &mut out);
    out
}

fn aligned(
    running: &ConfigTree,
    r: NodeId,
    intended: &ConfigTree,
    i: Option<NodeId>,
    depth: usize,
    out: &mut String,
) {
    let indent = running.rules().driver.syntax == Syntax::Indented;
    let node = running.node(r);
    let mut order: Vec<(NodeId, Option<NodeId>)> = Vec::with_capacity(node.children.len());
    match i {
        Some(i) if !node.ordered => {
            let matched =
                |rc: NodeId| intended.find_hashed(i, running.node(rc).hash, running.key(rc));
            // Running-only lines grouped by the matched running line they follow.
            let mut leading = Vec::new();
            let mut after: HashMap<NodeId, Vec<NodeId>> = HashMap::new();
            let mut anchor = None;
            for &rc in &node.children {
                match (matched(rc), anchor) {
                    (Some(_), _) => anchor = Some(rc),
                    (None, None) => leading.push(rc),
                    (None, Some(a)) => after.entry(a).or_default().push(rc),
                }
            }
            order.extend(leading.into_iter().map(|rc| (rc, None)));
            for &ic in &intended.node(i).children {
                let hash = intended.node(ic).hash;
                if let Some(rc) = running.find_hashed(r, hash, intended.key(ic)) {
                    order.push((rc, Some(ic)));
                    let followers = after.remove(&rc).unwrap_or_default();
                    order.extend(followers.into_iter().map(|f| (f, None)));
                }
            }
        }
        _ => order.extend(node.children.iter().map(|&rc| (rc, None))),
    }
    for (rc, ic) in order {
        if indent {
            out.extend(std::iter::repeat_n(' ', depth));
        }
        let text = match ic {
            Some(ic) => &intended.text(ic),
            None => &running.text(rc),
        };
        out.push_str(text);
        out.push('\n');
        aligned(running, rc, intended, ic, depth + 1, out);
    }
}
