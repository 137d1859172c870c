//! Log output: stderr (journald) always, `logging.file` in addition when set; text or JSON
//! lines, each with its level, so that `grep ERROR` and `grep slow_query` find what they seek.

use std::fs::OpenOptions;
use std::io::IsTerminal;
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::writer::MakeWriterExt;

use crate::config::{LogFormat, LoggingSection};
use crate::error::Error;

/// Installs the global subscriber. Fails when the log file cannot be opened for appending.
pub fn init(logging: &LoggingSection) -> Result<(), Error> {
    // sqlx logs every statement at info; the store's own slow_query events replace that.
    let filter = EnvFilter::new(format!("{},sqlx=warn", logging.level));
    let file = match &logging.file {
        Some(path) => Some(Mutex::new(
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| Error::io(format!("logging.file {}", path.display()), e))?,
        )),
        None => None,
    };
    // Colours only for a person at a terminal, never in journald or files.
    let ansi = std::io::stderr().is_terminal();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(true)
        .with_ansi(ansi);
    let result = match (logging.format, file) {
        (LogFormat::Text, None) => builder.with_writer(std::io::stderr).try_init(),
        (LogFormat::Text, Some(f)) => builder
            .with_writer(std::io::stderr.and(f))
            .with_ansi(false)
            .try_init(),
        (LogFormat::Json, None) => builder.json().with_writer(std::io::stderr).try_init(),
        (LogFormat::Json, Some(f)) => builder
            .json()
            .with_writer(std::io::stderr.and(f))
            .try_init(),
    };
    // A subscriber already installed (tests) keeps logging; nothing is lost.
    drop(result);
    Ok(())
}
