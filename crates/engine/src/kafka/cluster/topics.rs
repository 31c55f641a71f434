//! Topics: replica placement, creating and deleting topics, adding partitions, and altering
//! topic and broker configs.

use super::{
    Broker, BrokerConfig, BrokerId, Cluster, PARTITIONS_MAX, Partition, Replica, Topic,
    TopicConfig, parse_bool,
};
use crate::kafka::error::{ErrorCode, KafkaError, Result};
use crate::kafka::log::Log;
use crate::metrics::MetricSet;
use crate::time::{SimDuration, SimTime};
use std::collections::BTreeMap;

impl Cluster {
    /// A topic `name` of `total` partitions, `added` of them new, fits the budget (per topic
    /// and per cluster).
    fn check_partition_budget(&self, name: &str, total: u32, added: u32) -> Result<()> {
        use crate::budget::{PARTITIONS_PER_TOPIC, refusal};
        if total > PARTITIONS_PER_TOPIC {
            return Err(KafkaError::limit(refusal(
                format_args!("topic '{name}' with {total} partitions"),
                u64::from(PARTITIONS_PER_TOPIC),
                "partitions per topic",
                "PARTITIONS_PER_TOPIC",
                "nothing was changed",
            )));
        }
        let after = self.partition_count() + added as usize;
        if after > PARTITIONS_MAX {
            return Err(KafkaError::limit(refusal(
                format_args!(
                    "{after} partitions in the cluster with topic '{name}' ({} now)",
                    self.partition_count()
                ),
                PARTITIONS_MAX as u64,
                "partitions per cluster",
                "PARTITIONS_PER_CLUSTER",
                "nothing was changed; delete a topic first",
            )));
        }
        Ok(())
    }

    /// Replica placement as Kafka's rack-unaware assignment does it with a fixed start: the
    /// leaders of consecutive partitions go round the brokers, followers on the next ones.
    pub(super) fn place(&self, first_partition: u32, count: u32, rf: u32) -> Vec<Vec<BrokerId>> {
        let ids: Vec<BrokerId> = self.brokers.keys().copied().collect();
        let n = ids.len();
        (first_partition..first_partition + count)
            .map(|p| {
                let shift = (p as usize / n) % n.saturating_sub(1).max(1);
                (0..rf as usize)
                    .map(|j| {
                        let offset = if j == 0 {
                            0
                        } else {
                            1 + (shift + j - 1) % (n - 1)
                        };
                        ids[(p as usize + offset) % n]
                    })
                    .collect()
            })
            .collect()
    }

    fn new_partition(
        index: u32,
        replicas: &[BrokerId],
        config: &TopicConfig,
        now: SimTime,
    ) -> Partition {
        Partition {
            index,
            replicas: replicas
                .iter()
                .map(|&broker| Replica {
                    broker,
                    leo: 0,
                    last_caught_up: now,
                    credit: 0,
                })
                .collect(),
            leader: None,
            leader_epoch: 0,
            isr: replicas.to_vec(),
            high_watermark: 0,
            log: Log::new(config.log.clone()),
            quiet: false,
            metrics: MetricSet::default(),
        }
    }

