//! The README's code excerpts are the examples' code: each `rust,ignore`
//! block that names its source file must appear there, line for line.

use std::fs;

#[test]
fn the_llm_excerpt_is_the_examples_code() {
    let readme = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let source =
        fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/llm/main.rs")).unwrap();
    let section = readme
        .split("### LLM token streams")
        .nth(1)
        .expect("the README's LLM section");
    let excerpt = section
        .split("```rust,ignore\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("its code block");
    assert!(
        source.contains(excerpt),
        "README's LLM excerpt differs from examples/llm/main.rs; copy it again:\n{excerpt}"
    );
}
