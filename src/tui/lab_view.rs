//! Drawing the lab list and a running lab: briefing, goal predicates live, per-shard load
//! against the limit, the event log, hints, the console line and the virtual clock.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Sparkline, Table, TableState, Wrap};

use super::app::{App, LabScreen};
use super::theme::Theme;
use crate::labs::live::KafkaView;

/// A shard accepts 1,000 records/s of writes (the Kinesis limit the bars are drawn against).
const SHARD_RECORDS_PER_SEC: u64 = 1_000;

pub fn render_list(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let [list_area, note_area] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(area);
    let id_width = app
        .labs
        .iter()
        .map(|l| l.id.chars().count())
        .max()
        .unwrap_or(0);
    let shown = app.lab_rows();
    let rows = shown.iter().filter_map(|&i| app.labs.get(i)).map(|lab| {
        let passed = if app.labs_done.contains(&lab.id) {
            "✓"
        } else {
            ""
        };
        Row::new(vec![
            Cell::from(passed).style(theme.good),
            Cell::from(lab.id.clone()),
            Cell::from(lab.title.clone()),
        ])
    });
    let widths = [
        Constraint::Length(1),
        Constraint::Length(u16::try_from(id_width).unwrap_or(u16::MAX)),
        Constraint::Min(10),
    ];
    let (done, total) = app.labs_passed(None);
    let title = if total == 0 {
        " Labs: none bundled ".to_owned()
    } else {
        format!(" Labs · {done}/{total} passed{} ", app.lab_filter.title())
    };
    let table = Table::new(rows, widths)
        .row_highlight_style(theme.selected)
        .highlight_symbol("> ")
        .block(Block::bordered().title(title));
    let mut state = TableState::default().with_selected(Some(app.lab_selected));
    frame.render_stateful_widget(table, list_area, &mut state);
    // Rows start below the border; the table may have scrolled.
    let visible = usize::from(list_area.height.saturating_sub(2));
    app.list_page.set(visible);
    crate::tui::scroll::render_scrollbar(
        frame,
        list_area,
        u16::try_from(state.offset()).unwrap_or(u16::MAX),
        u16::try_from(visible).unwrap_or(u16::MAX),
        u16::try_from(shown.len()).unwrap_or(u16::MAX),
        theme.muted,
    );
    let mut hitboxes = app.hitboxes.borrow_mut();
    for line in 0..visible.min(shown.len().saturating_sub(state.offset())) {
        let row = Rect::new(
            list_area.x + 1,
            list_area.y + 1 + u16::try_from(line).unwrap_or(u16::MAX),
            list_area.width.saturating_sub(2),
            1,
        );
        hitboxes.push((row, super::app::Click::LabRow(state.offset() + line)));
    }
    frame.render_widget(
        Paragraph::new(
            " Each lab runs on the embedded engine in virtual time; results never change card scheduling.",
        )
        .style(theme.muted),
        note_area,
    );
}

