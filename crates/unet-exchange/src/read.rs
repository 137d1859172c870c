//! Finding the inventory files of an import path and reading each into drafts.

use std::fs;
use std::io::Read;
use std::path::Path;

use serde::Deserialize;
use unet_core::{EntityType, LinkDraft, LocationDraft, NodeDraft};

use crate::parse::{Syntax, parse_typed, scan, section_path};
use crate::upstream::{UpstreamLink, UpstreamLocation, UpstreamNode};
use crate::{ExchangeError, ImportBatch, MAX_FILE_BYTES, Origin, Result, Sourced, csv_format, ids};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileFormat {
    Json,
    Yaml,
    Csv,
}

impl FileFormat {
    fn from_extension(ext: &str) -> Option<FileFormat> {
        match ext.to_ascii_lowercase().as_str() {
            "json" => Some(FileFormat::Json),
            "yaml" | "yml" => Some(FileFormat::Yaml),
            "csv" => Some(FileFormat::Csv),
            _ => None,
        }
    }

    fn syntax(self) -> Option<Syntax> {
        match self {
            FileFormat::Json => Some(Syntax::Json),
            FileFormat::Yaml => Some(Syntax::Yaml),
            FileFormat::Csv => None,
        }
    }
}

/// The entity type a file name stands for (`nodes.json` → node), with its format.
fn classify(path: &Path) -> Option<(EntityType, FileFormat)> {
    let stem = path.file_stem()?.to_str()?;
    let format = FileFormat::from_extension(path.extension()?.to_str()?)?;
    let entity = match stem {
        "locations" => EntityType::Location,
        "nodes" => EntityType::Node,
        "links" => EntityType::Link,
        _ => return None,
    };
    Some((entity, format))
}

/// Reads a directory of entity files, one entity file, or one combined document.
pub fn read_path(path: &Path) -> Result<ImportBatch> {
    let shown = path.display().to_string();
    let meta = fs::metadata(path).map_err(|e| ExchangeError::io(&shown, e))?;
    let mut records = ImportBatch::default();
    if meta.is_dir() {
        let files = directory_files(path, &shown)?;
        for (file, entity, format) in files {
            read_entity_file(&mut records, &file, entity, format)?;
        }
        return Ok(records);
    }
    match classify(path) {
        Some((entity, format)) => read_entity_file(&mut records, path, entity, format)?,
        None => {
            let syntax = path
                .extension()
                .and_then(|e| e.to_str())
                .and_then(FileFormat::from_extension)
                .and_then(FileFormat::syntax)
                .ok_or_else(|| {
                    ExchangeError::layout(
                        &shown,
                        "expected a directory, locations/nodes/links.{json,yaml,yml}, nodes.csv, \
                         or a combined .json/.yaml document",
                    )
                })?;
            let text = read_text(path, &shown)?;
            read_combined(&mut records, &shown, &text, syntax)?;
        }
    }
    Ok(records)
}

type EntityFile = (std::path::PathBuf, EntityType, FileFormat);

/// The entity files of a directory in dependency order; two files for one entity type are
/// refused rather than silently merged or shadowed.
fn directory_files(dir: &Path, shown: &str) -> Result<Vec<EntityFile>> {
    let mut found: Vec<EntityFile> = Vec::new();
    let entries = fs::read_dir(dir).map_err(|e| ExchangeError::io(shown, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| ExchangeError::io(shown, e))?;
        let file = entry.path();
        if !file.is_file() {
            continue;
        }
        let Some((entity, format)) = classify(&file) else {
            continue;
        };
        if let Some((other, _, _)) = found.iter().find(|(_, e, _)| *e == entity) {
            return Err(ExchangeError::layout(
                shown,
                format!(
                    "both {} and {} hold {} records; keep one",
                    file_name(other),
                    file_name(&file),
                    entity.as_str()
                ),
            ));
        }
        found.push((file, entity, format));
    }
    if found.is_empty() {
        return Err(ExchangeError::layout(
            shown,
            "no inventory files: expected locations/nodes/links.{json,yaml,yml} or nodes.csv",
        ));
    }
    found.sort_by_key(|(_, entity, _)| match entity {
        EntityType::Location => 0,
        EntityType::Node => 1,
        EntityType::Link => 2,
    });
    Ok(found)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn read_text(path: &Path, shown: &str) -> Result<String> {
    let file = fs::File::open(path).map_err(|e| ExchangeError::io(shown, e))?;
    let size = file
        .metadata()
        .map_err(|e| ExchangeError::io(shown, e))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(ExchangeError::TooLarge {
            path: shown.to_string(),
            size,
            limit: MAX_FILE_BYTES,
        });
    }
    let mut text = String::new();
    // The limit also bounds a file that grows while it is read.
    file.take(MAX_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| ExchangeError::io(shown, e))?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(ExchangeError::TooLarge {
            path: shown.to_string(),
            size: text.len() as u64,
            limit: MAX_FILE_BYTES,
        });
    }
    Ok(text)
}

