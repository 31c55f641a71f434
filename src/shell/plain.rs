//! Plain mode: a drill session on stdin/stdout without the TUI, for scripts, screen readers and
//! tests. The line protocol is documented in the README; grades persist exactly as in the TUI.

use std::collections::HashMap;
use std::io::{self, BufRead, Write};

use chrono::{DateTime, Utc};

use crate::deck::DrillItem;
use crate::grading::rubric::Evidence;
use crate::grading::{Assessment, Circumstances};
use crate::srs::scheduler::CardState;
use crate::srs::scheduler::{Rating, Scheduler, SchedulerError, format_delay};
use crate::srs::session::{Phase, Session};
use crate::store::{Store, StoreError};

pub const GRADE_PROMPT: &str = "GRADE> 1 again, 2 hard, 3 good, 4 easy";

#[derive(Debug, thiserror::Error)]
pub enum PlainError {
    #[error("terminal input/output failed: {0}")]
    Io(#[from] io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Scheduler(#[from] SchedulerError),
}

/// Everything a plain session needs from outside: where grades go and what time it is.
pub struct PlainDeps<'a> {
    pub store: &'a mut Store,
    pub scheduler: &'a Scheduler,
    pub states: &'a mut HashMap<String, CardState>,
    /// Items whose text changed since they were last reviewed.
    pub changed: &'a std::collections::HashSet<String>,
    pub clock: &'a mut dyn FnMut() -> DateTime<Utc>,
    /// The most a review counts for, by kind (from the configuration).
    pub caps: crate::srs::session::ReviewCaps,
}

enum Line {
    Text(String),
    Quit,
}

fn read_line(input: &mut impl BufRead) -> io::Result<Line> {
    let mut line = String::new();
    if input.read_line(&mut line)? == 0 {
        return Ok(Line::Quit);
    }
    let line = line.trim_end_matches(['\n', '\r']).to_owned();
    if line.trim() == "q" {
        return Ok(Line::Quit);
    }
    Ok(Line::Text(line))
}

/// Runs the session to its end, or until `q` or end of input. Returns how many items were graded.
pub fn run(
    mut input: impl BufRead,
    mut out: impl Write,
    items: Vec<DrillItem>,
    deps: PlainDeps<'_>,
) -> Result<usize, PlainError> {
    let PlainDeps {
        store,
        scheduler,
        states,
        changed,
        clock,
        caps,
    } = deps;
    let mut session = Session::new(items, clock()).with_review_caps(caps);
    if session.is_finished() {
        writeln!(out, "Nothing to drill: no card is due or new.")?;
    }
    'cards: while let Some(item) = session.current().cloned() {
        writeln!(out, "CARD {} {}", item.id, item.kind())?;
        if changed.contains(&item.id) {
            writeln!(
                out,
                "CHANGED this card's text changed since you last reviewed it"
            )?;
        }
        writeln!(out, "{}", item.prompt())?;
        writeln!(out, "ANSWER>")?;
        out.flush()?;
        let Line::Text(answer) = read_line(&mut input)? else {
            break;
        };
        session.set_answer(&answer);
        session.reveal();
        if let Phase::Revealed { assessment } = session.phase() {
            write_reveal(&mut out, &item, assessment)?;
        }
        let now = clock();
        let previous = states.get(&item.id).copied();
        let delays = scheduler.preview(previous.as_ref(), now)?;
        writeln!(
            out,
            "NEXT again {} | hard {} | good {} | easy {}",
            format_delay(delays[0]),
            format_delay(delays[1]),
            format_delay(delays[2]),
            format_delay(delays[3])
        )?;
        let rating = loop {
            writeln!(out, "{GRADE_PROMPT}")?;
            out.flush()?;
            match read_line(&mut input)? {
                Line::Quit => break 'cards,
                Line::Text(text) => match Rating::parse(&text) {
                    Some(rating) => break rating,
                    None => writeln!(
                        out,
                        "Not a grade: {:?}. Type 1-4 or again, hard, good, easy (q to stop).",
                        text.trim()
                    )?,
                },
            }
        };
        let now = clock();
        let Some(review) = session.grade(rating, now) else {
            break;
        };
        let state = scheduler.review(previous.as_ref(), rating, now)?;
        let outcome = store.record_review(&review, &state)?;
        states.insert(item.id.clone(), state);
        writeln!(
            out,
            "SAVED {} {} next due {}",
            item.id,
            rating.name(),
            state.due.format("%Y-%m-%d %H:%M UTC")
        )?;
        if outcome.leech {
            writeln!(
                out,
                "LEECH {} failed {} times: suspended. `streamdrill card unsuspend {}` brings it back.",
                item.id,
                crate::store::LEECH_LAPSES,
                item.id
            )?;
        }
        session.advance(clock());
    }
    writeln!(out, "SESSION reviewed={}", session.reviewed())?;
    out.flush()?;
    Ok(session.reviewed())
}

fn write_reveal(out: &mut impl Write, item: &DrillItem, assessment: &Assessment) -> io::Result<()> {
    let (answer, rest) = item.model_answer_parts();
    writeln!(out, "MODEL ANSWER")?;
    writeln!(out, "{answer}")?;
    match assessment {
        Assessment::Rubric { points, .. } => {
            let hits = points.iter().filter(|p| p.hit()).count();
            let wrong = points.iter().filter(|p| p.contradicted()).count();
            writeln!(
                out,
                "RUBRIC {hits}/{} matched, {wrong} contradicted",
                points.len()
            )?;
            for point in points {
                match &point.evidence {
                    Evidence::Named { quote, .. } => {
                        writeln!(out, "  [x] {} (you said {quote:?})", point.point)?;
                    }
                    Evidence::Contradicted { quote, why, .. } => {
                        writeln!(out, "  [!] {}", point.point)?;
                        writeln!(out, "      contradicted: {quote:?}: {why}")?;
                    }
                    Evidence::Missed => writeln!(out, "  [ ] {}", point.point)?,
                }
            }
        }
        Assessment::Verdict { correct } => {
            writeln!(
                out,
                "CHECK {}",
                if *correct { "correct" } else { "incorrect" }
            )?;
        }
        Assessment::WrongUnit { said, expected } => writeln!(
            out,
            "CHECK unit {said:?} is not this card's unit ({expected}): answer in {expected}, or compare with the model answer"
        )?,
        Assessment::SelfCheck => writeln!(out, "CHECK compare your answer with the model answer")?,
    }
    if let Some(rest) = rest {
        writeln!(out, "{rest}")?;
    }
    if let Some(n) = assessment
        .suggested_rating(Circumstances::default())
        .and_then(Rating::from_number)
    {
        writeln!(out, "SUGGESTED {} {}", n.number(), n.name())?;
    }
    Ok(())
}
