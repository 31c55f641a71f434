//! Progress figures for `streamdrill stats` and the home screen. Pure: computed from the library,
//! the scheduling states and review counts handed in.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::deck::Library;
use crate::queue::{Progress, counts};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeckStats {
    pub id: String,
    pub title: String,
    /// Drill items (a comparison row counts once per cell).
    pub cards: usize,
    pub due: usize,
    pub new: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub reviews_total: u64,
    pub reviews_today: u64,
    pub due_now: usize,
    pub cards_total: usize,
    pub decks: Vec<DeckStats>,
}

pub fn deck_stats(library: &Library, progress: &Progress, now: DateTime<Utc>) -> Vec<DeckStats> {
    library
        .decks
        .iter()
        .map(|loaded| {
            let meta = &loaded.deck.meta;
            let c = counts(&library.items(Some(&meta.id)), progress, now);
            DeckStats {
                id: meta.id.clone(),
                title: meta.title.clone(),
                cards: c.total,
                due: c.due,
                new: c.new,
            }
        })
        .collect()
}

pub fn stats(
    library: &Library,
    progress: &Progress,
    reviews_total: u64,
    reviews_today: u64,
    now: DateTime<Utc>,
) -> Stats {
    let decks = deck_stats(library, progress, now);
    Stats {
        reviews_total,
        reviews_today,
        due_now: decks.iter().map(|d| d.due).sum(),
        cards_total: decks.iter().map(|d| d.cards).sum(),
        decks,
    }
}
