//! Multi-row writes: [`Model::insert_many`], [`Model::insert_many_with_keys`],
//! [`Model::upsert`] and [`Model::upsert_many`].
//!
//! Rows go out in multi-row `INSERT ... VALUES (..), (..), ...` statements, each binding as many
//! rows as fit under the backend's bind-parameter limit ([`Backend::max_params`]): a *chunk*.
//! All rows of one statement must have the same columns, so consecutive rows are grouped into
//! *runs*: a row whose database-generated key is unset (0 or `None`) leaves the key column out,
//! any other row writes it. Rows keep their order; each run is chunked on its own. When more
//! than one statement is needed and the caller passed a `&Db`, they run in one transaction of
//! their own; with a `&mut Tx` they run in the caller's transaction. One statement needs no
//! transaction: a statement is atomic on every backend.
//!
//! The SQL of a full chunk is rendered once per model, backend and shape (and kept in the
//! model's `SqlCache`), as is the one-row statement; the last, partial chunk of a call is
//! rendered for that call unless its size is among the last few seen for that shape (see
//! [`PERSIST_MAX_PARAMS`] for which of them stay prepared).

use crate::backend::driver::{self, SqlText};
use crate::backend::{Args, Backend, Exec, Lane, TxInner};
use crate::error::{Error, Result};
use crate::model::{Model, model_sql};
use crate::value::SqlType;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// A partial chunk binding at most this many values keeps its prepared statement in the
/// connection's statement cache at once. A bigger one is kept only when its size recurs (it is
/// among the [`RECENT`] last partial sizes of its shape): preparing a multi-row INSERT costs about
/// as much as running it (docs/performance.md), so a batch size used again and again must not
/// be prepared again and again, but one-off sizes must not fill the cache (and, on PostgreSQL
/// and MySQL, the server's memory) with statements of tens of thousands of placeholders.
const PERSIST_MAX_PARAMS: usize = 1024;

/// How many partial-chunk statements of each shape are remembered (SQL text and "seen before").
const RECENT: usize = 2;

/// The statement shapes of multi-row writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// INSERT of every column.
    Insert = 0,
    /// INSERT leaving out the generated key.
    InsertGenerated = 1,
    /// INSERT leaving out the generated key and reading it back (`RETURNING` where the backend
    /// has it; MySQL reads `LAST_INSERT_ID()` instead, so the SQL is that of `InsertGenerated`).
    InsertReturning = 2,
    /// INSERT of every column that updates the other columns of a row with the same key.
    Upsert = 3,
}

impl Shape {
    fn with_key(self) -> bool {
        matches!(self, Shape::Insert | Shape::Upsert)
    }
}

/// The cached multi-row statements of one model on one backend (a part of its `ModelSql`).
#[derive(Debug, Default)]
pub(crate) struct BulkSql {
    /// The statement of a full chunk, by shape.
    full: [OnceLock<Arc<str>>; 4],
    /// The one-row statement, by shape.
    one: [OnceLock<Arc<str>>; 4],
    /// The last partial-chunk statements, by shape, most recent first.
    recent: [Mutex<Vec<Recent>>; 4],
}

/// A remembered partial-chunk statement: its number of rows and its SQL.
type Recent = (usize, Arc<str>);

/// What a multi-row write does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Plain INSERTs.
    Insert,
    /// INSERTs that read the generated keys back.
    InsertWithKeys,
    /// INSERT or UPDATE on the primary key.
    Upsert,
}

/// The number of columns a statement of `shape` writes.
fn column_count<M: Model>(shape: Shape) -> usize {
    M::COLUMNS.len() - usize::from(!shape.with_key())
}

/// How many rows one statement of `shape` binds on `b`.
fn rows_per_chunk<M: Model>(b: Backend, shape: Shape) -> usize {
    match column_count::<M>(shape) {
        // Only a generated key: `DEFAULT VALUES` inserts one row a statement.
        0 => 1,
        n => (b.max_params() / n).max(1),
    }
}

