//! A stack of recently used connections in front of sqlx's pool.
//!
//! sqlx 0.9 returns every pooled connection to its pool from a spawned task that first pings it
//! (`PoolConnection::drop` -> `return_to_pool` -> `ping`): one more round trip per statement run
//! on a pool, to the server or, on SQLite, to the connection's worker thread. And as that task
//! has not run yet when the same caller runs its next statement, the pool hands the caller
//! another connection almost every time (another worker thread to wake, another statement
//! cache to fill). Measured on SQLite in memory, a point query takes ~97 µs through the pool and
//! ~47 µs on a held connection (docs/performance.md).
//!
//! So a connection that has just run a statement to completion is parked here instead, and the
//! next statement takes the most recently parked one (LIFO: a single task keeps reusing one warm
//! connection). Anything else (an error, a future dropped mid-statement, a connection parked
//! for too long or in use for too long) goes back to sqlx the usual way, with its ping, so sqlx's
//! own checks (max lifetime, the band-aid ping after a cancelled statement) still apply.
//!
//! Parked connections count as in use for sqlx, and sqlx's queue of waiters is fair where this
//! stack is not. So every acquisition of this crate looks here first, and while any caller waits
//! in sqlx's queue (nothing was parked when it came, or it is a row stream, which must own its
//! connection: [`HotPool::bypass`]) nothing is parked: released connections go to the queue, and
//! under contention the pool behaves exactly as sqlx's.

use sqlx::pool::PoolConnection;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A connection parked longer than this goes back to sqlx (which may close it as idle).
const MAX_PARKED: Duration = Duration::from_secs(30);
/// A connection kept in use by this stack longer than this goes back to sqlx once, so its max
/// lifetime is enforced (sqlx checks it when a connection is returned).
const MAX_HELD: Duration = Duration::from_secs(300);

struct Parked<DB: sqlx::Database> {
    conn: PoolConnection<DB>,
    /// When this stack first took the connection from sqlx.
    since: Instant,
    /// When it was parked.
    at: Instant,
}

/// sqlx's pool plus the stack of parked connections.
pub(crate) struct HotPool<DB: sqlx::Database> {
    pub(crate) pool: sqlx::Pool<DB>,
    parked: Mutex<Vec<Parked<DB>>>,
    /// Callers waiting on sqlx's pool: while any is, nothing is parked.
    bypassing: AtomicUsize,
    /// Off when the user asked for a ping before each use (`DbOptions::test_before_acquire`).
    enabled: bool,
}

impl<DB: sqlx::Database> HotPool<DB> {
    pub(crate) fn new(pool: sqlx::Pool<DB>, enabled: bool) -> Self {
        HotPool { pool, parked: Mutex::new(Vec::new()), bypassing: AtomicUsize::new(0), enabled }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Parked<DB>>> {
        // The lock is only held to push or pop; a panic cannot leave the Vec inconsistent.
        self.parked.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The most recently parked connection, or one from sqlx's pool.
    pub(crate) async fn acquire(&self) -> Result<Lease<'_, DB>, sqlx::Error> {
        if let Some(lease) = self.pop() {
            return Ok(lease);
        }
        // Nothing parked: wait in sqlx's queue, which is fair. Parking is off meanwhile, so a
        // connection released by another task goes to the queue and no waiter starves behind
        // tasks that keep taking parked connections.
        let _waiting = self.waiting();
        // Parked by another task just before parking was turned off.
        if let Some(lease) = self.pop() {
            return Ok(lease);
        }
        let conn = self.pool.acquire().await?;
        Ok(Lease { conn: Some(conn), since: Instant::now(), hot: self, keep: false })
    }

    fn pop(&self) -> Option<Lease<'_, DB>> {
        let now = Instant::now();
        loop {
            let p = self.lock().pop()?;
            // A closed pool gives out nothing (sqlx says so); a connection parked or held too long
            // goes back to sqlx (dropping it there returns it).
            if !self.pool.is_closed() && now.duration_since(p.at) < MAX_PARKED && now.duration_since(p.since) < MAX_HELD
            {
                return Some(Lease { conn: Some(p.conn), since: p.since, hot: self, keep: false });
            }
        }
    }

    fn waiting(&self) -> Bypass<'_, DB> {
        self.bypassing.fetch_add(1, Ordering::SeqCst);
        Bypass(self)
    }

    /// Turns parking off until the returned guard drops, and hands every parked connection back
    /// to sqlx: for a caller about to wait on sqlx's pool itself.
    pub(crate) fn bypass(&self) -> Bypass<'_, DB> {
        let guard = self.waiting();
        self.drain();
        guard
    }

    /// Hands every parked connection back to sqlx (before closing the pool).
    pub(crate) fn drain(&self) {
        let all = std::mem::take(&mut *self.lock());
        drop(all);
    }

    fn park(&self, conn: PoolConnection<DB>, since: Instant) {
        if !self.enabled || self.bypassing.load(Ordering::SeqCst) > 0 || self.pool.is_closed() {
            return drop(conn);
        }
        self.lock().push(Parked { conn, since, at: Instant::now() });
        // A bypass that started while we pushed must not miss this connection.
        if self.bypassing.load(Ordering::SeqCst) > 0 {
            self.drain();
        }
    }
}

impl<DB: sqlx::Database> Drop for HotPool<DB> {
    fn drop(&mut self) {
        let all = std::mem::take(&mut *self.lock());
        if tokio::runtime::Handle::try_current().is_ok() {
            return drop(all);
        }
        // Outside a runtime (a `Db` dropped after its runtime), sqlx cannot spawn the task that
        // returns a pooled connection, and panics: drop them inside a runtime of their own,
        // whose shutdown cancels those tasks and so closes the connections.
        match tokio::runtime::Builder::new_current_thread().build() {
            Ok(rt) => rt.block_on(async move { drop(all) }),
            Err(_) => std::mem::forget(all),
        }
    }
}

/// A connection taken through [`HotPool::acquire`]; parked again on drop if [`Lease::keep`] was
/// called, else returned to sqlx.
pub(crate) struct Lease<'a, DB: sqlx::Database> {
    conn: Option<PoolConnection<DB>>,
    since: Instant,
    hot: &'a HotPool<DB>,
    keep: bool,
}

impl<DB: sqlx::Database> Lease<'_, DB> {
    /// The connection.
    pub(crate) fn conn(&mut self) -> &mut DB::Connection {
        self.conn.as_mut().expect("a lease holds its connection until dropped or taken")
    }

    /// Marks the statement as run to completion: the connection can be parked.
    pub(crate) fn keep(&mut self) {
        self.keep = true;
    }

    /// Takes the connection out (for a transaction, which returns it to sqlx itself).
    pub(crate) fn take(mut self) -> PoolConnection<DB> {
        self.conn.take().expect("a lease holds its connection until dropped or taken")
    }
}

impl<DB: sqlx::Database> Drop for Lease<'_, DB> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            if self.keep {
                self.hot.park(conn, self.since);
            } else {
                drop(conn);
            }
        }
    }
}

/// Parking stays off while this lives (see [`HotPool::bypass`]).
pub(crate) struct Bypass<'a, DB: sqlx::Database>(&'a HotPool<DB>);

impl<DB: sqlx::Database> Drop for Bypass<'_, DB> {
    fn drop(&mut self) {
        self.0.bypassing.fetch_sub(1, Ordering::SeqCst);
    }
}
