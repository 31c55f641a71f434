//! Drawing: a pure function of the app state.

use chrono::Duration;
use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Style, Stylize};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Cell, Clear, Gauge, Paragraph, Row, Table, TableState, Wrap};

use super::app::{App, Confirm, Drill, HomeList, ListRow, Screen, Step, summarize, uses_text};
use super::keys::{self, Binding};
use super::scroll;
use super::theme::Theme;
use crate::deck::CardBody;
use crate::grading::Assessment;
use crate::grading::rubric::{Evidence, PointResult};
use crate::srs::scheduler::{Rating, format_delay};
use crate::srs::session::Phase;

use super::too_small::render_too_small;
pub use super::too_small::{HEIGHT_MIN, WIDTH_MIN};

pub fn render(app: &App, frame: &mut Frame) {
    app.hitboxes.borrow_mut().clear();
    let area = frame.area();
    if area.width < WIDTH_MIN || area.height < HEIGHT_MIN {
        render_too_small(frame, area);
        return;
    }
    let theme = &app.theme;
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let mut title = vec![
        Span::styled(" streamdrill ", theme.selected),
        Span::from("  Kafka vs Kinesis interview drills"),
    ];
    if app.interview_mode {
        title.push(Span::styled("  [interview mode]", theme.accent));
    }
    frame.render_widget(Line::from(title), header);
    match app.screen {
        Screen::Home => render_home(app, frame, body),
        Screen::Drill => {
            if let Some(drill) = &app.drill {
                let changed = drill
                    .session
                    .current()
                    .is_some_and(|item| app.is_changed(&item.id));
                render_drill(drill, changed, app, frame, body);
            }
        }
        Screen::Summary => render_summary(app, frame, body),
        Screen::Settings => render_settings(app, frame, body),
        Screen::Stats => match &app.stats {
            None => frame.render_widget(Paragraph::new(" Loading stats…"), body),
            Some(Err(message)) => frame.render_widget(
                Paragraph::new(format!(" Could not load stats: {message}")).style(theme.bad),
                body,
            ),
            Some(Ok(stats)) => {
                super::stats_view::render(stats, theme.colors, &app.stats_scroll, frame, body);
            }
        },
        Screen::Labs => super::lab_view::render_list(app, frame, body),
        Screen::Lab => {
            if let Some(lab) = &app.lab {
                super::lab_view::render_lab(lab, theme, frame, body);
            }
        }
        Screen::Finder => {
            if let Some(finder) = &app.finder {
                let [mode, list] =
                    Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(body);
                frame.render_widget(
                    Line::styled(
                        if app.finder_schedules {
                            " Grades in this drill count for scheduling (ctrl-s: practice only)"
                        } else {
                            " Practice: grades in this drill do not change scheduling (ctrl-s: count them)"
                        },
                        theme.muted,
                    ),
                    mode,
                );
                finder.render(theme.colors, frame, list);
            }
        }
    }
    render_hints(app.keymap(), theme, frame, footer);
    if app.help {
        render_help(app.keymap(), theme, frame, body);
    }
    if let Some(confirm) = app.confirm {
        render_confirm(confirm, theme, frame, body);
    }
}

/// The hints that fit the width; when some do not, the last place goes to the help key, so
/// every other key stays one press away.
/// A key and what it does, as hint rows show them: ` q `  ` quit  ` (the last space a gap).
fn key_hint(label: &str, help: &str, theme: &Theme) -> [Span<'static>; 2] {
    [
        Span::styled(format!(" {label} "), theme.key),
        Span::from(format!(" {help}  ")),
    ]
}

fn render_hints(keymap: &[Binding], theme: &Theme, frame: &mut Frame, area: Rect) {
    let hint = |label: &str, help: &str| key_hint(label, help, theme);
    let all: Vec<[Span; 2]> = keys::hints(keymap)
        .into_iter()
        .map(|(label, help)| hint(label, help))
        .collect();
    let width = |pair: &[Span; 2]| pair[0].width() + pair[1].width();
    let available = usize::from(area.width);
    let mut spans = Vec::new();
    if all.iter().map(width).sum::<usize>() <= available {
        spans.extend(all.into_iter().flatten());
    } else {
        let help_label = keymap
            .iter()
            .find(|b| b.action == keys::Action::Help)
            .map_or("?", |b| b.label);
        let more = hint(help_label, "more keys");
        let mut used = width(&more);
        for pair in all {
            used += width(&pair);
            if used > available {
                break;
            }
            spans.extend(pair);
        }
        spans.extend(more);
    }
    frame.render_widget(Line::from(spans), area);
}

