//! Numbers as people type them: `$22`, `~14`, `22 USD`, `22/mo`, `1.5k`, `10 MB/s`, `2,000`,
//! and the unit they typed, checked against the card's unit.
//!
//! Only units are compared, never converted: an answer in GB/s to a card in MB/s is told so
//! instead of being marked wrong or passed unchecked. Words after the number that are not a
//! unit ("12 shards because of hot keys", "86.4 million events") end the unit.

/// A number read from an answer, and the units typed with it (canonical names).
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    pub value: f64,
    /// The units named, canonical (`mb`, `sec`, `usd`, `shard`, ...), in the order typed.
    pub units: Vec<&'static str>,
    /// The unit as typed, for messages; empty when none was typed.
    pub unit_text: String,
}

/// Words that say a number is approximate; they do not change the number.
const APPROXIMATE: [&str; 8] = [
    "about",
    "around",
    "approx",
    "approximately",
    "roughly",
    "circa",
    "ca",
    "~",
];

/// Reads the first number of `answer`, with its currency, multiplier and unit.
pub fn read(answer: &str) -> Option<Quantity> {
    let mut rest = answer.trim();
    let mut units = Vec::new();
    let mut unit_text = String::new();
    loop {
        let before = rest;
        rest = rest.trim_start_matches(['~', '≈', '=']).trim_start();
        for word in APPROXIMATE {
            if let Some(after) = strip_prefix_word(rest, word) {
                rest = after.trim_start_matches('.').trim_start();
            }
        }
        for currency in ["us$", "usd", "$"] {
            if let Some(after) = strip_prefix_ignore_case(rest, currency) {
                rest = after.trim_start();
                units.push("usd");
                unit_text.push_str(currency);
            }
        }
        if rest == before {
            break;
        }
    }
    let (mut value, after_number) = leading_number(rest)?;
    let mut after = after_number;
    // `1.5k`: a thousands multiplier glued to the number.
    if let Some(tail) = after.strip_prefix(['k', 'K'])
        && !tail.starts_with(char::is_alphanumeric)
    {
        value *= 1000.0;
        after = tail;
    }
    let (named, text) = typed_units(after);
    units.extend(named);
    if !text.is_empty() {
        if !unit_text.is_empty() {
            unit_text.push(' ');
        }
        unit_text.push_str(&text);
    }
    value.is_finite().then_some(Quantity {
        value,
        units,
        unit_text,
    })
}

/// Whether the units typed are units of the card (`card_unit`, e.g. "US$/month"). No unit
/// typed always fits.
pub fn fits(quantity: &Quantity, card_unit: &str) -> bool {
    let (mut card_units, _) = typed_units(card_unit);
    if card_unit.contains('$') {
        card_units.push("usd");
    }
    quantity.units.iter().all(|u| card_units.contains(u))
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// `prefix` as a whole word at the start of `text`.
fn strip_prefix_word<'a>(text: &'a str, word: &str) -> Option<&'a str> {
    let after = strip_prefix_ignore_case(text, word)?;
    (!after.starts_with(char::is_alphanumeric)).then_some(after)
}

/// The number at the start of `text` (sign, digits, `,` thousands separators, `_`, one `.`),
/// and what follows it.
fn leading_number(text: &str) -> Option<(f64, &str)> {
    let bytes = text.as_bytes();
    let mut digits = String::new();
    let mut i = 0;
    if let Some(&sign) = bytes.first()
        && (sign == b'-' || sign == b'+')
    {
        digits.push(char::from(sign));
        i = 1;
    }
    let mut seen_digit = false;
    let mut seen_point = false;
    while let Some(&b) = bytes.get(i) {
        let next_is_digit = bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
        if b.is_ascii_digit() {
            digits.push(char::from(b));
            seen_digit = true;
        } else if b == b'.' && !seen_point && seen_digit && next_is_digit {
            digits.push('.');
            seen_point = true;
        } else {
            let separator = (b == b',' && !seen_point && thousands_group_at(bytes, i + 1))
                || (b == b'_' && next_is_digit);
            if !(separator && seen_digit) {
                break;
            }
            // A thousands separator: skipped.
        }
        i += 1;
    }
    if !seen_digit {
        return None;
    }
    let value = digits.parse::<f64>().ok()?;
    Some((value, &text[i..]))
}

/// Exactly three digits at `from`, and no fourth.
fn thousands_group_at(bytes: &[u8], from: usize) -> bool {
    let digit = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_digit);
    digit(from) && digit(from + 1) && digit(from + 2) && !digit(from + 3)
}

