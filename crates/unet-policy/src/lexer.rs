//! Tokens of the rule language. The lexer never stops at the first problem: it records a
//! diagnostic, emits an `Invalid` token and carries on, so one pass reports every error.

use crate::ast::RegexFlags;
use crate::diagnostic::Span;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenKind {
    /// A bare word: keyword, field segment or unknown name. Its text is the source slice.
    Word,
    Str(String),
    Int(i64),
    Float(f64),
    Regex {
        source: String,
        flags: RegexFlags,
    },
    Dot,
    Colon,
    LParen,
    RParen,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// Something the lexer already reported.
    Invalid,
    Eof,
}

#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

/// A lexing problem: byte offset and message.
pub(crate) struct LexError {
    pub at: usize,
    pub message: String,
}

pub(crate) fn tokenize(src: &str) -> (Vec<Token>, Vec<LexError>) {
    let mut lexer = Lexer {
        src,
        bytes: src.as_bytes(),
        pos: 0,
        tokens: Vec::with_capacity(src.len() / 4),
        errors: Vec::new(),
    };
    lexer.run();
    (lexer.tokens, lexer.errors)
}

struct Lexer<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    tokens: Vec<Token>,
    errors: Vec<LexError>,
}

fn is_word_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

/// Field segments may hold hyphens and digits (`custom_data.ntp-servers.0`).
fn is_word_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

