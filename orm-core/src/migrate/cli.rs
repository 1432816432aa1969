//! The command line of the migrator: the `orm` binary (feature `cli`) and [`cli`] for an
//! application's own `src/bin/migrate.rs`.

use super::{MakeOptions, Migrator, Resolution, Schema};
use crate::backend::Backend;
use crate::db::Db;
use crate::error::{Error, Result};
use std::process::ExitCode;

const USAGE: &str = "\
usage:
  orm inspect [--url URL]                      print #[derive(Model)] structs for every table
  orm migrate run     [--dir D] [--url URL] [--to ID]
  orm migrate status  [--dir D] [--url URL]
  orm migrate sql ID  [--dir D] [--backend sqlite|postgres|mysql]
  orm migrate revert TO_ID [--dir D] [--url URL]
  orm migrate resolve ID --applied|--rolled-back [--dir D] [--url URL]
with the models (migrate::cli):
  make NAME [--dir D] [--allow-destructive]    write the next migration
  check [--dir D]                              fail when the models changed without a migration
The URL defaults to $DATABASE_URL, the folder to `migrations`.";

struct Args {
    words: Vec<String>,
    dir: String,
    url: Option<String>,
    backend: Option<String>,
    to: Option<String>,
    flags: Vec<String>,
}

fn parse(args: Vec<String>) -> Result<Args> {
    let mut a =
        Args { words: Vec::new(), dir: "migrations".into(), url: None, backend: None, to: None, flags: Vec::new() };
    let mut it = args.into_iter();
    while let Some(x) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| usage(&format!("{name} needs a value")));
        match x.as_str() {
            "--dir" => a.dir = value("--dir")?,
            "--url" => a.url = Some(value("--url")?),
            "--backend" => a.backend = Some(value("--backend")?),
            "--to" => a.to = Some(value("--to")?),
            f if f.starts_with("--") => a.flags.push(f.to_owned()),
            _ => a.words.push(x),
        }
    }
    if a.url.is_none() {
        a.url = std::env::var("DATABASE_URL").ok();
    }
    Ok(a)
}

fn usage(why: &str) -> Error {
    Error::Migration { id: String::new(), message: format!("{why}\n{USAGE}") }
}

async fn connect(a: &Args) -> Result<Db> {
    let url = a.url.as_deref().ok_or_else(|| usage("no database: give --url or set DATABASE_URL"))?;
    Db::connect(url).await
}

/// Runs the subcommands of the `orm` binary (and, given the models' `schema`, `make` and
/// `check`) on the process's arguments; prints errors and returns the exit code.
///
/// ```no_run
/// // src/bin/migrate.rs of an application
/// # use orm_core::prelude::*;
/// # #[derive(Model)] struct Artist { #[orm(primary_key)] id: i64, name: String }
/// #[tokio::main]
/// async fn main() -> std::process::ExitCode {
///     orm_core::migrate::cli(Some(orm_core::migrate::Schema::new().model::<Artist>())).await
/// }
/// ```
pub async fn cli(schema: Option<Schema>) -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(schema, args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// [`cli`] on the given arguments (without the program name).
pub async fn run(schema: Option<Schema>, args: Vec<String>) -> Result<()> {
    let a = parse(args)?;
    let words: Vec<&str> = a.words.iter().map(String::as_str).collect();
    let migrator = || Ok::<_, Error>(Migrator::from_dir(&a.dir)?.verbose(true));
    match words.as_slice() {
        ["inspect"] => {
            let db = connect(&a).await?;
            print!("{}", super::introspect(&db).await?.to_rust());
        }
        ["migrate", "run"] => {
            let db = connect(&a).await?;
            let m = migrator()?;
            let applied = match &a.to {
                Some(to) => m.run_to(&db, to).await?,
                None => m.run(&db).await?,
            };
            if applied.is_empty() {
                println!("nothing to apply");
            }
            for id in applied {
                println!("applied {id}");
            }
        }
        ["migrate", "status"] => {
            let db = connect(&a).await?;
            let st = migrator()?.status(&db).await?;
            for r in &st.applied {
                let flag = if st.mismatched.contains(&r.id) { " (file changed since!)" } else { "" };
                if r.state == "applied" {
                    println!("applied  {} ({} ms){flag}", r.id, r.duration_ms);
                } else {
                    println!(
                        "{}   {} at step {} of {}: {}",
                        r.state.to_uppercase(),
                        r.id,
                        r.steps_done + 1,
                        r.steps_total,
                        r.error.as_deref().unwrap_or("")
                    );
                }
            }
            for id in &st.pending {
                println!("pending  {id}");
            }
            for id in &st.missing {
                println!("MISSING  {id} (applied, but not in {})", a.dir);
            }
        }
        ["migrate", "sql", id] => {
            let backend = match a.backend.as_deref() {
                Some("sqlite") => Backend::Sqlite,
                Some("postgres") | Some("postgresql") => Backend::Postgres,
                Some("mysql") | Some("mariadb") => Backend::MySql,
                Some(other) => return Err(usage(&format!("unknown backend `{other}`"))),
                None => match &a.url {
                    Some(url) => crate::backend::driver::backend_of(url)?,
                    None => return Err(usage("give --backend or a URL")),
                },
            };
            print!("{}", migrator()?.sql(id, backend)?);
        }
        ["migrate", "revert", to] => {
            let db = connect(&a).await?;
            for id in migrator()?.revert(&db, to).await? {
                println!("reverted {id}");
            }
        }
        ["migrate", "resolve", id] => {
            let r = if a.flags.iter().any(|f| f == "--applied") {
                Resolution::Applied
            } else if a.flags.iter().any(|f| f == "--rolled-back") {
                Resolution::RolledBack
            } else {
                return Err(usage("resolve needs --applied or --rolled-back"));
            };
            let db = connect(&a).await?;
            migrator()?.resolve(&db, id, r).await?;
            println!("resolved {id}");
        }
        ["make", name] => {
            let schema = schema.ok_or_else(|| usage("`make` needs the models: use migrate::cli(Some(schema))"))?;
            let opts = MakeOptions { allow_destructive: a.flags.iter().any(|f| f == "--allow-destructive") };
            match super::make(&schema, &a.dir, name, opts)? {
                Some(p) => println!("wrote {}", p.display()),
                None => println!("no changes"),
            }
        }
        ["check"] => {
            let schema = schema.ok_or_else(|| usage("`check` needs the models: use migrate::cli(Some(schema))"))?;
            super::check(&schema, &a.dir)?;
            println!("the migrations hold every change of the models");
        }
        _ => return Err(usage("unknown command")),
    }
    Ok(())
}
