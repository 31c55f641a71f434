//! The fuzzy finder over every card: a small state machine fed with key events, and its render.
//!
//! Each entry is matched through one search line built from its prompt, tags, id and answer
//! (skim's algorithm, smart case; a query with spaces needs every word to match). Ranking puts
//! real words first: a query word found as a whole word outranks one found as a word's start,
//! which outranks letters that merely sit close together; skim's score orders within a tier.
//! The word `!` keeps flagged cards only. The list shows kind, deck and prompt with the matched
//! characters highlighted; the preview shows the selected card in full. Results are recomputed
//! only when the query's words change, and a query that extends the previous one only searches
//! the previous matches.

use std::cell::Cell as StdCell;
use std::collections::BTreeSet;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Paragraph, Wrap};

use super::palette::Palette;
use super::too_small::render_too_small;
/// Below this size the finder does not fit; a one-line message says so instead.
pub use super::too_small::{HEIGHT_MIN, WIDTH_MIN};
/// At most this many results are listed; all matches are counted (and drilled).
pub const DISPLAY_MAX: usize = 500;
/// From this width on, the preview sits right of the list instead of below it.
const SIDE_PREVIEW_MIN_WIDTH: u16 = 100;
/// Longer search lines fall back to skim's cheaper linear match (score matrix cells).
const MATCH_ELEMENT_LIMIT: usize = 200_000;
const MARKER: &str = "●";
/// A query word that filters instead of matching: flagged cards only.
pub const FLAGGED_FILTER: &str = "!";
const HINTS: [(&str, &str); 4] = [
    ("enter", "drill these"),
    ("tab", "mark"),
    ("!", "flagged only"),
    ("esc", "back"),
];

/// One card as the finder sees it; the text is already sanitised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinderEntry {
    pub item_id: String,
    pub kind: &'static str,
    pub deck_title: String,
    pub prompt: String,
    pub answer: String,
    pub tags: Vec<String>,
    /// Flagged for a second look (`!` on a revealed card).
    pub flagged: bool,
}

/// What the app should do after a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FinderAction {
    None,
    Close,
    /// Start a custom session with these item ids (never empty).
    DrillThese(Vec<String>),
}

/// Where each field sits in an entry's search line, in chars.
#[derive(Debug, Clone)]
struct SearchLine {
    text: String,
    /// `text` lowercased char for char, so char indices agree, for finding whole words.
    folded: Vec<char>,
    prompt_start: usize,
    tags_start: usize,
    id_start: usize,
    answer_start: usize,
}

impl SearchLine {
    fn of(entry: &FinderEntry) -> Self {
        let mut text = String::with_capacity(
            entry.prompt.len() + entry.item_id.len() + entry.answer.len() + 16 * entry.tags.len(),
        );
        let mut chars = 0;
        let mut push = |text: &mut String, part: &str| {
            let start = chars;
            for c in part.chars() {
                // Entries are sanitised upstream; stay on one line regardless.
                text.push(if c.is_control() { ' ' } else { c });
                chars += 1;
            }
            text.push(' ');
            chars += 1;
            start
        };
        // Skim's score does not depend on where a match sits, and among equal alignments it
        // keeps the last one: the prompt goes last so that the list, which shows the prompt,
        // highlights it whenever it matches as well as the rest.
        let answer_start = push(&mut text, &entry.answer);
        let id_start = push(&mut text, &entry.item_id);
        let tags_start = push(&mut text, &entry.tags.join(" "));
        let prompt_start = push(&mut text, &entry.prompt);
        let folded = text
            .chars()
            .map(|c| c.to_lowercase().next().unwrap_or(c))
            .collect();
        SearchLine {
            text,
            folded,
            prompt_start,
            tags_start,
            id_start,
            answer_start,
        }
    }
}

#[derive(Debug, Clone)]
struct Match {
    entry: usize,
    /// How many query words were found as real words (see [`WordFit`]), summed.
    tier: u32,
    score: i64,
    /// Matched char indices in the entry's search line, ascending.
    positions: Vec<usize>,
}