    /// CreateTopics' checks (the name, the counts, the configs) without creating anything:
    /// the topic's config if it would be created.
    pub fn check_new_topic(
        &self,
        name: &str,
        partitions: u32,
        replication_factor: u32,
        configs: &[(String, String)],
        now: SimTime,
    ) -> Result<TopicConfig> {
        self.require_controller(now)?;
        if name.is_empty()
            || name.len() > 249
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err(KafkaError::new(
                ErrorCode::InvalidRequest,
                format!(
                    "Topic name \"{name}\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'"
                ),
            ));
        }
        if self.topics.contains_key(name) {
            return Err(KafkaError::new(
                ErrorCode::TopicAlreadyExists,
                format!("Topic '{name}' already exists."),
            ));
        }
        if partitions == 0 {
            return Err(KafkaError::new(
                ErrorCode::InvalidPartitions,
                "Number of partitions must be larger than 0.",
            ));
        }
        self.check_partition_budget(name, partitions, partitions)?;
        let live = self.brokers.values().filter(|b| !b.fenced).count() as u32;
        if replication_factor == 0 || replication_factor > live {
            return Err(KafkaError::new(
                ErrorCode::InvalidReplicationFactor,
                format!(
                    "Replication factor: {replication_factor} larger than available brokers: {live}."
                ),
            ));
        }
        let mut config = TopicConfig::default();
        for (k, v) in configs {
            config.set(k, v)?;
        }
        Ok(config)
    }

    pub fn create_topic(
        &mut self,
        name: &str,
        partitions: u32,
        replication_factor: u32,
        configs: &[(String, String)],
        now: SimTime,
    ) -> Result<()> {
        let config = self.check_new_topic(name, partitions, replication_factor, configs, now)?;
        let placement = self.place(0, partitions, replication_factor);
        let mut topic = Topic {
            name: name.to_string(),
            id: self.next_topic_id,
            replication_factor,
            partitions: placement
                .iter()
                .enumerate()
                .map(|(i, r)| Self::new_partition(i as u32, r, &config, now))
                .collect(),
            config,
            metrics: MetricSet::default(),
        };
        self.next_topic_id += 1;
        for p in &mut topic.partitions {
            Self::elect_initial(&self.brokers, p);
        }
        self.active
            .extend((0..partitions).map(|i| (name.to_string(), i)));
        self.topics.insert(name.to_string(), topic);
        self.count_replicas_per_broker();
        self.event(
            now,
            format!("topic {name} created: {partitions} partitions, RF {replication_factor}"),
        );
        Ok(())
    }

    fn elect_initial(brokers: &BTreeMap<BrokerId, Broker>, p: &mut Partition) {
        p.isr.retain(|b| brokers.get(b).is_some_and(|x| !x.fenced));
        p.leader = p
            .replicas
            .iter()
            .map(|r| r.broker)
            .find(|b| p.isr.contains(b) && brokers.get(b).is_some_and(Broker::is_up));
    }

    pub fn delete_topic(&mut self, name: &str, now: SimTime) -> Result<()> {
        self.require_controller(now)?;
        self.topic(name)?;
        self.topics.remove(name);
        self.count_replicas_per_broker();
        self.event(now, format!("topic {name} deleted"));
        Ok(())
    }

    /// `kafka-topics --alter --partitions N`: partitions can only be added.
    pub fn add_partitions(&mut self, name: &str, count: u32, now: SimTime) -> Result<()> {
        self.require_controller(now)?;
        let t = self.topic(name)?;
        let current = t.partitions.len() as u32;
        if count <= current {
            return Err(KafkaError::new(
                ErrorCode::InvalidPartitions,
                format!(
                    "Topic currently has {current} partitions, which is higher than the requested {count}."
                ),
            ));
        }
        self.check_partition_budget(name, count, count - current)?;
        let rf = t.replication_factor;
        let placement = self.place(current, count - current, rf);
        let t = self.topics.get_mut(name).expect("checked");
        for (i, r) in placement.iter().enumerate() {
            let mut p = Self::new_partition(current + i as u32, r, &t.config, now);
            Self::elect_initial(&self.brokers, &mut p);
            t.partitions.push(p);
            self.active.insert((name.to_string(), current + i as u32));
        }
        // The new replicas cost their brokers' disks as the old ones do.
        self.count_replicas_per_broker();
        self.event(
            now,
            format!("topic {name}: partitions {current} -> {count}"),
        );
        Ok(())
    }

    /// `kafka-configs --alter --entity-type topics`.
    pub fn alter_topic_config(
        &mut self,
        name: &str,
        configs: &[(String, String)],
        now: SimTime,
    ) -> Result<()> {
        self.require_controller(now)?;
        let t = self.topics.get_mut(name).ok_or_else(|| {
            KafkaError::new(
                ErrorCode::UnknownTopicOrPartition,
                format!("Topic '{name}' does not exist"),
            )
        })?;
        let mut config = t.config.clone();
        for (k, v) in configs {
            config.set(k, v)?;
        }
        for p in &mut t.partitions {
            p.log.config = config.log.clone();
            p.quiet = false;
            self.active.insert((name.to_string(), p.index));
        }
        t.config = config;
        Ok(())
    }

    /// `kafka-configs --alter --entity-type brokers [--entity-name ID | --entity-default]`.
    pub fn alter_broker_config(
        &mut self,
        broker: Option<BrokerId>,
        configs: &[(String, String)],
    ) -> Result<()> {
        let ids: Vec<BrokerId> = match broker {
            Some(b) => {
                self.broker(b)?;
                vec![b]
            }
            None => self.brokers.keys().copied().collect(),
        };
        for (k, v) in configs {
            let bad = || {
                KafkaError::new(
                    ErrorCode::InvalidConfig,
                    format!("Invalid value {v} for configuration {k}"),
                )
            };
            let num = || v.parse::<u64>().map_err(|_| bad());
            let apply: Box<dyn Fn(&mut BrokerConfig)> = match k.as_str() {
                "replica.lag.time.max.ms" => {
                    let d = SimDuration::from_millis(num()?);
                    Box::new(move |c| c.replica_lag_time_max = d)
                }
                "unclean.leader.election.enable" => {
                    let b = parse_bool(v).ok_or_else(bad)?;
                    Box::new(move |c| c.unclean_leader_election = b)
                }
                "min.insync.replicas" => {
                    let n = num()?.max(1) as u32;
                    Box::new(move |c| c.min_insync_replicas = n)
                }
                "log.cleaner.threads" => {
                    let n = num()?;
                    if n == 0 || n > 64 {
                        return Err(bad());
                    }
                    Box::new(move |c| c.cleaner_threads = n as u32)
                }
                "log.cleaner.io.max.bytes.per.second" => {
                    let n = v.parse::<f64>().map_err(|_| bad())?;
                    if n <= 0.0 {
                        return Err(bad());
                    }
                    let limit = (n < 1e18).then_some(n as u64);
                    Box::new(move |c| c.cleaner_io_max_bytes_per_sec = limit)
                }
                "broker.session.timeout.ms" | "zookeeper.session.timeout.ms" => {
                    let d = SimDuration::from_millis(num()?.max(1));
                    Box::new(move |c| c.session_timeout = d)
                }
                "sim.disk.bytes.per.second" => {
                    let n = num()?.max(1);
                    Box::new(move |c| c.disk_bytes_per_sec = n)
                }
                "sim.network.bytes.per.second" => {
                    let n = num()?.max(1);
                    Box::new(move |c| c.network_bytes_per_sec = n)
                }
                _ => {
                    return Err(KafkaError::new(
                        ErrorCode::InvalidConfig,
                        format!("Unknown or read-only broker config: {k}"),
                    ));
                }
            };
            for id in &ids {
                if let Some(b) = self.brokers.get_mut(id) {
                    apply(&mut b.config);
                }
            }
            if broker.is_none() {
                apply(&mut self.defaults);
            }
        }
        for t in self.topics.values_mut() {
            for p in &mut t.partitions {
                p.quiet = false;
                self.active.insert((t.name.clone(), p.index));
            }
        }
        Ok(())
    }

    fn count_replicas_per_broker(&mut self) {
        let mut m = BTreeMap::new();
        for t in self.topics.values() {
            for p in &t.partitions {
                for r in &p.replicas {
                    *m.entry(r.broker).or_insert(0) += 1;
                }
            }
        }
        self.replicas_per_broker = m;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::cluster::MetadataMode;

    /// Every topic change keeps the per-broker replica count (what each hosted replica costs a
    /// broker's disk budget) equal to a count made afresh.
    #[test]
    fn replica_counts_follow_creates_additions_and_deletes() {
        let now = SimTime::ZERO;
        let mut c = Cluster::new(3, MetadataMode::KRaft, now).unwrap();
        let recount = |c: &mut Cluster| {
            let kept = c.replicas_per_broker.clone();
            c.count_replicas_per_broker();
            (kept, c.replicas_per_broker.values().sum::<u64>())
        };
        c.create_topic("a", 3, 3, &[], now).unwrap();
        let (kept, total) = recount(&mut c);
        assert_eq!((kept, total), (c.replicas_per_broker.clone(), 9));
        c.add_partitions("a", 6, now).unwrap();
        let (kept, total) = recount(&mut c);
        assert_eq!((kept, total), (c.replicas_per_broker.clone(), 18));
        c.create_topic("b", 2, 2, &[], now).unwrap();
        c.delete_topic("a", now).unwrap();
        let (kept, total) = recount(&mut c);
        assert_eq!((kept, total), (c.replicas_per_broker.clone(), 4));
    }
}
