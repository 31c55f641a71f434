//! Fitting FSRS parameters to the learner's own review log (`streamdrill optimize`), with the
//! `fsrs` crate's optimizer. Pure: reviews in, parameters and their fit out.

use std::collections::BTreeMap;

use fsrs::{ComputeParametersInput, FSRS, FSRSItem, FSRSReview, compute_parameters};

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

/// One training item per review after an item's first: the history up to and including it.
pub fn training_items(reviews: &[Review]) -> Vec<FSRSItem> {
    let mut by_item: BTreeMap<&str, Vec<&Review>> = BTreeMap::new();
    for review in reviews {
        by_item.entry(&review.item_id).or_default().push(review);
    }
    let mut items = Vec::new();
    for history in by_item.values_mut() {
        history.sort_by_key(|r| r.reviewed_at);
        let mut fsrs_reviews = Vec::with_capacity(history.len());
        let mut previous = None;
        for review in history.iter() {
            let delta_t = previous.map_or(0, |p: chrono::DateTime<chrono::Utc>| {
                (review.reviewed_at - p).num_days().max(0) as u32
            });
            fsrs_reviews.push(FSRSReview {
                rating: u32::from(review.rating.number()),
                delta_t,
            });
            previous = Some(review.reviewed_at);
            // Only reviews a day or more after the previous one are predictions of long-term
            // memory, which is what FSRS's curve models.
            if fsrs_reviews.len() >= 2 && delta_t > 0 {
                items.push(FSRSItem {
                    reviews: fsrs_reviews.clone(),
                });
            }
        }
    }
    items
}

/// Fits parameters, or says why there is not enough history to.
pub fn fit(reviews: &[Review]) -> Result<Fit, OptimizeError> {
    let items = training_items(reviews);
    let items_with_history = items
        .iter()
        .filter(|item| item.reviews.iter().any(|r| r.delta_t > 0))
        .count();
    if reviews.len() < REVIEWS_MIN || items_with_history < ITEMS_WITH_HISTORY_MIN {
        return Err(OptimizeError::NotEnoughHistory {
            reviews: reviews.len(),
            items: items_with_history,
        });
    }
    let fsrs_error = |e: fsrs::FSRSError| OptimizeError::Fsrs(e.to_string());
    let before = FSRS::default()
        .evaluate(items.clone(), |_| true)
        .map_err(fsrs_error)?;
    let parameters = compute_parameters(ComputeParametersInput {
        train_set: items.clone(),
        ..ComputeParametersInput::default()
    })
    .map_err(fsrs_error)?;
    let after = FSRS::new(&parameters)
        .map_err(fsrs_error)?
        .evaluate(items, |_| true)
        .map_err(fsrs_error)?;
    Ok(Fit {
        parameters,
        reviews: reviews.len(),
        log_loss_before: before.log_loss,
        log_loss_after: after.log_loss,
    })
}
