//! Key bindings as data: one table per screen and step. Dispatch, the hint bar and the help
//! overlay all read these tables, so what the screen says can never drift from what keys do.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::srs::scheduler::Rating;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    StartSelected,
    StartAll,
    ToggleTags,
    ToggleInterview,
    Labs,
    Reveal,
    Newline,
    ToggleThink,
    SayTrue,
    SayFalse,
    Sure,
    Unsure,
    Pick(usize),
    Grade(Rating),
    AcceptSuggestion,
    Undo,
    Suspend,
    Flag,
    EditHint,
    RetryMisses,
    Finder,
    Stats,
    ToggleScheduling,
    TogglePause,
    Faster,
    Step,
    NextHint,
    Restart,
    /// Complete the console line.
    Complete,
    /// Move the focus to the next pane.
    FocusNext,
    /// End a lab run as not passed.
    GiveUp,
    Settings,
    NextField,
    ApplyPlan,
    /// Open the list's filter line.
    Filter,
    Help,
    Yes,
    No,
    Back,
    Quit,
    ForceQuit,
}

#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
    pub action: Action,
    /// Key label in the hint bar and help; bindings sharing a label are shown once.
    pub label: &'static str,
    pub help: &'static str,
    /// Shown in the hint bar (everything is shown in the help overlay).
    pub hint: bool,
}

const fn key(code: KeyCode, action: Action, label: &'static str, help: &'static str) -> Binding {
    Binding {
        code,
        modifiers: KeyModifiers::NONE,
        action,
        label,
        help,
        hint: true,
    }
}

const fn quiet(binding: Binding) -> Binding {
    Binding {
        hint: false,
        ..binding
    }
}

const fn ctrl(c: char, action: Action, label: &'static str, help: &'static str) -> Binding {
    Binding {
        code: KeyCode::Char(c),
        modifiers: KeyModifiers::CONTROL,
        action,
        label,
        help,
        hint: true,
    }
}

const FORCE_QUIT: Binding = quiet(ctrl('c', Action::ForceQuit, "ctrl-c", "quit"));
const HELP: Binding = key(KeyCode::Char('?'), Action::Help, "?", "help");
/// While typing, `?` is text: help moves to F1.
const HELP_F1: Binding = key(KeyCode::F(1), Action::Help, "f1", "help");

// Paging and jumping in a list (home's decks and tags, the labs), shared by both tables.
const LIST_PAGE_DOWN: Binding = quiet(key(
    KeyCode::PageDown,
    Action::PageDown,
    "PgUp/PgDn",
    "a page down / up",
));
const LIST_PAGE_UP: Binding = quiet(key(
    KeyCode::PageUp,
    Action::PageUp,
    "PgUp/PgDn",
    "a page down / up",
));
const LIST_HOME: Binding = quiet(key(KeyCode::Home, Action::Top, "g/G", "first / last row"));
const LIST_FIRST: Binding = quiet(key(
    KeyCode::Char('g'),
    Action::Top,
    "g/G",
    "first / last row",
));
const LIST_END: Binding = quiet(key(KeyCode::End, Action::Bottom, "g/G", "first / last row"));
const LIST_LAST: Binding = quiet(key(
    KeyCode::Char('G'),
    Action::Bottom,
    "g/G",
    "first / last row",
));

pub const HOME: &[Binding] = &[
    quiet(key(KeyCode::Down, Action::Down, "↓/j", "next row")),
    LIST_PAGE_DOWN,
    LIST_PAGE_UP,
    LIST_HOME,
    LIST_FIRST,
    LIST_END,
    LIST_LAST,
    key(KeyCode::Char('j'), Action::Down, "↓/j", "next row"),
    quiet(key(KeyCode::Up, Action::Up, "↑/k", "previous row")),
    key(KeyCode::Char('k'), Action::Up, "↑/k", "previous row"),
    // The screen's entries row shows these (and takes clicks); the hint bar keeps the rest.
    quiet(key(KeyCode::Enter, Action::StartSelected, "enter", "drill")),
    key(KeyCode::Char('a'), Action::StartAll, "a", "all decks"),
    quiet(key(
        KeyCode::Char('t'),
        Action::ToggleTags,
        "t",
        "decks / tags",
    )),
    quiet(key(
        KeyCode::Char('i'),
        Action::ToggleInterview,
        "i",
        "interview mode",
    )),
    quiet(key(KeyCode::Char('/'), Action::Finder, "/", "find cards")),
    quiet(key(KeyCode::Char('s'), Action::Stats, "s", "stats")),
    quiet(key(
        KeyCode::Char('p'),
        Action::Settings,
        "p",
        "settings & plan",
    )),
    quiet(key(KeyCode::Char('l'), Action::Labs, "l", "labs")),
    // Quiet: the list's title offers it.
    quiet(key(
        KeyCode::Char('f'),
        Action::Filter,
        "f",
        "filter the list",
    )),
    // With a filter in force, esc clears it; without one, it does nothing here.
    quiet(key(KeyCode::Esc, Action::Back, "esc", "clear the filter")),
    HELP,
    key(KeyCode::Char('q'), Action::Quit, "q", "quit"),
    FORCE_QUIT,
];

