//! Parametric calculation cards: drawing values, evaluating formulas, rendering the working, and
//! checking a card's formulas over its whole range. Pure: randomness comes in as a seed.
//!
//! Formulas are parsed by `exmex`, whose arithmetic is floating point throughout, so
//! `rate / 1000` never truncates the way integer division would.

use exmex::prelude::*;

use super::model::Calc;

/// Upper bound on the values a variable may take, so ranges stay reviewable and checkable.
pub const VAR_VALUES_MAX: u64 = 1_000_000;
const FORMULA_BYTES_MAX: usize = 1_000;
const FORMULA_DEPTH_MAX: i32 = 32;
/// Upper bound on formula evaluations when checking a card over its range.
const CHECK_POINTS_MAX: usize = 1_024;

/// One drawing of a calc card: every variable's value, every step's, and the answer.
#[derive(Debug, Clone, PartialEq)]
pub struct CalcInstance {
    /// Variables, then steps, then `answer`, in that order.
    pub values: Vec<(String, f64)>,
    pub answer: f64,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CalcError {
    #[error("cannot parse formula `{formula}`: {message}")]
    Parse { formula: String, message: String },
    #[error("formula `{formula}` uses `{name}`, which is not a variable or an earlier step")]
    Undefined { formula: String, name: String },
    #[error("formula `{formula}` has no finite value at {at}")]
    NotFinite { formula: String, at: String },
}

/// How many values a variable takes, or `None` when its range is empty or malformed.
pub fn value_count(min: f64, max: f64, step: f64) -> Option<u64> {
    if !(min.is_finite() && max.is_finite() && step.is_finite()) || step <= 0.0 || min > max {
        return None;
    }
    let count = ((max - min) / step + 1e-9).floor() + 1.0;
    (count <= VAR_VALUES_MAX as f64).then_some(count as u64)
}

fn value_at(min: f64, step: f64, index: u64) -> f64 {
    // Rounding keeps 0.1-steps from showing as 0.30000000000000004.
    let value = min + step * index as f64;
    (value * 1e9).round() / 1e9
}

/// Deterministic draw: the same card and seed give the same values.
pub fn draw(calc: &Calc, seed: u64) -> Result<CalcInstance, CalcError> {
    let mut rng = SplitMix64(seed);
    let vars: Vec<(String, f64)> = calc
        .vars
        .iter()
        .map(|v| {
            let count = value_count(v.min, v.max, v.step).unwrap_or(1);
            (v.name.clone(), value_at(v.min, v.step, rng.next() % count))
        })
        .collect();
    evaluate(calc, &vars)
}

/// Evaluates the steps and the answer for given variable values.
pub fn evaluate(calc: &Calc, vars: &[(String, f64)]) -> Result<CalcInstance, CalcError> {
    Compiled::new(calc, vars.iter().map(|(n, _)| n.as_str()))?.evaluate(vars)
}

/// A calc card's formulas, parsed once, with each formula's arguments resolved to positions in
/// the value list (variables, then steps in order).
struct Compiled {
    names: Vec<String>,
    /// Steps, then the answer: (formula text, parsed, argument positions).
    formulas: Vec<(String, FlatEx<f64>, Vec<usize>)>,
}

impl Compiled {
    fn new<'a>(calc: &Calc, var_names: impl Iterator<Item = &'a str>) -> Result<Self, CalcError> {
        let mut names: Vec<String> = var_names.map(str::to_owned).collect();
        let mut formulas = Vec::new();
        let all = calc
            .steps
            .iter()
            .map(|s| (s.name.as_str(), s.formula.as_str()))
            .chain(std::iter::once(("answer", calc.answer.as_str())));
        for (name, formula) in all {
            // Decks may come from strangers: bound what reaches the parser.
            let depth = formula
                .chars()
                .scan(0i32, |depth, c| {
                    *depth += match c {
                        '(' => 1,
                        ')' => -1,
                        _ => 0,
                    };
                    Some(*depth)
                })
                .max()
                .unwrap_or(0);
            if formula.len() > FORMULA_BYTES_MAX || depth > FORMULA_DEPTH_MAX {
                return Err(CalcError::Parse {
                    formula: formula.chars().take(60).collect(),
                    message: format!(
                        "formulas are limited to {FORMULA_BYTES_MAX} bytes and {FORMULA_DEPTH_MAX} nested parentheses"
                    ),
                });
            }
            let expr = exmex::parse::<f64>(formula).map_err(|e| CalcError::Parse {
                formula: formula.to_owned(),
                message: e.to_string(),
            })?;
            let mut args = Vec::with_capacity(expr.var_names().len());
            for var in expr.var_names() {
                let Some(position) = names.iter().position(|n| n == var) else {
                    return Err(CalcError::Undefined {
                        formula: formula.to_owned(),
                        name: var.clone(),
                    });
                };
                args.push(position);
            }
            formulas.push((formula.to_owned(), expr, args));
            names.push(name.to_owned());
        }
        Ok(Self { names, formulas })
    }

