//! Drawing the lab list and a running lab: briefing, goal predicates live, per-shard load
//! against the limit, the event log, hints, the console line and the virtual clock.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Sparkline, Table, TableState, Wrap};

use super::app::{App, LabPane, LabScreen};
use super::theme::Theme;
use crate::labs::live::KafkaView;
use streamdrill_engine::SimDuration;

/// A shard accepts 1,000 records/s of writes (the Kinesis limit the bars are drawn against).
const SHARD_RECORDS_PER_SEC: u64 = 1_000;

pub fn render_list(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let [list_area, detail_area, note_area] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(2),
        Constraint::Length(1),
    ])
    .areas(area);
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
    // The selected lab in full: its title is cut in a narrow table.
    if let Some(lab) = shown.get(app.lab_selected).and_then(|&i| app.labs.get(i)) {
        let passed = if app.labs_done.contains(&lab.id) {
            " · passed"
        } else {
            ""
        };
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled(format!(" {}", lab.title), theme.accent),
                Span::styled(
                    format!(
                        " · {} · {} of virtual time{passed}",
                        lab.system,
                        span(lab.duration())
                    ),
                    theme.muted,
                ),
            ]))
            .wrap(Wrap { trim: false }),
            detail_area,
        );
    }
    frame.render_widget(
        Paragraph::new(
            " Labs run on the engine in virtual time; results never change card scheduling.",
        )
        .style(theme.muted),
        note_area,
    );
}

/// Seconds of history the trend sparklines show.
const TREND_SECONDS: u64 = 60;

/// Output rows one console reply may take; the rest are counted on a last line.
const REPLY_ROWS_MAX: usize = 400;

pub fn render_lab(lab: &LabScreen, theme: &Theme, frame: &mut Frame, area: Rect) {
    let console_height = (area.height / 3).clamp(6, 14);
    let [main, console] =
        Layout::vertical([Constraint::Min(6), Constraint::Length(console_height)]).areas(area);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(main);

    let goal = goal_text(lab, theme);
    let goal_width = left.width.saturating_sub(2);
    let goal_rows = u16::try_from(
        Paragraph::new(goal.clone())
            .wrap(Wrap { trim: false })
            .line_count(goal_width),
    )
    .unwrap_or(u16::MAX);
    let [briefing_area, goal_area] = Layout::vertical([
        Constraint::Min(4),
        Constraint::Length((goal_rows + 2).min(left.height / 2)),
    ])
    .areas(left);
    render_briefing(lab, theme, frame, briefing_area);
    render_scrolled(
        goal,
        "Goal",
        lab.focus == LabPane::Goal,
        &lab.goal_scroll,
        theme,
        frame,
        goal_area,
    );

    let trends = trends(lab);
    let kafka = lab.live.kafka_view();
    let trend_height = if trends.is_empty() {
        0
    } else {
        u16::try_from(trends.len() * 2 + 2)
            .unwrap_or(u16::MAX)
            .min(right.height / 3)
    };
    let loads = if kafka.is_some() {
        Vec::new()
    } else {
        lab.live.shard_loads()
    };
    let picture = match &kafka {
        Some(_) => Constraint::Percentage(50),
        None => Constraint::Length(
            u16::try_from(loads.len() + 2)
                .unwrap_or(u16::MAX)
                .clamp(3, right.height / 2),
        ),
    };
    let [picture_area, trend_area, events_area] = Layout::vertical([
        picture,
        Constraint::Length(trend_height),
        Constraint::Min(3),
    ])
    .areas(right);
    if let Some(view) = &kafka {
        render_kafka(lab, view, theme, frame, picture_area);
    } else {
        render_shard_loads(lab, &loads, theme, frame, picture_area);
    }
    render_trends(&trends, theme, frame, trend_area);
    render_events(lab, theme, frame, events_area);
    render_console(lab, theme, frame, console);
}

/// A pane's frame: its border lit while it has the focus, and where it stands when its
/// content is taller than it ("rows 3-10 of 24").
fn pane_block(
    name: &str,
    focused: bool,
    theme: &Theme,
    (offset, in_view, total): (u16, u16, u16),
) -> Block<'static> {
    let mut block = Block::bordered().title(format!(" {name} "));
    if focused {
        block = block.border_style(theme.accent);
    }
    if total > in_view {
        let last = offset.saturating_add(in_view).min(total);
        block = block.title_bottom(
            Line::from(format!(
                " rows {}-{last} of {total} · PgUp PgDn ",
                offset + 1
            ))
            .right_aligned(),
        );
    }
    block
}

