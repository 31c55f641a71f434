//! The TUI's shell: reads terminal events, feeds them to the app with the time, carries out its
//! effects (durable writes), and redraws. It waits on events, so it idles without spinning.

use std::io::{self, IsTerminal};

use crossterm::event::{self, Event, KeyEventKind};

use super::app::{App, Effect, Msg};
use super::view::render;
use crate::clock;
use crate::store::Store;

#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error(
        "streamdrill's TUI needs an interactive terminal, but {0} is not one. For scripts and screen readers use `streamdrill drill --plain`."
    )]
    NotATerminal(&'static str),
    #[error("terminal error: {0}")]
    Io(#[from] io::Error),
}

pub fn ensure_terminal() -> Result<(), TuiError> {
    if !io::stdin().is_terminal() {
        return Err(TuiError::NotATerminal("standard input"));
    }
    if !io::stdout().is_terminal() {
        return Err(TuiError::NotATerminal("standard output"));
    }
    Ok(())
}

/// Runs the app until it quits. The terminal is restored on every exit path, panics included
/// (`ratatui::init` installs a panic hook that restores it before the panic is printed).
pub fn run(mut app: App, store: &mut Store) -> Result<(), TuiError> {
    ensure_terminal()?;
    let mut terminal = ratatui::init();
    let result = event_loop(&mut app, store, &mut terminal);
    ratatui::restore();
    result
}

fn event_loop(
    app: &mut App,
    store: &mut Store,
    terminal: &mut ratatui::DefaultTerminal,
) -> Result<(), TuiError> {
    terminal.draw(|frame| render(app, frame))?;
    while !app.quit {
        let msg = match event::read()? {
            Event::Key(key) if key.kind != KeyEventKind::Release => Msg::Key(key),
            Event::Resize(..) => Msg::Resize,
            _ => continue,
        };
        let mut effects = app.update(msg, clock::now());
        // Effects may answer with messages, which may bring effects of their own.
        while let Some(effect) = effects.pop() {
            match effect {
                Effect::SaveReview { review, state } => {
                    let saved = store
                        .record_review(&review, &state)
                        .map_err(|e| e.to_string());
                    effects.extend(app.update(Msg::Saved(saved), clock::now()));
                }
            }
        }
        terminal.draw(|frame| render(app, frame))?;
    }
    Ok(())
}