/// Typing an answer: printable keys go into the answer; only these keys act.
pub const ANSWERING: &[Binding] = &[
    key(KeyCode::Enter, Action::Reveal, "enter", "submit"),
    Binding {
        modifiers: KeyModifiers::ALT,
        ..key(KeyCode::Enter, Action::Newline, "alt-enter", "new line")
    },
    quiet(ctrl('j', Action::Newline, "alt-enter", "new line")),
    key(KeyCode::Tab, Action::ToggleThink, "tab", "think mode"),
    quiet(ctrl('z', Action::Undo, "ctrl-z", "undo last grade")),
    key(KeyCode::Esc, Action::Back, "esc", "home"),
    HELP_F1,
    FORCE_QUIT,
];

/// Picking a choice option: letters, never the grade digits, so a double tap cannot pick and
/// then grade.
pub const CHOOSING: &[Binding] = &[
    key(KeyCode::Char('a'), Action::Pick(1), "a-h", "pick an option"),
    quiet(key(KeyCode::Char('b'), Action::Pick(2), "a-h", "pick")),
    quiet(key(KeyCode::Char('c'), Action::Pick(3), "a-h", "pick")),
    quiet(key(KeyCode::Char('d'), Action::Pick(4), "a-h", "pick")),
    quiet(key(KeyCode::Char('e'), Action::Pick(5), "a-h", "pick")),
    quiet(key(KeyCode::Char('f'), Action::Pick(6), "a-h", "pick")),
    quiet(key(KeyCode::Char('g'), Action::Pick(7), "a-h", "pick")),
    quiet(key(KeyCode::Char('h'), Action::Pick(8), "a-h", "pick")),
    quiet(ctrl('z', Action::Undo, "ctrl-z", "undo last grade")),
    key(KeyCode::Esc, Action::Back, "esc", "home"),
    HELP,
    FORCE_QUIT,
];

pub const VERDICT: &[Binding] = &[
    key(KeyCode::Char('t'), Action::SayTrue, "t", "true"),
    key(KeyCode::Char('f'), Action::SayFalse, "f", "myth"),
    quiet(ctrl('z', Action::Undo, "ctrl-z", "undo last grade")),
    key(KeyCode::Esc, Action::Back, "esc", "home"),
    HELP,
    FORCE_QUIT,
];

pub const CONFIDENCE: &[Binding] = &[
    key(KeyCode::Char('s'), Action::Sure, "s", "sure"),
    key(KeyCode::Char('u'), Action::Unsure, "u", "unsure"),
    key(KeyCode::Esc, Action::Back, "esc", "home"),
    HELP,
    FORCE_QUIT,
];

pub const SPEAKING: &[Binding] = &[
    key(KeyCode::Enter, Action::Reveal, "enter", "done speaking"),
    key(KeyCode::Esc, Action::Back, "esc", "home"),
    HELP,
    FORCE_QUIT,
];

pub const FOLLOW_UP: &[Binding] = &[
    key(
        KeyCode::Enter,
        Action::Reveal,
        "enter",
        "show answer / next",
    ),
    key(KeyCode::Esc, Action::Back, "esc", "home"),
    HELP,
    FORCE_QUIT,
];