pub struct Finder {
    entries: Vec<FinderEntry>,
    lines: Vec<SearchLine>,
    matcher: SkimMatcherV2,
    query: String,
    /// The query `matches` were computed for.
    matched_query: String,
    /// Every match, ranked.
    matches: Vec<Match>,
    /// Index into the listed results.
    selected: usize,
    /// Marked entries (indices into `entries`); they stay marked while the query changes.
    marked: BTreeSet<usize>,
    /// First listed row and list height at the last render (scrolling and page keys).
    scroll: StdCell<usize>,
    page: StdCell<usize>,
}

impl fmt::Debug for Finder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Finder")
            .field("entries", &self.entries.len())
            .field("query", &self.query)
            .field("matches", &self.matches.len())
            .field("selected", &self.selected)
            .field("marked", &self.marked)
            .finish_non_exhaustive()
    }
}

impl Clone for Finder {
    fn clone(&self) -> Self {
        Finder {
            entries: self.entries.clone(),
            lines: self.lines.clone(),
            matcher: matcher(),
            query: self.query.clone(),
            matched_query: self.matched_query.clone(),
            matches: self.matches.clone(),
            selected: self.selected,
            marked: self.marked.clone(),
            scroll: self.scroll.clone(),
            page: self.page.clone(),
        }
    }
}

fn matcher() -> SkimMatcherV2 {
    SkimMatcherV2::default()
        .smart_case()
        .element_limit(MATCH_ELEMENT_LIMIT)
}

impl Finder {
    pub fn new(entries: Vec<FinderEntry>) -> Self {
        let lines = entries.iter().map(SearchLine::of).collect();
        let matches = (0..entries.len()).map(unranked).collect();
        Finder {
            entries,
            lines,
            matcher: matcher(),
            query: String::new(),
            matched_query: String::new(),
            matches,
            selected: 0,
            marked: BTreeSet::new(),
            scroll: StdCell::new(0),
            page: StdCell::new(10),
        }
    }