#[allow(clippy::too_many_lines)] // one screen, panel by panel
pub fn render_lab(lab: &LabScreen, theme: &Theme, frame: &mut Frame, area: Rect) {
    let live = &lab.live;
    let [main, console] = Layout::vertical([Constraint::Min(6), Constraint::Length(3)]).areas(area);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(main);
    let [briefing_area, goal_area] =
        Layout::vertical([Constraint::Min(4), Constraint::Length(7)]).areas(left);
    let lag_lines = live.consumer_lag(60);
    let lag_height = if lag_lines.is_empty() {
        0
    } else {
        (lag_lines.len().min(6) * 2 + 2) as u16
    };
    let kafka = live.kafka_view();
    let [load_area, lag_area, events_area] = Layout::vertical([
        Constraint::Percentage(if kafka.is_some() { 55 } else { 35 }),
        Constraint::Length(lag_height),
        Constraint::Min(3),
    ])
    .areas(right);

    let outcomes = live.outcomes();
    // Once the run is over the briefing has done its job: the panel gives its room to the
    // verdict and the debrief.
    let briefing = if live.finished() {
        let passed = outcomes.iter().all(|o| o.met);
        let mut text = Text::from(Line::styled(
            if passed {
                "PASSED"
            } else {
                "NOT PASSED: ctrl-r runs the lab again"
            },
            if passed { theme.good } else { theme.bad },
        ));
        text.push_line(Line::default());
        text.extend(Text::from(reflow(&live.lab.debrief.text)));
        if !live.lab.debrief.cards.is_empty() {
            text.push_line(Line::default());
            text.push_line(Line::styled("Cards to drill next:", theme.muted));
            for card in &live.lab.debrief.cards {
                text.push_line(Line::styled(format!("  {card}"), theme.muted));
            }
        }
        text
    } else {
        let mut text = Text::from(reflow(&live.lab.briefing));
        if let Some(hint) = &lab.hint {
            text.push_line(Line::default());
            text.push_line(Line::styled(format!("Hint: {hint}"), theme.warn));
        }
        text
    };
    frame.render_widget(
        Paragraph::new(briefing)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(format!(" {} ", live.lab.title))),
        briefing_area,
    );

    let goal: Vec<Line> = outcomes
        .iter()
        .map(|o| {
            let (mark, style) = if o.met {
                (" ✓ ", theme.good)
            } else {
                (" ✗ ", theme.bad)
            };
            Line::from(vec![
                Span::styled(mark, style),
                Span::from(o.name.clone()),
                Span::styled(
                    format!("  {} = {:.3} ({} {})", o.metric, o.value, o.op, o.threshold),
                    theme.muted,
                ),
            ])
        })
        .collect();
    frame.render_widget(
        Paragraph::new(goal)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(" Goal (now) ")),
        goal_area,
    );

    if let Some(view) = &kafka {
        render_kafka(view, theme, frame, load_area);
    } else {
        render_shard_loads(lab, theme, frame, load_area);
    }

    if !lag_lines.is_empty() {
        let block = Block::bordered().title(" Consumer lag, last 60 s ");
        let inner = block.inner(lag_area);
        frame.render_widget(block, lag_area);
        for (i, (app, lag)) in lag_lines.iter().take(6).enumerate() {
            let y = inner.y + (i as u16) * 2;
            if y + 1 >= inner.y + inner.height {
                break;
            }
            let latest = lag.last().copied().unwrap_or(0);
            frame.render_widget(
                Line::from(vec![
                    Span::from(format!("{app} ")),
                    Span::styled(format!("{latest}"), theme.muted),
                ]),
                Rect::new(inner.x, y, inner.width, 1),
            );
            frame.render_widget(
                Sparkline::default().data(lag).style(theme.accent),
                Rect::new(inner.x, y + 1, inner.width, 1),
            );
        }
    }

    let visible = usize::from(events_area.height.saturating_sub(2));
    let width = usize::from(events_area.width.saturating_sub(2));
    // The newest whole events that fit, each wrapped (a cut-off "ISR shrinks to" says
    // nothing); only an event taller than the panel is cut, to its end.
    let mut log: Vec<Line> = Vec::new();
    for event in live.log.iter().rev() {
        let wrapped = wrap_event(event, width);
        if log.len() + wrapped.len() > visible {
            if log.is_empty() {
                let tail = wrapped.len().saturating_sub(visible);
                log.extend(wrapped.into_iter().skip(tail).map(Line::from));
            }
            break;
        }
        log.splice(0..0, wrapped.into_iter().map(Line::from));
    }
    frame.render_widget(
        Paragraph::new(log).block(Block::bordered().title(" Events ")),
        events_area,
    );

    let state = if live.finished() {
        "finished".to_owned()
    } else if lab.paused {
        "paused".to_owned()
    } else {
        format!("running {}x", lab.speed)
    };
    let prompt = vec![
        Span::styled("> ", theme.accent),
        Span::from(lab.input.text()),
        Span::styled("▏", theme.accent),
    ];
    frame.render_widget(
        Paragraph::new(Line::from(prompt)).block(Block::bordered().title(format!(
            " t={} / {} · {state} · commands {} · hints {} ",
            live.now(),
            live.lab.duration(),
            live.commands_used,
            live.hints_shown
        ))),
        console,
    );
}

