use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    streamdrill::shell::cli::run(&streamdrill::shell::cli::Cli::parse())
}
