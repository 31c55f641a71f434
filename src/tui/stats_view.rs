//! The stats screen: a pure render of [`Stats`] into any area.
//!
//! Layout, top to bottom: the review calendar (GitHub-style heatmap) beside the headline
//! numbers (and the weakest tags when wide), then the per-deck table (and the weakest tags when
//! narrower), then the 30-day due forecast beside retention over time. Every part works without
//! colour: the calendar uses shade characters, emphasis uses modifiers; `colors == false`
//! (`NO_COLOR`) sets no foreground or background colour at all.

use chrono::{Datelike, Duration, NaiveDate};
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Bar, BarChart, BarGroup, Cell, Chart, Dataset, GraphType, Paragraph, Row, Sparkline,
    Table,
};

use crate::srs::stats::{Retention, Stats};
use streamdrill_engine::budget::thousands;

use super::palette::Palette;
use super::scroll::{self, Scroll};
use super::too_small::render_too_small;
/// Below this size the screen does not fit; a one-line message says so instead.
pub use super::too_small::{HEIGHT_MIN, WIDTH_MIN};

/// Calendar intensity, from no reviews to the busiest visible day.
pub const SHADES: [char; 5] = [' ', '░', '▒', '▓', '█'];

/// The headline panel needs this many columns; the calendar gets the rest it can use.
const SUMMARY_MIN_WIDTH: u16 = 22;
/// Weekday labels left of the calendar ("Mon ").
const GUTTER: u16 = 4;
const WEAKEST_MIN_WIDTH: u16 = 30;
/// Seven weekday rows and the borders.
const CALENDAR_HEIGHT: u16 = 9;
/// Rows the forecast and retention charts keep before the deck table takes more.
const CHARTS_HEIGHT: u16 = 12;
/// The deck table's columns after the title: due, new, cards, retention and their gaps.
const DECK_NUMBERS_WIDTH: u16 = 21;
/// The weakest tags box keeps this much beside a wide deck table.
const WEAKEST_BESIDE_DECKS_MIN: u16 = 26;
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Draws the stats screen into `area` (clipped to the frame); never panics at any size. The
/// deck table shows from `decks_scroll` down and records how far it can scroll.
pub fn render(stats: &Stats, colors: bool, decks_scroll: &Scroll, frame: &mut Frame, area: Rect) {
    let area = area.intersection(frame.area());
    if area.width < WIDTH_MIN || area.height < HEIGHT_MIN {
        render_too_small(frame, area);
        return;
    }
    let palette = Palette { colors };
    let calendar = Calendar::of(stats);
    let summary = summary_lines(stats, palette);

    // Top: calendar | summary (| weakest tags). The summary box is as tall and as wide as its
    // lines, so nothing in it is cut; the calendar takes the width that is left.
    let summary_width = summary
        .iter()
        .map(Line::width)
        .max()
        .map_or(SUMMARY_MIN_WIDTH, |w| (w as u16).saturating_add(2))
        .max(SUMMARY_MIN_WIDTH);
    let top_height = (summary.len() as u16 + 2)
        .max(CALENDAR_HEIGHT + u16::from(area.height >= 30))
        .min(area.height / 2);
    let [top, bottom] =
        Layout::vertical([Constraint::Length(top_height), Constraint::Fill(1)]).areas(area);
    let heat_width = calendar.layout(area.width.saturating_sub(summary_width));
    let rest = area.width.saturating_sub(heat_width.width);
    let weakest_on_top = rest >= summary_width + WEAKEST_MIN_WIDTH;
    let [heat_area, summary_area, weakest_top_area] = Layout::horizontal([
        Constraint::Length(heat_width.width),
        if weakest_on_top {
            Constraint::Length(summary_width)
        } else {
            Constraint::Fill(1)
        },
        Constraint::Fill(u16::from(weakest_on_top)),
    ])
    .areas(top);
    calendar.render(heat_width, palette, frame.buffer_mut(), heat_area);
    frame.render_widget(
        Paragraph::new(summary).block(palette.block("Summary")),
        summary_area,
    );
    if weakest_on_top {
        render_weakest(stats, palette, frame, weakest_top_area);
    }

    // Middle: decks (| weakest tags); bottom: forecast | retention. The deck table takes what
    // the charts can spare and scrolls for the rest.
    let weakest_height = stats.weakest_tags.len().max(1) as u16 + 2;
    let deck_height = stats.decks.len().max(1) as u16 + 3;
    let wanted = if weakest_on_top {
        deck_height
    } else {
        deck_height.max(weakest_height)
    };
    let middle_height = if bottom.height < 8 {
        0
    } else {
        wanted.min((bottom.height / 2).max(bottom.height.saturating_sub(CHARTS_HEIGHT)))
    };
    let [middle, charts] =
        Layout::vertical([Constraint::Length(middle_height), Constraint::Fill(1)]).areas(bottom);
    if middle_height > 0 {
        if weakest_on_top {
            render_decks(stats, palette, decks_scroll, frame, middle);
        } else {
            // Deck titles are what a reader scans for: the table is as wide as its longest
            // title, and the weakest tags (short names) take what is left.
            let longest_title = stats
                .decks
                .iter()
                .map(|d| d.title.chars().count())
                .max()
                .unwrap_or(0);
            let decks_width = (longest_title as u16)
                .saturating_add(DECK_NUMBERS_WIDTH + 2)
                .min(middle.width.saturating_sub(WEAKEST_BESIDE_DECKS_MIN))
                .max(middle.width / 2);
            let [decks_area, weakest_area] =
                Layout::horizontal([Constraint::Length(decks_width), Constraint::Fill(1)])
                    .areas(middle);
            render_decks(stats, palette, decks_scroll, frame, decks_area);
            render_weakest(stats, palette, frame, weakest_area);
        }
    }
    let [forecast_area, retention_area] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(charts);
    render_forecast(stats, palette, frame, forecast_area);
    render_retention(stats, palette, frame, retention_area);
}

