//! What a terminal would show of a device's output: escape sequences (colours, cursor moves)
//! dropped, carriage returns and backspaces applied (pagers erase themselves with them), lines
//! split on `\n`. Fed in chunks as they arrive; a UTF-8 character or an escape sequence may be
//! split between chunks.

/// Output that is not UTF-8: no configuration μNet stores can come from it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct NotUtf8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Escape {
    None,
    /// After ESC.
    Start,
    /// In a control sequence (`ESC [` … final byte).
    Csi,
    /// In an operating-system command (`ESC ]` … BEL or `ESC \`).
    Osc,
    /// ESC seen inside an operating-system command.
    OscEnd,
}

#[derive(Debug)]
pub(crate) struct Terminal {
    lines: Vec<String>,
    line: Vec<char>,
    cursor: usize,
    escape: Escape,
    /// The start of a UTF-8 character whose other bytes have not arrived yet.
    partial: Vec<u8>,
}

impl Terminal {
    pub(crate) fn new() -> Terminal {
        Terminal {
            lines: Vec::new(),
            line: Vec::new(),
            cursor: 0,
            escape: Escape::None,
            partial: Vec::new(),
        }
    }

    pub(crate) fn feed(&mut self, bytes: &[u8]) -> Result<(), NotUtf8> {
        let joined;
        let bytes = if self.partial.is_empty() {
            bytes
        } else {
            joined = [std::mem::take(&mut self.partial).as_slice(), bytes].concat();
            joined.as_slice()
        };
        let (text, rest) = match std::str::from_utf8(bytes) {
            Ok(text) => (text, &[][..]),
            // An incomplete character at the end waits for the next chunk.
            Err(e) if e.error_len().is_none() => {
                let (valid, rest) = bytes.split_at(e.valid_up_to());
                (std::str::from_utf8(valid).map_err(|_| NotUtf8)?, rest)
            }
            Err(_) => return Err(NotUtf8),
        };
        self.partial = rest.to_vec();
        for c in text.chars() {
            self.put(c);
        }
        Ok(())
    }

    fn put(&mut self, c: char) {
        self.escape = match (self.escape, c) {
            (Escape::None, '\u{1b}') => Escape::Start,
            (Escape::None, _) => {
                self.print(c);
                Escape::None
            }
            (Escape::Start, '[') => Escape::Csi,
            (Escape::Start, ']') => Escape::Osc,
            // A two-character sequence (`ESC 7`, `ESC =`, …): nothing to show.
            (Escape::Start, _) => Escape::None,
            (Escape::Csi, '\u{40}'..='\u{7e}') => Escape::None,
            (Escape::Csi, _) => Escape::Csi,
            (Escape::Osc, '\u{7}') => Escape::None,
            (Escape::Osc, '\u{1b}') => Escape::OscEnd,
            (Escape::Osc, _) => Escape::Osc,
            (Escape::OscEnd, _) => Escape::None,
        };
    }

    fn print(&mut self, c: char) {
        match c {
            '\n' => {
                let mut line: String = self.line.drain(..).collect();
                line.truncate(line.trim_end().len());
                self.lines.push(line);
                self.cursor = 0;
            }
            '\r' => self.cursor = 0,
            '\u{8}' => self.cursor = self.cursor.saturating_sub(1),
            '\t' => self.write('\t'),
            c if c.is_control() => {}
            c => self.write(c),
        }
    }

    fn write(&mut self, c: char) {
        match self.line.get_mut(self.cursor) {
            Some(slot) => *slot = c,
            None => self.line.push(c),
        }
        self.cursor += 1;
    }

    /// The lines completed since the last call.
    pub(crate) fn take_lines(&mut self) -> Vec<String> {
        std::mem::take(&mut self.lines)
    }

    /// The line being written (a prompt or a pager waits there), without trailing spaces.
    pub(crate) fn current(&self) -> String {
        let mut line: String = self.line.iter().collect();
        line.truncate(line.trim_end().len());
        line
    }

    /// Forgets the line being written (a pager prompt that was answered).
    pub(crate) fn clear_current(&mut self) {
        self.line.clear();
        self.cursor = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn screen(chunks: &[&[u8]]) -> (Vec<String>, String) {
        let mut terminal = Terminal::new();
        for chunk in chunks {
            terminal.feed(chunk).unwrap();
        }
        (terminal.take_lines(), terminal.current())
    }

    #[test]
    fn crlf_colours_and_erasing_pagers_leave_the_text() {
        let (lines, current) = screen(&[
            b"\x1b[1;32mWelcome\x1b[0m\r\n",
            b"interface Gi0/1\r\n --More-- \x08\x08\x08\x08\x08\x08\x08\x08\x08\x08",
            b"          \x08\x08\x08\x08\x08\x08\x08\x08\x08\x08 description up\r\n",
            b"\x1b]0;title\x07router1#",
        ]);
        assert_eq!(lines, ["Welcome", "interface Gi0/1", " description up"]);
        assert_eq!(current, "router1#");
    }

    #[test]
    fn a_character_or_escape_split_between_chunks_is_joined() {
        let text = "description caf\u{e9}\n".as_bytes();
        let (head, tail) = text.split_at(text.len() - 2);
        let (lines, _) = screen(&[head, tail, b"\x1b[", b"0mx\r\n"]);
        assert_eq!(lines, ["description caf\u{e9}", "x"]);
    }

    #[test]
    fn invalid_utf8_is_refused() {
        assert_eq!(Terminal::new().feed(b"abc\xff\n"), Err(NotUtf8));
    }
}
