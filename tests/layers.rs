//! The layout ARCHITECTURE.md describes, checked from the sources: each
//! runtime module imports only from its own module or the layers below it,
//! no two files of either crate import each other, and no source file grows
//! past the size at which its one idea has split.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The runtime's modules, bottom-up: a module may use the ones on lower lines.
const RUNTIME_LAYERS: &[&[&str]] = &[
    &["sync", "metrics"],
    &["event", "shutdown", "last_event_id", "origin"],
    &["response"],
    &["serve", "hub", "endpoint"],
    &["test", "schema"],
];

/// A file above this many lines holds more than one idea.
const MAX_LINES: usize = 350;

fn sources(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The `crate::a::b::…` paths a file's code names, in its `use` items and
/// inline (comments, where doc links live, are not code).
fn crate_paths(text: &str) -> Vec<Vec<String>> {
    let code: String = text
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut paths = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        let path: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let segments: Vec<String> = path
            .split("::")
            .filter(|segment| !segment.is_empty())
            .map(str::to_owned)
            .collect();
        if !segments.is_empty() {
            paths.push(segments);
        }
    }
    paths
}

/// The file a path of the crate rooted at `src` resolves to: the longest
/// prefix that names a module file.
fn file_of(src: &Path, segments: &[String]) -> Option<PathBuf> {
    (1..=segments.len()).rev().find_map(|len| {
        let module: PathBuf = segments[..len].iter().collect();
        [
            src.join(&module).with_extension("rs"),
            src.join(&module).join("mod.rs"),
        ]
        .into_iter()
        .find(|file| file.is_file())
    })
}

/// Which file imports which, within one crate.
fn imports(src: &Path) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let mut graph = BTreeMap::new();
    for file in sources(src) {
        let text = fs::read_to_string(&file).unwrap();
        let targets = crate_paths(&text)
            .iter()
            .filter_map(|path| file_of(src, path))
            .filter(|target| *target != file)
            .collect();
        graph.insert(file, targets);
    }
    graph
}

fn no_two_files_import_each_other(src: &Path) {
    let graph = imports(src);
    for (file, targets) in &graph {
        for target in targets {
            assert!(
                !graph[target].contains(file),
                "{} and {} import each other",
                file.display(),
                target.display()
            );
        }
    }
}

fn crate_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name).join("src")
}

#[test]
fn runtime_modules_import_only_downwards() {
    let src = crate_dir("sse-runtime");
    let layer_of = |module: &str| {
        RUNTIME_LAYERS
            .iter()
            .position(|layer| layer.contains(&module))
    };
    for file in sources(&src) {
        let relative = file.strip_prefix(&src).unwrap();
        let module = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        let Some(layer) = layer_of(&module) else {
            assert_eq!(module, "lib", "{} is in no layer", file.display());
            continue;
        };
        let text = fs::read_to_string(&file).unwrap();
        for path in crate_paths(&text) {
            let used = &path[0];
            let Some(used_layer) = layer_of(used) else {
                continue;
            };
            assert!(
                used == &module || used_layer < layer,
                "{} (layer {layer}) uses crate::{} (layer {used_layer}): a layer uses only \
                 the ones below it",
                file.display(),
                path.join("::"),
            );
        }
    }
}

#[test]
fn no_import_cycle_between_files() {
    no_two_files_import_each_other(&crate_dir("sse-runtime"));
    no_two_files_import_each_other(&crate_dir("sse-macros"));
}

#[test]
fn no_source_file_holds_more_than_one_idea() {
    for name in ["sse-runtime", "sse-macros"] {
        for file in sources(&crate_dir(name)) {
            let lines = fs::read_to_string(&file).unwrap().lines().count();
            assert!(
                lines <= MAX_LINES,
                "{} has {lines} lines: split it by idea",
                file.display()
            );
        }
    }
}

#[test]
fn the_import_reader_finds_imports() {
    // The graph reader must find imports, or the tests above prove nothing.
    let src = crate_dir("sse-runtime");
    let graph = imports(&src);
    let body = src.join("response/body.rs");
    assert!(graph[&body].contains(&src.join("response/config.rs")));
    assert!(graph[&body].contains(&src.join("event/mod.rs")));
    assert!(!graph[&src.join("event/writer.rs")].contains(&body));
}