/// The units at the start of `text`: words read while they are units (or "per", "a", "/"),
/// stopping at the first other word or at punctuation that ends a phrase.
fn typed_units(text: &str) -> (Vec<&'static str>, String) {
    let phrase = text
        .split([',', ';', '(', ')', ':'])
        .next()
        .unwrap_or("")
        .split(". ")
        .next()
        .unwrap_or("");
    let mut units = Vec::new();
    let mut end = 0;
    for (start, word) in word_starts(phrase) {
        let lower = word.to_lowercase();
        if matches!(lower.as_str(), "per" | "a" | "an" | "each" | "every") {
            continue;
        }
        match canonical_unit(&lower) {
            Some(unit) => {
                units.push(unit);
                end = start + word.len();
            }
            None => break,
        }
    }
    let typed = phrase[..end].trim().trim_start_matches(['/', '-']).trim();
    (units, typed.to_owned())
}

/// Words of `text` split at spaces, slashes and hyphens, with their byte offsets.
fn word_starts(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        let part = c.is_alphanumeric() || c == '$';
        match (part, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, &text[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, &text[s..]));
    }
    out
}

/// The canonical name of a unit word, or None for a word that is not a unit. Decimal and
/// binary prefixes share a name: the cards' tolerances cover the difference.
fn canonical_unit(word: &str) -> Option<&'static str> {
    let singular = if word.len() > 3 {
        word.strip_suffix('s').unwrap_or(word)
    } else {
        word
    };
    Some(match singular {
        "kb" | "kib" | "kilobyte" => "kb",
        "mb" | "mib" | "megabyte" | "mebibyte" | "meg" => "mb",
        "gb" | "gib" | "gigabyte" | "gibibyte" => "gb",
        "tb" | "tib" | "terabyte" | "tebibyte" => "tb",
        "bit" | "bits" => "bit",
        "byte" | "bytes" | "b" => "byte",
        "ms" | "millisecond" => "ms",
        "s" | "sec" | "secs" | "second" => "sec",
        "min" | "mins" | "minute" => "minute",
        "h" | "hr" | "hrs" | "hour" => "hour",
        "d" | "day" | "days" => "day",
        "mo" | "month" | "monthly" => "month",
        "yr" | "year" => "year",
        "usd" | "us$" | "$" | "dollar" => "usd",
        "shard" => "shard",
        "broker" => "broker",
        "partition" => "partition",
        "record" => "record",
        "call" => "call",
        "replica" => "replica",
        "request" => "request",
        "app" | "application" => "app",
        "bucket" => "bucket",
        "event" => "event",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> Option<f64> {
        read(text).map(|q| q.value)
    }

    #[test]
    fn numbers_are_read_as_people_type_them() {
        assert_eq!(value("$22"), Some(22.0));
        assert_eq!(value("~14"), Some(14.0));
        assert_eq!(value("about 14"), Some(14.0));
        assert_eq!(value("22 USD"), Some(22.0));
        assert_eq!(value("22/mo"), Some(22.0));
        assert_eq!(value("1.5k"), Some(1500.0));
        assert_eq!(value("10 MB/s"), Some(10.0));
        assert_eq!(value("2,000"), Some(2000.0));
        assert_eq!(value("10,000 shards"), Some(10_000.0));
        assert_eq!(value(" 12.5"), Some(12.5));
        assert_eq!(value("-3"), Some(-3.0));
        assert_eq!(value("US$ 1,400 a month"), Some(1400.0));
        assert_eq!(value("about ten"), None);
        assert_eq!(value(""), None);
        assert_eq!(value("$"), None);
        assert_eq!(
            value("12,5"),
            Some(12.0),
            "a comma is a separator only before 3 digits"
        );
        assert_eq!(value("3kb"), Some(3.0));
    }

    #[test]
    fn typed_units_are_read_until_a_word_that_is_not_a_unit() {
        let q = read("12 shards because of hot keys").expect("a number");
        assert_eq!(q.units, ["shard"]);
        assert_eq!(q.unit_text, "shards");
        let q = read("$22/mo").expect("a number");
        assert_eq!(q.units, ["usd", "month"]);
        let q = read("86.4 million events per day").expect("a number");
        assert!(q.units.is_empty());
        let q = read("10 MB/s, as computed").expect("a number");
        assert_eq!(q.units, ["mb", "sec"]);
        assert_eq!(q.unit_text, "MB/s");
    }

    #[test]
    fn a_unit_fits_only_a_card_that_uses_it() {
        let fits_card = |answer: &str, card: &str| fits(&read(answer).expect("number"), card);
        assert!(fits_card("$22", "US$/month"));
        assert!(fits_card("22 USD per month", "US$/month"));
        assert!(fits_card("22/mo", "US$/month"));
        assert!(fits_card("22", "US$/month"));
        assert!(fits_card("10 MiB/s", "MB/sec per shard"));
        assert!(fits_card("15 min", "minutes"));
        assert!(fits_card("12 shards", "shards"));
        assert!(!fits_card("10 GB/s", "MB/s"));
        assert!(!fits_card("15 seconds", "minutes"));
        assert!(!fits_card("$22", "shards"));
    }
}
