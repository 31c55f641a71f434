//! The transaction coordinator's side of the protocol for a real client's transactional
//! producer: InitProducerId with a `transactional.id` (a new epoch that fences older
//! instances and aborts what they left open), AddPartitionsToTxn, AddOffsetsToTxn,
//! TxnOffsetCommit (to the group's coordinator) and EndTxn, which writes the COMMIT or ABORT
//! markers that `read_committed` consumers filter on. The same coordinator serves the
//! simulation's own transactional producers, so both meet its failover alike.

use super::kafka::coordinates;
use crate::kafka::cluster::BrokerId;
use crate::kafka::coordinator::CoordinatorKind;
use crate::kafka::error::{ErrorCode, KafkaError, Result};
use crate::kafka::world::Kafka;
use crate::time::{SimDuration, SimTime};

/// The broker's `transaction.max.timeout.ms` (15 minutes).
pub const TRANSACTION_TIMEOUT_MAX: SimDuration = SimDuration::from_secs(900);

fn epoch_of(epoch: i16) -> Result<u16> {
    u16::try_from(epoch)
        .map_err(|_| KafkaError::new(ErrorCode::InvalidRequest, format!("producer epoch {epoch}")))
}

fn producer_of(id: i64) -> Result<u64> {
    u64::try_from(id).map_err(|_| {
        KafkaError::new(
            ErrorCode::InvalidProducerIdMapping,
            format!("producer id {id}"),
        )
    })
}

/// A request of `transactional_id`'s producer sent to `broker`: the id's coordinator must be
/// there, and the producer id and epoch its current ones. Returns the epoch.
fn checked(
    kafka: &Kafka,
    broker: BrokerId,
    transactional_id: &str,
    (producer_id, epoch): (i64, i16),
    now: SimTime,
) -> Result<u16> {
    coordinates(
        kafka,
        CoordinatorKind::Transaction,
        broker,
        transactional_id,
        now,
    )?;
    let epoch = epoch_of(epoch)?;
    kafka
        .coordinator
        .check_producer(transactional_id, producer_of(producer_id)?, epoch)?;
    Ok(epoch)
}

/// InitProducerId for `transactional_id`: the id's producer id and its new epoch.
pub fn init_transactional(
    kafka: &mut Kafka,
    broker: BrokerId,
    transactional_id: &str,
    timeout_ms: i32,
    now: SimTime,
) -> Result<(u64, u16)> {
    coordinates(
        kafka,
        CoordinatorKind::Transaction,
        broker,
        transactional_id,
        now,
    )?;
    let timeout = SimDuration::from_millis(u64::try_from(timeout_ms).unwrap_or(0));
    if timeout.as_micros() == 0 || timeout > TRANSACTION_TIMEOUT_MAX {
        return Err(KafkaError::new(
            ErrorCode::InvalidTransactionTimeout,
            format!(
                "transaction.timeout.ms {timeout_ms} is not within 1..{} (transaction.max.timeout.ms)",
                TRANSACTION_TIMEOUT_MAX.as_millis()
            ),
        ));
    }
    let Kafka {
        coordinator,
        ids,
        cluster,
        ..
    } = kafka;
    let got = coordinator.init(transactional_id, &mut ids.next_producer, cluster, now)?;
    coordinator.set_client_timeout(transactional_id, timeout);
    Ok(got)
}

/// AddPartitionsToTxn: an answer per partition.
pub fn add_partitions(
    kafka: &mut Kafka,
    broker: BrokerId,
    transactional_id: &str,
    (producer_id, epoch): (i64, i16),
    partitions: &[(String, u32)],
    now: SimTime,
) -> Result<Vec<Result<()>>> {
    let epoch = checked(kafka, broker, transactional_id, (producer_id, epoch), now)?;
    Ok(partitions
        .iter()
        .map(|(topic, p)| {
            kafka.cluster.partition(topic, *p)?;
            kafka.coordinator.add_partition(
                transactional_id,
                epoch,
                (topic, *p),
                &kafka.cluster,
                now,
            )
        })
        .collect())
}

/// AddOffsetsToTxn: the group's offsets will be part of the transaction.
pub fn add_offsets(
    kafka: &mut Kafka,
    broker: BrokerId,
    transactional_id: &str,
    (producer_id, epoch): (i64, i16),
    group: &str,
    now: SimTime,
) -> Result<()> {
    let epoch = checked(kafka, broker, transactional_id, (producer_id, epoch), now)?;
    let (_, status) = kafka
        .cluster
        .coordinator_of(CoordinatorKind::Group, group, now);
    if let Some(e) = status.error(
        CoordinatorKind::Group,
        CoordinatorKind::Group.partition_for(group),
        group,
    ) {
        return Err(e);
    }
    kafka
        .coordinator
        .add_offsets(transactional_id, epoch, Vec::new(), &kafka.cluster, now)
}

/// TxnOffsetCommit, sent to the group's coordinator: the offsets wait for the transaction's
/// COMMIT marker (an abort drops them). An answer per partition.
pub fn txn_offset_commit(
    kafka: &mut Kafka,
    broker: BrokerId,
    transactional_id: &str,
    group: &str,
    (producer_id, epoch): (i64, i16),
    offsets: &[(String, u32, i64)],
    now: SimTime,
) -> Result<Vec<Result<()>>> {
    coordinates(kafka, CoordinatorKind::Group, broker, group, now)?;
    let epoch = epoch_of(epoch)?;
    kafka
        .coordinator
        .check_producer(transactional_id, producer_of(producer_id)?, epoch)?;
    Ok(offsets
        .iter()
        .map(|(topic, p, offset)| {
            kafka.cluster.partition(topic, *p)?;
            let offset = u64::try_from(*offset).map_err(|_| {
                KafkaError::new(ErrorCode::InvalidRequest, format!("offset {offset}"))
            })?;
            kafka.coordinator.add_offsets(
                transactional_id,
                epoch,
                vec![(group.to_string(), topic.clone(), *p, offset)],
                &kafka.cluster,
                now,
            )
        })
        .collect())
}

/// EndTxn: COMMIT or ABORT markers on every partition of the transaction; on commit its
/// offsets reach their groups.
pub fn end_txn(
    kafka: &mut Kafka,
    broker: BrokerId,
    transactional_id: &str,
    (producer_id, epoch): (i64, i16),
    commit: bool,
    now: SimTime,
) -> Result<()> {
    checked(kafka, broker, transactional_id, (producer_id, epoch), now)?;
    let offsets = kafka
        .coordinator
        .end(transactional_id, commit, &mut kafka.cluster, now)?;
    for (group, topic, partition, offset) in offsets {
        kafka.commit_transactional(
            &group,
            crate::kafka::assignor::TopicPartition::new(&topic, partition),
            offset,
            now,
        );
    }
    Ok(())
}
