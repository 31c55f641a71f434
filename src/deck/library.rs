//! The set of decks the app works with: bundled ones first, then the user's. Pure: sources come
//! in as text; reading them from disk is [`super::files`]'s job.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use super::diagnostic::Diagnostic;
use super::item::{DrillItem, items_of};
use super::model::Deck;
use super::parse::parse_deck;

/// Where a deck came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Bundled(String),
    File(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Bundled(path) => write!(f, "bundled:{path}"),
            Origin::File(path) => write!(f, "{path}"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct LoadedDeck {
    pub deck: Deck,
    pub origin: Origin,
}

/// Which cards a session draws from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Deck(String),
    /// Cards carrying the tag, on the card itself or on its deck.
    Tag(String),
}

/// Decks that loaded, and the problems of those that did not. A broken deck is skipped, never fatal.
#[derive(Debug, Default, Clone)]
pub struct Library {
    pub decks: Vec<LoadedDeck>,
    pub problems: Vec<Diagnostic>,
    /// Every drill item, made once on first use (a comparison table makes one per cell), so a
    /// queue over 50,000 cards reads references instead of copying every card. [`Library::add`]
    /// clears it.
    items: std::sync::OnceLock<Vec<DrillItem>>,
}

impl Library {
    /// The decks compiled into the binary.
    pub fn bundled() -> Self {
        let mut library = Self::default();
        for (path, source) in crate::deck::bundled::BUNDLED_DECKS {
            library.add(Origin::Bundled((*path).to_owned()), path, source);
        }
        library
    }

    /// Parses one deck source and adds it, or records why it was skipped.
    pub fn add(&mut self, origin: Origin, label: &str, source: &str) {
        match parse_deck(label, source) {
            Ok(deck) => {
                if let Some(existing) = self.decks.iter().find(|d| d.deck.meta.id == deck.meta.id) {
                    self.problems.push(Diagnostic::file(
                        label,
                        format!(
                            "deck id `{}` is already used by {}; this deck was skipped",
                            deck.meta.id, existing.origin
                        ),
                    ));
                } else {
                    self.decks.push(LoadedDeck { deck, origin });
                    self.items = std::sync::OnceLock::new();
                }
            }
            Err(problems) => self.problems.extend(problems),
        }
    }

    pub fn record_problem(&mut self, problem: Diagnostic) {
        self.problems.push(problem);
    }

    pub fn deck(&self, id: &str) -> Option<&Deck> {
        self.decks.iter().map(|d| &d.deck).find(|d| d.meta.id == id)
    }

    /// Every drill item, optionally of one deck only.
    pub fn items(&self, deck_id: Option<&str>) -> Vec<DrillItem> {
        self.all_items()
            .iter()
            .filter(|item| deck_id.is_none_or(|id| item.deck_id == id))
            .cloned()
            .collect()
    }

    /// Every drill item with its tags (the card's own and its deck's), sorted, without repeats.
    pub fn items_with_tags(&self) -> Vec<(&DrillItem, Vec<String>)> {
        let deck_tags: HashMap<&str, &[String]> = self
            .decks
            .iter()
            .map(|d| (d.deck.meta.id.as_str(), d.deck.meta.tags.as_slice()))
            .collect();
        self.all_items()
            .iter()
            .map(|item| {
                let mut tags = item.card.tags.clone();
                if let Some(extra) = deck_tags.get(item.deck_id.as_str()) {
                    tags.extend(extra.iter().cloned());
                }
                tags.sort();
                tags.dedup();
                (item, tags)
            })
            .collect()
    }

    /// Every tag some card carries.
    pub fn tags(&self) -> BTreeSet<String> {
        self.decks
            .iter()
            .flat_map(|loaded| {
                let card_tags = loaded.deck.cards.iter().flat_map(|card| &card.tags);
                loaded.deck.meta.tags.iter().chain(card_tags).cloned()
            })
            .collect()
    }

    /// Every drill item of every deck, in library order.
    pub fn all_items(&self) -> &[DrillItem] {
        self.items
            .get_or_init(|| self.decks.iter().flat_map(|d| items_of(&d.deck)).collect())
    }

    /// The items of a scope, borrowed from [`Library::all_items`]; an unknown deck or tag has
    /// none.
    pub fn scoped_items(&self, scope: &Scope) -> Vec<&DrillItem> {
        let items = self.all_items().iter();
        match scope {
            Scope::All => items.collect(),
            Scope::Deck(id) => items.filter(|item| &item.deck_id == id).collect(),
            Scope::Tag(tag) => {
                let deck_tagged: BTreeSet<&str> = self
                    .decks
                    .iter()
                    .filter(|d| d.deck.meta.tags.contains(tag))
                    .map(|d| d.deck.meta.id.as_str())
                    .collect();
                items
                    .filter(|item| {
                        deck_tagged.contains(item.deck_id.as_str()) || item.card.tags.contains(tag)
                    })
                    .collect()
            }
        }
    }

    /// What to call a scope on screen: the deck's title, `#tag`, or "All decks".
    pub fn scope_title(&self, scope: &Scope) -> Option<String> {
        match scope {
            Scope::All => Some("All decks".to_owned()),
            Scope::Deck(id) => self.deck(id).map(|deck| deck.meta.title.clone()),
            Scope::Tag(tag) => self.tags().contains(tag).then(|| format!("#{tag}")),
        }
    }

    /// Cards per kind, for listings.
    pub fn kind_counts(deck: &Deck) -> HashMap<&'static str, usize> {
        let mut counts = HashMap::new();
        for card in &deck.cards {
            *counts.entry(card.body.kind()).or_insert(0) += 1;
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids<'a>(items: impl IntoIterator<Item = &'a DrillItem>) -> Vec<&'a str> {
        items.into_iter().map(|item| item.id.as_str()).collect()
    }

    #[test]
    fn scopes_hold_the_items_of_their_deck_or_tag() {
        let library = Library::bundled();
        assert_eq!(
            ids(library.scoped_items(&Scope::All)),
            ids(library.all_items())
        );
        let deck = &library.decks[1].deck;
        assert_eq!(
            ids(library.scoped_items(&Scope::Deck(deck.meta.id.clone()))),
            ids(&items_of(deck))
        );
        // A tag holds the cards carrying it and every card of a deck carrying it.
        for tag in library.tags() {
            let tagged: Vec<&str> = library
                .items_with_tags()
                .into_iter()
                .filter(|(_, tags)| tags.contains(&tag))
                .map(|(item, _)| item.id.as_str())
                .collect();
            assert!(!tagged.is_empty(), "{tag}");
            assert_eq!(ids(library.scoped_items(&Scope::Tag(tag.clone()))), tagged);
        }
        assert!(
            library
                .scoped_items(&Scope::Tag("no-such-tag".into()))
                .is_empty()
        );
    }

    #[test]
    fn adding_a_deck_renews_the_items() {
        let mut library = Library::bundled();
        let before = library.all_items().len();
        library.add(
            Origin::File("extra.toml".into()),
            "extra.toml",
            "[deck]\nid = \"extra\"\ntitle = \"Extra\"\n\n[[cards]]\nid = \"one\"\nkind = \"myth\"\nsource = \"test\"\nclaim = \"A claim.\"\nis_true = false\nreality = \"The reality.\"\n",
        );
        assert!(library.problems.is_empty(), "{:?}", library.problems);
        assert_eq!(library.all_items().len(), before + 1);
        assert_eq!(library.all_items()[before].id, "extra/one");
    }
}
