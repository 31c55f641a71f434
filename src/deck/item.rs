//! Drill items: the unit that is shown, graded and scheduled.
//!
//! Most cards are one item with the identity `deck-id/card-id`. A `compare` card is a row of a
//! comparison table and every cell is drilled on its own, as `deck-id/card-id/system-id`.

use super::calc::{self, CalcError, CalcInstance};
use super::model::{Card, CardBody, Deck};

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
}

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
    pub fn draw(mut self, seed: u64) -> Result<Self, CalcError> {
        if let CardBody::Calc(c) = &self.card.body {
            self.calc = Some(calc::draw(c, calc::item_seed(seed, &self.id))?);
        }
        Ok(self)
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
                format!("{}: what is it for {system}?", c.dimension)
            }
            CardBody::Choice(c) => {
                let mut text = format!("{}\nWhich do you pick?", c.situation);
                for (i, option) in c.options.iter().enumerate() {
                    text.push_str(&format!("\n  {}. {option}", i + 1));
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
                let mut text = self
                    .cell
                    .as_ref()
                    .and_then(|cell| c.values.get(&cell.system_id).cloned())
                    .unwrap_or_default();
                if let Some(cell) = &self.cell {
                    text.push_str(&format!("\n\n{} across systems:", c.dimension));
                    for (system, value) in &cell.row {
                        text.push_str(&format!("\n  {system}: {value}"));
                    }
                }
                text
            }
            CardBody::Choice(c) => format!(
                "{}. {}\n{}",
                c.answer_number().unwrap_or(0),
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

pub fn format_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format!("{value}")
    }
}
