//! Where streamdrill keeps its data, resolved in one place: `--data-dir`, then
//! `$STREAMDRILL_DATA_DIR`, then the platform's data directory.

use std::path::{Path, PathBuf};

pub const DATA_DIR_ENV: &str = "STREAMDRILL_DATA_DIR";
pub const DATABASE_FILE: &str = "streamdrill.db";
/// User decks inside the data directory.
pub const DECKS_DIR: &str = "decks";

#[derive(Debug, thiserror::Error)]
#[error("cannot find a data directory: pass --data-dir DIR or set {DATA_DIR_ENV}")]
pub struct NoDataDir;

/// `flag` is `--data-dir`; `env` is the value of `$STREAMDRILL_DATA_DIR`, if set.
pub fn data_dir(flag: Option<&Path>, env: Option<&str>) -> Result<PathBuf, NoDataDir> {
    if let Some(dir) = flag {
        return Ok(dir.to_path_buf());
    }
    if let Some(dir) = env.filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "streamdrill")
        .map(|dirs| dirs.data_dir().to_path_buf())
        .ok_or(NoDataDir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_beats_env_beats_platform() {
        let flag = Path::new("/tmp/flag");
        assert_eq!(
            data_dir(Some(flag), Some("/tmp/env")).ok(),
            Some(flag.to_path_buf())
        );
        assert_eq!(
            data_dir(None, Some("/tmp/env")).ok(),
            Some(PathBuf::from("/tmp/env"))
        );
        assert_ne!(data_dir(None, Some("")).ok(), Some(PathBuf::new()));
    }
}