    pub fn handle_key(&mut self, key: &KeyEvent) -> FinderAction {
        if key.kind == KeyEventKind::Release {
            return FinderAction::None;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match key.code {
            KeyCode::Esc => return FinderAction::Close,
            KeyCode::Enter => {
                let ids = self.selected_ids();
                return if ids.is_empty() {
                    FinderAction::None
                } else {
                    FinderAction::DrillThese(ids)
                };
            }
            KeyCode::Up => self.move_by(-1),
            KeyCode::Down => self.move_by(1),
            KeyCode::Char('p') if ctrl => self.move_by(-1),
            KeyCode::Char('n') if ctrl => self.move_by(1),
            KeyCode::PageUp => self.move_by(-(self.page.get().max(1) as isize)),
            KeyCode::PageDown => self.move_by(self.page.get().max(1) as isize),
            KeyCode::Home => self.selected = 0,
            KeyCode::End => self.selected = self.listed().saturating_sub(1),
            KeyCode::Tab => {
                self.toggle_mark();
                self.move_by(1);
            }
            KeyCode::BackTab => {
                self.toggle_mark();
                self.move_by(-1);
            }
            KeyCode::Backspace if ctrl || alt => self.edit(delete_word),
            KeyCode::Backspace => self.edit(|q| {
                q.pop();
            }),
            KeyCode::Char('w') if ctrl => self.edit(delete_word),
            KeyCode::Char('u') if ctrl => self.edit(String::clear),
            KeyCode::Char(c) if !ctrl && !alt && !c.is_control() => self.edit(|q| q.push(c)),
            _ => {}
        }
        FinderAction::None
    }

    /// Replaces the query (as if typed), e.g. to open the finder pre-filled.
    pub fn set_query(&mut self, query: &str) {
        self.edit(|q| {
            q.clear();
            q.push_str(query);
        });
    }

    pub fn query(&self) -> &str {
        &self.query
    }

    /// The listed results (at most [`DISPLAY_MAX`]), best first.
    pub fn results(&self) -> impl Iterator<Item = &FinderEntry> {
        self.matches
            .iter()
            .take(DISPLAY_MAX)
            .map(|m| &self.entries[m.entry])
    }

    /// Every entry matching the query, listed or not.
    pub fn match_count(&self) -> usize {
        self.matches.len()
    }

    pub fn entry_count(&self) -> usize {
        self.entries.len()
    }

    pub fn selected(&self) -> Option<&FinderEntry> {
        self.matches
            .get(self.selected)
            .map(|m| &self.entries[m.entry])
    }

    /// The selected row among the listed results.
    pub fn selected_index(&self) -> usize {
        self.selected
    }

    /// Marked item ids, in entry order.
    pub fn marked_ids(&self) -> Vec<String> {
        self.marked
            .iter()
            .map(|&i| self.entries[i].item_id.clone())
            .collect()
    }

    /// What "drill these" drills: the marked entries (even those the query now hides), or
    /// every match when none is marked.
    pub fn selected_ids(&self) -> Vec<String> {
        if self.marked.is_empty() {
            self.matches
                .iter()
                .map(|m| self.entries[m.entry].item_id.clone())
                .collect()
        } else {
            self.marked_ids()
        }
    }

    fn listed(&self) -> usize {
        self.matches.len().min(DISPLAY_MAX)
    }

    fn move_by(&mut self, delta: isize) {
        let last = self.listed().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    fn toggle_mark(&mut self) {
        if let Some(m) = self.matches.get(self.selected)
            && !self.marked.remove(&m.entry)
        {
            self.marked.insert(m.entry);
        }
    }

    fn edit(&mut self, change: impl FnOnce(&mut String)) {
        change(&mut self.query);
        if self
            .query
            .split_whitespace()
            .eq(self.matched_query.split_whitespace())
        {
            // Same words (e.g. a trailing space): same results, keep the selection.
            self.matched_query.clone_from(&self.query);
            return;
        }
        self.recompute();
    }

    fn recompute(&mut self) {
        let narrowing = self.matched_query.split_whitespace().next().is_some()
            && self.query.starts_with(&self.matched_query);
        self.matched_query.clone_from(&self.query);
        self.selected = 0;
        self.scroll.set(0);
        let words: Vec<&str> = self.query.split_whitespace().collect();
        let flagged_only = words.contains(&FLAGGED_FILTER);
        let terms: Vec<&str> = words.into_iter().filter(|w| *w != FLAGGED_FILTER).collect();
        let entries = &self.entries;
        let kept = |entry: usize| !flagged_only || entries[entry].flagged;
        if terms.is_empty() {
            self.matches = (0..entries.len())
                .filter(|&e| kept(e))
                .map(unranked)
                .collect();
            return;
        }
        // A query that extends the previous one can only match fewer entries.
        let candidates: Vec<usize> = if narrowing {
            self.matches.iter().map(|m| m.entry).collect()
        } else {
            (0..self.entries.len()).collect()
        };
        let mut matches: Vec<Match> = candidates
            .into_iter()
            .filter(|&entry| kept(entry))
            .filter_map(|entry| self.match_entry(entry, &terms))
            .collect();
        matches.sort_by(|a, b| {
            b.tier
                .cmp(&a.tier)
                .then(b.score.cmp(&a.score))
                .then_with(|| entries[a.entry].item_id.cmp(&entries[b.entry].item_id))
                .then(a.entry.cmp(&b.entry))
        });
        self.matches = matches;
    }

    fn match_entry(&self, entry: usize, terms: &[&str]) -> Option<Match> {
        let line = &self.lines[entry];
        let mut tier = 0;
        let mut score = 0;
        let mut positions = Vec::new();
        for term in terms {
            let fuzzy = self.matcher.fuzzy_indices(&line.text, term);
            if let Some((fit, start)) = word_fit(&line.folded, term) {
                // A real word: highlight it, not the letters skim happened to align.
                tier += fit as u32;
                score += fuzzy.map_or(0, |(s, _)| s);
                positions.extend(start..start + term.chars().count());
                continue;
            }
            let (term_score, term_positions) = fuzzy?;
            // The letters must sit close together: a word typed loosely ("mskserverless")
            // matches, its letters scattered across a long answer do not.
            let spread = match (term_positions.first(), term_positions.last()) {
                (Some(first), Some(last)) => last - first + 1,
                _ => 0,
            };
            let letters = term.chars().count();
            if spread > (letters * 2).max(letters + 4) {
                return None;
            }
            score += term_score;
            positions.extend(term_positions);
        }
        if terms.len() > 1 {
            positions.sort_unstable();
            positions.dedup();
        }
        Some(Match {
            entry,
            tier,
            score,
            positions,
        })
    }

    /// Draws the finder into `area` (clipped to the frame); never panics at any size.
    pub fn render(&self, colors: bool, frame: &mut Frame, area: Rect) {
        let area = area.intersection(frame.area());
        if area.width < WIDTH_MIN || area.height < HEIGHT_MIN {
            render_too_small(frame, area);
            return;
        }
        let palette = Palette { colors };
        let [input, body, hints] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(1),
        ])
        .areas(area);
        self.render_input(palette, frame, input);
        let (list, preview) = if area.width >= SIDE_PREVIEW_MIN_WIDTH {
            let [list, preview] =
                Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                    .areas(body);
            (list, preview)
        } else {
            let [list, preview] =
                Layout::vertical([Constraint::Fill(3), Constraint::Fill(2)]).areas(body);
            (list, preview)
        };
        self.render_list(palette, frame, list);
        self.render_preview(palette, frame, preview);
        render_hints(palette, frame, hints);
    }

