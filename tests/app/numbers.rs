//! Numeric and calc answers as people type them, on the bundled cards: currency, approximation,
//! multipliers, units and separators are read, and a unit the card does not use is said.

use streamdrill::deck::item::{DrillItem, items_of};
use streamdrill::deck::{CardBody, Library};
use streamdrill::grading::{Assessment, Circumstances};

fn numeric_items() -> Vec<(DrillItem, f64, String)> {
    let mut out = Vec::new();
    for loaded in Library::bundled().decks {
        for item in items_of(&loaded.deck) {
            match &item.card.body {
                CardBody::Numeric(n) => {
                    let (answer, unit) = (n.answer, n.unit.clone());
                    out.push((item, answer, unit));
                }
                CardBody::Calc(c) => {
                    let unit = c.unit.clone();
                    let drawn = item.clone().draw(3).expect("bundled calc cards draw");
                    let answer = drawn.calc.as_ref().expect("drawn").answer;
                    out.push((drawn, answer, unit));
                }
                _ => {}
            }
        }
    }
    out
}

/// How a number is written with the card's own unit, the way people type it.
fn typings(answer: f64, unit: &str) -> Vec<String> {
    let plain = format!("{answer}");
    let mut out = vec![
        plain.clone(),
        format!("~{plain}"),
        format!("about {plain}"),
        format!("{plain} {unit}"),
    ];
    if unit.contains('$') {
        out.extend([
            format!("${plain}"),
            format!("{plain} USD"),
            format!("{plain}/mo"),
            format!("${plain} a month"),
        ]);
    }
    if answer >= 1000.0 && answer.fract() == 0.0 {
        let thousands = answer / 1000.0;
        out.push(format!("{thousands}k"));
        let whole = answer as u64;
        out.push(format!("{},{:03}", whole / 1000, whole % 1000));
    }
    out
}

#[test]
fn the_right_number_is_accepted_however_it_is_typed() {
    let items = numeric_items();
    assert!(items.len() > 20, "{} numeric and calc cards", items.len());
    let mut failures = Vec::new();
    for (item, answer, unit) in &items {
        for typed in typings(*answer, unit) {
            let assessment = item.assess(&typed);
            if assessment != (Assessment::Verdict { correct: true }) {
                failures.push(format!("{} ({unit}): {typed:?} -> {assessment:?}", item.id));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_unit_the_card_does_not_use_is_said_not_checked() {
    let items = numeric_items();
    let (item, answer, _) = items
        .iter()
        .find(|(_, _, unit)| unit == "shards")
        .expect("a card in shards");
    assert_eq!(
        item.assess(&format!("{answer} GB/s")),
        Assessment::WrongUnit {
            said: "GB/s".into(),
            expected: "shards".into()
        }
    );
    assert_eq!(
        item.assess(&format!("{answer} GB/s"))
            .suggested_rating(Circumstances::default()),
        None
    );
    // Words after the number that are not units are the learner's reasoning, not a unit.
    assert_eq!(
        item.assess(&format!("{answer} shards because of hot keys")),
        Assessment::Verdict { correct: true }
    );
    let (item, answer, _) = items
        .iter()
        .find(|(_, _, unit)| unit.contains('$'))
        .expect("a card in dollars");
    assert!(matches!(
        item.assess(&format!("{answer} shards")),
        Assessment::WrongUnit { .. }
    ));
}
