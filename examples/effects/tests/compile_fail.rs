//! Misusing the effects' generated pipelines does not compile: each file in tests/ui is one
//! misuse, with the compiler's error recorded beside it (`TRYBUILD=overwrite` rewrites
//! them after a deliberate change).

#[test]
fn misuse_of_the_effects_pipelines_does_not_compile() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
