//! Planning toward an interview date (`streamdrill plan --interview DATE`): choose the daily
//! new-card pace and the desired retention so that every card is learned in time and the recall
//! predicted for the interview day is as high as the daily time budget allows. Candidates are
//! compared with the `fsrs` crate's simulator. Pure: states, dates and budget come in as values.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::srs::scheduler::{CardState, Rating, Scheduler};

/// Retentions tried; the scheduler accepts 0.70 to 0.99.
const RETENTIONS: [f32; 7] = [0.80, 0.85, 0.88, 0.90, 0.92, 0.94, 0.96];
/// The simulator's default seconds per review, which its cost table is calibrated to.
const SIMULATOR_SECONDS_PER_REVIEW: f32 = 13.0;
const PLAN_DAYS_MAX: usize = 3 * 365;
/// Above this many cards the simulator runs on an evenly spaced sample of them, with the budget
/// scaled to the sample: its cost grows with the cards it simulates (faster than linearly), while
/// the recall it predicts is a fraction whose sampling error at 4,000 cards is under one percent.
pub const SIMULATED_CARDS_MAX: usize = 4_000;

#[derive(Debug, Clone)]
pub struct PlanInput {
    pub now: DateTime<Utc>,
    /// Whole days until the interview (the interview day itself is the last one).
    pub days: usize,
    pub minutes_per_day: f32,
    /// The learner's own average seconds per review, when known.
    pub seconds_per_review: Option<f32>,
    pub parameters: Vec<f32>,
    /// Every card to be ready: its id, deck and tags, and its state if already learned.
    pub cards: Vec<PlanCard>,
}

#[derive(Debug, Clone)]
pub struct PlanCard {
    pub item_id: String,
    pub deck_id: String,
    pub tags: Vec<String>,
    pub state: Option<CardState>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub desired_retention: f32,
    pub new_per_day: usize,
    /// Mean predicted recall over all cards on the interview day (the simulator's estimate).
    pub predicted_recall: f32,
    /// Mean simulated study time per day, in minutes.
    pub minutes_per_day: f32,
    /// Every new card gets learned before the interview within the budget.
    pub all_learned: bool,
    pub readiness_by_deck: BTreeMap<String, f32>,
    pub readiness_by_tag: BTreeMap<String, f32>,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("the interview must be at least one day ahead")]
    TooSoon,
    #[error("plans look at most {PLAN_DAYS_MAX} days ahead")]
    TooFar,
    #[error("the daily budget must be more than zero minutes")]
    NoBudget,
    #[error("the FSRS simulator failed: {0}")]
    Simulator(String),
    #[error(transparent)]
    Scheduler(#[from] crate::srs::scheduler::SchedulerError),
}

/// Every card that is not suspended, with its deck, its tags (the card's and its deck's) and its
/// state if learned: what a plan must make ready.
pub fn plan_cards(
    library: &crate::deck::Library,
    progress: &crate::srs::queue::Progress,
) -> Vec<PlanCard> {
    library
        .decks
        .iter()
        .flat_map(|loaded| {
            crate::deck::item::items_of(&loaded.deck)
                .into_iter()
                .map(|item| (&loaded.deck.meta.tags, item))
        })
        .filter(|(_, item)| !progress.is_suspended(&item.id))
        .map(|(deck_tags, item)| {
            let mut tags = item.card.tags.clone();
            tags.extend(deck_tags.iter().cloned());
            tags.sort();
            tags.dedup();
            PlanCard {
                state: progress.states.get(&item.id).copied(),
                item_id: item.id,
                deck_id: item.deck_id,
                tags,
            }
        })
        .collect()
}

pub fn plan(input: &PlanInput) -> Result<Plan, PlanError> {
    if input.days == 0 {
        return Err(PlanError::TooSoon);
    }
    if input.days > PLAN_DAYS_MAX {
        return Err(PlanError::TooFar);
    }
    if input.minutes_per_day.is_nan() || input.minutes_per_day <= 0.0 {
        return Err(PlanError::NoBudget);
    }
    let new_cards = input.cards.iter().filter(|c| c.state.is_none()).count();
    // Learn everything a little before the day, so the last days consolidate.
    let learning_days = (input.days - input.days / 10).max(1);
    let base_pace = new_cards.div_ceil(learning_days).max(1);
    let paces = [base_pace, base_pace * 2];
    let simulated = Simulated::of(&input.cards);

    let mut best: Option<(f32, f32, bool, f32, usize)> = None;
    for retention in RETENTIONS {
        for pace in paces {
            let (recall, minutes, all_learned) =
                simulate(input, &simulated, retention, pace, new_cards)?;
            let better = match best {
                None => true,
                Some((best_recall, best_minutes, best_all, ..)) => {
                    (all_learned && !best_all)
                        || (all_learned == best_all
                            && (recall > best_recall + 1e-4
                                || ((recall - best_recall).abs() <= 1e-4
                                    && minutes < best_minutes)))
                }
            };
            if better {
                best = Some((recall, minutes, all_learned, retention, pace));
            }
        }
    }
    let Some((predicted_recall, minutes_per_day, all_learned, desired_retention, new_per_day)) =
        best
    else {
        return Err(PlanError::TooSoon);
    };
    let (readiness_by_deck, readiness_by_tag) = readiness(input, desired_retention, new_per_day)?;
    Ok(Plan {
        desired_retention,
        new_per_day,
        predicted_recall,
        minutes_per_day,
        all_learned,
        readiness_by_deck,
        readiness_by_tag,
    })
}

