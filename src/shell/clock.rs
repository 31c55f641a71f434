//! The one place that reads the wall clock. Everything else takes time as a value.

use chrono::{DateTime, Local, NaiveTime, TimeZone, Utc};

#[allow(clippy::disallowed_methods)]
pub fn now() -> DateTime<Utc> {
    Utc::now()
}

/// The monotonic clock, for what follows wall time as it passes (the doors' virtual time).
#[allow(clippy::disallowed_methods)]
pub fn instant() -> std::time::Instant {
    std::time::Instant::now()
}

/// The start of the user's current local day (midnight), as a UTC instant.
#[allow(clippy::disallowed_methods)]
pub fn start_of_local_day(now: DateTime<Utc>) -> DateTime<Utc> {
    let local = now.with_timezone(&Local);
    let midnight = local.date_naive().and_time(NaiveTime::MIN);
    Local
        .from_local_datetime(&midnight)
        .earliest()
        .map_or(now, |t| t.with_timezone(&Utc))
}

/// A seed for the values calc cards draw, different on every run.
pub fn seed() -> u64 {
    let now = now();
    now.timestamp_nanos_opt()
        .map_or(now.timestamp_millis() as u64, |n| n as u64)
}

/// The start of the current study day: the most recent local `day_start_hour:00` at or before
/// `now`, as a UTC instant. Reviews after it count as today's.
#[allow(clippy::disallowed_methods)]
pub fn study_day_start(now: DateTime<Utc>, day_start_hour: u8) -> DateTime<Utc> {
    let local = now.with_timezone(&Local);
    let hour =
        NaiveTime::from_hms_opt(u32::from(day_start_hour.min(23)), 0, 0).unwrap_or(NaiveTime::MIN);
    let mut date = local.date_naive();
    if local.time() < hour {
        date = date.pred_opt().unwrap_or(date);
    }
    Local
        .from_local_datetime(&date.and_time(hour))
        .earliest()
        .map_or(now, |t| t.with_timezone(&Utc))
}
