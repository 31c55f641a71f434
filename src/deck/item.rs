//! Drill items: the unit that is shown, graded and scheduled.
//!
//! Most cards are one item with the identity `deck-id/card-id`. A `compare` card is a row of a
//! comparison table and every cell is drilled on its own, as `deck-id/card-id/system-id`.

use super::calc::{self, CalcError, CalcInstance};
use super::model::{Card, CardBody, Compare, Deck, RubricPoint, SYSTEM_PLACEHOLDER};

#[derive(Debug, Clone, PartialEq)]
pub struct DrillItem {
    /// Stable identity, the key of all progress.
    pub id: String,
    pub deck_id: String,
    pub deck_title: String,
    pub card: Card,
    /// For a comparison cell: which system, and the whole row for the reveal.
    pub cell: Option<Cell>,
    /// For a calc card: the values drawn for this showing (see [`DrillItem::draw`]).
    pub calc: Option<CalcInstance>,
    /// For a choice card: the order its options show in this showing, as indices into the
    /// card's options (see [`DrillItem::draw`]). None shows the card's own order. The order
    /// travels with the item, so an undone review shows the same order again.
    pub choice_order: Option<Vec<usize>>,
}

/// The keys that pick a choice option, in display order: letters, so that no pick key is
/// also a grade key (`1`-`4`) and a double tap cannot pick and grade at once.
pub const CHOICE_LETTERS: [char; 8] = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub system_id: String,
    pub system_name: String,
    /// (system name, value) for every system of the row, in the deck's order.
    pub row: Vec<(String, String)>,
}

/// Expands decks into drill items, in deck and card order.
pub fn items_of(deck: &Deck) -> Vec<DrillItem> {
    let mut items = Vec::new();
    for card in &deck.cards {
        let base = format!("{}/{}", deck.meta.id, card.id);
        match &card.body {
            CardBody::Compare(compare) => {
                let row: Vec<(String, String)> = deck
                    .meta
                    .systems
                    .iter()
                    .filter_map(|s| {
                        compare
                            .values
                            .get(&s.id)
                            .map(|v| (s.name.clone(), v.clone()))
                    })
                    .collect();
                for system in &deck.meta.systems {
                    if compare.values.contains_key(&system.id) {
                        items.push(DrillItem {
                            id: format!("{base}/{}", system.id),
                            deck_id: deck.meta.id.clone(),
                            deck_title: deck.meta.title.clone(),
                            card: card.clone(),
                            cell: Some(Cell {
                                system_id: system.id.clone(),
                                system_name: system.name.clone(),
                                row: row.clone(),
                            }),
                            calc: None,
                            choice_order: None,
                        });
                    }
                }
            }
            _ => items.push(DrillItem {
                id: base,
                deck_id: deck.meta.id.clone(),
                deck_title: deck.meta.title.clone(),
                card: card.clone(),
                cell: None,
                calc: None,
                choice_order: None,
            }),
        }
    }
    items
}

/// Draws values for every calc item of a session. An item whose draw has no finite answer is
/// left out rather than shown broken (`deck check` samples the range, so this is rare).
pub fn draw_all(items: Vec<DrillItem>, seed: u64) -> Vec<DrillItem> {
    items
        .into_iter()
        .filter_map(|item| item.draw(seed).ok())
        .collect()
}