fn popup(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [popup] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    popup
}

fn render_help(keymap: &[Binding], theme: &Theme, frame: &mut Frame, area: Rect) {
    let entries = keys::help_lines(keymap);
    let label_width = entries
        .iter()
        .map(|(label, _)| label.chars().count())
        .max()
        .unwrap_or(0)
        .max(9);
    let lines: Vec<Line> = entries
        .iter()
        .map(|(label, help)| {
            Line::from(vec![
                Span::styled(format!(" {label:>label_width$} "), theme.key),
                Span::from(format!("  {help}")),
            ])
        })
        .collect();
    // As wide as the longest entry (within the screen); an entry wider than that wraps.
    let widest = lines.iter().map(Line::width).max().unwrap_or(0);
    let width = u16::try_from(widest + 2)
        .unwrap_or(u16::MAX)
        .clamp(30, area.width);
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    let height = u16::try_from(paragraph.line_count(width.saturating_sub(2)))
        .unwrap_or(u16::MAX)
        .saturating_add(2);
    let area = popup(area, width, height);
    frame.render_widget(Clear, area);
    frame.render_widget(
        paragraph.block(Block::bordered().title(" Keys (any key closes) ")),
        area,
    );
}

fn render_confirm(confirm: Confirm, theme: &Theme, frame: &mut Frame, area: Rect) {
    let question = match confirm {
        Confirm::Quit => "Quit and lose the answer you typed?",
        Confirm::Leave => "Leave the drill and lose the answer you typed?",
    };
    let area = popup(area, 52, 4);
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(vec![
            Line::from(question),
            Line::from(vec![
                Span::styled(" y ", theme.key),
                Span::from(" yes   "),
                Span::styled(" n ", theme.key),
                Span::from(" no, keep typing"),
            ]),
        ])
        .block(Block::bordered().title(" Discard? ").style(theme.warn)),
        area,
    );
}

/// Share of a group's items seen at least once.
fn learned(cards: usize, new: usize) -> String {
    if cards == 0 {
        "—".to_owned()
    } else {
        format!("{:.0}%", (cards - new) as f64 * 100.0 / cards as f64)
    }
}

/// A home-list row: the name, due, new, cards, learned, then any further cells.
fn count_row(
    name: Cell<'_>,
    due: usize,
    new: usize,
    cards: usize,
    more: Option<String>,
) -> Row<'_> {
    let mut cells = vec![
        name,
        Cell::from(due.to_string()),
        Cell::from(new.to_string()),
        Cell::from(cards.to_string()),
        Cell::from(learned(cards, new)),
    ];
    cells.extend(more.map(Cell::from));
    Row::new(cells)
}

/// Column widths of [`count_row`]s, with room for `more` extra cells of `width`.
fn count_widths(more: Option<u16>) -> Vec<Constraint> {
    let mut widths = vec![
        Constraint::Min(20),
        Constraint::Length(5),
        Constraint::Length(5),
        Constraint::Length(6),
        Constraint::Length(8),
    ];
    widths.extend(more.map(Constraint::Length));
    widths
}

fn deck_table<'a>(app: &App, rows: &[ListRow]) -> Table<'a> {
    let lab_cell = |(passed, total): (usize, usize)| {
        if total == 0 {
            String::new()
        } else {
            format!("{passed}/{total}")
        }
    };
    let rows = rows.iter().filter_map(|row| match *row {
        ListRow::All => Some(count_row(
            Cell::from("All decks").bold(),
            app.decks.iter().map(|d| d.due).sum(),
            app.decks.iter().map(|d| d.new).sum(),
            app.decks.iter().map(|d| d.cards).sum(),
            Some(lab_cell(app.labs_passed(None))),
        )),
        ListRow::Deck(i) => app.decks.get(i).map(|d| {
            count_row(
                Cell::from(d.title.clone()),
                d.due,
                d.new,
                d.cards,
                Some(lab_cell(app.labs_passed(Some(&d.id)))),
            )
        }),
        ListRow::Tag(_) => None,
    });
    Table::new(rows, count_widths(Some(5)))
        .header(Row::new(vec!["Deck", "Due", "New", "Cards", "Learned", "Labs"]).underlined())
        .block(Block::bordered().title(format!(" Decks · t: tags{} ", app.home_filter.title())))
}

