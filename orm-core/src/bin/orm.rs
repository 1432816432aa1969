//! `orm`: the migrator's command line for what needs no model code (`inspect`, `migrate run |
//! status | sql | revert | resolve`). Build it with `cargo install orm-core --features cli`.

fn main() -> std::process::ExitCode {
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    rt.block_on(orm_core::migrate::cli(None))
}
