//! The vocabulary of bulk exchange, shared by everyone who moves whole inventories: the file
//! reader produces an [`ImportBatch`], the store imports it and answers an [`ImportReport`],
//! the HTTP API carries both as an [`ImportDocument`] and a report, and export returns an
//! [`Inventory`]. Pure types: nothing here reads a file or a database.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{EntityType, Link, LinkDraft, Location, LocationDraft, Node, NodeDraft};

/// Where a record came from, for messages: the file (as the operator named it) and the
/// record's 0-based index in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Origin {
    pub file: String,
    pub index: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} record {}", self.file, self.index)
    }
}

/// A record to import and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Sourced<T> {
    pub origin: Origin,
    pub draft: T,
}

/// Records to import, each with its origin; records read from files carry their id (`Some`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportBatch {
    pub locations: Vec<Sourced<LocationDraft>>,
    pub nodes: Vec<Sourced<NodeDraft>>,
    pub links: Vec<Sourced<LinkDraft>>,
}

impl ImportBatch {
    pub fn len(&self) -> usize {
        self.locations.len() + self.nodes.len() + self.links.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The import request of the HTTP API: the combined inventory document (what export returns
/// can be imported as is), plus, optionally, where each record came from.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportDocument {
    #[serde(default)]
    pub locations: Vec<LocationDraft>,
    #[serde(default)]
    pub nodes: Vec<NodeDraft>,
    #[serde(default)]
    pub links: Vec<LinkDraft>,
    /// One origin per record of each list, in the same order.
    #[serde(default)]
    pub origins: Option<ImportOrigins>,
}

/// The origins of an [`ImportDocument`], list by list.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportOrigins {
    #[serde(default)]
    pub locations: Vec<Origin>,
    #[serde(default)]
    pub nodes: Vec<Origin>,
    #[serde(default)]
    pub links: Vec<Origin>,
}

/// An origins list that does not name every record of its list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("has {origins} entries for {records} {list}; give one per record or none")]
pub struct OriginsMismatch {
    /// `locations`, `nodes` or `links`.
    pub list: &'static str,
    pub origins: usize,
    pub records: usize,
}

impl OriginsMismatch {
    /// The document field at fault, such as `origins.nodes`.
    pub fn field(&self) -> String {
        format!("origins.{}", self.list)
    }
}

impl From<ImportBatch> for ImportDocument {
    /// Keeps every record's origin, so the report names the same files and records wherever
    /// the batch is imported.
    fn from(batch: ImportBatch) -> ImportDocument {
        fn split<T>(records: Vec<Sourced<T>>) -> (Vec<T>, Vec<Origin>) {
            records.into_iter().map(|s| (s.draft, s.origin)).unzip()
        }
        let (locations, location_origins) = split(batch.locations);
        let (nodes, node_origins) = split(batch.nodes);
        let (links, link_origins) = split(batch.links);
        ImportDocument {
            locations,
            nodes,
            links,
            origins: Some(ImportOrigins {
                locations: location_origins,
                nodes: node_origins,
                links: link_origins,
            }),
        }
    }
}

impl ImportDocument {
    /// Pairs each record with its origin; without origins a record is named by its list and
    /// position (`nodes record 3`).
    pub fn into_batch(self) -> Result<ImportBatch, OriginsMismatch> {
        let origins = self.origins.unwrap_or_default();
        Ok(ImportBatch {
            locations: sourced("locations", self.locations, origins.locations)?,
            nodes: sourced("nodes", self.nodes, origins.nodes)?,
            links: sourced("links", self.links, origins.links)?,
        })
    }
}

fn sourced<T>(
    list: &'static str,
    drafts: Vec<T>,
    origins: Vec<Origin>,
) -> Result<Vec<Sourced<T>>, OriginsMismatch> {
    if !origins.is_empty() && origins.len() != drafts.len() {
        return Err(OriginsMismatch {
            list,
            origins: origins.len(),
            records: drafts.len(),
        });
    }
    let mut origins = origins.into_iter();
    Ok(drafts
        .into_iter()
        .enumerate()
        .map(|(index, draft)| Sourced {
            origin: origins.next().unwrap_or_else(|| Origin {
                file: list.to_string(),
                index,
            }),
            draft,
        })
        .collect())
}

/// Records created, updated, left unchanged and failed, for one entity type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportCounts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub failed: u64,
}

/// One record that could not be imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportFailure {
    pub entity: EntityType,
    pub origin: Origin,
    pub message: String,
}

/// What an import did (or, when not committed, would have done).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    pub locations: ImportCounts,
    pub nodes: ImportCounts,
    pub links: ImportCounts,
    pub failures: Vec<ImportFailure>,
    /// Whether the changes were written: false after a failure without `continue_on_error`
    /// (the counts then say what would have happened) and for a dry run.
    pub committed: bool,
}

/// The whole inventory in export order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    pub locations: Vec<Location>,
    pub nodes: Vec<Node>,
    pub links: Vec<Link>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str) -> NodeDraft {
        NodeDraft {
            name: name.to_string(),
            ..NodeDraft::default()
        }
    }

    #[test]
    fn documents_keep_origins_both_ways() {
        let batch = ImportBatch {
            nodes: vec![Sourced {
                origin: Origin {
                    file: "nodes.csv".into(),
                    index: 4,
                },
                draft: node("a"),
            }],
            ..ImportBatch::default()
        };
        let wire = serde_json::to_string(&ImportDocument::from(batch.clone())).unwrap();
        let back: ImportDocument = serde_json::from_str(&wire).unwrap();
        assert_eq!(back.into_batch().unwrap(), batch);
    }

    #[test]
    fn records_without_origins_are_named_by_list_and_position() {
        let document = ImportDocument {
            nodes: vec![node("a"), node("b")],
            ..ImportDocument::default()
        };
        let batch = document.into_batch().unwrap();
        assert_eq!(batch.nodes[1].origin.to_string(), "nodes record 1");
    }

    #[test]
    fn origins_must_name_every_record() {
        let document = ImportDocument {
            nodes: vec![node("a"), node("b")],
            origins: Some(ImportOrigins {
                nodes: vec![Origin {
                    file: "f".into(),
                    index: 0,
                }],
                ..ImportOrigins::default()
            }),
            ..ImportDocument::default()
        };
        let e = document.into_batch().unwrap_err();
        assert_eq!(e.field(), "origins.nodes");
        assert_eq!(
            e.to_string(),
            "has 1 entries for 2 nodes; give one per record or none"
        );
    }
}
