//! Workload generators: a rate, a record size distribution and a partition key distribution
//! (uniform, zipf, one hot key), all driven by the seeded RNG.

use super::rng::SimRng;
use super::time::{MICROS_PER_SEC, SimTime};

/// Most distinct keys a generator may draw from.
pub const KEYS_MAX: u32 = 1_000_000;
/// Highest generator rate, records per second ([`crate::budget::RATE_PER_SEC`]).
pub const RATE_MAX: u64 = crate::budget::RATE_PER_SEC;

/// How partition keys are drawn from `key-0 .. key-{n-1}`.
#[derive(Clone, Debug, PartialEq)]
pub enum KeyDist {
    Uniform {
        keys: u32,
    },
    /// Zipf with exponent `s`: key i has weight 1 / (i+1)^s.
    Zipf {
        keys: u32,
        s: f64,
    },
    /// `key-0` takes `hot_fraction` of the traffic, the rest is uniform over all keys. With
    /// `salts` above 1 the producer salts the hot key, as the fix for a hot key does: each of
    /// its records carries one of `salts` suffixes (`key-0#0` .. `key-0#{salts-1}`), so its
    /// traffic spreads over that many hash ranges and is re-aggregated downstream.
    HotKey {
        keys: u32,
        hot_fraction: f64,
        salts: u32,
    },
}

/// Most suffixes a salted hot key may take.
pub const SALTS_MAX: u32 = 1_024;

impl KeyDist {
    /// Parses `uniform:1000`, `zipf:1.1:1000`, `hot:0.9:1000`, and `hot:0.9:1000:16` for the
    /// hot key salted over 16 suffixes.
    pub fn parse(text: &str) -> Result<KeyDist, String> {
        let parts: Vec<&str> = text.split(':').collect();
        let bad = || {
            format!(
                "invalid key distribution '{text}': use uniform:N, zipf:S:N, hot:FRACTION:N or hot:FRACTION:N:SALTS"
            )
        };
        let keys = |s: &str| -> Result<u32, String> {
            let n: u32 = s.parse().map_err(|_| bad())?;
            if n == 0 || n > KEYS_MAX {
                return Err(format!("key count {n} out of range 1..={KEYS_MAX}"));
            }
            Ok(n)
        };
        match parts.as_slice() {
            ["uniform", n] => Ok(KeyDist::Uniform { keys: keys(n)? }),
            ["zipf", s, n] => {
                let s: f64 = s.parse().map_err(|_| bad())?;
                if !(0.0..=5.0).contains(&s) {
                    return Err(format!("zipf exponent {s} out of range 0..=5"));
                }
                Ok(KeyDist::Zipf { keys: keys(n)?, s })
            }
            ["hot", f, n, salts @ ..] if salts.len() <= 1 => {
                let f: f64 = f.parse().map_err(|_| bad())?;
                if !(0.0..=1.0).contains(&f) {
                    return Err(format!("hot key fraction {f} out of range 0..=1"));
                }
                let salts = match salts.first() {
                    None => 1,
                    Some(s) => {
                        let n: u32 = s.parse().map_err(|_| bad())?;
                        if !(1..=SALTS_MAX).contains(&n) {
                            return Err(format!("salt count {n} out of range 1..={SALTS_MAX}"));
                        }
                        n
                    }
                };
                Ok(KeyDist::HotKey {
                    keys: keys(n)?,
                    hot_fraction: f,
                    salts,
                })
            }
            _ => Err(bad()),
        }
    }

    pub fn keys(&self) -> u32 {
        match *self {
            KeyDist::Uniform { keys }
            | KeyDist::Zipf { keys, .. }
            | KeyDist::HotKey { keys, .. } => keys,
        }
    }

    /// Key indices a sampler draws from: the keys, then a salted hot key's suffixes.
    pub fn slots(&self) -> u32 {
        match *self {
            KeyDist::HotKey { keys, salts, .. } if salts > 1 => keys + salts,
            _ => self.keys(),
        }
    }

    /// The partition key of index `i` (see [`KeyDist::slots`]).
    pub fn key_name(&self, i: u32) -> String {
        let keys = self.keys();
        if i < keys {
            format!("key-{i}")
        } else {
            format!("key-0#{}", i - keys)
        }
    }

    pub fn describe(&self) -> String {
        match *self {
            KeyDist::Uniform { keys } => format!("uniform:{keys}"),
            KeyDist::Zipf { keys, s } => format!("zipf:{s}:{keys}"),
            KeyDist::HotKey {
                keys,
                hot_fraction,
                salts: 1,
            } => format!("hot:{hot_fraction}:{keys}"),
            KeyDist::HotKey {
                keys,
                hot_fraction,
                salts,
            } => format!("hot:{hot_fraction}:{keys}:{salts}"),
        }
    }
}