fn tag_table<'a>(app: &App, rows: &[ListRow]) -> Table<'a> {
    let rows = rows.iter().filter_map(|row| match *row {
        ListRow::Tag(i) => app.tags.get(i).map(|t| {
            count_row(
                Cell::from(format!("#{}", t.tag)),
                t.due,
                t.new,
                t.cards,
                None,
            )
        }),
        ListRow::All | ListRow::Deck(_) => None,
    });
    Table::new(rows, count_widths(None))
        .header(Row::new(vec!["Tag", "Due", "New", "Cards", "Learned"]).underlined())
        .block(Block::bordered().title(format!(" Tags · t: decks{} ", app.home_filter.title())))
}

/// What the home screen offers, in the order shown; labels come from the key table.
const HOME_ENTRIES: [keys::Action; 7] = [
    keys::Action::StartSelected,
    keys::Action::Finder,
    keys::Action::Stats,
    keys::Action::Labs,
    keys::Action::Settings,
    keys::Action::ToggleTags,
    keys::Action::ToggleInterview,
];

/// The home screen's entries as a clickable row: `enter drill  / find cards  s stats ...`.
fn render_home_entries(app: &App, frame: &mut Frame, area: Rect) {
    let mut spans = vec![Span::from(" ")];
    let mut x = area.x + 1;
    let mut hitboxes = app.hitboxes.borrow_mut();
    for action in HOME_ENTRIES {
        let Some(binding) = keys::HOME.iter().find(|b| b.action == action) else {
            continue;
        };
        let hint = key_hint(binding.label, binding.help, &app.theme);
        // The entry itself, without the gap after it.
        let width = u16::try_from(hint[0].width() + hint[1].width() - 1).unwrap_or(u16::MAX);
        if x.saturating_add(width) > area.right() {
            break;
        }
        hitboxes.push((
            Rect::new(x, area.y, width, 1),
            super::app::Click::HomeEntry(action),
        ));
        x += width + 1;
        spans.extend(hint);
    }
    frame.render_widget(Line::from(spans), area);
}

/// Today's progress toward the day's reviews, with the streak and what is due and new.
fn render_today_gauge(app: &App, frame: &mut Frame, gauge_area: Rect) {
    let theme = &app.theme;
    let total_due: usize = app.decks.iter().map(|d| d.due).sum();
    let total_new: usize = app.decks.iter().map(|d| d.new).sum();
    let done = app.reviewed_today();
    let goal = done + total_due + app.new_left_today().min(total_new);
    let ratio = if goal == 0 {
        1.0
    } else {
        done as f64 / goal as f64
    };
    frame.render_widget(
        Gauge::default()
            .ratio(ratio.clamp(0.0, 1.0))
            .label(format!(
                "today {done}/{goal} · streak {} day(s) · {total_due} due, {total_new} new",
                app.streak_days
            ))
            .gauge_style(theme.accent),
        gauge_area.inner(ratatui::layout::Margin::new(1, 0)),
    );
}

/// The selected deck's title in full: a narrow table cuts long ones.
fn render_selected_deck(app: &App, rows: &[ListRow], frame: &mut Frame, area: Rect) {
    if let Some(ListRow::Deck(i)) = rows.get(app.selected)
        && let Some(deck) = app.decks.get(*i)
    {
        frame.render_widget(
            Line::styled(format!(" {}", deck.title), app.theme.muted),
            area,
        );
    }
}

