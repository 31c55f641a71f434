//! Command-line interface: argument parsing and one function per command. This is the shell:
//! it reads files, the environment and the clock, and hands values to the pure core.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use serde::Serialize;

use crate::deck::files::{deck_files, read_deck_file};
use crate::deck::item::draw_all;
use crate::deck::schema::deck_schema_json;
use crate::deck::{Library, Scope, parse_deck};
use crate::shell::clock;
use crate::shell::paths::DECKS_DIR;
use crate::shell::plain::{self, PlainDeps};
use crate::shell::startup::{self, StartOptions, Started};
use crate::shell::workspace::{Locations, Workspace, WorkspaceError};
use crate::srs::queue::build_queue;
use crate::tui;

mod lab;

pub use lab::LabCommand;

#[derive(Debug, Parser)]
#[command(name = "streamdrill", version, about, long_about = None)]
pub struct Cli {
    /// Where progress and user decks live [default: $STREAMDRILL_DATA_DIR, else the platform's data directory]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Load more decks from this file or folder (repeatable)
    #[arg(long, global = true, value_name = "DIR")]
    pub content: Vec<PathBuf>,
    /// Configuration file [default: $STREAMDRILL_CONFIG, else <config dir>/streamdrill/config.toml]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a drill session (the TUI, or a line protocol with --plain)
    Drill(DrillArgs),
    /// Check or list decks
    #[command(subcommand)]
    Deck(DeckCommand),
    /// Show progress: reviews, due and new cards per deck
    Stats {
        #[arg(long)]
        json: bool,
    },
    /// Print the JSON Schema of deck files (or of the price sheet, or of the alias table)
    Schema {
        #[arg(long, conflicts_with = "aliases")]
        prices: bool,
        #[arg(long)]
        aliases: bool,
    },
    /// Suspend, unsuspend or reset a card (a drill item id, or a card id for all its cells)
    #[command(subcommand)]
    Card(CardCommand),
    /// Undo the last grade
    Undo,
    /// Write all progress (review log, flags, card states) as JSON lines
    Export { file: PathBuf },
    /// Merge a progress file written by `export` (importing twice changes nothing)
    Import { file: PathBuf },
    /// Fit FSRS parameters to your own review log; scheduling uses them from then on
    Optimize,
    /// The embedded Kinesis engine's console: AWS-CLI-shaped commands on stdin, JSON lines out
    Sim {
        /// Same input and seed give byte-identical output
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Mini-labs on the embedded engine: list them, or run one headless with a script
    #[command(subcommand)]
    Lab(LabCommand),
    /// Open the front doors: real clients (boto3 and the AWS CLI for Kinesis; kcat,
    /// kafka-python, confluent-kafka with --kafka) reach the engine on 127.0.0.1, with the
    /// console on stdin; with --lab, solve a Kinesis lab with them or watch a Kafka lab
    Serve(ServeArgs),
    /// Plan toward an interview date: daily new cards and retention for the best recall that day
    Plan(PlanArgs),
    /// Fill the data directory with a synthetic history (for benchmarks and demos)
    #[command(hide = true)]
    Synthesize {
        #[arg(long, default_value_t = 10_000)]
        cards: usize,
        #[arg(long, default_value_t = 100)]
        reviews_per_card: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where the Kinesis door listens (loopback only; port 0 picks a free one)
    #[arg(long, value_name = "ADDR", default_value = crate::doors::serve::KINESIS_DEFAULT)]
    pub kinesis: std::net::SocketAddr,
    /// Open a Kafka door too: broker 1 listens here, the others on the next ports (port 0:
    /// a free port each)
    #[arg(long, value_name = "ADDR")]
    pub kafka: Option<std::net::SocketAddr>,
    /// Brokers of the Kafka door's cluster
    #[arg(long, default_value_t = 3)]
    pub brokers: u32,
    /// Run this bundled lab: clients are held to its rules, and serve ends with its verdict
    /// (exit 0 passed, 1 not)
    #[arg(long, value_name = "ID")]
    pub lab: Option<String>,
    /// Virtual seconds per wall-clock second
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Same client requests at the same times give the same simulation
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The interview date, YYYY-MM-DD
    #[arg(long, value_name = "DATE", required_unless_present = "clear")]
    pub interview: Option<chrono::NaiveDate>,
    /// Study time you can give each day
    #[arg(long, value_name = "MINUTES", default_value_t = 20.0)]
    pub minutes_per_day: f32,
    /// Show the plan without making it the schedule
    #[arg(long)]
    pub dry_run: bool,
    /// Drop the current plan and go back to the config's pace and retention
    #[arg(long, conflicts_with = "interview")]
    pub clear: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum CardCommand {
    /// Never show it until unsuspended
    Suspend { id: String },
    /// Show it again (also clears a leech mark)
    Unsuspend { id: String },
    /// Forget its scheduling: it is new again (its review log is kept)
    Reset { id: String },
}

#[derive(Debug, Args)]
pub struct DrillArgs {
    /// Use stdin/stdout instead of the TUI (scripts, screen readers, tests)
    #[arg(long)]
    pub plain: bool,
    /// Only this deck
    #[arg(long, value_name = "ID")]
    pub deck: Option<String>,
    /// Only cards with this tag (on the card or its deck)
    #[arg(long, value_name = "TAG", conflicts_with = "deck")]
    pub tag: Option<String>,
    /// At most this many cards [default: session_cards from the config]
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Seed for the values calc cards draw [default: a new one each run]
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
}

impl DrillArgs {
    fn scope(&self) -> Scope {
        match (&self.deck, &self.tag) {
            (Some(deck), _) => Scope::Deck(deck.clone()),
            (None, Some(tag)) => Scope::Tag(tag.clone()),
            (None, None) => Scope::All,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum DeckCommand {
    /// Check deck files; report every problem as path:line:column: message
    Check {
        /// Files or folders [default: every deck streamdrill loads]
        paths: Vec<PathBuf>,
    },
    /// List the loaded decks
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("no card or drill item with id `{0}`; ids look like deck-id/card-id")]
    UnknownItem(String),
    #[error(transparent)]
    Plain(#[from] plain::PlainError),
    #[error(transparent)]
    Tui(#[from] tui::terminal::TuiError),
    #[error("output error: {0}")]
    Io(#[from] io::Error),
    #[error(transparent)]
    Exchange(#[from] crate::store::exchange::ExchangeError),
    #[error(transparent)]
    Optimize(#[from] crate::srs::optimize::OptimizeError),
    #[error(transparent)]
    Plan(#[from] crate::srs::planner::PlanError),
    #[error("cannot use {path}: {source}")]
    File { path: String, source: io::Error },
    #[error("no deck with id `{0}`; `streamdrill deck list` shows the ids")]
    UnknownDeck(String),
    #[error(transparent)]
    Serve(#[from] crate::doors::serve::ServeError),
    #[error("no card is tagged `{0}`")]
    UnknownTag(String),
}

/// Parses nothing itself: `main` hands over the parsed CLI.
pub fn run(cli: &Cli) -> ExitCode {
    match dispatch(cli) {
        Ok(code) => code,
        Err(error) => {
            complain(&format!("streamdrill: {error}"));
            ExitCode::FAILURE
        }
    }
}

/// The one place an error message of the CLI reaches stderr. Messages quote what the user
/// gave (an id, a path, a line of an import file), so each line is sanitised (control
/// characters shown as `\u{1b}`); the lines of a multi-line report (config problems) stay.
pub(crate) fn complain(message: &str) {
    let lines: Vec<String> = message.lines().map(crate::text::sanitize_line).collect();
    eprintln!("{}", lines.join("\n"));
}

fn locations(cli: &Cli) -> Locations {
    Locations {
        data_dir: cli.data_dir.clone(),
        config: cli.config.clone(),
        content: cli.content.clone(),
    }
}

fn dispatch(cli: &Cli) -> Result<ExitCode, CliError> {
    match &cli.command {
        None => run_tui(cli, None, None, None),
        Some(Command::Drill(args)) if args.plain => run_plain(cli, args),
        Some(Command::Drill(args)) => run_tui(cli, Some(&args.scope()), args.limit, args.seed),
        Some(Command::Deck(DeckCommand::Check { paths })) => Ok(deck_check(cli, paths)),
        Some(Command::Deck(DeckCommand::List { json })) => deck_list(cli, *json),
        Some(Command::Stats { json }) => show_stats(cli, *json),
        Some(Command::Schema { prices, aliases }) => {
            if *prices {
                print!("{}", crate::deck::schema::prices_schema_json());
            } else if *aliases {
                print!("{}", crate::grading::aliases::aliases_schema_json());
            } else {
                print!("{}", deck_schema_json());
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Card(command)) => card_command(cli, command),
        Some(Command::Undo) => undo(cli),
        Some(Command::Export { file }) => export(cli, file),
        Some(Command::Import { file }) => import(cli, file),
        Some(Command::Optimize) => optimize(cli),
        Some(Command::Sim { seed }) => {
            streamdrill_engine::run_console(io::stdin().lock(), io::stdout().lock(), *seed)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Plan(args)) => plan(cli, args),
        Some(Command::Serve(args)) => lab::serve(cli, args),
        Some(Command::Lab(command)) => lab::lab_command(cli, command),
        Some(Command::Synthesize {
            cards,
            reviews_per_card,
            seed,
        }) => synthesize(cli, *cards, *reviews_per_card, *seed),
    }
}

/// Opens the workspace and brings it up to date with the decks.
fn open_workspace(cli: &Cli) -> Result<Workspace, CliError> {
    let mut workspace = Workspace::open(&locations(cli))?;
    workspace.sync_content()?;
    Ok(workspace)
}

/// Opens the TUI on the home screen, or straight into a drill of `drill_scope`.
fn run_tui(
    cli: &Cli,
    drill_scope: Option<&Scope>,
    limit: Option<usize>,
    seed: Option<u64>,
) -> Result<ExitCode, CliError> {
    // Fail before touching the database when there is no terminal to draw on.
    tui::terminal::ensure_terminal()?;
    let places = locations(cli);
    let now = clock::now();
    let options = StartOptions {
        session_cards: limit,
        seed: seed.unwrap_or_else(clock::seed),
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
    };
    let Started { mut app, mut store } = startup::start(&places, now, options)?;
    if let Some(scope) = drill_scope {
        check_scope(app.library(), scope)?;
        app.start_drill(scope, now);
    }
    tui::terminal::run(app, &mut store)?;
    Ok(ExitCode::SUCCESS)
}

fn run_plain(cli: &Cli, args: &DrillArgs) -> Result<ExitCode, CliError> {
    let mut workspace = open_workspace(cli)?;
    for problem in &workspace.library.problems {
        complain(&format!("skipped: {problem}"));
    }
    let scope = args.scope();
    check_scope(&workspace.library, &scope)?;
    let now = clock::now();
    let mut progress = workspace.progress(now)?;
    let limits = workspace.limits(
        now,
        args.limit
            .unwrap_or(workspace.config.session_cards as usize),
    )?;
    let queue = build_queue(
        workspace.library.scoped_items(&scope),
        &progress,
        &workspace.scheduler,
        now,
        limits,
    );
    let items = draw_all(queue, args.seed.unwrap_or_else(clock::seed));
    let changed: std::collections::HashSet<String> = progress
        .flags
        .iter()
        .filter(|(_, f)| f.changed)
        .map(|(id, _)| id.clone())
        .collect();
    let mut now = clock::now;
    let config = workspace.config.clone();
    plain::run(
        io::stdin().lock(),
        io::stdout().lock(),
        items,
        PlainDeps {
            store: &mut workspace.store,
            scheduler: &workspace.scheduler,
            states: &mut progress.states,
            changed: &changed,
            clock: &mut now,
            caps: workspace.config.review_caps(),
            time_limit: &|kind| config.time_limit_seconds(kind),
        },
    )?;
    Ok(ExitCode::SUCCESS)
}

/// An unknown deck or tag is an error before anything starts.
fn check_scope(library: &Library, scope: &Scope) -> Result<(), CliError> {
    match scope {
        Scope::Deck(id) if library.deck(id).is_none() => Err(CliError::UnknownDeck(id.clone())),
        Scope::Tag(tag) if !library.tags().contains(tag) => Err(CliError::UnknownTag(tag.clone())),
        _ => Ok(()),
    }
}

/// Item ids an id names: the item itself, or every cell of a comparison card.
fn resolve_items(library: &Library, id: &str) -> Vec<String> {
    library
        .items(None)
        .into_iter()
        .map(|item| item.id)
        .filter(|item| {
            item == id
                || item
                    .strip_prefix(id)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
        .collect()
}

fn card_command(cli: &Cli, command: &CardCommand) -> Result<ExitCode, CliError> {
    let mut workspace = open_workspace(cli)?;
    let (id, verb) = match command {
        CardCommand::Suspend { id } => (id, "suspended"),
        CardCommand::Unsuspend { id } => (id, "unsuspended"),
        CardCommand::Reset { id } => (id, "reset"),
    };
    let items = resolve_items(&workspace.library, id);
    if items.is_empty() {
        return Err(CliError::UnknownItem(id.clone()));
    }
    let now = clock::now();
    for item in &items {
        match command {
            CardCommand::Suspend { .. } => workspace.store.set_suspended(item, true)?,
            CardCommand::Unsuspend { .. } => workspace.store.set_suspended(item, false)?,
            CardCommand::Reset { .. } => workspace.store.reset(item, now)?,
        }
        println!("{verb} {item}");
    }
    Ok(ExitCode::SUCCESS)
}

fn undo(cli: &Cli) -> Result<ExitCode, CliError> {
    let mut workspace = open_workspace(cli)?;
    match workspace.store.undo_last(&workspace.scheduler)? {
        Some(review) => println!(
            "undid {} ({}, {})",
            review.item_id,
            review.rating.name(),
            review.reviewed_at.format("%Y-%m-%d %H:%M UTC")
        ),
        None => println!("nothing to undo"),
    }
    Ok(ExitCode::SUCCESS)
}

fn export(cli: &Cli, file: &std::path::Path) -> Result<ExitCode, CliError> {
    let workspace = Workspace::open(&locations(cli))?;
    let file_error = |source| CliError::File {
        path: file.display().to_string(),
        source,
    };
    // Write beside the target and rename, so an interrupted export never leaves half a file.
    let partial = file.with_extension("partial");
    let out = std::fs::File::create(&partial).map_err(file_error)?;
    let reviews = workspace
        .store
        .export(io::BufWriter::new(&out), clock::now())?;
    out.sync_all().map_err(file_error)?;
    std::fs::rename(&partial, file).map_err(file_error)?;
    println!("exported {reviews} reviews to {}", file.display());
    Ok(ExitCode::SUCCESS)
}

fn import(cli: &Cli, file: &std::path::Path) -> Result<ExitCode, CliError> {
    let mut workspace = Workspace::open(&locations(cli))?;
    let input = std::fs::File::open(file).map_err(|source| CliError::File {
        path: file.display().to_string(),
        source,
    })?;
    let summary = workspace
        .store
        .import(io::BufReader::new(input), &workspace.scheduler)?;
    println!(
        "imported {}: {} reviews in the file, {} new, {} cards rebuilt; {} lab runs, {} new",
        crate::text::sanitize(&file.display().to_string()),
        summary.reviews_in_file,
        summary.reviews_added,
        summary.items_rebuilt,
        summary.lab_runs_in_file,
        summary.lab_runs_added
    );
    Ok(ExitCode::SUCCESS)
}

fn optimize(cli: &Cli) -> Result<ExitCode, CliError> {
    let mut workspace = Workspace::open(&locations(cli))?;
    let mut histories = crate::srs::optimize::TrainingHistories::default();
    workspace
        .store
        .for_each_item_history(|history| histories.push_item(history.iter().copied()))?;
    let fit = crate::srs::optimize::fit(&histories)?;
    workspace
        .store
        .save_parameters(&crate::store::FittedParameters {
            created_at: clock::now(),
            parameters: fit.parameters.clone(),
            reviews: fit.reviews as u64,
            log_loss_before: f64::from(fit.log_loss_before),
            log_loss_after: f64::from(fit.log_loss_after),
        })?;
    println!(
        "fitted FSRS parameters to {} reviews: log-loss {:.4} with the defaults, {:.4} with yours",
        fit.reviews, fit.log_loss_before, fit.log_loss_after
    );
    let shown: Vec<String> = fit.parameters.iter().map(|p| format!("{p:.4}")).collect();
    println!("parameters: [{}]", shown.join(", "));
    Ok(ExitCode::SUCCESS)
}

/// "today", "1 day from today", "21 days from today".
fn days_from_today(days: i64) -> String {
    match days {
        0 => "today".to_owned(),
        1 => "1 day from today".to_owned(),
        n => format!("{n} days from today"),
    }
}

fn plan(cli: &Cli, args: &PlanArgs) -> Result<ExitCode, CliError> {
    use crate::srs::planner::PlanInput;
    let mut workspace = open_workspace(cli)?;
    if args.clear {
        workspace.store.clear_plan()?;
        println!("plan cleared: the config's pace and retention apply again");
        return Ok(ExitCode::SUCCESS);
    }
    let Some(interview) = args.interview else {
        return Ok(ExitCode::FAILURE);
    };
    let now = clock::now();
    let today = now.with_timezone(&chrono::Local).date_naive();
    let days_ahead = (interview - today).num_days();
    // The planner counts the interview day itself among the days to study.
    let days = days_ahead + 1;
    let cards = crate::srs::planner::plan_cards(&workspace.library, &workspace.progress(now)?);
    let input = PlanInput {
        now,
        days: usize::try_from(days).unwrap_or(0),
        minutes_per_day: args.minutes_per_day,
        seconds_per_review: workspace.store.seconds_per_review()?,
        parameters: workspace.scheduler.parameters().to_vec(),
        cards,
    };
    let chosen = crate::srs::planner::plan(&input)?;
    if !args.dry_run {
        workspace.store.save_plan(&crate::store::SavedPlan {
            interview_date: interview,
            desired_retention: chosen.desired_retention,
            new_per_day: u32::try_from(chosen.new_per_day).unwrap_or(u32::MAX),
            minutes_per_day: args.minutes_per_day,
            created_at: now,
        })?;
    }
    let mut out = io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &chosen).map_err(io::Error::other)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "interview {interview} ({}, {} min/day): learn {} new cards a day at desired retention {:.2}",
        days_from_today(days_ahead),
        args.minutes_per_day,
        chosen.new_per_day,
        chosen.desired_retention
    )?;
    writeln!(
        out,
        "predicted recall on the day: {:.0}% of all cards; about {:.0} min/day of study",
        chosen.predicted_recall * 100.0,
        chosen.minutes_per_day
    )?;
    if !chosen.all_learned {
        writeln!(
            out,
            "warning: at {} min/day not every card gets learned in time; give it more minutes or drop decks",
            args.minutes_per_day
        )?;
    }
    writeln!(out, "readiness by deck (if every review passes on time):")?;
    for (deck, recall) in &chosen.readiness_by_deck {
        writeln!(out, "  {deck:<36} {:>4.0}%", recall * 100.0)?;
    }
    let mut tags: Vec<_> = chosen.readiness_by_tag.iter().collect();
    tags.sort_by(|a, b| a.1.total_cmp(b.1));
    writeln!(out, "least ready tags:")?;
    for (tag, recall) in tags.iter().take(8) {
        writeln!(out, "  {tag:<36} {:>4.0}%", *recall * 100.0)?;
    }
    if !args.dry_run {
        writeln!(
            out,
            "the plan now sets your daily pace and retention (`streamdrill plan --clear` undoes it)"
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn synthesize(
    cli: &Cli,
    cards: usize,
    reviews_per_card: usize,
    seed: u64,
) -> Result<ExitCode, CliError> {
    let locations = locations(cli);
    let decks_dir = locations.data_dir()?.join(DECKS_DIR);
    std::fs::create_dir_all(&decks_dir).map_err(|source| CliError::File {
        path: decks_dir.display().to_string(),
        source,
    })?;
    for (name, text) in crate::srs::synthetic::deck_files(cards) {
        let path = decks_dir.join(name);
        std::fs::write(&path, text).map_err(|source| CliError::File {
            path: path.display().to_string(),
            source,
        })?;
    }
    let mut store = locations.open_store()?;
    let now = clock::now();
    let start = now - chrono::Duration::days(730);
    let reviews = crate::srs::synthetic::history(cards, reviews_per_card, start, now, seed);
    store.bulk_load(&reviews)?;
    println!("loaded {} reviews of {cards} cards", reviews.len());
    Ok(ExitCode::SUCCESS)
}

/// Checks every file under `paths` (or every deck the app loads) and prints every problem.
fn deck_check(cli: &Cli, paths: &[PathBuf]) -> ExitCode {
    let mut problems = Vec::new();
    let mut checked = 0usize;
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    let mut check = |label: &str, source: &str, problems: &mut Vec<_>| {
        checked += 1;
        match parse_deck(label, source) {
            Ok(deck) => {
                if let Some(first) = ids.insert(deck.meta.id.clone(), label.to_owned()) {
                    problems.push(crate::deck::Diagnostic::file(
                        label,
                        format!("deck id `{}` is also used by {first}", deck.meta.id),
                    ));
                }
            }
            Err(found) => problems.extend(found),
        }
    };
    if paths.is_empty() {
        for (label, source) in crate::deck::bundled::BUNDLED_DECKS {
            check(label, source, &mut problems);
        }
    }
    let mut roots: Vec<PathBuf> = paths.to_vec();
    if paths.is_empty() {
        roots.extend(cli.content.iter().cloned());
        if let Ok(dir) = locations(cli).data_dir() {
            let user = dir.join(DECKS_DIR);
            if user.is_dir() {
                roots.push(user);
            }
        }
    }
    for root in &roots {
        match deck_files(root) {
            Ok(files) => {
                for file in files {
                    match read_deck_file(&file) {
                        Ok(source) => check(&file.display().to_string(), &source, &mut problems),
                        Err(problem) => problems.push(problem),
                    }
                }
            }
            Err(problem) => problems.push(problem),
        }
    }
    let mut stdout = io::stdout().lock();
    for problem in &problems {
        let _ = writeln!(stdout, "{problem}");
    }
    if problems.is_empty() {
        let _ = writeln!(stdout, "{checked} deck file(s) checked: no problems");
        ExitCode::SUCCESS
    } else {
        let _ = writeln!(
            stdout,
            "{checked} deck file(s) checked: {} problem(s)",
            problems
                .iter()
                .map(crate::deck::Diagnostic::count)
                .sum::<usize>()
        );
        ExitCode::FAILURE
    }
}

#[derive(Serialize)]
struct DeckListing {
    id: String,
    title: String,
    cards: usize,
    kinds: BTreeMap<&'static str, usize>,
    items: usize,
    origin: String,
}

fn deck_list(cli: &Cli, json: bool) -> Result<ExitCode, CliError> {
    let library = locations(cli).load_library()?;
    let listings: Vec<DeckListing> = library
        .decks
        .iter()
        .map(|loaded| DeckListing {
            id: loaded.deck.meta.id.clone(),
            title: loaded.deck.meta.title.clone(),
            cards: loaded.deck.cards.len(),
            kinds: Library::kind_counts(&loaded.deck).into_iter().collect(),
            items: crate::deck::item::items_of(&loaded.deck).len(),
            origin: loaded.origin.to_string(),
        })
        .collect();
    let mut out = io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &listings).map_err(io::Error::other)?;
        writeln!(out)?;
    } else {
        for l in &listings {
            let kinds: Vec<String> = l.kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
            writeln!(
                out,
                "{:<28} {:>4} cards  ({})  {}  [{}]",
                l.id,
                l.cards,
                kinds.join(", "),
                l.title,
                l.origin
            )?;
        }
    }
    for problem in &library.problems {
        complain(&format!("skipped: {problem}"));
    }
    Ok(ExitCode::SUCCESS)
}

fn show_stats(cli: &Cli, json: bool) -> Result<ExitCode, CliError> {
    let workspace = open_workspace(cli)?;
    let figures = workspace.stats(clock::now())?;
    let mut out = io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &figures).map_err(io::Error::other)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "reviews: {} total, {} today; {} of {} cards due now; streak {} day(s)",
            figures.reviews_total,
            figures.reviews_today,
            figures.due_now,
            figures.cards_total,
            figures.streak_days
        )?;
        if figures.flagged > 0 {
            writeln!(
                out,
                "flagged for a second look: {} card(s) (find them with `/` then `!` in the app)",
                figures.flagged
            )?;
        }
        if let Some(rate) = figures.true_retention.rate {
            writeln!(
                out,
                "true retention (interval >= 21 days): {:.1}% of {} reviews",
                rate * 100.0,
                figures.true_retention.reviews
            )?;
        }
        for weak in &figures.weakest_tags {
            writeln!(
                out,
                "weak tag: {:<24} {:.0}% of {} recent reviews passed",
                weak.tag,
                weak.retention.rate.unwrap_or(0.0) * 100.0,
                weak.retention.reviews
            )?;
        }
        for d in &figures.decks {
            writeln!(
                out,
                "  {:<36} due {:>4}  new {:>4}  cards {:>4}",
                d.id, d.due, d.new, d.cards
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
