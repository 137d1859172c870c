//! Reading and writing μNet inventory files.
//!
//! Input is either our own format — each file an array of entity objects exactly as the API
//! returns them — or the upstream μNet example format, detected per file. Everything read here
//! comes out as an `unet_core::ImportBatch`: `*Draft` records tagged with the file and record
//! index they came from, with an id on every record, so that whoever applies them (the store)
//! can upsert idempotently and point at the offending record. Nothing here touches a database: this crate sits between
//! `unet-core` and the programs, and can be tested with files alone.
//!
//! Layout of an import path:
//! - a directory holding `locations.{json,yaml,yml}`, `nodes.{json,yaml,yml,csv}` and
//!   `links.{json,yaml,yml}` (any subset; other files are ignored);
//! - a single file named after its entity type (`nodes.yaml`, `links.json`, …);
//! - a single file with any other name holding one combined document
//!   `{"locations": [...], "nodes": [...], "links": [...]}` (our format; any key may be absent).

mod csv_format;
mod detect;
mod error;
mod export;
mod ids;
mod parse;
mod read;
mod upstream;

use unet_core::{ImportBatch, Origin, Sourced};

pub use csv_format::{Columns, cell_text, cells, write_records_csv};
pub use error::{ExchangeError, Result};
pub use export::{ExportFormat, write_export};
pub use read::read_path;

/// Files larger than this are refused before being read: inventory files of a million records
/// stay well below it, and a mistaken path to a disk image does not exhaust memory.
pub const MAX_FILE_BYTES: u64 = 1 << 30;