/// "45s", "25m", "1h 05m".
pub fn format_duration(ms: u64) -> String {
    let seconds = ms / 1000;
    match seconds {
        0..60 => format!("{seconds}s"),
        60..3600 => format!("{}m", seconds / 60),
        _ => format!("{}h {:02}m", seconds / 3600, seconds % 3600 / 60),
    }
}

fn percent(rate: f64) -> String {
    format!("{:.0}%", rate * 100.0)
}

// ---------------------------------------------------------------------------------------------
// Calendar heatmap

/// Reviews per day laid out as weeks (columns, oldest left) by weekdays (rows, Monday first).
struct Calendar<'a> {
    days: &'a [crate::srs::stats::DayCount],
    /// The last day's date and weekday (0 = Monday); a malformed date counts as a Sunday.
    today: Option<NaiveDate>,
    today_weekday: usize,
}

#[derive(Clone, Copy)]
struct CalendarLayout {
    /// Columns per day cell: 2 (a shade and a gap) when everything fits, else 1.
    cell: u16,
    weeks: usize,
    width: u16,
}

impl<'a> Calendar<'a> {
    fn of(stats: &'a Stats) -> Self {
        let today = stats
            .reviews_per_day
            .last()
            .and_then(|d| NaiveDate::parse_from_str(&d.date, "%Y-%m-%d").ok());
        Calendar {
            days: &stats.reviews_per_day,
            today,
            today_weekday: today.map_or(6, |d| d.weekday().num_days_from_monday() as usize),
        }
    }

    /// Position of a day counted back from today: (week column from the right, weekday row).
    fn cell_of(&self, days_ago: usize) -> (usize, usize) {
        let k = (6 - self.today_weekday) + days_ago;
        (k / 7, 6 - k % 7)
    }

    fn weeks_total(&self) -> usize {
        if self.days.is_empty() {
            0
        } else {
            self.cell_of(self.days.len() - 1).0 + 1
        }
    }