fn render_home(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let problems_height = if app.problems.is_empty() {
        0
    } else {
        // Messages wrap; give each up to two lines, four problems at most.
        (app.problems.len().min(4) * 2 + 2) as u16
    };
    let status_height = u16::from(app.status.is_some());
    let [
        gauge_area,
        menu_area,
        list_area,
        detail_area,
        status_area,
        problems_area,
    ] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(status_height),
        Constraint::Length(problems_height),
    ])
    .areas(area);

    render_today_gauge(app, frame, gauge_area);
    render_home_entries(app, frame, menu_area);

    let rows = app.home_list_rows();
    render_selected_deck(app, &rows, frame, detail_area);
    let table = match app.home_list {
        HomeList::Decks => deck_table(app, &rows),
        HomeList::Tags => tag_table(app, &rows),
    }
    .row_highlight_style(theme.selected)
    .highlight_symbol("> ");
    let mut state = TableState::default().with_selected(Some(app.selected));
    frame.render_stateful_widget(table, list_area, &mut state);
    // Rows start below the border and the header row; the table may have scrolled.
    let first_row = list_area.y + 2;
    let visible = list_area.height.saturating_sub(3);
    app.list_page.set(usize::from(visible));
    // Below the header row, a scrollbar says where the rows in view sit in a longer list.
    let rows_area = Rect {
        y: list_area.y + 1,
        height: list_area.height.saturating_sub(1),
        ..list_area
    };
    scroll::render_scrollbar(
        frame,
        rows_area,
        u16::try_from(state.offset()).unwrap_or(u16::MAX),
        visible,
        u16::try_from(rows.len()).unwrap_or(u16::MAX),
        theme.muted,
    );
    let mut hitboxes = app.hitboxes.borrow_mut();
    let listed = rows.len().saturating_sub(state.offset());
    for line in 0..visible.min(u16::try_from(listed).unwrap_or(u16::MAX)) {
        let index = state.offset() + usize::from(line);
        let row = Rect::new(
            list_area.x + 1,
            first_row + line,
            list_area.width.saturating_sub(2),
            1,
        );
        hitboxes.push((row, super::app::Click::HomeRow(index)));
    }

    if let Some(status) = &app.status {
        frame.render_widget(
            Paragraph::new(format!(" {status}")).style(theme.muted),
            status_area,
        );
    }
    if !app.problems.is_empty() {
        let mut lines: Vec<Line> = app
            .problems
            .iter()
            .take(4)
            .map(|p| Line::from(p.to_string()))
            .collect();
        if app.problems.len() > 4 {
            lines.push(Line::from(format!("… and {} more", app.problems.len() - 4)));
        }
        let title = format!(
            " Skipped decks: {} problem(s), see `streamdrill deck check` ",
            app.problems.len()
        );
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .block(Block::bordered().title(title).border_style(theme.bad)),
            problems_area,
        );
    }
}

/// Rows `text` takes in a wrapping paragraph `width` columns wide.
fn wrapped_rows(text: &str, width: u16) -> usize {
    Paragraph::new(text)
        .wrap(Wrap { trim: false })
        .line_count(width.max(1))
}

fn clock(d: Duration) -> String {
    let seconds = d.num_seconds().max(0);
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

#[allow(clippy::too_many_lines)] // one screen, laid out top to bottom
fn render_drill(drill: &Drill, changed: bool, app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let now = app.now;
    let session = &drill.session;
    let Some(item) = session.current() else {
        frame.render_widget(
            Paragraph::new("Session complete. Enter shows the summary.")
                .block(Block::bordered().title(format!(" {} ", drill.title))),
            area,
        );
        return;
    };
    let (position, total) = session.position();
    let answering = matches!(session.phase(), Phase::Answering);
    let notice_height = u16::from(drill.notice.is_some() || drill.error.is_some());
    // Revealed, the typed answer is shown whole (up to a quarter of the screen) so its
    // highlighted rubric terms can be read next to the model answer.
    let answer_rows = wrapped_rows(session.answer(), area.width.saturating_sub(2))
        .clamp(1, usize::from((area.height / 4).max(1)));
    let answer_height = u16::try_from(answer_rows).unwrap_or(1) + 2;
    // Revealed, the prompt keeps the rows it needs (up to a quarter of the screen), so a long
    // question (a comparison cell's ask under its dimension) is not cut while grading.
    let prompt_rows = wrapped_rows(&item.prompt(), area.width.saturating_sub(2))
        .clamp(1, usize::from((area.height / 4).max(1)));
    let prompt_height = u16::try_from(prompt_rows).unwrap_or(1) + 2;
    let [clocks, prompt_area, input_area, reveal_area, notice_area] = Layout::vertical([
        Constraint::Length(1),
        if answering {
            Constraint::Min(3)
        } else {
            Constraint::Length(prompt_height)
        },
        Constraint::Length(if answering { 6 } else { answer_height }),
        Constraint::Fill(if answering { 0 } else { 3 }),
        Constraint::Length(notice_height),
    ])
    .areas(area);

    // Clocks: the card's countdown and the session's time box.
    let [card_clock, session_clock] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(clocks);
    let card_left = drill.card_remaining(now);
    let card_ratio = ratio(card_left, drill.card_limit);
    let card_style = if drill.over_time || card_ratio < 0.2 {
        theme.bad
    } else {
        theme.accent
    };
    let card_label = if drill.over_time {
        "card: over time".to_owned()
    } else if answering {
        format!("card {} left", clock(card_left))
    } else {
        "card: answered".to_owned()
    };
    frame.render_widget(
        Gauge::default()
            .ratio(if answering { card_ratio } else { 0.0 })
            .label(card_label)
            .gauge_style(card_style),
        card_clock,
    );
    let session_left = drill.session_remaining(now);
    frame.render_widget(
        Gauge::default()
            .ratio(ratio(session_left, drill.session_limit))
            .label(format!(
                "session {} left · {position}/{total}",
                clock(session_left)
            ))
            .gauge_style(theme.muted),
        session_clock,
    );

    let mut title = format!(" {} · {} · {}", drill.title, item.kind(), item.id);
    if changed {
        title.push_str(" · changed since last review");
    }
    if app.is_flagged(&item.id) {
        title.push_str(" · ! flagged");
    }
    if drill.mode == super::app::DrillMode::Cram {
        title.push_str(" · practice");
    }
    title.push(' ');
    frame.render_widget(
        Paragraph::new(item.prompt())
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(title)),
        prompt_area,
    );

    if answering {
        render_step(drill, theme, now, frame, input_area);
    } else {
        let answer = session.answer();
        let highlighted = match session.phase() {
            Phase::Revealed { assessment } => {
                highlight_evidence(answer, assessment.points(), theme)
            }
            _ => Text::from(answer.to_owned()),
        };
        frame.render_widget(
            Paragraph::new(highlighted)
                .wrap(Wrap { trim: false })
                .block(Block::bordered().title(" Your answer ")),
            input_area,
        );
        if let Phase::Revealed { assessment } = session.phase() {
            render_reveal(drill, assessment, app, frame, reveal_area);
        } else {
            frame.render_widget(Paragraph::new("Saving…"), reveal_area);
        }
    }
    if let Some(error) = &drill.error {
        frame.render_widget(Line::styled(error.as_str(), theme.bad), notice_area);
    } else if let Some(notice) = &drill.notice {
        frame.render_widget(Line::styled(notice.as_str(), theme.warn), notice_area);
    }
}

