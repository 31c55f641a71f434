//! Styles for the stats and finder screens that collapse to modifiers when colours are off
//! (`NO_COLOR`).

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::Block;

#[derive(Clone, Copy)]
pub(crate) struct Palette {
    pub(crate) colors: bool,
}

impl Palette {
    pub(crate) fn fg(self, color: Color) -> Style {
        if self.colors {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    pub(crate) fn dim(self) -> Style {
        self.fg(Color::DarkGray).add_modifier(Modifier::DIM)
    }

    pub(crate) fn accent(self) -> Style {
        self.fg(Color::Cyan)
    }

    pub(crate) fn title(self) -> Style {
        self.accent().add_modifier(Modifier::BOLD)
    }

    pub(crate) fn highlight(self) -> Style {
        self.fg(Color::Yellow)
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }

    pub(crate) fn marked(self) -> Style {
        self.fg(Color::Magenta).add_modifier(Modifier::BOLD)
    }

    pub(crate) fn kind(self, kind: &str) -> Style {
        let color = match kind {
            "question" => Color::Cyan,
            "myth" => Color::Magenta,
            "failure" => Color::Red,
            "compare" => Color::Blue,
            "choice" => Color::Yellow,
            "numeric" | "calc" => Color::Green,
            _ => return Style::new(),
        };
        self.fg(color)
    }

    pub(crate) fn rate(self, rate: f64) -> Style {
        let color = if rate >= 0.9 {
            Color::Green
        } else if rate >= 0.8 {
            Color::Yellow
        } else {
            Color::Red
        };
        self.fg(color)
    }

    pub(crate) fn shade(self, level: usize) -> Style {
        match level {
            0 => Style::new(),
            1 | 2 => self.fg(Color::Green),
            3 => self.fg(Color::LightGreen),
            _ => self.fg(Color::LightGreen).add_modifier(Modifier::BOLD),
        }
    }

    pub(crate) fn block(self, title: &str) -> Block<'static> {
        Block::bordered()
            .border_style(self.dim())
            .title(Span::styled(format!(" {title} "), self.title()))
    }
}
