//! User configuration (`<config dir>/config.toml`, or `--config FILE`). Pure: parsing takes the
//! file's text; reading it is the CLI's job. Every problem is reported with its line and column,
//! all in one go; a missing file means defaults.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::deck::Diagnostic;

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Target probability of recalling a card when it comes due (FSRS), 0.70 to 0.99.
    pub desired_retention: f32,
    /// Hour (0-23, local time) at which a new study day starts.
    pub day_start_hour: u8,
    /// New cards introduced per day.
    pub new_per_day: u32,
    /// Reviews of already-learned cards per day.
    pub reviews_per_day: u32,
    /// Length of a drill session's time box, in minutes.
    pub session_minutes: u32,
    /// Cards per session.
    pub session_cards: u32,
    /// Seconds allowed per card, by kind; kinds not listed use `default`.
    pub time_limits: BTreeMap<String, u32>,
    /// Seconds a review may count beyond its card's time limit (Anki's "maximum answer
    /// seconds"): an idle card is logged and timed as at most limit + this.
    pub review_overrun_seconds: u32,
    pub theme: Theme,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Theme {
    Dark,
    Light,
    HighContrast,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            desired_retention: 0.9,
            day_start_hour: 4,
            new_per_day: 20,
            reviews_per_day: 200,
            session_minutes: 15,
            session_cards: 20,
            time_limits: BTreeMap::from([
                ("default".to_owned(), 90),
                ("question".to_owned(), 180),
                ("myth".to_owned(), 30),
                ("choice".to_owned(), 45),
                ("numeric".to_owned(), 120),
                ("calc".to_owned(), 180),
            ]),
            review_overrun_seconds: 60,
            theme: Theme::Dark,
        }
    }
}

impl Config {
    /// Parses and validates; `path` only labels diagnostics.
    pub fn parse(path: &str, source: &str) -> Result<Self, Vec<Diagnostic>> {
        let config: Config = toml::from_str(source).map_err(|e| {
            vec![Diagnostic::at(
                path,
                source,
                e.span().unwrap_or(0..0),
                e.message().trim(),
            )]
        })?;
        let mut problems = Vec::new();
        let span_of = |key: &str| -> std::ops::Range<usize> {
            let needle = format!("\n{key}");
            source
                .find(&needle)
                .map(|i| i + 1..i + 1 + key.len())
                .or_else(|| source.starts_with(key).then_some(0..key.len()))
                .unwrap_or(0..0)
        };
        let mut bad = |key: &str, message: String| {
            problems.push(Diagnostic::at(path, source, span_of(key), message));
        };
        if !(0.7..=0.99).contains(&config.desired_retention) {
            bad(
                "desired_retention",
                format!(
                    "desired_retention {} is out of range: use 0.70 to 0.99",
                    config.desired_retention
                ),
            );
        }
        if config.day_start_hour > 23 {
            bad(
                "day_start_hour",
                format!(
                    "day_start_hour {} is not an hour (0-23)",
                    config.day_start_hour
                ),
            );
        }
        if config.session_cards == 0 {
            bad(
                "session_cards",
                "session_cards must be at least 1".to_owned(),
            );
        }
        if config.session_minutes == 0 || config.session_minutes > 24 * 60 {
            bad(
                "session_minutes",
                "session_minutes must be 1 to 1440".to_owned(),
            );
        }
        if config.review_overrun_seconds > 3600 {
            bad(
                "review_overrun_seconds",
                "review_overrun_seconds must be 0 to 3600".to_owned(),
            );
        }
        for (kind, seconds) in &config.time_limits {
            if kind != "default" && !crate::deck::model::KINDS.contains(&kind.as_str()) {
                bad(
                    "[time_limits]",
                    format!("time_limits: unknown kind `{kind}`"),
                );
            }
            if *seconds == 0 || *seconds > 3600 {
                bad(
                    "[time_limits]",
                    format!("time_limits.{kind} must be 1 to 3600 seconds"),
                );
            }
        }
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(problems)
        }
    }

    /// Seconds allowed for a card of `kind`.
    pub fn time_limit_seconds(&self, kind: &str) -> u32 {
        self.time_limits
            .get(kind)
            .or_else(|| self.time_limits.get("default"))
            .copied()
            .unwrap_or(90)
    }

    /// The most a review of each kind counts for: its time limit plus the allowed overrun.
    pub fn review_caps(&self) -> crate::srs::session::ReviewCaps {
        crate::srs::session::ReviewCaps::new(
            crate::deck::model::KINDS.iter().copied(),
            |kind| self.time_limit_seconds(kind),
            self.review_overrun_seconds,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_means_defaults() {
        assert_eq!(Config::parse("c.toml", ""), Ok(Config::default()));
    }

    #[test]
    fn values_override_defaults_and_partial_tables_merge_nothing_else() {
        let config = Config::parse(
            "c.toml",
            "desired_retention = 0.85\nday_start_hour = 5\ntheme = \"high-contrast\"\n[time_limits]\nmyth = 20\n",
        )
        .expect("valid");
        assert!((config.desired_retention - 0.85).abs() < 1e-6);
        assert_eq!(config.day_start_hour, 5);
        assert_eq!(config.theme, Theme::HighContrast);
        assert_eq!(config.time_limit_seconds("myth"), 20);
        assert_eq!(
            config.time_limit_seconds("question"),
            90,
            "table replaced: default applies"
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_are_located() {
        let problems =
            Config::parse("c.toml", "new_per_day = 10\ncolour = 1\n").expect_err("unknown");
        assert_eq!((problems[0].line, problems[0].column), (2, 1));
        assert!(problems[0].message.contains("unknown field `colour`"));

        let problems = Config::parse(
            "c.toml",
            "new_per_day = 10\ndesired_retention = 1.5\nday_start_hour = 30\n",
        )
        .expect_err("bad values");
        let located: Vec<(usize, usize)> = problems.iter().map(|p| (p.line, p.column)).collect();
        assert_eq!(located, [(2, 1), (3, 1)], "{problems:?}");

        let problems = Config::parse("c.toml", "theme = \"neon\"\n").expect_err("bad theme");
        assert_eq!(problems[0].line, 1);
        assert!(problems[0].message.contains("neon"), "{problems:?}");
    }
}