fn render_shard_loads(lab: &LabScreen, theme: &Theme, frame: &mut Frame, load_area: Rect) {
    let live = &lab.live;
    let bar_width = usize::from(load_area.width.saturating_sub(30)).clamp(4, 40);
    let loads: Vec<Line> = live
        .shard_loads()
        .iter()
        .map(|load| {
            let filled = (load.records.min(SHARD_RECORDS_PER_SEC * 2) as usize * bar_width
                / (SHARD_RECORDS_PER_SEC as usize * 2))
                .min(bar_width);
            let style = if load.throttled > 0 {
                theme.bad
            } else {
                theme.good
            };
            Line::from(vec![
                Span::from(format!("{:<12}", load.shard)),
                Span::styled("█".repeat(filled), style),
                Span::from("·".repeat(bar_width - filled)),
                Span::styled(
                    format!(" {}/s thr {}", load.records, load.throttled),
                    theme.muted,
                ),
            ])
        })
        .collect();
    frame.render_widget(
        Paragraph::new(loads)
            .block(Block::bordered().title(" Writes per shard (limit 1,000/s at mid-bar) ")),
        load_area,
    );
}

/// Widest partition name column; longer names are cut by the panel's edge like any line.
const PARTITION_NAME_WIDTH_MAX: usize = 40;