/// Draws key indices from a [`KeyDist`].
#[derive(Clone, Debug)]
pub struct KeySampler {
    dist: KeyDist,
    /// Cumulative weights for zipf, normalised to 1.
    cdf: Vec<f64>,
}

impl KeySampler {
    pub fn new(dist: KeyDist) -> Self {
        let cdf = match dist {
            KeyDist::Zipf { keys, s } => {
                let mut acc = 0.0;
                let mut cdf: Vec<f64> = (0..keys)
                    .map(|i| {
                        acc += 1.0 / f64::from(i + 1).powf(s);
                        acc
                    })
                    .collect();
                for c in &mut cdf {
                    *c /= acc;
                }
                cdf
            }
            _ => Vec::new(),
        };
        KeySampler { dist, cdf }
    }

    pub fn dist(&self) -> &KeyDist {
        &self.dist
    }

    #[inline]
    pub fn sample(&self, rng: &mut SimRng) -> u32 {
        match self.dist {
            KeyDist::Uniform { keys } => rng.below(u64::from(keys)) as u32,
            KeyDist::Zipf { .. } => {
                let u = rng.unit();
                (self.cdf.partition_point(|c| *c < u) as u32).min(self.dist.keys() - 1)
            }
            KeyDist::HotKey {
                keys,
                hot_fraction,
                salts,
            } => {
                let key = if rng.unit() < hot_fraction {
                    0
                } else {
                    rng.below(u64::from(keys)) as u32
                };
                if key == 0 && salts > 1 {
                    keys + rng.below(u64::from(salts)) as u32
                } else {
                    key
                }
            }
        }
    }

    /// Probability of each key (used by flow mode).
    pub fn probabilities(&self) -> Vec<f64> {
        match self.dist {
            KeyDist::Uniform { keys } => vec![1.0 / f64::from(keys); keys as usize],
            KeyDist::Zipf { .. } => {
                let mut prev = 0.0;
                self.cdf
                    .iter()
                    .map(|c| {
                        let p = c - prev;
                        prev = *c;
                        p
                    })
                    .collect()
            }
            KeyDist::HotKey {
                keys,
                hot_fraction,
                salts,
            } => {
                let base = (1.0 - hot_fraction) / f64::from(keys);
                let mut v = vec![base; keys as usize];
                v[0] += hot_fraction;
                if salts > 1 {
                    let hot = std::mem::take(&mut v[0]);
                    v.extend(std::iter::repeat_n(hot / f64::from(salts), salts as usize));
                }
                v
            }
        }
    }
}

/// Record sizes in bytes (data only; the partition key is added on top).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeDist {
    Fixed(u32),
    Uniform { min: u32, max: u32 },
}

impl SizeDist {
    /// Parses `1KB`, `512`, `100..2000`, `1KiB..4KiB`.
    pub fn parse(text: &str) -> Result<SizeDist, String> {
        if let Some((a, b)) = text.split_once("..") {
            let (min, max) = (parse_bytes(a)?, parse_bytes(b)?);
            if min > max {
                return Err(format!("invalid size range '{text}': min > max"));
            }
            return Ok(SizeDist::Uniform {
                min: min as u32,
                max: max as u32,
            });
        }
        Ok(SizeDist::Fixed(parse_bytes(text)? as u32))
    }

    #[inline]
    pub fn sample(self, rng: &mut SimRng) -> u32 {
        match self {
            SizeDist::Fixed(n) => n,
            SizeDist::Uniform { min, max } => min + rng.below(u64::from(max - min) + 1) as u32,
        }
    }

    pub fn mean(self) -> f64 {
        match self {
            SizeDist::Fixed(n) => f64::from(n),
            SizeDist::Uniform { min, max } => f64::midpoint(f64::from(min), f64::from(max)),
        }
    }

    pub fn describe(self) -> String {
        match self {
            SizeDist::Fixed(n) => format!("{n}"),
            SizeDist::Uniform { min, max } => format!("{min}..{max}"),
        }
    }
}

