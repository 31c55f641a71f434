//! A scroll position for anything taller than its box: the revealed card, the stats tables.
//!
//! The state machine owns the offset; the view, which alone knows how tall the content is once
//! wrapped, records the last frame's extent with [`Scroll::fit`]. Keys then stop at the end
//! instead of counting past it, so a key up after a key too many moves at once.

use std::cell::Cell;

use ratatui::Frame;
use ratatui::layout::{Margin, Rect};
use ratatui::style::Style;
use ratatui::widgets::{Scrollbar, ScrollbarOrientation, ScrollbarState};

use super::keys::Action;

#[derive(Debug, Default, Clone)]
pub struct Scroll {
    offset: u16,
    /// The last drawn frame's (furthest offset, rows in view).
    extent: Cell<(u16, u16)>,
}

impl Scroll {
    /// The first row shown, within what the last frame could show.
    pub fn offset(&self) -> u16 {
        self.offset.min(self.extent.get().0)
    }

    /// Called by the view with the content's height and the rows in view; returns the first row
    /// to draw.
    pub fn fit(&self, total: u16, in_view: u16) -> u16 {
        self.extent.set((total.saturating_sub(in_view), in_view));
        self.offset()
    }

    /// Moves by a key; actions that are not movement change nothing and return false.
    pub fn on_action(&mut self, action: Action) -> bool {
        let (max, in_view) = self.extent.get();
        // A page keeps one row of context from the page before.
        let page = in_view.saturating_sub(1).max(1);
        let offset = self.offset();
        self.offset = match action {
            Action::Down => offset.saturating_add(1),
            Action::Up => offset.saturating_sub(1),
            Action::PageDown => offset.saturating_add(page),
            Action::PageUp => offset.saturating_sub(page),
            Action::Top => 0,
            Action::Bottom => {
                self.follow();
                return true;
            }
            _ => return false,
        }
        .min(max);
        true
    }

    /// Stays at the end as the content grows (a console's output), until moved up.
    pub fn follow(&mut self) {
        self.offset = u16::MAX;
    }

    /// The end is in view (as of the last frame): new content should keep it there.
    pub fn at_end(&self) -> bool {
        self.offset() >= self.extent.get().0
    }

    /// The mouse wheel: `rows` down (negative: up).
    pub fn wheel(&mut self, rows: i16) {
        self.offset = self
            .offset()
            .saturating_add_signed(rows)
            .min(self.extent.get().0);
    }

    pub fn reset(&mut self) {
        self.offset = 0;
    }
}

/// "Name" when everything fits, else "Name · rows a-b of N · ↑↓ PgUp PgDn".
pub fn title(name: &str, offset: u16, in_view: u16, total: u16) -> String {
    if total <= in_view {
        name.to_owned()
    } else {
        let last = offset.saturating_add(in_view).min(total);
        format!(
            "{name} · rows {}-{last} of {total} · ↑↓ PgUp PgDn",
            offset + 1
        )
    }
}

/// A scrollbar on the right border of a bordered `area`, when the content is taller than it.
pub fn render_scrollbar(
    frame: &mut Frame,
    area: Rect,
    offset: u16,
    in_view: u16,
    total: u16,
    style: Style,
) {
    let max = total.saturating_sub(in_view);
    if max == 0 {
        return;
    }
    let mut state = ScrollbarState::new(usize::from(max) + 1)
        .position(usize::from(offset.min(max)))
        .viewport_content_length(usize::from(in_view));
    frame.render_stateful_widget(
        Scrollbar::new(ScrollbarOrientation::VerticalRight).style(style),
        area.inner(Margin {
            vertical: 1,
            horizontal: 0,
        }),
        &mut state,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_stop_at_the_last_frame_extent() {
        let mut scroll = Scroll::default();
        assert_eq!(scroll.fit(30, 10), 0);
        scroll.on_action(Action::PageDown);
        assert_eq!(scroll.offset(), 9);
        scroll.on_action(Action::PageDown);
        scroll.on_action(Action::PageDown);
        assert_eq!(scroll.offset(), 20, "stops where the last row is in view");
        scroll.on_action(Action::Up);
        assert_eq!(scroll.offset(), 19, "one key up moves at once");
        scroll.on_action(Action::Top);
        assert_eq!(scroll.offset(), 0);
        scroll.on_action(Action::Bottom);
        assert_eq!(scroll.offset(), 20);
        assert!(!scroll.on_action(Action::Reveal));
    }

    #[test]
    fn following_keeps_the_end_in_view_as_content_grows_until_moved_up() {
        let mut scroll = Scroll::default();
        scroll.fit(30, 10);
        scroll.follow();
        assert!(scroll.at_end());
        assert_eq!(scroll.fit(50, 10), 40, "grown content: still at its end");
        scroll.on_action(Action::PageUp);
        assert!(!scroll.at_end());
        assert_eq!(
            scroll.fit(60, 10),
            31,
            "moved up: stays where the reader is"
        );
        scroll.on_action(Action::Bottom);
        assert_eq!(scroll.fit(70, 10), 60, "the end key follows again");
    }

    #[test]
    fn a_taller_window_pulls_the_offset_back() {
        let mut scroll = Scroll::default();
        scroll.fit(30, 10);
        scroll.on_action(Action::Bottom);
        assert_eq!(scroll.fit(30, 25), 5);
        assert_eq!(scroll.fit(30, 40), 0);
    }

    #[test]
    fn the_wheel_moves_both_ways_within_bounds() {
        let mut scroll = Scroll::default();
        scroll.fit(12, 4);
        scroll.wheel(3);
        assert_eq!(scroll.offset(), 3);
        scroll.wheel(30);
        assert_eq!(scroll.offset(), 8);
        scroll.wheel(-30);
        assert_eq!(scroll.offset(), 0);
    }

    #[test]
    fn the_title_names_the_rows_in_view() {
        assert_eq!(title("Decks", 0, 5, 5), "Decks");
        assert_eq!(
            title("Decks", 3, 5, 12),
            "Decks · rows 4-8 of 12 · ↑↓ PgUp PgDn"
        );
    }
}
