//! streamdrill: drill Kafka vs Kinesis system-design interviews in the terminal.
//!
//! The pure core takes time and input as values; the shell reads the clock, files, the terminal
//! and the environment and hands values in. By folder:
//!
//! - [`deck`]: the content: deck and card model, parsing with located diagnostics, the library
//!   of loaded decks, drill items, the bundled decks and the JSON Schema.
//! - [`grading`]: how a typed answer compares with its card (rubric matching, verdict, choice
//!   and number checks) and the grade the evidence suggests.
//! - [`srs`]: spaced repetition: the FSRS scheduler, the session queue, the drill session state
//!   machine, the optimizer, the interview planner, stats and synthetic histories.
//! - [`store`]: progress in SQLite (migrations, the append-only review log, export/import).
//! - [`labs`]: hands-on exercises on the engine (`streamdrill-engine`, `crates/engine`).
//! - [`tui`]: the terminal UI as a state machine with a pure `render`; [`tui::terminal`] is its
//!   shell.
//! - [`shell`]: the edges: the CLI, plain mode, paths, configuration, the clock, and the
//!   workspace that assembles them for a command.
//! - [`doors`]: the front doors: real clients (boto3, the AWS CLI) reach the engine over
//!   127.0.0.1 (`streamdrill serve`).
//! - [`text`]: sanitising untrusted text before it can reach a terminal.

pub mod deck;
pub mod doors;
pub mod grading;
pub mod labs;
pub mod shell;
pub mod srs;
pub mod store;
pub mod text;
pub mod tui;