impl DrillItem {
    pub fn kind(&self) -> &'static str {
        self.card.body.kind()
    }

    /// A fingerprint of what the item shows, to notice when a card's text changes.
    pub fn content_hash(&self) -> String {
        let text = serde_json::to_string(&self.card).unwrap_or_default();
        // FNV-1a: stable across builds and platforms, unlike std's hasher.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in text.bytes() {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        format!("{hash:016x}")
    }

    /// For a calc card, draws this showing's values (deterministic in `seed` and the item id);
    /// other items are returned unchanged.
    /// For a choice card, shuffles the options the same way (deterministic in `seed` and the id).
    pub fn draw(mut self, seed: u64) -> Result<Self, CalcError> {
        match &self.card.body {
            CardBody::Calc(c) => {
                self.calc = Some(calc::draw(c, calc::item_seed(seed, &self.id))?);
            }
            CardBody::Choice(c) => {
                self.choice_order =
                    Some(shuffled(c.options.len(), calc::item_seed(seed, &self.id)));
            }
            _ => {}
        }
        Ok(self)
    }

    /// A choice card's options in the order they show (the card's order if not drawn).
    pub fn shown_options(&self) -> Vec<&str> {
        let CardBody::Choice(c) = &self.card.body else {
            return Vec::new();
        };
        match &self.choice_order {
            Some(order) if order.len() == c.options.len() => order
                .iter()
                .filter_map(|&i| c.options.get(i).map(String::as_str))
                .collect(),
            _ => c.options.iter().map(String::as_str).collect(),
        }
    }

    /// The letter under which a choice card's correct option shows.
    pub fn correct_choice_letter(&self) -> Option<char> {
        let CardBody::Choice(c) = &self.card.body else {
            return None;
        };
        let shown = self.shown_options().iter().position(|o| *o == c.answer)?;
        CHOICE_LETTERS.get(shown).copied()
    }

    /// What the user is asked, as plain lines of text.
    pub fn prompt(&self) -> String {
        match &self.card.body {
            CardBody::Question(q) => q.prompt.clone(),
            CardBody::Myth(m) => format!("True or myth?\n{}", m.claim),
            CardBody::Failure(f) => format!(
                "{} page: {}\nWhat is the cause, and what is the fix?",
                f.system, f.page
            ),
            CardBody::Compare(c) => {
                let system = self
                    .cell
                    .as_ref()
                    .map_or("", |cell| cell.system_name.as_str());
                match &c.ask {
                    Some(ask) => format!("{}\n{}", c.dimension, render_ask(ask, system)),
                    None => format!("{}: what is it for {system}?", c.dimension),
                }
            }
            CardBody::Choice(c) => {
                let mut text = format!("{}\nWhich do you pick?", c.situation);
                for (letter, option) in CHOICE_LETTERS.iter().zip(self.shown_options()) {
                    text.push_str(&format!("\n  {letter}) {option}"));
                }
                text
            }
            CardBody::Numeric(n) => format!("{}\n(answer in {})", n.prompt, n.unit),
            CardBody::Calc(c) => match &self.calc {
                Some(instance) => format!("{}\n(answer in {})", instance.render(&c.prompt), c.unit),
                None => format!("{}\n(answer in {})", c.prompt, c.unit),
            },
        }
    }

    /// The rubric points of a comparison cell (empty for other items and cells without points).
    pub fn cell_points(&self) -> &[RubricPoint] {
        match (&self.card.body, &self.cell) {
            (CardBody::Compare(c), Some(cell)) => {
                c.points.get(&cell.system_id).map_or(&[], Vec::as_slice)
            }
            _ => &[],
        }
    }

    /// The model answer as the reveal shows it: what answers the question, shown before the
    /// assessment, and what is worth reading after it. For a comparison cell, the asked cell's
    /// value, then the rest of the row; other items have no second part.
    pub fn model_answer_parts(&self) -> (String, Option<String>) {
        match (&self.card.body, &self.cell) {
            (CardBody::Compare(c), Some(cell)) => {
                let value = c.values.get(&cell.system_id).cloned().unwrap_or_default();
                (value, rest_of_row(c, cell))
            }
            _ => (self.model_answer(), None),
        }
    }

    /// The model answer, shown on reveal.
    pub fn model_answer(&self) -> String {
        match &self.card.body {
            CardBody::Question(q) => {
                let mut text = q.answer.clone();
                if let Some(trap) = &q.trap {
                    text.push_str(&format!("\nTrap: {trap}"));
                }
                text
            }
            CardBody::Myth(m) => {
                format!("{}. {}", if m.is_true { "True" } else { "Myth" }, m.reality)
            }
            CardBody::Failure(f) => format!("Cause: {}\nFix: {}", f.cause, f.fix),
            CardBody::Compare(c) => {
                let Some(cell) = &self.cell else {
                    return String::new();
                };
                let mut text = c.values.get(&cell.system_id).cloned().unwrap_or_default();
                if let Some(rest) = rest_of_row(c, cell) {
                    text.push_str("\n\n");
                    text.push_str(&rest);
                }
                text
            }
            CardBody::Choice(c) => format!(
                "{}) {}\n{}",
                self.correct_choice_letter().unwrap_or('?'),
                c.answer,
                c.reason
            ),
            CardBody::Numeric(n) => format!(
                "{} {} (within {})\n{}",
                format_number(n.answer),
                n.unit,
                format_number(n.tolerance),
                n.working
            ),
            CardBody::Calc(c) => match &self.calc {
                Some(instance) => format!(
                    "{} {}\n{}",
                    calc::format_value(instance.answer),
                    c.unit,
                    instance.render(&c.working)
                ),
                None => c.working.clone(),
            },
        }
    }
}

