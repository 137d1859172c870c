//! Writing an inventory as files: one per entity type, in the order the caller gives (the
//! store's stable order), pretty JSON with the structs' field order and a trailing newline, so
//! that export → import → export reproduces the same bytes.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use unet_core::{Link, Location, Node};

use crate::{ExchangeError, Result, write_records_csv};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Json,
    Yaml,
    /// `nodes.csv`; locations and links have no flat form and are written as JSON.
    Csv,
}

/// Writes `locations`, `nodes` and `links` files into `dir` (created if missing) and returns
/// the paths written. Each file is written beside its final name and renamed into place, so a
/// failed export never leaves a truncated file behind.
pub fn write_export(
    dir: &Path,
    locations: &[Location],
    nodes: &[Node],
    links: &[Link],
    format: ExportFormat,
) -> Result<Vec<PathBuf>> {
    let shown = dir.display().to_string();
    fs::create_dir_all(dir).map_err(|e| ExchangeError::io(&shown, e))?;
    let structured = match format {
        ExportFormat::Yaml => ExportFormat::Yaml,
        ExportFormat::Json | ExportFormat::Csv => ExportFormat::Json,
    };
    let mut written = vec![write_structured(dir, "locations", locations, structured)?];
    written.push(match format {
        ExportFormat::Csv => write_file(dir, "nodes.csv", |out, shown| {
            write_records_csv(nodes, out, shown)
        })?,
        _ => write_structured(dir, "nodes", nodes, structured)?,
    });
    written.push(write_structured(dir, "links", links, structured)?);
    Ok(written)
}

fn write_structured<T: Serialize>(
    dir: &Path,
    stem: &str,
    items: &[T],
    format: ExportFormat,
) -> Result<PathBuf> {
    match format {
        ExportFormat::Yaml => write_file(dir, &format!("{stem}.yaml"), |out, shown| {
            serde_yaml::to_writer(&mut *out, items)
                .map_err(|e| ExchangeError::io(shown, std::io::Error::other(e)))
        }),
        _ => write_file(dir, &format!("{stem}.json"), |out, shown| {
            serde_json::to_writer_pretty(&mut *out, items)
                .map_err(|e| ExchangeError::io(shown, std::io::Error::other(e)))?;
            out.write_all(b"\n")
                .map_err(|e| ExchangeError::io(shown, e))
        }),
    }
}

fn write_file(
    dir: &Path,
    name: &str,
    body: impl FnOnce(&mut BufWriter<fs::File>, &str) -> Result<()>,
) -> Result<PathBuf> {
    let target = dir.join(name);
    let partial = dir.join(format!(".{name}.partial"));
    let shown = target.display().to_string();
    let file = fs::File::create(&partial).map_err(|e| ExchangeError::io(&shown, e))?;
    let mut out = BufWriter::new(file);
    let result = body(&mut out, &shown).and_then(|()| {
        out.into_inner()
            .map_err(|e| ExchangeError::io(&shown, e.into_error()))?
            .sync_all()
            .map_err(|e| ExchangeError::io(&shown, e))
    });
    match result {
        Ok(()) => {
            fs::rename(&partial, &target).map_err(|e| ExchangeError::io(&shown, e))?;
            Ok(target)
        }
        Err(e) => {
            // Best effort: the error being reported matters more than a leftover partial file.
            let _ = fs::remove_file(&partial);
            Err(e)
        }
    }
}