/// The cards the simulator runs on: all of them, or an evenly spaced sample of
/// [`SIMULATED_CARDS_MAX`] (learned and new cards in their proportions, as they are spread
/// through the library).
struct Simulated<'a> {
    cards: Vec<&'a PlanCard>,
    new_cards: usize,
    /// The sample's share of all cards: the budget and the pace shrink by it.
    share: f32,
}

impl<'a> Simulated<'a> {
    fn of(cards: &'a [PlanCard]) -> Self {
        let total = cards.len();
        let cards: Vec<&PlanCard> = if total > SIMULATED_CARDS_MAX {
            (0..SIMULATED_CARDS_MAX)
                .map(|j| &cards[j * total / SIMULATED_CARDS_MAX])
                .collect()
        } else {
            cards.iter().collect()
        };
        Self {
            new_cards: cards.iter().filter(|c| c.state.is_none()).count(),
            share: cards.len() as f32 / total.max(1) as f32,
            cards,
        }
    }
}

/// (mean recall on the last day, mean minutes per day, all new cards learned).
fn simulate(
    input: &PlanInput,
    simulated: &Simulated<'_>,
    retention: f32,
    pace: usize,
    new_cards: usize,
) -> Result<(f32, f32, bool), PlanError> {
    let parameters = Arc::new(
        fsrs::check_and_fill_parameters(&input.parameters)
            .map_err(|e| PlanError::Simulator(e.to_string()))?,
    );
    let existing: Vec<fsrs::Card> = simulated
        .cards
        .iter()
        .filter_map(|c| c.state)
        .enumerate()
        .map(|(i, s)| fsrs::Card {
            id: i as i64 + 1,
            difficulty: s.difficulty,
            stability: s.stability,
            last_date: -((input.now - s.last_review).num_seconds() as f32 / 86_400.0),
            due: ((s.due - input.now).num_seconds() as f32 / 86_400.0).max(0.0),
            interval: (s.due - s.last_review).num_seconds() as f32 / 86_400.0,
            lapses: s.lapses,
            desired_retention: retention,
            parameters: Arc::clone(&parameters),
        })
        .collect();
    // The sample learns its own new cards at the same number of days as the whole would.
    let sample_pace = if simulated.new_cards == new_cards {
        pace
    } else {
        (pace * simulated.new_cards)
            .div_ceil(new_cards.max(1))
            .max(1)
    };
    let scale = input
        .seconds_per_review
        .unwrap_or(SIMULATOR_SECONDS_PER_REVIEW)
        / SIMULATOR_SECONDS_PER_REVIEW;
    let mut config = fsrs::SimulatorConfig {
        deck_size: simulated.cards.len().max(1),
        learn_span: input.days,
        max_cost_perday: input.minutes_per_day * 60.0 * simulated.share,
        learn_limit: sample_pace,
        ..fsrs::SimulatorConfig::default()
    };
    for row in &mut config.state_rating_costs {
        for cost in row.iter_mut() {
            *cost *= scale;
        }
    }
    let result = fsrs::simulate(&config, &parameters, retention, Some(42), Some(existing))
        .map_err(|e| PlanError::Simulator(e.to_string()))?;
    let last = result.memorized_cnt_per_day.last().copied().unwrap_or(0.0);
    let recall = last / simulated.cards.len().max(1) as f32;
    let minutes =
        result.cost_per_day.iter().sum::<f32>() / 60.0 / input.days as f32 / simulated.share;
    let learned: usize = result.learn_cnt_per_day.iter().sum();
    Ok((recall, minutes, learned >= simulated.new_cards))
}

/// Per deck and tag: the mean recall on the interview day of cards that follow the plan (new
/// cards learned in queue order at the plan's pace, every review passed on its due day).
/// Mean predicted recall per deck and per tag.
type Readiness = (BTreeMap<String, f32>, BTreeMap<String, f32>);

