//! What every console command shares: `--flag value...` arguments ([`Args`]), AWS CLI
//! shorthand, workload rates ([`parse_rate`]) and the error a command returns ([`Fail`],
//! [`Out`]). A leaf: it imports no command module.

use crate::kinesis::KinesisError;
use crate::time::SimDuration;
use crate::workload::{GenMode, SizeDist, parse_bytes};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// AWS CLI global options accepted and ignored.
const IGNORED_FLAGS: &[&str] = &[
    "region",
    "output",
    "no-cli-pager",
    "cli-binary-format",
    "profile",
    "no-paginate",
    "endpoint-url",
];

/// A console error: a code and a message for the user.
#[derive(Debug)]
pub(crate) struct Fail {
    pub(crate) code: String,
    pub(crate) message: String,
}

pub(crate) fn fail(code: &str, message: impl Into<String>) -> Fail {
    Fail {
        code: code.to_string(),
        message: message.into(),
    }
}

pub(crate) fn param(message: impl Into<String>) -> Fail {
    fail("ParamValidation", message)
}

impl From<KinesisError> for Fail {
    fn from(e: KinesisError) -> Self {
        Fail {
            code: e.code.name().to_string(),
            message: e.message,
        }
    }
}

pub(crate) type Out = Result<Value, Fail>;

/// Parsed `--flag value...` arguments.
pub(crate) struct Args {
    pub(crate) positional: Vec<String>,
    flags: BTreeMap<String, Vec<String>>,
    used: BTreeSet<String>,
}

impl Args {
    pub(crate) fn parse(tokens: &[String]) -> Args {
        let mut positional = Vec::new();
        let mut flags: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut current: Option<String> = None;
        for t in tokens {
            if let Some(name) = t.strip_prefix("--").filter(|n| !n.is_empty()) {
                if let Some((n, v)) = name.split_once('=') {
                    flags.entry(n.to_string()).or_default().push(v.to_string());
                    current = None;
                } else {
                    flags.entry(name.to_string()).or_default();
                    current = Some(name.to_string());
                }
            } else if let Some(c) = &current {
                flags.get_mut(c).expect("flag inserted").push(t.clone());
            } else {
                positional.push(t.clone());
            }
        }
        Args {
            positional,
            flags,
            used: BTreeSet::new(),
        }
    }

    pub(crate) fn values(&mut self, name: &str) -> Vec<String> {
        self.used.insert(name.to_string());
        self.flags.get(name).cloned().unwrap_or_default()
    }

    pub(crate) fn opt(&mut self, name: &str) -> Result<Option<String>, Fail> {
        let v = self.values(name);
        match (self.flags.contains_key(name), v.len()) {
            (false, _) => Ok(None),
            (true, 1) => Ok(v.into_iter().next()),
            (true, 0) => Err(param(format!("argument --{name}: expected one argument"))),
            (true, _) => Err(param(format!(
                "argument --{name}: expected one argument, got {}",
                v.len()
            ))),
        }
    }

    pub(crate) fn req(&mut self, name: &str) -> Result<String, Fail> {
        self.opt(name)?
            .ok_or_else(|| param(format!("the following arguments are required: --{name}")))
    }

    pub(crate) fn flag(&mut self, name: &str) -> bool {
        self.used.insert(name.to_string());
        self.flags.contains_key(name)
    }

