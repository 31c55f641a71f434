//! `streamdrill lab`: list, run headless with a script, print the schema, check lab files.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use super::{Cli, CliError, locations};
use crate::deck::files::read_deck_file;
use crate::shell::clock;

#[derive(Debug, Subcommand)]
pub enum LabCommand {
    /// List the bundled labs
    List {
        #[arg(long)]
        json: bool,
    },
    /// Run a lab with the learner's commands from a file (lines may start `at 30s:`); exit 0
    /// when the goal is met, 1 when not
    Run {
        id: String,
        #[arg(long)]
        script: PathBuf,
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Print the JSON Schema of lab files
    Schema,
    /// Check lab files; report every problem as path:line:column: message
    Check {
        /// Files or folders [default: the bundled labs]
        paths: Vec<PathBuf>,
    },
}

pub(super) fn lab_command(cli: &Cli, command: &LabCommand) -> Result<ExitCode, CliError> {
    use crate::labs::{bundled, lab_schema_json, parse_script, run};
    let labs = match bundled::labs() {
        Ok(labs) => labs,
        Err(problems) => {
            for p in problems {
                eprintln!("{p}");
            }
            return Ok(ExitCode::from(2));
        }
    };
    let mut out = io::stdout().lock();
    match command {
        LabCommand::Schema => write!(out, "{}", lab_schema_json())?,
        LabCommand::Check { paths } => return Ok(lab_check(paths, labs.len())),
        LabCommand::List { json } => {
            let width = labs.iter().map(|l| l.id.len()).max().unwrap_or(0);
            for lab in &labs {
                if *json {
                    let line = serde_json::json!({"id": lab.id, "title": lab.title, "system": lab.system, "duration": lab.duration, "cards": lab.cards});
                    writeln!(out, "{line}")?;
                } else {
                    writeln!(out, "{:<width$}  {}", lab.id, lab.title)?;
                }
            }
        }
        LabCommand::Run {
            id,
            script,
            json,
            seed,
        } => {
            let Some(lab) = labs.iter().find(|l| &l.id == id) else {
                eprintln!("no lab with id `{id}`; `streamdrill lab list` shows the ids");
                return Ok(ExitCode::from(2));
            };
            let text = std::fs::read_to_string(script).map_err(|source| CliError::File {
                path: script.display().to_string(),
                source,
            })?;
            let commands = match parse_script(&text) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("{}: {e}", script.display());
                    return Ok(ExitCode::from(2));
                }
            };
            let verdict = run(lab, &commands, *seed);
            store_lab_result(cli, &lab.id, &verdict);
            if *json {
                writeln!(
                    out,
                    "{}",
                    serde_json::to_string(&verdict).unwrap_or_default()
                )?;
            } else {
                writeln!(
                    out,
                    "{}: {}",
                    lab.id,
                    if verdict.passed {
                        "PASSED"
                    } else {
                        "NOT PASSED"
                    }
                )?;
                for p in &verdict.predicates {
                    writeln!(
                        out,
                        "  [{}] {}: {} = {} ({} {} over the last {})",
                        if p.met { "x" } else { " " },
                        p.name,
                        p.metric,
                        p.value,
                        p.op,
                        p.threshold,
                        p.window
                    )?;
                }
                for a in verdict
                    .actions
                    .iter()
                    .filter(|a| !a.allowed || a.reply.get("Error").is_some())
                {
                    writeln!(out, "  at {}: `{}`: {}", a.at, a.command, a.reply)?;
                }
                for e in &verdict.schedule_errors {
                    writeln!(out, "  lab error: {e}")?;
                }
                if verdict.passed {
                    writeln!(out, "\n{}", lab.debrief.text.trim())?;
                }
            }
            return Ok(if verdict.passed {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Checks lab files (or, with no path, reports on the bundled ones, already parsed).
fn lab_check(paths: &[PathBuf], bundled: usize) -> ExitCode {
    if paths.is_empty() {
        println!("{bundled} bundled lab(s) checked: no problems");
        return ExitCode::SUCCESS;
    }
    let mut problems = Vec::new();
    let mut checked = 0;
    for root in paths {
        let files: Vec<PathBuf> = if root.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(root)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                .collect();
            files.sort();
            files
        } else {
            vec![root.clone()]
        };
        for file in files {
            checked += 1;
            let label = file.display().to_string();
            match read_deck_file(&file) {
                Ok(source) => {
                    if let Err(found) = crate::labs::parse_lab(&label, &source) {
                        problems.extend(found);
                    }
                }
                Err(problem) => problems.push(problem),
            }
        }
    }
    for problem in &problems {
        println!("{problem}");
    }
    println!(
        "{checked} lab file(s) checked: {}",
        if problems.is_empty() {
            "no problems".to_owned()
        } else {
            format!("{} problem(s)", problems.len())
        }
    );
    if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Keeps a headless run's result for the stats; results never change card scheduling. A store
/// that cannot be opened costs the record, not the run.
fn store_lab_result(cli: &Cli, lab_id: &str, verdict: &crate::labs::Verdict) {
    let stored = locations(cli)
        .open_store()
        .map_err(|e| e.to_string())
        .and_then(|mut store| {
            store
                .record_lab_result(&crate::store::LabResult {
                    lab_id: lab_id.to_owned(),
                    finished_at: clock::now(),
                    passed: verdict.passed,
                    commands: u32::try_from(verdict.actions.len()).unwrap_or(u32::MAX),
                    hints: 0,
                })
                .map_err(|e| e.to_string())
        });
    if let Err(message) = stored {
        eprintln!("streamdrill: the lab result was not saved: {message}");
    }
}
