//! The published crates' manifests, as `cargo metadata` reads them: what a user on another
//! operating system gets.

use std::process::Command;

/// orm-core's dependencies that are only for some targets. A key written after a
/// `[target.'cfg(..)'.dependencies]` header belongs to that table: the migrations' `serde`,
/// `serde_json` and `sha2` once sat there, so orm-core did not compile anywhere but on Linux
/// (`cargo check --target x86_64-apple-darwin`: 37 errors).
#[test]
fn only_libc_is_a_target_specific_dependency() {
    let cargo = option_env!("CARGO").unwrap_or("cargo");
    let out = Command::new(cargo)
        .args(["metadata", "--no-deps", "--offline", "--format-version", "1"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success(), "cargo metadata: {}", String::from_utf8_lossy(&out.stderr));
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("cargo metadata's JSON");
    for name in ["orm-core", "orm-derive"] {
        let package = meta["packages"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["name"] == name))
            .unwrap_or_else(|| panic!("{name} in the workspace"));
        let deps = package["dependencies"].as_array().expect("dependencies");
        let specific: Vec<(&str, &str)> = deps
            .iter()
            .filter(|d| !d["target"].is_null() && d["kind"].is_null())
            .map(|d| (d["name"].as_str().unwrap_or("?"), d["target"].as_str().unwrap_or("?")))
            .collect();
        let expected: Vec<(&str, &str)> =
            if name == "orm-core" { vec![("libc", "cfg(target_os = \"linux\")")] } else { vec![] };
        assert_eq!(specific, expected, "{name}: target-specific normal dependencies");
        if name == "orm-core" {
            for needed in ["serde", "serde_json", "sha2", "sqlx", "tokio"] {
                assert!(
                    deps.iter().any(|d| d["name"] == needed && d["target"].is_null() && d["kind"].is_null()),
                    "{name} depends on {needed} on every target"
                );
            }
        }
    }
}
