//! Drawing: a pure function of the app state.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style, Stylize};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState, Wrap};

use super::app::{App, Drill, Screen};
use super::keys::{self, Binding};
use crate::deck::Assessment;
use crate::scheduler::{Rating, format_delay};
use crate::session::Phase;

/// Below this size the screens do not fit; a message says so instead.
pub const WIDTH_MIN: u16 = 40;
pub const HEIGHT_MIN: u16 = 12;

pub fn render(app: &App, frame: &mut Frame) {
    let area = frame.area();
    if area.width < WIDTH_MIN || area.height < HEIGHT_MIN {
        render_too_small(frame, area);
        return;
    }
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(
        Line::from(vec![
            Span::from(" streamdrill ").bold().reversed(),
            Span::from("  Kafka vs Kinesis interview drills"),
        ]),
        header,
    );
    let keymap = match app.screen {
        Screen::Home => {
            render_home(app, frame, body);
            keys::HOME
        }
        Screen::Drill => {
            if let Some(drill) = &app.drill {
                let changed = drill
                    .session
                    .current()
                    .is_some_and(|item| app.is_changed(&item.id));
                render_drill(drill, changed, frame, body);
            }
            app.drill_keymap()
        }
    };
    render_hints(keymap, frame, footer);
}

fn render_too_small(frame: &mut Frame, area: Rect) {
    let text = format!(
        "Terminal too small: {}x{}. streamdrill needs at least {WIDTH_MIN}x{HEIGHT_MIN}.",
        area.width, area.height
    );
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
}

fn render_hints(keymap: &[Binding], frame: &mut Frame, area: Rect) {
    let mut spans = Vec::new();
    for (label, help) in keys::hints(keymap) {
        spans.push(Span::from(format!(" {label} ")).reversed());
        spans.push(Span::from(format!(" {help}  ")));
    }
    frame.render_widget(Line::from(spans), area);
}

fn render_home(app: &App, frame: &mut Frame, area: Rect) {
    let problems_height = if app.problems.is_empty() {
        0
    } else {
        // Messages wrap; give each up to two lines, four problems at most.
        (app.problems.len().min(4) * 2 + 2) as u16
    };
    let status_height = u16::from(app.status.is_some());
    let [list_area, status_area, problems_area] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(status_height),
        Constraint::Length(problems_height),
    ])
    .areas(area);

    let total_due: usize = app.decks.iter().map(|d| d.due).sum();
    let total_new: usize = app.decks.iter().map(|d| d.new).sum();
    let total_cards: usize = app.decks.iter().map(|d| d.cards).sum();
    let mut rows = vec![Row::new(vec![
        Cell::from("All decks").bold(),
        Cell::from(total_due.to_string()),
        Cell::from(total_new.to_string()),
        Cell::from(total_cards.to_string()),
    ])];
    rows.extend(app.decks.iter().map(|d| {
        Row::new(vec![
            Cell::from(d.title.clone()),
            Cell::from(d.due.to_string()),
            Cell::from(d.new.to_string()),
            Cell::from(d.cards.to_string()),
        ])
    }));
    let table = Table::new(
        rows,
        [
            Constraint::Min(20),
            Constraint::Length(6),
            Constraint::Length(6),
            Constraint::Length(6),
        ],
    )
    .header(Row::new(vec!["Deck", "Due", "New", "Cards"]).underlined())
    .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED))
    .highlight_symbol("> ")
    .block(Block::bordered().title(" Decks "));
    let mut state = TableState::default().with_selected(Some(app.selected));
    frame.render_stateful_widget(table, list_area, &mut state);

    if let Some(status) = &app.status {
        frame.render_widget(Line::from(format!(" {status}")).italic(), status_area);
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
                .block(Block::bordered().title(title).red()),
            problems_area,
        );
    }
}