fn ratio(left: Duration, limit: Duration) -> f64 {
    let limit_ms = limit.num_milliseconds();
    if limit_ms <= 0 {
        return 0.0;
    }
    (left.num_milliseconds() as f64 / limit_ms as f64).clamp(0.0, 1.0)
}

fn render_step(
    drill: &Drill,
    theme: &Theme,
    now: chrono::DateTime<chrono::Utc>,
    frame: &mut Frame,
    area: Rect,
) {
    let block = |title: &str| Block::bordered().title(format!(" {title} "));
    let item = drill.session.current();
    let text: Text = match &drill.step {
        Step::Verdict => Text::from(vec![
            Line::from("Is the claim true, or a myth?"),
            Line::from(vec![
                Span::styled(" t ", theme.key),
                Span::from(" true    "),
                Span::styled(" f ", theme.key),
                Span::from(" myth"),
            ]),
        ]),
        Step::Confidence { said_true } => Text::from(vec![
            Line::from(format!(
                "You said: {}. How sure are you?",
                if *said_true { "true" } else { "myth" }
            )),
            Line::from(vec![
                Span::styled(" s ", theme.key),
                Span::from(" sure    "),
                Span::styled(" u ", theme.key),
                Span::from(" unsure"),
            ]),
        ]),
        Step::Speaking => Text::from(vec![
            Line::from("Answer out loud, as in the loop. Enter when you are done."),
            Line::styled(
                format!("speaking for {}", clock(now - drill.card_started)),
                theme.accent,
            ),
        ]),
        Step::FollowUp { index, shown } => {
            let follow_up = item.and_then(|i| match &i.card.body {
                CardBody::Question(q) => q.follow_ups.get(*index),
                _ => None,
            });
            let mut lines = vec![Line::styled(
                format!(
                    "Follow-up {}: {}",
                    index + 1,
                    follow_up.map_or("", |f| f.prompt.as_str())
                ),
                theme.accent,
            )];
            if *shown {
                lines.push(Line::from(
                    follow_up.map_or("", |f| f.answer.as_str()).to_owned(),
                ));
            } else {
                lines.push(Line::styled("Answer out loud, then enter.", theme.muted));
            }
            Text::from(lines)
        }
        Step::Typing | Step::Fix { .. }
            if item.is_some_and(|i| matches!(i.card.body, CardBody::Choice(_))) =>
        {
            Text::from("Press the letter of your pick (a-h).")
        }
        step if uses_text(step) && drill.think => Text::from(vec![
            Line::from("Think mode: answer in your head (or out loud)."),
            Line::styled("Enter reveals; tab goes back to typing.", theme.muted),
        ]),
        _ => {
            let mut text = Text::from(drill.input.text());
            let (line, _) = drill.input.cursor_line_column();
            // A visible cursor mark at the end of the cursor's line keeps the view pure.
            if line + 1 >= text.lines.len() {
                text.push_span(Span::styled("▏", theme.accent));
            }
            text
        }
    };
    let title = match &drill.step {
        Step::Fix { .. } => "What is the fix? (enter to reveal)",
        Step::Typing if item.is_some_and(|i| matches!(i.card.body, CardBody::Failure(_))) => {
            "What is the cause? (enter, then the fix)"
        }
        Step::Typing => "Your answer (enter to reveal, alt-enter new line, tab think mode)",
        Step::Verdict | Step::Confidence { .. } => "Your call",
        Step::Speaking => "Interview mode",
        Step::FollowUp { .. } => "Follow-ups",
    };
    frame.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: false })
            .block(block(title)),
        area,
    );
}

