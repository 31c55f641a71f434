//! Progress across machines: export to JSON lines, import by merging.
//!
//! A file is a header line, one line per review, flag, state and lab result, and an end line with
//! the counts, so a truncated file is recognised. Import checks the whole file before touching the
//! database, inserts only reviews and lab results it does not have (same item or lab, same
//! instant), and rebuilds the state of every item that gained reviews by replaying its log:
//! importing the same file twice changes nothing, and two machines' histories merge without
//! duplicates.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::{BufRead, Write};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::{Store, StoreError, rebuild_state};
use crate::srs::scheduler::{CardState, Rating, Scheduler};

pub const FORMAT: &str = "streamdrill-progress";
/// 2 added lab results; version 1 files (without them) still import.
pub const VERSION: u32 = 2;
/// Upper bound on one line, so a corrupt file cannot make us read gigabytes into one string.
const LINE_BYTES_MAX: usize = 1024 * 1024;

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum Line {
    Header {
        format: String,
        version: u32,
        exported_at: DateTime<Utc>,
    },
    Review(ReviewLine),
    Flags(FlagsLine),
    State(StateLine),
    Lab(LabLine),
    End {
        reviews: u64,
        flags: u64,
        states: u64,
        /// Version 1 files have no lab results.
        #[serde(default)]
        labs: u64,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReviewLine {
    item_id: String,
    deck_id: String,
    reviewed_at: DateTime<Utc>,
    rating: Rating,
    duration_ms: u64,
    answer: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FlagsLine {
    item_id: String,
    suspended: bool,
    leech: bool,
    reset_at: Option<DateTime<Utc>>,
    /// Flagged for a second look (`!`). Files written before flags were exported lack it.
    #[serde(default)]
    flagged: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateLine {
    item_id: String,
    deck_id: String,
    state: CardState,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LabLine {
    lab_id: String,
    finished_at: DateTime<Utc>,
    passed: bool,
    commands: u32,
    hints: u32,
}

/// A review as the import holds it until the merge: item and deck ids shared with every other
/// review of the same item and deck (a 5,000,000-review file names 50,000 items), the answer
/// boxed (empty for most). About 70 bytes a review instead of three strings of its own.
#[derive(Debug)]
struct ImportedReview {
    item_id: Arc<str>,
    deck_id: Arc<str>,
    reviewed_at: DateTime<Utc>,
    rating: Rating,
    duration_ms: u64,
    answer: Box<str>,
}

/// One shared copy of each id the file repeats.
#[derive(Debug, Default)]
struct Interner(HashSet<Arc<str>>);

impl Interner {
    fn get(&mut self, text: String) -> Arc<str> {
        if let Some(known) = self.0.get(text.as_str()) {
            return Arc::clone(known);
        }
        let shared: Arc<str> = Arc::from(text);
        self.0.insert(Arc::clone(&shared));
        shared
    }

    fn review(&mut self, line: ReviewLine) -> ImportedReview {
        ImportedReview {
            item_id: self.get(line.item_id),
            deck_id: self.get(line.deck_id),
            reviewed_at: line.reviewed_at,
            rating: line.rating,
            duration_ms: line.duration_ms,
            answer: line.answer.into_boxed_str(),
        }
    }
}

/// What a progress file holds once read and checked.
#[derive(Debug, Default)]
struct ProgressFile {
    reviews: Vec<ImportedReview>,
    flags: Vec<FlagsLine>,
    states: u64,
    labs: Vec<LabLine>,
}

#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    #[error("line {line}: {message}")]
    BadLine { line: usize, message: String },
    #[error("not a streamdrill progress file: {0}")]
    NotProgress(String),
    #[error("the file is truncated: {0}")]
    Truncated(String),
    #[error("reading or writing the file failed: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for ExchangeError {
    fn from(e: rusqlite::Error) -> Self {
        ExchangeError::Store(StoreError::from(e))
    }
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ImportSummary {
    pub reviews_in_file: u64,
    pub reviews_added: u64,
    pub items_rebuilt: u64,
    pub lab_runs_in_file: u64,
    pub lab_runs_added: u64,
}

/// The page cache an import works with, in KiB: room for the indexes a million-review merge
/// touches.
const IMPORT_CACHE_KIB: i64 = 64 * 1024;
/// An import of at least this many reviews, and more than the store holds, builds the review
/// log's secondary indexes and its trigger-kept totals once at the end instead of updating
/// each per review.
const BULK_IMPORT_REVIEWS_MIN: usize = 5_000;
/// The index the merge itself reads (an item's last stored review, an existing review).
const MERGE_INDEX: &str = "review_log_item";

impl Store {
    /// Writes every review, flag and state. Returns the number of reviews written.
    pub fn export(&self, mut out: impl Write, now: DateTime<Utc>) -> Result<u64, ExchangeError> {
        let mut write = |line: &Line| -> Result<(), ExchangeError> {
            serde_json::to_writer(&mut out, line).map_err(std::io::Error::from)?;
            out.write_all(b"\n")?;
            Ok(())
        };
        write(&Line::Header {
            format: FORMAT.to_owned(),
            version: VERSION,
            exported_at: now,
        })?;
        let reviews = self.for_each_review(|r| {
            write(&Line::Review(ReviewLine {
                item_id: r.item_id,
                deck_id: r.deck_id,
                reviewed_at: r.reviewed_at,
                rating: r.rating,
                duration_ms: r.duration_ms,
                answer: r.answer,
            }))
        })?;
        let mut flags: Vec<_> = self.flags()?.into_iter().collect();
        flags.sort_by(|a, b| a.0.cmp(&b.0));
        for (item_id, f) in &flags {
            write(&Line::Flags(FlagsLine {
                item_id: item_id.clone(),
                suspended: f.suspended,
                leech: f.leech,
                reset_at: f.reset_at,
                flagged: f.flagged,
            }))?;
        }
        let decks = self.item_decks()?;
        let mut states: Vec<_> = self.card_states()?.into_iter().collect();
        states.sort_by(|a, b| a.0.cmp(&b.0));
        for (item_id, state) in &states {
            write(&Line::State(StateLine {
                deck_id: decks.get(item_id).cloned().unwrap_or_default(),
                item_id: item_id.clone(),
                state: *state,
            }))?;
        }
        let labs = self.lab_results()?;
        for lab in &labs {
            write(&Line::Lab(LabLine {
                lab_id: lab.lab_id.clone(),
                finished_at: lab.finished_at,
                passed: lab.passed,
                commands: lab.commands,
                hints: lab.hints,
            }))?;
        }
        write(&Line::End {
            reviews,
            flags: flags.len() as u64,
            states: states.len() as u64,
            labs: labs.len() as u64,
        })?;
        out.flush()?;
        Ok(reviews)
    }

    /// Merges a progress file. The whole file is read and checked first; on any problem the
    /// database is left untouched.
    pub fn import(
        &mut self,
        input: impl BufRead,
        scheduler: &Scheduler,
    ) -> Result<ImportSummary, ExchangeError> {
        let file = read_progress_file(input)?;
        // A large merge is one transaction: with SQLite's default 2 MB page cache it spills
        // dirty pages to the WAL and reads them back over and over (most of the time of a
        // million-review import). A bigger cache for the merge only, then the default again.
        let cache_pages: i64 = self.conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
        self.conn
            .pragma_update(None, "cache_size", -IMPORT_CACHE_KIB)?;
        let merged = self.merge(&file, scheduler);
        self.conn.pragma_update(None, "cache_size", cache_pages)?;
        merged
    }

    fn merge(
        &mut self,
        file: &ProgressFile,
        scheduler: &Scheduler,
    ) -> Result<ImportSummary, ExchangeError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut summary = ImportSummary {
            reviews_in_file: file.reviews.len() as u64,
            lab_runs_in_file: file.labs.len() as u64,
            ..ImportSummary::default()
        };
        let deferred = if file.reviews.len() >= BULK_IMPORT_REVIEWS_MIN
            && file.reviews.len() as u64 > super::review_count_in(&tx)?
        {
            Some(defer_upkeep(&tx)?)
        } else {
            None
        };
        let mut touched: BTreeSet<(String, String)> = BTreeSet::new();
        // Per item, the file's reviews in time order. An item whose new reviews all come after
        // its last stored one is continued from its stored state, each review inserted with
        // its schedule (the common case: a second machine's newer work, or an empty
        // database); one whose reviews interleave with stored ones is merged and replayed.
        let mut by_item: BTreeMap<&str, Vec<&ImportedReview>> = BTreeMap::new();
        for r in &file.reviews {
            by_item.entry(&r.item_id).or_default().push(r);
        }
        for (item_id, mut reviews) in by_item {
            reviews.sort_by_key(|r| r.reviewed_at);
            reviews.dedup_by_key(|r| r.reviewed_at);
            let last_stored: Option<i64> = tx
                .prepare_cached("SELECT MAX(reviewed_at) FROM review_log WHERE item_id = ?1")?
                .query_row([item_id], |r| r.get(0))?;
            let first_new = reviews.first().map(|r| r.reviewed_at.timestamp_millis());
            if last_stored.is_none_or(|last| first_new.is_some_and(|first| first > last)) {
                summary.reviews_added += append_reviews(&tx, scheduler, item_id, &reviews)?;
                continue;
            }
            for r in reviews {
                let added = tx
                    .prepare_cached(
                        "INSERT INTO review_log
                    (item_id, deck_id, reviewed_at, rating, duration_ms, answer, stability, difficulty, due)
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, 0, 0, ?3
                 WHERE NOT EXISTS
                    (SELECT 1 FROM review_log WHERE item_id = ?1 AND reviewed_at = ?3)",
                    )?
                    .execute(params![
                        &*r.item_id,
                        &*r.deck_id,
                        r.reviewed_at.timestamp_millis(),
                        r.rating.number(),
                        i64::try_from(r.duration_ms).unwrap_or(i64::MAX),
                        &*r.answer
                    ])?;
                if added > 0 {
                    summary.reviews_added += 1;
                    touched.insert((r.item_id.to_string(), r.deck_id.to_string()));
                }
            }
        }
        merge_flags(&tx, &file.flags, &mut touched)?;
        for (item_id, deck_id) in &touched {
            rebuild_state(&tx, scheduler, item_id, deck_id)?;
        }
        summary.items_rebuilt = touched.len() as u64;
        summary.lab_runs_added += merge_lab_runs(&tx, &file.labs)?;
        if let Some(deferred) = deferred {
            for create in &deferred {
                tx.execute_batch(create)?;
            }
            tx.execute_batch(super::RECOUNT_TOTALS)?;
        }
        tx.commit()?;
        Ok(summary)
    }

    fn item_decks(&self) -> Result<std::collections::HashMap<String, String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT item_id, deck_id FROM card_state")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Merges flags (a flag set on either machine stays set; the later reset wins), noting the items
/// whose reset moved and must be rebuilt.
fn merge_flags(
    tx: &rusqlite::Transaction<'_>,
    flags: &[FlagsLine],
    touched: &mut BTreeSet<(String, String)>,
) -> Result<(), StoreError> {
    for f in flags {
        let reset_at = f.reset_at.map(|t| t.timestamp_millis());
        let local_reset: Option<i64> = tx
            .query_row(
                "SELECT reset_at FROM item_flags WHERE item_id = ?1",
                [&f.item_id],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        tx.execute(
            "INSERT INTO item_flags (item_id, suspended, leech, reset_at, flagged)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(item_id) DO UPDATE SET
                suspended = MAX(suspended, excluded.suspended),
                leech = MAX(leech, excluded.leech),
                reset_at = MAX(COALESCE(reset_at, excluded.reset_at), COALESCE(excluded.reset_at, reset_at)),
                flagged = MAX(flagged, excluded.flagged)",
            params![f.item_id, f.suspended, f.leech, reset_at, f.flagged],
        )?;
        if reset_at > local_reset {
            let deck: Option<String> = tx
                .query_row(
                    "SELECT deck_id FROM review_log WHERE item_id = ?1 LIMIT 1",
                    [&f.item_id],
                    |r| r.get(0),
                )
                .optional()?;
            touched.insert((f.item_id.clone(), deck.unwrap_or_default()));
        }
    }
    Ok(())
}

/// Adds the lab runs not already stored (keyed by lab and finish time). Returns how many.
fn merge_lab_runs(tx: &rusqlite::Transaction<'_>, labs: &[LabLine]) -> Result<u64, StoreError> {
    let mut added = 0;
    for lab in labs {
        added += tx
            .prepare_cached(
                "INSERT INTO lab_results (lab_id, finished_at, passed, commands, hints)
                 SELECT ?1, ?2, ?3, ?4, ?5
                 WHERE NOT EXISTS
                    (SELECT 1 FROM lab_results WHERE lab_id = ?1 AND finished_at = ?2)",
            )?
            .execute(params![
                lab.lab_id,
                lab.finished_at.timestamp_millis(),
                lab.passed,
                lab.commands,
                lab.hints
            ])? as u64;
    }
    Ok(added)
}

/// Drops the review log's indexes other than the one the merge reads, and its triggers, and
/// returns the statements that make them again. Inserting a million reviews into five indexes
/// keyed by time, item and confidence touches pages all over each and spills them to the WAL
/// again and again, and the triggers run two upserts a review; building each index once from the
/// finished table is one sort, and the totals one grouped scan ([`super::RECOUNT_TOTALS`]).
/// Inside the import's transaction, so an interrupted import leaves everything as it was.
fn defer_upkeep(tx: &rusqlite::Transaction<'_>) -> Result<Vec<String>, StoreError> {
    let deferred: Vec<(String, String, String)> = {
        let mut stmt = tx.prepare(
            "SELECT type, name, sql FROM sqlite_schema
             WHERE type IN ('index', 'trigger') AND tbl_name = 'review_log' AND sql IS NOT NULL
                AND name <> ?1",
        )?;
        let rows = stmt.query_map([MERGE_INDEX], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    for (kind, name, _) in &deferred {
        tx.execute_batch(&format!("DROP {kind} \"{}\"", name.replace('"', "\"\"")))?;
    }
    Ok(deferred.into_iter().map(|(_, _, sql)| sql).collect())
}

/// Appends `reviews` (in time order, all after the item's last stored review) to an item,
/// continuing its schedule from its stored state as a review in the app would. Returns how
/// many were added.
fn append_reviews(
    tx: &rusqlite::Transaction<'_>,
    scheduler: &Scheduler,
    item_id: &str,
    reviews: &[&ImportedReview],
) -> Result<u64, StoreError> {
    let Some(last) = reviews.last() else {
        return Ok(0);
    };
    let stored = super::card_state_in(tx, item_id)?;
    let mut state = stored;
    let mut insert = tx.prepare_cached(
        "INSERT INTO review_log
            (item_id, deck_id, reviewed_at, rating, duration_ms, answer, stability, difficulty, due,
             elapsed_days, scheduled_days)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    for r in reviews {
        let (elapsed_days, scheduled_days) = state.map_or((0.0, 0.0), |s| {
            (
                (r.reviewed_at - s.last_review).num_milliseconds() as f64 / 86_400_000.0,
                (s.due - s.last_review).num_milliseconds() as f64 / 86_400_000.0,
            )
        });
        let next = scheduler.review(state.as_ref(), r.rating, r.reviewed_at)?;
        insert.execute(params![
            &*r.item_id,
            &*r.deck_id,
            r.reviewed_at.timestamp_millis(),
            r.rating.number(),
            i64::try_from(r.duration_ms).unwrap_or(i64::MAX),
            super::truncate_to_char_boundary(&r.answer, super::ANSWER_BYTES_MAX),
            f64::from(next.stability),
            f64::from(next.difficulty),
            next.due.timestamp_millis(),
            elapsed_days,
            scheduled_days,
        ])?;
        state = Some(next);
    }
    if let Some(state) = state {
        super::write_state(tx, item_id, &last.deck_id, &state)?;
    }
    if stored.is_none() {
        // A new item's history starts with the first of these reviews.
        tx.prepare_cached("UPDATE card_state SET first_reviewed_at = ?2 WHERE item_id = ?1")?
            .execute(params![item_id, reviews[0].reviewed_at.timestamp_millis()])?;
    }
    Ok(reviews.len() as u64)
}

fn read_progress_file(mut input: impl BufRead) -> Result<ProgressFile, ExchangeError> {
    let mut file = ProgressFile::default();
    let mut header_seen = false;
    let mut ids = Interner::default();
    let mut end = None;
    let mut buffer = Vec::new();
    let mut number = 0;
    loop {
        buffer.clear();
        let mut limited = std::io::Read::take(&mut input, LINE_BYTES_MAX as u64 + 1);
        let read = limited.read_until(b'\n', &mut buffer)?;
        if read == 0 {
            break;
        }
        number += 1;
        if buffer.len() > LINE_BYTES_MAX {
            return Err(ExchangeError::BadLine {
                line: number,
                message: format!("longer than {LINE_BYTES_MAX} bytes"),
            });
        }
        let text = std::str::from_utf8(&buffer).map_err(|_| ExchangeError::BadLine {
            line: number,
            message: "not UTF-8".to_owned(),
        })?;
        if text.trim().is_empty() {
            continue;
        }
        if end.is_some() {
            return Err(ExchangeError::BadLine {
                line: number,
                message: "data after the end line".to_owned(),
            });
        }
        let line: Line = serde_json::from_str(text).map_err(|e| {
            if header_seen {
                ExchangeError::BadLine {
                    line: number,
                    message: e.to_string(),
                }
            } else {
                ExchangeError::NotProgress(format!("line 1 is not a progress header ({e})"))
            }
        })?;
        match line {
            Line::Header {
                format, version, ..
            } => {
                if header_seen || number != 1 || format != FORMAT {
                    return Err(ExchangeError::NotProgress(format!(
                        "line {number}: unexpected header"
                    )));
                }
                if version > VERSION {
                    return Err(ExchangeError::NotProgress(format!(
                        "format version {version} is newer than this streamdrill ({VERSION})"
                    )));
                }
                header_seen = true;
            }
            _ if !header_seen => {
                return Err(ExchangeError::NotProgress(
                    "the first line must be the header".to_owned(),
                ));
            }
            Line::Review(r) => file.reviews.push(ids.review(r)),
            Line::Flags(f) => file.flags.push(f),
            Line::State(_) => file.states += 1,
            Line::Lab(lab) => file.labs.push(lab),
            Line::End {
                reviews,
                flags,
                states,
                labs,
            } => end = Some((reviews, flags, states, labs)),
        }
    }
    if !header_seen {
        return Err(ExchangeError::NotProgress("the file is empty".to_owned()));
    }
    let Some(expected) = end else {
        return Err(ExchangeError::Truncated(format!(
            "no end line after {number} lines"
        )));
    };
    let found = (
        file.reviews.len() as u64,
        file.flags.len() as u64,
        file.states,
        file.labs.len() as u64,
    );
    if expected != found {
        return Err(ExchangeError::Truncated(format!(
            "the end line promises {expected:?} reviews, flags, states and lab runs, the file has \
             {found:?}"
        )));
    }
    Ok(file)
}
