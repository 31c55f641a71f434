//! The Kafka model of the embedded engine (part 2), on the same deterministic core as
//! Kinesis: brokers, controller (KRaft or ZooKeeper), topics and replicated partition logs,
//! producers (acks, retries, idempotence, transactions), consumer groups and the log cleaner.

pub mod cluster;
pub mod error;
pub mod log;
pub mod partitioner;
