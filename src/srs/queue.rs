//! Which items a session shows, and in what order. Pure: states, flags and `now` come in as
//! values.
//!
//! Due items come first, least likely to be recalled first (lowest FSRS retrievability); new
//! items are spread evenly among them, taking decks and kinds in turn; daily limits cap both;
//! suspended items never show; and siblings (cells of the same comparison row) are not shown on
//! the same day.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use crate::deck::DrillItem;
use crate::srs::scheduler::{CardState, Scheduler};
use crate::store::ItemFlags;

/// Due and new counts for a set of items.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub total: usize,
    pub due: usize,
    pub new: usize,
}

/// Per-item values keyed by item id, with a fast hasher (keys are the library's own ids).
pub type ItemMap<V> = HashMap<String, V, foldhash::fast::RandomState>;

/// What the learner has done, as the store knows it.
#[derive(Debug, Default, Clone)]
pub struct Progress {
    pub states: ItemMap<CardState>,
    pub flags: ItemMap<ItemFlags>,
    /// Items reviewed since the study day started.
    pub reviewed_today: HashSet<String>,
}

impl Progress {
    pub fn is_suspended(&self, item_id: &str) -> bool {
        self.flags.get(item_id).is_some_and(|f| f.suspended)
    }
}

/// How much a session may take today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub session_cards: usize,
    pub new_left_today: usize,
    pub reviews_left_today: usize,
}

impl Limits {
    pub fn unlimited(session_cards: usize) -> Self {
        Self {
            session_cards,
            new_left_today: usize::MAX,
            reviews_left_today: usize::MAX,
        }
    }
}

pub fn counts<'a>(
    items: impl IntoIterator<Item = &'a DrillItem>,
    progress: &Progress,
    now: DateTime<Utc>,
) -> Counts {
    let mut counts = Counts::default();
    for item in items {
        counts.total += 1;
        if progress.is_suspended(&item.id) {
            continue;
        }
        match progress.states.get(&item.id) {
            None => counts.new += 1,
            Some(state) if state.due <= now => counts.due += 1,
            Some(_) => {}
        }
    }
    counts
}

/// Items that must not share a day: the cells of one comparison row share the row's id.
pub fn sibling_group(item_id: &str) -> &str {
    match item_id.match_indices('/').nth(1) {
        Some((second_slash, _)) => &item_id[..second_slash],
        None => item_id,
    }
}

/// Today's queue from `items`: only the items it keeps are cloned, so its cost follows the
/// library's size by a pass over references, not by a copy of every card.
pub fn build_queue<'a>(
    items: impl IntoIterator<Item = &'a DrillItem>,
    progress: &Progress,
    scheduler: &Scheduler,
    now: DateTime<Utc>,
    limits: Limits,
) -> Vec<DrillItem> {
    // Groups already seen today through another item block their siblings.
    let groups_today: HashMap<&str, HashSet<&str>> =
        progress
            .reviewed_today
            .iter()
            .fold(HashMap::new(), |mut groups, id| {
                groups
                    .entry(sibling_group(id))
                    .or_insert_with(HashSet::new)
                    .insert(id.as_str());
                groups
            });
    let blocked_by_sibling = |id: &str| {
        !groups_today.is_empty()
            && groups_today
                .get(sibling_group(id))
                .is_some_and(|seen| seen.iter().any(|other| *other != id))
    };

    let mut due = Vec::new();
    let mut new = Vec::new();
    for item in items {
        if progress.is_suspended(&item.id) || blocked_by_sibling(&item.id) {
            continue;
        }
        match progress.states.get(&item.id) {
            None => new.push(item),
            Some(state) if state.due <= now => {
                let recall = scheduler.retrievability(state, now);
                due.push((recall, item));
            }
            Some(_) => {}
        }
    }
    due.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)));

    let mut picked_groups: HashSet<&str> = HashSet::new();
    let mut take_unique = |list: Vec<&'a DrillItem>, cap: usize| -> Vec<&'a DrillItem> {
        let mut kept = Vec::new();
        for item in list {
            if kept.len() >= cap {
                break;
            }
            if picked_groups.insert(sibling_group(&item.id)) {
                kept.push(item);
            }
        }
        kept
    };
    let due = take_unique(
        due.into_iter().map(|(_, item)| item).collect(),
        limits.reviews_left_today.min(limits.session_cards),
    );
    let new_cap = limits
        .new_left_today
        .min(limits.session_cards.saturating_sub(due.len()));
    let new = take_unique(mix_decks_and_kinds(new), new_cap);
    interleave(due, new).into_iter().cloned().collect()
}

/// New items in turn from each (deck, kind), in the library's order within each, so a fresh
/// session does not open on a run of one deck's comparison cells.
fn mix_decks_and_kinds(new: Vec<&DrillItem>) -> Vec<&DrillItem> {
    let mut order: Vec<(&str, &'static str)> = Vec::new();
    let mut groups: HashMap<(&str, &'static str), std::collections::VecDeque<&DrillItem>> =
        HashMap::new();
    for item in new {
        let key = (item.deck_id.as_str(), item.kind());
        if !groups.contains_key(&key) {
            order.push(key);
        }
        groups.entry(key).or_default().push_back(item);
    }
    // Alternate kinds across decks too: the first group of each deck, then the second, ...
    let mut rank_in_deck: HashMap<&str, usize> = HashMap::new();
    let mut ranked: Vec<(usize, usize, &(&str, &'static str))> = order
        .iter()
        .enumerate()
        .map(|(position, key)| {
            let rank = rank_in_deck.entry(key.0).or_default();
            *rank += 1;
            (*rank, position, key)
        })
        .collect();
    ranked.sort_by_key(|&(rank, position, _)| (rank, position));
    let order: Vec<(&str, &'static str)> = ranked.into_iter().map(|(_, _, key)| *key).collect();
    let total = groups.values().map(std::collections::VecDeque::len).sum();
    let mut out = Vec::with_capacity(total);
    while out.len() < total {
        for key in &order {
            if let Some(item) = groups
                .get_mut(key)
                .and_then(std::collections::VecDeque::pop_front)
            {
                out.push(item);
            }
        }
    }
    out
}

/// Spreads `new` evenly through `due`, so a session never ends on a block of unseen cards.
fn interleave<T>(due: Vec<T>, new: Vec<T>) -> Vec<T> {
    if new.is_empty() || due.is_empty() {
        return due.into_iter().chain(new).collect();
    }
    let every = due.len().div_ceil(new.len()).max(1);
    let mut out = Vec::with_capacity(due.len() + new.len());
    let mut new = new.into_iter();
    for (i, item) in due.into_iter().enumerate() {
        out.push(item);
        if (i + 1) % every == 0
            && let Some(n) = new.next()
        {
            out.push(n);
        }
    }
    out.extend(new);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sibling_groups_join_comparison_cells_only() {
        assert_eq!(sibling_group("deck/row/kafka"), "deck/row");
        assert_eq!(sibling_group("deck/card"), "deck/card");
        assert_eq!(sibling_group("plain"), "plain");
    }
}