pub const REVEALED: &[Binding] = &[
    quiet(key(KeyCode::Char('/'), Action::Finder, "/", "find cards")),
    key(
        KeyCode::Char('1'),
        Action::Grade(Rating::Again),
        "1",
        "again",
    ),
    key(KeyCode::Char('2'), Action::Grade(Rating::Hard), "2", "hard"),
    key(KeyCode::Char('3'), Action::Grade(Rating::Good), "3", "good"),
    key(KeyCode::Char('4'), Action::Grade(Rating::Easy), "4", "easy"),
    key(
        KeyCode::Enter,
        Action::AcceptSuggestion,
        "enter",
        "take the suggested grade",
    ),
    key(KeyCode::Char('u'), Action::Undo, "u", "undo last"),
    quiet(ctrl('z', Action::Undo, "u", "undo last")),
    // Quiet: the answer box's title names these keys whenever there is more to scroll to.
    quiet(key(
        KeyCode::Down,
        Action::Down,
        "↑↓ PgUp PgDn",
        "scroll the answer",
    )),
    quiet(key(
        KeyCode::Char('j'),
        Action::Down,
        "↑↓ PgUp PgDn",
        "scroll the answer",
    )),
    quiet(key(
        KeyCode::Up,
        Action::Up,
        "↑↓ PgUp PgDn",
        "scroll the answer",
    )),
    quiet(key(
        KeyCode::Char('k'),
        Action::Up,
        "↑↓ PgUp PgDn",
        "scroll the answer",
    )),
    quiet(key(
        KeyCode::PageDown,
        Action::PageDown,
        "↑↓ PgUp PgDn",
        "scroll the answer",
    )),
    quiet(key(
        KeyCode::PageUp,
        Action::PageUp,
        "↑↓ PgUp PgDn",
        "scroll the answer",
    )),
    quiet(key(
        KeyCode::Home,
        Action::Top,
        "home/end",
        "top / end of the answer",
    )),
    quiet(key(
        KeyCode::End,
        Action::Bottom,
        "home/end",
        "top / end of the answer",
    )),
    quiet(key(
        KeyCode::Char('x'),
        Action::Suspend,
        "x",
        "suspend this card",
    )),
    quiet(key(KeyCode::Char('!'), Action::Flag, "!", "flag this card")),
    quiet(key(
        KeyCode::Char('e'),
        Action::EditHint,
        "e",
        "where to edit this card",
    )),
    key(KeyCode::Esc, Action::Back, "esc", "home"),
    HELP,
    key(KeyCode::Char('q'), Action::Quit, "q", "quit"),
    FORCE_QUIT,
];

pub const FINISHED: &[Binding] = &[
    key(KeyCode::Enter, Action::Reveal, "enter", "summary"),
    key(KeyCode::Esc, Action::Back, "esc", "home"),
    key(KeyCode::Char('q'), Action::Quit, "q", "quit"),
    FORCE_QUIT,
];

pub const SUMMARY: &[Binding] = &[
    quiet(key(KeyCode::Char('/'), Action::Finder, "/", "find cards")),
    key(
        KeyCode::Char('r'),
        Action::RetryMisses,
        "r",
        "drill the misses again",
    ),
    key(KeyCode::Enter, Action::Back, "enter/esc", "home"),
    quiet(key(KeyCode::Esc, Action::Back, "enter/esc", "home")),
    HELP,
    key(KeyCode::Char('q'), Action::Quit, "q", "quit"),
    FORCE_QUIT,
];

pub const SETTINGS: &[Binding] = &[
    key(KeyCode::Tab, Action::NextField, "tab", "next field"),
    key(KeyCode::Enter, Action::Reveal, "enter", "plan"),
    key(KeyCode::Char('a'), Action::ApplyPlan, "a", "apply the plan"),
    key(KeyCode::Esc, Action::Back, "esc", "home"),
    HELP_F1,
    FORCE_QUIT,
];

pub const STATS: &[Binding] = &[
    // Quiet: the deck table's title names these keys whenever there is more to scroll to.
    quiet(key(
        KeyCode::Down,
        Action::Down,
        "↑↓ PgUp PgDn",
        "scroll the decks",
    )),
    quiet(key(
        KeyCode::Up,
        Action::Up,
        "↑↓ PgUp PgDn",
        "scroll the decks",
    )),
    quiet(key(
        KeyCode::Char('j'),
        Action::Down,
        "↑↓ PgUp PgDn",
        "scroll the decks",
    )),
    quiet(key(
        KeyCode::Char('k'),
        Action::Up,
        "↑↓ PgUp PgDn",
        "scroll the decks",
    )),
    LIST_PAGE_DOWN,
    LIST_PAGE_UP,
    LIST_HOME,
    LIST_FIRST,
    LIST_END,
    LIST_LAST,
    key(KeyCode::Esc, Action::Back, "esc", "home"),
    key(KeyCode::Char('/'), Action::Finder, "/", "find cards"),
    HELP,
    key(KeyCode::Char('q'), Action::Quit, "q", "quit"),
    FORCE_QUIT,
];

