//! Log output: stderr (journald) always, `logging.file` in addition when set; text or JSON
//! lines, each with its level, so that `grep ERROR` and `grep slow_query` find what they seek.
//!
//! The level and the log file can change while the server runs (SIGHUP): the filter sits
//! behind a reload handle and the file behind a lock, so logrotate's `postrotate` reload makes
//! the server reopen the file under its configured name.

use std::fs::{File, OpenOptions};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::writer::MakeWriterExt;

use crate::config::{LogFormat, LoggingSection};
use crate::error::Error;

type SetFilter = Box<dyn Fn(EnvFilter) -> Result<(), String> + Send + Sync>;

/// What a reload can change in the installed subscriber.
struct Control {
    set_filter: SetFilter,
    file: LogFile,
}

static CONTROL: OnceLock<Control> = OnceLock::new();

/// The optional log file, shared by every event writer; swapped on reopen.
#[derive(Clone, Default)]
struct LogFile(Arc<Mutex<Option<File>>>);

impl Write for LogFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_mut()
        {
            Some(file) => file.write(buf),
            None => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_mut()
        {
            Some(file) => file.flush(),
            None => Ok(()),
        }
    }
}

fn filter_for(level: &str) -> EnvFilter {
    // sqlx logs every statement at info; the store's own slow_query events replace that.
    EnvFilter::new(format!("{level},sqlx=warn"))
}

fn open_append(path: &Path) -> Result<File, Error> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| Error::io(format!("logging.file {}", path.display()), e))
}

/// Installs the global subscriber. Fails when the log file cannot be opened for appending.
pub fn init(logging: &LoggingSection) -> Result<(), Error> {
    let file = LogFile::default();
    if let Some(path) = &logging.file {
        *file.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(open_append(path)?);
    }
    // Colours only for a person at a terminal, never in journald or files.
    let ansi = std::io::stderr().is_terminal() && logging.file.is_none();
    let for_events = file.clone();
    let writer = std::io::stderr.and(move || for_events.clone());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter_for(&logging.level))
        .with_target(true)
        .with_ansi(ansi)
        .with_writer(writer);
    let (set_filter, result): (SetFilter, _) = match logging.format {
        LogFormat::Text => {
            let builder = builder.with_filter_reloading();
            let handle = builder.reload_handle();
            (
                Box::new(move |f| handle.reload(f).map_err(|e| e.to_string())),
                builder.try_init(),
            )
        }
        LogFormat::Json => {
            let builder = builder.json().with_filter_reloading();
            let handle = builder.reload_handle();
            (
                Box::new(move |f| handle.reload(f).map_err(|e| e.to_string())),
                builder.try_init(),
            )
        }
    };
    // A subscriber already installed (tests) keeps logging; nothing is lost.
    if result.is_ok() {
        let _ = CONTROL.set(Control { set_filter, file });
    }
    Ok(())
}

/// Applies a new `logging.level`.
pub fn set_level(level: &str) -> Result<(), Error> {
    let Some(control) = CONTROL.get() else {
        return Ok(());
    };
    (control.set_filter)(filter_for(level))
        .map_err(|e| Error::Internal(format!("cannot change logging.level: {e}")))
}

/// Closes the log file and opens `path` (the same name after logrotate moved the old file
/// away, or a new `logging.file`); `None` stops file logging. On failure the old file stays.
pub fn reopen(path: Option<&Path>) -> Result<(), Error> {
    let Some(control) = CONTROL.get() else {
        return Ok(());
    };
    let new = path.map(open_append).transpose()?;
    *control
        .file
        .0
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = new;
    Ok(())
}
