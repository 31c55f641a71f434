//! A transactional producer's requests: AddPartitionsToTxn, AddOffsetsToTxn, EndTxn (v0-v2)
//! and TxnOffsetCommit (v0-v2), the non-flexible versions, read off the wire and answered
//! through the engine's transaction coordinator. In a lab the cluster is the lab's: a
//! transactional id is refused.

use streamdrill_engine::api::kafka_txn as api;
use streamdrill_engine::kafka::error::KafkaError;
use streamdrill_engine::kafka::world::Kafka;

use super::protocol::{code, error_code};
use super::wire::{Reader, WireError, Writer};
use crate::doors::Served;

pub const API_ADD_PARTITIONS_TO_TXN: i16 = 24;
pub const API_ADD_OFFSETS_TO_TXN: i16 = 25;
pub const API_END_TXN: i16 = 26;
pub const API_TXN_OFFSET_COMMIT: i16 = 28;

pub const SUPPORTED: [(i16, i16, i16); 4] = [
    (API_ADD_PARTITIONS_TO_TXN, 0, 2),
    (API_ADD_OFFSETS_TO_TXN, 0, 2),
    (API_END_TXN, 0, 2),
    (API_TXN_OFFSET_COMMIT, 0, 2),
];

const TRANSACTIONAL_ID_AUTHORIZATION_FAILED: i16 = 53;

/// A transactional id with the producer id and epoch the request names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Producer {
    pub transactional_id: String,
    pub producer_id: i64,
    pub epoch: i16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxnRequest {
    AddPartitions {
        producer: Producer,
        topics: Vec<(String, Vec<i32>)>,
    },
    AddOffsets {
        producer: Producer,
        group: String,
    },
    End {
        producer: Producer,
        commit: bool,
    },
    OffsetCommit {
        producer: Producer,
        group: String,
        /// Per topic: partition and offset.
        topics: Vec<(String, Vec<(i32, i64)>)>,
    },
}

fn producer(r: &mut Reader<'_>, transactional_id: String) -> Result<Producer, WireError> {
    Ok(Producer {
        transactional_id,
        producer_id: r.i64()?,
        epoch: r.i16()?,
    })
}

pub fn parse(r: &mut Reader<'_>, api: i16, v: i16) -> Result<TxnRequest, WireError> {
    Ok(match api {
        API_ADD_PARTITIONS_TO_TXN => {
            let id = r.string()?;
            let producer = producer(r, id)?;
            let mut topics = Vec::new();
            for _ in 0..r.array_len(6)?.unwrap_or(0) {
                let name = r.string()?;
                let mut partitions = Vec::new();
                for _ in 0..r.array_len(4)?.unwrap_or(0) {
                    partitions.push(r.i32()?);
                }
                topics.push((name, partitions));
            }
            TxnRequest::AddPartitions { producer, topics }
        }
        API_ADD_OFFSETS_TO_TXN => {
            let id = r.string()?;
            let producer = producer(r, id)?;
            TxnRequest::AddOffsets {
                producer,
                group: r.string()?,
            }
        }
        API_END_TXN => {
            let id = r.string()?;
            let producer = producer(r, id)?;
            TxnRequest::End {
                producer,
                commit: r.i8()? != 0,
            }
        }
        API_TXN_OFFSET_COMMIT => {
            let id = r.string()?;
            let group = r.string()?;
            let producer = producer(r, id)?;
            let mut topics = Vec::new();
            for _ in 0..r.array_len(6)?.unwrap_or(0) {
                let name = r.string()?;
                let mut partitions = Vec::new();
                for _ in 0..r.array_len(14)?.unwrap_or(0) {
                    let index = r.i32()?;
                    let offset = r.i64()?;
                    if v >= 2 {
                        let _leader_epoch = r.i32()?;
                    }
                    let _metadata = r.nullable_string()?;
                    partitions.push((index, offset));
                }
                topics.push((name, partitions));
            }
            TxnRequest::OffsetCommit {
                producer,
                group,
                topics,
            }
        }
        _ => return Err(WireError(format!("API {api} is not a transaction API"))),
    })
}