impl Lexer<'_> {
    /// The text from the current position (positions always sit on character boundaries).
    fn rest(&self) -> &str {
        self.src.get(self.pos..).unwrap_or("")
    }

    /// The source text of a token.
    fn slice(&self, span: Span) -> &str {
        self.src.get(span.start..span.end).unwrap_or("")
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    fn push(&mut self, kind: TokenKind, start: usize) {
        self.tokens.push(Token {
            kind,
            span: Span::new(start, self.pos),
        });
    }

    fn error(&mut self, at: usize, message: impl Into<String>) {
        self.errors.push(LexError {
            at,
            message: message.into(),
        });
    }

    fn previous(&self) -> Option<&Token> {
        self.tokens.last()
    }

    fn after_dot(&self) -> bool {
        matches!(self.previous(), Some(t) if t.kind == TokenKind::Dot)
    }

    fn after_matches(&self) -> bool {
        match self.previous() {
            Some(t) if t.kind == TokenKind::Word => {
                self.slice(t.span).eq_ignore_ascii_case("matches")
            }
            _ => false,
        }
    }

    fn run(&mut self) {
        while let Some(b) = self.peek(0) {
            let start = self.pos;
            match b {
                b' ' | b'\t' | b'\r' | b'\n' => self.pos += 1,
                b'#' => self.skip_line(),
                // After MATCHES a slash always opens a regex, even `//` or `/*`.
                b'/' if self.after_matches() => self.regex(),
                b'/' if self.peek(1) == Some(b'/') => self.skip_line(),
                b'/' if self.peek(1) == Some(b'*') => self.skip_block_comment(),
                b'"' | b'\'' => self.string(b),
                b'-' | b'0'..=b'9' if !self.after_dot() => self.number(),
                _ if is_word_start(b) || (self.after_dot() && is_word_continue(b)) => {
                    while self.peek(0).is_some_and(is_word_continue) {
                        self.pos += 1;
                    }
                    self.push(TokenKind::Word, start);
                }
                _ => self.punct(b, start),
            }
        }
        let end = self.src.len();
        self.tokens.push(Token {
            kind: TokenKind::Eof,
            span: Span::new(end, end),
        });
    }

    fn punct(&mut self, b: u8, start: usize) {
        let two = self.peek(1) == Some(b'=');
        let (kind, len) = match b {
            b'.' => (TokenKind::Dot, 1),
            b':' => (TokenKind::Colon, 1),
            b'(' => (TokenKind::LParen, 1),
            b')' => (TokenKind::RParen, 1),
            b'=' if two => (TokenKind::Eq, 2),
            b'!' if two => (TokenKind::Ne, 2),
            b'<' if two => (TokenKind::Le, 2),
            b'>' if two => (TokenKind::Ge, 2),
            b'<' => (TokenKind::Lt, 1),
            b'>' => (TokenKind::Gt, 1),
            b'=' => {
                self.error(start, "expected `==` (a single `=` is not an operator)");
                (TokenKind::Invalid, 1)
            }
            b'/' => {
                self.error(start, "a `/regex/` is only allowed after MATCHES");
                (TokenKind::Invalid, 1)
            }
            _ => {
                let ch = self.rest().chars().next().unwrap_or('\u{fffd}');
                self.error(
                    start,
                    format!("unexpected character `{}`", ch.escape_debug()),
                );
                (TokenKind::Invalid, ch.len_utf8())
            }
        };
        self.pos += len;
        self.push(kind, start);
    }

    /// Reports a string or regex that runs into the end of its line or of the text.
    fn unterminated(&mut self, start: usize, what: &str, closer: char, at_line_end: bool) {
        let before = if at_line_end {
            " before the end of the line"
        } else {
            ""
        };
        self.error(
            start,
            format!("unterminated {what}: expected a closing `{closer}`{before}"),
        );
        self.push(TokenKind::Invalid, start);
    }

    fn skip_line(&mut self) {
        while self.peek(0).is_some_and(|b| b != b'\n') {
            self.pos += 1;
        }
    }

    fn skip_block_comment(&mut self) {
        let start = self.pos;
        match self.rest().get(2..).and_then(|after| after.find("*/")) {
            Some(i) => self.pos = start + 2 + i + 2,
            None => {
                self.error(start, "unterminated `/*` comment: expected `*/`");
                self.pos = self.src.len();
            }
        }
    }

    fn number(&mut self) {
        let start = self.pos;
        if self.peek(0) == Some(b'-') {
            self.pos += 1;
        }
        let digits = self.pos;
        while self.peek(0).is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        if self.pos == digits {
            self.error(start, "expected a digit after `-`");
            self.push(TokenKind::Invalid, start);
            return;
        }
        let mut float = false;
        if self.peek(0) == Some(b'.') && self.peek(1).is_some_and(|b| b.is_ascii_digit()) {
            float = true;
            self.pos += 1;
            while self.peek(0).is_some_and(|b| b.is_ascii_digit()) {
                self.pos += 1;
            }
        }
        if matches!(self.peek(0), Some(b'e' | b'E')) {
            let sign = usize::from(matches!(self.peek(1), Some(b'+' | b'-')));
            if self.peek(1 + sign).is_some_and(|b| b.is_ascii_digit()) {
                float = true;
                self.pos += 1 + sign;
                while self.peek(0).is_some_and(|b| b.is_ascii_digit()) {
                    self.pos += 1;
                }
            }
        }
        if self.peek(0).is_some_and(is_word_start) {
            self.error(self.pos, "expected a space or operator after a number");
            while self.peek(0).is_some_and(is_word_continue) {
                self.pos += 1;
            }
            self.push(TokenKind::Invalid, start);
            return;
        }
        let text = self.slice(Span::new(start, self.pos));
        let kind = if float {
            match text.parse::<f64>() {
                Ok(f) if f.is_finite() => TokenKind::Float(f),
                _ => {
                    self.error(start, format!("number `{text}` is out of range"));
                    TokenKind::Invalid
                }
            }
        } else {
            match text.parse::<i64>() {
                Ok(i) => TokenKind::Int(i),
                Err(_) => {
                    self.error(
                        start,
                        format!("integer `{text}` does not fit in 64 bits; write it as a string"),
                    );
                    TokenKind::Invalid
                }
            }
        };
        self.push(kind, start);
    }

    fn string(&mut self, quote: u8) {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        let mut ok = true;
        loop {
            let Some(ch) = self.rest().chars().next() else {
                return self.unterminated(start, "string", quote as char, false);
            };
            match ch {
                '\n' => return self.unterminated(start, "string", quote as char, true),
                c if c as u32 == u32::from(quote) => {
                    self.pos += 1;
                    break;
                }
                '\\' => {
                    let at = self.pos;
                    self.pos += 1;
                    match self.escape() {
                        Some(c) => out.push(c),
                        None => {
                            ok = false;
                            self.error(
                                at,
                                "invalid escape: expected one of \\\" \\' \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX",
                            );
                        }
                    }
                }
                c => {
                    out.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
        let kind = if ok {
            TokenKind::Str(out)
        } else {
            TokenKind::Invalid
        };
        self.push(kind, start);
    }

    /// Reads the escape after a backslash; `None` when it is not a valid escape.
    fn escape(&mut self) -> Option<char> {
        let c = self.rest().chars().next()?;
        if c == '\n' {
            return None;
        }
        self.pos += c.len_utf8();
        Some(match c {
            '"' => '"',
            '\'' => '\'',
            '\\' => '\\',
            '/' => '/',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => {
                let high = self.hex4()?;
                if (0xD800..0xDC00).contains(&high) {
                    // A surrogate pair, as JSON writes characters outside the BMP.
                    if self.rest().starts_with("\\u") {
                        self.pos += 2;
                        let low = self.hex4()?;
                        if !(0xDC00..0xE000).contains(&low) {
                            return None;
                        }
                        return char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00));
                    }
                    return None;
                }
                return char::from_u32(high);
            }
            _ => return None,
        })
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.src.get(self.pos..self.pos + 4)?;
        let value = u32::from_str_radix(digits, 16).ok()?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.pos += 4;
        Some(value)
    }

    fn regex(&mut self) {
        let start = self.pos;
        self.pos += 1;
        let mut source = String::new();
        loop {
            let Some(ch) = self.rest().chars().next() else {
                return self.unterminated(start, "regex", '/', false);
            };
            match ch {
                '\n' => return self.unterminated(start, "regex", '/', true),
                '/' => {
                    self.pos += 1;
                    break;
                }
                '\\' => {
                    self.pos += 1;
                    match self.rest().chars().next() {
                        Some('/') => {
                            source.push('/');
                            self.pos += 1;
                        }
                        Some(c) if c != '\n' => {
                            source.push('\\');
                            source.push(c);
                            self.pos += c.len_utf8();
                        }
                        _ => {}
                    }
                }
                c => {
                    source.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
        let mut flags = RegexFlags::default();
        let mut ok = true;
        while let Some(b) = self.peek(0).filter(|b| is_word_continue(*b)) {
            match b {
                b'i' => flags.case_insensitive = true,
                b'm' => flags.multi_line = true,
                b's' => flags.dot_matches_new_line = true,
                b'x' => flags.ignore_whitespace = true,
                _ => {
                    ok = false;
                    self.error(
                        self.pos,
                        format!("unknown regex flag `{}`: expected i, m, s or x", b as char),
                    );
                }
            }
            self.pos += 1;
        }
        let kind = if ok {
            TokenKind::Regex { source, flags }
        } else {
            TokenKind::Invalid
        };
        self.push(kind, start);
    }
}
