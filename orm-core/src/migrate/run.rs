//! The migrator: applies pending migrations under a lock, records them in `orm_migrations`,
//! reports their status, prints their SQL and reverts them.

use super::HISTORY_TABLE;
use super::file::{self, Migration, parse_history};
use super::schema::{Op, Schema};
use crate::backend::Backend;
use crate::backend::ddl::{Apply, Step};
use crate::backend::dedicated::Dedicated;
use crate::db::{Db, Executor};
use crate::error::{Error, Result};
use crate::raw::Raw;
use crate::row::{FromRow, Row};
use crate::value::{SqlType, Value};
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// A data migration: a Rust function run inside its migration's transaction (after the
/// migration's schema operations), against raw SQL on the migration's connection.
/// Build one with [`data`].
pub type DataFn = Arc<dyn for<'a, 'c> Fn(&'a mut DataTx<'c>) -> DataFuture<'a> + Send + Sync>;

/// What a data migration returns: `Box::pin(async move { ... })`.
pub type DataFuture<'a> = Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>>;

/// A data migration from a closure:
/// `migrate::data(|tx| Box::pin(async move { tx.execute(raw("UPDATE ...")).await?; Ok(()) }))`.
pub fn data<F>(f: F) -> DataFn
where
    F: for<'a, 'c> Fn(&'a mut DataTx<'c>) -> DataFuture<'a> + Send + Sync + 'static,
{
    Arc::new(f)
}

/// The connection a data migration runs on, inside the migration's transaction.
pub struct DataTx<'c> {
    conn: &'c mut Dedicated,
}

impl DataTx<'_> {
    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.conn.backend
    }

    /// Runs a statement ([`crate::raw`], `?` placeholders, bound values); the rows affected.
    pub async fn execute(&mut self, raw: Raw) -> Result<u64> {
        let (sql, values) = raw.into_parts();
        self.conn.execute(&sql, values).await
    }

    /// Every row of a query, as `R` (a model, a `#[derive(FromRow)]` struct, or a tuple).
    pub async fn fetch_all<R: FromRow>(&mut self, raw: Raw) -> Result<Vec<R>> {
        let (sql, values) = raw.into_parts();
        self.conn.query(&sql, values, |r| R::from_row(&Row::new(r))).await
    }
}

/// One row of the history table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The migration id.
    pub id: String,
    /// The checksum of the file when it was applied.
    pub checksum: String,
    /// When it was applied (milliseconds since the Unix epoch).
    pub applied_at_ms: i64,
    /// How long it took.
    pub duration_ms: i64,
    /// `applied`, or `failed` / `running` for a migration that did not finish (MySQL).
    pub state: String,
    /// How many of its statements ran (MySQL records this as it goes).
    pub steps_done: i32,
    /// How many statements it has.
    pub steps_total: i32,
    /// The database's error, for a failed migration.
    pub error: Option<String>,
}

/// What [`Migrator::status`] finds.
#[derive(Debug, Clone, Default)]
pub struct Status {
    /// The history rows, in id order.
    pub applied: Vec<Applied>,
    /// The migrations not applied yet, in order.
    pub pending: Vec<String>,
    /// Applied migrations whose file changed since (checksum mismatch).
    pub mismatched: Vec<String>,
    /// Applied migrations whose file is gone.
    pub missing: Vec<String>,
    /// Migrations that failed half-way and must be resolved ([`Migrator::resolve`]).
    pub failed: Vec<String>,
}

/// How [`Migrator::resolve`] settles a migration that failed half-way (MySQL), or adopts one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// The migration is complete (finished by hand, or a baseline the database already has):
    /// record it as applied.
    Applied,
    /// The migration's effects were undone by hand: forget it, so that `run` applies it again.
    RolledBack,
}

/// Applies the migrations of a folder (or of [`crate::migrations!`]) to a database.
#[derive(Clone)]
pub struct Migrator {
    migrations: Vec<Migration>,
    data: Vec<(String, DataFn, Option<DataFn>)>,
    lock_wait: Duration,
    statement_lock_timeout: Duration,
    verbose: bool,
}

