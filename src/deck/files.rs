//! Reading deck files from disk: the IO edge of deck loading.

use std::fs;
use std::path::{Path, PathBuf};

use super::diagnostic::Diagnostic;
use super::library::{Library, Origin};

/// Upper bound on a deck file's size: a bigger one is rejected, not read into memory.
const DECK_FILE_BYTES_MAX: u64 = 8 * 1024 * 1024;
/// Upper bound on folder depth when looking for decks, so a symlink loop cannot hang us.
const FOLDER_DEPTH_MAX: usize = 16;

/// Every `.toml` file under `path` (or `path` itself when it is a file), sorted for stable output.
pub fn deck_files(path: &Path) -> Result<Vec<PathBuf>, Diagnostic> {
    let label = path.display().to_string();
    let metadata = fs::metadata(path).map_err(|e| Diagnostic::file(&label, e.to_string()))?;
    if metadata.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    collect(path, 0, &mut files)?;
    files.sort();
    Ok(files)
}

fn collect(dir: &Path, depth: usize, files: &mut Vec<PathBuf>) -> Result<(), Diagnostic> {
    if depth > FOLDER_DEPTH_MAX {
        return Ok(());
    }
    let label = dir.display().to_string();
    let entries = fs::read_dir(dir).map_err(|e| Diagnostic::file(&label, e.to_string()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, depth + 1, files)?;
        } else if path.extension().is_some_and(|e| e == "toml") && !declares_other_schema(&path) {
            files.push(path);
        }
    }
    Ok(())
}

/// Content folders hold other TOML too (the price sheet, labs); such files name their own
/// schema on the first line (`#:schema ../schema/prices.schema.json`) and are not decks.
fn declares_other_schema(path: &Path) -> bool {
    use std::io::{BufRead, Read};
    let Ok(file) = fs::File::open(path) else {
        return false;
    };
    let mut first = String::new();
    if std::io::BufReader::new(file.take(512))
        .read_line(&mut first)
        .is_err()
    {
        return false;
    }
    let first = first.trim();
    first.starts_with("#:schema") && !first.ends_with("deck.schema.json")
}

pub fn read_deck_file(path: &Path) -> Result<String, Diagnostic> {
    let label = path.display().to_string();
    let size = fs::metadata(path)
        .map_err(|e| Diagnostic::file(&label, e.to_string()))?
        .len();
    if size > DECK_FILE_BYTES_MAX {
        return Err(Diagnostic::file(
            &label,
            format!("file is {size} bytes; decks are limited to {DECK_FILE_BYTES_MAX} bytes"),
        ));
    }
    let bytes = fs::read(path).map_err(|e| Diagnostic::file(&label, e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let valid_up_to = e.utf8_error().valid_up_to();
        let before = std::str::from_utf8(&bytes[..valid_up_to]).unwrap_or_default();
        let (line, column) = super::diagnostic::line_column(before, before.len());
        Diagnostic {
            path: label.clone(),
            line,
            column,
            message: format!(
                "not UTF-8 text (byte 0x{:02x}): deck files are UTF-8",
                bytes[valid_up_to]
            ),
            unshown: 0,
        }
    })
}

/// Adds every deck under `path` to the library; unreadable or broken files become problems.
pub fn add_decks_from(library: &mut Library, path: &Path) {
    let files = match deck_files(path) {
        Ok(files) => files,
        Err(problem) => {
            library.record_problem(problem);
            return;
        }
    };
    for file in files {
        let label = file.display().to_string();
        match read_deck_file(&file) {
            Ok(source) => library.add(Origin::File(label.clone()), &label, &source),
            Err(problem) => library.record_problem(problem),
        }
    }
}
