//! Compile-fail tests of `#[derive(SqlType)]` and of the lifecycle attributes of
//! `#[derive(Model)]` (`default`), and of typed joins (`join_misuse`), with trybuild; bless with
//! `TRYBUILD=overwrite cargo test -p orm-tests --test types_ui` and read the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui_types/*.rs");
}