/// A scrolled paragraph in a bordered pane, its scroll fitted to what the frame shows.
fn render_scrolled(
    text: Text<'_>,
    name: &str,
    focused: bool,
    scroll: &crate::tui::scroll::Scroll,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let paragraph = Paragraph::new(text).wrap(Wrap { trim: false });
    let in_view = area.height.saturating_sub(2);
    let total =
        u16::try_from(paragraph.line_count(area.width.saturating_sub(2))).unwrap_or(u16::MAX);
    let offset = scroll.fit(total, in_view);
    frame.render_widget(
        paragraph.scroll((offset, 0)).block(pane_block(
            name,
            focused,
            theme,
            (offset, in_view, total),
        )),
        area,
    );
    crate::tui::scroll::render_scrollbar(frame, area, offset, in_view, total, theme.muted);
}

/// Before the end: the briefing, how to start, and the hints asked for. After it: the verdict
/// with its reason, the debrief, and the cards to drill next.
fn render_briefing(lab: &LabScreen, theme: &Theme, frame: &mut Frame, area: Rect) {
    let live = &lab.live;
    // The title in full: a long one would be cut on the border.
    let mut text = Text::from(Line::styled(
        live.lab.title.clone(),
        theme.accent.add_modifier(ratatui::style::Modifier::BOLD),
    ));
    if let Some((passed, reason)) = live.verdict() {
        text.push_line(Line::styled(
            reason,
            if passed { theme.good } else { theme.bad },
        ));
        if !passed {
            text.push_line(Line::styled("ctrl-r runs the lab again.", theme.muted));
        }
        text.push_line(Line::default());
        text.extend(Text::from(reflow(&live.lab.debrief.text)));
        if !live.lab.debrief.cards.is_empty() {
            text.push_line(Line::default());
            text.push_line(Line::styled("Cards to drill next:", theme.muted));
            for card in &live.lab.debrief.cards {
                text.push_line(Line::styled(format!("  {card}"), theme.muted));
            }
        }
    } else {
        text.extend(Text::from(reflow(&live.lab.briefing)));
        if !lab.started {
            let handover = live.lab.handover();
            text.push_line(Line::default());
            text.push_line(Line::styled(
                if handover.0 > 0 {
                    format!(
                        "Enter on an empty line starts the lab: it plays to the page at \
                         t={handover} and hands you control at 1x (ctrl-f for 10x, 60x)."
                    )
                } else {
                    "Enter on an empty line starts the lab at 1x (ctrl-f for 10x, 60x).".to_owned()
                },
                theme.accent,
            ));
        }
        for (i, hint) in lab.hints.iter().enumerate() {
            text.push_line(Line::default());
            text.push_line(Line::styled(format!("Hint {}: {hint}", i + 1), theme.warn));
        }
    }
    render_scrolled(
        text,
        if live.finished() {
            "Debrief"
        } else {
            "Briefing"
        },
        lab.focus == LabPane::Briefing,
        &lab.briefing_scroll,
        theme,
        frame,
        area,
    );
}

/// Each goal predicate: its mark, its value now against what it needs, and its window:
/// "window filling (2m of 5m)" until it can be judged.
fn goal_text(lab: &LabScreen, theme: &Theme) -> Text<'static> {
    let mut text = Text::default();
    for line in lab.live.goal_lines() {
        let o = &line.outcome;
        let (mark, style) = match (line.filling, o.met) {
            (Some(_), _) => (" … ", theme.warn),
            (None, true) => (" ✓ ", theme.good),
            (None, false) => (" ✗ ", theme.bad),
        };
        text.push_line(Line::from(vec![
            Span::styled(mark, style),
            Span::from(o.name.clone()),
        ]));
        let window = match (line.judged_from, line.filling) {
            (Some(from), _) => format!("judged from {} (after the incident)", clock(from)),
            (None, Some((judged, window))) => {
                format!("window filling ({} of {})", span(judged), span(window))
            }
            (None, None) => format!("over the last {}", o.window),
        };
        text.push_line(Line::from(vec![
            Span::from("   now "),
            Span::styled(
                goal_figure(o, o.value),
                if o.met { theme.good } else { theme.bad },
            ),
            Span::styled(
                format!(
                    " · needs {} {} · {window}",
                    o.op,
                    goal_figure(o, o.threshold)
                ),
                theme.muted,
            ),
        ]));
    }
    text
}

