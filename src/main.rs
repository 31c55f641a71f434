use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    streamdrill::cli::run(&streamdrill::cli::Cli::parse())
}
