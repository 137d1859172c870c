//! Recursive-descent parser. On a syntax error it reports where and what was expected, skips
//! to the next `WHEN`/`RULE`, and goes on, so a file's every broken rule is reported at once.

use crate::ast::{
    CompareOp, Condition, FieldRef, Literal, Operand, Pattern, PolicyFile, RegexFlags, Rule,
};
use crate::diagnostic::{Diagnostic, LineIndex, Severity, Span};
use crate::lexer::{Token, TokenKind, tokenize};

mod action;

/// Parentheses and `NOT` nest at most this deep, so hostile input cannot exhaust the stack.
pub const MAX_NESTING: usize = 64;
/// A field reference has at most this many dotted parts (evaluation walks them recursively).
pub const MAX_FIELD_PARTS: usize = 32;

/// Parses one source text. Rules that fail to parse are left out of the file and reported.
pub fn parse(file: &str, text: &str) -> (PolicyFile, Vec<Diagnostic>) {
    let (tokens, lex_errors) = tokenize(text);
    let lines = LineIndex::new(text);
    let mut diagnostics: Vec<Diagnostic> = lex_errors
        .into_iter()
        .map(|e| Diagnostic::at(file, text, &lines, e.at, Severity::Error, e.message))
        .collect();
    let eof = Token {
        kind: TokenKind::Eof,
        span: Span::new(text.len(), text.len()),
    };
    let mut parser = Parser {
        text,
        tokens,
        eof,
        pos: 0,
        depth: 0,
    };
    let mut policy = PolicyFile::default();
    while parser.peek().kind != TokenKind::Eof {
        let start = parser.pos;
        match parser.rule() {
            Ok(rule) => policy.rules.push(rule),
            Err(error) => {
                if let Some(message) = error.message {
                    diagnostics.push(Diagnostic::at(
                        file,
                        text,
                        &lines,
                        error.at,
                        Severity::Error,
                        message,
                    ));
                }
                if parser.pos == start {
                    parser.pos += 1;
                }
                parser.synchronize();
            }
        }
    }
    diagnostics.sort_by_key(|d| (d.line, d.column));
    (policy, diagnostics)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keyword {
    Rule,
    When,
    Then,
    And,
    Or,
    Not,
    Is,
    Null,
    True,
    False,
    Contains,
    Matches,
    Assert,
    Set,
    To,
    Apply,
}

const KEYWORDS: [(&str, Keyword); 16] = [
    ("RULE", Keyword::Rule),
    ("WHEN", Keyword::When),
    ("THEN", Keyword::Then),
    ("AND", Keyword::And),
    ("OR", Keyword::Or),
    ("NOT", Keyword::Not),
    ("IS", Keyword::Is),
    ("NULL", Keyword::Null),
    ("TRUE", Keyword::True),
    ("FALSE", Keyword::False),
    ("CONTAINS", Keyword::Contains),
    ("MATCHES", Keyword::Matches),
    ("ASSERT", Keyword::Assert),
    ("SET", Keyword::Set),
    ("TO", Keyword::To),
    ("APPLY", Keyword::Apply),
];

fn keyword(word: &str) -> Option<Keyword> {
    KEYWORDS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(word))
        .map(|(_, kw)| *kw)
}

/// A syntax error; `message` is `None` when the lexer already reported this spot.
struct SyntaxError {
    at: usize,
    message: Option<String>,
}

