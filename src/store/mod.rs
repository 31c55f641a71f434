//! Progress in SQLite: scheduling state per drill item and an append-only review log.
//!
//! Migrations are append-only and keyed by `PRAGMA user_version`; a shipped migration is never
//! edited or reordered. Every grade is one transaction, synced before it is acknowledged.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::time::Duration as StdDuration;

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use crate::srs::queue::ItemMap;
use crate::srs::scheduler::{CardState, Rating, Scheduler, SchedulerError};

/// Lapses after which an item is a leech: suspended, and the user told.
pub const LEECH_LAPSES: u32 = 8;

pub mod exchange;
mod migrations;

use migrations::MIGRATIONS;

pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;
const BUSY_TIMEOUT: StdDuration = StdDuration::from_secs(10);
/// Typed answers are kept for review, within reason.
const ANSWER_BYTES_MAX: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path} is not a streamdrill database (not SQLite, or corrupt); it was left untouched")]
    NotADatabase { path: String },
    #[error(
        "{path} was written by a newer streamdrill (schema version {found}, this one knows {known}); it was left untouched"
    )]
    TooNew {
        path: String,
        found: u32,
        known: u32,
    },
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Scheduler(#[from] SchedulerError),
}

/// One finished lab run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabResult {
    pub lab_id: String,
    pub finished_at: DateTime<Utc>,
    pub passed: bool,
    pub commands: u32,
    pub hints: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LabSummary {
    pub lab_id: String,
    pub runs: u64,
    pub passed: u64,
    pub last_passed: Option<DateTime<Utc>>,
}

/// What a review showed besides its grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Observations {
    /// For true/false calls: how sure the learner said they were.
    pub confidence: Option<Confidence>,
    /// For answers checked automatically: whether it was right.
    pub correct: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Sure,
    Unsure,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Sure => "sure",
            Confidence::Unsure => "unsure",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "sure" => Some(Confidence::Sure),
            "unsure" => Some(Confidence::Unsure),
            _ => None,
        }
    }
}

/// A plan toward an interview, as `streamdrill plan` chose it.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedPlan {
    pub interview_date: chrono::NaiveDate,
    pub desired_retention: f32,
    pub new_per_day: u32,
    pub minutes_per_day: f32,
    pub created_at: DateTime<Utc>,
}

/// Reviews and time on one study day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayActivity {
    pub day: i64,
    pub reviews: u64,
    pub duration_ms: u64,
    /// Reviews rated hard or better.
    pub passed: u64,
}

/// Which reviews a pass rate counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassFilter {
    /// Reviews of items with an interval of 21 days or more: true retention.
    Mature,
    /// Every review since an instant.
    Since(DateTime<Utc>),
}

/// What recording a review led to, beyond the review itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReviewOutcome {
    /// This review made the item a leech; it is now suspended.
    pub leech: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[allow(clippy::struct_excessive_bools)] // independent flags, stored as such
pub struct ItemFlags {
    pub suspended: bool,
    pub leech: bool,
    /// The card's text changed since it was last reviewed.
    pub changed: bool,
    pub flagged: bool,
    pub reset_at: Option<DateTime<Utc>>,
}

/// FSRS parameters fitted to the user's own reviews, with how well they fit.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedParameters {
    pub created_at: DateTime<Utc>,
    pub parameters: Vec<f32>,
    pub reviews: u64,
    pub log_loss_before: f64,
    pub log_loss_after: f64,
}

/// One graded review, as the session produced it.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub item_id: String,
    pub deck_id: String,
    pub reviewed_at: DateTime<Utc>,
    pub rating: Rating,
    pub duration_ms: u64,
    pub answer: String,
}

