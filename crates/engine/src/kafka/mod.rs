//! The Kafka model of the embedded engine (part 2), on the same deterministic core as
//! Kinesis: brokers, controller (KRaft or ZooKeeper), topics and replicated partition logs,
//! producers (acks, retries, idempotence, transactions), consumer groups, the group and
//! transaction coordinators (placed on the leaders of virtual internal-topic partitions, and
//! failing over with them) and the log cleaner.

pub mod assignor;
pub mod classic;
pub mod cluster;
pub mod consumer;
pub mod coordinator;
pub mod error;
pub mod group;
pub mod log;
pub mod partitioner;
pub mod processor;
pub mod producer;
pub mod records;
pub mod wire;
pub mod world;

use error::{ErrorCode, KafkaError};
use std::collections::HashMap;

/// A client's `*.ms` config value: Kafka's are ints, so a value past `i32::MAX` is refused.
pub(crate) fn client_ms(value: &str) -> Option<crate::time::SimDuration> {
    value
        .parse::<u64>()
        .ok()
        .filter(|&n| i32::try_from(n).is_ok())
        .map(crate::time::SimDuration::from_millis)
}

/// Distinct record keys one simulation may hold.
pub const KEYS_MAX: usize = 2_000_000;

/// Interned record keys: a record stores a 4-byte id, not its key.
#[derive(Clone, Debug, Default)]
pub struct KeyTable {
    names: Vec<Box<str>>,
    index: HashMap<Box<str>, u32>,
}

impl KeyTable {
    pub fn intern(&mut self, name: &str) -> Result<u32, KafkaError> {
        if let Some(&id) = self.index.get(name) {
            return Ok(id);
        }
        if self.names.len() >= KEYS_MAX {
            return Err(KafkaError::new(
                ErrorCode::InvalidRequest,
                format!("the simulator holds at most {KEYS_MAX} distinct keys"),
            ));
        }
        let id = self.names.len() as u32;
        self.names.push(name.into());
        self.index.insert(name.into(), id);
        Ok(id)
    }

    /// The key's text; `None` for a record without a key.
    pub fn name(&self, id: u32) -> Option<&str> {
        self.names.get(id as usize).map(AsRef::as_ref)
    }
}
