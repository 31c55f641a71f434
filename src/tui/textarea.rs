//! A multi-line text input: cursor movement, word deletion, paste. Pure state; the view draws it.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Upper bound on typed text, so a runaway paste cannot grow without limit.
pub const TEXT_CHARS_MAX: usize = 8_000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextArea {
    chars: Vec<char>,
    /// Cursor position, in characters, 0..=len.
    cursor: usize,
}

impl TextArea {
    pub fn text(&self) -> String {
        self.chars.iter().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    pub fn clear(&mut self) {
        self.chars.clear();
        self.cursor = 0;
    }

    /// (line, column) of the cursor, 0-based, counting characters.
    pub fn cursor_line_column(&self) -> (usize, usize) {
        let before = &self.chars[..self.cursor];
        let line = before.iter().filter(|c| **c == '\n').count();
        let column = before.iter().rev().take_while(|c| **c != '\n').count();
        (line, column)
    }

    pub fn insert(&mut self, c: char) {
        if self.chars.len() >= TEXT_CHARS_MAX || (c.is_control() && c != '\n') {
            return;
        }
        self.chars.insert(self.cursor, c);
        self.cursor += 1;
    }

    /// Inserts pasted text; tabs become spaces, other control characters are dropped.
    pub fn paste(&mut self, text: &str) {
        for c in text.chars() {
            match c {
                '\t' => self.insert(' '),
                '\r' => {}
                c => self.insert(c),
            }
        }
    }

    /// Handles an editing key; returns false for keys it does not use.
    pub fn handle_key(&mut self, key: &KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match key.code {
            KeyCode::Char('w') if ctrl => self.delete_word_back(),
            KeyCode::Char('u') if ctrl => self.delete_to_line_start(),
            KeyCode::Char('a') if ctrl => self.cursor = self.line_start(),
            KeyCode::Char('e') if ctrl => self.cursor = self.line_end(),
            KeyCode::Backspace if ctrl || alt => self.delete_word_back(),
            KeyCode::Left if ctrl || alt => self.cursor = self.word_start_before(),
            KeyCode::Right if ctrl || alt => self.cursor = self.word_end_after(),
            KeyCode::Char(c) if !ctrl && !alt => self.insert(c),
            KeyCode::Backspace => {
                if self.cursor > 0 {
                    self.cursor -= 1;
                    self.chars.remove(self.cursor);
                }
            }
            KeyCode::Delete => {
                if self.cursor < self.chars.len() {
                    self.chars.remove(self.cursor);
                }
            }
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(self.chars.len()),
            KeyCode::Home => self.cursor = self.line_start(),
            KeyCode::End => self.cursor = self.line_end(),
            KeyCode::Up => self.move_vertically(-1),
            KeyCode::Down => self.move_vertically(1),
            _ => return false,
        }
        true
    }

    fn line_start(&self) -> usize {
        self.chars[..self.cursor]
            .iter()
            .rposition(|c| *c == '\n')
            .map_or(0, |i| i + 1)
    }

    fn line_end(&self) -> usize {
        self.chars[self.cursor..]
            .iter()
            .position(|c| *c == '\n')
            .map_or(self.chars.len(), |i| self.cursor + i)
    }

    fn word_start_before(&self) -> usize {
        let mut i = self.cursor;
        while i > 0 && !self.chars[i - 1].is_alphanumeric() {
            i -= 1;
        }
        while i > 0 && self.chars[i - 1].is_alphanumeric() {
            i -= 1;
        }
        i
    }

    fn word_end_after(&self) -> usize {
        let mut i = self.cursor;
        while i < self.chars.len() && !self.chars[i].is_alphanumeric() {
            i += 1;
        }
        while i < self.chars.len() && self.chars[i].is_alphanumeric() {
            i += 1;
        }
        i
    }

    fn delete_word_back(&mut self) {
        let start = self.word_start_before();
        self.chars.drain(start..self.cursor);
        self.cursor = start;
    }

    fn delete_to_line_start(&mut self) {
        let start = self.line_start();
        self.chars.drain(start..self.cursor);
        self.cursor = start;
    }

    fn move_vertically(&mut self, delta: isize) {
        let (line, column) = self.cursor_line_column();
        let lines: Vec<usize> = std::iter::once(0)
            .chain(
                self.chars
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| **c == '\n')
                    .map(|(i, _)| i + 1),
            )
            .collect();
        let Some(target) = line.checked_add_signed(delta).filter(|l| *l < lines.len()) else {
            return;
        };
        let start = lines[target];
        let end = lines
            .get(target + 1)
            .map_or(self.chars.len(), |next| next - 1);
        self.cursor = (start + column).min(end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    fn typed(text: &str) -> TextArea {
        let mut area = TextArea::default();
        area.paste(text);
        area
    }

    #[test]
    fn edits_at_the_cursor() {
        let mut area = typed("acks=1");
        area.handle_key(&key(KeyCode::Backspace));
        area.paste("all");
        assert_eq!(area.text(), "acks=all");
        area.handle_key(&key(KeyCode::Home));
        area.insert('>');
        assert_eq!(area.text(), ">acks=all");
        area.handle_key(&key(KeyCode::End));
        area.handle_key(&ctrl('w'));
        assert_eq!(area.text(), ">acks=");
        area.handle_key(&ctrl('u'));
        assert_eq!(area.text(), "");
    }

    #[test]
    fn moves_between_lines_keeping_the_column() {
        let mut area = typed("first line\nab\nthird line");
        assert_eq!(area.cursor_line_column(), (2, 10));
        area.handle_key(&key(KeyCode::Up));
        assert_eq!(
            area.cursor_line_column(),
            (1, 2),
            "clamped to the short line"
        );
        area.handle_key(&key(KeyCode::Up));
        assert_eq!(area.cursor_line_column(), (0, 2));
        area.handle_key(&key(KeyCode::Up));
        assert_eq!(area.cursor_line_column(), (0, 2), "stays on the first line");
        area.insert('X');
        assert_eq!(area.text(), "fiXrst line\nab\nthird line");
    }

    #[test]
    fn paste_drops_controls_and_is_bounded() {
        let mut area = TextArea::default();
        area.paste("a\tb\r\nc\u{1b}[31m");
        assert_eq!(area.text(), "a b\nc[31m");
        area.paste(&"x".repeat(TEXT_CHARS_MAX * 2));
        assert_eq!(area.text().chars().count(), TEXT_CHARS_MAX);
    }

    #[test]
    fn word_jumps() {
        let mut area = typed("min.insync.replicas two");
        area.handle_key(&KeyEvent::new(KeyCode::Left, KeyModifiers::CONTROL));
        assert_eq!(area.cursor_line_column(), (0, 20));
        area.handle_key(&KeyEvent::new(KeyCode::Left, KeyModifiers::CONTROL));
        assert_eq!(area.cursor_line_column(), (0, 11));
    }
}
