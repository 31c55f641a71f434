//! The embedded streaming engine (placeholder docs).

pub mod console;
pub mod cost;
pub mod faults;
pub mod kinesis;
pub mod metrics;
pub mod rng;
pub mod sched;
pub mod sim;
pub mod time;
pub mod workload;

pub use console::run_console;
