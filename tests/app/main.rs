//! The app's integration tests, one module per area, linked into one test binary (one link
//! of the app and its dependencies instead of one per file).

mod assignor_oracle;
mod cli;
mod content;
mod doors;
mod fuzz;
mod hostile;
mod labs;
mod labs_kafka;
mod loader;
mod numbers;
mod progress;
mod reliability;
mod rubric_audit;
mod rubrics;
mod scheduling;
mod store;
mod tmux_e2e;
mod tui;
mod tui_finder;
mod tui_lab;
mod tui_stats_view;
