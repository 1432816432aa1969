//! Compile-fail and compile-pass tests of `#[derive(Model)]` and the typed query builder, with
//! trybuild. Each `ui/fail/*.rs` has a `.stderr` snapshot of exactly what the user sees; refresh
//! them with `TRYBUILD=overwrite cargo test -p orm-tests --test derive_ui` and read the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
