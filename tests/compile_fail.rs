//! Misuse of the generated pipeline API does not compile: each file in tests/ui is one
//! misuse, with the compiler's error recorded beside it.

#[test]
fn misuse_of_generated_pipelines_does_not_compile() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
