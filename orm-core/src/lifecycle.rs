//! The model lifecycle: columns the ORM manages (`auto_now`, `auto_now_add`, `version`), partial
//! updates (`update_fields`), upserts on a composite unique (`upsert_on`).

use crate::backend::driver::{self, SqlText};
use crate::backend::{Args, Backend, Exec};
use crate::error::{Error, Result};
use crate::model::{Model, key_columns, name_unique_columns};
use crate::query::Column;
use crate::value::{SqlType, Value};
use std::sync::atomic::{AtomicI64, Ordering};

/// Lifecycle hooks of a model, as Django's signals and SeaORM's `ActiveModelBehavior`: implement
/// the methods you need (the others do nothing) and mark the struct `#[orm(hooks)]`.
///
/// * [`before_insert`](ModelHooks::before_insert) runs before every INSERT of a whole model:
///   `insert`, `save` of a new row, `upsert`, `upsert_on`, `insert_many`, `upsert_many`,
///   `insert_many_with_keys`, `get_or_create` (bulk writes of a model with hooks copy the rows,
///   so the model must be `Clone`);
/// * [`before_update`](ModelHooks::before_update) before every UPDATE of one: `update`, `save`
///   of an existing row, `update_fields`, `update_or_create`;
/// * [`after_load`](ModelHooks::after_load) after every read of whole rows: `find`, queries,
///   streams, relation loads, `get_or_create`.
///
/// An `Err` from a before-hook stops the write before anything is sent. The hooks are not
/// `async`: they see the model, not the database (do database work before the call).
///
/// ```
/// use orm_core::prelude::*;
///
/// #[derive(Model, Debug, Clone)]
/// #[orm(hooks)]
/// pub struct Article { #[orm(primary_key)] pub id: i64, pub title: String, pub slug: String }
///
/// impl orm_core::ModelHooks for Article {
///     fn before_insert(&mut self) -> orm_core::Result<()> {
///         if self.title.trim().is_empty() {
///             return Err(orm_core::Error::InvalidValue("an article needs a title".into()));
///         }
///         self.slug = self.title.to_lowercase().replace(' ', "-");
///         Ok(())
///     }
/// }
/// ```
pub trait ModelHooks: Model {
    /// Before the row is inserted; may change it, or refuse with an `Err`.
    fn before_insert(&mut self) -> Result<()> {
        Ok(())
    }
    /// Before the row is updated; may change it, or refuse with an `Err`.
    fn before_update(&mut self) -> Result<()> {
        Ok(())
    }
    /// After the row is read from the database; may fill fields the database does not hold.
    fn after_load(&mut self) -> Result<()> {
        Ok(())
    }
}

/// What a write does to the columns the ORM manages, decided once per statement.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct WriteCtx {
    /// The time of this write, in microseconds since the Unix epoch (UTC).
    pub now_micros: i64,
    /// An INSERT: `auto_now_add` columns get `now` too.
    pub inserting: bool,
    /// An UPDATE of a versioned row: the version column gets its next value.
    pub bump_version: bool,
}

impl WriteCtx {
    pub(crate) fn new<M: Model>(inserting: bool, bump_version: bool) -> WriteCtx {
        let now_micros = if M::AUTO_NOW.is_empty() && M::AUTO_NOW_ADD.is_empty() { 0 } else { now_micros() };
        WriteCtx { now_micros, inserting, bump_version: bump_version && M::VERSION_COLUMN.is_some() }
    }
}

/// The last time handed out, so that timestamps never go backwards within a process.
static LAST_MICROS: AtomicI64 = AtomicI64::new(0);

/// The current time in whole microseconds (what every backend keeps), never earlier than the
/// last one handed out (the system clock may step back).
pub(crate) fn now_micros() -> i64 {
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    let prev = LAST_MICROS.fetch_max(wall, Ordering::Relaxed);
    wall.max(prev)
}

/// The current time `micros` as a value of a timestamp column of `kind`.
#[cfg_attr(not(feature = "chrono"), allow(unused_variables))]
pub(crate) fn now_value(kind: crate::SqlKind, micros: i64) -> Result<Value> {
    match kind {
        #[cfg(feature = "chrono")]
        crate::SqlKind::DateTimeUtc => Ok(Value::DateTimeUtc(Timestamp::from_micros(micros))),
        #[cfg(feature = "chrono")]
        crate::SqlKind::DateTime => Ok(Value::DateTime(Timestamp::from_micros(micros))),
        other => Err(Error::Unsupported(format!("an auto_now column of kind {other:?}"))),
    }
}

