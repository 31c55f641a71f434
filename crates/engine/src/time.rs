//! Virtual time. The engine never reads a clock: every call takes `now` as a [`SimTime`].

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// Microseconds per second.
pub const MICROS_PER_SEC: u64 = 1_000_000;
/// Microseconds per millisecond.
pub const MICROS_PER_MILLI: u64 = 1_000;

/// Unix seconds of virtual time zero by default: 2026-01-01T00:00:00Z (used only to print and
/// read calendar timestamps).
pub const EPOCH_UNIX_SECONDS: u64 = 1_767_225_600;

static EPOCH: AtomicU64 = AtomicU64::new(EPOCH_UNIX_SECONDS);

/// Unix seconds of virtual time zero in this process: [`EPOCH_UNIX_SECONDS`] unless the shell
/// set another with [`set_epoch_unix_seconds`].
pub fn epoch_unix_seconds() -> u64 {
    EPOCH.load(Ordering::Relaxed)
}

/// Sets the calendar instant virtual time zero stands for, once, before a simulation starts.
/// `streamdrill serve` sets it to the wall clock's now, so that the timestamps real clients
/// send and read (`AT_TIMESTAMP` iterators, arrival times) mean what they say; everything else
/// keeps the default, so its output is the same on every run. The value comes in from the
/// shell: the engine still never reads a clock.
pub fn set_epoch_unix_seconds(secs: u64) {
    EPOCH.store(secs, Ordering::Relaxed);
}

/// A point of virtual time, in microseconds since the simulation began.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

/// A span of virtual time, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(pub u64);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);

    pub fn from_secs(secs: u64) -> Self {
        SimTime(secs.saturating_mul(MICROS_PER_SEC))
    }
    pub fn from_millis(ms: u64) -> Self {
        SimTime(ms.saturating_mul(MICROS_PER_MILLI))
    }
    pub fn as_micros(self) -> u64 {
        self.0
    }
    pub fn as_millis(self) -> u64 {
        self.0 / MICROS_PER_MILLI
    }
    pub fn as_secs(self) -> u64 {
        self.0 / MICROS_PER_SEC
    }
    pub fn saturating_sub(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_sub(d.0))
    }
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
    /// RFC 3339 text of this instant, with microseconds, as the AWS CLI prints timestamps.
    pub fn to_rfc3339(self) -> String {
        let unix_secs = epoch_unix_seconds() + self.0 / MICROS_PER_SEC;
        let micros = self.0 % MICROS_PER_SEC;
        let (y, mo, d, h, mi, s) = civil_from_unix(unix_secs);
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{micros:06}+00:00")
    }
    /// Calendar fields (year, month, day, hour, minute, second) in UTC.
    pub fn civil(self) -> (i64, u32, u32, u32, u32, u32) {
        civil_from_unix(epoch_unix_seconds() + self.0 / MICROS_PER_SEC)
    }
}

impl std::ops::Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration(0);
    pub const fn from_secs(secs: u64) -> Self {
        SimDuration(secs.saturating_mul(MICROS_PER_SEC))
    }
    pub const fn from_millis(ms: u64) -> Self {
        SimDuration(ms.saturating_mul(MICROS_PER_MILLI))
    }
    pub const fn from_hours(h: u64) -> Self {
        SimDuration(h.saturating_mul(3600 * MICROS_PER_SEC))
    }
    pub fn as_micros(self) -> u64 {
        self.0
    }
    pub fn as_millis(self) -> u64 {
        self.0 / MICROS_PER_MILLI
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_SEC as f64
    }

    /// Parses `250ms`, `30s`, `5m`, `2h`, `1d`, `1.5s`, compounds such as `2m30s` or `1h15m`,
    /// or a bare number of seconds.
    pub fn parse(text: &str) -> Result<SimDuration, String> {
        let t = text.trim();
        let invalid =
            || format!("invalid duration '{text}': expected e.g. 500ms, 30s, 5m, 2m30s, 2h, 1d");
        let mut rest = t;
        let mut micros = 0.0;
        while !rest.is_empty() {
            let number_end = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(rest.len());
            let (number, after) = rest.split_at(number_end);
            let unit_end = after
                .find(|c: char| !c.is_ascii_alphabetic())
                .unwrap_or(after.len());
            let (unit, after) = after.split_at(unit_end);
            let value: f64 = number.parse().map_err(|_| invalid())?;
            // A bare number means seconds only when it is the whole duration.
            if unit.is_empty() && rest.len() != t.len() {
                return Err(invalid());
            }
            let micros_per_unit: f64 = match unit {
                "us" => 1.0,
                "ms" => 1e3,
                "" | "s" => 1e6,
                "m" | "min" => 60e6,
                "h" => 3600e6,
                "d" => 86_400e6,
                _ => {
                    return Err(format!(
                        "invalid duration unit '{unit}' in '{text}': use ms, s, m, h or d"
                    ));
                }
            };
            micros += value * micros_per_unit;
            rest = after;
        }
        if t.is_empty() {
            return Err(invalid());
        }
        if !micros.is_finite() || !(0.0..=400.0 * 86_400e6).contains(&micros) {
            return Err(format!("duration '{text}' out of range (0 to 400d)"));
        }
        Ok(SimDuration(micros.round() as u64))
    }
}