fn read_entity_file(
    records: &mut ImportBatch,
    path: &Path,
    entity: EntityType,
    format: FileFormat,
) -> Result<()> {
    let shown = path.display().to_string();
    if format == FileFormat::Csv && entity != EntityType::Node {
        return Err(ExchangeError::layout(
            &shown,
            "CSV is supported for nodes only; use JSON or YAML for locations and links",
        ));
    }
    let text = read_text(path, &shown)?;
    let Some(syntax) = format.syntax() else {
        records.nodes.extend(csv_format::read_nodes(&shown, &text)?);
        return Ok(());
    };
    let scan = scan(&shown, &text, syntax, entity)?;
    if scan.records == 0 {
        return Ok(());
    }
    let upstream = scan.upstream;
    match (entity, upstream) {
        (EntityType::Location, false) => {
            let drafts: Vec<LocationDraft> = parse_typed(&shown, &text, syntax)?;
            records
                .locations
                .extend(sourced(&shown, drafts, ids::fill_location));
        }
        (EntityType::Location, true) => {
            let drafts: Vec<UpstreamLocation> = parse_typed(&shown, &text, syntax)?;
            records
                .locations
                .extend(sourced(&shown, drafts, UpstreamLocation::into_draft));
        }
        (EntityType::Node, false) => {
            let drafts: Vec<NodeDraft> = parse_typed(&shown, &text, syntax)?;
            records
                .nodes
                .extend(sourced(&shown, drafts, ids::fill_node));
        }
        (EntityType::Node, true) => {
            let drafts: Vec<UpstreamNode> = parse_typed(&shown, &text, syntax)?;
            records
                .nodes
                .extend(sourced(&shown, drafts, UpstreamNode::into_draft));
        }
        (EntityType::Link, false) => {
            let drafts: Vec<LinkDraft> = parse_typed(&shown, &text, syntax)?;
            records
                .links
                .extend(sourced(&shown, drafts, ids::fill_link));
        }
        (EntityType::Link, true) => {
            let drafts: Vec<UpstreamLink> = parse_typed(&shown, &text, syntax)?;
            for (index, link) in drafts.into_iter().enumerate() {
                let draft = link.into_draft().map_err(|e| ExchangeError::Record {
                    path: shown.clone(),
                    index,
                    field: Some(e.field.to_string()),
                    line: None,
                    column: None,
                    message: format!("expected {}", e.message),
                })?;
                records.links.push(Sourced {
                    origin: Origin {
                        file: shown.clone(),
                        index,
                    },
                    draft,
                });
            }
        }
    }
    Ok(())
}

fn sourced<U, T>(
    file: &str,
    items: Vec<U>,
    map: impl Fn(U) -> T,
) -> impl Iterator<Item = Sourced<T>> {
    items
        .into_iter()
        .enumerate()
        .map(move |(index, item)| Sourced {
            origin: Origin {
                file: file.to_string(),
                index,
            },
            draft: map(item),
        })
}

/// One document holding every entity type; always our format.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Combined {
    #[serde(default)]
    locations: Vec<LocationDraft>,
    #[serde(default)]
    nodes: Vec<NodeDraft>,
    #[serde(default)]
    links: Vec<LinkDraft>,
}

fn read_combined(records: &mut ImportBatch, shown: &str, text: &str, syntax: Syntax) -> Result<()> {
    let combined: Combined = parse_typed(shown, text, syntax)?;
    let section = |name: &str| section_path(shown, name);
    records.locations.extend(sourced(
        &section("locations"),
        combined.locations,
        ids::fill_location,
    ));
    records
        .nodes
        .extend(sourced(&section("nodes"), combined.nodes, ids::fill_node));
    records
        .links
        .extend(sourced(&section("links"), combined.links, ids::fill_link));
    Ok(())
}
