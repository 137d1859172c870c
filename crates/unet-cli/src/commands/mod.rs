//! One module per command group, plus the argument pieces they share: paging, custom data.

pub mod api_keys;
pub mod changes;
pub mod collect;
pub mod compliance;
pub mod config;
pub mod configs;
mod entity;
pub mod export;
pub mod git;
pub mod import;
pub mod links;
pub mod locations;
pub mod login;
pub mod nodes;
pub mod policies;
pub mod polling;
pub mod security;
pub mod templates;
pub mod tls;
pub mod users;

use std::collections::HashSet;
use std::io::BufRead;

use clap::Args;
use serde_json::{Map, Value};
use unet_core::{Location, Node, Page, PageRequest, Uuid};

use crate::client::Inventory;
use crate::error::{CliError, Result};
use crate::output::{Names, OutputFormat, Reference, Summary, note, print_list};
use unet_exchange::Columns;

/// Page size when `--all` follows cursors without an explicit `--limit`.
const ALL_PAGE_SIZE: u32 = 1000;

#[derive(Debug, Clone, Args)]
pub struct PageArgs {
    /// Records per page (1-1000; default 100).
    #[arg(long)]
    pub limit: Option<u32>,
    /// Continue after the page that returned this cursor.
    #[arg(long)]
    pub cursor: Option<String>,
    /// Follow cursors until every matching record is listed.
    #[arg(long, conflicts_with = "cursor")]
    pub all: bool,
}

impl PageArgs {
    fn first_page(&self) -> Result<PageRequest> {
        let limit = match (self.limit, self.all) {
            (Some(limit), _) => limit,
            (None, true) => ALL_PAGE_SIZE,
            (None, false) => PageRequest::default().limit,
        };
        Ok(PageRequest::new(limit, self.cursor.clone())?)
    }
}

/// Fetches one page, or every page with `--all`, and prints the records. A table says on
/// stderr how to get the next page; JSON/YAML/CSV stay pure data.
pub async fn list_pages<T, I, F>(
    inventory: &I,
    args: &PageArgs,
    format: OutputFormat,
    fetch: F,
) -> Result<()>
where
    T: Summary + Columns,
    I: Inventory,
    F: AsyncFn(PageRequest) -> Result<Page<T>>,
{
    let mut request = args.first_page()?;
    let mut items = Vec::new();
    let more = loop {
        let page = fetch(request.clone()).await?;
        items.extend(page.items);
        match page.next_cursor {
            Some(cursor) if args.all => request.cursor = Some(cursor),
            Some(cursor) => break Some((cursor, page.total)),
            None => break None,
        }
    };
    let names = if format == OutputFormat::Table {
        names(inventory, items.iter().flat_map(Summary::references)).await?
    } else {
        Names::new()
    };
    print_list(&items, format, &names)?;
    if let (Some((cursor, total)), OutputFormat::Table) = (more, format) {
        note!(
            "{} of {total} shown; next page: --cursor {cursor} (or --all)",
            items.len()
        );
    }
    Ok(())
}

/// Looks up each referenced record once. A record deleted meanwhile keeps its UUID.
async fn names<I: Inventory>(
    inventory: &I,
    references: impl Iterator<Item = Reference>,
) -> Result<Names> {
    let mut names = Names::new();
    let unique: HashSet<Reference> = references.collect();
    for reference in unique {
        let (id, found) = match reference {
            Reference::Location(id) => (
                id,
                inventory
                    .resolve::<Location>(&id.to_string())
                    .await
                    .map(|l| l.path),
            ),
            Reference::Node(id) => (
                id,
                inventory
                    .resolve::<Node>(&id.to_string())
                    .await
                    .map(|n| n.name),
            ),
        };
        match found {
            Ok(name) => {
                names.insert(id, name);
            }
            Err(e) if e.is_not_found() => {}
            Err(other) => return Err(other),
        }
    }
    Ok(names)
}