    fn render_input(&self, palette: Palette, frame: &mut Frame, area: Rect) {
        let mut count = format!(" {}/{}", self.matches.len(), self.entries.len());
        if self.matches.len() > DISPLAY_MAX {
            count.push_str(&format!(" (first {DISPLAY_MAX})"));
        }
        if !self.marked.is_empty() {
            count.push_str(&format!(" · {} marked", self.marked.len()));
        }
        count.push(' ');
        let count_width = Span::raw(count.as_str()).width() as u16;
        let prompt = "/ ";
        let query_room = usize::from(
            area.width
                .saturating_sub(count_width + prompt.len() as u16 + 1),
        );
        // Show the end of a query too long for the line.
        let query = tail_fitting(&self.query, query_room);
        let query_width = Span::raw(query).width() as u16;
        let line = Line::from(vec![
            Span::styled(prompt, palette.accent().add_modifier(Modifier::BOLD)),
            Span::styled(query, Style::new().add_modifier(Modifier::BOLD)),
        ]);
        frame.render_widget(line, area);
        if count_width < area.width {
            let count_area = Rect {
                x: area.right() - count_width,
                width: count_width,
                ..area
            };
            frame.render_widget(Span::styled(count, palette.dim()), count_area);
        }
        let cursor_x = area.x + prompt.len() as u16 + query_width;
        if cursor_x < area.right() {
            frame.set_cursor_position(Position::new(cursor_x, area.y));
        }
    }

    fn render_list(&self, palette: Palette, frame: &mut Frame, area: Rect) {
        let block = palette.block("Cards");
        let inner = block.inner(area);
        frame.render_widget(block, area);
        if inner.is_empty() {
            return;
        }
        if self.matches.is_empty() {
            let flagged_only = self.query.split_whitespace().any(|w| w == FLAGGED_FILTER);
            let text = if self.entries.is_empty() {
                "No cards loaded".to_owned()
            } else if flagged_only && !self.entries.iter().any(|e| e.flagged) {
                "No flagged cards yet: press ! on a revealed card to flag it".to_owned()
            } else {
                format!("No card matches “{}”", self.query.trim())
            };
            frame.render_widget(
                Paragraph::new(Span::styled(text, palette.dim())).wrap(Wrap { trim: true }),
                inner,
            );
            return;
        }
        let height = usize::from(inner.height);
        let listed = self.listed();
        let mut offset = self.scroll.get().min(listed.saturating_sub(height));
        if self.selected < offset {
            offset = self.selected;
        } else if self.selected >= offset + height {
            offset = self.selected + 1 - height;
        }
        self.scroll.set(offset);
        self.page.set(height);

        let width = usize::from(inner.width);
        let kind_width = 8;
        let deck_width = if width >= 60 { (width / 5).min(20) } else { 0 };
        let prompt_width = width.saturating_sub(2 + kind_width + 1 + deck_width + 1);
        let lines: Vec<Line> = self.matches[offset..listed.min(offset + height)]
            .iter()
            .enumerate()
            .map(|(row, m)| {
                let entry = &self.entries[m.entry];
                let mut spans = Vec::with_capacity(8);
                spans.push(if self.marked.contains(&m.entry) {
                    Span::styled(MARKER, palette.marked())
                } else {
                    Span::raw(" ")
                });
                spans.push(if entry.flagged {
                    Span::styled(FLAGGED_FILTER, palette.accent())
                } else {
                    Span::raw(" ")
                });
                spans.push(Span::styled(
                    pad(entry.kind, kind_width),
                    palette.kind(entry.kind),
                ));
                spans.push(Span::raw(" "));
                if deck_width > 0 {
                    spans.push(Span::styled(
                        pad(&entry.deck_title, deck_width),
                        palette.dim(),
                    ));
                    spans.push(Span::raw(" "));
                }
                highlighted(
                    &mut spans,
                    &entry.prompt,
                    self.lines[m.entry].prompt_start,
                    &m.positions,
                    Style::new(),
                    palette.highlight(),
                    prompt_width,
                );
                let line = Line::from(spans);
                if offset + row == self.selected {
                    line.style(Style::new().add_modifier(Modifier::REVERSED))
                } else {
                    line
                }
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), inner);
    }