impl std::fmt::Debug for Migrator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Migrator").field("migrations", &self.ids()).finish()
    }
}

fn err(id: &str, message: impl Into<String>) -> Error {
    Error::Migration { id: id.to_owned(), message: message.into() }
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

impl Migrator {
    /// The migrations of folder `dir` (`NNNN_name.json` files), validated: no gaps, no
    /// duplicate numbers, each snapshot the result of its operations.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Migrator> {
        Migrator::from_files(&file::read_dir(dir.as_ref())?)
    }

    /// The migrations given as `(file name, text)` pairs (what [`crate::migrations!`] embeds).
    pub fn from_files(files: &[(String, String)]) -> Result<Migrator> {
        Ok(Migrator {
            migrations: parse_history(files)?,
            data: Vec::new(),
            lock_wait: Duration::from_secs(60),
            statement_lock_timeout: Duration::from_secs(10),
            verbose: false,
        })
    }

    /// The migrations, in order.
    pub fn migrations(&self) -> &[Migration] {
        &self.migrations
    }

    fn ids(&self) -> Vec<&str> {
        self.migrations.iter().map(|m| m.id.as_str()).collect()
    }

    /// How long `run` waits for another runner's lock before failing (default 60 s).
    pub fn lock_wait(mut self, wait: Duration) -> Self {
        self.lock_wait = wait;
        self
    }

    /// How long a migration's statement waits for a lock on a busy table before failing
    /// (PostgreSQL `SET LOCAL lock_timeout`; default 10 s).
    pub fn statement_lock_timeout(mut self, timeout: Duration) -> Self {
        self.statement_lock_timeout = timeout;
        self
    }

    /// Prints each migration, and each table rebuild with how long it took, on stderr.
    pub fn verbose(mut self, on: bool) -> Self {
        self.verbose = on;
        self
    }

    /// Registers a data migration: `up` runs after the schema operations of migration `id`,
    /// in its transaction (on MySQL, in a transaction of its own after them); `down`, if any,
    /// undoes it for [`revert`](Migrator::revert). Make the migration with
    /// [`make_empty`](super::make_empty) or add the data step to a generated one.
    pub fn data_migration(mut self, id: &str, up: DataFn, down: Option<DataFn>) -> Self {
        self.data.push((id.to_owned(), up, down));
        self
    }

    fn index_of(&self, id: &str) -> Result<usize> {
        self.migrations.iter().position(|m| m.id == id).ok_or_else(|| err(id, "no such migration"))
    }

    fn before(&self, i: usize) -> Schema {
        if i == 0 { Schema::new() } else { self.migrations[i - 1].snapshot.clone() }
    }

    /// The exact SQL migration `id` runs on `backend`, offline, with the statements around it
    /// (transaction, lock timeout, SQLite's foreign-key pragmas); the history row is not shown.
    pub fn sql(&self, id: &str, backend: Backend) -> Result<String> {
        let i = self.index_of(id)?;
        let steps =
            backend.render_ops(&self.migrations[i].operations, &self.before(i)).map_err(|e| err(id, e.to_string()))?;
        Ok(self.script_text(id, backend, &steps, false))
    }

    fn script_text(&self, id: &str, backend: Backend, steps: &[Step], revert: bool) -> String {
        let mut out = format!("-- {} {id} on {}\n", if revert { "revert" } else { "migration" }, backend.name());
        let tx = backend.apply_mode() == Apply::Transaction;
        if tx {
            if let Some((off, _)) = backend.around_migration() {
                out.push_str(off);
                out.push_str(";\n");
            }
            out.push_str(backend.begin_sql());
            out.push_str(";\n");
            if let Some(s) = backend.lock_timeout_sql(self.statement_lock_timeout.as_millis() as u64) {
                out.push_str(&s);
                out.push_str(";\n");
            }
        }
        for s in steps {
            out.push_str(&s.sql);
            out.push_str(";\n");
        }
        if tx {
            if let Some(q) = backend.foreign_key_check_sql() {
                out.push_str(q);
                out.push_str(";\n");
            }
            out.push_str("COMMIT;\n");
            if let Some((_, on)) = backend.around_migration() {
                out.push_str(on);
                out.push_str(";\n");
            }
        }
        out
    }

    /// Applies every pending migration in order, under a lock held on a connection of its own
    /// (two runners at once: the second waits, then applies nothing twice); returns the ids
    /// applied. An applied migration whose file changed, a migration that failed half-way, or an
    /// applied migration missing from the folder is an error before anything runs.
    pub async fn run(&self, db: &Db) -> Result<Vec<String>> {
        let mut conn = self.lock(db).await?;
        let r = self.apply_pending(&mut conn, self.migrations.len()).await;
        unlock(conn).await;
        r
    }

    /// [`run`](Migrator::run), stopping after migration `id`.
    pub async fn run_to(&self, db: &Db, id: &str) -> Result<Vec<String>> {
        let last = self.index_of(id)? + 1;
        let mut conn = self.lock(db).await?;
        let r = self.apply_pending(&mut conn, last).await;
        unlock(conn).await;
        r
    }

    /// Reverts the applied migrations after `to_id` (newest first), leaving `to_id` applied;
    /// returns the ids reverted. Every step is checked invertible before anything runs: a raw
    /// SQL step without a `reverse`, or a data migration without a `down`, is an error. A
    /// dropped table or column comes back empty (its values are not restored).
    pub async fn revert(&self, db: &Db, to_id: &str) -> Result<Vec<String>> {
        let target = self.index_of(to_id)?;
        let mut conn = self.lock(db).await?;
        let r = self.revert_to(&mut conn, target).await;
        unlock(conn).await;
        r
    }

    /// The history and the folder compared: applied, pending, changed, missing and failed.
    pub async fn status(&self, db: &Db) -> Result<Status> {
        let mut conn = self.lock(db).await?;
        let r = read_history(&mut conn).await;
        unlock(conn).await;
        Ok(self.compare(r?))
    }

    /// Settles migration `id` by hand: after a MySQL migration failed at step k of n, either
    /// record it applied (you finished it) or forget it (you undid its first steps) so that the
    /// next `run` applies it again. Also adopts a baseline: `Resolution::Applied` on a
    /// migration never run records it as applied without running it.
    pub async fn resolve(&self, db: &Db, id: &str, resolution: Resolution) -> Result<()> {
        let i = self.index_of(id)?;
        let mut conn = self.lock(db).await?;
        let r = async {
            let table = quoted(conn.backend);
            conn.execute(&format!("DELETE FROM {table} WHERE id = ?"), vec![Value::Text(id.to_owned())]).await?;
            if resolution == Resolution::Applied {
                let n = conn.backend.render_ops(&self.migrations[i].operations, &self.before(i))?.len();
                insert_history(&mut conn, &self.migrations[i], "applied", n, n, 0, None).await?;
            }
            Ok(())
        }
        .await;
        unlock(conn).await;
        r
    }

    fn compare(&self, applied: Vec<Applied>) -> Status {
        let mut st = Status::default();
        for a in &applied {
            match self.migrations.iter().find(|m| m.id == a.id) {
                None => st.missing.push(a.id.clone()),
                Some(m) if m.checksum != a.checksum => st.mismatched.push(a.id.clone()),
                Some(_) => {}
            }
            if a.state != "applied" {
                st.failed.push(a.id.clone());
            }
        }
        st.pending =
            self.migrations.iter().filter(|m| !applied.iter().any(|a| a.id == m.id)).map(|m| m.id.clone()).collect();
        st.applied = applied;
        st
    }

    /// A dedicated connection holding the migrator's lock (PostgreSQL and MySQL; SQLite's lock
    /// is each migration's `BEGIN IMMEDIATE`), with the history table created. Give it back
    /// with [`unlock`] on every path.
    async fn lock(&self, db: &Db) -> Result<Dedicated> {
        let mut conn = Dedicated::acquire(Executor::from(db).0).await?;
        let backend = conn.backend;
        if let Some(lock) = backend.try_lock_sql() {
            // Marked before the attempt: a runner dropped meanwhile closes its connection, which
            // releases a lock it may hold.
            conn.dirty(true);
            let deadline = Instant::now() + self.lock_wait;
            let polls = self.lock_wait.as_millis() / 100 + 1;
            let mut taken = false;
            for _ in 0..polls {
                let got: Vec<i64> = conn.query(lock, vec![], |r| i64::decode(r, 0)).await?;
                if got.first() == Some(&1) {
                    taken = true;
                    break;
                }
                if Instant::now() >= deadline {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            if !taken {
                conn.dirty(false);
                return Err(err(
                    "",
                    format!("another migrator holds the lock of this database; gave up after {:?}", self.lock_wait),
                ));
            }
        }
        if let Err(e) = conn.script(&backend.history_table_sql()).await {
            unlock(conn).await;
            return Err(e);
        }
        Ok(conn)
    }

    async fn apply_pending(&self, conn: &mut Dedicated, upto: usize) -> Result<Vec<String>> {
        let applied = read_history(conn).await?;
        let st = self.compare(applied);
        if let Some(id) = st.failed.first() {
            let a = st.applied.iter().find(|a| &a.id == id);
            return Err(err(
                id,
                format!(
                    "failed at step {} of {} ({}); resolve it first: undo or finish it by hand, then \
                     Migrator::resolve(db, \"{id}\", Resolution::RolledBack | Resolution::Applied) \
                     (`orm migrate resolve {id} --rolled-back|--applied`)",
                    a.map_or(0, |a| a.steps_done + 1),
                    a.map_or(0, |a| a.steps_total),
                    a.and_then(|a| a.error.clone()).unwrap_or_default()
                ),
            ));
        }
        if let Some(id) = st.mismatched.first() {
            return Err(err(id, "the migration file changed after it was applied (checksum mismatch)"));
        }
        if let Some(id) = st.missing.first() {
            return Err(err(id, "applied to the database, but missing from the migrations"));
        }
        let last_applied = self.migrations.iter().rposition(|m| st.applied.iter().any(|a| a.id == m.id));
        let mut done = Vec::new();
        for (i, m) in self.migrations.iter().enumerate().take(upto) {
            if !st.pending.contains(&m.id) {
                continue;
            }
            if last_applied.is_some_and(|l| i < l) {
                return Err(err(&m.id, "pending, but a later migration is applied already (out of order)"));
            }
            let steps =
                conn.backend.render_ops(&m.operations, &self.before(i)).map_err(|e| err(&m.id, e.to_string()))?;
            let data = self.data.iter().find(|(id, ..)| *id == m.id).map(|(_, up, _)| up.clone());
            if self.apply_one(conn, m, &steps, data, false).await? {
                done.push(m.id.clone());
            }
        }
        Ok(done)
    }

    async fn revert_to(&self, conn: &mut Dedicated, target: usize) -> Result<Vec<String>> {
        let applied = read_history(conn).await?;
        let st = self.compare(applied);
        if let Some(id) = st.failed.first().or(st.mismatched.first()).or(st.missing.first()) {
            return Err(err(id, "the history must be clean to revert (see Migrator::status)"));
        }
        // Plan everything first: nothing runs unless every step can be inverted.
        let mut plan = Vec::new();
        for i in (target + 1..self.migrations.len()).rev() {
            let m = &self.migrations[i];
            if !st.applied.iter().any(|a| a.id == m.id) {
                continue;
            }
            let before = self.before(i);
            let inverse = invert(&m.id, &m.operations, &before)?;
            let steps = conn.backend.render_ops(&inverse, &m.snapshot).map_err(|e| err(&m.id, e.to_string()))?;
            let data = match self.data.iter().find(|(id, ..)| *id == m.id) {
                Some((_, _, Some(down))) => Some(down.clone()),
                Some((_, _, None)) => {
                    return Err(err(&m.id, "its data migration has no `down`: it cannot be reverted"));
                }
                None => None,
            };
            plan.push((m, steps, data));
        }
        let mut done = Vec::new();
        for (m, steps, data) in plan {
            self.apply_one(conn, m, &steps, data, true).await?;
            done.push(m.id.clone());
        }
        Ok(done)
    }

    /// Applies (or reverts) one migration the backend's way; `false` when another runner had
    /// applied it meanwhile.
    async fn apply_one(
        &self,
        conn: &mut Dedicated,
        m: &Migration,
        steps: &[Step],
        data: Option<DataFn>,
        revert: bool,
    ) -> Result<bool> {
        let backend = conn.backend;
        if self.verbose {
            eprintln!("{} {} ({} statements)", if revert { "reverting" } else { "applying" }, m.id, steps.len());
        }
        let started = Instant::now();
        match backend.apply_mode() {
            Apply::Transaction => {
                let around = backend.around_migration();
                if let Some((off, on)) = around {
                    conn.enter(off, on).await?;
                }
                let result = match conn.enter(backend.begin_sql(), "ROLLBACK").await {
                    Ok(()) => {
                        let r = self.in_transaction(conn, m, steps, data, revert, started).await;
                        let end = if r.is_ok() { "COMMIT" } else { "ROLLBACK" };
                        match (conn.leave(end, "ROLLBACK").await, r) {
                            (Ok(()), r) => r,
                            (Err(e), Ok(_)) => Err(err(&m.id, format!("COMMIT failed: {e}"))),
                            (Err(_), Err(e)) => Err(e),
                        }
                    }
                    Err(e) => Err(e),
                };
                if let Some((_, on)) = around {
                    // Left registered when it fails: the connection is cleaned up when dropped.
                    let _ = conn.leave(on, on).await;
                }
                result
            }
            Apply::PerStatement => {
                let n = steps.len();
                let table = quoted(backend);
                if revert {
                    conn.execute(
                        &format!("UPDATE {table} SET state = 'running', steps_done = 0 WHERE id = ?"),
                        vec![Value::Text(m.id.clone())],
                    )
                    .await?;
                } else {
                    insert_history(conn, m, "running", 0, n, 0, None).await?;
                }
                for (k, step) in steps.iter().enumerate() {
                    let t0 = Instant::now();
                    if let Err(e) = conn.script(&step.sql).await {
                        let msg = e.to_string();
                        conn.execute(
                            &format!("UPDATE {table} SET state = 'failed', steps_done = ?, error = ? WHERE id = ?"),
                            vec![Value::I32(k as i32), Value::Text(msg.clone()), Value::Text(m.id.clone())],
                        )
                        .await?;
                        return Err(err(&m.id, format!("failed at step {} of {n} (`{}`): {msg}", k + 1, step.sql)));
                    }
                    self.report(step, t0);
                    conn.execute(
                        &format!("UPDATE {table} SET steps_done = ? WHERE id = ?"),
                        vec![Value::I32(k as i32 + 1), Value::Text(m.id.clone())],
                    )
                    .await?;
                }
                if let Some(f) = data {
                    conn.enter(backend.begin_sql(), "ROLLBACK").await?;
                    let r = f(&mut DataTx { conn: &mut *conn }).await;
                    let end = if r.is_ok() { "COMMIT" } else { "ROLLBACK" };
                    conn.leave(end, "ROLLBACK").await?;
                    if let Err(e) = r {
                        conn.execute(
                            &format!("UPDATE {table} SET state = 'failed', error = ? WHERE id = ?"),
                            vec![Value::Text(e.to_string()), Value::Text(m.id.clone())],
                        )
                        .await?;
                        return Err(err(&m.id, format!("its data migration failed: {e}")));
                    }
                }
                if revert {
                    conn.execute(&format!("DELETE FROM {table} WHERE id = ?"), vec![Value::Text(m.id.clone())]).await?;
                } else {
                    conn.execute(
                        &format!("UPDATE {table} SET state = 'applied', duration_ms = ? WHERE id = ?"),
                        vec![Value::I64(started.elapsed().as_millis() as i64), Value::Text(m.id.clone())],
                    )
                    .await?;
                }
                Ok(true)
            }
        }
    }

    async fn in_transaction(
        &self,
        conn: &mut Dedicated,
        m: &Migration,
        steps: &[Step],
        data: Option<DataFn>,
        revert: bool,
        started: Instant,
    ) -> Result<bool> {
        let backend = conn.backend;
        let table = quoted(backend);
        // Re-read under the lock: another runner may have applied it meanwhile (SQLite's lock
        // is this transaction).
        let there: Vec<String> = conn
            .query(&format!("SELECT state FROM {table} WHERE id = ?"), vec![Value::Text(m.id.clone())], |r| {
                String::decode(r, 0)
            })
            .await?;
        if there.is_empty() == revert {
            return Ok(false);
        }
        if let Some(s) = backend.lock_timeout_sql(self.statement_lock_timeout.as_millis() as u64) {
            conn.script(&s).await?;
        }
        let n = steps.len();
        // The triggers and views of a table being rebuilt (SQLite), recreated after it.
        let mut dependents: Vec<(String, String, String)> = Vec::new();
        for (k, step) in steps.iter().enumerate() {
            let starts = step.rebuild.is_some() && (k == 0 || steps[k - 1].rebuild != step.rebuild);
            if let (true, Some(table)) = (starts, &step.rebuild) {
                dependents = self.drop_dependents(conn, &m.id, table).await?;
            }
            let t0 = Instant::now();
            conn.script(&step.sql).await.map_err(|e| {
                err(&m.id, format!("failed at step {} of {n} (`{}`): {e}; nothing of it was applied", k + 1, step.sql))
            })?;
            self.report(step, t0);
            let ends = step.rebuild.is_some() && steps.get(k + 1).is_none_or(|next| next.rebuild != step.rebuild);
            if ends {
                for (kind, name, sql) in std::mem::take(&mut dependents) {
                    conn.script(&sql).await.map_err(|e| {
                        err(
                            &m.id,
                            format!(
                                "the rebuild of `{}` cannot recreate {kind} `{name}` after it: {e}; nothing of \
                                 the migration was applied (drop or change the {kind} in a raw SQL step first)",
                                step.rebuild.as_deref().unwrap_or_default()
                            ),
                        )
                    })?;
                }
            }
        }
        if let Some(f) = data {
            f(&mut DataTx { conn: &mut *conn })
                .await
                .map_err(|e| err(&m.id, format!("its data migration failed: {e}; nothing of it was applied")))?;
        }
        if let Some(q) = backend.foreign_key_check_sql() {
            let broken: Vec<String> = conn.query(q, vec![], |r| String::decode(r, 0)).await?;
            if !broken.is_empty() {
                return Err(err(
                    &m.id,
                    format!(
                        "rows of {} break a foreign key after the migration; nothing was applied",
                        broken.join(", ")
                    ),
                ));
            }
        }
        if revert {
            conn.execute(&format!("DELETE FROM {table} WHERE id = ?"), vec![Value::Text(m.id.clone())]).await?;
        } else {
            insert_history(conn, m, "applied", n, n, started.elapsed().as_millis() as i64, None).await?;
        }
        Ok(true)
    }

    /// Drops the views and triggers that refer to `table` before SQLite's rebuild of it (its
    /// `DROP TABLE` would drop its triggers, and the rename that follows fails on a view or
    /// trigger naming a table that is gone); returns them, oldest first, to be created again.
    async fn drop_dependents(
        &self,
        conn: &mut Dedicated,
        id: &str,
        table: &str,
    ) -> Result<Vec<(String, String, String)>> {
        let backend = conn.backend;
        let Some(q) = backend.rebuild_dependents_sql() else { return Ok(Vec::new()) };
        let all: Vec<(String, String, String, String)> = conn
            .query(q, vec![], |r| {
                Ok((String::decode(r, 0)?, String::decode(r, 1)?, String::decode(r, 2)?, String::decode(r, 3)?))
            })
            .await?;
        let found: Vec<(String, String, String)> = all
            .into_iter()
            .filter(|(kind, _, on, sql)| {
                (kind == "trigger" && on.eq_ignore_ascii_case(table))
                    || crate::backend::introspect::mentions(sql, table)
            })
            .map(|(kind, name, _, sql)| (kind, name, sql))
            .collect();
        for (kind, name, _) in &found {
            let sql = backend.drop_dependent_sql(kind, name);
            conn.script(&sql)
                .await
                .map_err(|e| err(id, format!("cannot drop {kind} `{name}` for the rebuild of `{table}`: {e}")))?;
            if self.verbose {
                eprintln!("  {kind} {name} on {table}: dropped for the rebuild, created again after it");
            }
        }
        Ok(found)
    }

    fn report(&self, step: &Step, t0: Instant) {
        if self.verbose
            && let Some(t) = &step.rebuild
        {
            eprintln!("  rebuild of {t}: `{}` took {:?}", step.sql, t0.elapsed());
        }
    }
}

/// Releases the lock of [`Migrator::lock`]; a connection that cannot release it is closed
/// (which releases it).
async fn unlock(mut conn: Dedicated) {
    if let Some(unlock) = conn.backend.unlock_sql() {
        match conn.query(unlock, vec![], |r| i64::decode(r, 0)).await {
            Ok(_) => conn.dirty(false),
            Err(_) => conn.discard(),
        }
    }
}

fn quoted(b: Backend) -> String {
    let mut s = String::new();
    b.write_ident(&mut s, HISTORY_TABLE);
    s
}

async fn insert_history(
    conn: &mut Dedicated,
    m: &Migration,
    state: &str,
    done: usize,
    total: usize,
    duration_ms: i64,
    error: Option<String>,
) -> Result<()> {
    let table = quoted(conn.backend);
    conn.execute(
        &format!(
            "INSERT INTO {table} (id, checksum, applied_at, duration_ms, state, steps_done, steps_total, error) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        ),
        vec![
            Value::Text(m.id.clone()),
            Value::Text(m.checksum.clone()),
            Value::I64(now_ms()),
            Value::I64(duration_ms),
            Value::Text(state.to_owned()),
            Value::I32(done as i32),
            Value::I32(total as i32),
            error.map_or(Value::Null(crate::SqlKind::Text), Value::Text),
        ],
    )
    .await?;
    Ok(())
}

async fn read_history(conn: &mut Dedicated) -> Result<Vec<Applied>> {
    let table = quoted(conn.backend);
    conn.query(
        &format!(
            "SELECT id, checksum, applied_at, duration_ms, state, steps_done, steps_total, error FROM {table} ORDER BY id"
        ),
        vec![],
        |r| {
            Ok(Applied {
                id: String::decode(r, 0)?,
                checksum: String::decode(r, 1)?,
                applied_at_ms: i64::decode(r, 2)?,
                duration_ms: i64::decode(r, 3)?,
                state: String::decode(r, 4)?,
                steps_done: i32::decode(r, 5)?,
                steps_total: i32::decode(r, 6)?,
                error: Option::<String>::decode(r, 7)?,
            })
        },
    )
    .await
}

/// The operations undoing `ops` (applied to `before`), newest first.
pub(crate) fn invert(id: &str, ops: &[Op], before: &Schema) -> Result<Vec<Op>> {
    let mut cur = before.clone();
    let mut out = Vec::new();
    for op in ops {
        let table = |name: &str| cur.get(name).cloned().ok_or_else(|| err(id, format!("no table `{name}`")));
        let inv: Vec<Op> = match op {
            Op::CreateTable { table } => vec![Op::DropTable { table: table.name.clone() }],
            Op::DropTable { table: t } => vec![Op::CreateTable { table: table(t)? }],
            Op::RenameTable { from, to } => vec![Op::RenameTable { from: to.clone(), to: from.clone() }],
            Op::AddColumn { table, column } => {
                vec![Op::DropColumn { table: table.clone(), column: column.name.clone() }]
            }
            Op::DropColumn { table: t, column } => {
                let tb = table(t)?;
                let col = tb.column(column).cloned().ok_or_else(|| err(id, format!("no column `{t}.{column}`")))?;
                // The column comes back, then what went with it.
                let mut v = vec![Op::AddColumn { table: t.clone(), column: col }];
                v.extend(
                    tb.indexes
                        .iter()
                        .filter(|i| i.columns.contains(column))
                        .map(|i| Op::CreateIndex { table: t.clone(), index: i.clone() }),
                );
                v.extend(
                    tb.foreign_keys
                        .iter()
                        .filter(|f| f.columns.contains(column))
                        .map(|f| Op::AddForeignKey { table: t.clone(), foreign_key: f.clone() }),
                );
                v.reverse();
                v
            }
            Op::RenameColumn { table, from, to } => {
                vec![Op::RenameColumn { table: table.clone(), from: to.clone(), to: from.clone() }]
            }
            Op::AlterColumn { table: t, column } => {
                let old = table(t)?
                    .column(&column.name)
                    .cloned()
                    .ok_or_else(|| err(id, format!("no column `{t}.{}`", column.name)))?;
                vec![Op::AlterColumn { table: t.clone(), column: old }]
            }
            Op::CreateIndex { table, index } => vec![Op::DropIndex { table: table.clone(), name: index.name.clone() }],
            Op::DropIndex { table: t, name } => {
                let i = table(t)?
                    .indexes
                    .iter()
                    .find(|i| &i.name == name)
                    .cloned()
                    .ok_or_else(|| err(id, format!("no index `{name}`")))?;
                vec![Op::CreateIndex { table: t.clone(), index: i }]
            }
            Op::AddForeignKey { table, foreign_key } => {
                vec![Op::DropForeignKey { table: table.clone(), name: foreign_key.name.clone() }]
            }
            Op::DropForeignKey { table: t, name } => {
                let f = table(t)?
                    .foreign_keys
                    .iter()
                    .find(|f| &f.name == name)
                    .cloned()
                    .ok_or_else(|| err(id, format!("no foreign key `{name}`")))?;
                vec![Op::AddForeignKey { table: t.clone(), foreign_key: f }]
            }
            Op::AddCheck { table, check } => vec![Op::DropCheck { table: table.clone(), name: check.name.clone() }],
            Op::DropCheck { table: t, name } => {
                let c = table(t)?
                    .checks
                    .iter()
                    .find(|c| &c.name == name)
                    .cloned()
                    .ok_or_else(|| err(id, format!("no check `{name}`")))?;
                vec![Op::AddCheck { table: t.clone(), check: c }]
            }
            Op::CreateEnum { name, .. } => vec![Op::DropEnum { name: name.clone() }],
            Op::DropEnum { name } => {
                let e = cur
                    .enums
                    .iter()
                    .find(|e| &e.name == name)
                    .cloned()
                    .ok_or_else(|| err(id, format!("no enum type `{name}`")))?;
                vec![Op::CreateEnum { name: e.name, values: e.values }]
            }
            Op::AddEnumValue { name, value, .. } => {
                return Err(err(
                    id,
                    format!(
                        "the migration adds label {value:?} to enum type `{name}`, and PostgreSQL cannot drop a label: \
                         the migration cannot be reverted"
                    ),
                ));
            }
            Op::RawSql { reverse: Some(r), .. } => {
                vec![Op::RawSql { all: Some(r.clone()), sqlite: None, postgres: None, mysql: None, reverse: None }]
            }
            Op::RawSql { reverse: None, .. } => {
                return Err(err(id, "a raw SQL step has no `reverse`: the migration cannot be reverted"));
            }
        };
        cur.apply(op)?;
        out.push(inv);
    }
    // Applied in reverse order, each group in its own order (reversed above where needed).
    let mut flat = Vec::new();
    for group in out.into_iter().rev() {
        let mut g = group;
        g.reverse();
        flat.extend(g);
    }
    // The inverse must lead back exactly to the schema before the migration.
    let mut check = cur;
    for op in &flat {
        check.apply(op).map_err(|e| err(id, format!("cannot be reverted: {e}")))?;
    }
    if check != *before {
        return Err(err(id, "cannot be reverted: undoing its operations does not give back the schema before it"));
    }
    Ok(flat)
}
