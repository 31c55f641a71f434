//! Embeds every bundled deck (`content/decks/**/*.toml`) in the binary, so `streamdrill` works
//! from any directory after `cargo install`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

fn main() {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let decks_dir = root.join("content").join("decks");
    println!("cargo:rerun-if-changed={}", decks_dir.display());

    let mut files = Vec::new();
    collect_toml(&decks_dir, &mut files);
    files.sort();

    let mut code =
        String::from("/// Bundled deck files: (path relative to the repository, contents).\n");
    code.push_str("pub static BUNDLED_DECKS: &[(&str, &str)] = &[\n");
    for file in &files {
        let relative = file.strip_prefix(&root).unwrap_or(file);
        let label = relative.to_string_lossy().replace('\\', "/");
        writeln!(
            code,
            "    ({label:?}, include_str!({:?})),",
            file.display().to_string()
        )
        .expect("writing to a String cannot fail");
    }
    code.push_str("];\n");

    let out = PathBuf::from(env::var("OUT_DIR").expect("set by cargo")).join("bundled_decks.rs");
    fs::write(out, code).expect("OUT_DIR is writable");
}

fn collect_toml(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_toml(&path, files);
        } else if path.extension().is_some_and(|e| e == "toml") {
            files.push(path);
        }
    }
}