/// Renders the statement of `shape` for `rows` rows.
fn render<M: Model>(b: Backend, shape: Shape, rows: usize) -> String {
    let with_key = shape.with_key();
    let pk = M::COLUMNS[M::PRIMARY_KEY].name;
    let columns = || M::COLUMNS.iter().enumerate().filter(move |&(i, _)| with_key || i != M::PRIMARY_KEY);
    let ncols = column_count::<M>(shape);
    let per_value = b.placeholder_width();
    let mut s = String::with_capacity(64 + 16 * ncols + rows * (ncols * per_value + 2));
    if ncols == 0 {
        b.write_insert_defaults(&mut s, M::TABLE);
    } else {
        s.push_str("INSERT INTO ");
        b.write_ident(&mut s, M::TABLE);
        s.push_str(" (");
        for (n, (_, c)) in columns().enumerate() {
            if n > 0 {
                s.push_str(", ");
            }
            b.write_ident(&mut s, c.name);
        }
        s.push_str(") VALUES ");
        let mut param = 0;
        for r in 0..rows {
            s.push_str(if r == 0 { "(" } else { ", (" });
            for c in 0..ncols {
                if c > 0 {
                    s.push_str(", ");
                }
                param += 1;
                b.write_placeholder(&mut s, param);
            }
            s.push(')');
        }
    }
    match shape {
        Shape::Upsert => {
            let keys: Vec<&str> = crate::model::key_columns::<M>().map(|c| c.name).collect();
            // An existing row keeps its key and its `auto_now_add` columns.
            let mut others: Vec<&str> = columns()
                .filter(|&(i, _)| !M::KEY_COLUMNS.contains(&i) && !M::AUTO_NOW_ADD.contains(&i))
                .map(|(_, c)| c.name)
                .collect();
            // A versioned row that exists gets its version incremented (as by a set-based
            // `Query::update`), so every copy read before is stale from then on.
            let version = M::VERSION_COLUMN.map(|v| M::COLUMNS[v].name);
            let bump = version.filter(|_| others.len() > 1);
            others.retain(|c| Some(*c) != bump);
            b.write_upsert_clause(&mut s, &keys, &others);
            if let Some(v) = bump {
                b.write_upsert_version_bump(&mut s, M::TABLE, v);
            }
        }
        Shape::InsertReturning if b.supports_returning() => {
            s.push_str(" RETURNING ");
            b.write_ident(&mut s, pk);
        }
        _ => {}
    }
    s
}

/// The SQL of a chunk of `rows` rows, and whether to keep it prepared.
fn chunk_sql<M: Model>(b: Backend, shape: Shape, rows: usize, full: usize) -> (SqlText, bool) {
    let cache = &model_sql::<M>(b).bulk;
    let i = shape as usize;
    if rows == full {
        (SqlText::Shared(cache.full[i].get_or_init(|| render::<M>(b, shape, rows).into()).clone()), true)
    } else if rows == 1 {
        (SqlText::Shared(cache.one[i].get_or_init(|| render::<M>(b, shape, 1).into()).clone()), true)
    } else {
        let recent = &cache.recent[i];
        let lock = || recent.lock().unwrap_or_else(PoisonError::into_inner);
        {
            let mut seen = lock();
            if let Some(pos) = seen.iter().position(|(n, _)| *n == rows) {
                let hit = seen.remove(pos);
                let sql = hit.1.clone();
                seen.insert(0, hit);
                return (SqlText::Shared(sql), true);
            }
        }
        let sql: Arc<str> = render::<M>(b, shape, rows).into();
        let mut seen = lock();
        seen.insert(0, (rows, sql.clone()));
        seen.truncate(RECENT);
        (SqlText::Shared(sql), rows * column_count::<M>(shape) <= PERSIST_MAX_PARAMS)
    }
}

/// Writes `rows`; returns the rows written and, for [`Mode::InsertWithKeys`], the generated keys
/// of the rows that had none, in row order.
pub(crate) async fn write_many<M: Model>(
    exec: Exec<'_>,
    rows: &[M],
    mode: Mode,
    run_hooks: bool,
) -> Result<(u64, Vec<i64>)> {
    // One time for every row: `auto_now` / `auto_now_add` columns are bound as `w.now_micros`.
    let w = crate::lifecycle::WriteCtx::new::<M>(true, false);
    write_many_at(exec, rows, mode, run_hooks, &w).await
}

