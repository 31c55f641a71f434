//! The one place that reads the wall clock. Everything else takes time as a value.

use chrono::{DateTime, Local, NaiveTime, TimeZone, Utc};

#[allow(clippy::disallowed_methods)]
pub fn now() -> DateTime<Utc> {
    Utc::now()
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
