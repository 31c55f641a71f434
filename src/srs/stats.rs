//! Progress figures for `streamdrill stats` and the TUI. Pure: computed from the library, the
//! scheduling states and the aggregates the store hands in.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::deck::Library;
use crate::srs::queue::{Progress, counts};
use crate::store::DayActivity;

/// Days of the review calendar (heatmap).
pub const CALENDAR_DAYS: i64 = 365;
pub const FORECAST_DAYS: i64 = 30;
/// A tag needs this many recent reviews before it can be called weak.
const WEAK_TAG_REVIEWS_MIN: u64 = 5;
const WEAK_TAGS_MAX: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeckStats {
    pub id: String,
    pub title: String,
    /// Drill items (a comparison row counts once per cell).
    pub cards: usize,
    pub due: usize,
    pub new: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagStats {
    pub tag: String,
    pub cards: usize,
    pub due: usize,
    pub new: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Retention {
    pub passed: u64,
    pub reviews: u64,
    /// `passed / reviews`, absent without reviews.
    pub rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayCount {
    pub date: String,
    pub reviews: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TagRetention {
    pub tag: String,
    #[serde(flatten)]
    pub retention: Retention,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub reviews_total: u64,
    pub reviews_today: u64,
    pub due_now: usize,
    pub cards_total: usize,
    pub decks: Vec<DeckStats>,
    /// Due, new and total items per tag, by tag name.
    pub tags: Vec<TagStats>,
    /// Reviews per study day over the last year, oldest first, days without reviews included.
    pub reviews_per_day: Vec<DayCount>,
    /// Consecutive study days with reviews, ending today (or yesterday, before today's first).
    pub streak_days: u32,
    pub time_spent_ms: u64,
    pub time_spent_today_ms: u64,
    /// Pass rate of reviews of items whose interval was 21 days or more.
    pub true_retention: Retention,
    pub true_retention_by_deck: BTreeMap<String, Retention>,
    pub true_retention_by_tag: BTreeMap<String, Retention>,
    /// Items coming due on each of the next 30 days (day 0 includes everything overdue).
    pub due_forecast: Vec<DayCount>,
    /// Tags with the lowest pass rate over the last 30 days.
    pub weakest_tags: Vec<TagRetention>,
    /// Pass rate of all reviews per week over the calendar year, oldest first, for a line chart.
    pub retention_by_week: Vec<WeekRetention>,
    /// True/false calls by stated confidence: overconfidence shows as many sure-but-wrong.
    pub calibration: Calibration,
    /// Lab runs and passes per lab.
    pub labs: Vec<crate::store::LabSummary>,
    /// Cards of the library flagged for a second look (`!`).
    pub flagged: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Calibration {
    pub sure_correct: u64,
    pub sure_wrong: u64,
    pub unsure_correct: u64,
    pub unsure_wrong: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekRetention {
    /// The week's first day.
    pub week: String,
    #[serde(flatten)]
    pub retention: Retention,
}

/// What the store knows, gathered by the shell.
#[derive(Debug, Clone, Default)]
pub struct StoreFigures {
    pub reviews_total: u64,
    pub time_spent_ms: u64,
    pub activity: Vec<DayActivity>,
    /// (item, passed, reviews) for mature reviews.
    pub mature: Vec<(String, u64, u64)>,
    /// (item, passed, reviews) for recent reviews.
    pub recent: Vec<(String, u64, u64)>,
    pub calibration: Vec<(crate::store::Confidence, bool, u64)>,
    pub labs: Vec<crate::store::LabSummary>,
}

pub fn deck_stats(library: &Library, progress: &Progress, now: DateTime<Utc>) -> Vec<DeckStats> {
    let mut by_deck: HashMap<&str, Vec<&crate::deck::DrillItem>> = HashMap::new();
    for item in library.all_items() {
        by_deck.entry(item.deck_id.as_str()).or_default().push(item);
    }
    library
        .decks
        .iter()
        .map(|loaded| {
            let meta = &loaded.deck.meta;
            let items = by_deck.get(meta.id.as_str()).map_or(&[][..], Vec::as_slice);
            let c = counts(items.iter().copied(), progress, now);
            DeckStats {
                id: meta.id.clone(),
                title: meta.title.clone(),
                cards: c.total,
                due: c.due,
                new: c.new,
            }
        })
        .collect()
}

/// Due, new and total items per tag (a card's own tags and its deck's), by tag name.
pub fn tag_stats(library: &Library, progress: &Progress, now: DateTime<Utc>) -> Vec<TagStats> {
    tag_counts(&library.items_with_tags(), progress, now)
}

fn tag_counts(tagged: &[TaggedItem<'_>], progress: &Progress, now: DateTime<Utc>) -> Vec<TagStats> {
    let mut by_tag: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, (_, tags)) in tagged.iter().enumerate() {
        for tag in tags {
            by_tag.entry(tag).or_default().push(index);
        }
    }
    by_tag
        .into_iter()
        .map(|(tag, indices)| {
            let items = indices.iter().map(|&i| tagged[i].0);
            let c = counts(items, progress, now);
            TagStats {
                tag: tag.to_owned(),
                cards: c.total,
                due: c.due,
                new: c.new,
            }
        })
        .collect()
}

/// The study day number of an instant, as the store numbers them.
pub fn day_number(at: DateTime<Utc>, day_offset_ms: i64) -> i64 {
    (at.timestamp_millis() - day_offset_ms).div_euclid(86_400_000)
}

/// The offset that makes day numbers start at `day_start` (a study day's first instant).
pub fn day_offset_ms(day_start: DateTime<Utc>) -> i64 {
    day_start.timestamp_millis().rem_euclid(86_400_000)
}

/// Days in a row with at least one review, ending today (or yesterday, while today has none
/// yet), counted over the activity of the last [`CALENDAR_DAYS`] days.
pub fn streak_days(activity: &[DayActivity], now: DateTime<Utc>, day_start: DateTime<Utc>) -> u32 {
    let by_day: HashMap<i64, &DayActivity> = activity.iter().map(|a| (a.day, a)).collect();
    streak(&by_day, day_number(now, day_offset_ms(day_start)))
}

fn streak(by_day: &HashMap<i64, &DayActivity>, today: i64) -> u32 {
    let studied = |day: i64| by_day.get(&day).is_some_and(|a| a.reviews > 0);
    let mut day = if studied(today) { today } else { today - 1 };
    let mut streak_days = 0;
    while studied(day) && streak_days < CALENDAR_DAYS as u32 {
        streak_days += 1;
        day -= 1;
    }
    streak_days
}

pub fn stats(
    library: &Library,
    progress: &Progress,
    figures: &StoreFigures,
    now: DateTime<Utc>,
    day_start: DateTime<Utc>,
) -> Stats {
    let decks = deck_stats(library, progress, now);
    let offset = day_offset_ms(day_start);
    let today = day_number(now, offset);
    let by_day: HashMap<i64, &DayActivity> = figures.activity.iter().map(|a| (a.day, a)).collect();
    let date_of = |day: i64| {
        (day_start + Duration::days(day - today))
            .format("%Y-%m-%d")
            .to_string()
    };
    let reviews_per_day = (today - CALENDAR_DAYS + 1..=today)
        .map(|day| DayCount {
            date: date_of(day),
            reviews: by_day.get(&day).map_or(0, |a| a.reviews),
        })
        .collect();
    let streak_days = streak(&by_day, today);

    let tagged = library.items_with_tags();
    let item_info = item_index(&tagged);
    let (true_retention, by_deck, by_tag) = retention_groups(&figures.mature, &item_info);
    let (_, _, recent_by_tag) = retention_groups(&figures.recent, &item_info);
    let mut weakest_tags: Vec<TagRetention> = recent_by_tag
        .into_iter()
        .filter(|(_, r)| r.reviews >= WEAK_TAG_REVIEWS_MIN)
        .map(|(tag, retention)| TagRetention { tag, retention })
        .collect();
    weakest_tags.sort_by(|a, b| {
        a.retention
            .rate
            .unwrap_or(1.0)
            .total_cmp(&b.retention.rate.unwrap_or(1.0))
            .then_with(|| a.tag.cmp(&b.tag))
    });
    weakest_tags.truncate(WEAK_TAGS_MAX);

    let mut forecast = vec![0u64; FORECAST_DAYS as usize];
    for (item_id, state) in &progress.states {
        if !item_info.contains_key(item_id.as_str()) || progress.is_suspended(item_id) {
            continue;
        }
        let offset_days = (day_number(state.due, offset) - today).max(0);
        if let Some(slot) = forecast.get_mut(offset_days as usize) {
            *slot += 1;
        }
    }

    let weeks = CALENDAR_DAYS / 7;
    let retention_by_week = (0..weeks)
        .map(|w| {
            let first = today - (weeks - w) * 7 + 1;
            let (passed, reviews) = (first..first + 7)
                .filter_map(|d| by_day.get(&d))
                .fold((0, 0), |(p, r), a| (p + a.passed, r + a.reviews));
            WeekRetention {
                week: date_of(first),
                retention: retention_of(passed, reviews),
            }
        })
        .collect();

    let mut calibration = Calibration::default();
    for (confidence, correct, count) in &figures.calibration {
        let slot = match (confidence, correct) {
            (crate::store::Confidence::Sure, true) => &mut calibration.sure_correct,
            (crate::store::Confidence::Sure, false) => &mut calibration.sure_wrong,
            (crate::store::Confidence::Unsure, true) => &mut calibration.unsure_correct,
            (crate::store::Confidence::Unsure, false) => &mut calibration.unsure_wrong,
        };
        *slot += count;
    }

    Stats {
        flagged: flagged_count(&tagged, progress),
        labs: figures.labs.clone(),
        calibration,
        retention_by_week,
        reviews_total: figures.reviews_total,
        reviews_today: by_day.get(&today).map_or(0, |a| a.reviews),
        due_now: decks.iter().map(|d| d.due).sum(),
        cards_total: decks.iter().map(|d| d.cards).sum(),
        decks,
        tags: tag_counts(&tagged, progress, now),
        reviews_per_day,
        streak_days,
        time_spent_ms: figures.time_spent_ms,
        time_spent_today_ms: by_day.get(&today).map_or(0, |a| a.duration_ms),
        true_retention,
        true_retention_by_deck: by_deck,
        true_retention_by_tag: by_tag,
        due_forecast: forecast
            .into_iter()
            .enumerate()
            .map(|(i, reviews)| DayCount {
                date: date_of(today + i as i64),
                reviews,
            })
            .collect(),
        weakest_tags,
    }
}

/// Library items flagged for a second look (flags of cards no longer in a deck do not count).
fn flagged_count(tagged: &[TaggedItem<'_>], progress: &Progress) -> usize {
    tagged
        .iter()
        .filter(|(item, _)| progress.flags.get(&item.id).is_some_and(|f| f.flagged))
        .count()
}

/// Item id -> (deck id, tags of the card and its deck).
fn item_index(tagged: &[TaggedItem<'_>]) -> HashMap<String, (String, Vec<String>)> {
    tagged
        .iter()
        .map(|(item, tags)| (item.id.clone(), (item.deck_id.clone(), tags.clone())))
        .collect()
}

/// A drill item with its tags, as [`Library::items_with_tags`] lists them.
type TaggedItem<'a> = (&'a crate::deck::DrillItem, Vec<String>);

fn retention_of(passed: u64, reviews: u64) -> Retention {
    Retention {
        passed,
        reviews,
        rate: (reviews > 0).then(|| passed as f64 / reviews as f64),
    }
}

type RetentionGroups = (
    Retention,
    BTreeMap<String, Retention>,
    BTreeMap<String, Retention>,
);

fn retention_groups(
    counts: &[(String, u64, u64)],
    items: &HashMap<String, (String, Vec<String>)>,
) -> RetentionGroups {
    let mut overall = (0, 0);
    let mut by_deck: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut by_tag: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (item_id, passed, reviews) in counts {
        // Reviews of cards no longer in any deck still count overall.
        overall.0 += passed;
        overall.1 += reviews;
        if let Some((deck, tags)) = items.get(item_id) {
            let entry = by_deck.entry(deck.clone()).or_default();
            entry.0 += passed;
            entry.1 += reviews;
            for tag in tags {
                let entry = by_tag.entry(tag.clone()).or_default();
                entry.0 += passed;
                entry.1 += reviews;
            }
        }
    }
    let to_retention = |(passed, reviews): (u64, u64)| retention_of(passed, reviews);
    (
        to_retention(overall),
        by_deck
            .into_iter()
            .map(|(k, v)| (k, to_retention(v)))
            .collect(),
        by_tag
            .into_iter()
            .map(|(k, v)| (k, to_retention(v)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deck::Origin;
    use crate::srs::scheduler::{Rating, Scheduler};
    use chrono::TimeZone;

    fn library() -> Library {
        let mut library = Library::default();
        let source = include_str!("../../tests/fixtures/valid/starter.toml");
        library.add(Origin::File("starter.toml".into()), "starter.toml", source);
        library
    }

    #[test]
    fn streak_calendar_forecast_and_retention() {
        let day_start = Utc
            .with_ymd_and_hms(2026, 3, 10, 4, 0, 0)
            .single()
            .expect("date");
        let now = day_start + Duration::hours(8);
        let offset = day_offset_ms(day_start);
        let today = day_number(now, offset);
        let activity = |day: i64, reviews: u64| DayActivity {
            day,
            reviews,
            duration_ms: reviews * 1_000,
            passed: reviews / 2,
        };
        let figures = StoreFigures {
            reviews_total: 12,
            time_spent_ms: 12_000,
            // Today, yesterday and the day before; a gap; then older days.
            activity: vec![
                activity(today - 5, 4),
                activity(today - 2, 1),
                activity(today - 1, 2),
                activity(today, 5),
            ],
            mature: vec![
                ("starter/myth-kafka-cheaper-at-any-scale".into(), 3, 4),
                ("starter/cmp-retention/kafka".into(), 1, 1),
                ("gone/card".into(), 0, 5),
            ],
            recent: vec![("starter/kinesis-hot-key-throttling".into(), 1, 6)],
            labs: Vec::new(),
            calibration: vec![
                (crate::store::Confidence::Sure, false, 3),
                (crate::store::Confidence::Sure, true, 5),
                (crate::store::Confidence::Unsure, true, 1),
            ],
        };
        let scheduler = Scheduler::new(0.9).expect("retention");
        let mut progress = Progress::default();
        let state = scheduler
            .review(None, Rating::Good, now - Duration::days(1))
            .expect("s");
        progress
            .states
            .insert("starter/shards-for-10k-events".into(), state);

        let figures_out = stats(&library(), &progress, &figures, now, day_start);
        assert_eq!(figures_out.streak_days, 3);
        assert_eq!(
            (
                figures_out.calibration.sure_wrong,
                figures_out.calibration.sure_correct
            ),
            (3, 5)
        );
        let weekly: u64 = figures_out
            .retention_by_week
            .iter()
            .map(|w| w.retention.reviews)
            .sum();
        assert_eq!(weekly, 12, "every review of the year falls in some week");
        assert_eq!(figures_out.reviews_today, 5);
        assert_eq!(figures_out.time_spent_today_ms, 5_000);
        assert_eq!(figures_out.reviews_per_day.len(), CALENDAR_DAYS as usize);
        assert_eq!(
            figures_out
                .reviews_per_day
                .last()
                .map(|d| (d.date.as_str(), d.reviews)),
            Some(("2026-03-10", 5))
        );
        assert_eq!(
            figures_out.reviews_per_day[CALENDAR_DAYS as usize - 6].reviews,
            4
        );

        assert_eq!(
            (
                figures_out.true_retention.passed,
                figures_out.true_retention.reviews
            ),
            (4, 10)
        );
        assert_eq!(
            figures_out.true_retention_by_deck["starter"].reviews, 5,
            "the removed card counts overall only"
        );
        assert_eq!(figures_out.true_retention_by_tag["cost"].rate, Some(0.75));

        assert_eq!(figures_out.weakest_tags[0].retention.reviews, 6);
        assert!(
            figures_out
                .weakest_tags
                .iter()
                .any(|t| t.tag == "throughput")
        );

        let due_in = (state.due - now).num_days() as usize;
        let forecast_total: u64 = figures_out.due_forecast.iter().map(|d| d.reviews).sum();
        assert_eq!(forecast_total, 1);
        assert!(
            figures_out.due_forecast[due_in..=due_in + 1]
                .iter()
                .any(|d| d.reviews == 1)
        );
    }

    #[test]
    fn no_reviews_today_keeps_yesterdays_streak() {
        let day_start = Utc
            .with_ymd_and_hms(2026, 3, 10, 4, 0, 0)
            .single()
            .expect("date");
        let now = day_start + Duration::hours(1);
        let today = day_number(now, day_offset_ms(day_start));
        let figures = StoreFigures {
            activity: vec![DayActivity {
                day: today - 1,
                reviews: 3,
                duration_ms: 0,
                passed: 3,
            }],
            ..StoreFigures::default()
        };
        let figures_out = stats(&library(), &Progress::default(), &figures, now, day_start);
        assert_eq!(figures_out.streak_days, 1);
        assert_eq!(figures_out.true_retention.rate, None);
    }

    #[test]
    fn flagged_counts_library_cards_only() {
        let now = Utc
            .with_ymd_and_hms(2026, 3, 10, 12, 0, 0)
            .single()
            .expect("date");
        let library = library();
        let items = library.items(None);
        let mut progress = Progress::default();
        for item in items.iter().take(2) {
            progress.flags.entry(item.id.clone()).or_default().flagged = true;
        }
        // Suspended but not flagged, and a flag on a card no deck has any more.
        progress
            .flags
            .entry(items[2].id.clone())
            .or_default()
            .suspended = true;
        progress
            .flags
            .entry("gone-deck/gone-card".into())
            .or_default()
            .flagged = true;
        let figures = stats(&library, &progress, &StoreFigures::default(), now, now);
        assert_eq!(figures.flagged, 2);
    }
}
