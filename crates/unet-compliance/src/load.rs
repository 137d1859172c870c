//! Loading the rule files of a policies directory (or one file) in `policy_files` order.
//! Files that cannot be read become diagnostics, like syntax errors, so one bad file never
//! hides the others.

use std::path::{Path, PathBuf};

use serde::Serialize;
use unet_policy::{Diagnostic, Diagnostics, PolicySet, RuleInfo, Severity, policy_files};

use crate::error::{ComplianceError, Result};

/// Deepest directory nesting walked below the policies directory (guards symlink loops).
const MAX_DEPTH: usize = 16;

/// A compiled rule set with the files it came from and every diagnostic of the load.
#[derive(Debug, Clone, Default)]
pub struct LoadedPolicies {
    /// The rule files read, in load order, as paths below (and including) the loaded path.
    pub files: Vec<String>,
    /// The rules that compiled; rules with errors are left out.
    pub set: PolicySet,
    pub diagnostics: Diagnostics,
}

/// The JSON form: files, rules and diagnostics.
#[derive(Serialize)]
struct Listing<'a> {
    files: &'a [String],
    rules: Vec<&'a RuleInfo>,
    diagnostics: &'a Diagnostics,
}

impl Serialize for LoadedPolicies {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Listing {
            files: &self.files,
            rules: self.set.rules().collect(),
            diagnostics: &self.diagnostics,
        }
        .serialize(serializer)
    }
}

impl LoadedPolicies {
    /// Loads a policies directory (every `*.rules`/`*.policy` below it, recursively) or a
    /// single rule file. Fails only when `path` itself cannot be read.
    pub fn load(path: &Path) -> Result<LoadedPolicies> {
        let read_error = |source| ComplianceError::Read {
            path: path.to_path_buf(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(read_error)?;
        let listing = if meta.is_dir() {
            let mut found = Vec::new();
            walk(path, 0, &mut found).map_err(read_error)?;
            policy_files(found)
        } else {
            vec![path.to_path_buf()]
        };
        let mut sources = Vec::with_capacity(listing.len());
        let mut unreadable = Vec::new();
        for file in listing {
            let name = file.display().to_string();
            match std::fs::read(&file).map(String::from_utf8) {
                Ok(Ok(text)) => sources.push((name, text)),
                Ok(Err(_)) => unreadable.push(file_error(&name, "the file is not UTF-8 text")),
                Err(e) => unreadable.push(file_error(&name, &format!("cannot read: {e}"))),
            }
        }
        let mut loaded = Self::from_sources(&sources);
        loaded.diagnostics.0.extend(unreadable);
        Ok(loaded)
    }

    /// Compiles rule text given as `(source name, text)` pairs, in that order (inline rules).
    pub fn from_sources(sources: &[(String, String)]) -> LoadedPolicies {
        let compiled = PolicySet::compile(sources.iter().map(|(n, t)| (n.as_str(), t.as_str())));
        LoadedPolicies {
            files: sources.iter().map(|(n, _)| n.clone()).collect(),
            set: compiled.set,
            diagnostics: compiled.diagnostics,
        }
    }

    pub fn rules(&self) -> impl ExactSizeIterator<Item = &RuleInfo> {
        self.set.rules()
    }

    /// The ids of every loaded rule, in load order.
    pub fn rule_ids(&self) -> Vec<String> {
        self.set.rules().map(|r| r.id.clone()).collect()
    }
}

fn file_error(file: &str, message: &str) -> Diagnostic {
    Diagnostic {
        file: file.to_owned(),
        line: 1,
        column: 1,
        severity: Severity::Error,
        message: message.to_owned(),
        source_line: String::new(),
    }
}

/// Every file below `dir`; hidden entries (`.git`, editor files) are skipped.
fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            walk(&path, depth + 1, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}
