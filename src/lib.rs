//! streamdrill: drill Kafka vs Kinesis system-design interviews in the terminal.
//!
//! The pure core (deck model, rubric matching, scheduler, queue, session, TUI state machine)
//! takes time and input as values; the shell (CLI, terminal, files, SQLite, clock) sits at the
//! edges in [`cli`], [`tui::terminal`], [`deck::files`], [`store`] and [`clock`].

pub mod bundled;
pub mod cli;
pub mod clock;
pub mod config;
pub mod deck;
pub mod labs;
pub mod optimize;
pub mod paths;
pub mod plain;
pub mod planner;
pub mod queue;
pub mod rubric;
pub mod scheduler;
pub mod session;
pub mod stats;
pub mod store;
pub mod synthetic;
pub mod text;
pub mod tui;
pub mod workspace;
