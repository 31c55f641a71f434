//! Everything a command works with, assembled in one place: configuration, decks, the progress
//! store, and the scheduler (with the user's fitted parameters when there are some). Shell code:
//! it reads files, the environment and the clock.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::deck::files::add_decks_from;
use crate::deck::{Diagnostic, Library};
use crate::shell::clock;
use crate::shell::config::Config;
use crate::shell::paths::{self, DATA_DIR_ENV, DATABASE_FILE, DECKS_DIR};
use crate::srs::queue::{Limits, Progress};
use crate::srs::scheduler::{Scheduler, SchedulerError};
use crate::store::{Store, StoreError};

pub const CONFIG_ENV: &str = "STREAMDRILL_CONFIG";
const CONFIG_FILE: &str = "config.toml";

#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error(transparent)]
    NoDataDir(#[from] paths::NoDataDir),
    #[error("{}", render_problems(.0))]
    Config(Vec<Diagnostic>),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Scheduler(#[from] SchedulerError),
}

fn render_problems(problems: &[Diagnostic]) -> String {
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    format!("configuration problems:\n{}", lines.join("\n"))
}

/// Where things are, from the command line and the environment.
#[derive(Debug, Clone, Default)]
pub struct Locations {
    pub data_dir: Option<PathBuf>,
    pub config: Option<PathBuf>,
    pub content: Vec<PathBuf>,
}

impl Locations {
    pub fn data_dir(&self) -> Result<PathBuf, WorkspaceError> {
        let env = std::env::var(DATA_DIR_ENV).ok();
        Ok(paths::data_dir(self.data_dir.as_deref(), env.as_deref())?)
    }

    /// `--config FILE`, else `$STREAMDRILL_CONFIG`, else `<config dir>/config.toml`.
    pub fn config_file(&self) -> Option<PathBuf> {
        self.config
            .clone()
            .or_else(|| std::env::var_os(CONFIG_ENV).map(PathBuf::from))
            .or_else(|| {
                directories::ProjectDirs::from("", "", "streamdrill")
                    .map(|dirs| dirs.config_dir().join(CONFIG_FILE))
            })
    }

    /// Defaults when the file does not exist; every problem located when it is wrong.
    pub fn load_config(&self) -> Result<Config, WorkspaceError> {
        let Some(path) = self.config_file() else {
            return Ok(Config::default());
        };
        let label = path.display().to_string();
        match std::fs::read_to_string(&path) {
            Ok(source) => Config::parse(&label, &source).map_err(WorkspaceError::Config),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && self.config.is_none() => {
                Ok(Config::default())
            }
            Err(e) => Err(WorkspaceError::Config(vec![Diagnostic::file(
                &label,
                e.to_string(),
            )])),
        }
    }

    /// Bundled decks, then `--content` ones, then the data directory's `decks/`.
    pub fn load_library(&self) -> Result<Library, WorkspaceError> {
        let mut library = Library::bundled();
        for path in &self.content {
            add_decks_from(&mut library, path);
        }
        let user_decks = self.data_dir()?.join(DECKS_DIR);
        if user_decks.is_dir() {
            add_decks_from(&mut library, &user_decks);
        }
        Ok(library)
    }

    pub fn open_store(&self) -> Result<Store, WorkspaceError> {
        Ok(Store::open(&self.data_dir()?.join(DATABASE_FILE))?)
    }
}

pub struct Workspace {
    pub config: Config,
    pub library: Library,
    pub store: Store,
    pub scheduler: Scheduler,
}

impl Workspace {
    pub fn open(locations: &Locations) -> Result<Self, WorkspaceError> {
        let mut config = locations.load_config()?;
        let library = locations.load_library()?;
        let store = locations.open_store()?;
        // While a plan toward an interview runs, its pace and retention replace the config's.
        if let Some(plan) = store.plan()?
            && plan.interview_date >= clock::now().with_timezone(&chrono::Local).date_naive()
        {
            config.desired_retention = plan.desired_retention;
            config.new_per_day = plan.new_per_day;
        }
        let scheduler = scheduler_for(&store, config.desired_retention)?;
        Ok(Self {
            config,
            library,
            store,
            scheduler,
        })
    }

    pub fn day_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        clock::study_day_start(now, self.config.day_start_hour)
    }

    /// Notes which cards changed since they were reviewed (their history is kept).
    pub fn sync_content(&mut self) -> Result<usize, WorkspaceError> {
        let hashes: Vec<(String, String)> = self
            .library
            .all_items()
            .iter()
            .map(|item| (item.id.clone(), item.content_hash()))
            .collect();
        Ok(self.store.sync_content_hashes(&hashes)?)
    }

    pub fn progress(&self, now: DateTime<Utc>) -> Result<Progress, WorkspaceError> {
        Ok(Progress {
            states: self.store.card_states()?,
            flags: self.store.raised_flags()?,
            reviewed_today: self.store.reviewed_items_since(self.day_start(now))?,
        })
    }

    /// Today's remaining allowance, from the config's daily limits and what was done today.
    pub fn limits(
        &self,
        now: DateTime<Utc>,
        session_cards: usize,
    ) -> Result<Limits, WorkspaceError> {
        let day_start = self.day_start(now);
        let introduced = self.store.introduced_since(day_start)?;
        let reviews = self.store.review_count_since(day_start)?;
        let left = |limit: u32, used: u64| (u64::from(limit).saturating_sub(used)) as usize;
        Ok(Limits {
            session_cards,
            new_left_today: left(self.config.new_per_day, introduced),
            reviews_left_today: left(
                self.config.reviews_per_day,
                reviews.saturating_sub(introduced),
            ),
        })
    }
}

