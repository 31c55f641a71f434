//! Spaced repetition with FSRS (the `fsrs` crate, as used by Anki). Pure: the time of a review
//! comes in as a value.

use chrono::{DateTime, Duration, Utc};
use fsrs::{FSRS, MemoryState, NextStates};
use serde::{Deserialize, Serialize};

pub const DESIRED_RETENTION_DEFAULT: f32 = 0.9;
/// A failed card comes back within the session's day, after this long.
const RELEARN_DELAY_MINUTES: i64 = 10;
/// Upper bound on an interval; FSRS can propose decades for easy cards.
const INTERVAL_DAYS_MAX: f32 = 36_500.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Rating {
    Again = 1,
    Hard = 2,
    Good = 3,
    Easy = 4,
}

impl Rating {
    pub const ALL: [Rating; 4] = [Rating::Again, Rating::Hard, Rating::Good, Rating::Easy];

    pub fn from_number(n: u8) -> Option<Self> {
        Self::ALL.get(usize::from(n).wrapping_sub(1)).copied()
    }

    /// Accepts `1`-`4` or the word (`again`, `hard`, `good`, `easy`), any case.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim().to_ascii_lowercase();
        text.parse::<u8>()
            .ok()
            .and_then(Self::from_number)
            .or_else(|| Self::ALL.into_iter().find(|r| r.name() == text))
    }

    pub fn number(self) -> u8 {
        self as u8
    }

    pub fn name(self) -> &'static str {
        match self {
            Rating::Again => "again",
            Rating::Hard => "hard",
            Rating::Good => "good",
            Rating::Easy => "easy",
        }
    }
}

/// What the scheduler remembers about one drill item.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CardState {
    pub stability: f32,
    pub difficulty: f32,
    pub due: DateTime<Utc>,
    pub last_review: DateTime<Utc>,
    pub reps: u32,
    pub lapses: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum SchedulerError {
    #[error("desired retention must be between 0.7 and 0.99, got {0}")]
    BadRetention(f32),
    #[error("FSRS could not compute the next state: {0}")]
    Fsrs(String),
}

pub struct Scheduler {
    fsrs: FSRS,
    parameters: Vec<f32>,
    desired_retention: f32,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler")
            .field("desired_retention", &self.desired_retention)
            .finish_non_exhaustive()
    }
}

impl Scheduler {
    /// FSRS with its default parameters.
    pub fn new(desired_retention: f32) -> Result<Self, SchedulerError> {
        Self::with_parameters(&fsrs::DEFAULT_PARAMETERS, desired_retention)
    }

    /// FSRS with parameters fitted to the user's reviews (`streamdrill optimize`).
    pub fn with_parameters(
        parameters: &[f32],
        desired_retention: f32,
    ) -> Result<Self, SchedulerError> {
        if !(0.7..=0.99).contains(&desired_retention) {
            return Err(SchedulerError::BadRetention(desired_retention));
        }
        let fsrs = FSRS::new(parameters).map_err(|e| SchedulerError::Fsrs(e.to_string()))?;
        Ok(Self {
            fsrs,
            parameters: parameters.to_vec(),
            desired_retention,
        })
    }

    pub fn parameters(&self) -> &[f32] {
        &self.parameters
    }

    /// Probability of recalling the item at `now`, by the FSRS forgetting curve.
    pub fn retrievability(&self, state: &CardState, now: DateTime<Utc>) -> f32 {
        let decay = self
            .parameters
            .get(20)
            .copied()
            .unwrap_or(fsrs::FSRS5_DEFAULT_DECAY);
        let days = (now - state.last_review).num_seconds().max(0) as f32 / 86_400.0;
        fsrs::current_retrievability(
            MemoryState {
                stability: state.stability,
                difficulty: state.difficulty,
            },
            days,
            decay,
        )
    }

    /// The state a history of reviews leads to, oldest first; `None` for no reviews. Used to
    /// rebuild states after undo and import, so they always follow from the review log.
    pub fn replay(
        &self,
        reviews: impl IntoIterator<Item = (DateTime<Utc>, Rating)>,
    ) -> Result<Option<CardState>, SchedulerError> {
        let mut state = None;
        for (at, rating) in reviews {
            state = Some(self.review(state.as_ref(), rating, at)?);
        }
        Ok(state)
    }

    pub fn desired_retention(&self) -> f32 {
        self.desired_retention
    }

    fn next_states(
        &self,
        previous: Option<&CardState>,
        now: DateTime<Utc>,
    ) -> Result<NextStates, SchedulerError> {
        let memory = previous.map(|s| MemoryState {
            stability: s.stability,
            difficulty: s.difficulty,
        });
        let days_elapsed = previous.map_or(0, |s| (now - s.last_review).num_days().max(0) as u32);
        self.fsrs
            .next_states(memory, self.desired_retention, days_elapsed)
            .map_err(|e| SchedulerError::Fsrs(e.to_string()))
    }

