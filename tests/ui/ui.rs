//! Compile-pass and compile-fail cases of the macros, one mistake per fail
//! file, with their reviewed error messages beside them (`*.stderr`).
//!
//! Regenerate the expected output after a deliberate change with
//! `TRYBUILD=overwrite cargo test -p sse-ui`, then review every diff.

#[test]
fn trybuild_ui_cases() {
    let cases = trybuild::TestCases::new();
    cases.pass("sse_endpoint/pass/*.rs");
    cases.compile_fail("sse_endpoint/fail/*.rs");
    cases.pass("derive/pass/*.rs");
    cases.compile_fail("derive/fail/*.rs");
}
