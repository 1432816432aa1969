//! Rebuilds the crate when a migration folder embedded by `orm_core::migrations!` (or
//! `#[orm_core::test(migrations = ...)]`) gains or loses a file: the macro tracks the files it
//! embeds, not the folder (what a crate using migrations! does too; see docs/migrations.md).

fn main() {
    for dir in ["examples/conduit/migrations", "tests/fixtures/migrations"] {
        println!("cargo:rerun-if-changed={dir}");
    }
}
