//! The names rules may refer to, and how a dotted name maps onto the facts of a node.

use unet_core::{Location, Node, Record};

/// Fields of a node: those of its stored record.
pub const NODE_FIELDS: &[&str] = <Node as Record>::NAMES;

/// Fields of a location: those of its stored record (with the derived `path`)…
pub const LOCATION_FIELDS: &[&str] = <Location as Record>::NAMES;

/// …plus the `ancestors` array the facts add (the locations above it, root first).
const LOCATION_FACTS: &[&str] = &["ancestors"];

/// Which fact of a node a field reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Root {
    Node,
    Location,
    Status,
    RunningConfig,
    /// The node's recorded config check (`config.compliant`, `config.state`, …).
    ConfigCheck,
}

/// What rules can read of a node's config check besides `config.running`.
pub const CONFIG_FACTS: &[&str] = &[
    "compliant",
    "state",
    "missing",
    "extra",
    "noncompliant_templates",
    "checked_at",
    "running_version",
];

/// Where a field reference reads from, once resolved.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct FactPath {
    pub root: Root,
    /// Keys (or array indexes) below the root.
    pub path: Vec<String>,
}

pub(crate) enum Resolution {
    Known(FactPath),
    /// Not a documented field. `fact` is still read when the root is known (so fields added
    /// to the data model later work); `suggestion` is the nearest known name.
    Unknown {
        fact: Option<FactPath>,
        suggestion: Option<String>,
    },
}

fn fact(root: Root, rest: &[String]) -> FactPath {
    FactPath {
        root,
        path: rest.to_vec(),
    }
}

/// Fields below which any key is allowed (free JSON).
fn open_below(field: &str) -> bool {
    matches!(field, "custom_data" | "ancestors")
}

fn resolve_in(root: Root, fields: &[&[&str]], rest: &[String], written: &[String]) -> Resolution {
    let found = FactPath {
        root,
        path: rest.to_vec(),
    };
    match rest.first() {
        None => Resolution::Known(found),
        Some(field)
            if fields.iter().any(|f| f.contains(&field.as_str()))
                && (rest.len() == 1 || open_below(field)) =>
        {
            Resolution::Known(found)
        }
        Some(_) => Resolution::Unknown {
            fact: Some(found),
            suggestion: suggest(written),
        },
    }
}

pub(crate) fn resolve(segments: &[String]) -> Resolution {
    let Some((root, rest)) = segments.split_first() else {
        return Resolution::Unknown {
            fact: None,
            suggestion: None,
        };
    };
    match root.as_str() {
        "node" => resolve_in(Root::Node, &[NODE_FIELDS], rest, segments),
        "location" => resolve_in(
            Root::Location,
            &[LOCATION_FIELDS, LOCATION_FACTS],
            rest,
            segments,
        ),
        "custom_data" => {
            let mut path = vec!["custom_data".to_owned()];
            path.extend_from_slice(rest);
            Resolution::Known(FactPath {
                root: Root::Node,
                path,
            })
        }
        "status" => Resolution::Known(fact(Root::Status, rest)),
        "config" if matches!(rest, [field] if field == "running") => {
            Resolution::Known(fact(Root::RunningConfig, &[]))
        }
        "config" if matches!(rest, [field] if CONFIG_FACTS.contains(&field.as_str())) => {
            Resolution::Known(fact(Root::ConfigCheck, rest))
        }
        _ => Resolution::Unknown {
            fact: None,
            suggestion: suggest(segments),
        },
    }
}

/// The nearest known name to what was written, if it is close enough to be a typo.
fn suggest(segments: &[String]) -> Option<String> {
    if let [single] = segments {
        // `vendor` instead of `node.vendor`.
        if NODE_FIELDS.contains(&single.as_str()) {
            return Some(format!("node.{single}"));
        }
    }
    let written = segments
        .iter()
        .take(2)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(".");
    let candidates = NODE_FIELDS
        .iter()
        .map(|f| format!("node.{f}"))
        .chain(
            LOCATION_FIELDS
                .iter()
                .chain(LOCATION_FACTS)
                .map(|f| format!("location.{f}")),
        )
        .chain(CONFIG_FACTS.iter().map(|f| format!("config.{f}")))
        .chain(["config.running".to_owned(), "custom_data".to_owned()]);
    let limit = (written.chars().count() / 4).max(2);
    candidates
        .map(|candidate| (edit_distance(&written, &candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(s: &str) -> Vec<String> {
        s.split('.').map(str::to_owned).collect()
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("vendor", "vendor"), 0);
        assert_eq!(edit_distance("vender", "vendor"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("nod.role", "node.role"), 1);
    }

    #[test]
    fn aliases_and_roots_resolve() {
        let Resolution::Known(f) = resolve(&segs("custom_data.snmp.version")) else {
            panic!("custom_data alias must resolve");
        };
        assert_eq!(f.root, Root::Node);
        assert_eq!(f.path, segs("custom_data.snmp.version"));
        assert!(matches!(
            resolve(&segs("config.running")),
            Resolution::Known(FactPath {
                root: Root::RunningConfig,
                ..
            })
        ));
        assert!(matches!(
            resolve(&segs("status.sys_descr")),
            Resolution::Known(_)
        ));
        assert!(matches!(
            resolve(&segs("location.ancestors.0.name")),
            Resolution::Known(_)
        ));
    }

    #[test]
    fn typos_get_the_nearest_name() {
        let Resolution::Unknown { suggestion, fact } = resolve(&segs("node.vender")) else {
            panic!("node.vender is not a field");
        };
        assert_eq!(suggestion.as_deref(), Some("node.vendor"));
        assert!(fact.is_some(), "unknown node fields are still read");
        let Resolution::Unknown { suggestion, fact } = resolve(&segs("nod.role")) else {
            panic!("nod is not a root");
        };
        assert_eq!(suggestion.as_deref(), Some("node.role"));
        assert!(fact.is_none());
        let Resolution::Unknown { suggestion, .. } = resolve(&segs("vendor")) else {
            panic!("bare vendor is not a field");
        };
        assert_eq!(suggestion.as_deref(), Some("node.vendor"));
        let Resolution::Unknown { suggestion, .. } = resolve(&segs("zzzzzz.qqqq")) else {
            panic!("nonsense is not a field");
        };
        assert_eq!(suggestion, None);
    }
}