    /// The widest calendar that fits `available` columns (borders included).
    fn layout(&self, available: u16) -> CalendarLayout {
        let inner = usize::from(available.saturating_sub(2 + GUTTER));
        let total = self.weeks_total();
        let cell = if total * 2 <= inner { 2 } else { 1 };
        let weeks = total.min(inner / cell);
        let width = if total == 0 {
            available.min(30)
        } else {
            (weeks * cell) as u16 + 2 + GUTTER
        };
        CalendarLayout {
            cell: cell as u16,
            weeks,
            width,
        }
    }

    fn render(&self, layout: CalendarLayout, palette: Palette, buf: &mut Buffer, area: Rect) {
        let title = if layout.weeks == 0 {
            "Reviews".to_owned()
        } else {
            format!("Reviews · last {} weeks", layout.weeks)
        };
        let mut block = palette.block(&title);
        if area.width >= 24 {
            let mut legend = vec![Span::styled(" less ", palette.dim())];
            for (level, shade) in SHADES.iter().enumerate().skip(1) {
                legend.push(Span::styled(shade.to_string(), palette.shade(level)));
            }
            legend.push(Span::styled(" more ", palette.dim()));
            block = block.title_bottom(Line::from(legend).right_aligned());
        }
        let inner = block.inner(area);
        ratatui::widgets::Widget::render(block, area, buf);
        if self.days.is_empty() || layout.weeks == 0 {
            buf.set_stringn(
                inner.x,
                inner.y,
                "No reviews yet",
                usize::from(inner.width),
                palette.dim(),
            );
            return;
        }
        let months_row = inner.height >= 8;
        let grid_y = inner.y + u16::from(months_row);
        let grid_x = inner.x + GUTTER;
        let rows = inner.height.saturating_sub(u16::from(months_row)).min(7);

        for (row, label) in [(0, "Mon"), (2, "Wed"), (4, "Fri")] {
            if row < rows {
                buf.set_stringn(inner.x, grid_y + row, label, 3, palette.dim());
            }
        }
        if months_row {
            self.render_months(layout, palette, buf, inner, grid_x);
        }

        let visible_days = self.days.len().min(layout.weeks * 7);
        let visible = &self.days[self.days.len() - visible_days..];
        let busiest = visible.iter().map(|d| d.reviews).max().unwrap_or(0);
        for (i, day) in visible.iter().enumerate() {
            let days_ago = visible_days - 1 - i;
            let (week_from_right, weekday) = self.cell_of(days_ago);
            if week_from_right >= layout.weeks || weekday as u16 >= rows {
                continue;
            }
            let level = shade_level(day.reviews, busiest);
            let x = grid_x + (layout.weeks - 1 - week_from_right) as u16 * layout.cell;
            let y = grid_y + weekday as u16;
            if let Some(cell) = buf.cell_mut((x, y)) {
                cell.set_char(SHADES[level]).set_style(palette.shade(level));
                if days_ago == 0 {
                    cell.modifier.insert(Modifier::UNDERLINED);
                }
            }
        }
    }

    /// Month names above the first week column of each month, when they do not overlap.
    fn render_months(
        &self,
        layout: CalendarLayout,
        palette: Palette,
        buf: &mut Buffer,
        inner: Rect,
        grid_x: u16,
    ) {
        let Some(today) = self.today else { return };
        let right = inner.x + inner.width;
        let mut free_from = grid_x;
        for column in 0..layout.weeks {
            let week_from_right = layout.weeks - 1 - column;
            let monday_ago = week_from_right * 7 + self.today_weekday;
            let Some(monday) = today.checked_sub_signed(Duration::days(monday_ago as i64)) else {
                continue;
            };
            if monday.day() > 7 {
                continue;
            }
            let x = grid_x + column as u16 * layout.cell;
            if x >= free_from && x + 3 <= right {
                let name = MONTHS[monday.month0() as usize];
                buf.set_string(x, inner.y, name, palette.dim());
                free_from = x + 4;
            }
        }
    }
}

