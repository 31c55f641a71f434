//! Command-line interface: argument parsing and one function per command. This is the shell:
//! it reads files, the environment and the clock, and hands values to the pure core.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use serde::Serialize;

use crate::clock;
use crate::deck::files::{add_decks_from, deck_files, read_deck_file};
use crate::deck::item::draw_all;
use crate::deck::schema::deck_schema_json;
use crate::deck::{Library, parse_deck};
use crate::paths::{self, DATA_DIR_ENV, DATABASE_FILE, DECKS_DIR};
use crate::plain::{self, PlainDeps};
use crate::queue::build_queue;
use crate::scheduler::{DESIRED_RETENTION_DEFAULT, Scheduler};
use crate::stats::stats;
use crate::store::Store;
use crate::tui::{self, App};

#[derive(Debug, Parser)]
#[command(name = "streamdrill", version, about, long_about = None)]
pub struct Cli {
    /// Where progress and user decks live [default: $STREAMDRILL_DATA_DIR, else the platform's data directory]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Load more decks from this file or folder (repeatable)
    #[arg(long, global = true, value_name = "DIR")]
    pub content: Vec<PathBuf>,
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
    /// Print the JSON Schema of deck files
    Schema,
}

#[derive(Debug, Args)]
pub struct DrillArgs {
    /// Use stdin/stdout instead of the TUI (scripts, screen readers, tests)
    #[arg(long)]
    pub plain: bool,
    /// Only this deck
    #[arg(long, value_name = "ID")]
    pub deck: Option<String>,
    /// At most this many cards
    #[arg(long, value_name = "N", default_value_t = tui::app::SESSION_LIMIT_DEFAULT)]
    pub limit: usize,
    /// Seed for the values calc cards draw [default: a new one each run]
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
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
    NoDataDir(#[from] paths::NoDataDir),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Scheduler(#[from] crate::scheduler::SchedulerError),
    #[error(transparent)]
    Plain(#[from] plain::PlainError),
    #[error(transparent)]
    Tui(#[from] tui::terminal::TuiError),
    #[error("output error: {0}")]
    Io(#[from] io::Error),
    #[error("no deck with id `{0}`; `streamdrill deck list` shows the ids")]
    UnknownDeck(String),
}

/// Parses nothing itself: `main` hands over the parsed CLI.
pub fn run(cli: &Cli) -> ExitCode {
    match dispatch(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("streamdrill: {error}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(cli: &Cli) -> Result<ExitCode, CliError> {
    match &cli.command {
        None => run_tui(cli, None, tui::app::SESSION_LIMIT_DEFAULT, None, false),
        Some(Command::Drill(args)) if args.plain => run_plain(cli, args),
        Some(Command::Drill(args)) => {
            run_tui(cli, args.deck.as_deref(), args.limit, args.seed, true)
        }
        Some(Command::Deck(DeckCommand::Check { paths })) => Ok(deck_check(cli, paths)),
        Some(Command::Deck(DeckCommand::List { json })) => deck_list(cli, *json),
        Some(Command::Stats { json }) => show_stats(cli, *json),
        Some(Command::Schema) => {
            print!("{}", deck_schema_json());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn data_dir(cli: &Cli) -> Result<PathBuf, CliError> {
    let env = std::env::var(DATA_DIR_ENV).ok();
    Ok(paths::data_dir(cli.data_dir.as_deref(), env.as_deref())?)
}

/// Bundled decks, then `--content` ones, then the data directory's `decks/`.
fn load_library(cli: &Cli) -> Result<Library, CliError> {
    let mut library = Library::bundled();
    for path in &cli.content {
        add_decks_from(&mut library, path);
    }
    let user_decks = data_dir(cli)?.join(DECKS_DIR);
    if user_decks.is_dir() {
        add_decks_from(&mut library, &user_decks);
    }
    Ok(library)
}

fn open_store(cli: &Cli) -> Result<Store, CliError> {
    Ok(Store::open(&data_dir(cli)?.join(DATABASE_FILE))?)
}

fn run_tui(
    cli: &Cli,
    deck: Option<&str>,
    limit: usize,
    seed: Option<u64>,
    start_drill: bool,
) -> Result<ExitCode, CliError> {
    // Fail before touching the database when there is no terminal to draw on.
    tui::terminal::ensure_terminal()?;
    let library = load_library(cli)?;
    if let Some(id) = deck
        && library.deck(id).is_none()
    {
        return Err(CliError::UnknownDeck(id.to_owned()));
    }
    let mut store = open_store(cli)?;
    let states = store.card_states()?;
    let scheduler = Scheduler::new(DESIRED_RETENTION_DEFAULT)?;
    let now = clock::now();
    let mut app = App::new(library, states, scheduler, now)
        .with_session_limit(limit)
        .with_seed(seed.unwrap_or_else(clock::seed));
    if start_drill {
        app.start_drill(deck, now);
    }
    tui::terminal::run(app, &mut store)?;
    Ok(ExitCode::SUCCESS)
}

fn run_plain(cli: &Cli, args: &DrillArgs) -> Result<ExitCode, CliError> {
    let library = load_library(cli)?;
    for problem in &library.problems {
        eprintln!("skipped: {problem}");
    }
    if let Some(id) = &args.deck
        && library.deck(id).is_none()
    {
        return Err(CliError::UnknownDeck(id.clone()));
    }
    let mut store = open_store(cli)?;
    let mut states = store.card_states()?;
    let scheduler = Scheduler::new(DESIRED_RETENTION_DEFAULT)?;
    let queue = build_queue(
        library.items(args.deck.as_deref()),
        &states,
        clock::now(),
        args.limit,
    );
    let items = draw_all(queue, args.seed.unwrap_or_else(clock::seed));
    let mut now = clock::now;
    plain::run(
        io::stdin().lock(),
        io::stdout().lock(),
        items,
        PlainDeps {
            store: &mut store,
            scheduler: &scheduler,
            states: &mut states,
            clock: &mut now,
        },
    )?;
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
        for (label, source) in crate::bundled::BUNDLED_DECKS {
            check(label, source, &mut problems);
        }
    }
    let mut roots: Vec<PathBuf> = paths.to_vec();
    if paths.is_empty() {
        roots.extend(cli.content.iter().cloned());
        if let Ok(dir) = data_dir(cli) {
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
            problems.len()
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
    let library = load_library(cli)?;
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
        eprintln!("skipped: {problem}");
    }
    Ok(ExitCode::SUCCESS)
}

fn show_stats(cli: &Cli, json: bool) -> Result<ExitCode, CliError> {
    let library = load_library(cli)?;
    let store = open_store(cli)?;
    let now = clock::now();
    let figures = stats(
        &library,
        &store.card_states()?,
        store.review_count()?,
        store.review_count_since(clock::start_of_local_day(now))?,
        now,
    );
    let mut out = io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &figures).map_err(io::Error::other)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "reviews: {} total, {} today; {} of {} cards due now",
            figures.reviews_total, figures.reviews_today, figures.due_now, figures.cards_total
        )?;
        for d in &figures.decks {
            writeln!(
                out,
                "  {:<28} due {:>4}  new {:>4}  cards {:>4}",
                d.id, d.due, d.new, d.cards
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The database path for a data directory (shown in the README and `--help`).
pub fn database_path(data_dir: &Path) -> PathBuf {
    data_dir.join(DATABASE_FILE)
}
