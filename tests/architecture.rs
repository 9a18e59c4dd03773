//! ARCHITECTURE.md is a map of both crates' sources: it names every file under
//! `sse-runtime/src/` and `sse-macros/src/`, and every path it names exists, so
//! that adding, renaming or moving a file breaks this test until the map
//! follows.
//!
//! The rule. A file is named by its path relative to its crate's `src/`
//! (`serve/http1/chunk.rs`) or to the repository
//! (`sse-runtime/src/serve/http1/chunk.rs`); a folder module's `mod.rs` by
//! its folder, with a trailing slash (`hub/memory/`). A path in the document is any word (a run of letters,
//! digits, `_`, `.`, `/` and `-`) that ends in `.rs`, or in `/` after a name,
//! in prose, code spans and the diagram alike; it must be a file (`.rs`) or a
//! folder (`/`) under the repository root, `sse-runtime/src/` or
//! `sse-macros/src/`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// The crates whose sources the document maps.
const CRATES: [&str; 2] = ["sse-runtime", "sse-macros"];

const DOCUMENT: &str = "ARCHITECTURE.md";

fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every file under `dir`, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries = fs::read_dir(&dir)
            .unwrap_or_else(|error| panic!("cannot list {}: {error}", dir.display()));
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// How the document names `file` of the crate whose sources are in `src`:
/// its path relative to `src`, or its folder for a `mod.rs`.
fn name_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap();
    let segments: Vec<String> = relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect();
    match segments.split_last() {
        Some((last, folders)) if last == "mod.rs" && !folders.is_empty() => {
            format!("{}/", folders.join("/"))
        }
        _ => segments.join("/"),
    }
}

/// Each word of the document with its line number (from 1); a word's
/// trailing full stops are the sentence's, not the word's.
fn words(text: &str) -> Vec<(usize, &str)> {
    let in_word = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-');
    text.lines()
        .enumerate()
        .flat_map(|(index, line)| {
            line.split(move |c: char| !in_word(c))
                .map(|word| word.trim_end_matches('.'))
                .filter(|word| !word.is_empty())
                .map(move |word| (index + 1, word))
        })
        .collect()
}

/// A path's file or folder name: `writer.rs` of `event/writer.rs`.
fn last_segment(path: &str) -> &str {
    let path = path.trim_end_matches('/');
    path.rsplit('/').next().unwrap_or(path)
}

fn document() -> String {
    let path = repository().join(DOCUMENT);
    fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

#[test]
fn every_source_file_is_named() {
    let text = document();
    let named: BTreeSet<&str> = words(&text).into_iter().map(|(_, word)| word).collect();
    let mut missing = Vec::new();
    for krate in CRATES {
        let src = repository().join(krate).join("src");
        for file in files_under(&src) {
            let name = name_of(&src, &file);
            let from_root = format!("{krate}/src/{name}");
            if !named.contains(name.as_str()) && !named.contains(from_root.as_str()) {
                missing.push(format!("  {from_root}: write `{name}`"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "{DOCUMENT} does not name {} source file(s). Say where each belongs in the map, \
         naming it by its path relative to its crate's src/ (a folder module's mod.rs by \
         its folder, as `hub/memory/`):\n{}",
        missing.len(),
        missing.join("\n"),
    );
}

#[test]
fn every_path_named_exists() {
    let text = document();
    let roots: Vec<PathBuf> = std::iter::once(repository().to_path_buf())
        .chain(
            CRATES
                .iter()
                .map(|krate| repository().join(krate).join("src")),
        )
        .collect();
    // Every source file by its name here, to suggest the one a stale path
    // may have meant.
    let known: Vec<String> = CRATES
        .iter()
        .flat_map(|krate| {
            let src = repository().join(krate).join("src");
            files_under(&src)
                .into_iter()
                .map(move |file| name_of(&src, &file))
        })
        .collect();
    let mut stale = Vec::new();
    for (line, word) in words(&text) {
        let exists = if let Some(folder) = word.strip_suffix('/').filter(|f| !f.is_empty()) {
            !word.starts_with('/') && roots.iter().any(|root| root.join(folder).is_dir())
        } else if word.ends_with(".rs") {
            !word.starts_with('/') && roots.iter().any(|root| root.join(word).is_file())
        } else {
            continue;
        };
        if exists {
            continue;
        }
        let alike: Vec<String> = known
            .iter()
            .filter(|name| last_segment(name) == last_segment(word))
            .map(|name| format!("`{name}`"))
            .collect();
        let hint = if alike.is_empty() {
            String::new()
        } else {
            format!(" (did you mean {}?)", alike.join(" or "))
        };
        stale.push(format!("  {DOCUMENT}:{line}: `{word}`{hint}"));
    }
    assert!(
        stale.is_empty(),
        "{DOCUMENT} names paths that are no file (`.rs`) or folder (`/`) under the \
         repository root, sse-runtime/src/ or sse-macros/src/: renamed or moved? Name a \
         file by its path relative to its crate's src/, a folder with a trailing slash:\n{}",
        stale.join("\n"),
    );
}

/// Each published crate holds what it builds and tests: no `include!`,
/// `include_str!` or `include_bytes!` in its sources or tests reaches a file
/// outside its folder, which `cargo package` would leave out (the workspace's
/// own tests may reach into the crates, not the other way round).
#[test]
fn each_crate_includes_only_its_own_files() {
    let mut outside = Vec::new();
    for krate in CRATES {
        let root = repository().join(krate);
        for file in files_under(&root)
            .iter()
            .filter(|f| f.extension() == Some("rs".as_ref()))
        {
            let text = fs::read_to_string(file).unwrap();
            for (at, _) in text.match_indices("include") {
                let rest = &text[at..];
                let Some(quoted) = ["include!(\"", "include_str!(\"", "include_bytes!(\""]
                    .iter()
                    .find_map(|opening| rest.strip_prefix(opening))
                else {
                    continue;
                };
                let target = quoted.split('"').next().unwrap_or_default();
                let mut resolved = file.parent().unwrap().to_path_buf();
                for part in Path::new(target).components() {
                    match part {
                        std::path::Component::ParentDir => {
                            resolved.pop();
                        }
                        other => resolved.push(other),
                    }
                }
                if !resolved.starts_with(&root) {
                    let line = text[..at].lines().count();
                    outside.push(format!(
                        "  {}:{line}: {target:?} is outside {krate}/",
                        file.strip_prefix(repository()).unwrap().display()
                    ));
                }
            }
        }
    }
    assert!(
        outside.is_empty(),
        "a crate includes files from outside its folder, which its package would not \
         hold; move the file into the crate (a table both sides check belongs to one of \
         them, the workspace's tests reaching into it):\n{}",
        outside.join("\n")
    );
}