    fn evaluate(&self, vars: &[(String, f64)]) -> Result<CalcInstance, CalcError> {
        let mut values: Vec<f64> = vars.iter().map(|(_, v)| *v).collect();
        for (formula, expr, args) in &self.formulas {
            let inputs: Vec<f64> = args.iter().map(|i| values[*i]).collect();
            let value = expr.eval(&inputs).map_err(|e| CalcError::Parse {
                formula: formula.clone(),
                message: e.to_string(),
            })?;
            if !value.is_finite() {
                let at = vars
                    .iter()
                    .map(|(n, v)| format!("{n}={}", format_value(*v)))
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(CalcError::NotFinite {
                    formula: formula.clone(),
                    at,
                });
            }
            values.push(value);
        }
        let answer = values.last().copied().unwrap_or(f64::NAN);
        Ok(CalcInstance {
            values: self.names.iter().cloned().zip(values).collect(),
            answer,
        })
    }
}

impl CalcError {
    /// The formula the problem is in.
    pub fn formula(&self) -> &str {
        match self {
            CalcError::Parse { formula, .. }
            | CalcError::Undefined { formula, .. }
            | CalcError::NotFinite { formula, .. } => formula,
        }
    }
}

impl CalcInstance {
    pub fn value(&self, name: &str) -> Option<f64> {
        self.values.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }

    /// Replaces `{name}` with the value; `{{` and `}}` are literal braces.
    pub fn render(&self, template: &str) -> String {
        render_template(template, |name| self.value(name).map(format_value))
    }
}

/// Whether `typed` is within the card's absolute or relative tolerance of `answer`.
pub fn accepts(calc: &Calc, answer: f64, typed: f64) -> bool {
    if !typed.is_finite() {
        return false;
    }
    let error = (typed - answer).abs();
    let slack = 1e-9 * answer.abs().max(1.0);
    error <= calc.tolerance + slack
        || error <= answer.abs() * calc.tolerance_percent / 100.0 + slack
}

/// Placeholder names used in a template.
pub fn placeholders(template: &str) -> Vec<String> {
    let mut names = Vec::new();
    render_template(template, |name| {
        names.push(name.to_owned());
        Some(String::new())
    });
    names
}

