//! Producer clients: the Java producer's delivery contract, modelled batch by batch.
//!
//! A record goes to a partition (murmur2 of its key modulo the partition count the producer's
//! metadata knows, or the sticky partition when it has no key), into that partition's batch
//! for the tick, then to the leader. `acks=0` counts a record sent once it is on the wire
//! (a leader that never answers loses it silently); `acks=1` once the leader has appended it;
//! `acks=all` once the high watermark passes it. Retriable errors are retried after
//! `retry.backoff.ms` while `retries` and `delivery.timeout.ms` allow; a request the leader
//! appended but never confirmed (it timed out, or leadership moved before the high watermark
//! reached it) is sent again, so a producer without idempotence writes it twice. With
//! idempotence the broker recognises the retry by producer id, epoch and sequence number.
//! Transactions go through [`TxnCoordinator`]: markers on every partition written, offsets
//! committed with the transaction, an older epoch of the same `transactional.id` fenced.
//! Each transactional id's coordinator lives on the leader of its `__transaction_state`
//! partition ([`super::coordinator`]); while it is unavailable or loading, `initTransactions`,
//! adding a partition new to the transaction, `sendOffsetsToTransaction` and ending a
//! transaction fail with a retriable COORDINATOR_NOT_AVAILABLE (or
//! COORDINATOR_LOAD_IN_PROGRESS) and the producer retries, and no transaction times out.
//! `beginTransaction` is local to the client, as in Java, and batches to partitions already in
//! the transaction go to their leaders without the coordinator. Offsets sent to a transaction
//! (TxnOffsetCommit) and the markers that commit them also need the group's coordinator.

use super::KeyTable;
use super::cluster::{AckState, Acks, Cluster};
use super::coordinator::{CoordinatorKind, CoordinatorStatus};
use super::error::{ErrorCode, KafkaError, Result};
use super::log::{Batch, Control, NO_KEY, NO_PRODUCER, Rec, Writer};
use super::partitioner::{StickyPartitioner, partition_for_key};
use super::records::Records;
use crate::metrics::{Metric, MetricSet};
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};
use crate::workload::{GenMode, KeyDist, KeySampler, Pacer, SizeDist};
use std::collections::{BTreeMap, VecDeque};

/// Batches one producer may hold unsent or unacknowledged per partition (on top of
/// `buffer.memory`), so a long outage cannot grow memory without bound.
pub const PENDING_BATCHES_MAX: usize = 100_000;
/// Records one tick of one generator may draw.
pub const RECORDS_PER_TICK_MAX: u64 = 2_000_000;
/// Transactions of one generator commit this often (Kafka Streams' `commit.interval.ms`
/// under exactly-once).
pub const TXN_COMMIT_INTERVAL: SimDuration = SimDuration::from_millis(100);

/// A rate fits [`crate::budget::RATE_PER_SEC`], and in record mode
/// [`crate::budget::RECORD_RATE_PER_SEC`].
pub fn check_record_rate(rate_per_sec: u64, mode: GenMode) -> Result<()> {
    use crate::budget::{RATE_PER_SEC, RECORD_RATE_PER_SEC, refusal};
    if mode == GenMode::Record && rate_per_sec > RECORD_RATE_PER_SEC {
        return Err(KafkaError::limit(refusal(
            format_args!("{rate_per_sec} records/s in record mode"),
            RECORD_RATE_PER_SEC,
            "records/s per producer in record mode",
            "RECORD_RATE_PER_SEC",
            "use --mode flow for rates, not records",
        )));
    }
    if rate_per_sec > RATE_PER_SEC {
        return Err(KafkaError::limit(refusal(
            format_args!("{rate_per_sec} records/s"),
            RATE_PER_SEC,
            "records/s per producer",
            "RATE_PER_SEC",
            "",
        )));
    }
    Ok(())
}

/// Client configs of a producer (Kafka 3.x defaults).
#[derive(Clone, Debug, PartialEq)]
pub struct ProducerConfig {
    pub acks: Acks,
    pub retries: u32,
    pub delivery_timeout: SimDuration,
    pub request_timeout: SimDuration,
    pub retry_backoff: SimDuration,
    /// `enable.idempotence` as set; `None` = default (on, unless other settings conflict).
    pub idempotence: Option<bool>,
    pub max_in_flight: u32,
    pub batch_size: u64,
    pub buffer_memory: u64,
    pub transactional_id: Option<String>,
    pub transaction_timeout: SimDuration,
    pub metadata_max_age: SimDuration,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        ProducerConfig {
            acks: Acks::All,
            retries: i32::MAX as u32,
            delivery_timeout: SimDuration::from_secs(120),
            request_timeout: SimDuration::from_secs(30),
            retry_backoff: SimDuration::from_millis(100),
            idempotence: None,
            max_in_flight: 5,
            batch_size: 16_384,
            buffer_memory: 33_554_432,
            transactional_id: None,
            transaction_timeout: SimDuration::from_secs(60),
            metadata_max_age: SimDuration::from_secs(300),
        }
    }
}

fn config_error(message: impl Into<String>) -> KafkaError {
    KafkaError::new(ErrorCode::InvalidConfig, message)
}

impl ProducerConfig {
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let bad = || config_error(format!("Invalid value {value} for configuration {key}"));
        let num = || value.parse::<u64>().map_err(|_| bad());
        let ms = || super::client_ms(value).ok_or_else(bad);
        match key {
            "acks" => self.acks = Acks::parse(value).ok_or_else(bad)?,
            "retries" => self.retries = num()?.min(i32::MAX as u64) as u32,
            "delivery.timeout.ms" => self.delivery_timeout = ms()?,
            "request.timeout.ms" => self.request_timeout = ms()?.max(SimDuration::from_millis(1)),
            "retry.backoff.ms" => self.retry_backoff = ms()?,
            "enable.idempotence" => {
                self.idempotence = Some(super::cluster::parse_bool(value).ok_or_else(bad)?);
            }
            "max.in.flight.requests.per.connection" => {
                self.max_in_flight = num()?.clamp(1, 1000) as u32;
            }
            "batch.size" => self.batch_size = num()?.max(1),
            "buffer.memory" => self.buffer_memory = num()?.max(1),
            "transactional.id" => self.transactional_id = Some(value.to_string()),
            "transaction.timeout.ms" => {
                self.transaction_timeout = ms()?.max(SimDuration::from_millis(1));
            }
            "metadata.max.age.ms" => self.metadata_max_age = ms()?,
            "linger.ms" | "compression.type" | "client.id" | "partitioner.class"
            | "key.serializer" | "value.serializer" => {}
            _ => return Err(config_error(format!("Unknown producer config: {key}"))),
        }
        Ok(())
    }

    /// Whether the producer is idempotent, checking the combinations the Java client refuses.
    pub fn effective_idempotence(&self) -> Result<bool> {
        match self.idempotence {
            Some(true) => {
                if self.acks != Acks::All {
                    return Err(config_error(
                        "Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence.",
                    ));
                }
                if self.max_in_flight > 5 {
                    return Err(config_error(
                        "Must set max.in.flight.requests.per.connection to at most 5 to use the idempotent producer.",
                    ));
                }
                if self.retries == 0 {
                    return Err(config_error(
                        "Must set retries to non-zero when using the idempotent producer.",
                    ));
                }
                Ok(true)
            }
            Some(false) => {
                if self.transactional_id.is_some() {
                    return Err(config_error(
                        "Cannot set a transactional.id without also enabling idempotence.",
                    ));
                }
                Ok(false)
            }
            // The default turns idempotence on only when nothing conflicts (Kafka 3.2+).
            None => Ok(
                self.acks == Acks::All && self.max_in_flight <= 5 && self.retries > 0
                    || self.transactional_id.is_some(),
            ),
        }
    }
}