/// The filter line of a list is open: printable keys go into the filter; only these keys act.
pub const FILTERING: &[Binding] = &[
    key(
        KeyCode::Enter,
        Action::StartSelected,
        "enter",
        "start the selected row",
    ),
    quiet(key(KeyCode::Down, Action::Down, "↑/↓", "move")),
    key(KeyCode::Up, Action::Up, "↑/↓", "move"),
    LIST_PAGE_DOWN,
    LIST_PAGE_UP,
    LIST_HOME,
    LIST_END,
    key(KeyCode::Esc, Action::Back, "esc", "clear the filter"),
    HELP_F1,
    FORCE_QUIT,
];

/// The finder reads its own keys (typing is the query); this table documents them and keeps
/// ctrl-c and help working.
pub const FINDER: &[Binding] = &[
    key(KeyCode::Enter, Action::Reveal, "enter", "drill these"),
    ctrl(
        's',
        Action::ToggleScheduling,
        "ctrl-s",
        "count grades for scheduling (on/off)",
    ),
    key(KeyCode::Tab, Action::NextField, "tab", "mark"),
    quiet(key(KeyCode::Up, Action::Up, "↑/↓", "move")),
    key(KeyCode::Down, Action::Down, "↑/↓", "move"),
    quiet(key(
        KeyCode::PageDown,
        Action::PageDown,
        "PgUp/PgDn",
        "a page down / up",
    )),
    quiet(key(
        KeyCode::PageUp,
        Action::PageUp,
        "PgUp/PgDn",
        "a page down / up",
    )),
    quiet(key(
        KeyCode::Home,
        Action::Top,
        "home/end",
        "first / last result",
    )),
    quiet(key(
        KeyCode::End,
        Action::Bottom,
        "home/end",
        "first / last result",
    )),
    key(KeyCode::Esc, Action::Back, "esc", "back"),
    HELP_F1,
    FORCE_QUIT,
];

pub const LAB_LIST: &[Binding] = &[
    quiet(key(KeyCode::Down, Action::Down, "↓/j", "next lab")),
    key(KeyCode::Char('j'), Action::Down, "↓/j", "next lab"),
    quiet(key(KeyCode::Up, Action::Up, "↑/k", "previous lab")),
    key(KeyCode::Char('k'), Action::Up, "↑/k", "previous lab"),
    LIST_PAGE_DOWN,
    LIST_PAGE_UP,
    LIST_HOME,
    LIST_FIRST,
    LIST_END,
    LIST_LAST,
    key(KeyCode::Enter, Action::StartSelected, "enter", "start"),
    quiet(key(
        KeyCode::Char('f'),
        Action::Filter,
        "f",
        "filter the list",
    )),
    key(KeyCode::Esc, Action::Back, "esc", "home"),
    HELP,
    key(KeyCode::Char('q'), Action::Quit, "q", "quit"),
    FORCE_QUIT,
];

/// The lab screen: typing is the console line; the clock has control keys.
pub const LAB: &[Binding] = &[
    key(
        KeyCode::Enter,
        Action::Reveal,
        "enter",
        "run (empty line: start)",
    ),
    ctrl('p', Action::TogglePause, "ctrl-p", "start/pause"),
    ctrl('f', Action::Faster, "ctrl-f", "1x/10x/60x"),
    key(KeyCode::Tab, Action::Complete, "tab", "complete"),
    key(KeyCode::PageUp, Action::PageUp, "PgUp/PgDn", "scroll"),
    quiet(key(
        KeyCode::PageDown,
        Action::PageDown,
        "PgUp/PgDn",
        "scroll",
    )),
    key(KeyCode::F(3), Action::FocusNext, "f3", "next pane"),
    key(KeyCode::F(2), Action::NextHint, "f2", "hint"),
    quiet(key(
        KeyCode::Up,
        Action::Up,
        "↑/↓",
        "command history (in other panes: scroll)",
    )),
    quiet(key(
        KeyCode::Down,
        Action::Down,
        "↑/↓",
        "command history (in other panes: scroll)",
    )),
    quiet(Binding {
        modifiers: KeyModifiers::CONTROL,
        ..key(
            KeyCode::Home,
            Action::Top,
            "ctrl-home/end",
            "top / end of the pane (end: follow)",
        )
    }),
    quiet(Binding {
        modifiers: KeyModifiers::CONTROL,
        ..key(
            KeyCode::End,
            Action::Bottom,
            "ctrl-home/end",
            "top / end of the pane (end: follow)",
        )
    }),
    quiet(ctrl('n', Action::Step, "ctrl-n", "step 10 s")),
    quiet(ctrl(
        'g',
        Action::GiveUp,
        "ctrl-g",
        "give up (the run ends, not passed)",
    )),
    quiet(ctrl(
        'r',
        Action::Restart,
        "ctrl-r",
        "run again from the start",
    )),
    key(KeyCode::Esc, Action::Back, "esc", "labs (the run waits)"),
    HELP_F1,
    FORCE_QUIT,
];

