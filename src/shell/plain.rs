//! Plain mode: a drill session on stdin/stdout without the TUI, for scripts, screen readers and
//! tests. The line protocol is documented in the README; grades persist exactly as in the TUI.

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
    pub states: &'a mut crate::srs::queue::ItemMap<CardState>,
    /// Items whose text changed since they were last reviewed.
    pub changed: &'a std::collections::HashSet<String>,
    pub clock: &'a mut dyn FnMut() -> DateTime<Utc>,
    /// The most a review counts for, by kind (from the configuration).
    pub caps: crate::srs::session::ReviewCaps,
    /// Each kind's answer time in seconds (from the configuration): an answer given later
    /// gets at most "hard" suggested, as in the TUI.
    pub time_limit: &'a dyn Fn(&str) -> u32,
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
        time_limit,
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
        let asked = clock();
        let Line::Text(answer) = read_line(&mut input)? else {
            break;
        };
        let took = (clock() - asked).num_seconds().max(0);
        let limit = time_limit(item.kind());
        let circumstances = Circumstances {
            over_time: took > i64::from(limit),
            ..Circumstances::default()
        };
        session.set_answer(&answer);
        session.reveal();
        if circumstances.over_time {
            writeln!(
                out,
                "OVER TIME answered in {took} s of {limit} s: the suggestion is at most hard"
            )?;
        }
        if let Phase::Revealed { assessment } = session.phase() {
            write_reveal(&mut out, &item, assessment, circumstances)?;
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

fn write_reveal(
    out: &mut impl Write,
    item: &DrillItem,
    assessment: &Assessment,
    circumstances: Circumstances,
) -> io::Result<()> {
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
        .suggested_rating(circumstances)
        .and_then(Rating::from_number)
    {
        writeln!(out, "SUGGESTED {} {}", n.number(), n.name())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deck::{Library, Origin};
    use chrono::TimeZone;

    /// The starter question answered well, `seconds` after it was asked; what plain mode says.
    fn answer_after(seconds: i64) -> String {
        let mut library = Library::default();
        let source = include_str!("../../tests/fixtures/valid/starter.toml");
        library.add(Origin::File("starter.toml".into()), "starter.toml", source);
        let item = library
            .items(None)
            .into_iter()
            .find(|i| i.id.ends_with("producer-drops-on-broker-restart"))
            .expect("the starter question");
        let mut store = Store::open_in_memory().expect("store");
        let scheduler = Scheduler::new(0.9).expect("scheduler");
        let mut states = crate::srs::queue::ItemMap::default();
        let changed = std::collections::HashSet::new();
        // Each reading of the clock is `seconds` later: the answer arrives that long after
        // the prompt.
        let mut now = Utc
            .with_ymd_and_hms(2026, 3, 10, 12, 0, 0)
            .single()
            .expect("date");
        let mut clock = move || {
            now += chrono::Duration::seconds(seconds);
            now
        };
        let input = "Use acks=all with min.insync.replicas=2, keep retries within \
                     delivery.timeout.ms, and expect a controller failover to delay metadata \
                     refresh while leaders move.\n3\n";
        let mut out = Vec::new();
        run(
            input.as_bytes(),
            &mut out,
            vec![item],
            PlainDeps {
                store: &mut store,
                scheduler: &scheduler,
                states: &mut states,
                changed: &changed,
                clock: &mut clock,
                caps: crate::srs::session::ReviewCaps::default(),
                time_limit: &|_| 90,
            },
        )
        .expect("session runs");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn an_answer_past_the_time_limit_is_suggested_at_most_hard() {
        let in_time = answer_after(30);
        assert!(in_time.contains("SUGGESTED 3 good"), "{in_time}");
        assert!(!in_time.contains("OVER TIME"), "{in_time}");
        let late = answer_after(200);
        assert!(
            late.contains("OVER TIME answered in 200 s of 90 s"),
            "{late}"
        );
        assert!(late.contains("SUGGESTED 2 hard"), "{late}");
    }
}
