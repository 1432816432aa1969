//! Streaming results: rows are decoded as they arrive from the database, never all held.

use super::builder::Query;
use crate::backend::driver;
use crate::db::Executor;
use crate::error::{Error, Result};
use crate::model::Model;
use futures_core::Stream;
use futures_util::stream::BoxStream;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The rows of a query, read from the database as they are consumed: a
/// [`Stream`](futures_core::Stream) of `Result<T>`.
///
/// Iterate with [`try_next`](RowStream::try_next) (no extra crate needed) or any
/// `futures::StreamExt`/`TryStreamExt` combinator. The stream holds its connection (a pooled one,
/// or the transaction's) until it ends or is dropped; on a `sqlite::memory:` database, whose pool
/// has a single connection, run other statements only after it is done.
#[must_use = "a stream does nothing until it is polled"]
pub struct RowStream<'e, T> {
    inner: BoxStream<'e, Result<T>>,
}

impl<T> std::fmt::Debug for RowStream<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RowStream")
    }
}

impl<'e, T: Send + 'e> RowStream<'e, T> {
    pub(crate) fn new(inner: BoxStream<'e, Result<T>>) -> Self {
        RowStream { inner }
    }

    /// A stream whose only item is `e` (a query that could not be rendered).
    pub(crate) fn failed(e: Error) -> Self {
        use futures_util::StreamExt;
        RowStream { inner: futures_util::stream::once(async move { Err(e) }).boxed() }
    }

    /// The next row; `Ok(None)` at the end.
    pub async fn try_next(&mut self) -> Result<Option<T>> {
        use futures_util::StreamExt;
        self.inner.next().await.transpose()
    }
}

impl<T> Stream for RowStream<'_, T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<M: Model> Query<M> {
    /// Every matching row as a stream of models, decoded as they arrive, so a result of any size
    /// never sits in memory at once (the driver fetches rows as the stream is polled).
    ///
    /// Works on `&Db` and on `&mut Tx` (which it borrows until the stream is dropped).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model)] struct Track { #[orm(primary_key)] id: i64, bytes: i64 }
    /// # async fn f(db: &Db) -> orm_core::Result<()> {
    /// let mut total = 0_i64;
    /// let mut tracks = Track::query().stream(db);
    /// while let Some(track) = tracks.try_next().await? {
    ///     total += track.bytes;
    /// }
    /// # Ok(()) }
    /// ```
    pub fn stream<'e>(&self, exec: impl Into<Executor<'e>>) -> RowStream<'e, M> {
        let exec = exec.into().0;
        match self.render_select(exec.backend()) {
            Ok(w) => {
                let (sql, args) = w.finish();
                RowStream::new(driver::fetch_stream(exec, sql, args, |r| M::__from_row(r)))
            }
            Err(e) => RowStream::failed(e),
        }
    }
}