pub const CONFIRM: &[Binding] = &[
    key(
        KeyCode::Char('y'),
        Action::Yes,
        "y",
        "yes, discard the answer",
    ),
    key(KeyCode::Char('n'), Action::No, "n/esc", "no, keep it"),
    quiet(key(KeyCode::Esc, Action::No, "n/esc", "no, keep it")),
    quiet(ctrl('c', Action::Yes, "ctrl-c", "yes")),
];

pub fn lookup(bindings: &[Binding], event: &KeyEvent) -> Option<Action> {
    // Shift is part of the character itself for printable keys.
    let modifiers = event.modifiers - KeyModifiers::SHIFT;
    bindings
        .iter()
        .find(|b| b.code == event.code && b.modifiers == modifiers)
        .map(|b| b.action)
}

/// (label, help) pairs for the hint bar, one per distinct label, in table order.
pub fn hints(bindings: &[Binding]) -> Vec<(&'static str, &'static str)> {
    distinct(bindings.iter().filter(|b| b.hint))
}

/// Every binding, one line per distinct label, for the help overlay.
pub fn help_lines(bindings: &[Binding]) -> Vec<(&'static str, &'static str)> {
    distinct(bindings.iter())
}

fn distinct<'a>(bindings: impl Iterator<Item = &'a Binding>) -> Vec<(&'static str, &'static str)> {
    let mut lines: Vec<(&str, &str)> = Vec::new();
    for binding in bindings {
        if !lines.iter().any(|(label, _)| *label == binding.label) {
            lines.push((binding.label, binding.help));
        }
    }
    lines
}

/// Rows a page key moves in a list before a frame says how many rows show.
pub const PAGE_ROWS: usize = 10;

/// The row a list moves to from `selected` (of `len`) on `action`: up and down wrap around,
/// page keys (`page` rows, at least one) and first/last stop at the ends. Other actions leave
/// it where it is.
pub fn list_move(selected: usize, len: usize, action: Action, page: usize) -> usize {
    if len == 0 {
        return 0;
    }
    let last = len - 1;
    match action {
        Action::Down => (selected + 1) % len,
        Action::Up => (selected + len - 1) % len,
        Action::PageDown => (selected + page.max(1)).min(last),
        Action::PageUp => selected.saturating_sub(page.max(1)),
        Action::Top => 0,
        Action::Bottom => last,
        _ => selected.min(last),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No table binds one key to two actions: the first would silently win.
    #[test]
    fn no_key_is_bound_twice_in_a_table() {
        for table in [
            HOME, ANSWERING, CHOOSING, VERDICT, CONFIDENCE, SPEAKING, FOLLOW_UP, REVEALED,
            FINISHED, SUMMARY, SETTINGS, STATS, FINDER, LAB_LIST, LAB, CONFIRM, FILTERING,
        ] {
            for (i, a) in table.iter().enumerate() {
                for b in &table[i + 1..] {
                    assert!(
                        !(a.code == b.code && a.modifiers == b.modifiers),
                        "{:?} bound twice ({} / {})",
                        a.code,
                        a.help,
                        b.help
                    );
                }
            }
        }
    }

    #[test]
    fn lists_wrap_by_row_and_stop_at_the_ends_by_page() {
        assert_eq!(list_move(0, 89, Action::Up, PAGE_ROWS), 88);
        assert_eq!(list_move(88, 89, Action::Down, PAGE_ROWS), 0);
        assert_eq!(list_move(0, 89, Action::PageDown, PAGE_ROWS), PAGE_ROWS);
        assert_eq!(list_move(85, 89, Action::PageDown, PAGE_ROWS), 88);
        assert_eq!(list_move(5, 89, Action::PageUp, PAGE_ROWS), 0);
        assert_eq!(list_move(40, 89, Action::Bottom, PAGE_ROWS), 88);
        assert_eq!(list_move(40, 89, Action::Top, PAGE_ROWS), 0);
        assert_eq!(list_move(3, 0, Action::Down, PAGE_ROWS), 0);
        assert_eq!(list_move(7, 3, Action::Reveal, PAGE_ROWS), 2);
        // A page is what the last frame showed, and at least one row.
        assert_eq!(list_move(0, 89, Action::PageDown, 17), 17);
        assert_eq!(list_move(20, 89, Action::PageUp, 0), 19);
    }
}
