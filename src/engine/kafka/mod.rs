//! Kafka on the engine core: the consumer-group side (assignors and the group coordinator).

pub mod assignor;
pub mod group;
