//! Append-only schema migrations, keyed by `PRAGMA user_version`. Never edit or reorder a
//! shipped entry: add a new one, and a fixture database of the old version in
//! `tests/fixtures/db/`.

/// Each entry moves the schema from version `index` to `index + 1`.
pub(super) const MIGRATIONS: &[&str] = &[
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
    // 2: flags (suspend, leech, reset, content changes), per-review intervals for true
    // retention, the day each item was first learned, and personal FSRS parameters.
    "CREATE TABLE item_flags (
        item_id      TEXT PRIMARY KEY NOT NULL,
        suspended    INTEGER NOT NULL DEFAULT 0,
        leech        INTEGER NOT NULL DEFAULT 0,
        reset_at     INTEGER,
        content_hash TEXT,
        changed      INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    ALTER TABLE card_state ADD COLUMN first_reviewed_at INTEGER;
    UPDATE card_state SET first_reviewed_at =
        (SELECT MIN(reviewed_at) FROM review_log r WHERE r.item_id = card_state.item_id);
    CREATE INDEX card_state_first ON card_state(first_reviewed_at);
    ALTER TABLE review_log ADD COLUMN elapsed_days REAL NOT NULL DEFAULT 0;
    ALTER TABLE review_log ADD COLUMN scheduled_days REAL NOT NULL DEFAULT 0;
    WITH previous AS (
        SELECT id,
               LAG(reviewed_at) OVER w AS previous_at,
               LAG(due) OVER w AS previous_due
        FROM review_log
        WINDOW w AS (PARTITION BY item_id ORDER BY reviewed_at, id)
    )
    UPDATE review_log SET
        elapsed_days = (review_log.reviewed_at - previous.previous_at) / 86400000.0,
        scheduled_days = (previous.previous_due - previous.previous_at) / 86400000.0
    FROM previous
    WHERE previous.id = review_log.id AND previous.previous_at IS NOT NULL;
    CREATE INDEX review_log_mature ON review_log(item_id, rating) WHERE scheduled_days >= 21;
    CREATE TABLE fsrs_params (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at      INTEGER NOT NULL,
        parameters      TEXT NOT NULL,
        reviews         INTEGER NOT NULL,
        log_loss_before REAL NOT NULL,
        log_loss_after  REAL NOT NULL
    ) STRICT;",
    // 3: covering indexes for the stats screen (daily activity, recent pass rates).
    "CREATE INDEX review_log_activity ON review_log(reviewed_at, duration_ms, rating, item_id);",
    // 4: running totals kept by triggers, so the stats read thousands of rows, not millions:
    // reviews and time per 15-minute bucket (any time zone's day start falls on a bucket
    // boundary), and per item the passes among mature reviews (interval >= 21 days).
    "CREATE TABLE activity (
        bucket      INTEGER PRIMARY KEY,
        reviews     INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL
    ) STRICT;
    INSERT INTO activity
        SELECT reviewed_at / 900000, COUNT(*), SUM(duration_ms) FROM review_log GROUP BY 1;
    CREATE TABLE item_totals (
        item_id        TEXT PRIMARY KEY NOT NULL,
        mature_passed  INTEGER NOT NULL,
        mature_reviews INTEGER NOT NULL
    ) STRICT;
    INSERT INTO item_totals
        SELECT item_id, SUM(rating > 1), COUNT(*) FROM review_log
        WHERE scheduled_days >= 21 GROUP BY item_id;
    CREATE TRIGGER review_log_counted AFTER INSERT ON review_log BEGIN
        INSERT INTO activity VALUES (NEW.reviewed_at / 900000, 1, NEW.duration_ms)
            ON CONFLICT(bucket) DO UPDATE SET reviews = reviews + 1,
                duration_ms = duration_ms + excluded.duration_ms;
        INSERT INTO item_totals
            SELECT NEW.item_id, NEW.rating > 1, 1 WHERE NEW.scheduled_days >= 21
            ON CONFLICT(item_id) DO UPDATE SET
                mature_passed = mature_passed + excluded.mature_passed,
                mature_reviews = mature_reviews + 1;
    END;
    CREATE TRIGGER review_log_uncounted AFTER DELETE ON review_log BEGIN
        UPDATE activity SET reviews = reviews - 1, duration_ms = duration_ms - OLD.duration_ms
            WHERE bucket = OLD.reviewed_at / 900000;
        UPDATE item_totals SET mature_passed = mature_passed - (OLD.rating > 1),
                mature_reviews = mature_reviews - 1
            WHERE item_id = OLD.item_id AND OLD.scheduled_days >= 21;
    END;
    CREATE TRIGGER review_log_recounted AFTER UPDATE OF scheduled_days, rating ON review_log BEGIN
        UPDATE item_totals SET mature_passed = mature_passed - (OLD.rating > 1),
                mature_reviews = mature_reviews - 1
            WHERE item_id = OLD.item_id AND OLD.scheduled_days >= 21;
        INSERT INTO item_totals
            SELECT NEW.item_id, NEW.rating > 1, 1 WHERE NEW.scheduled_days >= 21
            ON CONFLICT(item_id) DO UPDATE SET
                mature_passed = mature_passed + excluded.mature_passed,
                mature_reviews = mature_reviews + 1;
    END;",
    // 5: the plan toward an interview date; while it runs, its pace and retention apply.
    "CREATE TABLE plan (
        id                INTEGER PRIMARY KEY CHECK (id = 1),
        interview_date    TEXT NOT NULL,
        desired_retention REAL NOT NULL,
        new_per_day       INTEGER NOT NULL,
        minutes_per_day   REAL NOT NULL,
        created_at        INTEGER NOT NULL
    ) STRICT;",
    // 6: passes per activity bucket, for retention over time; the counting trigger keeps them.
    "ALTER TABLE activity ADD COLUMN passed INTEGER NOT NULL DEFAULT 0;
    UPDATE activity SET passed = counted.passed
    FROM (SELECT reviewed_at / 900000 AS bucket, SUM(rating > 1) AS passed
          FROM review_log GROUP BY 1) AS counted
    WHERE counted.bucket = activity.bucket;
    DROP TRIGGER review_log_counted;
    CREATE TRIGGER review_log_counted AFTER INSERT ON review_log BEGIN
        INSERT INTO activity (bucket, reviews, duration_ms, passed)
            VALUES (NEW.reviewed_at / 900000, 1, NEW.duration_ms, NEW.rating > 1)
            ON CONFLICT(bucket) DO UPDATE SET reviews = reviews + 1,
                duration_ms = duration_ms + excluded.duration_ms,
                passed = passed + excluded.passed;
        INSERT INTO item_totals
            SELECT NEW.item_id, NEW.rating > 1, 1 WHERE NEW.scheduled_days >= 21
            ON CONFLICT(item_id) DO UPDATE SET
                mature_passed = mature_passed + excluded.mature_passed,
                mature_reviews = mature_reviews + 1;
    END;
    DROP TRIGGER review_log_uncounted;
    CREATE TRIGGER review_log_uncounted AFTER DELETE ON review_log BEGIN
        UPDATE activity SET reviews = reviews - 1, duration_ms = duration_ms - OLD.duration_ms,
                passed = passed - (OLD.rating > 1)
            WHERE bucket = OLD.reviewed_at / 900000;
        UPDATE item_totals SET mature_passed = mature_passed - (OLD.rating > 1),
                mature_reviews = mature_reviews - 1
            WHERE item_id = OLD.item_id AND OLD.scheduled_days >= 21;
    END;",
    // 7: what the learner said beyond the grade (myth confidence, whether an auto-checked answer
    // was right) for calibration, and flagged cards.
    "ALTER TABLE review_log ADD COLUMN confidence TEXT CHECK (confidence IN ('sure', 'unsure'));
    ALTER TABLE review_log ADD COLUMN correct INTEGER CHECK (correct IN (0, 1));
    ALTER TABLE item_flags ADD COLUMN flagged INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX review_log_calibration ON review_log(confidence, correct)
        WHERE confidence IS NOT NULL;",
    // 8: lab results; they never change card scheduling.
    "CREATE TABLE lab_results (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        lab_id      TEXT NOT NULL,
        finished_at INTEGER NOT NULL,
        passed      INTEGER NOT NULL CHECK (passed IN (0, 1)),
        commands    INTEGER NOT NULL,
        hints       INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX lab_results_lab ON lab_results(lab_id);",
    // 9: the lab console's command history, per lab, for the up and down keys.
    "CREATE TABLE lab_history (
        id      INTEGER PRIMARY KEY AUTOINCREMENT,
        lab_id  TEXT NOT NULL,
        command TEXT NOT NULL
    ) STRICT;
    CREATE INDEX lab_history_lab ON lab_history(lab_id, id);",
];
