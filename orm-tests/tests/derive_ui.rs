//! Compile-fail and compile-pass tests of `#[derive(Model)]` and the typed query builder, with
//! trybuild. Each `ui/fail/*.rs` has a `.stderr` snapshot of exactly what the user sees; refresh
//! them with `TRYBUILD=overwrite cargo test -p orm-tests --test derive_ui` and read the diff.

use std::path::{Path, PathBuf};

/// The case whose fixture folder it reaches by a path from trybuild's project directory,
/// `<target>/tests/trybuild/orm-tests`, up to the workspace: right only where the target
/// directory is the workspace's own `target/`.
const NEEDS_WORKSPACE_TARGET: &str = "migrations_broken_chain.rs";

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    let workspace_target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target").canonicalize().ok();
    // This test's binary is `<target>/<profile>/deps/derive_ui-<hash>`.
    let target = std::env::current_exe().ok().and_then(|e| Some(e.parent()?.parent()?.parent()?.to_path_buf()));
    let in_workspace_target = target.as_deref().and_then(|t| t.canonicalize().ok()) == workspace_target;
    let mut cases: Vec<PathBuf> = std::fs::read_dir("tests/ui/fail")
        .expect("tests/ui/fail")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    cases.sort();
    for case in cases {
        if !in_workspace_target && case.file_name().is_some_and(|n| n == NEEDS_WORKSPACE_TARGET) {
            eprintln!(
                "SKIPPING ui case {}: the target directory ({}) is not the workspace's target/, \
                 which its fixture path assumes (unset CARGO_TARGET_DIR to run it)",
                case.display(),
                target.as_deref().map_or("unknown".into(), |t| t.display().to_string()),
            );
            continue;
        }
        t.compile_fail(case);
    }
    t.pass("tests/ui/pass/*.rs");
}
