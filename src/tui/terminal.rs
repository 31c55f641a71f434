//! The TUI's shell: reads terminal events, feeds them to the app with the time, carries out its
//! effects (durable writes), and redraws. It blocks on input and wakes for a timer only while a
//! clock is on screen, so it idles without spinning.

use std::io::{self, IsTerminal};

use crossterm::event::{
    self, DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
    Event, KeyEventKind, MouseButton, MouseEventKind,
};
use crossterm::execute;

use super::app::{App, Effect, Msg};
use super::view::render;
use crate::shell::clock;
use crate::srs::scheduler::Scheduler;
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
    // Paste arrives whole; clicks select decks. Failing to enable either is not fatal.
    let _ = execute!(io::stdout(), EnableBracketedPaste, EnableMouseCapture);
    let result = event_loop(&mut app, store, &mut terminal);
    let _ = execute!(io::stdout(), DisableBracketedPaste, DisableMouseCapture);
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
        let msg = match app.next_wake(clock::now()) {
            Some(wake) => {
                let wait = (wake - clock::now()).to_std().unwrap_or_default();
                if event::poll(wait)? {
                    to_msg(event::read()?)
                } else {
                    Some(Msg::Tick)
                }
            }
            None => to_msg(event::read()?),
        };
        let Some(msg) = msg else { continue };
        let mut effects = app.update(msg, clock::now());
        // Effects may answer with messages, which may bring effects of their own.
        while let Some(effect) = effects.pop() {
            // The app's own scheduler: applying a plan changes its retention, and an undo
            // replays the card's history with the schedule the app uses.
            let reply = perform(effect, store, app.scheduler());
            if let Some(reply) = reply {
                effects.extend(app.update(reply, clock::now()));
            }
        }
        terminal.draw(|frame| render(app, frame))?;
    }
    Ok(())
}

/// Rows one notch of the mouse wheel scrolls.
const WHEEL_ROWS: i16 = 3;

fn to_msg(event: Event) -> Option<Msg> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => Some(Msg::Key(key)),
        Event::Paste(text) => Some(Msg::Paste(text)),
        Event::Resize(..) => Some(Msg::Resize),
        Event::Mouse(mouse) => match mouse.kind {
            MouseEventKind::Down(MouseButton::Left) => Some(Msg::Click(mouse.column, mouse.row)),
            MouseEventKind::ScrollDown => Some(Msg::Scroll(WHEEL_ROWS)),
            MouseEventKind::ScrollUp => Some(Msg::Scroll(-WHEEL_ROWS)),
            _ => None,
        },
        _ => None,
    }
}

fn perform(effect: Effect, store: &mut Store, scheduler: &Scheduler) -> Option<Msg> {
    match effect {
        Effect::SaveReview {
            review,
            state,
            observed,
        } => Some(Msg::Saved(
            store
                .record_review_with(&review, &state, observed)
                .map_err(|e| e.to_string()),
        )),
        Effect::UndoLastReview => {
            let undone = store.undo_last(scheduler).and_then(|review| {
                review
                    .map(|r| {
                        let state = store.card_state(&r.item_id)?;
                        Ok((r, state))
                    })
                    .transpose()
            });
            Some(Msg::Undone(undone.map_err(|e| e.to_string())))
        }
        Effect::SetSuspended { item, suspended } => store
            .set_suspended(&item, suspended)
            .err()
            .map(|e| Msg::Failed(e.to_string())),
        Effect::Flag(item) => store
            .set_flagged(&item, true)
            .err()
            .map(|e| Msg::Failed(e.to_string())),
        Effect::SaveLabResult(result) => store
            .record_lab_result(&result)
            .err()
            .map(|e| Msg::Failed(e.to_string())),
        Effect::SaveLabCommand { lab_id, command } => store
            .record_lab_command(&lab_id, &command, crate::tui::app::HISTORY_MAX)
            .err()
            .map(|e| Msg::Failed(e.to_string())),
        Effect::LoadStats { day_start_hour } => {
            let now = clock::now();
            let day_start = clock::study_day_start(now, day_start_hour);
            let figures = crate::shell::workspace::store_figures(store, now, day_start)
                .map_err(|e| e.to_string());
            Some(Msg::StatsLoaded(figures, day_start))
        }
        Effect::SavePlan(plan) => store
            .save_plan(&plan)
            .err()
            .map(|e| Msg::Failed(e.to_string())),
    }
}
