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

    /// Every topic config with its value and whether the topic overrides it, in the order
    /// DescribeConfigs lists them. `min.insync.replicas` and `unclean.leader.election.enable`
    /// not set on the topic show the broker's value (`broker`).
    pub fn entries(&self, broker: &BrokerConfig) -> Vec<ConfigEntry> {
        let d = TopicConfig::default();
        let ms = |v: Option<SimDuration>| v.map_or("-1".to_string(), |d| (d.0 / 1000).to_string());
        let log = &self.log;
        let entry = |name: &str, value: String, overridden: bool| ConfigEntry {
            name: name.to_string(),
            value,
            overridden,
        };
        vec![
            entry(
                "cleanup.policy",
                log.cleanup_policy.name().into(),
                log.cleanup_policy != d.log.cleanup_policy,
            ),
            entry(
                "delete.retention.ms",
                ms(Some(log.delete_retention)),
                log.delete_retention != d.log.delete_retention,
            ),
            entry(
                "max.message.bytes",
                self.max_message_bytes.to_string(),
                self.max_message_bytes != d.max_message_bytes,
            ),
            entry(
                "min.cleanable.dirty.ratio",
                log.min_cleanable_dirty_ratio.to_string(),
                log.min_cleanable_dirty_ratio.to_bits()
                    != d.log.min_cleanable_dirty_ratio.to_bits(),
            ),
            entry(
                "min.insync.replicas",
                self.min_insync_replicas
                    .unwrap_or(broker.min_insync_replicas)
                    .to_string(),
                self.min_insync_replicas.is_some(),
            ),
            entry(
                "retention.bytes",
                log.retention_bytes
                    .map_or("-1".to_string(), |b| b.to_string()),
                log.retention_bytes != d.log.retention_bytes,
            ),
            entry(
                "retention.ms",
                ms(log.retention),
                log.retention != d.log.retention,
            ),
            entry(
                "segment.bytes",
                log.segment_bytes.to_string(),
                log.segment_bytes != d.log.segment_bytes,
            ),
            entry(
                "segment.ms",
                ms(Some(log.segment_ms)),
                log.segment_ms != d.log.segment_ms,
            ),
            entry(
                "unclean.leader.election.enable",
                self.unclean_leader_election
                    .unwrap_or(broker.unclean_leader_election)
                    .to_string(),
                self.unclean_leader_election.is_some(),
            ),
        ]
    }

    /// The configs that differ from the defaults, as `kafka-configs --describe` lists them.
    pub fn overrides(&self) -> Vec<(String, String)> {
        self.entries(&BrokerConfig::defaults(MetadataMode::KRaft))
            .into_iter()
            .filter(|e| e.overridden)
            .map(|e| (e.name, e.value))
            .collect()
    }
}

/// One config as DescribeConfigs answers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigEntry {
    pub name: String,
    pub value: String,
    /// Set on the topic (else the default or the broker's value).
    pub overridden: bool,
}

pub fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}