pub struct Store {
    conn: Connection,
    label: String,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and migrates it.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let label = path.display().to_string();
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        Self::init(conn, label)
    }

    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?, ":memory:".to_owned())
    }

    fn init(conn: Connection, label: String) -> Result<Self, StoreError> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // The first read of the header tells a foreign file apart before anything is written.
        let version: u32 = match conn.query_row("PRAGMA user_version", [], |r| r.get(0)) {
            Ok(v) => v,
            Err(e) if is_not_a_database(&e) => {
                return Err(StoreError::NotADatabase { path: label });
            }
            Err(e) => return Err(e.into()),
        };
        if version > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                path: label,
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        let journal: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(|e| not_a_database_or(e, &label))?;
        debug_assert!(
            journal == "wal" || journal == "memory",
            "journal mode {journal}"
        );
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let mut store = Self { conn, label };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)?;
        // Re-read inside the lock: another instance may have migrated meanwhile.
        let version: u32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                path: self.label.clone(),
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        for migration in &MIGRATIONS[version as usize..] {
            tx.execute_batch(migration)?;
        }
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        tx.commit()?;
        Ok(())
    }

    pub fn schema_version(&self) -> Result<u32, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// Appends the review and stores the item's new state, atomically. When this returns `Ok`,
    /// the grade is durable. An item that lapses for the [`LEECH_LAPSES`]th time (or later) is
    /// suspended as a leech.
    pub fn record_review(
        &mut self,
        review: &Review,
        state: &CardState,
    ) -> Result<ReviewOutcome, StoreError> {
        self.record_review_with(review, state, Observations::default())
    }

    /// As [`Store::record_review`], with what was observed besides the grade.
    pub fn record_review_with(
        &mut self,
        review: &Review,
        state: &CardState,
        observed: Observations,
    ) -> Result<ReviewOutcome, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        insert_review(&tx, review, state)?;
        if observed != Observations::default() {
            tx.execute(
                "UPDATE review_log SET confidence = ?2, correct = ?3
                 WHERE id = (SELECT MAX(id) FROM review_log WHERE item_id = ?1)",
                params![
                    review.item_id,
                    observed.confidence.map(Confidence::as_str),
                    observed.correct
                ],
            )?;
        }
        write_state(&tx, &review.item_id, &review.deck_id, state)?;
        // Reviewed in its new wording: no longer "changed".
        tx.execute(
            "UPDATE item_flags SET changed = 0 WHERE item_id = ?1 AND changed = 1",
            [&review.item_id],
        )?;
        // A leech is decided when a card lapses, not when a card with many old lapses passes.
        let leech = review.rating == Rating::Again
            && state.lapses >= LEECH_LAPSES
            && tx.execute(
                "INSERT INTO item_flags (item_id, suspended, leech) VALUES (?1, 1, 1)
                 ON CONFLICT(item_id) DO UPDATE SET suspended = 1, leech = 1 WHERE leech = 0",
                [&review.item_id],
            )? > 0;
        tx.commit()?;
        Ok(ReviewOutcome { leech })
    }

    /// Loads many reviews at once (generated data sets, benchmarks): each review with the state
    /// it led to, oldest first per item, in one transaction.
    pub fn bulk_load(&mut self, reviews: &[(Review, CardState)]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        let mut last: HashMap<&str, (&str, &CardState)> = HashMap::new();
        for (review, state) in reviews {
            insert_review(&tx, review, state)?;
            last.insert(&review.item_id, (&review.deck_id, state));
        }
        for (item_id, (deck_id, state)) in last {
            write_state(&tx, item_id, deck_id, state)?;
        }
        tx.execute_batch(
            "UPDATE card_state SET first_reviewed_at =
                (SELECT MIN(reviewed_at) FROM review_log r WHERE r.item_id = card_state.item_id)",
        )?;
        tx.commit()?;
        Ok(())
    }

    pub fn set_flagged(&mut self, item_id: &str, flagged: bool) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO item_flags (item_id, flagged) VALUES (?1, ?2)
             ON CONFLICT(item_id) DO UPDATE SET flagged = excluded.flagged",
            params![item_id, flagged],
        )?;
        Ok(())
    }

    /// How sure the learner was, against whether they were right: (confidence, correct, count).
    pub fn calibration(&self) -> Result<Vec<(Confidence, bool, u64)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT confidence, correct, COUNT(*) FROM review_log
             WHERE confidence IS NOT NULL AND correct IS NOT NULL GROUP BY 1, 2",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, bool>(1)?,
                r.get::<_, i64>(2)?.max(0) as u64,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (confidence, correct, count) = row?;
            if let Some(confidence) = Confidence::parse(&confidence) {
                out.push((confidence, correct, count));
            }
        }
        Ok(out)
    }

    /// Suspended items are never queued; unsuspending also clears the leech mark.
    pub fn set_suspended(&mut self, item_id: &str, suspended: bool) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO item_flags (item_id, suspended) VALUES (?1, ?2)
             ON CONFLICT(item_id) DO UPDATE SET suspended = excluded.suspended,
                leech = CASE WHEN excluded.suspended = 0 THEN 0 ELSE leech END",
            params![item_id, suspended],
        )?;
        Ok(())
    }

    /// Forgets an item's scheduling: it is new again. Its review log is kept (stats, export),
    /// but reviews up to now no longer count towards its state.
    pub fn reset(&mut self, item_id: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO item_flags (item_id, reset_at, leech, suspended) VALUES (?1, ?2, 0, 0)
             ON CONFLICT(item_id) DO UPDATE SET reset_at = excluded.reset_at, leech = 0, suspended = 0",
            params![item_id, now.timestamp_millis()],
        )?;
        tx.execute("DELETE FROM card_state WHERE item_id = ?1", [item_id])?;
        tx.commit()?;
        Ok(())
    }

    /// Removes the most recent review and rebuilds its item's state from the reviews left.
    /// Returns the review undone, if there was one.
    pub fn undo_last(&mut self, scheduler: &Scheduler) -> Result<Option<Review>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let last = tx
            .query_row(
                &format!("SELECT id, {REVIEW_COLUMNS} FROM review_log ORDER BY id DESC LIMIT 1"),
                [],
                |r| Ok((r.get::<_, i64>(0)?, review_from_row(r, 1)?)),
            )
            .optional()?;
        let Some((id, review)) = last else {
            return Ok(None);
        };
        tx.execute("DELETE FROM review_log WHERE id = ?1", [id])?;
        rebuild_state(&tx, scheduler, &review.item_id, &review.deck_id)?;
        tx.commit()?;
        Ok(Some(review))
    }

    /// Records each item's content hash; items whose text changed since they were last seen are
    /// marked changed (their history is kept). Returns how many were newly marked.
    pub fn sync_content_hashes(
        &mut self,
        hashes: &[(String, String)],
    ) -> Result<usize, StoreError> {
        let known: HashMap<String, Option<String>> = {
            let mut stmt = self.conn.prepare(
                "SELECT s.item_id, f.content_hash FROM card_state s
                 LEFT JOIN item_flags f ON f.item_id = s.item_id",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        let tx = self.conn.transaction()?;
        let mut changed = 0;
        for (item_id, hash) in hashes {
            let Some(stored) = known.get(item_id) else {
                continue;
            };
            if stored.as_deref() == Some(hash.as_str()) {
                continue;
            }
            let is_change = stored.is_some();
            tx.execute(
                "INSERT INTO item_flags (item_id, content_hash, changed) VALUES (?1, ?2, ?3)
                 ON CONFLICT(item_id) DO UPDATE SET content_hash = excluded.content_hash,
                    changed = MAX(changed, excluded.changed)",
                params![item_id, hash, is_change],
            )?;
            changed += usize::from(is_change);
        }
        tx.commit()?;
        Ok(changed)
    }

    /// Every item's flags row (every item seen since its content was synced has one).
    pub fn flags(&self) -> Result<ItemMap<ItemFlags>, StoreError> {
        self.flags_where("")
    }

    /// The flags of items with any flag raised: what scheduling needs (an item absent has none
    /// raised). Most items have a row only for their content hash; reading those too costs a
    /// string and a map entry per card each time today's queue is built.
    pub fn raised_flags(&self) -> Result<ItemMap<ItemFlags>, StoreError> {
        self.flags_where("WHERE suspended OR leech OR changed OR flagged OR reset_at IS NOT NULL")
    }

    fn flags_where(&self, filter: &str) -> Result<ItemMap<ItemFlags>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT item_id, suspended, leech, changed, reset_at, flagged FROM item_flags {filter}"
        ))?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                ItemFlags {
                    suspended: r.get(1)?,
                    leech: r.get(2)?,
                    changed: r.get(3)?,
                    reset_at: r.get::<_, Option<i64>>(4)?.map(from_millis),
                    flagged: r.get(5)?,
                },
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Items first learned at or after `since` (new cards introduced today).
    pub fn introduced_since(&self, since: DateTime<Utc>) -> Result<u64, StoreError> {
        let count: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM card_state WHERE first_reviewed_at >= ?1",
            [since.timestamp_millis()],
            |r| r.get(0),
        )?;
        Ok(count.max(0) as u64)
    }

    /// Items reviewed at or after `since`.
    pub fn reviewed_items_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<HashSet<String>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT DISTINCT item_id FROM review_log INDEXED BY review_log_activity
                 WHERE reviewed_at >= ?1",
        )?;
        let rows = stmt.query_map([since.timestamp_millis()], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Stores parameters fitted by the optimizer; scheduling uses the latest from then on.
    pub fn save_parameters(&mut self, fitted: &FittedParameters) -> Result<(), StoreError> {
        let json = serde_json::to_string(&fitted.parameters).unwrap_or_default();
        self.conn.execute(
            "INSERT INTO fsrs_params (created_at, parameters, reviews, log_loss_before, log_loss_after)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                fitted.created_at.timestamp_millis(),
                json,
                i64::try_from(fitted.reviews).unwrap_or(i64::MAX),
                fitted.log_loss_before,
                fitted.log_loss_after
            ],
        )?;
        Ok(())
    }

    pub fn latest_parameters(&self) -> Result<Option<FittedParameters>, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT created_at, parameters, reviews, log_loss_before, log_loss_after
                 FROM fsrs_params ORDER BY id DESC LIMIT 1",
                [],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, f64>(3)?,
                        r.get::<_, f64>(4)?,
                    ))
                },
            )
            .optional()?;
        Ok(row.and_then(|(at, json, reviews, before, after)| {
            let parameters: Vec<f32> = serde_json::from_str(&json).ok()?;
            Some(FittedParameters {
                created_at: from_millis(at),
                parameters,
                reviews: reviews.max(0) as u64,
                log_loss_before: before,
                log_loss_after: after,
            })
        }))
    }

    /// Reviews and time spent per study day since `since`. Days are numbered from the Unix
    /// epoch after shifting by `day_offset_ms`, so they start at the user's day-start hour.
    pub fn daily_activity(
        &self,
        since: DateTime<Utc>,
        day_offset_ms: i64,
    ) -> Result<Vec<DayActivity>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT (bucket * 900000 - ?2) / 86400000 AS day, SUM(reviews), SUM(duration_ms),
                    SUM(passed)
             FROM activity WHERE bucket >= ?1 / 900000 GROUP BY day ORDER BY day",
        )?;
        let rows = stmt.query_map(params![since.timestamp_millis(), day_offset_ms], |r| {
            Ok(DayActivity {
                day: r.get(0)?,
                reviews: r.get::<_, i64>(1)?.max(0) as u64,
                duration_ms: r.get::<_, i64>(2)?.max(0) as u64,
                passed: r.get::<_, i64>(3)?.max(0) as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn total_duration_ms(&self) -> Result<u64, StoreError> {
        let total: i64 = self.conn.query_row(
            "SELECT COALESCE(SUM(duration_ms), 0) FROM activity",
            [],
            |r| r.get(0),
        )?;
        Ok(total.max(0) as u64)
    }

    /// Per item: reviews passed (rated hard or better) and reviews in all, counting only reviews
    /// of items that had been given at least 21 days (true retention), or, with `since`, only
    /// reviews since then.
    pub fn pass_counts(&self, filter: PassFilter) -> Result<Vec<(String, u64, u64)>, StoreError> {
        let (sql, arg) = match filter {
            PassFilter::Mature => (
                "SELECT item_id, mature_passed, mature_reviews FROM item_totals
                 WHERE mature_reviews > 0",
                None,
            ),
            PassFilter::Since(since) => (
                // The time index bounds the scan; left alone, SQLite would walk every review in
                // item order to avoid sorting for GROUP BY.
                "SELECT item_id, SUM(rating > 1), COUNT(*) FROM review_log
                 INDEXED BY review_log_activity WHERE reviewed_at >= ?1 GROUP BY item_id",
                Some(since.timestamp_millis()),
            ),
        };
        let mut stmt = self.conn.prepare(sql)?;
        let map = |r: &rusqlite::Row<'_>| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?.max(0) as u64,
                r.get::<_, i64>(2)?.max(0) as u64,
            ))
        };
        let rows = match arg {
            Some(since) => stmt.query_map([since], map)?.collect::<Result<_, _>>()?,
            None => stmt.query_map([], map)?.collect::<Result<_, _>>()?,
        };
        Ok(rows)
    }

    pub fn save_plan(&mut self, plan: &SavedPlan) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO plan (id, interview_date, desired_retention, new_per_day, minutes_per_day, created_at)
             VALUES (1, ?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(id) DO UPDATE SET interview_date = excluded.interview_date,
                desired_retention = excluded.desired_retention, new_per_day = excluded.new_per_day,
                minutes_per_day = excluded.minutes_per_day, created_at = excluded.created_at",
            params![
                plan.interview_date.to_string(),
                f64::from(plan.desired_retention),
                i64::from(plan.new_per_day),
                f64::from(plan.minutes_per_day),
                plan.created_at.timestamp_millis()
            ],
        )?;
        Ok(())
    }

    pub fn clear_plan(&mut self) -> Result<(), StoreError> {
        self.conn.execute("DELETE FROM plan", [])?;
        Ok(())
    }

    pub fn plan(&self) -> Result<Option<SavedPlan>, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT interview_date, desired_retention, new_per_day, minutes_per_day, created_at
                 FROM plan WHERE id = 1",
                [],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, f64>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, f64>(3)?,
                        r.get::<_, i64>(4)?,
                    ))
                },
            )
            .optional()?;
        Ok(row.and_then(|(date, retention, pace, minutes, at)| {
            Some(SavedPlan {
                interview_date: date.parse().ok()?,
                desired_retention: retention as f32,
                new_per_day: u32::try_from(pace).ok()?,
                minutes_per_day: minutes as f32,
                created_at: from_millis(at),
            })
        }))
    }

    /// Average seconds per review, when there are reviews.
    pub fn seconds_per_review(&self) -> Result<Option<f32>, StoreError> {
        let (reviews, ms): (i64, i64) = self.conn.query_row(
            "SELECT COALESCE(SUM(reviews), 0), COALESCE(SUM(duration_ms), 0) FROM activity",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((reviews > 0).then(|| ms as f32 / reviews as f32 / 1000.0))
    }

    pub fn record_lab_result(&mut self, result: &LabResult) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO lab_results (lab_id, finished_at, passed, commands, hints)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                result.lab_id,
                result.finished_at.timestamp_millis(),
                result.passed,
                result.commands,
                result.hints
            ],
        )?;
        Ok(())
    }

    /// Remembers a lab console line, keeping only the newest `keep` of that lab.
    pub fn record_lab_command(
        &mut self,
        lab_id: &str,
        command: &str,
        keep: usize,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO lab_history (lab_id, command) VALUES (?1, ?2)",
            params![lab_id, command],
        )?;
        tx.execute(
            "DELETE FROM lab_history WHERE lab_id = ?1 AND id NOT IN
                (SELECT id FROM lab_history WHERE lab_id = ?1 ORDER BY id DESC LIMIT ?2)",
            params![lab_id, i64::try_from(keep).unwrap_or(i64::MAX)],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Each lab's console history, oldest line first.
    pub fn lab_histories(&self) -> Result<BTreeMap<String, Vec<String>>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT lab_id, command FROM lab_history ORDER BY lab_id, id")?;
        let mut histories: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        for row in rows {
            let (lab, command) = row?;
            histories.entry(lab).or_default().push(command);
        }
        Ok(histories)
    }

    /// Every lab run, oldest first (for export).
    pub fn lab_results(&self) -> Result<Vec<LabResult>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT lab_id, finished_at, passed, commands, hints FROM lab_results
             ORDER BY finished_at, id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(LabResult {
                lab_id: r.get(0)?,
                finished_at: from_millis(r.get(1)?),
                passed: r.get(2)?,
                commands: r.get(3)?,
                hints: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Per lab: runs, passes, and when it was last passed.
    pub fn lab_summaries(&self) -> Result<Vec<LabSummary>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT lab_id, COUNT(*), SUM(passed), MAX(CASE WHEN passed = 1 THEN finished_at END)
             FROM lab_results GROUP BY lab_id ORDER BY lab_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(LabSummary {
                lab_id: r.get(0)?,
                runs: r.get::<_, i64>(1)?.max(0) as u64,
                passed: r.get::<_, i64>(2)?.max(0) as u64,
                last_passed: r.get::<_, Option<i64>>(3)?.map(from_millis),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Calls `each` with every review, oldest first, one at a time (export streams them
    /// rather than holding millions in memory). Stops at the first error `each` returns.
    pub fn for_each_review<E: From<StoreError>>(
        &self,
        mut each: impl FnMut(Review) -> Result<(), E>,
    ) -> Result<u64, E> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {REVIEW_COLUMNS} FROM review_log ORDER BY reviewed_at, id"
            ))
            .map_err(StoreError::from)?;
        let mut rows = stmt.query([]).map_err(StoreError::from)?;
        let mut count = 0;
        while let Some(row) = rows.next().map_err(StoreError::from)? {
            each(review_from_row(row, 0).map_err(StoreError::from)?)?;
            count += 1;
        }
        Ok(count)
    }

    /// Calls `each` with every item's reviews (time and rating), oldest first, one item at a
    /// time in item order: the optimizer's input without holding the log in memory.
    pub fn for_each_item_history(
        &self,
        mut each: impl FnMut(&[(DateTime<Utc>, Rating)]),
    ) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT item_id, reviewed_at, rating FROM review_log INDEXED BY review_log_item
             ORDER BY item_id, reviewed_at, id",
        )?;
        let mut rows = stmt.query([])?;
        let mut item: Option<String> = None;
        let mut history = Vec::new();
        while let Some(row) = rows.next()? {
            let item_id = row.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
            if item.as_deref() != Some(item_id) {
                if !history.is_empty() {
                    each(&history);
                    history.clear();
                }
                item = Some(item_id.to_owned());
            }
            let rating = Rating::from_number(row.get(2)?).unwrap_or(Rating::Again);
            history.push((from_millis(row.get(1)?), rating));
        }
        if !history.is_empty() {
            each(&history);
        }
        Ok(())
    }

    /// Every review, oldest first.
    pub fn all_reviews(&self) -> Result<Vec<Review>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {REVIEW_COLUMNS} FROM review_log ORDER BY reviewed_at, id"
        ))?;
        let rows = stmt.query_map([], |r| review_from_row(r, 0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every item's scheduling state, keyed by item id.
    pub fn card_states(&self) -> Result<ItemMap<CardState>, StoreError> {
        let count: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM card_state", [], |r| r.get(0))?;
        let mut states = ItemMap::with_capacity_and_hasher(
            usize::try_from(count).unwrap_or(0),
            foldhash::fast::RandomState::default(),
        );
        let mut stmt = self.conn.prepare(
            "SELECT item_id, stability, difficulty, due, last_review, reps, lapses FROM card_state",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            states.insert(row.get::<_, String>(0)?, card_state_from_row(row, 1)?);
        }
        Ok(states)
    }

    pub fn card_state(&self, item_id: &str) -> Result<Option<CardState>, StoreError> {
        card_state_in(&self.conn, item_id)
    }

    pub fn review_count(&self) -> Result<u64, StoreError> {
        review_count_in(&self.conn)
    }

    pub fn review_count_since(&self, since: DateTime<Utc>) -> Result<u64, StoreError> {
        let count: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM review_log WHERE reviewed_at >= ?1",
            [since.timestamp_millis()],
            |r| r.get(0),
        )?;
        Ok(count.max(0) as u64)
    }

    /// The review log of one item, oldest first.
    pub fn reviews_of(&self, item_id: &str) -> Result<Vec<Review>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {REVIEW_COLUMNS} FROM review_log WHERE item_id = ?1 ORDER BY reviewed_at, id"
        ))?;
        let rows = stmt.query_map([item_id], |r| review_from_row(r, 0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// SQLite's own integrity check, and the trigger-kept totals agreeing with the log.
    pub fn integrity_ok(&self) -> Result<bool, StoreError> {
        let result: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        let totals_agree: bool = self.conn.query_row(
            "SELECT
                (SELECT COALESCE(SUM(reviews), 0) FROM activity)
                    = (SELECT COUNT(*) FROM review_log)
                AND (SELECT COALESCE(SUM(duration_ms), 0) FROM activity)
                    = (SELECT COALESCE(SUM(duration_ms), 0) FROM review_log)
                AND (SELECT COALESCE(SUM(passed), 0) FROM activity)
                    = (SELECT COUNT(*) FROM review_log WHERE rating > 1)
                AND (SELECT COALESCE(SUM(mature_passed), 0) || '/' || COALESCE(SUM(mature_reviews), 0)
                     FROM item_totals)
                    = (SELECT COALESCE(SUM(rating > 1), 0) || '/' || COUNT(*)
                       FROM review_log WHERE scheduled_days >= 21)",
            [],
            |r| r.get(0),
        )?;
        Ok(result == "ok" && totals_agree)
    }
}

const REVIEW_COLUMNS: &str = "item_id, deck_id, reviewed_at, rating, duration_ms, answer";

/// The totals the review log's triggers keep (migrations 4 and 6), counted afresh from the log:
/// what a bulk import runs once instead of the triggers per review. `integrity_ok` checks that
/// the two agree.
const RECOUNT_TOTALS: &str = "
    DELETE FROM activity;
    INSERT INTO activity (bucket, reviews, duration_ms, passed)
        SELECT reviewed_at / 900000, COUNT(*), SUM(duration_ms), SUM(rating > 1)
        FROM review_log GROUP BY 1;
    DELETE FROM item_totals;
    INSERT INTO item_totals (item_id, mature_passed, mature_reviews)
        SELECT item_id, SUM(rating > 1), COUNT(*) FROM review_log
        WHERE scheduled_days >= 21 GROUP BY item_id;";

/// The trigger-kept total: counting the log itself reads every page of it.
fn review_count_in(conn: &Connection) -> Result<u64, StoreError> {
    let count: i64 = conn.query_row("SELECT COALESCE(SUM(reviews), 0) FROM activity", [], |r| {
        r.get(0)
    })?;
    Ok(count.max(0) as u64)
}

fn review_from_row(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Review> {
    Ok(Review {
        item_id: r.get(first)?,
        deck_id: r.get(first + 1)?,
        reviewed_at: from_millis(r.get(first + 2)?),
        rating: Rating::from_number(r.get(first + 3)?).unwrap_or(Rating::Again),
        duration_ms: r.get::<_, i64>(first + 4)?.max(0) as u64,
        answer: r.get(first + 5)?,
    })
}

/// Appends one review, with the intervals true retention is computed from.
fn insert_review(
    tx: &rusqlite::Transaction<'_>,
    review: &Review,
    state: &CardState,
) -> Result<(), StoreError> {
    let previous: Option<(i64, i64)> = tx
        .query_row(
            "SELECT reviewed_at, due FROM review_log WHERE item_id = ?1 AND reviewed_at <= ?2
             ORDER BY reviewed_at DESC, id DESC LIMIT 1",
            params![review.item_id, review.reviewed_at.timestamp_millis()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let at = review.reviewed_at.timestamp_millis();
    let (elapsed_days, scheduled_days) = previous.map_or((0.0, 0.0), |(previous_at, due)| {
        (
            (at - previous_at) as f64 / 86_400_000.0,
            (due - previous_at) as f64 / 86_400_000.0,
        )
    });
    tx.execute(
        "INSERT INTO review_log
            (item_id, deck_id, reviewed_at, rating, duration_ms, answer, stability, difficulty, due,
             elapsed_days, scheduled_days)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            review.item_id,
            review.deck_id,
            at,
            review.rating.number(),
            i64::try_from(review.duration_ms).unwrap_or(i64::MAX),
            truncate_to_char_boundary(&review.answer, ANSWER_BYTES_MAX),
            f64::from(state.stability),
            f64::from(state.difficulty),
            state.due.timestamp_millis(),
            elapsed_days,
            scheduled_days,
        ],
    )?;
    Ok(())
}

/// A `card_state` row's stability, difficulty, due, last_review, reps and lapses, from
/// column `first` on.
fn card_state_from_row(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<CardState> {
    Ok(CardState {
        stability: r.get::<_, f64>(first)? as f32,
        difficulty: r.get::<_, f64>(first + 1)? as f32,
        due: from_millis(r.get(first + 2)?),
        last_review: from_millis(r.get(first + 3)?),
        reps: r.get(first + 4)?,
        lapses: r.get(first + 5)?,
    })
}

/// An item's scheduling state as stored, on any connection or transaction.
fn card_state_in(
    conn: &rusqlite::Connection,
    item_id: &str,
) -> Result<Option<CardState>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT stability, difficulty, due, last_review, reps, lapses
             FROM card_state WHERE item_id = ?1",
        )?
        .query_row([item_id], |r| card_state_from_row(r, 0))
        .optional()?)
}

fn write_state(
    tx: &rusqlite::Transaction<'_>,
    item_id: &str,
    deck_id: &str,
    state: &CardState,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO card_state
            (item_id, deck_id, stability, difficulty, due, last_review, reps, lapses, first_reviewed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?6)
         ON CONFLICT(item_id) DO UPDATE SET
            deck_id = excluded.deck_id, stability = excluded.stability,
            difficulty = excluded.difficulty, due = excluded.due,
            last_review = excluded.last_review, reps = excluded.reps, lapses = excluded.lapses,
            first_reviewed_at = COALESCE(card_state.first_reviewed_at, excluded.first_reviewed_at)",
        params![
            item_id,
            deck_id,
            f64::from(state.stability),
            f64::from(state.difficulty),
            state.due.timestamp_millis(),
            state.last_review.timestamp_millis(),
            state.reps,
            state.lapses,
        ],
    )?;
    Ok(())
}

