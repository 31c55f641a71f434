//! The one "terminal too small" message every screen shows below the minimum size.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::widgets::Paragraph;

/// Below this size the screens do not fit; a message says so instead of drawing them.
pub const WIDTH_MIN: u16 = 40;
pub const HEIGHT_MIN: u16 = 12;

pub fn fits(area: Rect) -> bool {
    area.width >= WIDTH_MIN && area.height >= HEIGHT_MIN
}

/// Centred on one line; shortened when even the message does not fit; nothing on an empty area.
pub fn render_too_small(frame: &mut Frame, area: Rect) {
    if area.is_empty() {
        return;
    }
    let full = format!(
        "Terminal too small ({}x{}, need {WIDTH_MIN}x{HEIGHT_MIN})",
        area.width, area.height
    );
    let text = if full.len() > usize::from(area.width) {
        "Terminal too small".to_owned()
    } else {
        full
    };
    let row = Rect {
        y: area.y + area.height / 2,
        height: 1,
        ..area
    };
    frame.render_widget(
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .style(Style::new().add_modifier(Modifier::BOLD)),
        row,
    );
}
