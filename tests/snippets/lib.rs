//! The workspace README's Rust programs (its `rust` and `rust,no_run` blocks)
//! are this crate's doctests, compiled against the dependencies its
//! Installation section lists and nothing else: a program that needs a crate
//! the section leaves out fails here, as it would for a reader who copied it.
//! `rust,ignore` blocks are excerpts of the examples, which `tests/readme.rs`
//! keeps equal to them.
#![cfg_attr(doctest, doc = include_str!("../../README.md"))]

#[cfg(test)]
mod tests {
    /// `name = spec` lines of a TOML table, comments and spacing dropped.
    fn dependency_lines(toml: &str) -> Vec<(String, String)> {
        toml.lines()
            .map(|line| line.split(" #").next().unwrap_or_default().trim())
            .filter_map(|line| line.split_once(" = "))
            .map(|(name, spec)| (name.trim().to_owned(), spec.split_whitespace().collect()))
            .collect()
    }

    /// The README's Installation section and this crate's `[dependencies]`
    /// name the same crates with the same versions and features (but for
    /// where `sse-runtime` comes from).
    #[test]
    fn the_dependencies_are_the_readmes() {
        let readme = include_str!("../../README.md");
        let installation = readme
            .split("## Installation")
            .nth(1)
            .and_then(|section| section.split("```toml\n").nth(1))
            .and_then(|block| block.split("```").next())
            .expect("README's Installation section has a ```toml block");
        let manifest = include_str!("Cargo.toml");
        let dependencies = manifest
            .split("[dependencies]\n")
            .nth(1)
            .and_then(|table| table.split("\n[").next())
            .expect("a [dependencies] table");
        let readme = dependency_lines(installation.trim_start_matches("[dependencies]\n"));
        let ours = dependency_lines(dependencies);
        let names = |lines: &[(String, String)]| -> Vec<String> {
            lines.iter().map(|(name, _)| name.clone()).collect()
        };
        assert_eq!(names(&ours), names(&readme), "the same crates, in order");
        for ((name, ours), (_, readme)) in ours.iter().zip(&readme) {
            if name == "sse-runtime" {
                assert!(readme.starts_with("{git="), "README: {readme}");
            } else {
                assert_eq!(
                    ours, readme,
                    "{name}: tests/snippets/Cargo.toml against README"
                );
            }
        }
    }
}