/// What a producer has seen, as its metrics would report it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProducerStats {
    pub sent: u64,
    pub acked: u64,
    pub failed: u64,
    pub retried: u64,
    /// Records written a second time by a retry.
    pub duplicated: u64,
    /// Records the application could not hand over (`buffer.memory` full).
    pub blocked: u64,
    /// `acks=0` records handed to a leader that never wrote them.
    pub dropped_unacked: u64,
    pub errors: BTreeMap<ErrorCode, u64>,
    pub last_error: Option<(SimTime, String)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flight {
    Ready,
    /// Sent to a leader that is not answering: the client sees a timeout at `until`.
    Unanswered {
        until: SimTime,
    },
    /// Appended with `acks=all`, waiting for the high watermark.
    Waiting {
        sent_at: SimTime,
        leader_epoch: u32,
        base_offset: u64,
        duplicate: bool,
    },
}

#[derive(Clone, Debug)]
struct PendingBatch {
    id: u64,
    partition: u32,
    records: Vec<Rec>,
    values: Vec<Option<Box<str>>>,
    flow_count: u32,
    flow_size: u32,
    bytes: u64,
    created: SimTime,
    attempts: u32,
    next_try: SimTime,
    flight: Flight,
    base_sequence: u32,
    transactional: bool,
    /// Where an earlier attempt was appended without the client knowing.
    appended_before: Option<u64>,
    timestamp: SimTime,
    /// The error of the last attempt the client retried (what the Java client logs as it
    /// retries), quoted when the batch finally expires.
    last_error: Option<KafkaError>,
}

/// `delivery.timeout.ms` expired for `count` records of `topic-p`: the Java client's
/// message, with the retries made and the broker error that caused the last one.
fn expiry_error(
    count: u32,
    topic: &str,
    p: u32,
    timeout: SimDuration,
    retries: u32,
    last: Option<&KafkaError>,
) -> KafkaError {
    use std::fmt::Write;
    let mut m = format!(
        "Expiring {count} record(s) for {topic}-{p}: {} ms has passed since batch creation",
        timeout.0 / 1000
    );
    if let Some(e) = last {
        let _ = write!(
            m,
            "; retried {retries} time(s), last error {}: {}",
            e.code, e.message
        );
    }
    KafkaError::new(ErrorCode::DeliveryTimeout, m)
}

impl PendingBatch {
    fn count(&self) -> u32 {
        if self.records.is_empty() {
            self.flow_count
        } else {
            self.records.len() as u32
        }
    }
}

/// A running workload: what the producer sends by itself each tick.
#[derive(Clone, Debug)]
pub struct Workload {
    pub rate_per_sec: u64,
    pub size: SizeDist,
    pub keys: Option<KeyDist>,
    pub mode: GenMode,
    pacer: Pacer,
    sampler: Option<KeySampler>,
    key_ids: Vec<u32>,
    /// The partition of each key for `cache_partitions`.
    partition_of: Vec<u32>,
    cache_partitions: u32,
    flow_carry: BTreeMap<u32, f64>,
    /// Flow mode: each partition's share of the traffic, for `cache_partitions`.
    flow_shares: Vec<f64>,
    last_flow: SimTime,
}

impl Workload {
    /// Recomputes each key's partition for a partition count (murmur2 once per key, not once
    /// per record).
    fn refresh_partition_cache(&mut self, count: u32) {
        let Some(dist) = self.keys.as_ref() else {
            self.partition_of.clear();
            self.cache_partitions = count;
            return;
        };
        self.partition_of = (0..self.key_ids.len() as u32)
            .map(|i| partition_for_key(dist.key_name(i).as_bytes(), count))
            .collect();
        self.cache_partitions = count;
    }
}

/// Transaction state of a transactional producer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxnState {
    Uninitialized,
    /// `initTransactions` waits for the transaction coordinator (retried each tick).
    Initializing,
    Ready,
    InTransaction {
        started: SimTime,
    },
    Committing,
    Aborting,
    Fenced,
}

#[derive(Clone, Debug)]
pub struct Producer {
    pub name: String,
    pub client: u32,
    pub topic: std::sync::Arc<str>,
    pub config: ProducerConfig,
    pub idempotent: bool,
    pub producer_id: u64,
    pub epoch: u16,
    pub stats: ProducerStats,
    pub metrics: MetricSet,
    pub workload: Option<Workload>,
    pub txn: TxnState,
    pub running: bool,
    pending: BTreeMap<u32, VecDeque<PendingBatch>>,
    next_sequence: BTreeMap<u32, u32>,
    buffered_bytes: u64,
    /// Records in `pending` (bounded by [`crate::budget::RECORDS_IN_FLIGHT_PER_PRODUCER`]).
    buffered_records: u64,
    known_partitions: u32,
    metadata_at: SimTime,
    sticky: StickyPartitioner,
    rng: SimRng,
    /// Console sends: results to report, by batch id.
    pub outcomes: BTreeMap<u64, SendOutcome>,
    /// Acknowledged records lost, as last added to `metrics`.
    pub lost_reported: u64,
    /// An epoch bump waits for the in-flight requests (see [`Producer::bump_epoch_when_idle`]).
    bump_pending: bool,
    last_commit: SimTime,
}

/// What became of one console send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendOutcome {
    Pending,
    Acked { partition: u32, offset: u64 },
    Failed { partition: u32, error: KafkaError },
}

/// Ids and epochs of transactional producers, the partitions and offsets of their open
/// transactions, and the markers that end them.
#[derive(Clone, Debug, Default)]
pub struct TxnCoordinator {
    entries: BTreeMap<String, TxnEntry>,
}

#[derive(Clone, Debug, Default)]
struct TxnEntry {
    producer_id: u64,
    epoch: u16,
    open: Option<OpenTxn>,
    /// The partition of `__transaction_state` whose leader coordinates this id.
    coordinator_partition: u32,
    /// The coordinator's status when last looked at, for the event log.
    observed: Option<CoordinatorStatus>,
    /// `transaction.timeout.ms` a real client sent in its InitProducerId.
    client_timeout: Option<SimDuration>,
}

#[derive(Clone, Debug, Default)]
struct OpenTxn {
    started: SimTime,
    partitions: Vec<(String, u32)>,
    offsets: Vec<(String, String, u32, u64)>,
}

/// Offsets a transaction commits to a group: (group, topic, partition, offset).
pub type TxnOffsets = Vec<(String, String, u32, u64)>;

/// Fails with the coordinator's error unless the coordinator of `id` serves now.
fn require_coordinator(
    kind: CoordinatorKind,
    id: &str,
    cluster: &Cluster,
    now: SimTime,
) -> Result<()> {
    let (partition, status) = cluster.coordinator_of(kind, id, now);
    status.error(kind, partition, id).map_or(Ok(()), Err)
}