type ParseResult<T> = Result<T, SyntaxError>;

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Token>,
    eof: Token,
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        self.tokens.get(self.pos).unwrap_or(&self.eof)
    }

    fn peek_at(&self, ahead: usize) -> &Token {
        self.tokens.get(self.pos + ahead).unwrap_or(&self.eof)
    }

    fn bump(&mut self) -> Token {
        let token = self.peek().clone();
        self.pos += 1;
        token
    }

    fn word(&self, token: &Token) -> &str {
        self.text
            .get(token.span.start..token.span.end)
            .unwrap_or("")
    }

    fn keyword_of(&self, token: &Token) -> Option<Keyword> {
        if token.kind == TokenKind::Word {
            keyword(self.word(token))
        } else {
            None
        }
    }

    fn at_keyword(&self, kw: Keyword) -> bool {
        self.keyword_of(self.peek()) == Some(kw)
    }

    fn eat_keyword(&mut self, kw: Keyword) -> bool {
        let hit = self.at_keyword(kw);
        if hit {
            self.pos += 1;
        }
        hit
    }

    /// "expected X, found Y" at the current token (or silent if the lexer reported it).
    fn expected<T>(&self, what: &str) -> ParseResult<T> {
        let token = self.peek();
        if token.kind == TokenKind::Invalid {
            return Err(SyntaxError {
                at: token.span.start,
                message: None,
            });
        }
        Err(SyntaxError {
            at: token.span.start,
            message: Some(format!("expected {what}, found {}", self.describe(token))),
        })
    }

    fn describe(&self, token: &Token) -> String {
        match &token.kind {
            TokenKind::Word => match self.keyword_of(token) {
                Some(_) => format!("keyword `{}`", self.word(token).to_ascii_uppercase()),
                None => format!("`{}`", self.word(token)),
            },
            TokenKind::Str(_) => "a string".into(),
            TokenKind::Int(_) | TokenKind::Float(_) => "a number".into(),
            TokenKind::Regex { .. } => "a regex".into(),
            TokenKind::Eof => "end of file".into(),
            _ => format!("`{}`", self.word(token)),
        }
    }

    /// Skips to the next token that can start a rule.
    fn synchronize(&mut self) {
        loop {
            let token = self.peek();
            if token.kind == TokenKind::Eof {
                return;
            }
            let after_dot = self
                .pos
                .checked_sub(1)
                .and_then(|i| self.tokens.get(i))
                .is_some_and(|t| t.kind == TokenKind::Dot);
            if !after_dot && matches!(self.keyword_of(token), Some(Keyword::When | Keyword::Rule)) {
                return;
            }
            self.pos += 1;
        }
    }

    fn rule(&mut self) -> ParseResult<Rule> {
        let span = self.peek().span;
        let name = if self.eat_keyword(Keyword::Rule) {
            let TokenKind::Str(name) = self.peek().kind.clone() else {
                return self.expected("a quoted rule name after `RULE`");
            };
            self.pos += 1;
            if self.peek().kind != TokenKind::Colon {
                return self.expected("`:` after the rule name");
            }
            self.pos += 1;
            Some(name)
        } else {
            None
        };
        if !self.eat_keyword(Keyword::When) {
            return self.expected(if name.is_some() {
                "`WHEN`"
            } else {
                "`WHEN` or `RULE`"
            });
        }
        self.depth = 0;
        let condition = self.condition()?;
        if !self.eat_keyword(Keyword::Then) {
            return self.expected("`AND`, `OR` or `THEN`");
        }
        let action = self.action()?;
        let next = self.peek();
        if next.kind != TokenKind::Eof
            && !matches!(self.keyword_of(next), Some(Keyword::When | Keyword::Rule))
        {
            return self.expected("`WHEN`, `RULE` or end of file after the action");
        }
        Ok(Rule {
            name,
            condition,
            action,
            span,
        })
    }

    fn condition(&mut self) -> ParseResult<Condition> {
        let mut any = vec![self.all()?];
        while self.eat_keyword(Keyword::Or) {
            any.push(self.all()?);
        }
        Ok(if any.len() == 1 {
            any.pop().unwrap_or(Condition::Constant(false))
        } else {
            Condition::Any(any)
        })
    }

    fn all(&mut self) -> ParseResult<Condition> {
        let mut all = vec![self.negation()?];
        while self.eat_keyword(Keyword::And) {
            all.push(self.negation()?);
        }
        Ok(if all.len() == 1 {
            all.pop().unwrap_or(Condition::Constant(false))
        } else {
            Condition::All(all)
        })
    }

    fn enter(&mut self) -> ParseResult<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(SyntaxError {
                at: self.peek().span.start,
                message: Some(format!(
                    "condition nests deeper than {MAX_NESTING} levels of parentheses or NOT"
                )),
            });
        }
        Ok(())
    }

    fn negation(&mut self) -> ParseResult<Condition> {
        if self.eat_keyword(Keyword::Not) {
            self.enter()?;
            let inner = self.negation()?;
            self.depth -= 1;
            return Ok(Condition::Not(Box::new(inner)));
        }
        if self.peek().kind == TokenKind::LParen {
            self.pos += 1;
            self.enter()?;
            let inner = self.condition()?;
            if self.peek().kind != TokenKind::RParen {
                return self.expected("`AND`, `OR` or `)`");
            }
            self.pos += 1;
            self.depth -= 1;
            return Ok(inner);
        }
        self.comparison()
    }

    fn comparison(&mut self) -> ParseResult<Condition> {
        let left = self.operand()?;
        let op = match self.peek().kind {
            TokenKind::Eq => Some(CompareOp::Eq),
            TokenKind::Ne => Some(CompareOp::Ne),
            TokenKind::Lt => Some(CompareOp::Lt),
            TokenKind::Le => Some(CompareOp::Le),
            TokenKind::Gt => Some(CompareOp::Gt),
            TokenKind::Ge => Some(CompareOp::Ge),
            _ => None,
        };
        if let Some(op) = op {
            self.pos += 1;
            let right = self.operand()?;
            return Ok(Condition::Compare { left, op, right });
        }
        match self.keyword_of(self.peek()) {
            Some(Keyword::Contains) => {
                self.pos += 1;
                let needle = self.operand()?;
                Ok(Condition::Contains {
                    haystack: left,
                    needle,
                })
            }
            Some(Keyword::Matches) => {
                self.pos += 1;
                let pattern = self.pattern()?;
                Ok(Condition::Matches {
                    subject: left,
                    pattern,
                })
            }
            Some(Keyword::Is) => {
                self.pos += 1;
                let negated = self.eat_keyword(Keyword::Not);
                if !self.eat_keyword(Keyword::Null) {
                    return self.expected(if negated {
                        "`NULL`"
                    } else {
                        "`NULL` or `NOT NULL`"
                    });
                }
                Ok(Condition::IsNull {
                    operand: left,
                    negated,
                })
            }
            _ => match left {
                Operand::Literal(Literal::Bool(value)) => Ok(Condition::Constant(value)),
                _ => self.expected(
                    "an operator (==, !=, <, <=, >, >=, CONTAINS, MATCHES, IS NULL, IS NOT NULL)",
                ),
            },
        }
    }

    fn pattern(&mut self) -> ParseResult<Pattern> {
        let token = self.peek().clone();
        let pattern = match token.kind {
            TokenKind::Regex { source, flags } => Pattern {
                source,
                flags,
                quoted: false,
                span: token.span,
            },
            TokenKind::Str(source) => Pattern {
                source,
                flags: RegexFlags::default(),
                quoted: true,
                span: token.span,
            },
            _ => return self.expected("a `/regex/flags` or a quoted pattern after MATCHES"),
        };
        self.pos += 1;
        Ok(pattern)
    }

    fn operand(&mut self) -> ParseResult<Operand> {
        let literal = match &self.peek().kind {
            TokenKind::Str(s) => Some(Literal::Str(s.clone())),
            TokenKind::Int(i) => Some(Literal::Int(*i)),
            TokenKind::Float(x) => Some(Literal::Float(*x)),
            TokenKind::Word => match self.keyword_of(self.peek()) {
                Some(Keyword::True) => Some(Literal::Bool(true)),
                Some(Keyword::False) => Some(Literal::Bool(false)),
                Some(Keyword::Null) => Some(Literal::Null),
                Some(_) => return self.expected("a field or a value"),
                None => None,
            },
            _ => return self.expected("a field or a value"),
        };
        if let Some(literal) = literal {
            self.pos += 1;
            return Ok(Operand::Literal(literal));
        }
        Ok(Operand::Field(self.field()?))
    }

    /// `word ('.' word)*`; the current token is a non-keyword word.
    fn field(&mut self) -> ParseResult<FieldRef> {
        let first = self.bump();
        let mut segments = vec![self.word(&first).to_owned()];
        let mut end = first.span.end;
        while self.peek().kind == TokenKind::Dot {
            self.pos += 1;
            if self.peek().kind != TokenKind::Word {
                return self.expected("a field name after `.`");
            }
            if segments.len() == MAX_FIELD_PARTS {
                return Err(SyntaxError {
                    at: first.span.start,
                    message: Some(format!(
                        "field has more than {MAX_FIELD_PARTS} dotted parts"
                    )),
                });
            }
            let token = self.bump();
            segments.push(self.word(&token).to_owned());
            end = token.span.end;
        }
        Ok(FieldRef {
            segments,
            span: Span::new(first.span.start, end),
        })
    }
}