    fn render_preview(&self, palette: Palette, frame: &mut Frame, area: Rect) {
        let block = palette.block("Preview");
        let Some(m) = self.matches.get(self.selected) else {
            frame.render_widget(block, area);
            return;
        };
        let entry = &self.entries[m.entry];
        let line = &self.lines[m.entry];
        let field = |text: &str, start: usize, base: Style| {
            let mut spans = Vec::new();
            highlighted(
                &mut spans,
                text,
                start,
                &m.positions,
                base,
                palette.highlight(),
                usize::MAX,
            );
            Line::from(spans)
        };
        let dot = || Span::styled(" · ", palette.dim());
        let mut header = vec![Span::styled(entry.kind, palette.kind(entry.kind)), dot()];
        header.extend(field(&entry.item_id, line.id_start, palette.dim()).spans);
        header.extend([
            dot(),
            Span::styled(entry.deck_title.as_str(), palette.dim()),
        ]);
        if self.marked.contains(&m.entry) {
            header.push(Span::styled(format!(" {MARKER} marked"), palette.marked()));
        }
        if entry.flagged {
            header.push(Span::styled(" ! flagged", palette.accent()));
        }
        let mut lines = vec![Line::from(header)];
        if !entry.tags.is_empty() {
            let mut tags = field(&entry.tags.join(" "), line.tags_start, palette.accent());
            tags.spans.insert(0, Span::styled("tags ", palette.dim()));
            lines.push(tags);
        }
        lines.extend([
            Line::default(),
            field(
                &entry.prompt,
                line.prompt_start,
                Style::new().add_modifier(Modifier::BOLD),
            ),
            Line::default(),
        ]);
        lines.extend(answer_lines(entry, line, m, palette));
        frame.render_widget(
            Paragraph::new(Text::from(lines))
                .wrap(Wrap { trim: false })
                .block(block),
            area,
        );
    }
}

/// The answer, one line per paragraph, with its matches highlighted.
fn answer_lines<'a>(
    entry: &'a FinderEntry,
    line: &SearchLine,
    m: &Match,
    palette: Palette,
) -> Vec<Line<'a>> {
    let mut start = line.answer_start;
    entry
        .answer
        .split('\n')
        .map(|paragraph| {
            let mut spans = Vec::new();
            highlighted(
                &mut spans,
                paragraph,
                start,
                &m.positions,
                Style::new(),
                palette.highlight(),
                usize::MAX,
            );
            start += paragraph.chars().count() + 1;
            Line::from(spans)
        })
        .collect()
}

/// How well a query word sits in a line, beyond skim's fuzzy alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum WordFit {
    /// The start of a word ("repl" in "replication").
    Prefix = 1,
    /// A whole word ("acks" in "acks=all").
    Whole = 2,
}

