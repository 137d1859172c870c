//! Text → typed records with positions: syntax errors carry line and column, record errors the
//! record index and field path (via `serde_path_to_error`), so an operator can open the file at
//! the right place.

use serde::de::{DeserializeOwned, DeserializeSeed};
use serde_json::Value;
use serde_json::error::Category;
use serde_path_to_error::{Path, Segment};
use unet_core::EntityType;

use crate::detect::{Scan, Scanner};
use crate::{ExchangeError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Syntax {
    Json,
    Yaml,
}

/// Scans an entity file's records for the upstream format (see [`crate::detect`]); only
/// syntax and the top-level shape can fail here.
pub(crate) fn scan(path: &str, text: &str, syntax: Syntax, entity: EntityType) -> Result<Scan> {
    match syntax {
        Syntax::Json => {
            let mut de = serde_json::Deserializer::from_str(text);
            let scan = Scanner(entity).deserialize(&mut de).and_then(|scan| {
                de.end()?;
                Ok(scan)
            });
            scan.map_err(|e| match e.classify() {
                Category::Data => ExchangeError::layout(path, strip_position(&e.to_string())),
                _ => ExchangeError::Syntax {
                    path: path.to_string(),
                    line: e.line(),
                    column: e.column(),
                    message: format!("syntax error: {}", strip_position(&e.to_string())),
                },
            })
        }
        Syntax::Yaml => Scanner(entity)
            .deserialize(serde_yaml::Deserializer::from_str(text))
            .map_err(|e| {
                let (line, column) = e
                    .location()
                    .map(|l| (l.line(), l.column()))
                    .unwrap_or((0, 0));
                let message = strip_position(&e.to_string());
                // serde_yaml does not classify its errors: a wrong top-level type is the one
                // data error this pass can meet, everything else is the text itself.
                let message = if message.starts_with("invalid type") {
                    message
                } else {
                    format!("syntax error: {message}")
                };
                ExchangeError::Syntax {
                    path: path.to_string(),
                    line,
                    column,
                    message,
                }
            }),
    }
}

/// Parses the text into `T`, reporting the first record that does not fit.
pub(crate) fn parse_typed<T: DeserializeOwned>(
    path: &str,
    text: &str,
    syntax: Syntax,
) -> Result<T> {
    match syntax {
        Syntax::Json => {
            let mut de = serde_json::Deserializer::from_str(text);
            serde_path_to_error::deserialize(&mut de).map_err(|e| {
                let (line, column) = (e.inner().line(), e.inner().column());
                record_error(path, e.path(), Some((line, column)), &e.inner().to_string())
            })
        }
        Syntax::Yaml => {
            let de = serde_yaml::Deserializer::from_str(text);
            serde_path_to_error::deserialize(de).map_err(|e| {
                let position = e.inner().location().map(|l| (l.line(), l.column()));
                let message = e.inner().to_string();
                record_error(path, e.path(), position, strip_yaml_path(&message))
            })
        }
    }
}

/// Deserializes an already parsed record (CSV rows, mapped upstream values).
pub(crate) fn from_value<T: DeserializeOwned>(
    path: &str,
    index: usize,
    line: Option<usize>,
    value: Value,
) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| ExchangeError::Record {
        path: path.to_string(),
        index,
        field: field_path(e.path().iter()),
        line,
        column: None,
        message: e.inner().to_string(),
    })
}

/// Splits a path such as `[3].custom_data` or `nodes[3].colour` at the first sequence index:
/// the index is the record, what follows is the field inside it.
fn record_error(
    path: &str,
    at: &Path,
    position: Option<(usize, usize)>,
    message: &str,
) -> ExchangeError {
    let message = strip_position(message);
    let mut segments = at.iter();
    let mut section = Vec::new();
    let index = segments.by_ref().find_map(|s| match s {
        Segment::Seq { index } => Some(*index),
        Segment::Map { key } => {
            section.push(key.as_str());
            None
        }
        _ => None,
    });
    match index {
        Some(index) => ExchangeError::Record {
            path: section_path(path, &section.join(".")),
            index,
            field: field_path(segments),
            line: position.map(|p| p.0),
            column: position.map(|p| p.1),
            message,
        },
        None => {
            let (line, column) = position.unwrap_or((0, 0));
            let location = at.to_string();
            let message = if location == "." {
                message
            } else {
                format!("{location}: {message}")
            };
            ExchangeError::Syntax {
                path: path.to_string(),
                line,
                column,
                message,
            }
        }
    }
}

/// Records of one section of a combined document are reported as `file#section`.
pub(crate) fn section_path(path: &str, section: &str) -> String {
    if section.is_empty() {
        path.to_string()
    } else {
        format!("{path}#{section}")
    }
}

fn field_path<'a>(segments: impl Iterator<Item = &'a Segment>) -> Option<String> {
    let mut out = String::new();
    for segment in segments {
        match segment {
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Unknown => {}
        }
    }
    (!out.is_empty()).then_some(out)
}

/// serde_yaml starts a message with its own spelling of the path (`.[3].colour: …`); the
/// error already names the record and field.
fn strip_yaml_path(message: &str) -> &str {
    match message.split_once(": ") {
        Some((head, rest)) if !head.is_empty() && !head.contains(char::is_whitespace) => rest,
        _ => message,
    }
}

/// serde_json and serde_yaml append " at line L column C"; the error already carries it.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}