    /// How long until the item comes back, for each rating (shown on the grade keys).
    pub fn preview(
        &self,
        previous: Option<&CardState>,
        now: DateTime<Utc>,
    ) -> Result<[Duration; 4], SchedulerError> {
        let next = self.next_states(previous, now)?;
        Ok([
            delay_for(Rating::Again, next.again.interval),
            delay_for(Rating::Hard, next.hard.interval),
            delay_for(Rating::Good, next.good.interval),
            delay_for(Rating::Easy, next.easy.interval),
        ])
    }

    /// The item's state after a review with `rating` at `now`.
    pub fn review(
        &self,
        previous: Option<&CardState>,
        rating: Rating,
        now: DateTime<Utc>,
    ) -> Result<CardState, SchedulerError> {
        let next = self.next_states(previous, now)?;
        let item = match rating {
            Rating::Again => next.again,
            Rating::Hard => next.hard,
            Rating::Good => next.good,
            Rating::Easy => next.easy,
        };
        let was_learned = previous.is_some_and(|s| s.reps > 0);
        Ok(CardState {
            stability: item.memory.stability,
            difficulty: item.memory.difficulty,
            due: now + delay_for(rating, item.interval),
            last_review: now,
            reps: previous.map_or(0, |s| s.reps) + 1,
            lapses: previous.map_or(0, |s| s.lapses)
                + u32::from(was_learned && rating == Rating::Again),
        })
    }
}

/// FSRS proposes an interval in days; a failed item is relearned after a short delay, the others
/// come back after whole days, at least one.
pub fn delay_for(rating: Rating, interval_days: f32) -> Duration {
    if rating == Rating::Again {
        return Duration::minutes(RELEARN_DELAY_MINUTES);
    }
    let days = if interval_days.is_finite() {
        interval_days.round().clamp(1.0, INTERVAL_DAYS_MAX)
    } else {
        1.0
    };
    Duration::days(days as i64)
}

/// "10m", "3d", "2.5mo", "1.2y": short enough for a key hint.
pub fn format_delay(delay: Duration) -> String {
    let minutes = delay.num_minutes();
    if minutes < 60 {
        return format!("{minutes}m");
    }
    if minutes < 60 * 24 {
        return format!("{}h", minutes / 60);
    }
    let days = delay.num_days();
    if days < 31 {
        return format!("{days}d");
    }
    if days < 365 {
        return format!("{:.1}mo", days as f64 / 30.4);
    }
    format!("{:.1}y", days as f64 / 365.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0)
            .single()
            .expect("valid date")
    }

    #[test]
    fn ratings_parse_from_numbers_and_words() {
        assert_eq!(Rating::parse("3"), Some(Rating::Good));
        assert_eq!(Rating::parse(" Easy "), Some(Rating::Easy));
        assert_eq!(Rating::parse("0"), None);
        assert_eq!(Rating::parse("5"), None);
        assert_eq!(Rating::parse("meh"), None);
    }

    #[test]
    fn retention_is_validated() {
        assert!(Scheduler::new(0.5).is_err());
        assert!(Scheduler::new(f32::NAN).is_err());
        assert!(Scheduler::new(0.9).is_ok());
    }

    #[test]
    fn delays_format_compactly() {
        assert_eq!(format_delay(Duration::minutes(10)), "10m");
        assert_eq!(format_delay(Duration::days(3)), "3d");
        assert_eq!(format_delay(Duration::days(400)), "1.1y");
    }

    proptest::proptest! {
        /// Whatever the history, the next due date is after the review, better ratings never
        /// come back sooner, and lapses only count failures of learned items.
        #[test]
        fn schedules_are_monotonic_in_rating(ratings in proptest::collection::vec(1u8..=4, 1..30),
                                              gaps_hours in proptest::collection::vec(0i64..2000, 30)) {
            let scheduler = Scheduler::new(0.9).expect("valid retention");
            let mut now = t0();
            let mut state: Option<CardState> = None;
            for (i, r) in ratings.iter().enumerate() {
                let rating = Rating::from_number(*r).expect("1..=4");
                let preview = scheduler.preview(state.as_ref(), now).expect("finite state");
                proptest::prop_assert!(preview.windows(2).all(|w| w[0] <= w[1]));
                let next = scheduler.review(state.as_ref(), rating, now).expect("finite state");
                proptest::prop_assert!(next.due > now);
                proptest::prop_assert_eq!(next.due - now, preview[usize::from(*r) - 1]);
                proptest::prop_assert!(next.stability.is_finite() && next.stability > 0.0);
                proptest::prop_assert!((1.0..=10.0).contains(&next.difficulty));
                let lapses_before = state.map_or(0, |s| s.lapses);
                let lapsed = state.is_some() && rating == Rating::Again;
                proptest::prop_assert_eq!(next.lapses, lapses_before + u32::from(lapsed));
                state = Some(next);
                now += Duration::hours(gaps_hours[i]);
            }
        }
    }
}