/// The coordinators of the groups `offsets` commit to must serve: TxnOffsetCommit goes to
/// them, and the transaction's markers are written to their `__consumer_offsets` partitions.
fn require_group_coordinators(offsets: &TxnOffsets, cluster: &Cluster, now: SimTime) -> Result<()> {
    let mut seen: Vec<&str> = Vec::new();
    for (group, ..) in offsets {
        if !seen.contains(&group.as_str()) {
            seen.push(group);
            require_coordinator(CoordinatorKind::Group, group, cluster, now)?;
        }
    }
    Ok(())
}

impl TxnCoordinator {
    /// `initTransactions`: a new epoch for the id, aborting what an older instance left open.
    pub fn init(
        &mut self,
        id: &str,
        next_producer_id: &mut u64,
        cluster: &mut Cluster,
        now: SimTime,
    ) -> Result<(u64, u16)> {
        require_coordinator(CoordinatorKind::Transaction, id, cluster, now)?;
        if let Some(e) = self.entries.get(id)
            && e.open.is_some()
        {
            self.end(id, false, cluster, now)?;
        }
        let e = self.entries.entry(id.to_string()).or_insert_with(|| {
            let pid = *next_producer_id;
            *next_producer_id += 1;
            TxnEntry {
                producer_id: pid,
                epoch: 0,
                open: None,
                coordinator_partition: CoordinatorKind::Transaction.partition_for(id),
                observed: None,
                client_timeout: None,
            }
        });
        e.epoch = e.epoch.wrapping_add(1);
        Ok((e.producer_id, e.epoch))
    }

    /// A real client's `transaction.timeout.ms` for `id` (a simulated producer's comes from
    /// its config).
    pub fn set_client_timeout(&mut self, id: &str, timeout: SimDuration) {
        if let Some(e) = self.entries.get_mut(id) {
            e.client_timeout = Some(timeout);
        }
    }

    /// A request naming `producer_id` at `epoch` for `id`: the id's current producer, not
    /// fenced.
    pub fn check_producer(&self, id: &str, producer_id: u64, epoch: u16) -> Result<()> {
        if let Some(e) = self.entries.get(id)
            && e.producer_id != producer_id
        {
            return Err(KafkaError::new(
                ErrorCode::InvalidProducerIdMapping,
                format!(
                    "producer id {producer_id} is not transactional id '{id}''s ({})",
                    e.producer_id
                ),
            ));
        }
        self.check(id, epoch)
    }

    fn check(&self, id: &str, epoch: u16) -> Result<()> {
        match self.entries.get(id) {
            Some(e) if e.epoch == epoch => Ok(()),
            Some(_) => Err(KafkaError::new(
                ErrorCode::ProducerFenced,
                format!(
                    "There is a newer producer with the same transactionalId '{id}' which fences the current one."
                ),
            )),
            None => Err(KafkaError::new(
                ErrorCode::InvalidTxnState,
                format!("transactional id '{id}' is not initialized"),
            )),
        }
    }

    /// The open transaction of `id` at `epoch`, begun now if none is open (the coordinator
    /// starts one at the first AddPartitionsToTxn or AddOffsetsToTxn).
    fn open_txn(&mut self, id: &str, epoch: u16, now: SimTime) -> Result<&mut OpenTxn> {
        self.check(id, epoch)?;
        let e = self.entries.get_mut(id).expect("checked");
        Ok(e.open.get_or_insert_with(|| OpenTxn {
            started: now,
            ..OpenTxn::default()
        }))
    }

    /// AddPartitionsToTxn, for a partition new to the transaction (one already in it needs no
    /// coordinator).
    pub fn add_partition(
        &mut self,
        id: &str,
        epoch: u16,
        (topic, p): (&str, u32),
        cluster: &Cluster,
        now: SimTime,
    ) -> Result<()> {
        self.check(id, epoch)?;
        let known = self
            .entries
            .get(id)
            .and_then(|e| e.open.as_ref())
            .is_some_and(|o| o.partitions.iter().any(|(t, q)| t == topic && *q == p));
        if known {
            return Ok(());
        }
        require_coordinator(CoordinatorKind::Transaction, id, cluster, now)?;
        let open = self.open_txn(id, epoch, now)?;
        if !open.partitions.iter().any(|(t, q)| t == topic && *q == p) {
            open.partitions.push((topic.to_string(), p));
        }
        Ok(())
    }

    /// AddOffsetsToTxn (the transaction coordinator), then TxnOffsetCommit (each group's).
    pub fn add_offsets(
        &mut self,
        id: &str,
        epoch: u16,
        offsets: TxnOffsets,
        cluster: &Cluster,
        now: SimTime,
    ) -> Result<()> {
        self.check(id, epoch)?;
        require_coordinator(CoordinatorKind::Transaction, id, cluster, now)?;
        require_group_coordinators(&offsets, cluster, now)?;
        self.open_txn(id, epoch, now)?.offsets.extend(offsets);
        Ok(())
    }

    /// Writes COMMIT or ABORT markers to every partition of the open transaction; returns
    /// the offsets to commit to groups (none on abort). Fails, leaving the transaction open,
    /// when a partition has no leader: the coordinator retries.
    pub fn end(
        &mut self,
        id: &str,
        commit: bool,
        cluster: &mut Cluster,
        now: SimTime,
    ) -> Result<TxnOffsets> {
        let Some(e) = self.entries.get(id) else {
            return Err(KafkaError::new(
                ErrorCode::InvalidTxnState,
                format!("transactional id '{id}' is not initialized"),
            ));
        };
        let Some(open) = e.open.clone() else {
            return Ok(Vec::new());
        };
        require_coordinator(CoordinatorKind::Transaction, id, cluster, now)?;
        require_group_coordinators(&open.offsets, cluster, now)?;
        let writer = Writer {
            producer_id: e.producer_id,
            epoch: e.epoch,
            base_sequence: 0,
            transactional: true,
        };
        for (t, p) in &open.partitions {
            let leader_ok = cluster.partition(t, *p).is_ok_and(|x| x.leader.is_some());
            if !leader_ok {
                return Err(KafkaError::new(
                    ErrorCode::LeaderNotAvailable,
                    format!("cannot write the transaction marker to {t}-{p}: no leader"),
                ));
            }
        }
        let mut remaining = Vec::new();
        for (t, p) in &open.partitions {
            let has_open = cluster
                .partition(t, *p)
                .is_ok_and(|x| x.log.has_open_transaction(writer.producer_id));
            if !has_open {
                continue;
            }
            let marker = Batch {
                base_offset: 0,
                count: 1,
                records: Records::default(),
                values: Vec::new(),
                payloads: Box::new([]),
                flow_size: 0,
                bytes: 0,
                timestamp: now,
                writer,
                control: Some(if commit {
                    Control::Commit
                } else {
                    Control::Abort
                }),
                batch_id: 0,
                leader_epoch: 0,
                client: u32::MAX,
                acked: true,
                cum_bytes: 0,
            };
            if cluster.write_marker(t, *p, marker, now).is_err() {
                remaining.push((t.clone(), *p));
            }
        }
        let e = self.entries.get_mut(id).expect("checked");
        if remaining.is_empty() {
            e.open = None;
            Ok(if commit { open.offsets } else { Vec::new() })
        } else {
            if let Some(o) = &mut e.open {
                o.partitions = remaining;
            }
            Err(KafkaError::new(
                ErrorCode::ConcurrentTransactions,
                "markers pending",
            ))
        }
    }

