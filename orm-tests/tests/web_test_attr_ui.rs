//! Misuse of `#[orm_core::test]` is a spanned compile error (trybuild snapshots in
//! `ui_test_attr/`; refresh with `TRYBUILD=overwrite cargo test -p orm-tests --test
//! web_test_attr_ui` and read the diff).

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui_test_attr/*.rs");
}