/// A goal's value as its predicate means it: a ratio as a percentage, a rate per second.
fn goal_figure(o: &crate::labs::Outcome, value: f64) -> String {
    use crate::labs::Stat;
    if o.stat == Stat::Ratio || o.metric.ends_with("RelativeError") {
        let percent = value * 100.0;
        return if percent.fract().abs() < 1e-9 || percent.abs() >= 10.0 {
            format!("{percent:.0}%")
        } else {
            format!("{percent:.1}%")
        };
    }
    if o.metric.contains("Millis") && o.stat != Stat::PerSecond {
        // Milliseconds read best as seconds: "5.9s", "240s".
        let seconds = value / 1_000.0;
        return if seconds.fract().abs() < 1e-9 || seconds.abs() >= 100.0 {
            format!("{}s", thousands(seconds.round()))
        } else {
            format!("{seconds:.1}s")
        };
    }
    let number = if value.fract().abs() < 1e-9 || value.abs() >= 100.0 {
        thousands(value.round())
    } else {
        format!("{value:.2}")
    };
    if o.stat == Stat::PerSecond {
        format!("{number}/s")
    } else {
        number
    }
}

/// 2970 as "2,970".
fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if value < 0.0 {
        out.insert(0, '-');
    }
    out
}

/// One sparkline: its label and a value per second, oldest first.
struct Trend {
    label: String,
    values: Vec<u64>,
}

/// What moves over time: each consumer's lag, then each goal metric per second.
fn trends(lab: &LabScreen) -> Vec<Trend> {
    let live = &lab.live;
    let goals = live
        .lab
        .goal
        .iter()
        .zip(live.goal_series(TREND_SECONDS))
        .filter_map(|(p, series)| {
            Some(Trend {
                label: format!("{} /s", p.metric),
                values: series?,
            })
        });
    let lags = live
        .consumer_lag(TREND_SECONDS)
        .into_iter()
        .map(|(name, values)| Trend {
            label: format!("lag {name}"),
            values,
        });
    lags.chain(goals).collect()
}

fn render_trends(trends: &[Trend], theme: &Theme, frame: &mut Frame, area: Rect) {
    if area.height < 3 {
        return;
    }
    let fits = usize::from(area.height.saturating_sub(2) / 2);
    let title = if trends.len() > fits {
        format!(" Last {TREND_SECONDS} s · {fits} of {} ", trends.len())
    } else {
        format!(" Last {TREND_SECONDS} s ")
    };
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    for (i, trend) in trends.iter().take(fits).enumerate() {
        let y = inner.y + u16::try_from(i * 2).unwrap_or(u16::MAX);
        let latest = trend.values.last().copied().unwrap_or(0);
        let peak = trend.values.iter().copied().max().unwrap_or(0);
        frame.render_widget(
            Line::from(vec![
                Span::styled(
                    format!(
                        "now {} · peak {} · ",
                        thousands(latest as f64),
                        thousands(peak as f64)
                    ),
                    theme.muted,
                ),
                Span::from(trend.label.clone()),
            ]),
            Rect::new(inner.x, y, inner.width, 1),
        );
        // The newest seconds that fit: a sparkline draws its data from the first value.
        let newest = trend.values.len().saturating_sub(usize::from(inner.width));
        frame.render_widget(
            Sparkline::default()
                .data(&trend.values[newest..])
                .style(theme.accent),
            Rect::new(inner.x, y + 1, inner.width, 1),
        );
    }
}

/// The event log, each event wrapped with an indent, following its end unless scrolled up.
fn render_events(lab: &LabScreen, theme: &Theme, frame: &mut Frame, area: Rect) {
    let width = usize::from(area.width.saturating_sub(3));
    let lines: Vec<Line> = lab
        .live
        .log
        .iter()
        .flat_map(|event| wrap_event(event, width))
        .map(Line::from)
        .collect();
    // Rows narrower than the pane: its own wrapping leaves them as they are.
    render_scrolled(
        Text::from(lines),
        "Events",
        lab.focus == LabPane::Events,
        &lab.events_scroll,
        theme,
        frame,
        area,
    );
}