/// [`write_many`] with the managed columns written as `w` says (so that the caller can store
/// the same values into its rows).
pub(crate) async fn write_many_at<M: Model>(
    mut exec: Exec<'_>,
    rows: &[M],
    mode: Mode,
    run_hooks: bool,
    w: &crate::lifecycle::WriteCtx,
) -> Result<(u64, Vec<i64>)> {
    // `before_insert` of a model with hooks, on copies (the rows are borrowed), before anything
    // is sent.
    let prepared = if run_hooks { M::__prepare_many(rows)? } else { None };
    let rows = prepared.as_deref().unwrap_or(rows);
    let b = exec.backend();
    let generated = M::COLUMNS[M::PRIMARY_KEY].auto_increment;
    let omits_key = |r: &M| generated && r.__key_unset();
    let shape_of = |omit: bool| match (omit, mode) {
        (true, Mode::InsertWithKeys) => Shape::InsertReturning,
        (true, _) => Shape::InsertGenerated,
        (false, Mode::Upsert) => Shape::Upsert,
        (false, _) => Shape::Insert,
    };
    // How many statements, and the most values one of them binds.
    let (statements, most_values) =
        rows.chunk_by(|x, y| omits_key(x) == omits_key(y)).fold((0usize, 0usize), |(n, most), run| {
            let shape = shape_of(omits_key(&run[0]));
            let full = rows_per_chunk::<M>(b, shape);
            (n + run.len().div_ceil(full), most.max(run.len().min(full) * column_count::<M>(shape)))
        });

    let mut own_tx: Option<TxInner> = None;
    if statements > 1
        && let Exec::Db(db) = &exec
    {
        // On the bulk lane where the statements are large (backend/hot.rs), as they would run
        // there one by one.
        own_tx = Some(db.begin_in(Lane::of(b, 0, most_values)).await?);
    }
    let mut written = 0u64;
    let mut keys = Vec::new();
    {
        let mut target = match own_tx.as_mut() {
            Some(tx) => Exec::Tx(tx),
            None => exec.reborrow(),
        };
        let mut key_step: Option<i64> = None;
        for run in rows.chunk_by(|x, y| omits_key(x) == omits_key(y)) {
            let shape = shape_of(omits_key(&run[0]));
            let full = rows_per_chunk::<M>(b, shape);
            let ncols = column_count::<M>(shape);
            for chunk in run.chunks(full) {
                let (sql, persistent) = chunk_sql::<M>(b, shape, chunk.len(), full);
                let mut args = Args::with_capacity(b, chunk.len() * ncols);
                for r in chunk {
                    r.__bind_write(&mut args, shape.with_key(), w)?;
                }
                let n = chunk.len();
                if shape != Shape::InsertReturning {
                    let out = driver::execute_with(target.reborrow(), sql, args, persistent)
                        .await
                        .map_err(|e| crate::model::name_unique_columns::<M>(e.for_table(M::TABLE)))?;
                    written += if mode == Mode::Upsert { n as u64 } else { out.rows_affected };
                    continue;
                }
                if b.supports_returning() {
                    let mut got =
                        driver::fetch_all_with(target.reborrow(), sql, args, persistent, |r| i64::decode(r, 0))
                            .await
                            .map_err(|e| crate::model::name_unique_columns::<M>(e.for_table(M::TABLE)))?;
                    if got.len() != n {
                        return Err(missing_keys(n, got.len()));
                    }
                    // The database numbers the rows in the order of the VALUES list; RETURNING
                    // need not list them in that order.
                    got.sort_unstable();
                    keys.extend(got);
                    written += n as u64;
                    continue;
                }
                let step = match key_step {
                    Some(s) => s,
                    None => {
                        let s = read_key_step(target.reborrow(), b).await?;
                        key_step = Some(s);
                        s
                    }
                };
                let out = driver::execute_with(target.reborrow(), sql, args, persistent)
                    .await
                    .map_err(|e| crate::model::name_unique_columns::<M>(e.for_table(M::TABLE)))?;
                let first = out.last_insert_id.filter(|&id| id > 0).ok_or_else(|| missing_keys(n, 0))?;
                if out.rows_affected != n as u64 {
                    return Err(missing_keys(n, out.rows_affected as usize));
                }
                keys.extend((0..n as i64).map(|i| first + i * step));
                written += n as u64;
            }
        }
        // Explicit keys in a generated key column: move the key generator past them where the
        // database does not (PostgreSQL), as a single `insert` does.
        if generated
            && rows.iter().any(|r| !omits_key(r))
            && let Some(sql) = b.sync_generated_key_to_max_sql(M::TABLE, M::COLUMNS[M::PRIMARY_KEY].name)
        {
            let mut quoted = String::new();
            b.write_ident(&mut quoted, M::TABLE);
            let mut args = Args::new(b);
            args.push_value(crate::Value::Text(quoted))?;
            args.push_value(crate::Value::Text(M::COLUMNS[M::PRIMARY_KEY].name.to_owned()))?;
            driver::execute(target.reborrow(), SqlText::Owned(sql), args).await?;
        }
    }
    if let Some(tx) = own_tx {
        tx.commit().await?;
    }
    Ok((written, keys))
}

fn missing_keys(rows: usize, got: usize) -> Error {
    Error::Unsupported(format!("the database reported {got} generated keys for {rows} inserted rows"))
}

/// The step between consecutive generated keys (MySQL's `auto_increment_increment`).
async fn read_key_step(exec: Exec<'_>, b: Backend) -> Result<i64> {
    let Some(sql) = b.generated_key_step_sql() else {
        return Ok(1);
    };
    let step = driver::fetch_optional(exec, SqlText::Shared(sql.into()), Args::new(b), |r| i64::decode(r, 0)).await?;
    Ok(step.unwrap_or(1).max(1))
}

