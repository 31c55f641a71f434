//! The services' own APIs, shaped as their wire protocols shape them: requests and responses
//! as the JSON a real client sends and reads. The console translates its CLI-shaped commands
//! into these requests, and the network front doors decode them off the wire, so both reach
//! the engine through one piece and give the same answers.
//!
//! No I/O and no clock here: time is the simulation's own.

pub mod kafka;
pub mod kafka_groups;
pub mod kafka_txn;
pub mod kinesis;