/// 0 for no reviews, else 1..=4 in proportion to the busiest day.
pub fn shade_level(reviews: u64, busiest: u64) -> usize {
    if reviews == 0 || busiest == 0 {
        0
    } else {
        (reviews * 4).div_ceil(busiest).clamp(1, 4) as usize
    }
}

// ---------------------------------------------------------------------------------------------
// Panels

/// The headline numbers, one short line each, so the box can size itself to them.
fn summary_lines(stats: &Stats, palette: Palette) -> Vec<Line<'static>> {
    let value = Style::new().add_modifier(Modifier::BOLD);
    let retention = match stats.true_retention.rate {
        Some(rate) => Span::styled(
            percent(rate),
            palette.rate(rate).add_modifier(Modifier::BOLD),
        ),
        None => Span::styled("—", palette.dim()),
    };
    let streak = if stats.streak_days == 1 {
        "1 day".to_owned()
    } else {
        format!("{} days", stats.streak_days)
    };
    let streak_style = if stats.streak_days > 0 {
        palette.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    } else {
        value
    };
    let label = |text: &'static str| Span::styled(text, palette.dim());
    let mut lines = vec![
        Line::from(vec![
            label("Reviews    "),
            Span::styled(thousands(stats.reviews_total), value),
            Span::styled(
                format!(" · {}", format_duration(stats.time_spent_ms)),
                palette.dim(),
            ),
        ]),
        Line::from(vec![
            label("Today      "),
            Span::styled(thousands(stats.reviews_today), value),
            Span::styled(
                format!(" · {}", format_duration(stats.time_spent_today_ms)),
                palette.dim(),
            ),
        ]),
        Line::from(vec![
            label("Streak     "),
            Span::styled(streak, streak_style),
        ]),
        Line::from(vec![label("Retention  "), retention]),
        Line::from(vec![
            label("Due now    "),
            Span::styled(stats.due_now.to_string(), value),
            Span::styled(format!(" of {}", stats.cards_total), palette.dim()),
        ]),
    ];
    if stats.flagged > 0 {
        lines.push(Line::from(vec![
            label("Flagged    "),
            Span::styled(stats.flagged.to_string(), value),
        ]));
    }
    if !stats.labs.is_empty() {
        let passed = stats.labs.iter().filter(|l| l.passed > 0).count();
        let runs: u64 = stats.labs.iter().map(|l| l.runs).sum();
        lines.push(Line::from(vec![
            label("Labs       "),
            Span::styled(format!("{passed} passed"), value),
            Span::styled(format!(" of {}", stats.labs.len()), palette.dim()),
        ]));
        lines.push(Line::from(vec![
            label("Lab runs   "),
            Span::styled(runs.to_string(), value),
        ]));
    }
    let c = stats.calibration;
    if c.sure_correct + c.sure_wrong + c.unsure_correct + c.unsure_wrong > 0 {
        // Overconfidence shows as "sure" calls that were wrong.
        let rate = |right: u64, wrong: u64| {
            if right + wrong == 0 {
                "—".to_owned()
            } else {
                format!("{:.0}%", right as f64 * 100.0 / (right + wrong) as f64)
            }
        };
        lines.push(Line::from(vec![
            label("Sure calls "),
            Span::styled(rate(c.sure_correct, c.sure_wrong), value),
            Span::styled(" right", palette.dim()),
        ]));
        lines.push(Line::from(vec![
            label("Unsure     "),
            Span::styled(rate(c.unsure_correct, c.unsure_wrong), value),
            Span::styled(" right", palette.dim()),
        ]));
    }
    lines
}