/// Field types that `#[orm(auto_now)]` and `#[orm(auto_now_add)]` can set.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be set to the current time by #[orm(auto_now)] / #[orm(auto_now_add)]",
    label = "not a timestamp",
    note = "use chrono::DateTime<chrono::Utc> (or NaiveDateTime, or an Option of either) with orm-core's `chrono` feature"
)]
pub trait Timestamp: SqlType {
    /// The instant `micros` microseconds after the Unix epoch (UTC).
    fn from_micros(micros: i64) -> Self;
}

#[cfg(feature = "chrono")]
impl Timestamp for chrono::DateTime<chrono::Utc> {
    fn from_micros(micros: i64) -> Self {
        chrono::DateTime::from_timestamp_micros(micros).unwrap_or_default()
    }
}

#[cfg(feature = "chrono")]
impl Timestamp for chrono::NaiveDateTime {
    fn from_micros(micros: i64) -> Self {
        chrono::DateTime::from_timestamp_micros(micros).unwrap_or_default().naive_utc()
    }
}

impl<T: Timestamp> Timestamp for Option<T> {
    fn from_micros(micros: i64) -> Self {
        Some(T::from_micros(micros))
    }
}

/// Field types that `#[orm(version)]` can count with.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the version of #[orm(version)]",
    label = "not an integer",
    note = "a version is an i16, i32 or i64 field"
)]
pub trait VersionField: SqlType {
    /// The version after this one (wrapping around at the type's maximum).
    fn next(&self) -> Self;
}

macro_rules! version_field {
    ($($t:ty),*) => {$(
        impl VersionField for $t {
            fn next(&self) -> Self { self.wrapping_add(1) }
        }
    )*};
}
version_field!(i16, i32, i64);

/// Field types that `#[orm(soft_delete)]` can mark: `None` while the row is live, the time of
/// deletion once it is deleted.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot mark soft deletion",
    label = "not an Option of a timestamp",
    note = "#[orm(soft_delete)] goes on an `Option<chrono::DateTime<chrono::Utc>>` (or `Option<NaiveDateTime>`) field: None while the row is live"
)]
pub trait SoftDeleteField: SqlType {
    /// The field's value for a row deleted at `micros` (`None`: not deleted).
    fn deleted_at(micros: Option<i64>) -> Self;
}
impl<T: Timestamp> SoftDeleteField for Option<T> {
    fn deleted_at(micros: Option<i64>) -> Self {
        micros.map(T::from_micros)
    }
}

/// A set of columns of model `M`: one [`Column`] or a tuple of them, for
/// [`Model::update_fields`] and [`Model::upsert_on`].
pub trait ColumnSet<M> {
    /// The SQL names of the columns, in order.
    fn names(&self) -> Vec<&'static str>;
}

impl<M: Model, T: SqlType> ColumnSet<M> for Column<M, T> {
    fn names(&self) -> Vec<&'static str> {
        vec![self.name()]
    }
}

macro_rules! column_set_tuple {
    ($($t:ident $i:tt),+) => {
        impl<M: Model, $($t: SqlType),+> ColumnSet<M> for ($(Column<M, $t>,)+) {
            fn names(&self) -> Vec<&'static str> {
                vec![$(self.$i.name()),+]
            }
        }
    };
}
column_set_tuple!(A 0);
column_set_tuple!(A 0, B 1);
column_set_tuple!(A 0, B 1, C 2);
column_set_tuple!(A 0, B 1, C 2, D 3);
column_set_tuple!(A 0, B 1, C 2, D 3, E 4);
column_set_tuple!(A 0, B 1, C 2, D 3, E 4, F 5);
column_set_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
column_set_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);

/// `key` rendered for messages: `7` or `(1, 2)`.
pub(crate) fn key_text<M: Model>(m: &M) -> String {
    let Some(k) = m.__key() else { return "NULL".into() };
    let vals = crate::value::KeyValue::key_values(&k);
    let text: Vec<String> = vals.iter().map(value_text).collect();
    if text.len() == 1 { text.concat() } else { format!("({})", text.join(", ")) }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::Text(s) => format!("{s:?}"),
        Value::I8(n) => n.to_string(),
        Value::I16(n) => n.to_string(),
        Value::I32(n) => n.to_string(),
        Value::I64(n) => n.to_string(),
        other => format!("{other:?}"),
    }
}

