//! Diagnostics: where a problem is in a rule file and how to show it to a person.

use std::fmt;

use serde::Serialize;

/// Byte range in one source text. Spans are metadata about where something was written, so
/// two spans always compare equal: an AST printed and parsed again equals the original.
#[derive(Debug, Clone, Copy, Default, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }
}

impl PartialEq for Span {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One problem found while loading rules: a syntax error, an invalid regex, an unknown field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
    pub severity: Severity,
    pub message: String,
    /// The full source line the problem is on, without its line break.
    pub source_line: String,
}

/// Where each line of a text starts, so positions are found without rescanning the text.
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self { starts }
    }

    /// 1-based line, 1-based column in characters, and the byte range of the line.
    fn locate(&self, text: &str, at: usize) -> (usize, usize, usize, usize) {
        let at = floor_char_boundary(text, at.min(text.len()));
        let line = self.starts.partition_point(|start| *start <= at).max(1);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let end = self
            .starts
            .get(line)
            .map_or(text.len(), |next| next.saturating_sub(1));
        let column = text.get(start..at).map_or(0, |s| s.chars().count()) + 1;
        (line, column, start, end)
    }

    /// 1-based line and column of byte offset `at`.
    pub fn position(&self, text: &str, at: usize) -> (u32, u32) {
        let (line, column, _, _) = self.locate(text, at);
        (saturate(line), saturate(column))
    }
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Diagnostic {
    /// Builds a diagnostic pointing at byte offset `at` of `text`.
    pub(crate) fn at(
        file: &str,
        text: &str,
        lines: &LineIndex,
        at: usize,
        severity: Severity,
        message: impl Into<String>,
    ) -> Self {
        let (line, column, start, end) = lines.locate(text, at);
        Self {
            file: file.to_owned(),
            line: saturate(line),
            column: saturate(column),
            severity,
            message: message.into(),
            source_line: text
                .get(start..end)
                .unwrap_or("")
                .trim_end_matches('\r')
                .to_owned(),
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The compiler-style one-line form: `file:line:col: severity: message`.
    pub fn one_line(&self) -> String {
        format!(
            "{}:{}:{}: {}: {}",
            self.file, self.line, self.column, self.severity, self.message
        )
    }
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Renders the one-line form, then the source line with a caret under the column.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.one_line())?;
        let gutter = self.line.to_string();
        let pad = " ".repeat(gutter.len());
        writeln!(f, "{pad} |")?;
        writeln!(f, "{gutter} | {}", self.source_line)?;
        // Keep tabs so the caret lines up under a tab-indented rule.
        let lead: String = self
            .source_line
            .chars()
            .take(self.column.saturating_sub(1) as usize)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        write!(f, "{pad} | {lead}^")
    }
}

/// All diagnostics of one load, errors and warnings, in source order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.is_error())
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| !d.is_error())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            writeln!(f, "{d}")?;
        }
        Ok(())
    }
}
