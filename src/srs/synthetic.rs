//! Synthetic review histories, for tests and benchmarks: a simulated learner drills `items`
//! cards, recalling each with a probability a little below what FSRS predicts (so the optimizer
//! has something to learn). Deterministic in its seed.

use chrono::{DateTime, Duration, Utc};

use crate::srs::scheduler::{CardState, Rating, Scheduler};
use crate::store::Review;

/// The simulated learner recalls with probability `predicted ^ FORGETFULNESS`.
const FORGETFULNESS: f32 = 1.4;
/// Cards per synthetic deck at most: well under what a deck may hold.
const CARDS_PER_DECK: usize = 1_000;

/// How many decks `cards` synthetic cards are spread over: 20, or more so that none holds more
/// than [`CARDS_PER_DECK`].
pub fn deck_count(cards: usize) -> usize {
    cards.div_ceil(CARDS_PER_DECK).max(20)
}

/// `reviews_per_item` reviews of each of `items` items, oldest first per item, each with the
/// state it led to. The learner starts at `start`; every review is compressed into the span from
/// `start` to `end` (intervals shrink in proportion), so a large history still lies in the past.
pub fn history(
    items: usize,
    reviews_per_item: usize,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    seed: u64,
) -> Vec<(Review, CardState)> {
    let scheduler = Scheduler::new(0.9).expect("0.9 is a valid retention");
    let mut rng = seed ^ 0x9E37_79B9_7F4A_7C15;
    let mut next_unit = move || {
        // xorshift64*: plenty for simulated coin flips.
        rng ^= rng >> 12;
        rng ^= rng << 25;
        rng ^= rng >> 27;
        (rng.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40) as f32 / (1u64 << 24) as f32
    };
    let decks = deck_count(items);
    let mut reviews = Vec::with_capacity(items * reviews_per_item);
    for i in 0..items {
        let item_id = format!("synthetic-{}/card-{i}", i % decks);
        let deck_id = format!("synthetic-{}", i % decks);
        let mut at = start + Duration::minutes(i as i64 % 1440);
        let mut state: Option<CardState> = None;
        for _ in 0..reviews_per_item {
            let rating = match &state {
                None => Rating::Good,
                Some(s) => {
                    let recall = scheduler.retrievability(s, at).powf(FORGETFULNESS);
                    let roll = next_unit();
                    if roll > recall {
                        Rating::Again
                    } else if roll > recall * 0.9 {
                        Rating::Hard
                    } else if roll < recall * 0.1 {
                        Rating::Easy
                    } else {
                        Rating::Good
                    }
                }
            };
            let next = scheduler
                .review(state.as_ref(), rating, at)
                .expect("finite states");
            reviews.push((
                Review {
                    item_id: item_id.clone(),
                    deck_id: deck_id.clone(),
                    reviewed_at: at,
                    rating,
                    duration_ms: 5_000 + u64::from(rating.number()) * 1_000,
                    answer: String::new(),
                },
                next,
            ));
            // The learner comes back when the card is due, give or take a day.
            at = next.due + Duration::hours((next_unit() * 24.0) as i64);
            state = Some(next);
        }
    }
    compress(&mut reviews, start, end);
    reviews
}

/// Maps every instant linearly from [start, latest] onto [start, end].
fn compress(reviews: &mut [(Review, CardState)], start: DateTime<Utc>, end: DateTime<Utc>) {
    let latest = reviews
        .iter()
        .map(|(r, s)| r.reviewed_at.max(s.due))
        .max()
        .unwrap_or(end);
    let span_ms = (latest - start).num_milliseconds().max(1) as f64;
    let target_ms = (end - start).num_milliseconds().max(0) as f64;
    if span_ms <= target_ms {
        return;
    }
    let scale = |t: DateTime<Utc>| {
        start
            + Duration::milliseconds(
                ((t - start).num_milliseconds() as f64 * target_ms / span_ms) as i64,
            )
    };
    for (review, state) in reviews.iter_mut() {
        review.reviewed_at = scale(review.reviewed_at);
        state.last_review = scale(state.last_review);
        state.due = scale(state.due);
    }
}

/// Deck files holding the cards [`history`] reviews: [`deck_count`] decks of myth cards, card
/// `i` in deck `i % decks`, ids matching the history's item ids.
pub fn deck_files(cards: usize) -> Vec<(String, String)> {
    let decks = deck_count(cards);
    (0..decks)
        .map(|d| {
            let mut text = format!(
                "#:schema ../../schema/deck.schema.json\n[deck]\nid = \"synthetic-{d}\"\ntitle = \"Synthetic deck {d}\"\ntags = [\"synthetic\"]\n"
            );
            for i in (d..cards).step_by(decks) {
                text.push_str(&format!(
                    "\n[[cards]]\nid = \"card-{i}\"\nkind = \"myth\"\ntags = [\"tag-{}\"]\nsource = \"synthetic\"\nclaim = \"Synthetic claim {i}.\"\nis_true = {}\nreality = \"Synthetic reality {i}.\"\n",
                    i % 7,
                    i % 2 == 0
                ));
            }
            (format!("synthetic-{d}.toml"), text)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_synthetic_library_stays_within_the_deck_limit_and_loads() {
        let files = deck_files(50_000);
        assert_eq!(files.len(), 50);
        let (name, text) = &files[0];
        let deck = crate::deck::parse_deck(name, text).expect("a synthetic deck parses");
        assert_eq!(deck.cards.len(), 1_000);
        assert!(deck.cards.len() <= crate::deck::parse::CARDS_PER_DECK_MAX);
    }

    #[test]
    fn history_ids_name_cards_of_the_synthetic_decks() {
        let start = DateTime::<Utc>::UNIX_EPOCH;
        let reviews = history(21_000, 1, start, start + Duration::days(10), 1);
        let decks = deck_count(21_000);
        assert_eq!(decks, 21);
        assert_eq!(reviews[20].0.item_id, "synthetic-20/card-20");
        assert_eq!(reviews[21].0.deck_id, "synthetic-0");
    }
}
