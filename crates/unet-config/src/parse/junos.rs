//! Junos: the brace form and the `set` form both become one `set <path>` line per leaf
//! (what `show configuration | display set` prints), so the two forms compare equal.

use crate::error::ConfigError;
use crate::normalize::collapse_whitespace;
use crate::rules::Rules;
use crate::tree::{ConfigTree, MAX_DEPTH, ROOT};

use super::numbered_lines;

/// Statement paths are short in practice; the cap keeps flattening linear in the input.
const MAX_PATH: usize = 16 * 1024;

pub(super) fn parse_into(
    tree: &mut ConfigTree,
    rules: &Rules,
    text: &str,
) -> Result<(), ConfigError> {
    if is_set_form(rules, text) {
        for (number, raw) in numbered_lines(text) {
            let line = collapse_whitespace(raw);
            let statement = line.starts_with("set ") || line.starts_with("deactivate ");
            if !statement && !line.is_empty() && !rules.is_comment(&line) {
                return Err(ConfigError::UnexpectedLine {
                    line: number,
                    expected: "a `set` or `deactivate` statement (the file starts in set form)",
                });
            }
            add_statement(tree, rules, &line, number);
        }
        return Ok(());
    }
    BraceParser::new(tree, rules).run(text)
}

fn is_set_form(rules: &Rules, text: &str) -> bool {
    numbered_lines(text)
        .map(|(_, raw)| raw.trim())
        .find(|l| !l.is_empty() && !rules.is_comment(l))
        .is_some_and(|l| l.starts_with("set ") || l.starts_with("deactivate "))
}

fn add_statement(tree: &mut ConfigTree, rules: &Rules, line: &str, number: u32) {
    let line = collapse_whitespace(line);
    if line.is_empty() || rules.is_comment(&line) || rules.is_ignored(&line) {
        return;
    }
    let key = crate::normalize::interface_key(rules, &line);
    tree.add_child(ROOT, &line, key.as_deref(), number);
}

struct BraceParser<'t> {
    tree: &'t mut ConfigTree,
    rules: &'t Rules,
    /// The enclosing path, words separated by spaces; `levels` holds its length per level.
    path: String,
    levels: Vec<(usize, u32)>,
    words: Vec<String>,
    /// Members of a `[ a b ]` list in the current statement.
    list: Option<Vec<String>>,
    statement_line: u32,
    /// The statement being read is marked `inactive:`.
    inactive: bool,
    line: u32,
    column: u32,
}

impl<'t> BraceParser<'t> {
    fn new(tree: &'t mut ConfigTree, rules: &'t Rules) -> Self {
        BraceParser {
            tree,
            rules,
            path: String::new(),
            levels: Vec::new(),
            words: Vec::new(),
            list: None,
            statement_line: 1,
            inactive: false,
            line: 1,
            column: 0,
        }
    }

    fn run(mut self, text: &str) -> Result<(), ConfigError> {
        let mut chars = text.chars().peekable();
        let mut word = String::new();
        while let Some(c) = chars.next() {
            self.column += 1;
            match c {
                '"' => {
                    let opened = self.line;
                    word.push('"');
                    let mut closed = false;
                    while let Some(q) = chars.next() {
                        // Junos strings are one line (newlines are written `\n`).
                        if q == '\n' {
                            break;
                        }
                        self.advance(q);
                        word.push(q);
                        if q == '\\' {
                            if let Some(escaped) = chars.next_if(|&e| e != '\n') {
                                self.advance(escaped);
                                word.push(escaped);
                            }
                        } else if q == '"' {
                            closed = true;
                            break;
                        }
                    }
                    if !closed {
                        return Err(ConfigError::UnterminatedLiteral {
                            line: opened,
                            what: "quoted string",
                            terminator: "\"".to_string(),
                        });
                    }
                }
                '#' if word.is_empty() => skip_until(&mut chars, |c| c == '\n'),
                '/' if word.is_empty() && chars.peek() == Some(&'*') => {
                    let mut previous = ' ';
                    for inner in chars.by_ref() {
                        self.advance(inner);
                        if previous == '*' && inner == '/' {
                            break;
                        }
                        previous = inner;
                    }
                }
                c if c.is_whitespace() || matches!(c, '{' | '}' | ';' | '[' | ']') => {
                    self.end_word(&mut word);
                    match c {
                        '{' => self.open_block()?,
                        '}' => self.close_block()?,
                        ';' => self.end_statement()?,
                        '[' => self.list = Some(Vec::new()),
                        '\n' => {
                            self.line += 1;
                            self.column = 0;
                        }
                        _ => {}
                    }
                }
                _ => word.push(c),
            }
        }
        self.end_word(&mut word);
        if !self.words.is_empty() {
            self.end_statement()?;
        }
        match self.levels.last() {
            Some(&(_, line)) => Err(ConfigError::UnclosedBrace { line }),
            None => Ok(()),
        }
    }

    fn advance(&mut self, c: char) {
        if c == '\n' {
            self.line += 1;
            self.column = 0;
        } else {
            self.column += 1;
        }
    }