/// The learner's answer with exactly the words the scorer used marked: the evidence for a
/// named point highlighted, the words of a wrong claim in the "bad" style and crossed out (so
/// they differ from evidence without colour too).
fn highlight_evidence(answer: &str, points: &[PointResult], theme: &Theme) -> Text<'static> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Plain,
        Named,
        Wrong,
    }
    let mut marks = vec![Mark::Plain; answer.len()];
    for point in points {
        let mark = if point.contradicted() {
            Mark::Wrong
        } else {
            Mark::Named
        };
        // Words of one piece of evidence joined by punctuation alone (`min.insync.replicas`)
        // are marked as one run.
        let spans = point.spans();
        let joins = spans.windows(2).filter_map(|pair| {
            let gap = pair[0].end..pair[1].start;
            let joined = answer
                .get(gap.clone())
                .is_some_and(|g| !g.is_empty() && !g.contains(char::is_whitespace));
            joined.then_some(gap)
        });
        let runs: Vec<std::ops::Range<usize>> = spans.iter().cloned().chain(joins).collect();
        for span in runs {
            for m in marks.get_mut(span).into_iter().flatten() {
                // A wrong claim shows through evidence that overlaps it.
                if *m != Mark::Wrong {
                    *m = mark;
                }
            }
        }
    }
    let style = |mark: Mark| match mark {
        Mark::Plain => Style::new(),
        Mark::Named => theme.highlight,
        Mark::Wrong => theme
            .bad
            .add_modifier(ratatui::style::Modifier::CROSSED_OUT),
    };
    let mut lines = vec![Line::default()];
    let mut offset = 0;
    for (n, text_line) in answer.split('\n').enumerate() {
        if n > 0 {
            lines.push(Line::default());
        }
        let mut run_start = 0;
        let chars: Vec<(usize, char)> = text_line.char_indices().collect();
        for (k, &(i, _)) in chars.iter().enumerate() {
            let next = chars.get(k + 1).map_or(text_line.len(), |(j, _)| *j);
            let here = marks.get(offset + i).copied().unwrap_or(Mark::Plain);
            let after = marks.get(offset + next).copied().unwrap_or(Mark::Plain);
            if next == text_line.len() || here != after {
                if let Some(line) = lines.last_mut() {
                    line.push_span(Span::styled(
                        text_line[run_start..next].to_owned(),
                        style(here),
                    ));
                }
                run_start = next;
            }
        }
        offset += text_line.len() + 1;
    }
    Text::from(lines)
}

/// The rubric under the model answer: per point what the answer said for it, the wrong claim it
/// made, or that it was not named. In interview mode the spoken answer was not heard, so the
/// rubric is a checklist to grade oneself against.
fn rubric_lines(points: &[PointResult], interview: bool, theme: &Theme) -> Vec<Line<'static>> {
    let hits = points.iter().filter(|p| p.hit()).count();
    let wrong = points.iter().filter(|p| p.contradicted()).count();
    let heading = if interview {
        format!(
            "Self-grade against this checklist: which did you say? ({} points)",
            points.len()
        )
    } else if wrong > 0 {
        format!(
            "Rubric: {hits}/{} named, {wrong} contradicted",
            points.len()
        )
    } else {
        format!("Rubric: {hits}/{} named", points.len())
    };
    let mut lines = vec![Line::styled(heading, theme.accent)];
    for point in points {
        match &point.evidence {
            Evidence::Named { quote, .. } => lines.push(Line::from(vec![
                Span::styled(" ✓ ", theme.good),
                Span::from(point.point.clone()),
                Span::styled(format!(" (you said \"{quote}\")"), theme.muted),
            ])),
            Evidence::Contradicted { quote, why, .. } => {
                lines.push(Line::from(vec![
                    Span::styled(" ! ", theme.bad),
                    Span::from(point.point.clone()),
                ]));
                lines.push(Line::from(vec![
                    Span::styled(format!("   wrong: \"{quote}\": "), theme.bad),
                    Span::from(why.clone()),
                ]));
            }
            Evidence::Missed => lines.push(Line::from(vec![
                if interview {
                    Span::styled(" ? ", theme.muted)
                } else {
                    Span::styled(" ✗ ", theme.bad)
                },
                Span::from(point.point.clone()),
            ])),
        }
    }
    lines
}

