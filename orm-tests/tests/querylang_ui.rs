//! Compile errors of the query language: `#[derive(FromRow)]` misuse, and results typed by the
//! columns (a wrong tuple type, a column of another model, a value of the wrong type, arithmetic
//! on text). Bless the expected output with `TRYBUILD=overwrite` and read the diff.

#[test]
fn querylang_compile_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/querylang/*.rs");
}