impl Workspace {
    /// The study streak alone (what the home screen shows), from the trigger-kept activity
    /// buckets: no scan of the review log.
    pub fn streak_days(&self, now: DateTime<Utc>) -> Result<u32, WorkspaceError> {
        let day_start = self.day_start(now);
        let activity = calendar_activity(&self.store, day_start)?;
        Ok(crate::srs::stats::streak_days(&activity, now, day_start))
    }

    /// Everything `streamdrill stats` and the stats screen show.
    pub fn stats(&self, now: DateTime<Utc>) -> Result<crate::srs::stats::Stats, WorkspaceError> {
        let day_start = self.day_start(now);
        let figures = store_figures(&self.store, now, day_start)?;
        Ok(crate::srs::stats::stats(
            &self.library,
            &self.progress(now)?,
            &figures,
            now,
            day_start,
        ))
    }
}

/// The aggregates the stats need from the store (cheap: trigger-kept totals and index scans).
pub fn store_figures(
    store: &Store,
    now: DateTime<Utc>,
    day_start: DateTime<Utc>,
) -> Result<crate::srs::stats::StoreFigures, StoreError> {
    use crate::store::PassFilter;
    Ok(crate::srs::stats::StoreFigures {
        reviews_total: store.review_count()?,
        time_spent_ms: store.total_duration_ms()?,
        activity: calendar_activity(store, day_start)?,
        mature: store.pass_counts(PassFilter::Mature)?,
        recent: store.pass_counts(PassFilter::Since(now - chrono::Duration::days(30)))?,
        calibration: store.calibration()?,
        labs: store.lab_summaries()?,
    })
}

/// Reviews per study day over the stats calendar's days.
fn calendar_activity(
    store: &Store,
    day_start: DateTime<Utc>,
) -> Result<Vec<crate::store::DayActivity>, StoreError> {
    use crate::srs::stats::{CALENDAR_DAYS, day_offset_ms};
    store.daily_activity(
        day_start - chrono::Duration::days(CALENDAR_DAYS),
        day_offset_ms(day_start),
    )
}

/// The scheduler with the latest fitted parameters, or FSRS's defaults.
pub fn scheduler_for(store: &Store, desired_retention: f32) -> Result<Scheduler, WorkspaceError> {
    Ok(match store.latest_parameters()? {
        Some(fitted) => Scheduler::with_parameters(&fitted.parameters, desired_retention)?,
        None => Scheduler::new(desired_retention)?,
    })
}

/// The database path inside a data directory.
pub fn database_path(data_dir: &Path) -> PathBuf {
    data_dir.join(DATABASE_FILE)
}
