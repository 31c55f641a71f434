//! Which items a session shows, and in what order. Pure: states and `now` come in as values.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::deck::DrillItem;
use crate::scheduler::CardState;

/// Due and new counts for a set of items.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub total: usize,
    pub due: usize,
    pub new: usize,
}

pub fn counts(
    items: &[DrillItem],
    states: &HashMap<String, CardState>,
    now: DateTime<Utc>,
) -> Counts {
    let mut counts = Counts {
        total: items.len(),
        ..Counts::default()
    };
    for item in items {
        match states.get(&item.id) {
            None => counts.new += 1,
            Some(state) if state.due <= now => counts.due += 1,
            Some(_) => {}
        }
    }
    counts
}

/// Due items first, the longest overdue first; then new items in deck order; at most `limit`.
pub fn build_queue(
    items: Vec<DrillItem>,
    states: &HashMap<String, CardState>,
    now: DateTime<Utc>,
    limit: usize,
) -> Vec<DrillItem> {
    let mut due = Vec::new();
    let mut new = Vec::new();
    for item in items {
        match states.get(&item.id) {
            None => new.push(item),
            Some(state) if state.due <= now => due.push((state.due, item)),
            Some(_) => {}
        }
    }
    due.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)));
    due.into_iter()
        .map(|(_, item)| item)
        .chain(new)
        .take(limit)
        .collect()
}
