//! The shell: the edges that read the clock, files, the environment and standard streams, and
//! hand values to the pure core.
//!
//! - [`cli`]: argument parsing and one function per command.
//! - [`plain`]: the line protocol on stdin/stdout for scripts, screen readers and tests.
//! - [`workspace`]: everything a command works with (config, decks, store, scheduler).
//! - [`startup`]: the TUI app built from the workspace, ready for its first frame.
//! - [`config`], [`paths`]: configuration and where data lives.
//! - [`clock`]: the one place that reads the wall clock.

pub mod cli;
pub mod clock;
pub mod config;
pub mod paths;
pub mod plain;
pub mod startup;
pub mod workspace;