/// Writes every row in `rows` and stores the generated keys into the rows that had none, and the
/// `auto_now` / `auto_now_add` times into every row.
pub(crate) async fn insert_many_with_keys<M: Model>(exec: Exec<'_>, rows: &mut [M]) -> Result<u64> {
    for r in rows.iter_mut() {
        r.__before_insert()?;
    }
    let w = crate::lifecycle::WriteCtx::new::<M>(true, false);
    let (n, keys) = write_many_at(exec, rows, Mode::InsertWithKeys, false, &w).await?;
    for r in rows.iter_mut() {
        r.__apply_write(&w);
    }
    let generated = M::COLUMNS[M::PRIMARY_KEY].auto_increment;
    let mut keys = keys.into_iter();
    for r in rows.iter_mut().filter(|r| generated && r.__key_unset()) {
        let key = keys.next().ok_or_else(|| Error::Unsupported("fewer generated keys than rows".into()))?;
        r.__set_generated_key(key)?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate as orm_core;

    #[derive(orm_core::Model)]
    #[orm(table = "track")]
    #[allow(dead_code)]
    struct Track {
        #[orm(primary_key)]
        id: i64,
        name: String,
        ms: i32,
    }

    #[derive(orm_core::Model)]
    #[allow(dead_code)]
    struct Only {
        #[orm(primary_key)]
        id: i64,
    }

    #[test]
    fn golden_multi_row_sql() {
        let b = Backend::Sqlite;
        assert_eq!(
            render::<Track>(b, Shape::InsertGenerated, 2),
            r#"INSERT INTO "track" ("name", "ms") VALUES (?, ?), (?, ?)"#
        );
        assert_eq!(
            render::<Track>(b, Shape::InsertReturning, 1),
            r#"INSERT INTO "track" ("name", "ms") VALUES (?, ?) RETURNING "id""#
        );
        assert_eq!(
            render::<Track>(b, Shape::Upsert, 2),
            r#"INSERT INTO "track" ("id", "name", "ms") VALUES (?, ?, ?), (?, ?, ?) ON CONFLICT ("id") DO UPDATE SET "name" = EXCLUDED."name", "ms" = EXCLUDED."ms""#
        );
        let b = Backend::Postgres;
        assert_eq!(
            render::<Track>(b, Shape::Insert, 2),
            r#"INSERT INTO "track" ("id", "name", "ms") VALUES ($1, $2, $3), ($4, $5, $6)"#
        );
        assert_eq!(
            render::<Track>(b, Shape::InsertReturning, 2),
            r#"INSERT INTO "track" ("name", "ms") VALUES ($1, $2), ($3, $4) RETURNING "id""#
        );
        let b = Backend::MySql;
        assert_eq!(
            render::<Track>(b, Shape::InsertReturning, 2),
            "INSERT INTO `track` (`name`, `ms`) VALUES (?, ?), (?, ?)"
        );
        assert_eq!(
            render::<Track>(b, Shape::Upsert, 1),
            "INSERT INTO `track` (`id`, `name`, `ms`) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE `name` = VALUES(`name`), `ms` = VALUES(`ms`)"
        );
        assert_eq!(
            render::<Only>(b, Shape::Upsert, 1),
            "INSERT INTO `only` (`id`) VALUES (?) ON DUPLICATE KEY UPDATE `id` = `id`"
        );
        assert_eq!(
            render::<Only>(Backend::Postgres, Shape::Upsert, 1),
            r#"INSERT INTO "only" ("id") VALUES ($1) ON CONFLICT ("id") DO NOTHING"#
        );
        assert_eq!(
            render::<Only>(Backend::Postgres, Shape::InsertReturning, 1),
            r#"INSERT INTO "only" DEFAULT VALUES RETURNING "id""#
        );
    }

    #[test]
    fn chunks_stay_under_the_parameter_limit() {
        assert_eq!(rows_per_chunk::<Track>(Backend::Sqlite, Shape::InsertGenerated), 32766 / 2);
        assert_eq!(rows_per_chunk::<Track>(Backend::Postgres, Shape::Upsert), 65535 / 3);
        assert_eq!(rows_per_chunk::<Only>(Backend::MySql, Shape::InsertGenerated), 1);
        let mut s = String::new();
        Backend::Postgres.write_placeholder(&mut s, 65535);
        Backend::Postgres.write_placeholder(&mut s, 7);
        assert_eq!(s, "$65535$7");
    }
}
