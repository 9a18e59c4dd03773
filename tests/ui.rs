//! Compile-pass and compile-fail cases of the macros, with their reviewed
//! error messages in `tests/ui/fail/*.stderr`.
//!
//! Regenerate the expected output after a deliberate change with
//! `TRYBUILD=overwrite cargo test --test ui`, then review every diff.

#[test]
fn trybuild_ui_cases() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