fn readiness(input: &PlanInput, retention: f32, pace: usize) -> Result<Readiness, PlanError> {
    let scheduler = Scheduler::with_parameters(&input.parameters, retention)?;
    let interview = input.now + Duration::days(input.days as i64 - 1);
    let mut by_deck: BTreeMap<String, (f32, usize)> = BTreeMap::new();
    let mut by_tag: BTreeMap<String, (f32, usize)> = BTreeMap::new();
    let mut new_index = 0usize;
    for card in &input.cards {
        let mut state = if let Some(state) = card.state {
            Some(state)
        } else {
            let day = (new_index / pace.max(1)) as i64;
            new_index += 1;
            let learned_at = input.now + Duration::days(day);
            (learned_at <= interview)
                .then(|| scheduler.review(None, Rating::Good, learned_at))
                .transpose()?
        };
        // Bounded: intervals only grow when every review passes.
        for _ in 0..64 {
            match state {
                Some(s) if s.due <= interview => {
                    state = Some(scheduler.review(Some(&s), Rating::Good, s.due)?);
                }
                _ => break,
            }
        }
        let recall = state.map_or(0.0, |s| scheduler.retrievability(&s, interview));
        let entry = by_deck.entry(card.deck_id.clone()).or_default();
        entry.0 += recall;
        entry.1 += 1;
        for tag in &card.tags {
            let entry = by_tag.entry(tag.clone()).or_default();
            entry.0 += recall;
            entry.1 += 1;
        }
    }
    let mean = |m: BTreeMap<String, (f32, usize)>| {
        m.into_iter()
            .map(|(k, (sum, n))| (k, sum / n.max(1) as f32))
            .collect()
    };
    Ok((mean(by_deck), mean(by_tag)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn input(days: usize, minutes: f32, cards: usize) -> PlanInput {
        PlanInput {
            now: Utc
                .with_ymd_and_hms(2026, 1, 1, 9, 0, 0)
                .single()
                .expect("date"),
            days,
            minutes_per_day: minutes,
            seconds_per_review: Some(30.0),
            parameters: fsrs::DEFAULT_PARAMETERS.to_vec(),
            cards: (0..cards)
                .map(|i| PlanCard {
                    item_id: format!("d{}/c{i}", i % 3),
                    deck_id: format!("d{}", i % 3),
                    tags: vec![format!("t{}", i % 2)],
                    state: None,
                })
                .collect(),
        }
    }

    #[test]
    fn a_generous_budget_learns_everything_and_is_ready() {
        let plan = plan(&input(30, 60.0, 200)).expect("plan");
        assert!(plan.all_learned);
        assert!(plan.new_per_day >= 200usize.div_ceil(27));
        assert!(plan.predicted_recall > 0.7, "{plan:?}");
        assert_eq!(plan.readiness_by_deck.len(), 3);
        assert!(
            plan.readiness_by_tag
                .values()
                .all(|r| (0.0..=1.0).contains(r))
        );
    }

    #[test]
    fn a_tiny_budget_cannot_learn_everything_and_says_so() {
        let plan = plan(&input(5, 1.0, 500)).expect("plan");
        assert!(!plan.all_learned, "{plan:?}");
        assert!(plan.predicted_recall < 0.5);
    }

    #[test]
    fn more_time_never_predicts_less_recall() {
        let tight = plan(&input(20, 5.0, 300)).expect("plan");
        let loose = plan(&input(20, 40.0, 300)).expect("plan");
        assert!(
            loose.predicted_recall >= tight.predicted_recall,
            "{tight:?} vs {loose:?}"
        );
    }

    #[test]
    fn a_library_above_the_simulated_size_plans_as_its_sample_does() {
        // Every other card of 8,000 uniform new cards is the sample: it must plan like 4,000
        // cards on half the budget, scaled back to the whole library.
        let whole = plan(&input(30, 60.0, 2 * SIMULATED_CARDS_MAX)).expect("plan");
        let half = plan(&input(30, 30.0, SIMULATED_CARDS_MAX)).expect("plan");
        assert_eq!(whole.all_learned, half.all_learned);
        assert!((whole.desired_retention - half.desired_retention).abs() < 1e-6);
        assert!(
            (whole.predicted_recall - half.predicted_recall).abs() < 0.02,
            "{whole:?} vs {half:?}"
        );
        assert!(
            (whole.minutes_per_day / half.minutes_per_day - 2.0).abs() < 0.1,
            "{whole:?} vs {half:?}"
        );
        assert!(whole.new_per_day.abs_diff(2 * half.new_per_day) <= 2);
    }

    #[test]
    fn the_sample_is_evenly_spaced_and_keeps_the_share_of_new_cards() {
        let mut cards = input(30, 60.0, 10_000).cards;
        let learned = crate::srs::scheduler::Scheduler::new(0.9)
            .expect("retention")
            .review(None, Rating::Good, input(1, 1.0, 0).now)
            .expect("review");
        for card in cards.iter_mut().step_by(4) {
            card.state = Some(learned);
        }
        let sample = Simulated::of(&cards);
        assert_eq!(sample.cards.len(), SIMULATED_CARDS_MAX);
        assert!((sample.share - 0.4).abs() < 1e-6);
        assert_eq!(sample.new_cards, SIMULATED_CARDS_MAX * 3 / 4);
        let small = Simulated::of(&cards[..100]);
        assert_eq!((small.cards.len(), small.new_cards), (100, 75));
        assert!((small.share - 1.0).abs() < f32::EPSILON);
    }

    #[test]
    fn bad_inputs_are_refused() {
        assert!(matches!(plan(&input(0, 10.0, 10)), Err(PlanError::TooSoon)));
        assert!(matches!(
            plan(&input(10, 0.0, 10)),
            Err(PlanError::NoBudget)
        ));
        assert!(matches!(
            plan(&input(5000, 10.0, 10)),
            Err(PlanError::TooFar)
        ));
    }
}
