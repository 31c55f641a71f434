//! Reading the answers of cards with one right answer: a myth verdict and a choice (by number
//! or text). Numbers are [`super::quantity`]'s.

use super::normalise::fold;

/// "true"/"myth" and their usual short forms.
pub fn parse_verdict(answer: &str) -> Option<bool> {
    let first = fold(answer);
    let word = first.split(' ').next().unwrap_or("");
    match word {
        "t" | "true" | "yes" | "y" | "fact" => Some(true),
        "f" | "false" | "no" | "n" | "myth" => Some(false),
        _ => None,
    }
}

/// The option picked, as an index into `shown` (the options in the order they were shown): by
/// its letter (`a`-`h`, see [`crate::deck::item::CHOICE_LETTERS`]) or by its text.
pub fn parse_choice(answer: &str, shown: &[&str]) -> Option<usize> {
    let trimmed = answer.trim();
    let mut chars = trimmed.chars();
    if let (Some(letter), None) = (chars.next(), chars.next()) {
        let letter = letter.to_ascii_lowercase();
        return crate::deck::item::CHOICE_LETTERS
            .iter()
            .position(|&l| l == letter)
            .filter(|&i| i < shown.len());
    }
    let wanted = fold(trimmed);
    if wanted.is_empty() {
        return None;
    }
    shown.iter().position(|o| fold(o) == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_and_choices_are_read_loosely() {
        assert_eq!(parse_verdict("Myth, because"), Some(false));
        assert_eq!(parse_verdict("true"), Some(true));
        assert_eq!(parse_verdict("maybe"), None);
        let options = ["MSK", "Kinesis Data Streams"];
        assert_eq!(parse_choice("b", &options), Some(1));
        assert_eq!(parse_choice(" B ", &options), Some(1));
        assert_eq!(parse_choice("kinesis data streams", &options), Some(1));
        assert_eq!(parse_choice("c", &options), None);
        assert_eq!(
            parse_choice("2", &options),
            None,
            "digits are grades, not picks"
        );
        assert_eq!(parse_choice("", &options), None);
    }
}
