//! Broker and topic configs: their defaults, `key=value` parsing and the overrides
//! `kafka-configs --describe` lists.

use super::{MAX_MESSAGE_BYTES_DEFAULT, MetadataMode};
use crate::kafka::error::{ErrorCode, KafkaError, Result};
use crate::kafka::log::{CleanupPolicy, LogConfig};
use crate::time::SimDuration;

/// Broker configs (cluster-wide defaults, overridable per broker where it makes sense).
#[derive(Clone, Debug, PartialEq)]
pub struct BrokerConfig {
    pub replica_lag_time_max: SimDuration,
    pub unclean_leader_election: bool,
    pub min_insync_replicas: u32,
    pub cleaner_threads: u32,
    pub cleaner_io_max_bytes_per_sec: Option<u64>,
    pub session_timeout: SimDuration,
    /// Hardware, not a Kafka config: what the broker's disk can write per second.
    pub disk_bytes_per_sec: u64,
    /// Hardware: the NIC's bytes per second in each direction.
    pub network_bytes_per_sec: u64,
}

impl BrokerConfig {
    pub(super) fn defaults(mode: MetadataMode) -> Self {
        BrokerConfig {
            replica_lag_time_max: SimDuration::from_secs(30),
            unclean_leader_election: false,
            min_insync_replicas: 1,
            cleaner_threads: 1,
            cleaner_io_max_bytes_per_sec: None,
            session_timeout: match mode {
                MetadataMode::KRaft => SimDuration::from_secs(9),
                MetadataMode::ZooKeeper => SimDuration::from_secs(18),
            },
            disk_bytes_per_sec: 500 << 20,
            network_bytes_per_sec: 1_250_000_000,
        }
    }
}

/// Topic-level configs.
#[derive(Clone, Debug, PartialEq)]
pub struct TopicConfig {
    pub log: LogConfig,
    pub min_insync_replicas: Option<u32>,
    pub unclean_leader_election: Option<bool>,
    pub max_message_bytes: u64,
}

impl Default for TopicConfig {
    fn default() -> Self {
        TopicConfig {
            log: LogConfig::default(),
            min_insync_replicas: None,
            unclean_leader_election: None,
            max_message_bytes: MAX_MESSAGE_BYTES_DEFAULT,
        }
    }
}

impl TopicConfig {
    /// Applies one `key=value` topic config.
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let bad = || {
            KafkaError::new(
                ErrorCode::InvalidConfig,
                format!("Invalid value {value} for configuration {key}"),
            )
        };
        let num = || value.parse::<i64>().map_err(|_| bad());
        let ms = || -> Result<Option<SimDuration>> {
            let v = num()?;
            match v {
                -1 => Ok(None),
                v if v >= 0 => Ok(Some(SimDuration::from_millis(v as u64))),
                _ => Err(bad()),
            }
        };
        match key {
            "retention.ms" => self.log.retention = ms()?,
            "retention.bytes" => {
                let v = num()?;
                self.log.retention_bytes = if v < 0 { None } else { Some(v as u64) };
            }
            "segment.bytes" => {
                let v = num()?;
                if v < 14 {
                    return Err(bad());
                }
                self.log.segment_bytes = v as u64;
            }
            "segment.ms" => self.log.segment_ms = ms()?.ok_or_else(bad)?.max(SimDuration(1)),
            "cleanup.policy" => {
                self.log.cleanup_policy = CleanupPolicy::parse(value).ok_or_else(bad)?;
            }
            "min.cleanable.dirty.ratio" => {
                let r: f64 = value.parse().map_err(|_| bad())?;
                if !(0.0..=1.0).contains(&r) {
                    return Err(bad());
                }
                self.log.min_cleanable_dirty_ratio = r;
            }
            "delete.retention.ms" => self.log.delete_retention = ms()?.ok_or_else(bad)?,
            "min.insync.replicas" => {
                let v = num()?;
                if v < 1 {
                    return Err(bad());
                }
                self.min_insync_replicas = Some(v as u32);
            }
            "unclean.leader.election.enable" => {
                self.unclean_leader_election = Some(parse_bool(value).ok_or_else(bad)?);
            }
            "max.message.bytes" => {
                let v = num()?;
                if v < 0 {
                    return Err(bad());
                }
                self.max_message_bytes = v as u64;
            }
            _ => {
                return Err(KafkaError::new(
                    ErrorCode::InvalidConfig,
                    format!("Unknown topic config name: {key}"),
                ));
            }
        }
        Ok(())
    }

    /// The configs that differ from the defaults, as `kafka-configs --describe` lists them.
    pub fn overrides(&self) -> Vec<(String, String)> {
        let d = TopicConfig::default();
        let ms = |v: Option<SimDuration>| v.map_or("-1".to_string(), |d| (d.0 / 1000).to_string());
        let mut out = vec![];
        if self.log.retention != d.log.retention {
            out.push(("retention.ms".into(), ms(self.log.retention)));
        }
        if self.log.retention_bytes != d.log.retention_bytes {
            out.push((
                "retention.bytes".into(),
                self.log
                    .retention_bytes
                    .map_or("-1".to_string(), |b| b.to_string()),
            ));
        }
        if self.log.segment_bytes != d.log.segment_bytes {
            out.push(("segment.bytes".into(), self.log.segment_bytes.to_string()));
        }
        if self.log.segment_ms != d.log.segment_ms {
            out.push(("segment.ms".into(), ms(Some(self.log.segment_ms))));
        }
        if self.log.cleanup_policy != d.log.cleanup_policy {
            out.push((
                "cleanup.policy".into(),
                self.log.cleanup_policy.name().into(),
            ));
        }
        if self.log.min_cleanable_dirty_ratio.to_bits() != d.log.min_cleanable_dirty_ratio.to_bits()
        {
            out.push((
                "min.cleanable.dirty.ratio".into(),
                self.log.min_cleanable_dirty_ratio.to_string(),
            ));
        }
        if self.log.delete_retention != d.log.delete_retention {
            out.push((
                "delete.retention.ms".into(),
                ms(Some(self.log.delete_retention)),
            ));
        }
        if let Some(m) = self.min_insync_replicas {
            out.push(("min.insync.replicas".into(), m.to_string()));
        }
        if let Some(u) = self.unclean_leader_election {
            out.push(("unclean.leader.election.enable".into(), u.to_string()));
        }
        if self.max_message_bytes != d.max_message_bytes {
            out.push((
                "max.message.bytes".into(),
                self.max_message_bytes.to_string(),
            ));
        }
        out
    }
}

pub fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}
