//! Slicing: the part of a config matched by a template-match expression (one anchored regex
//! per depth separated by `||`, `*` for any line) or by a line prefix.

use std::collections::HashSet;

use regex::{Regex, RegexBuilder};

use crate::error::ConfigError;
use crate::tree::{ConfigTree, NodeId, ROOT};

/// Untrusted expressions must not build huge automata.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

#[derive(Debug, Clone)]
pub struct SliceExpr {
    levels: Vec<Level>,
}

#[derive(Debug, Clone)]
enum Level {
    Any,
    Pattern(Regex),
    Prefix(String),
    /// Exactly these lines (text or normalised key).
    Lines(HashSet<String>),
}

impl Level {
    fn matches(&self, text: &str) -> bool {
        match self {
            Level::Any => true,
            Level::Pattern(re) => re.is_match(text),
            Level::Prefix(prefix) => text.starts_with(prefix.as_str()),
            Level::Lines(lines) => lines.contains(text),
        }
    }
}

impl SliceExpr {
    /// `interface||ip address` — lines starting `interface`, and under them `ip address`.
    pub fn parse(expr: &str) -> Result<SliceExpr, ConfigError> {
        let levels = expr
            .split("||")
            .enumerate()
            .map(|(index, raw)| {
                let pattern = raw.trim();
                if pattern == "*" {
                    return Ok(Level::Any);
                }
                RegexBuilder::new(&format!("^(?:{pattern})"))
                    .size_limit(REGEX_SIZE_LIMIT)
                    .build()
                    .map(Level::Pattern)
                    .map_err(|e| ConfigError::InvalidSlice {
                        level: index + 1,
                        pattern: pattern.to_string(),
                        reason: e.to_string(),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SliceExpr { levels })
    }

    /// Top-level lines starting with `prefix`, with their sections.
    pub fn prefix(prefix: &str) -> SliceExpr {
        let prefix = crate::normalize::collapse_whitespace(prefix).into_owned();
        SliceExpr {
            levels: vec![Level::Prefix(prefix)],
        }
    }

    /// The top-level sections of `tree`, each with everything under it: what a template without
    /// a `template-match` header owns.
    pub fn sections_of(tree: &ConfigTree) -> SliceExpr {
        let lines = tree
            .node(ROOT)
            .children
            .iter()
            .map(|&id| tree.key(id).to_string())
            .collect();
        SliceExpr {
            levels: vec![Level::Lines(lines)],
        }
    }

    /// The matching lines with their ancestors; a line matched at the last level keeps its
    /// whole section.
    pub fn apply(&self, tree: &ConfigTree) -> ConfigTree {
        let mut out = ConfigTree::new(tree.platform());
        self.level(tree, ROOT, 0, &mut out, ROOT);
        out
    }

    fn level(
        &self,
        tree: &ConfigTree,
        from: NodeId,
        depth: usize,
        out: &mut ConfigTree,
        into: NodeId,
    ) -> bool {
        let Some(level) = self.levels.get(depth) else {
            return false;
        };
        let last = depth + 1 == self.levels.len();
        let mut any = false;
        for &child in &tree.node(from).children {
            if !(level.matches(tree.text(child)) || level.matches(tree.key(child))) {
                continue;
            }
            if last {
                copy(tree, child, out, into);
                any = true;
                continue;
            }
            let copied = out.add_child(
                into,
                tree.text(child),
                Some(tree.key(child)),
                tree.node(child).line,
            );
            if self.level(tree, child, depth + 1, out, copied) {
                any = true;
            } else {
                out.detach(copied);
            }
        }
        any
    }
}

pub(crate) fn copy(tree: &ConfigTree, id: NodeId, out: &mut ConfigTree, into: NodeId) {
    let node = tree.node(id);
    let copied = out.add_child(into, tree.text(id), Some(tree.key(id)), node.line);
    for &child in &node.children {
        copy(tree, child, out, copied);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;
    use crate::platform::Platform;

    const CONFIG: &str = "hostname sw1\ninterface Gi1/0/1\n description a\n ip address 10.0.0.1 255.255.255.0\ninterface Vlan10\n description b\nrouter ospf 1\n network 10.0.0.0 0.0.0.255 area 0\n";

    #[test]
    fn template_match_selects_per_depth() {
        let tree = parse(Platform::CiscoIos, CONFIG).unwrap();
        let sliced = SliceExpr::parse("interface||ip address")
            .unwrap()
            .apply(&tree);
        assert_eq!(
            sliced.render(),
            "interface Gi1/0/1\n ip address 10.0.0.1 255.255.255.0\n"
        );
        let all_interfaces = SliceExpr::parse("interface GigabitEthernet||*")
            .unwrap()
            .apply(&tree);
        assert_eq!(
            all_interfaces.render(),
            "interface Gi1/0/1\n description a\n ip address 10.0.0.1 255.255.255.0\n"
        );
        let routers = SliceExpr::parse("router").unwrap().apply(&tree);
        assert_eq!(
            routers.render(),
            "router ospf 1\n network 10.0.0.0 0.0.0.255 area 0\n"
        );
    }

    #[test]
    fn sections_of_a_tree_select_the_same_top_level_lines() {
        let tree = parse(Platform::CiscoIos, CONFIG).unwrap();
        let owned = parse(
            Platform::CiscoIos,
            "interface GigabitEthernet1/0/1\n description new\nhostname other\n",
        )
        .unwrap();
        assert_eq!(
            SliceExpr::sections_of(&owned).apply(&tree).render(),
            "interface Gi1/0/1\n description a\n ip address 10.0.0.1 255.255.255.0\n"
        );
    }

    #[test]
    fn prefix_slices_and_bad_patterns_are_reported() {
        let tree = parse(Platform::CiscoIos, CONFIG).unwrap();
        assert_eq!(
            SliceExpr::prefix("hostname").apply(&tree).render(),
            "hostname sw1\n"
        );
        let err = SliceExpr::parse("interface||ip (").unwrap_err();
        assert!(
            matches!(err, ConfigError::InvalidSlice { level: 2, .. }),
            "{err}"
        );
    }
}
