//! The engine's integration tests, one module per area, linked into one test binary.

mod api_kafka;
mod api_kafka_groups;
mod api_kinesis;
mod budget;
mod console;
mod console_fuzz;
mod firehose;
mod kafka;
mod kafka_console;
mod kafka_coordinator;
mod kafka_props;
mod kcl;
mod kinesis;
mod props;