    /// Aborts transactions open longer than their timeout (bumping the epoch, which fences
    /// the producer that opened them). Returns the ids aborted. A coordinator that is not
    /// serving expires nothing; once loaded it aborts what is overdue.
    pub fn expire(
        &mut self,
        timeouts: &BTreeMap<String, SimDuration>,
        cluster: &mut Cluster,
        now: SimTime,
    ) -> Vec<String> {
        let expired: Vec<String> = self
            .entries
            .iter()
            .filter(|(id, e)| {
                let timeout = timeouts
                    .get(*id)
                    .copied()
                    .or(e.client_timeout)
                    .unwrap_or(SimDuration::from_secs(60));
                e.open
                    .as_ref()
                    .is_some_and(|o| now.since(o.started) > timeout)
                    && cluster
                        .coordinator_status(
                            CoordinatorKind::Transaction,
                            e.coordinator_partition,
                            now,
                        )
                        .is_ready()
            })
            .map(|(id, _)| id.clone())
            .collect();
        let mut done = Vec::new();
        for id in expired {
            if self.end(&id, false, cluster, now).is_ok() {
                if let Some(e) = self.entries.get_mut(&id) {
                    e.epoch = e.epoch.wrapping_add(1);
                }
                done.push(id);
            }
        }
        done
    }

    pub fn is_open(&self, id: &str) -> bool {
        self.entries.get(id).is_some_and(|e| e.open.is_some())
    }

    /// Looks at the coordinator of every transactional id: the event-log lines for those
    /// whose coordinator changed (moved, became unavailable, finished loading).
    pub fn observe(&mut self, cluster: &Cluster, now: SimTime) -> Vec<String> {
        let mut events = Vec::new();
        for (id, e) in &mut self.entries {
            let status = cluster.coordinator_status(
                CoordinatorKind::Transaction,
                e.coordinator_partition,
                now,
            );
            if let Some(before) = e.observed.replace(status)
                && let Some(text) =
                    status.transition_event(&before, &format!("transactional id '{id}'"))
            {
                events.push(text);
            }
        }
        events
    }
}

/// What a fenced producer's calls fail with.
fn fenced_error() -> KafkaError {
    KafkaError::new(
        ErrorCode::ProducerFenced,
        "the producer has been fenced by a newer instance with the same transactional.id",
    )
}

/// Shared counters the producers draw ids from.
#[derive(Clone, Debug, Default)]
pub struct Ids {
    pub next_batch: u64,
    pub next_producer: u64,
    /// Records produced so far per key (by key id), across every producer: the order a
    /// key's records were produced in, which consumers check they read them in.
    pub key_seq: Vec<u32>,
}

impl Ids {
    /// The next sequence number of `key`.
    #[inline]
    pub fn next_key_seq(&mut self, key: u32) -> u32 {
        let i = key as usize;
        if i >= self.key_seq.len() {
            self.key_seq.resize(i + 1, 0);
        }
        self.key_seq[i] += 1;
        self.key_seq[i]
    }
}

impl Producer {
    pub fn new(
        name: &str,
        client: u32,
        topic: &str,
        config: ProducerConfig,
        seed: u64,
        ids: &mut Ids,
        now: SimTime,
    ) -> Result<Producer> {
        let idempotent = config.effective_idempotence()?;
        let (producer_id, txn) = if config.transactional_id.is_some() {
            (NO_PRODUCER, TxnState::Uninitialized)
        } else if idempotent {
            ids.next_producer += 1;
            (ids.next_producer - 1, TxnState::Uninitialized)
        } else {
            (NO_PRODUCER, TxnState::Uninitialized)
        };
        Ok(Producer {
            name: name.to_string(),
            client,
            topic: topic.into(),
            sticky: StickyPartitioner::new(config.batch_size),
            config,
            idempotent,
            producer_id,
            epoch: 0,
            stats: ProducerStats::default(),
            metrics: MetricSet::default(),
            workload: None,
            txn,
            running: true,
            pending: BTreeMap::new(),
            next_sequence: BTreeMap::new(),
            buffered_bytes: 0,
            buffered_records: 0,
            known_partitions: 0,
            metadata_at: now,
            rng: SimRng::fork(seed, &format!("kafka-producer-{name}")),
            outcomes: BTreeMap::new(),
            lost_reported: 0,
            bump_pending: false,
            last_commit: now,
        })
    }

    /// A redeploy with new client configs: the same producer (name, workload, statistics),
    /// a new session. A new idempotent or transactional identity is drawn; batches not yet
    /// sent go out under the new settings. Batches sent to a leader that never answered are
    /// abandoned by the closing session: the application sees them fail.
    pub fn reconfigure(
        &mut self,
        config: ProducerConfig,
        ids: &mut Ids,
        now: SimTime,
    ) -> Result<()> {
        let idempotent = config.effective_idempotence()?;
        self.sticky = StickyPartitioner::new(config.batch_size);
        self.config = config;
        self.idempotent = idempotent;
        self.next_sequence.clear();
        self.epoch = 0;
        self.txn = TxnState::Uninitialized;
        self.producer_id = if idempotent && self.config.transactional_id.is_none() {
            ids.next_producer += 1;
            ids.next_producer - 1
        } else {
            NO_PRODUCER
        };
        let idempotent = self.idempotent;
        let mut abandoned = Vec::new();
        let mut next: BTreeMap<u32, u32> = BTreeMap::new();
        for (p, q) in &mut self.pending {
            let (unanswered, kept): (VecDeque<_>, VecDeque<_>) = std::mem::take(q)
                .into_iter()
                .partition(|b| matches!(b.flight, Flight::Unanswered { .. }));
            *q = kept;
            abandoned.extend(unanswered);
            for b in q.iter_mut() {
                if b.flight == Flight::Ready && idempotent {
                    let s = next.entry(*p).or_insert(0);
                    b.base_sequence = *s;
                    *s += b.count();
                }
            }
        }
        if idempotent {
            self.next_sequence = next;
        }
        for b in &abandoned {
            let closed = KafkaError::new(
                ErrorCode::ProducerClosed,
                "the producer was redeployed before the leader answered",
            );
            self.fail(b, closed, now);
        }
        Ok(())
    }

    pub fn is_transactional(&self) -> bool {
        self.config.transactional_id.is_some()
    }

    /// Work of this producer's next tick: a visit per partition with pending batches, a 512th
    /// for each batch there (one pass counts the sent ones; the scan stops at a held-back
    /// backlog), and half a unit per partition of
    /// the topic while a record-mode workload runs (it lays out a buffer per partition each
    /// tick); see [`crate::budget::WORK_PER_ADVANCE`].
    pub fn tick_work(&self) -> u64 {
        let batches: u64 = self.pending.values().map(|q| q.len() as u64).sum();
        let drawing = self.running
            && self
                .workload
                .as_ref()
                .is_some_and(|w| w.mode == GenMode::Record);
        let layout = if drawing {
            u64::from(self.known_partitions) / 2
        } else {
            0
        };
        1 + self.pending.len() as u64 + batches / 512 + layout
    }