/// The console: the transcript of commands and replies (scrolling, following the newest),
/// the completion choices, and the line being typed, under a title with the clock.
fn render_console(lab: &LabScreen, theme: &Theme, frame: &mut Frame, area: Rect) {
    let live = &lab.live;
    let title = format!(
        "Console · {} / {} · {} · commands {} · hints {}",
        clock(live.now()),
        clock(live.lab.duration()),
        lab.state_label(),
        live.commands_used,
        live.hints_shown
    );
    let width = usize::from(area.width.saturating_sub(3));
    let mut lines: Vec<Line> = Vec::new();
    if lab.transcript.is_empty() {
        lines.push(Line::styled(
            if lab.started {
                "Type a command and press enter; `help` lists what this lab allows, tab completes."
            } else {
                "The lab waits on its briefing. `help` lists its commands; enter on an empty line \
                 starts it."
            },
            theme.muted,
        ));
    }
    for exchange in &lab.transcript {
        lines.push(Line::from(vec![
            Span::styled(format!("t={} ", exchange.at), theme.muted),
            Span::styled(format!("> {}", exchange.command), theme.accent),
        ]));
        let reply = exchange.reply.lines(width);
        let hidden = reply.len().saturating_sub(REPLY_ROWS_MAX);
        lines.extend(reply.into_iter().take(REPLY_ROWS_MAX).map(Line::from));
        if hidden > 0 {
            lines.push(Line::styled(
                format!("… {hidden} more rows: narrow the command"),
                theme.muted,
            ));
        }
    }
    let block = Block::bordered().title(format!(" {title} "));
    let inner = block.inner(area);
    let mut footer = vec![Line::from(vec![
        Span::styled("> ", theme.accent),
        Span::from(lab.input.text()),
        Span::styled("▏", theme.accent),
    ])];
    if !lab.choices.is_empty() {
        footer.insert(
            0,
            Line::styled(format!("tab: {}", lab.choices.join("  ")), theme.muted),
        );
    }
    let footer_rows = u16::try_from(
        Paragraph::new(footer.clone())
            .wrap(Wrap { trim: false })
            .line_count(inner.width),
    )
    .unwrap_or(u16::MAX)
    .min(inner.height);
    let [transcript_area, footer_area] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(footer_rows)]).areas(inner);
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    let in_view = transcript_area.height;
    let total = u16::try_from(paragraph.line_count(transcript_area.width)).unwrap_or(u16::MAX);
    let offset = lab.console_scroll.fit(total, in_view);
    frame.render_widget(
        pane_block(
            &title,
            lab.focus == LabPane::Console,
            theme,
            (offset, in_view, total),
        ),
        area,
    );
    frame.render_widget(paragraph.scroll((offset, 0)), transcript_area);
    frame.render_widget(
        Paragraph::new(footer).wrap(Wrap { trim: false }),
        footer_area,
    );
    if total > in_view {
        crate::tui::scroll::render_scrollbar(
            frame,
            Rect {
                height: transcript_area.height + 2,
                ..area
            },
            offset,
            in_view,
            total,
            theme.muted,
        );
    }
}

fn render_shard_loads(
    lab: &LabScreen,
    loads: &[crate::labs::live::ShardLoad],
    theme: &Theme,
    frame: &mut Frame,
    load_area: Rect,
) {
    let bar_width = usize::from(load_area.width.saturating_sub(30)).clamp(4, 40);
    let lines: Vec<Line> = loads
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
    render_scrolled(
        Text::from(lines),
        "Writes per shard (cap: mid-bar)",
        lab.focus == LabPane::Picture,
        &lab.picture_scroll,
        theme,
        frame,
        load_area,
    );
}

/// A virtual time as a clock: "2:05", "1:02:05".
fn clock(d: SimDuration) -> String {
    let secs = d.as_micros() / 1_000_000;
    if secs >= 3_600 {
        format!("{}:{:02}:{:02}", secs / 3_600, secs / 60 % 60, secs % 60)
    } else {
        format!("{}:{:02}", secs / 60, secs % 60)
    }
}