    pub(crate) fn num<T: std::str::FromStr>(&mut self, name: &str) -> Result<Option<T>, Fail> {
        match self.opt(name)? {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                param(format!(
                    "invalid value for --{name}: '{v}' is not a valid number"
                ))
            }),
        }
    }

    /// A required numeric option.
    pub(crate) fn req_num<T: std::str::FromStr>(&mut self, name: &str) -> Result<T, Fail> {
        self.num(name)?
            .ok_or_else(|| param(format!("the following arguments are required: --{name}")))
    }

    /// A workload's `--size` (default 1KB).
    pub(crate) fn record_size(&mut self) -> Result<SizeDist, Fail> {
        SizeDist::parse(&self.opt("size")?.unwrap_or_else(|| "1KB".into())).map_err(param)
    }

    /// A workload's `--mode`: `record` (the default) or `flow`.
    pub(crate) fn gen_mode(&mut self) -> Result<GenMode, Fail> {
        match self.opt("mode")?.as_deref() {
            None | Some("record") => Ok(GenMode::Record),
            Some("flow") => Ok(GenMode::Flow),
            Some(m) => Err(param(format!("--mode must be record or flow, not '{m}'"))),
        }
    }

    pub(crate) fn duration(&mut self, name: &str) -> Result<Option<SimDuration>, Fail> {
        self.opt(name)?
            .map(|v| SimDuration::parse(&v).map_err(param))
            .transpose()
    }

    pub(crate) fn finish(self, max_positional: usize) -> Result<(), Fail> {
        let unknown: Vec<String> = self
            .flags
            .keys()
            .filter(|k| !self.used.contains(*k) && !IGNORED_FLAGS.contains(&k.as_str()))
            .map(|k| format!("--{k}"))
            .collect();
        if !unknown.is_empty() {
            return Err(param(format!("Unknown options: {}", unknown.join(", "))));
        }
        if self.positional.len() > max_positional {
            return Err(param(format!(
                "Unexpected arguments: {}",
                self.positional[max_positional..].join(" ")
            )));
        }
        Ok(())
    }
}

/// Parses AWS CLI shorthand (`A=1,B=x,C={D=2,E=3}`) or JSON into a JSON object.
pub(super) fn shorthand(text: &str) -> Result<Map<String, Value>, Fail> {
    shorthand_at(text, 0)
}

/// Nesting deeper than this is refused (bounds the recursion on hostile input).
const SHORTHAND_DEPTH_MAX: usize = 8;

fn shorthand_at(text: &str, level: usize) -> Result<Map<String, Value>, Fail> {
    if level > SHORTHAND_DEPTH_MAX {
        return Err(param(format!(
            "shorthand nested deeper than {SHORTHAND_DEPTH_MAX} levels"
        )));
    }
    let t = text.trim();
    if t.starts_with('{') && t.contains('"') {
        return match serde_json::from_str::<Value>(t) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err(param(format!("invalid JSON object: {text}"))),
        };
    }
    let mut out = Map::new();
    let mut depth = 0i32;
    let mut start = 0;
    let bytes = t.as_bytes();
    let mut parts = Vec::new();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'{' => depth += 1,
            b'}' => depth -= 1,
            b',' if depth == 0 => {
                parts.push(&t[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        if depth < 0 {
            return Err(param(format!("unbalanced braces in '{text}'")));
        }
    }
    if depth != 0 {
        return Err(param(format!("unbalanced braces in '{text}'")));
    }
    parts.push(&t[start..]);
    for p in parts.into_iter().filter(|p| !p.trim().is_empty()) {
        let (k, v) = p
            .split_once('=')
            .ok_or_else(|| param(format!("expected Key=Value in '{p}'")))?;
        let v = v.trim();
        let value = if let Some(inner) = v.strip_prefix('{').and_then(|x| x.strip_suffix('}')) {
            Value::Object(shorthand_at(inner, level + 1)?)
        } else {
            Value::String(v.to_string())
        };
        out.insert(k.trim().to_string(), value);
    }
    Ok(out)
}

/// `1000`, `1000/s` (records per second) or `5MB/s` (bytes per second at the mean size).
/// A workload's rate: records per second (`1000/s`) or bytes per second (`5MB/s`) turned into
/// records of the workload's mean size.
pub(crate) fn parse_rate(text: &str, size: SizeDist) -> Result<u64, Fail> {
    let t = text.trim().trim_end_matches("/s");
    if let Ok(n) = t.parse::<u64>() {
        return Ok(n);
    }
    let bytes = parse_bytes(t)
        .map_err(|_| param(format!("invalid --rate '{text}': use e.g. 1000/s or 5MB/s")))?;
    Ok((bytes as f64 / size.mean().max(1.0)).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorthand_nested() {
        let m =
            shorthand("BucketARN=arn:aws:s3:::b,BufferingHints={SizeInMBs=1,IntervalInSeconds=60}")
                .unwrap();
        assert_eq!(m["BucketARN"], "arn:aws:s3:::b");
        assert_eq!(m["BufferingHints"]["IntervalInSeconds"], "60");
    }
}