/// Parses a byte count: `512`, `1KB` (1000), `1KiB` (1024), `5MB`, `1MiB`, `1GB`. At most 1 GiB.
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let v: f64 = num
        .parse()
        .map_err(|_| format!("invalid size '{text}': use e.g. 512, 1KB, 1MiB"))?;
    let mult = match unit.trim() {
        "" | "B" => 1.0,
        "KB" | "kB" | "K" | "k" => 1e3,
        "KiB" => 1024.0,
        "MB" | "M" => 1e6,
        "MiB" => 1_048_576.0,
        "GB" | "G" => 1e9,
        "GiB" => 1_073_741_824.0,
        u => {
            return Err(format!(
                "invalid size unit '{u}' in '{text}': use B, KB, KiB, MB, MiB, GB, GiB"
            ));
        }
    };
    let bytes = (v * mult).round();
    if !bytes.is_finite() || !(0.0..=1_073_741_824.0 * 1024.0).contains(&bytes) {
        return Err(format!("size '{text}' out of range"));
    }
    Ok(bytes as u64)
}

/// Whether a generator materialises each record or aggregates records into per-second flows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GenMode {
    Record,
    Flow,
}

/// A running generator's pacing: how many records are due by `now`, with integer arithmetic so
/// that pacing is exact and deterministic.
#[derive(Clone, Debug)]
pub struct Pacer {
    pub rate_per_sec: u64,
    started: SimTime,
    emitted: u64,
}

impl Pacer {
    pub fn new(rate_per_sec: u64, started: SimTime) -> Self {
        Pacer {
            rate_per_sec,
            started,
            emitted: 0,
        }
    }

    /// Records due between the last call and `now`.
    pub fn due(&mut self, now: SimTime) -> u64 {
        let elapsed = u128::from(now.0.saturating_sub(self.started.0));
        let target = (u128::from(self.rate_per_sec) * elapsed / u128::from(MICROS_PER_SEC)) as u64;
        let n = target.saturating_sub(self.emitted);
        self.emitted = target.max(self.emitted);
        n
    }

    pub fn emitted(&self) -> u64 {
        self.emitted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_specs() {
        assert_eq!(
            KeyDist::parse("uniform:10").unwrap(),
            KeyDist::Uniform { keys: 10 }
        );
        assert!(KeyDist::parse("zipf:1.1:100").is_ok());
        assert!(KeyDist::parse("hot:2:10").is_err());
        assert_eq!(SizeDist::parse("1KB").unwrap(), SizeDist::Fixed(1000));
        assert_eq!(
            SizeDist::parse("1KiB..2KiB").unwrap(),
            SizeDist::Uniform {
                min: 1024,
                max: 2048
            }
        );
        assert_eq!(parse_bytes("1MiB").unwrap(), 1_048_576);
    }

    #[test]
    fn pacer_is_exact() {
        let mut p = Pacer::new(1000, SimTime::ZERO);
        let mut total = 0;
        for ms in 1..=1000u64 {
            total += p.due(SimTime::from_millis(ms) + super::super::time::SimDuration(333));
        }
        assert_eq!(total, 1000);
    }

    #[test]
    fn hot_key_dominates() {
        let s = KeySampler::new(KeyDist::HotKey {
            keys: 100,
            hot_fraction: 0.9,
            salts: 1,
        });
        let mut rng = SimRng::new(1);
        let hot = (0..10_000).filter(|_| s.sample(&mut rng) == 0).count();
        assert!((8_900..=9_200).contains(&hot), "{hot}");
        let p = s.probabilities();
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn a_salted_hot_key_spreads_over_its_suffixes_and_is_never_sent_bare() {
        let dist = KeyDist::parse("hot:0.5:1000:16").unwrap();
        assert_eq!(dist.describe(), "hot:0.5:1000:16");
        assert_eq!(dist.slots(), 1016);
        assert_eq!(dist.key_name(3), "key-3");
        assert_eq!(dist.key_name(1000), "key-0#0");
        assert_eq!(dist.key_name(1015), "key-0#15");
        let s = KeySampler::new(dist);
        let mut rng = SimRng::new(7);
        let mut counts = vec![0u32; 1016];
        for _ in 0..160_000 {
            counts[s.sample(&mut rng) as usize] += 1;
        }
        assert_eq!(counts[0], 0, "the bare hot key is salted away");
        for salted in &counts[1000..] {
            // Each suffix takes 1/16 of the hot half: 5,000 of 160,000.
            assert!((4_600..=5_400).contains(salted), "{salted}");
        }
        let p = s.probabilities();
        assert_eq!(p.len(), 1016);
        assert!(p[0].abs() < 1e-12);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        assert!(KeyDist::parse("hot:0.5:1000:0").is_err());
        assert!(KeyDist::parse("hot:0.5:1000:2000").is_err());
        assert!(KeyDist::parse("hot:0.5:1000:4:4").is_err());
    }
}