/// Reads a password from the first line of standard input (never from the command line,
/// where other users could see it in the process list).
pub fn password_from_stdin(what: &str) -> Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        return Err(CliError::Config(format!(
            "{what}: give the password on standard input (e.g. `read -rs PW; printf '%s\\n' \"$PW\" | unet …`)"
        )));
    }
    Ok(password)
}

/// Runs `work` on a runtime of its own (one thread: a command does one thing at a time).
pub fn block_on<T>(work: impl Future<Output = Result<T>>) -> Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?
        .block_on(work)
}

/// `custom_data` flags of `add` and `update`.
#[derive(Debug, Clone, Default, Args)]
pub struct CustomDataArgs {
    /// Replace custom_data with this JSON object.
    #[arg(long, value_name = "JSON", value_parser = parse_object)]
    pub custom_data: Option<Value>,
    /// Set one custom_data key (repeatable); the value is JSON if it parses, else text.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_assignment)]
    pub set: Vec<(String, Value)>,
    /// Remove one custom_data key (repeatable).
    #[arg(long = "unset", value_name = "KEY")]
    pub unset: Vec<String>,
}

impl CustomDataArgs {
    /// Applies the flags to the current custom_data (absent counts as `{}`).
    pub fn apply(self, current: Option<Value>) -> Option<Value> {
        if self.custom_data.is_none() && self.set.is_empty() && self.unset.is_empty() {
            return current;
        }
        let mut object = match self.custom_data.or(current) {
            Some(Value::Object(object)) => object,
            _ => Map::new(),
        };
        for (key, value) in self.set {
            object.insert(key, value);
        }
        for key in self.unset {
            object.remove(&key);
        }
        Some(Value::Object(object))
    }
}

fn parse_object(text: &str) -> Result<Value, String> {
    match serde_json::from_str(text) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err("expected a JSON object such as '{\"rack\": \"R1\"}'".to_string()),
        Err(e) => Err(format!("invalid JSON: {e}")),
    }
}

fn parse_assignment(text: &str) -> Result<(String, Value), String> {
    let Some((key, value)) = text.split_once('=') else {
        return Err("expected KEY=VALUE".to_string());
    };
    let key = key.trim();
    if key.is_empty() {
        return Err("expected KEY=VALUE with a non-empty key".to_string());
    }
    let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_string()));
    Ok((key.to_string(), value))
}

/// An optional text flag of `update`: given replaces (empty clears), absent keeps.
pub fn replace<T>(target: &mut Option<T>, flag: Option<T>) {
    if flag.is_some() {
        *target = flag;
    }
}

/// A reference flag of `update`: an identifier to resolve, or the empty string to clear.
pub async fn resolve_reference<F>(flag: Option<&str>, resolve: F) -> Result<Option<Option<Uuid>>>
where
    F: AsyncFn(&str) -> Result<Uuid>,
{
    match flag.map(str::trim) {
        None => Ok(None),
        Some("") => Ok(Some(None)),
        Some(ident) => Ok(Some(Some(resolve(ident).await?))),
    }
}

/// Text for optional table cells.
pub fn text(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn custom_data_flags_merge_replace_and_remove() {
        let current = Some(json!({"rack": "R1", "old": true}));
        let args = CustomDataArgs {
            custom_data: None,
            set: vec![
                parse_assignment("mgmt_vlan=900").unwrap(),
                parse_assignment("site=DC1 Hall=1").unwrap(),
            ],
            unset: vec!["old".into()],
        };
        assert_eq!(
            args.apply(current.clone()),
            Some(json!({"rack": "R1", "mgmt_vlan": 900, "site": "DC1 Hall=1"}))
        );
        let replace_all = CustomDataArgs {
            custom_data: Some(parse_object(r#"{"a": 1}"#).unwrap()),
            ..Default::default()
        };
        assert_eq!(replace_all.apply(current.clone()), Some(json!({"a": 1})));
        assert_eq!(CustomDataArgs::default().apply(current.clone()), current);
        assert!(parse_object("[1]").is_err());
        assert!(parse_object("{").is_err());
        assert!(parse_assignment("novalue").is_err());
        assert!(parse_assignment("=x").is_err());
    }
}