/// The best place `term` starts a word of `folded` (a lowercased search line), as a char index.
/// Among equally good places the last wins: the prompt ends the line and is what the list shows.
fn word_fit(folded: &[char], term: &str) -> Option<(WordFit, usize)> {
    let term: Vec<char> = term
        .chars()
        .map(|c| c.to_lowercase().next().unwrap_or(c))
        .collect();
    if term.is_empty() || term.len() > folded.len() {
        return None;
    }
    let mut best: Option<(WordFit, usize)> = None;
    for start in 0..=folded.len() - term.len() {
        let starts_word = start == 0 || !folded[start - 1].is_alphanumeric();
        if !starts_word || folded[start..start + term.len()] != term[..] {
            continue;
        }
        let end = start + term.len();
        let fit = if end == folded.len() || !folded[end].is_alphanumeric() {
            WordFit::Whole
        } else {
            WordFit::Prefix
        };
        if best.is_none_or(|(b, _)| fit >= b) {
            best = Some((fit, start));
        }
    }
    best
}

fn unranked(entry: usize) -> Match {
    Match {
        entry,
        tier: 0,
        score: 0,
        positions: Vec::new(),
    }
}

/// Unix word rubout: trailing spaces, then the word before them.
fn delete_word(query: &mut String) {
    let trimmed = query.trim_end().len();
    query.truncate(trimmed);
    let start = query
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map_or(0, |(i, c)| i + c.len_utf8());
    query.truncate(start);
}

fn char_width(c: char) -> usize {
    let mut buf = [0; 4];
    Span::raw(&*c.encode_utf8(&mut buf)).width()
}

/// The longest end of `text` that fits `width` columns.
fn tail_fitting(text: &str, width: usize) -> &str {
    let mut used = 0;
    let mut start = text.len();
    for (i, c) in text.char_indices().rev() {
        used += char_width(c);
        if used > width {
            break;
        }
        start = i;
    }
    &text[start..]
}

/// `text` cut or padded to exactly `width` columns (a cut ends with '…').
fn pad(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(width + 4);
    let mut used = 0;
    let total: usize = text.chars().map(char_width).sum();
    let limit = if total > width {
        width.saturating_sub(1)
    } else {
        width
    };
    for c in text.chars() {
        let w = char_width(c);
        if used + w > limit {
            break;
        }
        out.push(c);
        used += w;
    }
    if total > width && width > 0 {
        out.push('…');
        used += 1;
    }
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(used)));
    out
}

/// Appends `text` as spans, highlighting the chars whose search-line index (`start` + their
/// char index) is in `positions`; cut to `max_width` columns with a trailing '…'.
fn highlighted(
    spans: &mut Vec<Span<'_>>,
    text: &str,
    start: usize,
    positions: &[usize],
    base: Style,
    highlight: Style,
    max_width: usize,
) {
    let total: usize = if max_width == usize::MAX {
        0
    } else {
        text.chars().map(char_width).sum()
    };
    let cut = max_width != usize::MAX && total > max_width;
    let limit = if cut {
        max_width.saturating_sub(1)
    } else {
        max_width
    };
    let mut next = positions.partition_point(|&p| p < start);
    let mut run = String::new();
    let mut run_lit = false;
    let mut used = 0;
    for (i, c) in text.chars().enumerate() {
        let w = char_width(c);
        if used + w > limit {
            break;
        }
        used += w;
        while next < positions.len() && positions[next] < start + i {
            next += 1;
        }
        let lit = positions.get(next) == Some(&(start + i));
        if lit != run_lit && !run.is_empty() {
            let style = if run_lit { highlight } else { base };
            spans.push(Span::styled(std::mem::take(&mut run), style));
        }
        run_lit = lit;
        run.push(if c.is_control() { ' ' } else { c });
    }
    if !run.is_empty() {
        let style = if run_lit { highlight } else { base };
        spans.push(Span::styled(run, style));
    }
    if cut && max_width > 0 {
        spans.push(Span::styled("…", base));
    }
}

fn render_hints(palette: Palette, frame: &mut Frame, area: Rect) {
    let mut spans = Vec::with_capacity(HINTS.len() * 2);
    for (i, (key, help)) in HINTS.iter().enumerate() {
        let separator = if i == 0 { "" } else { "  " };
        spans.push(Span::raw(separator));
        spans.push(Span::styled(
            *key,
            palette.accent().add_modifier(Modifier::BOLD),
        ));
        spans.push(Span::styled(format!(" {help}"), palette.dim()));
    }
    frame.render_widget(Line::from(spans), area);
}
