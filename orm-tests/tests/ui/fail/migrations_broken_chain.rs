// A hand-edited migration file whose operations no longer lead to its snapshot fails the build,
// naming the file and the first difference. trybuild compiles this file from
// target/tests/trybuild/orm-tests/ (its CARGO_MANIFEST_DIR), hence the path up to the workspace.
fn main() {
    let _ = orm_core::migrations!("../../../../orm-tests/tests/ui/fixtures/broken_chain");
}