    /// Records drawn one by one so far (sent or blocked; flow mode draws none).
    pub fn records_drawn(&self) -> u64 {
        match &self.workload {
            Some(w) if w.mode == GenMode::Record => self.stats.sent + self.stats.blocked,
            _ => 0,
        }
    }

    /// Records not yet acknowledged or failed.
    pub fn in_flight_records(&self) -> u64 {
        self.pending
            .values()
            .flatten()
            .map(|b| u64::from(b.count()))
            .sum()
    }

    /// Starts a workload on the producer's topic.
    pub fn start_workload(
        &mut self,
        rate_per_sec: u64,
        size: SizeDist,
        keys: Option<KeyDist>,
        mode: GenMode,
        table: &mut KeyTable,
        now: SimTime,
    ) -> Result<()> {
        check_record_rate(rate_per_sec, mode)?;
        let sampler = keys.clone().map(KeySampler::new);
        let mut key_ids = Vec::new();
        if let Some(dist) = keys.as_ref() {
            for i in 0..dist.slots() {
                key_ids.push(table.intern(&dist.key_name(i))?);
            }
        }
        self.workload = Some(Workload {
            rate_per_sec,
            size,
            keys,
            mode,
            pacer: Pacer::new(rate_per_sec, now),
            sampler,
            partition_of: Vec::new(),
            cache_partitions: 0,
            key_ids,
            flow_carry: BTreeMap::new(),
            flow_shares: Vec::new(),
            last_flow: now,
        });
        self.running = true;
        Ok(())
    }

    /// Changes the workload's rate from now on.
    pub fn set_rate(&mut self, rate_per_sec: u64, now: SimTime) -> Result<()> {
        let w = self.workload.as_mut().ok_or_else(|| {
            KafkaError::new(
                ErrorCode::InvalidRequest,
                format!("producer '{}' runs no workload", self.name),
            )
        })?;
        check_record_rate(rate_per_sec, w.mode)?;
        w.rate_per_sec = rate_per_sec;
        w.pacer = Pacer::new(rate_per_sec, now);
        Ok(())
    }

    /// `initTransactions`.
    pub fn init_transactions(
        &mut self,
        coordinator: &mut TxnCoordinator,
        ids: &mut Ids,
        cluster: &mut Cluster,
        now: SimTime,
    ) -> Result<()> {
        let Some(id) = self.config.transactional_id.clone() else {
            return Err(KafkaError::new(
                ErrorCode::InvalidTxnState,
                "the producer has no transactional.id",
            ));
        };
        let (pid, epoch) = coordinator.init(&id, &mut ids.next_producer, cluster, now)?;
        self.producer_id = pid;
        self.epoch = epoch;
        self.next_sequence.clear();
        self.txn = TxnState::Ready;
        Ok(())
    }

    pub fn begin_transaction(&mut self, now: SimTime) -> Result<()> {
        match self.txn {
            TxnState::Ready => {
                self.txn = TxnState::InTransaction { started: now };
                Ok(())
            }
            TxnState::Fenced => Err(fenced_error()),
            ref s => Err(KafkaError::new(
                ErrorCode::InvalidTxnState,
                format!("cannot begin a transaction in state {s:?}"),
            )),
        }
    }

    /// `sendOffsetsToTransaction`.
    pub fn send_offsets(
        &mut self,
        coordinator: &mut TxnCoordinator,
        cluster: &Cluster,
        offsets: TxnOffsets,
        now: SimTime,
    ) -> Result<()> {
        if !matches!(self.txn, TxnState::InTransaction { .. }) {
            return Err(KafkaError::new(
                ErrorCode::InvalidTxnState,
                "no transaction in progress",
            ));
        }
        let id = self.config.transactional_id.clone().unwrap_or_default();
        coordinator
            .add_offsets(&id, self.epoch, offsets, cluster, now)
            .inspect_err(|e| {
                if e.code == ErrorCode::ProducerFenced {
                    self.txn = TxnState::Fenced;
                }
            })
    }

    /// Asks to commit (or abort) the open transaction; it completes in [`Producer::tick`]
    /// once every batch is acknowledged (commit) and the markers are written.
    pub fn end_transaction(&mut self, commit: bool) -> Result<()> {
        match self.txn {
            TxnState::InTransaction { .. } => {
                self.txn = if commit {
                    TxnState::Committing
                } else {
                    TxnState::Aborting
                };
                if !commit {
                    // Unsent batches of an aborted transaction are dropped.
                    for q in self.pending.values_mut() {
                        q.retain(|b| b.flight != Flight::Ready || !b.transactional);
                    }
                }
                Ok(())
            }
            TxnState::Fenced => Err(fenced_error()),
            ref s => Err(KafkaError::new(
                ErrorCode::InvalidTxnState,
                format!("no transaction in progress (state {s:?})"),
            )),
        }
    }

    fn partitions_known(&mut self, cluster: &Cluster, now: SimTime) -> Result<u32> {
        if self.known_partitions == 0 || now.since(self.metadata_at) >= self.config.metadata_max_age
        {
            self.refresh_metadata(cluster, now);
        }
        if self.known_partitions == 0 {
            return Err(KafkaError::new(
                ErrorCode::UnknownTopicOrPartition,
                format!("Topic {} not present in metadata", self.topic),
            ));
        }
        Ok(self.known_partitions)
    }

    fn refresh_metadata(&mut self, cluster: &Cluster, now: SimTime) {
        self.known_partitions = cluster
            .topic(&self.topic)
            .map_or(0, |t| t.partitions.len() as u32);
        self.metadata_at = now;
    }

    /// One console send: a record with an optional key and a value (`None` = tombstone),
    /// optionally to a fixed partition. Returns the batch id to ask [`Producer::outcomes`].
    pub fn send(
        &mut self,
        key: Option<(u32, &str)>,
        value: Option<&str>,
        partition: Option<u32>,
        cluster: &Cluster,
        ids: &mut Ids,
        now: SimTime,
    ) -> Result<u64> {
        self.check_can_send()?;
        let count = self.partitions_known(cluster, now)?;
        let size = value.map_or(0, str::len) as u64 + key.map_or(0, |(_, k)| k.len()) as u64;
        let p = match (partition, key) {
            (Some(p), _) => {
                if p >= count {
                    return Err(KafkaError::new(
                        ErrorCode::UnknownTopicOrPartition,
                        format!(
                            "Partition {p} of topic {} with partition count {count} is not present in metadata",
                            self.topic
                        ),
                    ));
                }
                p
            }
            (None, Some((_, k))) => partition_for_key(k.as_bytes(), count),
            (None, None) => self.sticky.next(size, count, &mut self.rng),
        };
        let key_id = key.map_or(NO_KEY, |(id, _)| id);
        let seq = if key_id == NO_KEY {
            0
        } else {
            ids.next_key_seq(key_id)
        };
        let rec = Rec {
            offset_delta: 0,
            key: key_id,
            size: size as u32,
            key_seq: seq,
        };
        let id = self.enqueue(
            p,
            vec![rec],
            vec![value.map(Into::into)],
            0,
            0,
            size,
            ids,
            now,
        );
        self.outcomes.insert(id, SendOutcome::Pending);
        Ok(id)
    }

