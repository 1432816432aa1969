//! `get_or_create` and `update_or_create`, with Django's semantics and its race handling.

use super::builder::Query;
use crate::backend::driver::{self, SqlText};
use crate::backend::{Args, Exec, TxInner};
use crate::db::Executor;
use crate::error::{Error, Result};
use crate::model::{Model, insert_row, update_row};

impl<M: Model> Query<M> {
    /// The one row matching the query's filters, or a new row made by `create` and inserted;
    /// `created` tells which (Django's `get_or_create`).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug)] struct User { #[orm(primary_key)] id: i64, #[orm(unique)] email: String, name: String }
    /// # async fn f(db: &Db) -> orm_core::Result<()> {
    /// let (user, created) = User::query()
    ///     .filter(User::EMAIL.eq("ann@x.io"))
    ///     .get_or_create(db, || User { id: 0, email: "ann@x.io".into(), name: "Ann".into() })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    ///
    /// * The lookup should be on a UNIQUE column (or columns), and the created row should match
    ///   it; otherwise two calls may create two rows.
    /// * More than one matching row is [`Error::MultipleRows`].
    /// * **Races**: when another connection inserts the same row between the lookup and the
    ///   insert, the insert fails with a unique violation; the row is then read again and
    ///   returned with `created == false`. Inside a transaction the insert runs under a savepoint,
    ///   so the failed insert does not abort the transaction (PostgreSQL would), and the row is
    ///   read again `FOR UPDATE` (PostgreSQL, MySQL): under MySQL's default REPEATABLE READ a
    ///   plain read in the transaction would not see a row committed after its first read.
    ///   Under PostgreSQL's REPEATABLE READ or SERIALIZABLE such a row stays invisible, and the
    ///   unique violation is returned, as Django does.
    pub async fn get_or_create<'e, F>(&self, exec: impl Into<Executor<'e>>, create: F) -> Result<(M, bool)>
    where
        F: FnOnce() -> M + Send,
    {
        let mut exec = exec.into().0;
        if let Some(found) = self.get_one(exec.reborrow()).await? {
            return Ok((found, false));
        }
        let mut row = create();
        match insert_guarded(&mut row, exec.reborrow()).await {
            Ok(()) => Ok((row, true)),
            Err(Error::UniqueViolation(info)) => {
                // Inside a transaction the row that won may be newer than the transaction's
                // snapshot (MySQL's REPEATABLE READ reads from the snapshot of the first read):
                // a locking read sees the newest committed version.
                let reread = if matches!(exec, Exec::Tx(_)) && exec.backend().supports_for_update() {
                    self.clone().for_update()
                } else {
                    self.clone()
                };
                match reread.get_one(exec).await? {
                    Some(found) => Ok((found, false)),
                    None => Err(Error::UniqueViolation(info)),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Updates the one row matching the query's filters with `update`, or inserts the row
    /// `create` makes; `created` tells which (Django's `update_or_create`). `update` changes
    /// fields of the loaded row, which is then saved; `create` must build the complete new row.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug)] struct User { #[orm(primary_key)] id: i64, #[orm(unique)] email: String, name: String }
    /// # async fn f(db: &Db) -> orm_core::Result<()> {
    /// let (user, created) = User::query()
    ///     .filter(User::EMAIL.eq("ann@x.io"))
    ///     .update_or_create(
    ///         db,
    ///         || User { id: 0, email: "ann@x.io".into(), name: "Ann".into() },
    ///         |u| u.name = "Ann".into(),
    ///     )
    ///     .await?;
    /// # Ok(()) }
    /// ```
    ///
    /// It runs in a transaction: the given one, or one of its own when called on a `&Db`. The row
    /// is read `FOR UPDATE` on PostgreSQL and MySQL, so concurrent calls for the same row wait for
    /// each other instead of losing an update; on SQLite the transaction holds the database's
    /// write lock. A concurrent insert of the same new row is handled as in
    /// [`get_or_create`](Query::get_or_create): the row is read again (locked) and updated.
    pub async fn update_or_create<'e, C, U>(
        &self,
        exec: impl Into<Executor<'e>>,
        create: C,
        update: U,
    ) -> Result<(M, bool)>
    where
        C: FnOnce() -> M + Send,
        U: FnOnce(&mut M) + Send,
    {
        match exec.into().0 {
            Exec::Tx(tx) => self.update_or_create_in(tx, create, update).await,
            Exec::Db(db) => {
                let mut tx = db.begin().await?;
                let out = self.update_or_create_in(&mut tx, create, update).await;
                match out {
                    Ok(v) => {
                        tx.commit().await?;
                        Ok(v)
                    }
                    Err(e) => {
                        // The error that matters is the first one; the rollback is best effort
                        // (dropping the transaction would roll it back as well).
                        let _ = tx.rollback().await;
                        Err(e)
                    }
                }
            }
        }
    }

    async fn update_or_create_in<C, U>(&self, tx: &mut TxInner, create: C, update: U) -> Result<(M, bool)>
    where
        C: FnOnce() -> M + Send,
        U: FnOnce(&mut M) + Send,
    {
        let locked = if tx.backend.supports_for_update() { self.clone().for_update() } else { self.clone() };
        if let Some(mut found) = locked.get_one(Exec::Tx(tx)).await? {
            update(&mut found);
            save(&mut found, Exec::Tx(tx)).await?;
            return Ok((found, false));
        }
        let mut row = create();
        match insert_guarded(&mut row, Exec::Tx(tx)).await {
            Ok(()) => Ok((row, true)),
            Err(Error::UniqueViolation(info)) => match locked.get_one(Exec::Tx(tx)).await? {
                Some(mut found) => {
                    update(&mut found);
                    save(&mut found, Exec::Tx(tx)).await?;
                    Ok((found, false))
                }
                None => Err(Error::UniqueViolation(info)),
            },
            Err(e) => Err(e),
        }
    }

    /// The only matching row, if any; [`Error::MultipleRows`] when there are more.
    async fn get_one(&self, exec: Exec<'_>) -> Result<Option<M>> {
        let mut q = self.clone();
        q.select.limit = Some(2);
        let (sql, args) = q.render_select(exec.backend())?.finish();
        let mut rows =
            driver::fetch_all(exec, sql, args, |r| M::__from_row(r)).await.map_err(|e| e.for_table(M::TABLE))?;
        if rows.len() > 1 {
            return Err(Error::MultipleRows { table: M::TABLE.to_owned() });
        }
        Ok(rows.pop())
    }
}

/// Inserts `row`; inside a transaction under a savepoint, so that a failed insert leaves the
/// transaction usable (PostgreSQL aborts a transaction on any error otherwise).
async fn insert_guarded<M: Model>(row: &mut M, mut exec: Exec<'_>) -> Result<()> {
    if matches!(exec, Exec::Db(_)) {
        return insert_row(row, exec).await;
    }
    let [open, release, rollback_to] = exec.backend().savepoint_sql();
    run(exec.reborrow(), open).await?;
    match insert_row(row, exec.reborrow()).await {
        Ok(()) => {
            run(exec, release).await?;
            Ok(())
        }
        Err(e) => {
            run(exec.reborrow(), rollback_to).await?;
            run(exec, release).await?;
            Err(e)
        }
    }
}

/// Saves the changes of a loaded row (it exists: it was just read in this transaction).
async fn save<M: Model>(row: &mut M, exec: Exec<'_>) -> Result<()> {
    if update_row(row, exec).await? == 0 {
        return Err(Error::NotFound { table: M::TABLE.to_owned() });
    }
    Ok(())
}

async fn run(exec: Exec<'_>, sql: &'static str) -> Result<()> {
    let args = Args::new(exec.backend());
    driver::execute(exec, SqlText::Owned(sql.to_owned()), args).await?;
    Ok(())
}