/// `30s`, `138.12s`, `250ms`: whole seconds plainly, longer ones in seconds to the millisecond,
/// shorter ones in milliseconds. Every form parses back with [`SimDuration::parse`].
impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_multiple_of(MICROS_PER_SEC) {
            write!(f, "{}s", self.0 / MICROS_PER_SEC)
        } else if self.0 >= MICROS_PER_SEC {
            let secs = format!("{:.3}", self.0 as f64 / MICROS_PER_SEC as f64);
            write!(f, "{}s", secs.trim_end_matches('0').trim_end_matches('.'))
        } else {
            write!(f, "{}ms", self.0 as f64 / 1e3)
        }
    }
}

/// Days-to-civil (Howard Hinnant's algorithm) on Unix seconds.
fn civil_from_unix(unix_secs: u64) -> (i64, u32, u32, u32, u32, u32) {
    let days = (unix_secs / 86_400) as i64;
    let rem = unix_secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        m,
        d,
        (rem / 3600) as u32,
        ((rem / 60) % 60) as u32,
        (rem % 60) as u32,
    )
}

/// Parses an RFC 3339 UTC timestamp (`2026-01-01T00:00:30Z`, fractional seconds allowed) or Unix
/// seconds into virtual time. Instants before virtual time zero clamp to zero.
#[allow(clippy::many_single_char_names)]
pub fn parse_timestamp(text: &str) -> Result<SimTime, String> {
    let t = text.trim();
    if let Ok(unix) = t.parse::<f64>() {
        let micros = (unix - epoch_unix_seconds() as f64) * 1e6;
        return Ok(SimTime(micros.max(0.0).round() as u64));
    }
    let bad = || format!("invalid timestamp '{text}': use 2026-01-01T00:00:30Z or Unix seconds");
    let t = t.trim_end_matches('Z').trim_end_matches("+00:00");
    let (date, clock) = t.split_once('T').ok_or_else(bad)?;
    let mut dp = date.split('-');
    let y: i64 = dp.next().and_then(|v| v.parse().ok()).ok_or_else(bad)?;
    let mo: i64 = dp.next().and_then(|v| v.parse().ok()).ok_or_else(bad)?;
    let d: i64 = dp.next().and_then(|v| v.parse().ok()).ok_or_else(bad)?;
    let mut cp = clock.split(':');
    let h: i64 = cp.next().and_then(|v| v.parse().ok()).ok_or_else(bad)?;
    let mi: i64 = cp.next().and_then(|v| v.parse().ok()).ok_or_else(bad)?;
    let s: f64 = cp.next().and_then(|v| v.parse().ok()).ok_or_else(bad)?;
    if !(1..=12).contains(&mo)
        || !(1..=31).contains(&d)
        || h > 23
        || mi > 59
        || !(0.0..61.0).contains(&s)
    {
        return Err(bad());
    }
    // civil-to-days
    let yy = if mo <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let unix = days as f64 * 86_400.0 + (h * 3600 + mi * 60) as f64 + s;
    let micros = (unix - epoch_unix_seconds() as f64) * 1e6;
    Ok(SimTime(micros.max(0.0).round() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(
            SimDuration::parse("30s").unwrap(),
            SimDuration::from_secs(30)
        );
        assert_eq!(
            SimDuration::parse("250ms").unwrap(),
            SimDuration::from_millis(250)
        );
        assert_eq!(
            SimDuration::parse("2h").unwrap(),
            SimDuration::from_hours(2)
        );
        assert_eq!(
            SimDuration::parse("1.5s").unwrap(),
            SimDuration::from_millis(1500)
        );
        assert_eq!(
            SimDuration::parse("2m30s").unwrap(),
            SimDuration::from_secs(150)
        );
        assert_eq!(
            SimDuration::parse("1h15m").unwrap(),
            SimDuration::from_secs(4500)
        );
        assert_eq!(
            SimDuration::parse("1s500ms").unwrap(),
            SimDuration::from_millis(1500)
        );
        assert_eq!(
            SimDuration::parse("45").unwrap(),
            SimDuration::from_secs(45)
        );
        assert!(
            SimDuration::parse("2m30").is_err(),
            "a unitless tail is ambiguous"
        );
        assert!(SimDuration::parse("").is_err());
        assert!(SimDuration::parse("s").is_err());
        assert!(SimDuration::parse("2m 30s").is_err());
        assert!(SimDuration::parse("5 parsecs").is_err());
        assert!(SimDuration::parse("-1s").is_err());
    }

    #[test]
    fn durations_display_in_the_unit_a_person_reads() {
        for (micros, shown) in [
            (30_000_000, "30s"),
            (138_120_000, "138.12s"),
            (1_500_000, "1.5s"),
            (1_001_000, "1.001s"),
            (1_000_400, "1s"),
            (250_000, "250ms"),
            (1_500, "1.5ms"),
        ] {
            let d = SimDuration(micros);
            assert_eq!(d.to_string(), shown);
        }
        for micros in [30_000_000, 138_120_000, 1_500_000, 250_000] {
            let d = SimDuration(micros);
            assert_eq!(SimDuration::parse(&d.to_string()).unwrap(), d);
        }
    }

    #[test]
    fn timestamps_round_trip() {
        assert_eq!(
            SimTime::ZERO.to_rfc3339(),
            "2026-01-01T00:00:00.000000+00:00"
        );
        let t = SimTime::from_secs(86_400 * 59 + 3661);
        assert_eq!(t.to_rfc3339(), "2026-03-01T01:01:01.000000+00:00");
        assert_eq!(parse_timestamp("2026-03-01T01:01:01Z").unwrap(), t);
        assert_eq!(
            parse_timestamp("1767225630").unwrap(),
            SimTime::from_secs(30)
        );
    }
}