/// Whether a row with `m`'s key exists (to tell a stale version from a deleted row).
pub(crate) async fn row_exists<M: Model>(m: &M, exec: Exec<'_>) -> Result<bool> {
    let b = exec.backend();
    let mut s = String::from("SELECT 1 FROM ");
    b.write_ident(&mut s, M::TABLE);
    write_key_where::<M>(b, &mut s, 1);
    let mut args = Args::new(b);
    m.__bind_key(&mut args)?;
    let found = driver::fetch_optional(exec, SqlText::Owned(s), args, |_| Ok(())).await?;
    Ok(found.is_some())
}

/// ` WHERE k1 = ? AND k2 = ?`, placeholders numbered from `first`.
pub(crate) fn write_key_where<M: Model>(b: Backend, s: &mut String, first: usize) {
    s.push_str(" WHERE ");
    for (i, c) in key_columns::<M>().enumerate() {
        if i > 0 {
            s.push_str(" AND ");
        }
        b.write_ident(s, c.name);
        s.push_str(" = ");
        b.write_placeholder(s, first + i);
    }
}

/// The error of an update whose row changed (or vanished) since it was read.
pub(crate) fn stale<M: Model>(m: &M) -> Error {
    Error::StaleObject { table: M::TABLE.to_owned(), key: key_text(m) }
}

/// `UPDATE t SET <names>, [auto_now], [version = next] WHERE key [AND version = current]`.
pub(crate) async fn update_fields<M: Model>(m: &mut M, exec: Exec<'_>, names: Vec<&'static str>) -> Result<()> {
    m.__before_update()?;
    let mut exec = exec;
    let b = exec.backend();
    let mut cols: Vec<usize> = Vec::new();
    for name in &names {
        let Some(i) = M::COLUMNS.iter().position(|c| c.name == *name) else {
            return Err(Error::InvalidValue(format!("`{}` has no column `{name}`", M::TABLE)));
        };
        if M::KEY_COLUMNS.contains(&i) {
            return Err(Error::InvalidValue(format!(
                "update_fields cannot change the primary-key column `{name}` of `{}`",
                M::TABLE
            )));
        }
        if cols.contains(&i) {
            return Err(Error::InvalidValue(format!("the column `{name}` of `{}` is listed twice", M::TABLE)));
        }
        cols.push(i);
    }
    for &i in M::AUTO_NOW.iter().chain(M::VERSION_COLUMN.iter()) {
        if !cols.contains(&i) {
            cols.push(i);
        }
    }
    if cols.is_empty() {
        return Err(Error::InvalidValue(format!("update_fields of `{}` needs at least one column", M::TABLE)));
    }
    let w = WriteCtx::new::<M>(false, true);
    let mut s = String::from("UPDATE ");
    b.write_ident(&mut s, M::TABLE);
    // The columns, the key and the version (sized: see `model::insert_row`).
    let mut args = Args::with_capacity(b, cols.len() + 2);
    for (n, &i) in cols.iter().enumerate() {
        s.push_str(if n == 0 { " SET " } else { ", " });
        b.write_ident(&mut s, M::COLUMNS[i].name);
        s.push_str(" = ");
        b.write_placeholder(&mut s, n + 1);
        m.__bind_column(i, &mut args, &w)?;
    }
    write_key_where::<M>(b, &mut s, cols.len() + 1);
    m.__bind_key(&mut args)?;
    if let Some(v) = M::VERSION_COLUMN {
        s.push_str(" AND ");
        b.write_ident(&mut s, M::COLUMNS[v].name);
        s.push_str(" = ");
        b.write_placeholder(&mut s, cols.len() + M::KEY_COLUMNS.len() + 1);
        m.__bind_version(&mut args)?;
    }
    let out = driver::execute(exec.reborrow(), SqlText::Owned(s), args)
        .await
        .map_err(|e| name_unique_columns::<M>(e.for_table(M::TABLE)))?;
    if out.rows_affected == 0 {
        return Err(if M::VERSION_COLUMN.is_some() && row_exists(m, exec).await? {
            stale(m)
        } else {
            Error::NotFound { table: M::TABLE.to_owned() }
        });
    }
    m.__apply_write(&w);
    Ok(())
}