fn render_weakest(stats: &Stats, palette: Palette, frame: &mut Frame, area: Rect) {
    let block = palette.block("Weakest tags");
    let inner_width = usize::from(area.width.saturating_sub(2));
    if stats.weakest_tags.is_empty() {
        let text = Span::styled("Not enough reviews yet", palette.dim());
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    }
    // The tag is what the row is about, then its rate: the counts and the gauge give way first
    // when the box is narrow.
    let longest = stats
        .weakest_tags
        .iter()
        .map(|t| t.tag.chars().count())
        .max()
        .unwrap_or(0);
    let count_of = |t: &crate::srs::stats::TagRetention| {
        format!(" {}/{}", t.retention.passed, t.retention.reviews)
    };
    let count_width = stats
        .weakest_tags
        .iter()
        .map(|t| count_of(t).chars().count())
        .max()
        .unwrap_or(0);
    let tag_width = longest.min(inner_width.saturating_sub(6)).max(1);
    let room = inner_width.saturating_sub(tag_width + 6);
    let gauge_width = [10, 5, 0]
        .into_iter()
        .find(|&g| g + count_width <= room)
        .unwrap_or(0);
    let show_count = gauge_width + count_width <= room;
    let lines: Vec<Line> = stats
        .weakest_tags
        .iter()
        .map(|t| {
            let rate = t.retention.rate.unwrap_or(0.0);
            let filled = ((rate * gauge_width as f64).round() as usize).min(gauge_width);
            let gauge: String = std::iter::repeat_n('█', filled)
                .chain(std::iter::repeat_n('░', gauge_width - filled))
                .collect();
            let tag = fit(&t.tag, tag_width);
            let mut spans = vec![
                Span::raw(format!("{tag:<tag_width$} ")),
                Span::styled(gauge, palette.rate(rate)),
                Span::styled(
                    format!("{:>5}", percent(rate)),
                    palette.rate(rate).add_modifier(Modifier::BOLD),
                ),
            ];
            if show_count {
                spans.push(Span::styled(count_of(t), palette.dim()));
            }
            Line::from(spans)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// `text` in at most `width` chars, ending in "…" when it had to be cut.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

fn retention_cell(retention: Option<&Retention>, palette: Palette) -> Cell<'static> {
    match retention.and_then(|r| r.rate) {
        Some(rate) => Cell::from(Span::styled(percent(rate), palette.rate(rate))),
        None => Cell::from(Span::styled("—", palette.dim())),
    }
}

fn render_decks(stats: &Stats, palette: Palette, scroll: &Scroll, frame: &mut Frame, area: Rect) {
    // Borders and the header row.
    let in_view = area.height.saturating_sub(3);
    let total = u16::try_from(stats.decks.len()).unwrap_or(u16::MAX);
    let offset = scroll.fit(total, in_view);
    // A title cut to its column says so with "…" (the home screen lists it whole).
    let title_width = usize::from(area.width.saturating_sub(2 + DECK_NUMBERS_WIDTH));
    let header = Row::new(["Deck", "Due", "New", "Cards", "Ret."]).style(
        Style::new()
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
            .patch(palette.fg(Color::Cyan)),
    );
    let rows = stats.decks.iter().skip(usize::from(offset)).map(|deck| {
        let due_style = if deck.due > 0 {
            palette.fg(Color::Yellow).add_modifier(Modifier::BOLD)
        } else {
            palette.dim()
        };
        Row::new([
            Cell::from(fit(&deck.title, title_width)),
            Cell::from(Span::styled(deck.due.to_string(), due_style)),
            Cell::from(deck.new.to_string()),
            Cell::from(deck.cards.to_string()),
            retention_cell(stats.true_retention_by_deck.get(&deck.id), palette),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Fill(1),
            Constraint::Length(4),
            Constraint::Length(4),
            Constraint::Length(5),
            Constraint::Length(4),
        ],
    )
    .header(header)
    .block(palette.block(&scroll::title("Decks", offset, in_view, total)));
    frame.render_widget(table, area);
    let below_header = Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(1),
        ..area
    };
    scroll::render_scrollbar(frame, below_header, offset, in_view, total, palette.dim());
}

fn render_forecast(stats: &Stats, palette: Palette, frame: &mut Frame, area: Rect) {
    let total: u64 = stats.due_forecast.iter().map(|d| d.reviews).sum();
    let peak = stats
        .due_forecast
        .iter()
        .map(|d| d.reviews)
        .max()
        .unwrap_or(0);
    let days = stats.due_forecast.len();
    if days == 0 {
        let text = Span::styled("Nothing scheduled", palette.dim());
        frame.render_widget(
            Paragraph::new(text).block(palette.block("Due forecast")),
            area,
        );
        return;
    }
    let totals = if area.width >= 46 {
        format!(" {total} total, peak {peak} ")
    } else {
        format!(" {total} total ")
    };
    let block = palette
        .block(&format!("Due · next {days} days"))
        .title(Line::from(Span::styled(totals, palette.dim())).right_aligned());
    let inner_width = usize::from(area.width.saturating_sub(2));
    if inner_width == 0 {
        frame.render_widget(block, area);
        return;
    }
    if inner_width < days {
        // Too narrow for one column per day: a sparkline of the first days that fit.
        let sparkline = Sparkline::default()
            .data(stats.due_forecast.iter().map(|d| d.reviews))
            .max(peak.max(1))
            .style(palette.fg(Color::Cyan))
            .block(block);
        frame.render_widget(sparkline, area);
        return;
    }
    let gap = usize::from(inner_width + 1 >= days * 2);
    let bar_width = ((inner_width + gap) / days).saturating_sub(gap).max(1);
    let labelled = bar_width >= 2;
    let bars: Vec<Bar> = stats
        .due_forecast
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let style = if i == 0 {
                palette.fg(Color::Yellow)
            } else {
                palette.fg(Color::Cyan)
            };
            let mut bar = Bar::default().value(d.reviews).style(style);
            if labelled {
                if i % 7 == 0 {
                    bar = bar.label(Line::from(d.date.get(8..10).unwrap_or("")));
                }
            } else {
                // Single-column bars cannot hold a number.
                bar = bar.text_value(String::new());
            }
            bar
        })
        .collect();
    let chart = BarChart::default()
        .data(BarGroup::new(bars))
        .bar_width(bar_width as u16)
        .bar_gap(gap as u16)
        .max(peak.max(1))
        .value_style(Style::new().add_modifier(Modifier::REVERSED))
        .label_style(palette.dim())
        .block(block);
    frame.render_widget(chart, area);
}

fn render_retention(stats: &Stats, palette: Palette, frame: &mut Frame, area: Rect) {
    let weeks = &stats.retention_by_week;
    let points: Vec<(f64, f64)> = weeks
        .iter()
        .enumerate()
        .filter_map(|(i, w)| w.retention.rate.map(|rate| (i as f64, rate * 100.0)))
        .collect();
    let mut block = palette.block("Retention by week");
    if let Some(rate) = stats.true_retention.rate {
        block = block.title(
            Line::from(Span::styled(
                format!(" true {} ", percent(rate)),
                palette.dim(),
            ))
            .right_aligned(),
        );
    }
    if points.is_empty() {
        let text = Span::styled("No reviews in the last year", palette.dim());
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    }
    let label_of = |i: usize| {
        weeks
            .get(i)
            .and_then(|w| NaiveDate::parse_from_str(&w.week, "%Y-%m-%d").ok())
            .map(|d| format!("{} {}", MONTHS[d.month0() as usize], d.day()))
            .unwrap_or_default()
    };
    let last = weeks.len().saturating_sub(1);
    let x_labels = if area.width >= 50 {
        vec![label_of(0), label_of(last / 2), label_of(last)]
    } else {
        vec![label_of(0), label_of(last)]
    };
    let dataset = Dataset::default()
        .marker(Marker::Braille)
        .graph_type(GraphType::Line)
        .style(palette.fg(Color::LightGreen))
        .data(&points);
    let axis_style = palette.dim();
    let chart = Chart::new(vec![dataset])
        .block(block)
        .x_axis(
            Axis::default()
                .bounds([0.0, (last as f64).max(1.0)])
                .labels(x_labels)
                .style(axis_style),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, 100.0])
                .labels(["0%", "50%", "100%"])
                .style(axis_style),
        );
    frame.render_widget(chart, area);
}
