//! `unet export DIR`: write the whole inventory as one file per entity type.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde::Serialize;
use unet_exchange::{ExportFormat, write_export};

use crate::client::Backend;
use crate::error::Result;
use crate::output::{OutputFormat, print_rows, print_structured, require_tabular};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FileFormat {
    Json,
    Yaml,
    /// nodes.csv; locations and links are written as JSON.
    Csv,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Directory to write locations, nodes and links files into (created if missing).
    pub dir: PathBuf,
    #[arg(long, value_enum, default_value_t = FileFormat::Json)]
    pub format: FileFormat,
}

#[derive(Serialize)]
struct Written {
    files: Vec<String>,
    locations: usize,
    nodes: usize,
    links: usize,
}

pub async fn run<B: Backend>(backend: &B, args: ExportArgs, format: OutputFormat) -> Result<()> {
    require_tabular(format)?;
    let inventory = backend.export().await?;
    let file_format = match args.format {
        FileFormat::Json => ExportFormat::Json,
        FileFormat::Yaml => ExportFormat::Yaml,
        FileFormat::Csv => ExportFormat::Csv,
    };
    let files = write_export(
        &args.dir,
        &inventory.locations,
        &inventory.nodes,
        &inventory.links,
        file_format,
    )?;
    let written = Written {
        files: files.iter().map(|f| f.display().to_string()).collect(),
        locations: inventory.locations.len(),
        nodes: inventory.nodes.len(),
        links: inventory.links.len(),
    };
    match format {
        OutputFormat::Table | OutputFormat::Csv => {
            let counts = [written.locations, written.nodes, written.links];
            let rows = written
                .files
                .iter()
                .zip(counts)
                .map(|(file, count)| vec![file.clone(), count.to_string()])
                .collect();
            print_rows(format, &["file", "records"], rows)
        }
        other => print_structured(&mut std::io::stdout().lock(), &written, other),
    }
}
