//! Progress in SQLite: scheduling state per drill item and an append-only review log.
//!
//! Migrations are append-only and keyed by `PRAGMA user_version`; a shipped migration is never
//! edited or reordered. Every grade is one transaction, synced before it is acknowledged.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration as StdDuration;

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use crate::scheduler::{CardState, Rating};

/// Each entry moves the schema from version `index` to `index + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: scheduling state and the review log.
    "CREATE TABLE card_state (
        item_id     TEXT PRIMARY KEY NOT NULL,
        deck_id     TEXT NOT NULL,
        stability   REAL NOT NULL,
        difficulty  REAL NOT NULL,
        due         INTEGER NOT NULL,
        last_review INTEGER NOT NULL,
        reps        INTEGER NOT NULL,
        lapses      INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX card_state_due ON card_state(due);
    CREATE TABLE review_log (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        item_id     TEXT NOT NULL,
        deck_id     TEXT NOT NULL,
        reviewed_at INTEGER NOT NULL,
        rating      INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
        duration_ms INTEGER NOT NULL CHECK (duration_ms >= 0),
        answer      TEXT NOT NULL,
        stability   REAL NOT NULL,
        difficulty  REAL NOT NULL,
        due         INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX review_log_item ON review_log(item_id, reviewed_at);
    CREATE INDEX review_log_time ON review_log(reviewed_at);",
];

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
    /// the grade is durable.
    pub fn record_review(&mut self, review: &Review, state: &CardState) -> Result<(), StoreError> {
        let answer = truncate_to_char_boundary(&review.answer, ANSWER_BYTES_MAX);
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO review_log
                (item_id, deck_id, reviewed_at, rating, duration_ms, answer, stability, difficulty, due)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                review.item_id,
                review.deck_id,
                review.reviewed_at.timestamp_millis(),
                review.rating.number(),
                i64::try_from(review.duration_ms).unwrap_or(i64::MAX),
                answer,
                f64::from(state.stability),
                f64::from(state.difficulty),
                state.due.timestamp_millis(),
            ],
        )?;
        tx.execute(
            "INSERT INTO card_state
                (item_id, deck_id, stability, difficulty, due, last_review, reps, lapses)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT(item_id) DO UPDATE SET
                deck_id = excluded.deck_id, stability = excluded.stability,
                difficulty = excluded.difficulty, due = excluded.due,
                last_review = excluded.last_review, reps = excluded.reps, lapses = excluded.lapses",
            params![
                review.item_id,
                review.deck_id,
                f64::from(state.stability),
                f64::from(state.difficulty),
                state.due.timestamp_millis(),
                state.last_review.timestamp_millis(),
                state.reps,
                state.lapses,
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Every item's scheduling state, keyed by item id.
    pub fn card_states(&self) -> Result<HashMap<String, CardState>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT item_id, stability, difficulty, due, last_review, reps, lapses FROM card_state",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                CardState {
                    stability: r.get::<_, f64>(1)? as f32,
                    difficulty: r.get::<_, f64>(2)? as f32,
                    due: from_millis(r.get(3)?),
                    last_review: from_millis(r.get(4)?),
                    reps: r.get(5)?,
                    lapses: r.get(6)?,
                },
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn card_state(&self, item_id: &str) -> Result<Option<CardState>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT stability, difficulty, due, last_review, reps, lapses
                 FROM card_state WHERE item_id = ?1",
                [item_id],
                |r| {
                    Ok(CardState {
                        stability: r.get::<_, f64>(0)? as f32,
                        difficulty: r.get::<_, f64>(1)? as f32,
                        due: from_millis(r.get(2)?),
                        last_review: from_millis(r.get(3)?),
                        reps: r.get(4)?,
                        lapses: r.get(5)?,
                    })
                },
            )
            .optional()?)
    }

    pub fn review_count(&self) -> Result<u64, StoreError> {
        let count: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM review_log", [], |r| r.get(0))?;
        Ok(count.max(0) as u64)
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
        let mut stmt = self.conn.prepare(
            "SELECT item_id, deck_id, reviewed_at, rating, duration_ms, answer
             FROM review_log WHERE item_id = ?1 ORDER BY reviewed_at, id",
        )?;
        let rows = stmt.query_map([item_id], |r| {
            Ok(Review {
                item_id: r.get(0)?,
                deck_id: r.get(1)?,
                reviewed_at: from_millis(r.get(2)?),
                rating: Rating::from_number(r.get(3)?).unwrap_or(Rating::Again),
                duration_ms: r.get::<_, i64>(4)?.max(0) as u64,
                answer: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn integrity_ok(&self) -> Result<bool, StoreError> {
        let result: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        Ok(result == "ok")
    }
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