/// A compare card's `ask` for one system: `{system}` becomes the system's name.
pub fn render_ask(ask: &str, system_name: &str) -> String {
    calc::render_template(ask, |name| {
        (name == SYSTEM_PLACEHOLDER).then(|| system_name.to_owned())
    })
}

/// The row's other cells, under the dimension: what the reveal shows after the asked cell.
fn rest_of_row(compare: &Compare, cell: &Cell) -> Option<String> {
    let others: Vec<&(String, String)> = cell
        .row
        .iter()
        .filter(|(system, _)| *system != cell.system_name)
        .collect();
    if others.is_empty() {
        return None;
    }
    let mut text = format!("{} on the other systems:", compare.dimension);
    for (system, value) in others {
        text.push_str(&format!("\n  {system}: {value}"));
    }
    Some(text)
}

/// A permutation of `0..len`, Fisher-Yates driven by SplitMix64 from `seed`.
fn shuffled(len: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    let mut state = seed;
    for i in (1..len).rev() {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        let j = (z % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    order
}

pub fn format_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deck::model::{Choice, Deck, DeckMeta};
    use proptest::prelude::*;

    fn choice_item(options: Vec<String>, answer: usize) -> DrillItem {
        let deck = Deck {
            meta: DeckMeta {
                id: "d".into(),
                title: "D".into(),
                description: String::new(),
                tags: Vec::new(),
                systems: Vec::new(),
            },
            cards: vec![Card {
                id: "pick".into(),
                tags: Vec::new(),
                source: "test".into(),
                body: CardBody::Choice(Choice {
                    situation: "Which?".into(),
                    answer: options[answer].clone(),
                    options,
                    reason: "because".into(),
                }),
            }],
        };
        items_of(&deck).remove(0)
    }

    proptest! {
        /// Whatever the seed and the options, the shuffle is a permutation and the correct
        /// option is exactly the one under the letter the reveal names.
        #[test]
        fn shuffling_never_changes_which_option_is_correct(
            count in 2usize..=8,
            answer_seed in any::<usize>(),
            seed in any::<u64>(),
        ) {
            let options: Vec<String> = (0..count).map(|i| format!("option {i}")).collect();
            let answer = answer_seed % count;
            let item = choice_item(options.clone(), answer).draw(seed).expect("choice draws");
            let mut order = item.choice_order.clone().expect("drawn");
            order.sort_unstable();
            prop_assert_eq!(order, (0..count).collect::<Vec<_>>());
            let letter = item.correct_choice_letter().expect("a letter");
            prop_assert_eq!(item.shown_options()[CHOICE_LETTERS.iter().position(|&l| l == letter).expect("letter")], options[answer].as_str());
            for (i, l) in CHOICE_LETTERS.iter().take(count).enumerate() {
                let verdict = item.assess(&l.to_string());
                let correct = item.shown_options()[i] == options[answer];
                prop_assert_eq!(verdict, crate::grading::Assessment::Verdict { correct });
            }
            // The same seed gives the same order: an undone review shows it again.
            let again = choice_item(options, answer).draw(seed).expect("choice draws");
            prop_assert_eq!(again.choice_order, item.choice_order);
        }
    }

    #[test]
    fn an_ask_fills_in_the_system_and_keeps_literal_braces() {
        assert_eq!(
            render_ask("On {system}, what does {{acks}} do?", "AWS MSK"),
            "On AWS MSK, what does {acks} do?"
        );
        assert_eq!(render_ask("{ system } twice: {system}", "K"), "K twice: K");
    }

    #[test]
    fn seeds_do_shuffle() {
        let options: Vec<String> = (0..4).map(|i| format!("option {i}")).collect();
        let orders: std::collections::BTreeSet<Vec<usize>> = (0..32)
            .map(|seed| {
                choice_item(options.clone(), 0)
                    .draw(seed)
                    .expect("draws")
                    .choice_order
                    .expect("drawn")
            })
            .collect();
        assert!(orders.len() > 8, "{orders:?}");
    }
}
