//! Colours for the three themes, and none at all under `NO_COLOR`: then only modifiers (bold,
//! reversed, underline, dim) carry meaning.

use ratatui::style::{Color, Modifier, Style};

use crate::shell::config::Theme as ThemeName;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub colors: bool,
    pub accent: Style,
    pub good: Style,
    pub bad: Style,
    pub warn: Style,
    pub muted: Style,
    pub selected: Style,
    pub key: Style,
    pub highlight: Style,
}

impl Theme {
    pub fn new(name: ThemeName, no_color: bool) -> Self {
        if no_color {
            return Self::plain();
        }
        let (accent, good, bad, warn, muted) = match name {
            ThemeName::Dark => (
                Color::Cyan,
                Color::Green,
                Color::Red,
                Color::Yellow,
                Color::DarkGray,
            ),
            ThemeName::Light => (
                Color::Blue,
                Color::Green,
                Color::Red,
                Color::Magenta,
                Color::Gray,
            ),
            ThemeName::HighContrast => (
                Color::White,
                Color::LightGreen,
                Color::LightRed,
                Color::LightYellow,
                Color::White,
            ),
        };
        let bold = Modifier::BOLD;
        Self {
            colors: true,
            accent: Style::new().fg(accent).add_modifier(bold),
            good: Style::new().fg(good).add_modifier(bold),
            bad: Style::new().fg(bad).add_modifier(bold),
            warn: Style::new().fg(warn),
            muted: if name == ThemeName::HighContrast {
                Style::new().fg(muted)
            } else {
                Style::new().fg(muted).add_modifier(Modifier::DIM)
            },
            selected: Style::new().add_modifier(Modifier::REVERSED | bold),
            key: Style::new().add_modifier(Modifier::REVERSED),
            highlight: Style::new()
                .fg(warn)
                .add_modifier(bold | Modifier::UNDERLINED),
        }
    }

    /// No colour at all (`NO_COLOR`, and tests that must not depend on a palette).
    pub fn plain() -> Self {
        Self {
            colors: false,
            accent: Style::new().add_modifier(Modifier::BOLD),
            good: Style::new().add_modifier(Modifier::BOLD),
            bad: Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            warn: Style::new().add_modifier(Modifier::ITALIC),
            muted: Style::new().add_modifier(Modifier::DIM),
            selected: Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
            key: Style::new().add_modifier(Modifier::REVERSED),
            highlight: Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        }
    }
}

impl Default for Theme {
    fn default() -> Self {
        Self::new(ThemeName::Dark, false)
    }
}