    fn check_can_send(&self) -> Result<()> {
        match self.txn {
            TxnState::Fenced => Err(fenced_error()),
            TxnState::InTransaction { .. } => Ok(()),
            _ if self.is_transactional() => Err(KafkaError::new(
                ErrorCode::InvalidTxnState,
                "Cannot call send in state READY: begin a transaction first",
            )),
            _ => Ok(()),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn enqueue(
        &mut self,
        partition: u32,
        records: Vec<Rec>,
        values: Vec<Option<Box<str>>>,
        flow_count: u32,
        flow_size: u32,
        bytes: u64,
        ids: &mut Ids,
        now: SimTime,
    ) -> u64 {
        let id = ids.next_batch;
        ids.next_batch += 1;
        let n = if records.is_empty() {
            flow_count
        } else {
            records.len() as u32
        };
        let base_sequence = if self.idempotent {
            let s = self.next_sequence.entry(partition).or_insert(0);
            let b = *s;
            *s += n;
            b
        } else {
            0
        };
        let mut records = records;
        for (i, r) in records.iter_mut().enumerate() {
            r.offset_delta = i as u32;
        }
        self.buffered_bytes += bytes;
        self.buffered_records += u64::from(n);
        self.stats.sent += u64::from(n);
        self.metrics
            .add(Metric::KafkaRecordsSent, now.as_secs(), u64::from(n));
        let transactional = self.is_transactional();
        self.pending
            .entry(partition)
            .or_default()
            .push_back(PendingBatch {
                id,
                partition,
                records,
                values,
                flow_count,
                flow_size,
                bytes,
                created: now,
                attempts: 0,
                next_try: now,
                flight: Flight::Ready,
                base_sequence,
                transactional,
                appended_before: None,
                timestamp: now,
                last_error: None,
            });
        id
    }

    /// Draws the workload's records due by `now` and enqueues one batch per partition.
    fn generate(&mut self, cluster: &Cluster, ids: &mut Ids, now: SimTime) {
        let Some(mut w) = self.workload.take() else {
            return;
        };
        if !self.running
            || (self.is_transactional() && !matches!(self.txn, TxnState::InTransaction { .. }))
        {
            // Keep pace (records not drawn while stopped are not owed later).
            w.pacer.due(now);
            w.last_flow = now;
            self.workload = Some(w);
            return;
        }
        let Ok(count) = self.partitions_known(cluster, now) else {
            let due = w.pacer.due(now);
            self.stats.blocked += due;
            self.workload = Some(w);
            return;
        };
        if w.mode == GenMode::Flow {
            self.generate_flow(&mut w, count, ids, now);
            self.workload = Some(w);
            return;
        }
        let due = w.pacer.due(now).min(RECORDS_PER_TICK_MAX);
        if due == 0 {
            self.workload = Some(w);
            return;
        }
        if w.cache_partitions != count {
            w.refresh_partition_cache(count);
        }
        // Each partition's share of the tick, reserved when it is more than one record (an
        // empty reservation would be an allocation per partition per tick).
        let share = (due / u64::from(count.max(1))) as usize;
        let reserve = if share >= 2 { share + share / 2 } else { 0 };
        let mut per_partition: Vec<Vec<Rec>> =
            (0..count).map(|_| Vec::with_capacity(reserve)).collect();
        let mut bytes = vec![0u64; count as usize];
        let room = self
            .config
            .buffer_memory
            .saturating_sub(self.buffered_bytes);
        let records_room =
            crate::budget::RECORDS_IN_FLIGHT_PER_PRODUCER.saturating_sub(self.buffered_records);
        let mut taken = 0u64;
        let mut taken_records = 0u64;
        let mut blocked = 0u64;
        for _ in 0..due {
            let size = w.size.sample(&mut self.rng);
            if taken + u64::from(size) > room || taken_records >= records_room {
                blocked += 1;
                continue;
            }
            taken += u64::from(size);
            taken_records += 1;
            let (p, key, seq) = match &w.sampler {
                Some(s) => {
                    let i = s.sample(&mut self.rng) as usize;
                    let key = w.key_ids[i];
                    (w.partition_of[i], key, ids.next_key_seq(key))
                }
                None => (
                    self.sticky.next(u64::from(size), count, &mut self.rng),
                    NO_KEY,
                    0,
                ),
            };
            per_partition[p as usize].push(Rec {
                offset_delta: 0,
                key,
                size,
                key_seq: seq,
            });
            bytes[p as usize] += u64::from(size);
        }
        if blocked > 0 {
            self.stats.blocked += blocked;
            self.metrics
                .add(Metric::KafkaRecordsBlocked, now.as_secs(), blocked);
        }
        for (p, recs) in per_partition.into_iter().enumerate() {
            if !recs.is_empty() {
                let b = bytes[p];
                self.enqueue(p as u32, recs, Vec::new(), 0, 0, b, ids, now);
            }
        }
        self.workload = Some(w);
    }

    fn generate_flow(&mut self, w: &mut Workload, count: u32, ids: &mut Ids, now: SimTime) {
        if now.since(w.last_flow) < SimDuration::from_secs(1) {
            return;
        }
        w.last_flow = now;
        let due = w.pacer.due(now);
        if w.cache_partitions != count || w.flow_shares.len() != count as usize {
            w.refresh_partition_cache(count);
            w.flow_shares = match &w.sampler {
                Some(sampler) => {
                    let mut shares = vec![0.0; count as usize];
                    for (i, prob) in sampler.probabilities().iter().enumerate() {
                        shares[w.partition_of[i] as usize] += prob;
                    }
                    shares
                }
                None => vec![1.0 / f64::from(count); count as usize],
            };
        }
        let shares = w.flow_shares.clone();
        let size = w.size.mean().round().max(1.0) as u32;
        for (p, share) in shares.iter().enumerate() {
            let carry = w.flow_carry.entry(p as u32).or_insert(0.0);
            let exact = due as f64 * share + *carry;
            let n = exact.floor();
            *carry = exact - n;
            let n = n as u64;
            if n == 0 {
                continue;
            }
            let room = self
                .config
                .buffer_memory
                .saturating_sub(self.buffered_bytes)
                / u64::from(size);
            let records_room =
                crate::budget::RECORDS_IN_FLIGHT_PER_PRODUCER.saturating_sub(self.buffered_records);
            let take = n.min(room).min(records_room).min(u64::from(u32::MAX));
            if take < n {
                self.stats.blocked = self.stats.blocked.saturating_add(n - take);
                self.metrics
                    .add(Metric::KafkaRecordsBlocked, now.as_secs(), n - take);
            }
            if take > 0 {
                self.enqueue(
                    p as u32,
                    Vec::new(),
                    Vec::new(),
                    take as u32,
                    size,
                    take * u64::from(size),
                    ids,
                    now,
                );
            }
        }
    }

    /// Generates, sends, retries and completes batches; ends transactions when asked.
    pub fn tick(
        &mut self,
        cluster: &mut Cluster,
        coordinator: &mut TxnCoordinator,
        ids: &mut Ids,
        groups_offsets: &mut TxnOffsets,
        now: SimTime,
    ) {
        if self.txn == TxnState::Initializing {
            // initTransactions blocks until the coordinator answers.
            let _ = self.init_transactions(coordinator, ids, cluster, now);
        }
        if self.is_transactional() && self.workload.is_some() && self.running {
            self.drive_generator_transactions(coordinator, now);
        }
        self.generate(cluster, ids, now);
        self.bump_epoch_when_idle();
        let partitions: Vec<u32> = self.pending.keys().copied().collect();
        for p in partitions {
            self.drive_partition(p, cluster, coordinator, now);
        }
        self.pending.retain(|_, q| !q.is_empty());
        match self.txn {
            TxnState::Committing | TxnState::Aborting => {
                let commit = self.txn == TxnState::Committing;
                let flushed = !commit || self.pending.is_empty();
                if flushed {
                    let id = self.config.transactional_id.clone().unwrap_or_default();
                    if coordinator.check(&id, self.epoch).is_err() {
                        self.fenced(now);
                    } else if let Ok(offsets) = coordinator.end(&id, commit, cluster, now) {
                        groups_offsets.extend(offsets);
                        self.txn = TxnState::Ready;
                        self.last_commit = now;
                    }
                }
            }
            _ => {}
        }
    }

    fn drive_generator_transactions(&mut self, coordinator: &mut TxnCoordinator, now: SimTime) {
        match self.txn {
            TxnState::Uninitialized
            | TxnState::Initializing
            | TxnState::Fenced
            | TxnState::Committing
            | TxnState::Aborting => {}
            TxnState::Ready => {
                let _ = self.begin_transaction(now);
            }
            TxnState::InTransaction { started } => {
                if now.since(started) >= TXN_COMMIT_INTERVAL {
                    let id = self.config.transactional_id.clone().unwrap_or_default();
                    if coordinator.check(&id, self.epoch).is_err() {
                        self.fenced(now);
                    } else {
                        let _ = self.end_transaction(true);
                    }
                }
            }
        }
    }

    fn fenced(&mut self, now: SimTime) {
        self.txn = TxnState::Fenced;
        let failed: Vec<PendingBatch> =
            self.pending.values_mut().flat_map(std::mem::take).collect();
        for b in failed {
            self.fail(&b, fenced_error(), now);
        }
    }

    /// Drives one partition's queue. The queue is taken out of `pending` while it is driven,
    /// so each batch is reached once by index, not looked up again for every step.
    /// (`fenced` may empty `pending` meanwhile; what the queue still holds then is failed by
    /// `drive_queue` itself.)
    fn drive_partition(
        &mut self,
        p: u32,
        cluster: &mut Cluster,
        coordinator: &mut TxnCoordinator,
        now: SimTime,
    ) {
        // Taken and put back in place: the map keeps its shape (emptied queues go at the
        // end of the tick), so no node is removed and inserted again.
        let Some(mut q) = self.pending.get_mut(&p).map(std::mem::take) else {
            return;
        };
        self.drive_queue(p, &mut q, cluster, coordinator, now);
        if let Some(slot) = self.pending.get_mut(&p) {
            *slot = q;
        }
    }

    #[allow(clippy::too_many_lines, clippy::many_single_char_names)]
    fn drive_queue(
        &mut self,
        p: u32,
        q: &mut VecDeque<PendingBatch>,
        cluster: &mut Cluster,
        coordinator: &mut TxnCoordinator,
        now: SimTime,
    ) {
        let topic = self.topic.clone();
        let mut in_flight = 0u32;
        let mut i = 0;
        let mut blocked_by_earlier = false;
        let mut send_failed = false;
        // Batches past the one visited that are sent (waiting or unanswered): the only ones
        // whose state can change without a send. Batches stand in creation order, so once a
        // ready batch is held back for a reason that holds for every later one, and none past
        // it is sent, the rest of a long backlog has nothing to do this tick.
        let mut sent_after = q.iter().filter(|b| b.flight != Flight::Ready).count();
        while let Some(head) = q.get(i) {
            // Copy what the checks need; the records are cloned only to be sent.
            let (flight, count, created, next_try) =
                (head.flight, head.count(), head.created, head.next_try);
            if flight != Flight::Ready {
                sent_after = sent_after.saturating_sub(1);
            }
            let outcome: Option<std::result::Result<(u64, bool), KafkaError>> = match flight {
                Flight::Waiting {
                    sent_at,
                    leader_epoch,
                    base_offset,
                    duplicate,
                } => {
                    let end = base_offset + u64::from(count);
                    match cluster.ack_state(&topic, p, leader_epoch, end) {
                        AckState::Committed => Some(Ok((base_offset, duplicate))),
                        AckState::Failed(code) => Some(Err(KafkaError::new(
                            code,
                            format!(
                                "the write to {topic}-{p} was not committed by the leader it was sent to"
                            ),
                        ))),
                        AckState::Pending if now.since(sent_at) >= self.config.request_timeout => {
                            Some(Err(KafkaError::new(
                                ErrorCode::RequestTimedOut,
                                format!(
                                    "Expiring records for {topic}-{p}: no acknowledgement within request.timeout.ms"
                                ),
                            )))
                        }
                        AckState::Pending => {
                            in_flight += 1;
                            None
                        }
                    }
                }
                Flight::Unanswered { until } => {
                    if now >= until {
                        Some(Err(KafkaError::new(
                            ErrorCode::RequestTimedOut,
                            format!(
                                "Disconnected from the leader of {topic}-{p}: request timed out"
                            ),
                        )))
                    } else {
                        in_flight += 1;
                        None
                    }
                }
                Flight::Ready => {
                    if now.since(created) >= self.config.delivery_timeout {
                        Some(Err(expiry_error(
                            count,
                            &topic,
                            p,
                            self.config.delivery_timeout,
                            head.attempts,
                            head.last_error.as_ref(),
                        )))
                    } else if now < next_try
                        || in_flight >= self.config.max_in_flight
                        || send_failed
                        || self.bump_pending
                        || (self.idempotent && blocked_by_earlier)
                    {
                        blocked_by_earlier = true;
                        // Every later batch is ready, newer (so not expired) and held back
                        // by the same in-flight limit, failed send, epoch bump or ordering.
                        if sent_after == 0
                            && (in_flight >= self.config.max_in_flight
                                || send_failed
                                || self.bump_pending
                                || self.idempotent)
                        {
                            break;
                        }
                        None
                    } else {
                        in_flight += 1;
                        let sent = self.send_batch(&mut q[i], p, cluster, coordinator, now);
                        // The next batches would meet the same error: they wait for the backoff.
                        send_failed = matches!(&sent, Some(Err(e)) if e.code.is_retriable());
                        sent
                    }
                }
            };
            let Some(outcome) = outcome else {
                i += 1;
                continue;
            };
            match outcome {
                Ok((base_offset, duplicate)) => {
                    let b = q.remove(i).expect("present");
                    self.complete(&b, p, base_offset, duplicate, cluster, now);
                }
                Err(e) => {
                    let code = e.code;
                    let current = q[i].clone();
                    if e.code.is_retriable()
                        || e.code == ErrorCode::OutOfOrderSequenceNumber && self.idempotent
                    {
                        let appended = match current.flight {
                            Flight::Waiting {
                                base_offset,
                                duplicate: false,
                                ..
                            } => Some(base_offset),
                            _ => current.appended_before,
                        };
                        let expired = now.since(current.created) >= self.config.delivery_timeout;
                        if current.attempts >= self.config.retries || expired {
                            let b = q.remove(i).expect("present");
                            let err = if expired {
                                expiry_error(
                                    b.count(),
                                    &topic,
                                    p,
                                    self.config.delivery_timeout,
                                    b.attempts,
                                    Some(&e),
                                )
                            } else {
                                e
                            };
                            self.fail(&b, err, now);
                        } else {
                            let entry = &mut q[i];
                            entry.flight = Flight::Ready;
                            entry.attempts += 1;
                            entry.next_try = now + self.config.retry_backoff;
                            entry.appended_before = appended;
                            entry.last_error = Some(e.clone());
                            self.stats.retried += u64::from(entry.count());
                            let n = u64::from(entry.count());
                            self.metrics
                                .add(Metric::KafkaRecordsRetried, now.as_secs(), n);
                            self.note_error(&e, n, now);
                            in_flight = in_flight.saturating_sub(1);
                            if self.idempotent {
                                // Later batches were sent past a gap: they come back in order.
                                blocked_by_earlier = true;
                            }
                            i += 1;
                        }
                        if matches!(
                            code,
                            ErrorCode::NotLeaderOrFollower
                                | ErrorCode::LeaderNotAvailable
                                | ErrorCode::NetworkException
                                | ErrorCode::UnknownTopicOrPartition
                        ) {
                            self.refresh_metadata(cluster, now);
                        }
                    } else {
                        let b = q.remove(i).expect("present");
                        if e.code == ErrorCode::ProducerFenced {
                            self.fail(&b, e, now);
                            self.fenced(now);
                            for b in std::mem::take(q) {
                                self.fail(&b, fenced_error(), now);
                            }
                            return;
                        }
                        self.fail(&b, e, now);
                    }
                }
            }
        }
    }

    /// Sends one batch; `Some` when its outcome is known at once.
    fn send_batch(
        &mut self,
        entry: &mut PendingBatch,
        p: u32,
        cluster: &mut Cluster,
        coordinator: &mut TxnCoordinator,
        now: SimTime,
    ) -> Option<std::result::Result<(u64, bool), KafkaError>> {
        let topic = self.topic.clone();
        if entry.transactional {
            let id = self.config.transactional_id.clone().unwrap_or_default();
            if let Err(e) = coordinator.add_partition(&id, self.epoch, (&topic, p), cluster, now) {
                return Some(Err(e));
            }
        }
        let writer = if self.producer_id == NO_PRODUCER {
            Writer::NONE
        } else {
            Writer {
                producer_id: self.producer_id,
                epoch: self.epoch,
                base_sequence: entry.base_sequence,
                transactional: entry.transactional,
            }
        };
        let batch = Batch {
            base_offset: 0,
            count: entry.count(),
            records: Records::from_recs(&entry.records),
            values: entry.values.clone(),
            payloads: Box::new([]),
            flow_size: entry.flow_size,
            bytes: entry.bytes,
            timestamp: entry.timestamp,
            writer,
            control: None,
            batch_id: entry.id,
            leader_epoch: 0,
            client: self.client,
            acked: false,
            cum_bytes: 0,
        };
        let acks = self.config.acks;
        let result = cluster.produce(&topic, p, acks, batch, now);
        match result {
            Ok(a) => match acks {
                Acks::All => {
                    entry.flight = Flight::Waiting {
                        sent_at: now,
                        leader_epoch: a.leader_epoch,
                        base_offset: a.base_offset,
                        duplicate: a.duplicate,
                    };
                    // Already committed (an ISR of one) completes on the next pass.
                    None
                }
                Acks::Leader | Acks::None => Some(Ok((a.base_offset, a.duplicate))),
            },
            Err(e) if acks == Acks::None && e.code == ErrorCode::RequestTimedOut => {
                // Written to the socket of a leader that will never process it.
                self.stats.dropped_unacked += u64::from(entry.count());
                Some(Ok((u64::MAX, true)))
            }
            Err(e) if e.code == ErrorCode::RequestTimedOut => {
                entry.flight = Flight::Unanswered {
                    until: now + self.config.request_timeout,
                };
                None
            }
            Err(e) => Some(Err(e)),
        }
    }

    fn complete(
        &mut self,
        b: &PendingBatch,
        p: u32,
        base_offset: u64,
        duplicate: bool,
        cluster: &mut Cluster,
        now: SimTime,
    ) {
        let n = u64::from(b.count());
        let sec = now.as_secs();
        self.buffered_bytes = self.buffered_bytes.saturating_sub(b.bytes);
        self.buffered_records = self.buffered_records.saturating_sub(u64::from(b.count()));
        self.stats.acked += n;
        self.metrics.add(Metric::KafkaRecordsAcked, sec, n);
        if base_offset != u64::MAX && !duplicate {
            cluster.mark_acked(&self.topic, p, base_offset);
            if let Some(prev) = b.appended_before {
                let survived = prev != base_offset
                    && cluster
                        .partition(&self.topic, p)
                        .is_ok_and(|x| x.log.holds_batch(prev, b.id));
                if survived {
                    self.stats.duplicated += n;
                    self.metrics.add(Metric::KafkaRecordsDuplicated, sec, n);
                }
            }
        }
        if let Some(o) = self.outcomes.get_mut(&b.id) {
            *o = SendOutcome::Acked {
                partition: p,
                offset: base_offset,
            };
        }
    }

    fn fail(&mut self, b: &PendingBatch, e: KafkaError, now: SimTime) {
        let n = u64::from(b.count());
        self.buffered_bytes = self.buffered_bytes.saturating_sub(b.bytes);
        self.buffered_records = self.buffered_records.saturating_sub(u64::from(b.count()));
        self.stats.failed += n;
        self.metrics
            .add(Metric::KafkaRecordsFailed, now.as_secs(), n);
        self.note_error(&e, n, now);
        if let Some(o) = self.outcomes.get_mut(&b.id) {
            *o = SendOutcome::Failed {
                partition: b.partition,
                error: e,
            };
        }
        if self.idempotent && !self.is_transactional() {
            self.bump_pending = true;
        }
    }

    /// After a batch fails for good, its sequence numbers leave a gap the broker would refuse
    /// every later batch for: the idempotent producer waits for its in-flight requests, then
    /// bumps its epoch and numbers what is still unacknowledged from 0 again (KIP-360, Kafka
    /// 2.5+). Sending stops until then.
    fn bump_epoch_when_idle(&mut self) {
        let in_flight = self
            .pending
            .values()
            .flatten()
            .any(|b| b.flight != Flight::Ready);
        if self.bump_pending && !in_flight {
            self.bump_pending = false;
            self.bump_epoch();
        }
    }

    fn bump_epoch(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
        self.next_sequence.clear();
        for (p, q) in &mut self.pending {
            let mut next = 0u32;
            for b in q.iter_mut() {
                b.base_sequence = next;
                next += b.count();
            }
            self.next_sequence.insert(*p, next);
        }
    }

    fn note_error(&mut self, e: &KafkaError, n: u64, now: SimTime) {
        *self.stats.errors.entry(e.code).or_default() += n;
        self.stats.last_error = Some((now, e.to_string()));
    }
}