    fn end_word(&mut self, word: &mut String) {
        if word.is_empty() {
            return;
        }
        if self.words.is_empty() && self.list.is_none() {
            self.statement_line = self.line;
            // `inactive:` becomes a `deactivate` line, as `display set` prints it; the other
            // annotations do not change the configuration.
            if matches!(word.as_str(), "replace:" | "protect:" | "inactive:") {
                self.inactive |= word == "inactive:";
                word.clear();
                return;
            }
        }
        match &mut self.list {
            Some(members) => members.push(std::mem::take(word)),
            _ => self.words.push(std::mem::take(word)),
        }
    }

    fn statement_path(&self) -> String {
        let mut full = self.path.clone();
        for w in &self.words {
            if !full.is_empty() {
                full.push(' ');
            }
            full.push_str(w);
        }
        full
    }

    fn open_block(&mut self) -> Result<(), ConfigError> {
        if self.levels.len() >= MAX_DEPTH {
            return Err(ConfigError::NestingTooDeep {
                line: self.line,
                limit: MAX_DEPTH,
            });
        }
        let full = self.statement_path();
        self.check_path(&full)?;
        self.levels.push((self.path.len(), self.statement_line));
        self.deactivate_if_inactive(&full);
        self.path = full;
        self.words.clear();
        self.list = None;
        Ok(())
    }

    fn close_block(&mut self) -> Result<(), ConfigError> {
        if !self.words.is_empty() {
            self.end_statement()?;
        }
        let Some((length, _)) = self.levels.pop() else {
            return Err(ConfigError::UnexpectedCloseBrace {
                line: self.line,
                column: self.column,
            });
        };
        self.path.truncate(length);
        Ok(())
    }

    fn end_statement(&mut self) -> Result<(), ConfigError> {
        let base = self.statement_path();
        match self.list.take() {
            Some(members) if !members.is_empty() => {
                // Each member repeats the path: bound it like a block path.
                if members.len() > 1 {
                    self.check_path(&base)?;
                }
                for member in members {
                    let line = format!("set {base} {member}");
                    add_statement(self.tree, self.rules, &line, self.statement_line);
                }
            }
            _ if !base.is_empty() => {
                let line = format!("set {base}");
                add_statement(self.tree, self.rules, &line, self.statement_line);
            }
            _ => {}
        }
        self.deactivate_if_inactive(&base);
        self.words.clear();
        Ok(())
    }

    fn deactivate_if_inactive(&mut self, path: &str) {
        if std::mem::take(&mut self.inactive) && !path.is_empty() {
            let line = format!("deactivate {path}");
            add_statement(self.tree, self.rules, &line, self.statement_line);
        }
    }

    fn check_path(&self, path: &str) -> Result<(), ConfigError> {
        if path.len() > MAX_PATH {
            return Err(ConfigError::PathTooLong {
                line: self.statement_line,
                limit: MAX_PATH,
            });
        }
        Ok(())
    }
}

fn skip_until(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, stop: impl Fn(char) -> bool) {
    while chars.peek().is_some_and(|&c| !stop(c)) {
        chars.next();
    }
}

#[cfg(test)]
mod tests {
    use crate::ConfigError;
    use crate::parse::parse;
    use crate::platform::Platform;

    const BRACE: &str = "## Last commit: 2026-11-01 10:00:00 UTC by admin\nversion 21.4R3;\nsystem {\n    host-name mx1;\n    /* NTP */\n    ntp {\n        server 10.0.0.1;\n    }\n}\ninterfaces {\n    ge-0/0/0 {\n        description \"to core { 1 }\";\n        unit 0 {\n            family inet {\n                address 192.0.2.1/31;\n            }\n        }\n    }\n}\npolicy-options {\n    community C1 members [ 65000:1 65000:2 ];\n}\n";

    const SET: &str = "set system host-name mx1\nset system ntp server 10.0.0.1\nset interfaces ge-0/0/0 description \"to core { 1 }\"\nset interfaces ge-0/0/0 unit 0 family inet address 192.0.2.1/31\nset policy-options community C1 members 65000:1\nset policy-options community C1 members 65000:2\n";

    #[test]
    fn brace_and_set_forms_converge() {
        let brace = parse(Platform::JuniperJunos, BRACE).unwrap();
        let set = parse(Platform::JuniperJunos, SET).unwrap();
        assert_eq!(brace.render(), SET);
        assert_eq!(set.render(), SET);
        let address = brace
            .root()
            .child("set interfaces ge-0/0/0 unit 0 family inet address 192.0.2.1/31")
            .unwrap();
        assert_eq!(address.line_number(), 15);
    }

    #[test]
    fn set_form_holds_only_statements() {
        let err = parse(Platform::JuniperJunos, "set version 1 /\n$\n").unwrap_err();
        assert!(
            matches!(err, ConfigError::UnexpectedLine { line: 2, .. }),
            "{err}"
        );
    }

    #[test]
    fn unbalanced_braces_are_located() {
        let err = parse(Platform::JuniperJunos, "system {\n  host-name a;\n}\n}\n").unwrap_err();
        assert_eq!(
            err,
            ConfigError::UnexpectedCloseBrace { line: 4, column: 1 }
        );
        let err = parse(
            Platform::JuniperJunos,
            "system {\n  ntp {\n    server 1.1.1.1;\n  }\n",
        )
        .unwrap_err();
        assert_eq!(err, ConfigError::UnclosedBrace { line: 1 });
    }
}