/// A span of virtual time in words a goal uses: "45s", "5m", "2m30s", "1h".
fn span(d: SimDuration) -> String {
    let secs = d.as_micros() / 1_000_000;
    match (secs / 3_600, secs / 60 % 60, secs % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m{s:02}s"),
        (h, 0, 0) => format!("{h}h"),
        (h, m, _) => format!("{h}h{m:02}m"),
    }
}

/// Widest partition name column; longer names are cut by the panel's edge like any line.
const PARTITION_NAME_WIDTH_MAX: usize = 40;

#[allow(clippy::too_many_lines)] // one panel, line by line
/// The Kafka panel: controller and brokers, each partition's leader and ISR, then the clients
/// (producer outcomes, consumer lag and pauses per member, processors) and the cleaner.
fn render_kafka(lab: &LabScreen, view: &KafkaView, theme: &Theme, frame: &mut Frame, area: Rect) {
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
    // The name column is as wide as the longest name shown (topic names are ASCII), so a
    // long name never runs into the leader column.
    let name_width = view
        .partitions
        .iter()
        .map(|p| p.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(PARTITION_NAME_WIDTH_MAX);
    for p in &view.partitions {
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
    // Partitions past those the view lists are counted rather than dropped silently.
    let hidden = view.partitions_total.saturating_sub(view.partitions.len());
    if hidden > 0 {
        lines.push(Line::styled(
            format!("… {hidden} more partitions (kafka-topics --describe)"),
            theme.muted,
        ));
    }
    render_scrolled(
        Text::from(lines),
        "Kafka cluster",
        lab.focus == LabPane::Picture,
        &lab.picture_scroll,
        theme,
        frame,
        area,
    );
}

/// Splits an event line into rows of at most `width` characters, continuation rows indented,
/// breaking after a space where one falls in the second half of the row.
fn wrap_event(event: &str, width: usize) -> Vec<String> {
    const INDENT: &str = "  ";
    let chars: Vec<char> = event.chars().collect();
    if width <= INDENT.len() || chars.len() <= width {
        return vec![event.to_owned()];
    }
    let mut rows: Vec<String> = Vec::new();
    let mut start = 0;
    while start < chars.len() {
        let room = if rows.is_empty() {
            width
        } else {
            width - INDENT.len()
        };
        let mut end = (start + room).min(chars.len());
        if end < chars.len()
            && let Some(space) = chars[start..end].iter().rposition(|c| *c == ' ')
            && space + 1 > room / 2
        {
            end = start + space + 1;
        }
        let row: String = chars[start..end].iter().collect();
        rows.push(if rows.is_empty() {
            row
        } else {
            format!("{INDENT}{row}")
        });
        start = end;
    }
    rows
}

/// Lab text is written with hard line breaks; the screen wraps it itself, so single breaks
/// become spaces and blank lines stay paragraph breaks.
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
    use super::{SimDuration, clock, span, thousands, wrap_event};

    #[test]
    fn clocks_and_spans_read_as_people_write_them() {
        assert_eq!(clock(SimDuration::from_secs(125)), "2:05");
        assert_eq!(clock(SimDuration::from_millis(61_503)), "1:01");
        assert_eq!(clock(SimDuration::from_secs(3_725)), "1:02:05");
        assert_eq!(span(SimDuration::from_secs(45)), "45s");
        assert_eq!(span(SimDuration::from_secs(300)), "5m");
        assert_eq!(span(SimDuration::from_secs(150)), "2m30s");
        assert_eq!(span(SimDuration::from_secs(3_600)), "1h");
        assert_eq!(thousands(2_970.0), "2,970");
        assert_eq!(thousands(1_234_567.0), "1,234,567");
        assert_eq!(thousands(-1_000.0), "-1,000");
        assert_eq!(thousands(12.0), "12");
    }

    #[test]
    fn long_events_wrap_with_an_indent_and_lose_nothing() {
        let event = "t=138.12s orders-3 leader 1 -> 3 (epoch 1); log truncated to 68362";
        let rows = wrap_event(event, 24);
        assert!(rows.len() > 2, "{rows:?}");
        assert!(rows.iter().all(|r| r.chars().count() <= 24), "{rows:?}");
        assert!(rows[1..].iter().all(|r| r.starts_with("  ")));
        assert_eq!(rows[0], "t=138.12s orders-3 ", "breaks after a word");
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