#[allow(clippy::too_many_lines)] // one panel, line by line
/// The Kafka panel: controller and brokers, each partition's leader and ISR, then the clients
/// (producer outcomes, consumer lag and pauses per member, processors) and the cleaner.
fn render_kafka(view: &KafkaView, theme: &Theme, frame: &mut Frame, area: Rect) {
    let mut lines = vec![Line::styled(view.controller.clone(), theme.muted)];
    let brokers: Vec<Span> = view
        .brokers
        .iter()
        .flat_map(|b| {
            let style = if b.state == "up" {
                theme.good
            } else {
                theme.bad
            };
            [
                Span::styled(
                    format!(
                        "b{}{} {}",
                        b.id,
                        if b.controller { "*" } else { "" },
                        b.state
                    ),
                    style,
                ),
                Span::styled(format!(" L{}  ", b.leaderships), theme.muted),
            ]
        })
        .collect();
    lines.push(Line::from(brokers));
    lines.push(Line::styled(
        format!(
            "{} partitions · {} under-replicated · {} offline",
            view.partitions_total, view.under_replicated, view.offline
        ),
        if view.offline > 0 {
            theme.bad
        } else if view.under_replicated > 0 {
            theme.warn
        } else {
            theme.muted
        },
    ));
    for (topic, size, dirty) in &view.compacted {
        lines.push(Line::styled(
            format!(
                "{topic}: log {} MB, cleaner backlog {} MB",
                size / 1_000_000,
                dirty / 1_000_000
            ),
            if *dirty > size / 2 {
                theme.warn
            } else {
                theme.muted
            },
        ));
    }
    for p in &view.producers {
        let style = if p.lost > 0 || p.failed > 0 {
            theme.bad
        } else {
            theme.good
        };
        lines.push(Line::from(vec![
            Span::styled(format!("producer {} (acks={})", p.name, p.acks), style),
            Span::styled(
                format!(
                    " acked {} failed {} lost {} dup {}",
                    p.acked, p.failed, p.lost, p.duplicated
                ),
                theme.muted,
            ),
        ]));
    }
    for m in &view.members {
        lines.push(Line::from(vec![
            Span::styled(
                format!("{}/{}", m.group, m.member),
                if m.alive { theme.good } else { theme.bad },
            ),
            Span::styled(
                format!(
                    " {} partitions, lag {}, paused {:.1} s",
                    m.partitions,
                    m.lag,
                    m.pause_ms as f64 / 1000.0
                ),
                theme.muted,
            ),
        ]));
    }
    for p in &view.processors {
        lines.push(Line::from(vec![
            Span::styled(
                format!("processor {} ({})", p.name, p.guarantee),
                if p.alive { theme.good } else { theme.bad },
            ),
            Span::styled(
                format!(
                    " processed {} dup {} missing {}",
                    p.processed, p.duplicates, p.missing
                ),
                theme.muted,
            ),
        ]));
    }
    let room = usize::from(area.height.saturating_sub(2)).saturating_sub(lines.len());
    // Partitions that do not fit are counted on a last line rather than dropped silently.
    let shown = if view.partitions.len() > room {
        room.saturating_sub(1)
    } else {
        room
    };
    // The name column is as wide as the longest name shown (topic names are ASCII), so a
    // long name never runs into the leader column.
    let name_width = view
        .partitions
        .iter()
        .take(shown)
        .map(|p| p.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(PARTITION_NAME_WIDTH_MAX);
    for p in view.partitions.iter().take(shown) {
        let isr_short = p.isr.len() < p.replicas.len();
        let leader = p.leader.map_or("-".to_owned(), |l| l.to_string());
        let isr: Vec<String> = p.isr.iter().map(ToString::to_string).collect();
        lines.push(Line::from(vec![
            Span::from(format!("{:<name_width$} ", p.name)),
            Span::styled(
                format!("L{leader:<3}"),
                if p.leader.is_none() {
                    theme.bad
                } else {
                    theme.good
                },
            ),
            Span::styled(
                format!("ISR [{}]", isr.join(",")),
                if isr_short { theme.warn } else { theme.muted },
            ),
            Span::styled(
                format!("  hw {} leo {}", p.high_watermark, p.log_end),
                theme.muted,
            ),
        ]));
    }
    let hidden = view.partitions.len().saturating_sub(shown);
    if hidden > 0 && room > 0 {
        lines.push(Line::styled(
            format!("… {hidden} more partitions (kafka-topics --describe)"),
            theme.muted,
        ));
    }
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Kafka cluster ")),
        area,
    );
}

/// Lab text is written with hard line breaks; the screen wraps it itself, so single breaks
/// become spaces and blank lines stay paragraph breaks.
/// Splits an event line into rows of `width` characters, continuation rows indented.
fn wrap_event(event: &str, width: usize) -> Vec<String> {
    const INDENT: &str = "  ";
    let chars: Vec<char> = event.chars().collect();
    if width <= INDENT.len() || chars.len() <= width {
        return vec![event.to_owned()];
    }
    let mut rows = vec![chars[..width].iter().collect::<String>()];
    for chunk in chars[width..].chunks(width - INDENT.len()) {
        rows.push(format!("{INDENT}{}", chunk.iter().collect::<String>()));
    }
    rows
}

fn reflow(text: &str) -> String {
    text.split("\n\n")
        .map(|paragraph| {
            paragraph
                .lines()
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::wrap_event;

    #[test]
    fn long_events_wrap_with_an_indent_and_lose_nothing() {
        let event = "t=138.12s orders-3 leader 1 -> 3 (epoch 1); log truncated to 68362";
        let rows = wrap_event(event, 24);
        assert!(rows.len() > 2, "{rows:?}");
        assert!(rows.iter().all(|r| r.chars().count() <= 24), "{rows:?}");
        assert!(rows[1..].iter().all(|r| r.starts_with("  ")));
        let joined: String = rows.iter().map(|r| r.trim_start_matches("  ")).collect();
        assert_eq!(joined, event);
        assert_eq!(wrap_event("short", 24), ["short"]);
        assert_eq!(
            wrap_event(event, 2),
            [event],
            "too narrow to wrap: left as is"
        );
    }
}
