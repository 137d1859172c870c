//! Output formats shared by every command: tables for people, JSON/YAML/CSV for scripts.
//! A list always renders as a list (a JSON array), a single record as an object.

use std::collections::HashMap;
use std::io::{self, Write};

use clap::ValueEnum;
use comfy_table::presets::NOTHING;
use comfy_table::{ContentArrangement, Table};
use serde::Serialize;
use unet_core::Uuid;
use unet_exchange::{Columns, cells, write_records_csv};

use crate::error::{CliError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Aligned table (people). `text` is accepted as a synonym.
    #[value(alias = "text")]
    Table,
    Json,
    Yaml,
    Csv,
    /// Unified diff (config diff only).
    Unified,
}

impl OutputFormat {
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Table => "table",
            OutputFormat::Json => "json",
            OutputFormat::Yaml => "yaml",
            OutputFormat::Csv => "csv",
            OutputFormat::Unified => "unified",
        }
    }
}

/// What a table shows instead of a referenced record's UUID: a location's path, a node's name.
pub type Names = HashMap<Uuid, String>;

/// A record another one points at, to be shown by name in a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reference {
    Location(Uuid),
    Node(Uuid),
}

/// The few columns a person wants to see in a list; `-o csv` and `show` give every field.
pub trait Summary {
    const HEADERS: &'static [&'static str];
    fn summary(&self, names: &Names) -> Vec<String>;
    /// The records whose names the summary shows.
    fn references(&self) -> Vec<Reference> {
        Vec::new()
    }
}

/// A referenced record's name, or its UUID when the name is unknown.
/// A JSON value as a table cell: null empty, a string without quotes, anything else as JSON.
pub fn cell(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub fn name_of(names: &Names, id: Option<Uuid>) -> String {
    match id {
        Some(id) => names.get(&id).cloned().unwrap_or_else(|| id.to_string()),
        None => String::new(),
    }
}

pub fn print_list<T: Summary + Columns>(
    items: &[T],
    format: OutputFormat,
    names: &Names,
) -> Result<()> {
    match format {
        OutputFormat::Table => {
            let mut table = new_table(T::HEADERS);
            for item in items {
                table.add_row(item.summary(names));
            }
            print_table(&table)
        }
        OutputFormat::Csv => print_list_csv(items),
        other => {
            let mut out = io::stdout().lock();
            print_structured(&mut out, items, other)?;
            out.flush()?;
            Ok(())
        }
    }
}

pub fn print_table(table: &Table) -> Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "{}", table.trim_fmt())?;
    out.flush()?;
    Ok(())
}

/// One record: a two-column field/value table, or the object itself.
pub fn print_one<T: Columns>(item: &T, format: OutputFormat) -> Result<()> {
    match format {
        OutputFormat::Table => {
            let mut table = new_table(&["field", "value"]);
            for (column, cell) in T::COLUMNS.iter().zip(cells(item)) {
                table.add_row(vec![column.to_string(), cell]);
            }
            print_table(&table)
        }
        OutputFormat::Csv => print_list_csv(std::slice::from_ref(item)),
        other => {
            let mut out = io::stdout().lock();
            print_structured(&mut out, item, other)?;
            out.flush()?;
            Ok(())
        }
    }
}

fn print_list_csv<T: Columns>(items: &[T]) -> Result<()> {
    let mut out = io::stdout().lock();
    write_records_csv(items, &mut out, "stdout").map_err(|e| match e {
        // Keep the io::Error itself so a closed pipe stays recognisable.
        unet_exchange::ExchangeError::Io { source, .. } => CliError::Io(source),
        other => CliError::Exchange(other),
    })
}

/// JSON (pretty, trailing newline) or YAML of any serialisable value.
pub fn print_structured<W: Write, T: Serialize + ?Sized>(
    out: &mut W,
    value: &T,
    format: OutputFormat,
) -> Result<()> {
    match format {
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, value).map_err(|e| {
                if e.is_io() {
                    // Keep the io::Error itself so a closed pipe stays recognisable.
                    CliError::Io(e.into())
                } else {
                    CliError::Render(e.to_string())
                }
            })?;
            writeln!(out)?;
        }
        OutputFormat::Yaml => {
            let text = serde_yaml::to_string(value).map_err(|e| CliError::Render(e.to_string()))?;
            out.write_all(text.as_bytes())?;
        }
        other => {
            return Err(CliError::UnsupportedOutput {
                format: other.name(),
            });
        }
    }
    Ok(())
}

pub fn new_table<H: AsRef<str>>(headers: &[H]) -> Table {
    let mut table = Table::new();
    table
        .load_style(NOTHING)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(headers.iter().map(|h| h.as_ref().to_uppercase()));
    table
}

/// Plain rows (reports, not records) as a table or CSV.
pub fn print_rows(format: OutputFormat, headers: &[&str], rows: Vec<Vec<String>>) -> Result<()> {
    if format == OutputFormat::Csv {
        let mut out = io::stdout().lock();
        let mut writer = csv::Writer::from_writer(&mut out);
        let render = |e: csv::Error| {
            let message = e.to_string();
            match e.into_kind() {
                // Keep the io::Error itself so a closed pipe stays recognisable.
                csv::ErrorKind::Io(io) => CliError::Io(io),
                _ => CliError::Render(message),
            }
        };
        writer.write_record(headers).map_err(render)?;
        for row in rows {
            writer.write_record(row).map_err(render)?;
        }
        writer.flush()?;
        return Ok(());
    }
    let mut table = new_table(headers);
    for row in rows {
        table.add_row(row);
    }
    print_table(&table)
}

/// Writes one line to stderr (summaries, notes, errors): see [`note!`]. A closed or broken
/// stderr loses the line, never the command.
pub fn write_note(line: std::fmt::Arguments<'_>) {
    let _ = writeln!(io::stderr().lock(), "{line}");
}

/// `eprintln!` that cannot panic: `unet … 2>&1 | head -1` closes stderr under the command,
/// and the command still finishes with its documented exit code.
macro_rules! note {
    ($($arg:tt)*) => {
        $crate::output::write_note(format_args!($($arg)*))
    };
}
pub(crate) use note;

/// A record as a JSON value. Account and security records are printed this way, keys in
/// alphabetical order.
pub fn json_value<T: Serialize>(value: &T) -> Result<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| CliError::Render(e.to_string()))
}

/// JSON/YAML of the records (as [`json_value`]s), else a table of `columns` (nested values as
/// compact JSON).
pub fn print_values<T: Serialize>(
    items: &[T],
    columns: &[&str],
    format: OutputFormat,
) -> Result<()> {
    let items = items.iter().map(json_value).collect::<Result<Vec<_>>>()?;
    if matches!(format, OutputFormat::Json | OutputFormat::Yaml) {
        return print_structured(&mut io::stdout().lock(), &items, format);
    }
    let rows = items
        .iter()
        .map(|item| columns.iter().map(|c| cell(&item[*c])).collect())
        .collect();
    print_rows(format, columns, rows)
}

/// Refuses formats a command cannot render before it does any work.
pub fn require_tabular(format: OutputFormat) -> Result<()> {
    if format == OutputFormat::Unified {
        return Err(CliError::UnsupportedOutput { format: "unified" });
    }
    Ok(())
}
