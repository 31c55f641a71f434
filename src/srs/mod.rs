//! Spaced repetition: which card comes back when, and what a session shows. Pure: states,
//! reviews and `now` come in as values.
//!
//! - [`scheduler`]: FSRS (the `fsrs` crate Anki uses).
//! - [`queue`]: which items a session shows, in what order.
//! - [`session`]: the drill session state machine (answer, reveal, grade, next).
//! - [`optimize`]: fitting FSRS to the learner's own reviews.
//! - [`planner`]: the pace and retention that get every card learned by an interview date.
//! - [`stats`]: progress figures.
//! - [`synthetic`]: deterministic review histories for tests and benchmarks.

pub mod optimize;
pub mod planner;
pub mod queue;
pub mod scheduler;
pub mod session;
pub mod stats;
pub mod synthetic;