/// Recomputes an item's state from its review log (after its last reset), and the derived
/// columns of each of those reviews, so everything follows from the log: after undo and after
/// merging imported reviews.
fn rebuild_state(
    tx: &rusqlite::Transaction<'_>,
    scheduler: &Scheduler,
    item_id: &str,
    deck_id: &str,
) -> Result<(), StoreError> {
    let reset_at: Option<i64> = tx
        .query_row(
            "SELECT reset_at FROM item_flags WHERE item_id = ?1",
            [item_id],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    let mut stmt = tx.prepare(
        "SELECT id, reviewed_at, rating FROM review_log
         WHERE item_id = ?1 AND reviewed_at > ?2 ORDER BY reviewed_at, id",
    )?;
    let history: Vec<(i64, DateTime<Utc>, Rating)> = stmt
        .query_map(params![item_id, reset_at.unwrap_or(i64::MIN)], |r| {
            Ok((
                r.get(0)?,
                from_millis(r.get(1)?),
                Rating::from_number(r.get(2)?).unwrap_or(Rating::Again),
            ))
        })?
        .collect::<Result<_, _>>()?;
    drop(stmt);
    let mut state: Option<CardState> = None;
    for (id, at, rating) in &history {
        let (elapsed_days, scheduled_days) = state.map_or((0.0, 0.0), |s| {
            (
                (*at - s.last_review).num_milliseconds() as f64 / 86_400_000.0,
                (s.due - s.last_review).num_milliseconds() as f64 / 86_400_000.0,
            )
        });
        let next = scheduler.review(state.as_ref(), *rating, *at)?;
        tx.prepare_cached(
            "UPDATE review_log SET stability = ?2, difficulty = ?3, due = ?4,
                elapsed_days = ?5, scheduled_days = ?6 WHERE id = ?1",
        )?
        .execute(params![
            id,
            f64::from(next.stability),
            f64::from(next.difficulty),
            next.due.timestamp_millis(),
            elapsed_days,
            scheduled_days
        ])?;
        state = Some(next);
    }
    match state {
        Some(state) => {
            write_state(tx, item_id, deck_id, &state)?;
            let first_at = history.first().map(|(_, at, _)| at.timestamp_millis());
            tx.execute(
                "UPDATE card_state SET first_reviewed_at = ?2 WHERE item_id = ?1",
                params![item_id, first_at],
            )?;
        }
        None => {
            tx.execute("DELETE FROM card_state WHERE item_id = ?1", [item_id])?;
        }
    }
    Ok(())
}

fn from_millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn is_not_a_database(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
    )
}

fn not_a_database_or(e: rusqlite::Error, label: &str) -> StoreError {
    if is_not_a_database(&e) {
        StoreError::NotADatabase {
            path: label.to_owned(),
        }
    } else {
        e.into()
    }
}

fn truncate_to_char_boundary(text: &str, bytes_max: usize) -> &str {
    if text.len() <= bytes_max {
        return text;
    }
    let mut end = bytes_max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
