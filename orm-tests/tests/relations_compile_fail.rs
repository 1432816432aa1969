//! Misuses of relations and composite keys are compile errors that point at the offending tokens.
//! Bless the snapshots with `TRYBUILD=overwrite cargo test -p orm-tests --test relations_compile_fail`.

#[test]
fn relations_compile_fail() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui_relations/*.rs");
}
