//! One page of a query and the number of rows of all its pages, in one statement:
//! [`Query::fetch_page`](crate::Query::fetch_page), [`JoinQuery::fetch_page`](crate::JoinQuery::fetch_page)
//! and [`JoinSelect::fetch_page`](crate::JoinSelect::fetch_page).
//!
//! The total is an uncorrelated scalar subquery beside the page's columns, `(SELECT COUNT(*)
//! FROM .. WHERE ..)`, which every backend computes once per statement (PostgreSQL as an
//! `InitPlan`, MySQL/MariaDB as a non-dependent `SUBQUERY`, SQLite behind a `Once` opcode), with
//! the plan of a plain `COUNT(*)`: the page itself may still stop after `limit` rows of an
//! index, which a window count (`COUNT(*) OVER ()`) would not let it do.

use super::render::SqlWriter;
use crate::backend::driver::Exec;
use crate::backend::{RowRef, driver};
use crate::error::Result;
use crate::model::{Model, model_sql};
use crate::value::SqlType;

/// A page of rows and the number of rows of all pages: what
/// [`Query::fetch_page`](crate::Query::fetch_page) returns.
///
/// ```
/// # use orm_core::prelude::*;
/// # #[derive(Model, Debug)]
/// # struct Note { #[orm(primary_key)] id: i64, body: String }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> orm_core::Result<()> {
/// # let db = Db::connect("sqlite::memory:").await?;
/// # Note::create_table(&db).await?;
/// for i in 0..25 {
///     Note { id: 0, body: format!("note {i}") }.insert(&db).await?;
/// }
/// let page = Note::query().order_by(Note::ID.asc()).limit(10).offset(20).fetch_page(&db).await?;
/// assert_eq!(page.rows.len(), 5);
/// assert_eq!(page.total, 25);
/// assert_eq!(page.pages(10), 3);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The rows of the page (within the query's `limit` and `offset`), in the query's order.
    pub rows: Vec<T>,
    /// The number of rows the query matches without its `limit` and `offset`.
    pub total: u64,
}

impl<T> Page<T> {
    /// How many pages of `per_page` rows hold all [`total`](Page::total) rows (0 for none;
    /// `per_page` 0 counts as 1).
    pub fn pages(&self, per_page: u64) -> u64 {
        self.total.div_ceil(per_page.max(1))
    }

    /// The page's rows mapped by `f`, with the same total.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { rows: self.rows.into_iter().map(f).collect(), total: self.total }
    }
}

/// Writes `, (SELECT COUNT(*) ...)` after the page's columns: `count` writes the `SELECT COUNT(*)
/// ...` statement (without parentheses) into the writer.
pub(crate) fn push_total(w: &mut SqlWriter, count: impl FnOnce(&mut SqlWriter) -> Result<()>) -> Result<()> {
    w.push(", (");
    count(w)?;
    w.push(") AS ");
    w.ident(TOTAL);
    Ok(())
}

/// The name of the total's column.
const TOTAL: &str = "orm_page_total";

/// Runs the page statement `w` (`total_at`: the position of the total's column), decoding its
/// rows with `decode`. When the page is empty there is no row to read the total from: it is 0
/// on a first page with room for rows, and otherwise `count`'s statement, run on the same
/// executor (a second statement, only for a page past the end or of `limit(0)`).
pub(crate) async fn fetch<T, F>(
    mut exec: Exec<'_>,
    w: SqlWriter,
    total_at: usize,
    (limit, offset): (Option<u64>, Option<u64>),
    mut decode: F,
    count: impl FnOnce() -> Result<SqlWriter>,
) -> Result<Page<T>>
where
    F: FnMut(&RowRef<'_>) -> Result<T> + Send,
    T: Send,
{
    let (sql, args) = w.finish();
    let mut total = None;
    let rows = driver::fetch_all(exec.reborrow(), sql, args, |r| {
        if total.is_none() {
            total = Some(i64::decode(r, total_at)?.max(0) as u64);
        }
        decode(r)
    })
    .await?;
    let total = match total {
        Some(n) => n,
        None if offset.unwrap_or(0) == 0 && limit != Some(0) => 0,
        None => {
            let (sql, args) = count()?.finish();
            let n = driver::fetch_optional(exec, sql, args, |r| i64::decode(r, 0)).await?;
            n.unwrap_or(0).max(0) as u64
        }
    };
    Ok(Page { rows, total })
}

/// A page of `M` rows: the model's columns, the total (`count` writes its `SELECT COUNT(*)
/// ...`), the model's ` FROM "t"`, then `rest` (joins, WHERE, ORDER BY, LIMIT...); run by
/// [`fetch`]. For [`Query::fetch_page`](crate::Query::fetch_page) and
/// [`JoinQuery::fetch_page`](crate::JoinQuery::fetch_page).
pub(crate) async fn fetch_models<M: Model>(
    exec: Exec<'_>,
    limits: (Option<u64>, Option<u64>),
    count: impl Fn(&mut SqlWriter) -> Result<()> + Send + Sync,
    rest: impl FnOnce(&mut SqlWriter) -> Result<()>,
) -> Result<Page<M>> {
    let backend = exec.backend();
    let sql = model_sql::<M>(backend);
    let (columns, from) = sql.select.split_at(sql.select_from);
    let mut w = SqlWriter::with_prefix(backend, columns);
    push_total(&mut w, &count)?;
    w.push(from);
    rest(&mut w)?;
    let count_alone = || {
        let mut w = SqlWriter::new(backend);
        count(&mut w)?;
        Ok(w)
    };
    fetch(exec, w, M::COLUMNS.len(), limits, |r| M::__from_row(r), count_alone).await
}
