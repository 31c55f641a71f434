//! Type-to-filter for the home and lab lists: `f` opens a filter line, typing narrows the list to
//! rows whose text holds every typed word (case ignored), `esc` clears it.
//!
//! Letters are commands on those screens (`s` stats, `l` labs...), so filtering is a mode the
//! learner enters, shown in the list's title, rather than a side effect of typing.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// A query longer than any row text is useless; the cap keeps a held key from growing it forever.
const QUERY_CHARS_MAX: usize = 64;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ListFilter {
    query: String,
    editing: bool,
}

/// What a key did to the filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterKey {
    /// The query changed: the list's rows change, the selection goes back to the first row.
    Edited,
    /// Not a filter key: the list handles it (movement, enter, esc).
    Pass,
}

impl ListFilter {
    pub fn start(&mut self) {
        self.editing = true;
    }

    /// Leaves the filter line and keeps the query in force.
    pub fn close(&mut self) {
        self.editing = false;
    }

    /// Forgets the query and leaves the filter line.
    pub fn clear(&mut self) {
        self.query.clear();
        self.editing = false;
    }

    pub fn is_editing(&self) -> bool {
        self.editing
    }

    pub fn query(&self) -> &str {
        &self.query
    }

    /// A key while the filter line is open: printable characters and backspace edit the query.
    pub fn on_key(&mut self, key: &KeyEvent) -> FilterKey {
        if !self.editing || key.kind == KeyEventKind::Release {
            return FilterKey::Pass;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match key.code {
            KeyCode::Char('u') if ctrl => self.query.clear(),
            KeyCode::Char(c) if !ctrl && !alt && !c.is_control() => {
                if self.query.chars().count() >= QUERY_CHARS_MAX {
                    return FilterKey::Pass;
                }
                self.query.push(c);
            }
            KeyCode::Backspace => {
                self.query.pop();
            }
            _ => return FilterKey::Pass,
        }
        FilterKey::Edited
    }

    /// True when every word of the query is in one of `texts` (case ignored); an empty query
    /// keeps every row.
    pub fn keeps(&self, texts: &[&str]) -> bool {
        self.query.split_whitespace().all(|word| {
            let word = word.to_lowercase();
            texts.iter().any(|text| text.to_lowercase().contains(&word))
        })
    }

    /// The list title's suffix: "filter: kaf▏" while typing, "filter: kafka" once closed, and
    /// the key that opens it otherwise.
    pub fn title(&self) -> String {
        match (self.editing, self.query.is_empty()) {
            (true, _) => format!(" · filter: {}▏ (esc clears)", self.query),
            (false, false) => format!(" · filter: {} (f edits, esc clears)", self.query),
            (false, true) => " · f: filter".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn typed(text: &str) -> ListFilter {
        let mut filter = ListFilter::default();
        filter.start();
        for c in text.chars() {
            assert_eq!(filter.on_key(&key(KeyCode::Char(c))), FilterKey::Edited);
        }
        filter
    }

    #[test]
    fn every_word_must_appear_in_some_text_case_ignored() {
        let filter = typed("kaf EXACT");
        assert!(filter.keeps(&["Kafka exactly-once", "exactly-once"]));
        assert!(
            filter.keeps(&["Kafka", "exactly-once"]),
            "words may match different texts"
        );
        assert!(!filter.keeps(&["Kafka internals"]));
        assert!(ListFilter::default().keeps(&["anything"]));
    }

    #[test]
    fn keys_edit_only_while_the_line_is_open() {
        let mut filter = ListFilter::default();
        assert_eq!(filter.on_key(&key(KeyCode::Char('s'))), FilterKey::Pass);
        assert_eq!(filter.query(), "");
        let mut filter = typed("kafx");
        assert_eq!(filter.on_key(&key(KeyCode::Backspace)), FilterKey::Edited);
        assert_eq!(filter.query(), "kaf");
        assert_eq!(filter.on_key(&key(KeyCode::Down)), FilterKey::Pass);
        assert_eq!(filter.on_key(&key(KeyCode::Enter)), FilterKey::Pass);
        let ctrl_u = KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL);
        assert_eq!(filter.on_key(&ctrl_u), FilterKey::Edited);
        assert_eq!(filter.query(), "");
        filter.clear();
        assert!(!filter.is_editing());
    }

    #[test]
    fn the_query_has_a_length_cap() {
        let mut filter = typed(&"k".repeat(QUERY_CHARS_MAX));
        assert_eq!(filter.on_key(&key(KeyCode::Char('k'))), FilterKey::Pass);
        assert_eq!(filter.query().len(), QUERY_CHARS_MAX);
    }

    #[test]
    fn the_title_says_what_filters_and_how_to_leave() {
        assert_eq!(ListFilter::default().title(), " · f: filter");
        let mut filter = typed("kafka");
        assert_eq!(filter.title(), " · filter: kafka▏ (esc clears)");
        filter.close();
        assert_eq!(filter.title(), " · filter: kafka (f edits, esc clears)");
    }
}
