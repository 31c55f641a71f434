//! Reading the answers of cards with one right answer: a myth verdict, a choice (by number or
//! text) and a number (with thousands separators and a trailing unit).

use super::rubric;

/// "true"/"myth" and their usual short forms.
pub fn parse_verdict(answer: &str) -> Option<bool> {
    let first = rubric::normalize(answer);
    let word = first.split(' ').next().unwrap_or("");
    match word {
        "t" | "true" | "yes" | "y" | "fact" => Some(true),
        "f" | "false" | "no" | "n" | "myth" => Some(false),
        _ => None,
    }
}

/// An option number (1-based) or the option's text.
pub fn parse_choice(answer: &str, options: &[String]) -> Option<usize> {
    let trimmed = answer.trim();
    if let Ok(n) = trimmed.parse::<usize>() {
        return (1..=options.len()).contains(&n).then_some(n);
    }
    let wanted = rubric::normalize(trimmed);
    if wanted.is_empty() {
        return None;
    }
    options
        .iter()
        .position(|o| rubric::normalize(o) == wanted)
        .map(|i| i + 1)
}

/// Reads the first number in an answer, allowing thousands separators ("10,000 shards").
pub fn parse_number(answer: &str) -> Option<f64> {
    let cleaned: String = answer
        .trim()
        .chars()
        .filter(|c| *c != ',' && *c != '_')
        .collect();
    let end = cleaned
        .char_indices()
        .take_while(|(i, c)| {
            c.is_ascii_digit() || *c == '.' || (*i == 0 && (*c == '-' || *c == '+'))
        })
        .map(|(i, c)| i + c.len_utf8())
        .last()?;
    cleaned[..end].parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_with_separators_and_units() {
        assert_eq!(parse_number("10,000 shards"), Some(10_000.0));
        assert_eq!(parse_number(" 12.5"), Some(12.5));
        assert_eq!(parse_number("-3"), Some(-3.0));
        assert_eq!(parse_number("about ten"), None);
        assert_eq!(parse_number(""), None);
    }

    #[test]
    fn verdicts_and_choices_are_read_loosely() {
        assert_eq!(parse_verdict("Myth, because"), Some(false));
        assert_eq!(parse_verdict("true"), Some(true));
        assert_eq!(parse_verdict("maybe"), None);
        let options = vec!["MSK".to_owned(), "Kinesis Data Streams".to_owned()];
        assert_eq!(parse_choice("2", &options), Some(2));
        assert_eq!(parse_choice("kinesis data streams", &options), Some(2));
        assert_eq!(parse_choice("3", &options), None);
        assert_eq!(parse_choice("", &options), None);
    }
}
