//! `streamdrill lab`: list, run headless with a script, print the schema, check lab files.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use streamdrill_engine::console::terminal_safe_json;

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
    use crate::labs::{bundled, lab_schema_json};
    let labs = match bundled::labs() {
        Ok(labs) => labs,
        Err(problems) => {
            for p in problems {
                super::complain(&p.to_string());
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
        } => return lab_run(cli, &labs, id, script, *json, *seed),
    }
    Ok(ExitCode::SUCCESS)
}

/// Exit code of a run whose goal was met.
const EXIT_PASSED: u8 = 0;
/// Exit code of a run that ended with the goal not met.
const EXIT_NOT_PASSED: u8 = 1;
/// Exit code when nothing ran: an unknown lab, or a script that cannot be read or parsed.
const EXIT_BAD_INPUT: u8 = 2;
/// Largest script file read: a thousand commands of a few hundred bytes each, with room.
const SCRIPT_FILE_BYTES_MAX: u64 = 1024 * 1024;

/// Why a headless run did not start: the `code` names the case for scripts reading `--json`.
struct RunRefused {
    code: &'static str,
    message: String,
}

/// Runs a lab headless. With `--json` stdout carries exactly one JSON object whatever
/// happens: the verdict, or `{"lab", "error": {"code", "message"}}` when nothing ran.
fn lab_run(
    cli: &Cli,
    labs: &[crate::labs::Lab],
    id: &str,
    script: &std::path::Path,
    json: bool,
    seed: u64,
) -> Result<ExitCode, CliError> {
    let mut out = io::stdout().lock();
    let prepared = labs
        .iter()
        .find(|l| l.id == id)
        .ok_or_else(|| RunRefused {
            code: "unknown_lab",
            message: format!("no lab with id `{id}`; `streamdrill lab list` shows the ids"),
        })
        .and_then(|lab| read_script(script).map(|commands| (lab, commands)));
    let (lab, commands) = match prepared {
        Ok(prepared) => prepared,
        Err(refused) => {
            if json {
                let error = serde_json::json!({
                    "lab": id,
                    "error": {"code": refused.code, "message": crate::text::sanitize_line(&refused.message)},
                });
                writeln!(out, "{}", terminal_safe_json(&error.to_string()))?;
            } else {
                super::complain(&refused.message);
            }
            return Ok(ExitCode::from(EXIT_BAD_INPUT));
        }
    };
    let verdict = crate::labs::run(lab, &commands, seed);
    let commands = u32::try_from(verdict.actions.len()).unwrap_or(u32::MAX);
    store_lab_result(cli, &lab.id, verdict.passed, commands, 0);
    if json {
        let verdict_json = serde_json::to_string(&verdict).unwrap_or_default();
        writeln!(out, "{}", terminal_safe_json(&verdict_json))?;
    } else {
        write_verdict(&mut out, lab, &verdict)?;
    }
    Ok(ExitCode::from(if verdict.passed {
        EXIT_PASSED
    } else {
        EXIT_NOT_PASSED
    }))
}

/// `streamdrill serve`: the doors, on a free simulation or on a bundled lab whose result is
/// stored as a lab screen's run is.
pub(super) fn serve(cli: &Cli, args: &super::ServeArgs) -> Result<ExitCode, CliError> {
    use crate::doors::serve::{ServeOptions, serve};
    let lab = match &args.lab {
        None => None,
        Some(id) => {
            let labs = match crate::labs::bundled::labs() {
                Ok(labs) => labs,
                Err(problems) => {
                    for p in problems {
                        super::complain(&p.to_string());
                    }
                    return Ok(ExitCode::from(EXIT_BAD_INPUT));
                }
            };
            let Some(lab) = labs.into_iter().find(|l| &l.id == id) else {
                super::complain(&format!(
                    "streamdrill: no lab with id `{id}`; `streamdrill lab list` shows the ids"
                ));
                return Ok(ExitCode::from(EXIT_BAD_INPUT));
            };
            Some(lab)
        }
    };
    let lab_id = lab.as_ref().map(|l| l.id.clone());
    let ended = serve(ServeOptions {
        kinesis: args.kinesis,
        kafka: args.kafka,
        brokers: args.brokers,
        lab,
        speed: args.speed,
        seed: args.seed,
        now_unix_seconds: u64::try_from(clock::now().timestamp()).unwrap_or(0),
    })?;
    match (lab_id, ended) {
        (Some(id), Some(end)) => {
            store_lab_result(cli, &id, end.passed, end.commands, end.hints);
            Ok(ExitCode::from(if end.passed {
                EXIT_PASSED
            } else {
                EXIT_NOT_PASSED
            }))
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// Reads and parses a script file; bytes that are not UTF-8 are an error at their line and
/// column, not a failure without a location.
fn read_script(
    script: &std::path::Path,
) -> Result<Vec<(streamdrill_engine::time::SimDuration, String)>, RunRefused> {
    use std::io::Read;
    let label = script.display().to_string();
    let unreadable = |e: io::Error| RunRefused {
        code: "script_unreadable",
        message: format!("{label}: {e}"),
    };
    let mut bytes = Vec::new();
    std::fs::File::open(script)
        .map_err(unreadable)?
        .take(SCRIPT_FILE_BYTES_MAX + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > SCRIPT_FILE_BYTES_MAX {
        return Err(RunRefused {
            code: "script_too_large",
            message: format!("{label}: a script is limited to {SCRIPT_FILE_BYTES_MAX} bytes"),
        });
    }
    let text = crate::labs::decode_script(&bytes).map_err(|message| RunRefused {
        code: "script_invalid",
        message: format!("{label}: {message}"),
    })?;
    crate::labs::parse_script(text).map_err(|message| RunRefused {
        code: "script_invalid",
        message: format!("{label}: {message}"),
    })
}

/// The human-readable verdict. Commands and replies quote the script, so they pass through
/// the one line sanitiser the diagnostics use.
fn write_verdict(
    out: &mut impl Write,
    lab: &crate::labs::Lab,
    verdict: &crate::labs::Verdict,
) -> io::Result<()> {
    use crate::text::sanitize_line;
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
        writeln!(
            out,
            "  at {}: `{}`: {}",
            a.at,
            sanitize_line(&a.command),
            sanitize_line(&a.reply.to_string())
        )?;
    }
    for e in &verdict.schedule_errors {
        writeln!(out, "  lab error: {}", sanitize_line(e))?;
    }
    if verdict.passed {
        writeln!(out, "\n{}", lab.debrief.text.trim())?;
    }
    Ok(())
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
fn store_lab_result(cli: &Cli, lab_id: &str, passed: bool, commands: u32, hints: u32) {
    let stored = locations(cli)
        .open_store()
        .map_err(|e| e.to_string())
        .and_then(|mut store| {
            store
                .record_lab_result(&crate::store::LabResult {
                    lab_id: lab_id.to_owned(),
                    finished_at: clock::now(),
                    passed,
                    commands,
                    hints,
                })
                .map_err(|e| e.to_string())
        });
    if let Err(message) = stored {
        super::complain(&format!(
            "streamdrill: the lab result was not saved: {message}"
        ));
    }
}