fn render_reveal(drill: &Drill, assessment: &Assessment, app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let Some(item) = drill.session.current() else {
        return;
    };
    let [answer_area, grades_area] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
    // The answer to what was asked, the assessment, then the rest (a comparison row's other cells).
    let (answer, rest) = item.model_answer_parts();
    let mut text = Text::from(answer);
    text.push_line(Line::default());
    match assessment {
        Assessment::Rubric { points, .. } => {
            for line in rubric_lines(points, drill.interview, theme) {
                text.push_line(line);
            }
        }
        Assessment::Verdict { correct: true } => {
            text.push_line(Line::styled("Correct.", theme.good));
        }
        Assessment::Verdict { correct: false } => {
            text.push_line(Line::styled("Not quite.", theme.bad));
        }
        Assessment::WrongUnit { said, expected } => {
            text.push_line(Line::styled(
                format!(
                    "Not checked: you answered in {said}, this card asks for {expected}. \
                     Compare with the model answer and grade yourself."
                ),
                theme.warn,
            ));
        }
        Assessment::SelfCheck => {
            text.push_line(Line::styled(
                "Compare your answer with the model answer.",
                theme.muted,
            ));
        }
    }
    if drill.over_time {
        text.push_line(Line::styled("Over time: the clock ran out.", theme.warn));
    }
    if let Some(rest) = rest {
        text.push_line(Line::default());
        for line in rest.lines() {
            text.push_line(Line::from(line.to_owned()));
        }
    }
    render_scrolled_answer(drill, text, theme, frame, answer_area);

    let suggested = super::app::suggested_rating(assessment, drill).map(Rating::number);
    let mut spans = vec![Span::from(" Grade: ")];
    let mut x = grades_area.x + 8;
    for rating in Rating::ALL {
        let delay = drill
            .delays
            .map(|d| format!(" {}", format_delay(d[usize::from(rating.number()) - 1])))
            .unwrap_or_default();
        let label = format!(" {} {}{delay} ", rating.number(), rating.name());
        let style = if suggested == Some(rating.number()) {
            theme.selected
        } else {
            theme.key
        };
        let width = label.chars().count() as u16;
        app.hitboxes.borrow_mut().push((
            Rect::new(x, grades_area.y, width, 1).intersection(grades_area),
            super::app::Click::Grade(rating),
        ));
        x = x.saturating_add(width + 1);
        spans.push(Span::styled(label, style));
        spans.push(Span::from(" "));
    }
    if let Some(n) = suggested.and_then(Rating::from_number) {
        spans.push(Span::styled(
            format!(" suggested: {}", n.name()),
            theme.muted,
        ));
    }
    frame.render_widget(Line::from(spans), grades_area);
}

/// The model answer and checklist, scrolled by the drill's offset. When it is taller than the
/// box, the title says which rows show and how to scroll, and a scrollbar marks the place.
fn render_scrolled_answer(
    drill: &Drill,
    text: Text<'_>,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let inner_width = area.width.saturating_sub(2);
    let in_view = area.height.saturating_sub(2);
    let paragraph = Paragraph::new(text).wrap(Wrap { trim: false });
    let total = u16::try_from(paragraph.line_count(inner_width.max(1))).unwrap_or(u16::MAX);
    let offset = drill.reveal_scroll.fit(total, in_view);
    let title = format!(
        " {} ",
        scroll::title("Model answer", offset, in_view, total)
    );
    frame.render_widget(
        paragraph
            .scroll((offset, 0))
            .block(Block::bordered().title(title)),
        area,
    );
    scroll::render_scrollbar(frame, area, offset, in_view, total, theme.muted);
}

