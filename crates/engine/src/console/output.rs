//! JSON helpers the console's commands print with: record data in base64 ([`base64`]) and
//! metric series ([`metrics_json`]). A leaf: it imports no command module.

use crate::api::kinesis::from_unix_seconds;
use crate::metrics::{Metric, MetricSet};
use crate::time::SimTime;
use serde_json::{Value, json};

/// Standard base64 with padding (the AWS CLI prints record data this way).
pub fn base64(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Turns the Unix-seconds timestamps of an API response (members named `...Timestamp`) into
/// RFC 3339 text, as the AWS CLI prints them.
pub(crate) fn cli_timestamps(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (key, value) in m.iter_mut() {
                match value {
                    Value::Number(n) if key.ends_with("Timestamp") => {
                        if let Some(secs) = n.as_f64() {
                            *value = json!(from_unix_seconds(secs).to_rfc3339());
                        }
                    }
                    _ => cli_timestamps(value),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(cli_timestamps),
        _ => {}
    }
}

/// JSON text made safe to print on a terminal. `serde_json` escapes C0 controls (ESC is
/// `\u001b`), but prints C1 controls (U+0080 to U+009F, among them the 8-bit CSI) and
/// bidirectional overrides as they are; here they become `\u` escapes too. Such characters can
/// only stand inside JSON strings, where the escape means the same character, so the value is
/// unchanged. Every reply the console prints passes through here.
pub fn terminal_safe_json(json: &str) -> String {
    use std::fmt::Write;
    let unsafe_char = |c: char| matches!(c, '\u{80}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !json.chars().any(unsafe_char) {
        return json.to_owned();
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if unsafe_char(c) {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

pub(crate) fn metrics_json(set: &MetricSet, only: Option<Metric>, from_sec: u64) -> Value {
    let metrics: Vec<Metric> = match only {
        Some(m) => vec![m],
        None => set.present(),
    };
    Value::Array(
        metrics
            .into_iter()
            .map(|m| {
                let series = set.get(m);
                let points: Vec<Value> = series
                    .map(|s| {
                        s.since(from_sec)
                            .map(|(sec, v)| json!({"Timestamp": SimTime::from_secs(sec).to_rfc3339(), "Value": v}))
                            .collect()
                    })
                    .unwrap_or_default();
                let mut v = json!({"Name": m.name(), "Datapoints": points});
                if m.is_gauge() {
                    v["Last"] = json!(series.map_or(0, crate::metrics::Series::last));
                    v["Max"] = json!(series.map_or(0, |s| s.max_since(from_sec)));
                } else {
                    v["Total"] = json!(series.map_or(0, crate::metrics::Series::total));
                    v["MaxPerSecond"] = json!(series.map_or(0, |s| s.max_since(from_sec)));
                }
                v
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn c1_controls_and_bidi_are_escaped_and_the_value_is_unchanged() {
        let value = serde_json::json!({"Message": "a\u{1b}[2J\u{9b}31m\u{202e}b"});
        let safe = super::terminal_safe_json(&value.to_string());
        assert!(safe.bytes().all(|b| b != 0x1b && b != 0x9b), "{safe}");
        assert!(!safe.contains('\u{202e}'));
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, value);
    }

    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
