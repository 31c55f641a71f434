//! Rubric matching: which points of a rubric a typed answer names.
//!
//! Case and punctuation are ignored and terms match whole words in order, so the term
//! `acks=all` is found in "set acks = all" and "ACKS all", but not in "acks=1" or "callbacks all".

use crate::deck::model::RubricPoint;

/// Lowercases and turns every run of non-alphanumeric characters into one space. A minus sign
/// that starts a number is kept, so `acks=-1` stays distinct from `acks=1`.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut previous_alphanumeric = false;
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else {
            let negative_number = c == '-'
                && !previous_alphanumeric
                && chars.peek().is_some_and(char::is_ascii_digit);
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
            if negative_number {
                out.push('-');
            }
        }
        previous_alphanumeric = c.is_alphanumeric();
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// True when the words of `term` appear consecutively, as whole words, in `answer`.
pub fn term_matches(answer: &str, term: &str) -> bool {
    let term = normalize(term);
    if term.is_empty() {
        return false;
    }
    let haystack = format!(" {} ", normalize(answer));
    haystack.contains(&format!(" {term} "))
}

/// How an answer fared against one rubric point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointResult {
    pub point: String,
    /// The first term found, if any.
    pub matched_term: Option<String>,
}

impl PointResult {
    pub fn hit(&self) -> bool {
        self.matched_term.is_some()
    }
}

pub fn assess(answer: &str, rubric: &[RubricPoint]) -> Vec<PointResult> {
    rubric
        .iter()
        .map(|p| PointResult {
            point: p.point.clone(),
            matched_term: p.terms.iter().find(|t| term_matches(answer, t)).cloned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn punctuation_and_case_do_not_matter() {
        assert!(term_matches("Set ACKS = all on the producer", "acks=all"));
        assert!(term_matches("acks-all", "acks=all"));
        assert!(term_matches(
            "raise min.insync.replicas to 2",
            "min insync replicas"
        ));
    }

    #[test]
    fn whole_words_only() {
        assert!(!term_matches("acks=1 is enough", "acks=all"));
        assert!(!term_matches("callbacks all fire", "acks all"));
        assert!(!term_matches("", "acks"));
        assert!(!term_matches("anything", "  ==  "));
    }

    #[test]
    fn a_negative_number_is_not_its_positive() {
        assert!(!term_matches("acks=1", "acks=-1"));
        assert!(!term_matches("acks=-1", "acks=1"));
        assert!(term_matches("acks = -1", "acks=-1"));
        assert!(term_matches("min-isr of 2", "min isr"));
        assert_eq!(normalize("x-1 -2"), "x 1 -2");
    }

    #[test]
    fn assess_reports_each_point() {
        let rubric = vec![
            RubricPoint {
                point: "durable acks".into(),
                terms: vec!["acks=all".into(), "acks all".into()],
            },
            RubricPoint {
                point: "min ISR".into(),
                terms: vec!["min.insync.replicas".into(), "min isr".into()],
            },
        ];
        let results = assess("I'd use acks=all", &rubric);
        assert_eq!(results[0].matched_term.as_deref(), Some("acks=all"));
        assert!(!results[1].hit());
    }
}
