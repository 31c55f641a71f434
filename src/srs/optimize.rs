//! Fitting FSRS parameters to the learner's own review log (`streamdrill optimize`), with the
//! `fsrs` crate's optimizer. Pure: reviews in, parameters and their fit out.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use fsrs::{ComputeParametersInput, FSRS, FSRSItem, FSRSReview, compute_parameters};

use crate::srs::scheduler::Rating;
use crate::store::Review;

/// Below this much history the fit is noise; FSRS's defaults serve better.
pub const REVIEWS_MIN: usize = 400;
/// Items reviewed at least twice, a day or more apart: what the model actually learns from.
pub const ITEMS_WITH_HISTORY_MIN: usize = 50;

#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    pub parameters: Vec<f32>,
    pub reviews: usize,
    /// Log-loss of the default parameters and of the fitted ones, on the same reviews.
    pub log_loss_before: f32,
    pub log_loss_after: f32,
}

#[derive(Debug, thiserror::Error)]
pub enum OptimizeError {
    #[error(
        "not enough history yet: {reviews} reviews ({REVIEWS_MIN} needed) and {items} cards reviewed on two different days ({ITEMS_WITH_HISTORY_MIN} needed); keep drilling, the defaults serve you well until then"
    )]
    NotEnoughHistory { reviews: usize, items: usize },
    #[error("the FSRS optimizer failed: {0}")]
    Fsrs(String),
}

/// What the optimizer learns from: each item's reviews, oldest first, as FSRS reads them (a
/// rating and the whole days since the review before), 8 bytes a review. The training items,
/// which repeat each item's history once per review, are built from it only while the `fsrs`
/// crate needs them, one set at a time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrainingHistories {
    histories: Vec<Vec<FSRSReview>>,
    reviews: usize,
}

impl TrainingHistories {
    /// Adds one item's reviews, oldest first.
    pub fn push_item(&mut self, reviews: impl IntoIterator<Item = (DateTime<Utc>, Rating)>) {
        let mut previous: Option<DateTime<Utc>> = None;
        let history: Vec<FSRSReview> = reviews
            .into_iter()
            .map(|(at, rating)| {
                let delta_t = previous.map_or(0, |p| (at - p).num_days().max(0) as u32);
                previous = Some(at);
                FSRSReview {
                    rating: u32::from(rating.number()),
                    delta_t,
                }
            })
            .collect();
        self.reviews += history.len();
        if !history.is_empty() {
            self.histories.push(history);
        }
    }

    /// Groups a review log by item (each item's reviews in time order, ties in log order).
    pub fn from_reviews(reviews: &[Review]) -> Self {
        let mut by_item: BTreeMap<&str, Vec<&Review>> = BTreeMap::new();
        for review in reviews {
            by_item.entry(&review.item_id).or_default().push(review);
        }
        let mut histories = Self::default();
        for history in by_item.values_mut() {
            history.sort_by_key(|r| r.reviewed_at);
            histories.push_item(history.iter().map(|r| (r.reviewed_at, r.rating)));
        }
        histories
    }

    pub fn reviews(&self) -> usize {
        self.reviews
    }

    /// Items reviewed again a day or more after an earlier review.
    pub fn items_with_history(&self) -> usize {
        self.histories
            .iter()
            .filter(|h| h.iter().skip(1).any(|r| r.delta_t > 0))
            .count()
    }

    /// One training item per review after an item's first that comes a day or more after the
    /// one before: the history up to and including it.
    pub fn training_items(&self) -> Vec<FSRSItem> {
        let mut items = Vec::new();
        for history in &self.histories {
            for (i, review) in history.iter().enumerate().skip(1) {
                // Only reviews a day or more after the previous one are predictions of
                // long-term memory, which is what FSRS's curve models.
                if review.delta_t > 0 {
                    items.push(FSRSItem {
                        reviews: history[..=i].to_vec(),
                    });
                }
            }
        }
        items
    }
}

/// Fits parameters, or says why there is not enough history to.
pub fn fit(histories: &TrainingHistories) -> Result<Fit, OptimizeError> {
    let reviews = histories.reviews();
    let items_with_history = histories.items_with_history();
    if reviews < REVIEWS_MIN || items_with_history < ITEMS_WITH_HISTORY_MIN {
        return Err(OptimizeError::NotEnoughHistory {
            reviews,
            items: items_with_history,
        });
    }
    let fsrs_error = |e: fsrs::FSRSError| OptimizeError::Fsrs(e.to_string());
    // Each use consumes its own set of items: building one again is cheaper than holding two.
    let before = FSRS::default()
        .evaluate(histories.training_items(), |_| true)
        .map_err(fsrs_error)?;
    let parameters = compute_parameters(ComputeParametersInput {
        train_set: histories.training_items(),
        ..ComputeParametersInput::default()
    })
    .map_err(fsrs_error)?;
    let after = FSRS::new(&parameters)
        .map_err(fsrs_error)?
        .evaluate(histories.training_items(), |_| true)
        .map_err(fsrs_error)?;
    Ok(Fit {
        parameters,
        reviews,
        log_loss_before: before.log_loss,
        log_loss_after: after.log_loss,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn training_items_are_the_histories_up_to_each_review_a_day_or_more_later() {
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        let mut histories = TrainingHistories::default();
        histories.push_item([
            (t0, Rating::Good),
            (t0 + Duration::hours(2), Rating::Good),
            (t0 + Duration::days(3), Rating::Again),
            (t0 + Duration::days(10), Rating::Easy),
        ]);
        // Reviewed twice on one day only: nothing to learn from.
        histories.push_item([(t0, Rating::Hard), (t0 + Duration::hours(5), Rating::Good)]);
        histories.push_item([]);
        assert_eq!(histories.reviews(), 6);
        assert_eq!(histories.items_with_history(), 1);
        let items = histories.training_items();
        let shape: Vec<Vec<(u32, u32)>> = items
            .iter()
            .map(|item| item.reviews.iter().map(|r| (r.rating, r.delta_t)).collect())
            .collect();
        // Whole days since the review before: 2 days 22 hours count as 2.
        assert_eq!(
            shape,
            vec![
                vec![(3, 0), (3, 0), (1, 2)],
                vec![(3, 0), (3, 0), (1, 2), (4, 7)],
            ]
        );
    }
}