/// Runs `f` on the cluster; in a lab (or with no cluster) the request is refused.
fn on_cluster<T>(
    served: &Served,
    f: impl FnOnce(&mut Kafka, streamdrill_engine::SimTime) -> Result<T, KafkaError>,
) -> Result<T, i16> {
    served.with(|world| {
        if !world.kafka_writable() {
            return Err(TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
        }
        match world.kafka() {
            Some((kafka, now)) => f(kafka, now).map_err(|e| {
                eprintln!(
                    "kafka door: a transaction request refused: {}",
                    crate::text::sanitize_line(&e.to_string())
                );
                error_code(e.code)
            }),
            None => Err(code::UNKNOWN_SERVER_ERROR),
        }
    })
}

/// Per topic, per partition: the error code.
fn partition_results(
    w: &mut Writer,
    topics: &[(String, Vec<i32>)],
    mut code_of: impl FnMut(usize) -> i16,
) {
    w.array_len(topics.len());
    let mut n = 0;
    for (name, partitions) in topics {
        w.string(name).array_len(partitions.len());
        for p in partitions {
            w.i32(*p).i16(code_of(n));
            n += 1;
        }
    }
}

fn flatten(topics: &[(String, Vec<i32>)]) -> Vec<(String, u32)> {
    topics
        .iter()
        .flat_map(|(t, ps)| {
            ps.iter()
                .map(move |p| (t.clone(), u32::try_from(*p).unwrap_or(u32::MAX)))
        })
        .collect()
}

pub fn answer(served: &Served, broker: u32, request: TxnRequest) -> Vec<u8> {
    let mut w = Writer::default();
    w.i32(0);
    match request {
        TxnRequest::AddPartitions { producer, topics } => {
            let partitions = flatten(&topics);
            let result = on_cluster(served, |kafka, now| {
                api::add_partitions(
                    kafka,
                    broker,
                    &producer.transactional_id,
                    (producer.producer_id, producer.epoch),
                    &partitions,
                    now,
                )
            });
            partition_results(&mut w, &topics, |i| match &result {
                Ok(each) => each
                    .get(i)
                    .and_then(|r| r.as_ref().err())
                    .map_or(code::NONE, |e| error_code(e.code)),
                Err(code) => *code,
            });
        }
        TxnRequest::AddOffsets { producer, group } => {
            let result = on_cluster(served, |kafka, now| {
                api::add_offsets(
                    kafka,
                    broker,
                    &producer.transactional_id,
                    (producer.producer_id, producer.epoch),
                    &group,
                    now,
                )
            });
            w.i16(result.err().unwrap_or(code::NONE));
        }
        TxnRequest::End { producer, commit } => {
            let result = on_cluster(served, |kafka, now| {
                api::end_txn(
                    kafka,
                    broker,
                    &producer.transactional_id,
                    (producer.producer_id, producer.epoch),
                    commit,
                    now,
                )
            });
            w.i16(result.err().unwrap_or(code::NONE));
        }
        TxnRequest::OffsetCommit {
            producer,
            group,
            topics,
        } => {
            let offsets: Vec<(String, u32, i64)> = topics
                .iter()
                .flat_map(|(t, ps)| {
                    ps.iter()
                        .map(move |(p, o)| (t.clone(), u32::try_from(*p).unwrap_or(u32::MAX), *o))
                })
                .collect();
            let result = on_cluster(served, |kafka, now| {
                api::txn_offset_commit(
                    kafka,
                    broker,
                    &producer.transactional_id,
                    &group,
                    (producer.producer_id, producer.epoch),
                    &offsets,
                    now,
                )
            });
            let shape: Vec<(String, Vec<i32>)> = topics
                .iter()
                .map(|(t, ps)| (t.clone(), ps.iter().map(|(p, _)| *p).collect()))
                .collect();
            partition_results(&mut w, &shape, |i| match &result {
                Ok(each) => each
                    .get(i)
                    .and_then(|r| r.as_ref().err())
                    .map_or(code::NONE, |e| error_code(e.code)),
                Err(code) => *code,
            });
        }
    }
    w.buf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn txn_offset_commit_reads_the_leader_epoch_from_v2() {
        for v in 0..=2 {
            let mut w = Writer::default();
            w.string("tx").string("g").i64(1000).i16(3);
            w.array_len(1).string("in").array_len(1).i32(0).i64(42);
            if v >= 2 {
                w.i32(-1);
            }
            w.nullable_string(None);
            let r = parse(&mut Reader::new(&w.buf), API_TXN_OFFSET_COMMIT, v).unwrap();
            assert_eq!(
                r,
                TxnRequest::OffsetCommit {
                    producer: Producer {
                        transactional_id: "tx".into(),
                        producer_id: 1000,
                        epoch: 3
                    },
                    group: "g".into(),
                    topics: vec![("in".into(), vec![(0, 42)])],
                },
                "v{v}"
            );
            for n in 0..w.buf.len() {
                assert!(parse(&mut Reader::new(&w.buf[..n]), API_TXN_OFFSET_COMMIT, v).is_err());
            }
        }
    }
}