fn render_summary(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let Some(drill) = &app.drill else {
        return;
    };
    let summary = summarize(&drill.results);
    let mut lines = vec![
        Line::styled(format!("{} — session summary", drill.title), theme.accent),
        Line::default(),
        Line::from(format!("cards reviewed   {}", summary.cards)),
        Line::from(format!(
            "accuracy         {}",
            summary
                .accuracy
                .map_or("—".to_owned(), |a| format!("{:.0}%", a * 100.0))
        )),
        Line::from(format!(
            "time per card    {}",
            summary
                .average_seconds
                .map_or("—".to_owned(), |s| format!("{s:.0} s"))
        )),
        Line::from(format!("over time        {}", summary.over_time)),
        Line::from(format!("misses           {}", summary.misses)),
    ];
    if !summary.weakest_tags.is_empty() {
        lines.push(Line::default());
        lines.push(Line::styled("weakest tags", theme.accent));
        for (tag, misses) in &summary.weakest_tags {
            lines.push(Line::from(format!("  {tag:<24} {misses} miss(es)")));
        }
    }
    if summary.misses > 0 {
        lines.push(Line::default());
        lines.push(Line::from(vec![
            Span::styled(" r ", theme.key),
            Span::from(" drill the misses again (practice: does not count twice)"),
        ]));
    }
    if let Some(notice) = &drill.notice {
        lines.push(Line::default());
        lines.push(Line::styled(notice.clone(), theme.warn));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(" Summary ")),
        area,
    );
}

/// The settings box: the configuration in force, the plan, and where config and data live.
fn settings_lines(app: &App) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let config = app.config();
    let mut lines = vec![
        Line::from(format!(
            "desired retention   {:.2}",
            config.desired_retention
        )),
        Line::from(format!(
            "day starts at       {:02}:00",
            config.day_start_hour
        )),
        Line::from(format!(
            "daily limits        {} new, {} reviews",
            config.new_per_day, config.reviews_per_day
        )),
        Line::from(format!(
            "session             {} cards, {} minutes",
            config.session_cards, config.session_minutes
        )),
    ];
    match &app.active_plan {
        Some(plan) => lines.push(Line::styled(
            format!(
                "plan                interview {}: {} new a day at {:.2}",
                plan.interview_date, plan.new_per_day, plan.desired_retention
            ),
            theme.accent,
        )),
        None => lines.push(Line::styled("plan                none", theme.muted)),
    }
    if let Some(paths) = &app.paths {
        let config_file = paths
            .config_file
            .as_deref()
            .unwrap_or("none (no config directory here; use --config FILE)");
        lines.push(Line::from(format!("config file         {config_file}")));
        lines.push(Line::from(format!(
            "data                {}",
            paths.data_dir
        )));
        lines.push(Line::styled(
            "edit the config file for the rest; --config and --data-dir choose others",
            theme.muted,
        ));
    }
    lines
}

fn render_settings(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    // Long paths wrap; the box grows to hold them, leaving the plan form at least 3 rows.
    let settings = Paragraph::new(settings_lines(app))
        .wrap(Wrap { trim: false })
        .block(Block::bordered().title(" Settings "));
    let wanted =
        u16::try_from(settings.line_count(area.width.saturating_sub(2))).unwrap_or(u16::MAX);
    let [config_area, plan_area] = Layout::vertical([
        Constraint::Length(wanted.max(9).min(area.height.saturating_sub(3))),
        Constraint::Min(3),
    ])
    .areas(area);
    frame.render_widget(settings, config_area);

    let form = &app.plan_form;
    let field = |label: &str, value: String, active: bool| {
        Line::from(vec![
            Span::from(format!("{label:<22}")),
            Span::styled(
                format!(" {value}{} ", if active { "▏" } else { "" }),
                if active { theme.selected } else { theme.key },
            ),
        ])
    };
    let mut lines = vec![
        field("interview date", form.date.text(), form.field == 0),
        field("minutes per day", form.minutes.text(), form.field == 1),
        Line::default(),
    ];
    match &form.result {
        None => lines.push(Line::styled(
            "Enter plans: the FSRS simulator picks the daily pace and retention for the best recall on the day.",
            theme.muted,
        )),
        Some(Err(message)) => lines.push(Line::styled(message.clone(), theme.bad)),
        Some(Ok((date, plan))) => {
            lines.push(Line::styled(
                format!(
                    "{date}: learn {} new cards a day at retention {:.2}; predicted recall {:.0}% (~{:.0} min/day)",
                    plan.new_per_day,
                    plan.desired_retention,
                    plan.predicted_recall * 100.0,
                    plan.minutes_per_day
                ),
                theme.accent,
            ));
            if !plan.all_learned {
                lines.push(Line::styled(
                    "Not every card gets learned in time at this budget.",
                    theme.warn,
                ));
            }
            for (deck, recall) in &plan.readiness_by_deck {
                lines.push(Line::from(format!("  {deck:<40} {:>4.0}%", recall * 100.0)));
            }
            lines.push(Line::from(vec![
                Span::styled(" a ", theme.key),
                Span::from(" apply: this pace and retention until the day"),
            ]));
        }
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(" Plan toward an interview ")),
        plan_area,
    );
}
