//! Everything Kafka in one simulation: the cluster, its clients, the transaction coordinator
//! and the interned keys, advanced together by [`Kafka::tick`].

use super::KeyTable;
use super::assignor::TopicPartition;
use super::cluster::{Cluster, MetadataMode};
use super::consumer::ConsumerGroup;
use super::error::{ErrorCode, KafkaError, Result};
use super::producer::{Ids, Producer, ProducerConfig, TxnCoordinator, TxnOffsets};
use crate::engine::time::{SimDuration, SimTime};
use crate::engine::workload::{GenMode, KeyDist, SizeDist};
use std::collections::BTreeMap;

/// Producers one simulation may run.
pub const PRODUCERS_MAX: usize = 1_000;
/// Consumer groups one simulation may hold.
pub const GROUPS_MAX: usize = 1_000;
/// The Kafka side of the simulation ticks this often.
pub const KAFKA_TICK: SimDuration = SimDuration::from_millis(10);

#[derive(Clone, Debug)]
pub struct Kafka {
    pub cluster: Cluster,
    pub producers: BTreeMap<String, Producer>,
    pub coordinator: TxnCoordinator,
    pub keys: KeyTable,
    pub ids: Ids,
    /// Offsets committed by transactions, waiting to reach their groups.
    pub txn_offsets: TxnOffsets,
    pub groups: BTreeMap<String, ConsumerGroup>,
    seed: u64,
    next_client: u32,
}

impl Kafka {
    pub fn new(seed: u64, brokers: u32, mode: MetadataMode, now: SimTime) -> Result<Kafka> {
        Ok(Kafka {
            cluster: Cluster::new(brokers, mode, now)?,
            producers: BTreeMap::new(),
            coordinator: TxnCoordinator::default(),
            keys: KeyTable::default(),
            ids: Ids {
                next_batch: 1,
                next_producer: 1000,
                key_seq: Vec::new(),
            },
            txn_offsets: Vec::new(),
            groups: BTreeMap::new(),
            seed,
            next_client: 0,
        })
    }

    /// Defines a producer client on `topic`.
    pub fn add_producer(
        &mut self,
        name: &str,
        topic: &str,
        config: ProducerConfig,
        now: SimTime,
    ) -> Result<&mut Producer> {
        if self.producers.contains_key(name) {
            return Err(KafkaError::new(
                ErrorCode::InvalidRequest,
                format!("a producer named '{name}' exists"),
            ));
        }
        if self.producers.len() >= PRODUCERS_MAX {
            return Err(KafkaError::new(
                ErrorCode::InvalidRequest,
                format!("at most {PRODUCERS_MAX} producers"),
            ));
        }
        self.cluster.topic(topic)?;
        let mut p = Producer::new(
            name,
            self.next_client,
            topic,
            config,
            self.seed,
            &mut self.ids,
            now,
        )?;
        self.next_client += 1;
        if p.is_transactional() {
            p.init_transactions(&mut self.coordinator, &mut self.ids, &mut self.cluster, now)?;
        }
        Ok(self.producers.entry(name.to_string()).or_insert(p))
    }

    /// The group named `id`, created empty on first use (as `group.id` does).
    pub fn group_mut(&mut self, id: &str, now: SimTime) -> Result<&mut ConsumerGroup> {
        if !self.groups.contains_key(id) && self.groups.len() >= GROUPS_MAX {
            return Err(KafkaError::new(
                ErrorCode::InvalidRequest,
                format!("at most {GROUPS_MAX} consumer groups"),
            ));
        }
        Ok(self
            .groups
            .entry(id.to_string())
            .or_insert_with(|| ConsumerGroup::new(id, now)))
    }

    pub fn producer_mut(&mut self, name: &str) -> Result<&mut Producer> {
        self.producers.get_mut(name).ok_or_else(|| {
            KafkaError::new(
                ErrorCode::InvalidRequest,
                format!("no producer named '{name}'"),
            )
        })
    }

    /// Starts (or replaces) a producer's workload.
    pub fn start_workload(
        &mut self,
        producer: &str,
        rate_per_sec: u64,
        size: SizeDist,
        keys: Option<KeyDist>,
        mode: GenMode,
        now: SimTime,
    ) -> Result<()> {
        let p = self.producers.get_mut(producer).ok_or_else(|| {
            KafkaError::new(
                ErrorCode::InvalidRequest,
                format!("no producer named '{producer}'"),
            )
        })?;
        p.start_workload(rate_per_sec, size, keys, mode, &mut self.keys, now)
    }

    /// Advances the cluster and every client to `now`.
    pub fn tick(&mut self, now: SimTime) {
        self.cluster.tick(now);
        for p in self.producers.values_mut() {
            p.tick(
                &mut self.cluster,
                &mut self.coordinator,
                &mut self.ids,
                &mut self.txn_offsets,
                now,
            );
        }
        let timeouts: BTreeMap<String, SimDuration> = self
            .producers
            .values()
            .filter_map(|p| {
                p.config
                    .transactional_id
                    .clone()
                    .map(|id| (id, p.config.transaction_timeout))
            })
            .collect();
        for (group, topic, partition, offset) in std::mem::take(&mut self.txn_offsets) {
            let g = self
                .groups
                .entry(group.clone())
                .or_insert_with(|| ConsumerGroup::new(&group, now));
            let _ = g
                .group
                .commit_unchecked(TopicPartition::new(&topic, partition), offset);
        }
        for g in self.groups.values_mut() {
            g.tick(&self.cluster, now);
        }
        for p in self.producers.values_mut() {
            let lost = self
                .cluster
                .lost_by_client
                .get(&p.client)
                .copied()
                .unwrap_or(0)
                + p.stats.dropped_unacked;
            if lost > p.lost_reported {
                p.metrics.add(
                    crate::engine::metrics::Metric::KafkaRecordsLost,
                    now.as_secs(),
                    lost - p.lost_reported,
                );
                p.lost_reported = lost;
            }
        }
        for id in self.coordinator.expire(&timeouts, &mut self.cluster, now) {
            self.cluster.events.push_back(super::cluster::ClusterEvent {
                at: now,
                text: format!("transaction of '{id}' timed out: aborted, epoch bumped"),
            });
        }
    }

    /// Redeploys a producer with its configs changed by `changes`.
    pub fn reconfigure_producer(
        &mut self,
        name: &str,
        changes: &[(String, String)],
        now: SimTime,
    ) -> Result<()> {
        let p = self.producer_mut(name)?;
        let mut config = p.config.clone();
        for (k, v) in changes {
            config.set(k, v)?;
        }
        let p = self.producers.get_mut(name).expect("checked");
        p.reconfigure(config, &mut self.ids)?;
        if p.is_transactional() {
            p.init_transactions(&mut self.coordinator, &mut self.ids, &mut self.cluster, now)?;
        }
        Ok(())
    }

    /// Acknowledged records of a producer that are no longer in the log.
    pub fn lost(&self, producer: &Producer) -> u64 {
        self.cluster
            .lost_by_client
            .get(&producer.client)
            .copied()
            .unwrap_or(0)
            + producer.stats.dropped_unacked
    }
}
