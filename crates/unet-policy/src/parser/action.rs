//! Actions: `ASSERT`, `SET`, `APPLY`.

use super::{Keyword, ParseResult, Parser, SyntaxError};
use crate::ast::Action;
use crate::lexer::TokenKind;

impl Parser<'_> {
    pub(super) fn action(&mut self) -> ParseResult<Action> {
        match self.keyword_of(self.peek()) {
            Some(Keyword::Assert) => {
                self.pos += 1;
                self.assertion()
            }
            Some(Keyword::Set) => {
                self.pos += 1;
                if self.peek().kind != TokenKind::Word || self.keyword_of(self.peek()).is_some() {
                    return self.expected("`custom_data.<path>` after SET");
                }
                let target = self.field()?;
                if !is_custom_data_path(&target.segments) {
                    return Err(SyntaxError {
                        at: target.span.start,
                        message: Some(format!(
                            "SET can only change `custom_data.<path>`, not `{}`",
                            target.dotted()
                        )),
                    });
                }
                if !self.eat_keyword(Keyword::To) {
                    return self.expected("`TO`");
                }
                let value = self.operand()?;
                Ok(Action::Set { target, value })
            }
            Some(Keyword::Apply) => {
                self.pos += 1;
                let TokenKind::Str(template) = self.peek().kind.clone() else {
                    return self.expected("a quoted template name after APPLY");
                };
                self.pos += 1;
                Ok(Action::Apply { template })
            }
            _ => self.expected("an action (`ASSERT`, `SET` or `APPLY`)"),
        }
    }

    /// `ASSERT <field> IS <value>` when a non-NULL value follows `IS`; otherwise a condition.
    fn assertion(&mut self) -> ParseResult<Action> {
        let start = self.pos;
        let is_field =
            self.peek().kind == TokenKind::Word && self.keyword_of(self.peek()).is_none();
        if is_field {
            let field = self.field()?;
            if self.at_keyword(Keyword::Is) {
                let next = self.peek_at(1);
                let value_follows =
                    !matches!(self.keyword_of(next), Some(Keyword::Not | Keyword::Null))
                        && matches!(
                            next.kind,
                            TokenKind::Word
                                | TokenKind::Str(_)
                                | TokenKind::Int(_)
                                | TokenKind::Float(_)
                        );
                if value_follows {
                    self.pos += 1;
                    let expected = self.operand()?;
                    return Ok(Action::AssertIs { field, expected });
                }
            }
            self.pos = start;
        }
        self.depth = 0;
        Ok(Action::Assert(self.condition()?))
    }
}

/// `custom_data.<path>` or `node.custom_data.<path>` with at least one key.
fn is_custom_data_path(segments: &[String]) -> bool {
    match segments {
        [root, rest @ ..] if root == "custom_data" => !rest.is_empty(),
        [node, root, rest @ ..] if node == "node" && root == "custom_data" => !rest.is_empty(),
        _ => false,
    }
}