fn render_drill(drill: &Drill, changed: bool, frame: &mut Frame, area: Rect) {
    let session = &drill.session;
    let Some(item) = session.current() else {
        let text = format!(
            "Session complete: {} reviewed.\n\nYour grades are saved; each card comes back when FSRS says it is due.",
            session.reviewed()
        );
        frame.render_widget(
            Paragraph::new(text)
                .wrap(Wrap { trim: false })
                .block(Block::bordered().title(format!(" {} ", drill.title))),
            area,
        );
        return;
    };
    let (position, total) = session.position();
    let title = format!(
        " {} · {position}/{total} · {} · {}{} ",
        drill.title,
        item.kind(),
        item.id,
        if changed {
            " · changed since last review"
        } else {
            ""
        }
    );
    let revealed = !matches!(session.phase(), Phase::Answering);
    let [prompt_area, answer_area, reveal_area, error_area] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(if revealed { 3 } else { 5 }),
        Constraint::Fill(if revealed { 2 } else { 0 }),
        Constraint::Length(u16::from(drill.error.is_some())),
    ])
    .areas(area);

    frame.render_widget(
        Paragraph::new(item.prompt())
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(title)),
        prompt_area,
    );

    let answer_title = if revealed {
        " Your answer "
    } else {
        " Your answer (type, then enter to reveal) "
    };
    let mut answer = Text::from(session.answer().to_owned());
    if !revealed {
        answer.push_span(Span::from("▏").slow_blink());
    }
    frame.render_widget(
        Paragraph::new(answer)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(answer_title)),
        answer_area,
    );

    if let Phase::Revealed { assessment } = session.phase() {
        render_reveal(drill, assessment, frame, reveal_area);
    } else if let Phase::Saving { .. } = session.phase() {
        frame.render_widget(Paragraph::new("Saving…"), reveal_area);
    }
    if let Some(error) = &drill.error {
        frame.render_widget(Line::from(error.as_str()).red(), error_area);
    }
}

fn render_reveal(drill: &Drill, assessment: &Assessment, frame: &mut Frame, area: Rect) {
    let Some(item) = drill.session.current() else {
        return;
    };
    let [answer_area, grades_area] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
    let mut text = Text::from(item.model_answer());
    text.push_line(Line::default());
    match assessment {
        Assessment::Rubric(points) => {
            let hits = points.iter().filter(|p| p.hit()).count();
            text.push_line(Line::from(format!("Rubric: {hits}/{} named", points.len())).bold());
            for point in points {
                let line = match &point.matched_term {
                    Some(term) => Line::from(vec![
                        Span::from(" ✓ ").green(),
                        Span::from(point.point.clone()),
                        Span::from(format!(" ({term})")).dim(),
                    ]),
                    None => Line::from(vec![
                        Span::from(" ✗ ").red(),
                        Span::from(point.point.clone()),
                    ]),
                };
                text.push_line(line);
            }
        }
        Assessment::Verdict { correct: true } => text.push_line(Line::from("Correct.").green()),
        Assessment::Verdict { correct: false } => {
            text.push_line(Line::from("Not quite.").red());
        }
        Assessment::SelfCheck => {
            text.push_line(Line::from("Compare your answer with the model answer.").dim());
        }
    }
    frame.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(" Model answer ")),
        answer_area,
    );

    let suggested = assessment.suggested_rating();
    let mut spans = vec![Span::from(" Grade: ")];
    for rating in Rating::ALL {
        let delay = drill
            .delays
            .map(|d| format!(" {}", format_delay(d[usize::from(rating.number()) - 1])))
            .unwrap_or_default();
        let label = format!(" {} {}{delay} ", rating.number(), rating.name());
        let span = if suggested == Some(rating.number()) {
            Span::from(label).reversed().bold()
        } else {
            Span::from(label).reversed()
        };
        spans.push(span);
        spans.push(Span::from(" "));
    }
    if let Some(n) = suggested.and_then(Rating::from_number) {
        spans.push(Span::from(format!(" suggested: {}", n.name())).dim());
    }
    frame.render_widget(Line::from(spans), grades_area);
}