/// INSERT, or on a conflict on `conflict` (a unique set of columns) UPDATE the other columns;
/// reads the row's key back (that of the existing row when it was updated).
pub(crate) async fn upsert_on<M: Model>(m: &mut M, exec: Exec<'_>, conflict: Vec<&'static str>) -> Result<()> {
    m.__before_insert()?;
    let b = exec.backend();
    for name in &conflict {
        if !M::COLUMNS.iter().any(|c| c.name == *name) {
            return Err(Error::InvalidValue(format!("`{}` has no column `{name}`", M::TABLE)));
        }
    }
    let pk = &M::COLUMNS[M::PRIMARY_KEY];
    let generate = m.__key_unset() && pk.auto_increment;
    let chosen: Vec<usize> = (0..M::COLUMNS.len()).filter(|&i| !(generate && i == M::PRIMARY_KEY)).collect();
    let mut s = String::from("INSERT INTO ");
    b.write_ident(&mut s, M::TABLE);
    s.push_str(" (");
    for (n, &i) in chosen.iter().enumerate() {
        if n > 0 {
            s.push_str(", ");
        }
        b.write_ident(&mut s, M::COLUMNS[i].name);
    }
    s.push_str(") VALUES (");
    for n in 0..chosen.len() {
        if n > 0 {
            s.push_str(", ");
        }
        b.write_placeholder(&mut s, n + 1);
    }
    s.push(')');
    // The columns an update changes: neither the key, nor the conflict's, nor `auto_now_add`.
    let others: Vec<&str> = chosen
        .iter()
        .filter(|&&i| !M::KEY_COLUMNS.contains(&i) && !M::AUTO_NOW_ADD.contains(&i))
        .map(|&i| M::COLUMNS[i].name)
        .filter(|c| !conflict.contains(c))
        .collect();
    b.write_upsert_on_clause(&mut s, &conflict, &others, pk.auto_increment.then_some(pk.name));
    if pk.auto_increment && b.supports_returning() {
        s.push_str(" RETURNING ");
        b.write_ident(&mut s, pk.name);
    }
    let w = WriteCtx::new::<M>(true, false);
    let mut args = Args::new(b);
    m.__bind_write(&mut args, !generate, &w)?;
    let err = |e: Error| name_unique_columns::<M>(e.for_table(M::TABLE));
    if !pk.auto_increment {
        driver::execute(exec, SqlText::Owned(s), args).await.map_err(err)?;
    } else {
        let id = if b.supports_returning() {
            driver::fetch_optional(exec, SqlText::Owned(s), args, |r| i64::decode(r, 0)).await.map_err(err)?
        } else {
            driver::execute(exec, SqlText::Owned(s), args).await.map(|o| o.last_insert_id).map_err(err)?
        };
        if let Some(id) = id {
            m.__set_generated_key(id)?;
        }
    }
    m.__apply_write(&w);
    Ok(())
}

/// `UPDATE t SET deleted = now WHERE key AND deleted IS NULL` (or back to NULL where it is set).
pub(crate) async fn set_deleted<M: Model>(m: &M, exec: Exec<'_>, delete: bool) -> Result<bool> {
    let Some(i) = M::SOFT_DELETE_COLUMN else {
        return Err(Error::Unsupported(format!("`{}` has no #[orm(soft_delete)] column to restore", M::TABLE)));
    };
    let b = exec.backend();
    let c = &M::COLUMNS[i];
    let mut s = String::from("UPDATE ");
    b.write_ident(&mut s, M::TABLE);
    s.push_str(" SET ");
    b.write_ident(&mut s, c.name);
    let mut args = Args::new(b);
    if delete {
        s.push_str(" = ");
        b.write_placeholder(&mut s, 1);
        args.push_value(now_value(c.kind, now_micros())?)?;
    } else {
        s.push_str(" = NULL");
    }
    let first = usize::from(delete) + 1;
    write_key_where::<M>(b, &mut s, first);
    m.__bind_key(&mut args)?;
    s.push_str(" AND ");
    b.write_ident(&mut s, c.name);
    s.push_str(if delete { " IS NULL" } else { " IS NOT NULL" });
    let out = driver::execute(exec, SqlText::Owned(s), args).await.map_err(|e| e.for_table(M::TABLE))?;
    Ok(out.rows_affected > 0)
}