/// Fills `template`'s `{name}` placeholders with `value(name)`; a placeholder without a value and
/// a lone brace stay as written, `{{` and `}}` are literal braces.
pub(crate) fn render_template(
    template: &str,
    mut value: impl FnMut(&str) -> Option<String>,
) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
        } else if let Some(end) = tail.find('}').filter(|_| tail.starts_with('{')) {
            let name = &tail[1..end];
            match value(name.trim()) {
                Some(v) => out.push_str(&v),
                None => out.push_str(&tail[..=end]),
            }
            rest = &tail[end + 1..];
        } else {
            out.push_str(&tail[..1]);
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

/// Numbers as people write them: thousands separators, at most four decimals, no trailing zeros.
pub fn format_value(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    let text = format!("{:.4}", value.abs());
    let (int_part, frac_part) = text.split_once('.').unwrap_or((&text, ""));
    let frac_part = frac_part.trim_end_matches('0');
    let mut grouped = String::new();
    for (i, c) in int_part.chars().enumerate() {
        if i > 0 && (int_part.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if value < 0.0 && (grouped != "0" || !frac_part.is_empty()) {
        "-"
    } else {
        ""
    };
    if frac_part.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac_part}")
    }
}

/// Problems with a calc card, as (field, message). Checks formulas parse, use only known names,
/// and stay finite over the variables' whole range (every point when the grid is small, else its
/// corners and a deterministic sample).
pub fn check(calc: &Calc) -> Vec<(&'static str, String)> {
    let mut problems = Vec::new();
    let mut counts = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    for var in &calc.vars {
        if names.contains(&var.name.as_str()) || var.name == "answer" {
            problems.push((
                "vars",
                format!("variable name `{}` is used twice or reserved", var.name),
            ));
        }
        names.push(&var.name);
        match value_count(var.min, var.max, var.step) {
            Some(count) => counts.push(count),
            None => problems.push((
                "vars",
                format!(
                    "variable `{}` has an empty or bad range: min {} max {} step {} (need min <= max, step > 0, at most {VAR_VALUES_MAX} values)",
                    var.name, var.min, var.max, var.step
                ),
            )),
        }
    }
    if calc.vars.is_empty() {
        problems.push(("vars", "a calc card needs at least one variable".to_owned()));
    }
    for step in &calc.steps {
        if names.contains(&step.name.as_str()) || step.name == "answer" {
            problems.push((
                "steps",
                format!("step name `{}` is used twice or reserved", step.name),
            ));
        }
        names.push(&step.name);
    }
    for (field, value) in [
        ("tolerance", calc.tolerance),
        ("tolerance_percent", calc.tolerance_percent),
    ] {
        if !value.is_finite() || value < 0.0 {
            problems.push((
                field,
                format!("bad {field} {value}: it must be zero or more"),
            ));
        }
    }
    names.push("answer");
    for (field, template) in [("prompt", &calc.prompt), ("working", &calc.working)] {
        for name in placeholders(template) {
            if !names.contains(&name.as_str()) {
                problems.push((
                    field,
                    format!("`{{{name}}}` is not a variable, a step or `answer`"),
                ));
            }
        }
    }
    if !problems.is_empty() {
        return problems;
    }
    let compiled = match Compiled::new(calc, calc.vars.iter().map(|v| v.name.as_str())) {
        Ok(compiled) => compiled,
        Err(e) => {
            let field = if e.formula() == calc.answer {
                "answer"
            } else {
                "steps"
            };
            problems.push((field, e.to_string()));
            return problems;
        }
    };
    for point in check_points(calc, &counts) {
        if let Err(e) = compiled.evaluate(&point) {
            let field = if e.formula() == calc.answer {
                "answer"
            } else {
                "steps"
            };
            problems.push((field, e.to_string()));
            break;
        }
    }
    problems
}

fn check_points(calc: &Calc, counts: &[u64]) -> Vec<Vec<(String, f64)>> {
    let point = |indices: &[u64]| -> Vec<(String, f64)> {
        calc.vars
            .iter()
            .zip(indices)
            .map(|(v, i)| (v.name.clone(), value_at(v.min, v.step, *i)))
            .collect()
    };
    let total = counts.iter().try_fold(1u64, |acc, c| acc.checked_mul(*c));
    let mut points = Vec::new();
    if let Some(total) = total.filter(|t| *t as usize <= CHECK_POINTS_MAX) {
        for mut n in 0..total {
            let indices: Vec<u64> = counts
                .iter()
                .map(|c| {
                    let i = n % c;
                    n /= c;
                    i
                })
                .collect();
            points.push(point(&indices));
        }
        return points;
    }
    // Corners (each variable at its min or max), then a deterministic sample.
    let corners = 1usize << counts.len().min(10);
    for mask in 0..corners {
        let indices: Vec<u64> = counts
            .iter()
            .enumerate()
            .map(|(bit, c)| if mask >> bit & 1 == 1 { c - 1 } else { 0 })
            .collect();
        points.push(point(&indices));
    }
    let mut rng = SplitMix64(0x5eed);
    while points.len() < CHECK_POINTS_MAX {
        let indices: Vec<u64> = counts.iter().map(|c| rng.next() % c).collect();
        points.push(point(&indices));
    }
    points
}

/// SplitMix64: tiny, fast, and good enough to pick exercise values; seeded explicitly.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Mixes a session seed with an item id, so each card of a session draws its own values.
pub fn item_seed(seed: u64, item_id: &str) -> u64 {
    // FNV-1a over the id, then one SplitMix step with the seed.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in item_id.bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    SplitMix64(seed ^ hash).next()
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // the values compared are exact by construction
mod tests {
    use super::*;
    use crate::deck::model::{CalcStep, CalcVar};

    fn shards_card() -> Calc {
        Calc {
            prompt: "{rate} events/s of {size_kb} KB: shards?".into(),
            answer: "ceil(max(mb_per_sec, rate / 1000))".into(),
            unit: "shards".into(),
            tolerance: 0.0,
            tolerance_percent: 0.0,
            working: "{rate} x {size_kb} KB = {mb_per_sec} MB/s; answer {answer}".into(),
            vars: vec![
                CalcVar {
                    name: "rate".into(),
                    min: 1000.0,
                    max: 50_000.0,
                    step: 1000.0,
                },
                CalcVar {
                    name: "size_kb".into(),
                    min: 0.5,
                    max: 10.0,
                    step: 0.5,
                },
            ],
            steps: vec![CalcStep {
                name: "mb_per_sec".into(),
                formula: "rate * size_kb / 1024".into(),
            }],
        }
    }

    #[test]
    fn evaluates_steps_then_the_answer() {
        let card = shards_card();
        let vars = vec![("rate".to_owned(), 10_000.0), ("size_kb".to_owned(), 1.0)];
        let instance = evaluate(&card, &vars).expect("finite");
        // 10,000 KB/s is 9.77 MiB/s: 10 shards; records need 10 as well.
        assert_eq!(instance.answer, 10.0);
        assert_eq!(
            instance.render(&card.working),
            "10,000 x 1 KB = 9.7656 MB/s; answer 10"
        );
        let vars = vec![("rate".to_owned(), 3_000.0), ("size_kb".to_owned(), 0.5)];
        assert_eq!(
            evaluate(&card, &vars).expect("finite").answer,
            3.0,
            "record limit binds"
        );
    }

    #[test]
    fn draws_are_deterministic_and_in_range() {
        let card = shards_card();
        for seed in 0..200 {
            let a = draw(&card, seed).expect("finite");
            assert_eq!(a, draw(&card, seed).expect("finite"));
            let rate = a.value("rate").expect("drawn");
            let size = a.value("size_kb").expect("drawn");
            assert!((1000.0..=50_000.0).contains(&rate) && rate % 1000.0 == 0.0);
            assert!((0.5..=10.0).contains(&size) && (size * 2.0).fract() == 0.0);
        }
        let distinct: std::collections::HashSet<u64> = (0..50)
            .map(|s| draw(&card, s).expect("finite").answer as u64)
            .collect();
        assert!(distinct.len() > 5, "values vary between draws");
    }

    #[test]
    fn check_finds_undefined_names_empty_ranges_and_division_by_zero() {
        let mut card = shards_card();
        assert!(check(&card).is_empty(), "{:?}", check(&card));

        card.answer = "rate / events".into();
        assert!(check(&card)[0].1.contains("`events`"), "{:?}", check(&card));

        let mut card = shards_card();
        card.vars[1].min = 20.0;
        assert!(check(&card)[0].1.contains("empty or bad range"));

        let mut card = shards_card();
        card.answer = "rate / (size_kb - 5)".into();
        let problems = check(&card);
        assert_eq!(problems[0].0, "answer");
        assert!(problems[0].1.contains("no finite value at"), "{problems:?}");

        let mut card = shards_card();
        card.working = "{nope}".into();
        assert!(check(&card)[0].1.contains("`{nope}`"));

        let mut card = shards_card();
        card.answer = "ceil(rate +".into();
        assert!(check(&card)[0].1.contains("cannot parse"));

        let mut card = shards_card();
        card.answer = format!("{}rate{}", "(".repeat(5000), ")".repeat(5000));
        assert!(
            check(&card)[0].1.contains("limited to"),
            "hostile nesting is refused"
        );
    }

    #[test]
    fn tolerances_absolute_or_relative() {
        let mut card = shards_card();
        assert!(accepts(&card, 10.0, 10.0));
        assert!(!accepts(&card, 10.0, 11.0));
        card.tolerance_percent = 10.0;
        assert!(accepts(&card, 10.0, 11.0));
        assert!(!accepts(&card, 10.0, 11.5));
        assert!(!accepts(&card, 10.0, f64::NAN));
    }

    #[test]
    fn numbers_format_for_people() {
        assert_eq!(format_value(1_234_567.0), "1,234,567");
        assert_eq!(format_value(0.015), "0.015");
        assert_eq!(format_value(-2.5), "-2.5");
        assert_eq!(format_value(21.900_01), "21.9");
        assert_eq!(placeholders("a {x} {{literal}} {y}"), ["x", "y"]);
    }
}
