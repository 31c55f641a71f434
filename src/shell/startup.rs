//! What the TUI needs for its first frame, assembled from the workspace: the app on the home
//! screen (or in a drill), with the store and the scheduler that the event loop writes through.
//! Shell code (it opens files); `cli` calls it before taking the terminal, the progress
//! benchmark calls it to time start-up.

use chrono::{DateTime, Utc};

use crate::shell::workspace::{Locations, Workspace, WorkspaceError};
use crate::store::Store;
use crate::tui::App;

/// How the TUI was asked to start.
#[derive(Debug, Clone, Copy, Default)]
pub struct StartOptions {
    /// Cards per session, when given on the command line (else the config's).
    pub session_cards: Option<usize>,
    pub seed: u64,
    pub no_color: bool,
}

/// The app and the store its events write to (the app holds the scheduler that grades them).
pub struct Started {
    pub app: App,
    pub store: Store,
}

/// Opens the workspace (synchronising card hashes with the decks) and builds the app.
pub fn start(
    locations: &Locations,
    now: DateTime<Utc>,
    options: StartOptions,
) -> Result<Started, WorkspaceError> {
    let mut workspace = Workspace::open(locations)?;
    workspace.sync_content()?;
    let progress = workspace.progress(now)?;
    let session_cards = options
        .session_cards
        .unwrap_or(workspace.config.session_cards as usize);
    let limits = workspace.limits(now, session_cards)?;
    let streak_days = workspace.streak_days(now)?;
    let lab_summaries = workspace.store.lab_summaries()?;
    let active_plan = workspace.store.plan()?;
    let seconds_per_review = workspace.store.seconds_per_review()?;
    let local_offset = chrono::Offset::fix(now.with_timezone(&chrono::Local).offset());
    let data_dir = locations.data_dir()?.display().to_string();
    let Workspace {
        library,
        store,
        scheduler,
        config,
    } = workspace;
    let app = App::new(library, progress, scheduler, now)
        .with_limits(limits)
        .with_config(config, options.no_color)
        .with_streak(streak_days)
        .with_review_pace(seconds_per_review, local_offset)
        .with_lab_results(&lab_summaries)
        .with_lab_history(store.lab_histories()?)
        .with_plan(active_plan)
        .with_paths(
            locations
                .config_file()
                .map(|p| p.display().to_string())
                .as_deref(),
            &data_dir,
        )
        .with_seed(options.seed);
    Ok(Started { app, store })
}
