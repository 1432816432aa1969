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
//! connection). A statement that failed, or a connection parked or in use for too long, goes
//! back to sqlx the usual way, with its ping, so sqlx's own checks (max lifetime) still apply.
//! A connection whose statement's future was dropped mid-flight is closed instead (on a server
//! backend: see [`Lease`]): its protocol and transaction state are unknown, and sqlx's ping does
//! not look at the transaction state (sqlx#4385).
//!
//! Parked connections count as in use for sqlx, and sqlx's queue of waiters is fair where this
//! stack is not. So every acquisition of this crate looks here first (row streams and
//! transactions included), and while any caller waits in sqlx's queue (nothing was parked when
//! it came) nothing is parked: released connections go to the queue, and under contention the
//! pool behaves exactly as sqlx's.
//!
//! Statements with large packets have a stack of their own, the *bulk lane* ([`Lane`]), where
//! the backend keeps per-connection buffers at the size of the largest packet a connection ever
//! carried ([`Backend::large_packet_bytes`]): MariaDB and MySQL grow a connection's network
//! buffers to its largest packet and never shrink them, and a server whose write buffer is that
//! large sends a result only when the result is complete (or fills it), not in
//! `net_buffer_length` pieces that the client decodes while the server produces the rest. So a
//! connection that carried one multi-row INSERT of 60,000 values answered every later
//! 1,000-row select ~25% slower (docs/performance.md). Such statements run on connections of
//! the bulk lane, which go back to its own stack and are closed, never handed to sqlx, when
//! they leave it; the connection that serves everything else stays small.

use crate::backend::Backend;
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

/// Which stack of parked connections a statement takes its connection from (see the module's
/// documentation).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Lane {
    /// Every statement but those of [`Lane::Bulk`].
    Hot,
    /// Statements whose packets are large enough to grow the server's buffers for good
    /// ([`Backend::large_packet_bytes`]).
    Bulk,
}

impl Lane {
    /// The lane of a statement of `sql_len` bytes of SQL binding `values` values on `backend`:
    /// the bulk lane when the statement's packets reach the backend's
    /// [`Backend::large_packet_bytes`] (the values counted at 8 bytes each).
    #[inline]
    pub(crate) fn of(backend: Backend, sql_len: usize, values: usize) -> Lane {
        match backend.large_packet_bytes() {
            Some(large) if sql_len.max(values.saturating_mul(8)) >= large => Lane::Bulk,
            _ => Lane::Hot,
        }
    }
}

/// sqlx's pool plus the stacks of parked connections.
pub(crate) struct HotPool<DB: sqlx::Database> {
    pub(crate) pool: sqlx::Pool<DB>,
    parked: Mutex<Vec<Parked<DB>>>,
    /// The parked connections of [`Lane::Bulk`].
    bulk: Mutex<Vec<Parked<DB>>>,
    /// Callers waiting on sqlx's pool: while any is, nothing is parked.
    bypassing: AtomicUsize,
    /// Off when the user asked for a ping before each use (`DbOptions::test_before_acquire`).
    enabled: bool,
    /// Whether a connection whose statement was dropped mid-flight is closed (a server
    /// connection, whose protocol state is then unknown) rather than returned to sqlx (SQLite's
    /// in-process connections, which finish or reset the statement themselves).
    close_cancelled: bool,
}

impl<DB: sqlx::Database> HotPool<DB> {
    pub(crate) fn new(pool: sqlx::Pool<DB>, enabled: bool, close_cancelled: bool) -> Self {
        HotPool {
            pool,
            parked: Mutex::new(Vec::new()),
            bulk: Mutex::new(Vec::new()),
            bypassing: AtomicUsize::new(0),
            enabled,
            close_cancelled,
        }
    }

    fn lock(&self, lane: Lane) -> std::sync::MutexGuard<'_, Vec<Parked<DB>>> {
        // The lock is only held to push or pop; a panic cannot leave the Vec inconsistent.
        let stack = match lane {
            Lane::Hot => &self.parked,
            Lane::Bulk => &self.bulk,
        };
        stack.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The most recently parked connection, or one from sqlx's pool.
    pub(crate) async fn acquire(&self) -> Result<Lease<'_, DB>, sqlx::Error> {
        self.acquire_in(Lane::Hot).await
    }

    /// The most recently parked connection of `lane`, or one from sqlx's pool. When sqlx's pool
    /// has no connection to give (every one is in use or parked), a connection parked on the
    /// other lane: a statement never waits for a connection that sits parked.
    pub(crate) async fn acquire_in(&self, lane: Lane) -> Result<Lease<'_, DB>, sqlx::Error> {
        if let Some(lease) = self.pop_any(lane) {
            return Ok(lease);
        }
        // Nothing parked: wait in sqlx's queue, which is fair. Parking is off meanwhile, so a
        // connection released by another task goes to the queue and no waiter starves behind
        // tasks that keep taking parked connections.
        let _waiting = self.waiting();
        // Parked by another task just before parking was turned off.
        if let Some(lease) = self.pop_any(lane) {
            return Ok(lease);
        }
        let conn = self.pool.acquire().await?;
        Ok(Lease { conn: Some(conn), since: Instant::now(), hot: self, lane, state: LeaseState::InFlight })
    }

    /// [`HotPool::pop`] of `lane`, else of the other lane when sqlx's pool is exhausted.
    fn pop_any(&self, lane: Lane) -> Option<Lease<'_, DB>> {
        if let Some(lease) = self.pop(lane) {
            return Some(lease);
        }
        let exhausted = self.pool.num_idle() == 0 && self.pool.size() >= self.pool.options().get_max_connections();
        if !exhausted {
            return None;
        }
        let other = match lane {
            Lane::Hot => Lane::Bulk,
            Lane::Bulk => Lane::Hot,
        };
        let mut lease = self.pop(other)?;
        // It serves (and is parked again on) the lane that asked: a pool too small for two
        // lanes has one connection move between them.
        lease.lane = lane;
        Some(lease)
    }

    fn pop(&self, lane: Lane) -> Option<Lease<'_, DB>> {
        let now = Instant::now();
        loop {
            let p = self.lock(lane).pop()?;
            // A closed pool gives out nothing (sqlx says so); a connection parked or held too long
            // goes back to sqlx (dropping it there returns it; a bulk one is closed).
            if !self.pool.is_closed() && now.duration_since(p.at) < MAX_PARKED && now.duration_since(p.since) < MAX_HELD
            {
                return Some(Lease {
                    conn: Some(p.conn),
                    since: p.since,
                    hot: self,
                    lane,
                    state: LeaseState::InFlight,
                });
            }
            unpark(lane, p.conn);
        }
    }

    fn waiting(&self) -> Bypass<'_, DB> {
        self.bypassing.fetch_add(1, Ordering::SeqCst);
        Bypass(self)
    }

    /// Hands every parked connection back to sqlx (before closing the pool; the bulk lane's
    /// are closed).
    pub(crate) fn drain(&self) {
        let all = std::mem::take(&mut *self.lock(Lane::Hot));
        drop(all);
        for p in std::mem::take(&mut *self.lock(Lane::Bulk)) {
            unpark(Lane::Bulk, p.conn);
        }
    }

    /// Parks a connection that is known to be idle (its last statement ran to completion, no
    /// transaction open) on the stack of `lane`: a transaction's connection after COMMIT or
    /// ROLLBACK.
    pub(crate) fn park_in(&self, lane: Lane, conn: PoolConnection<DB>, since: Instant) {
        if !self.enabled || self.bypassing.load(Ordering::SeqCst) > 0 || self.pool.is_closed() {
            return unpark(lane, conn);
        }
        self.lock(lane).push(Parked { conn, since, at: Instant::now() });
        // A bypass that started while we pushed must not miss this connection.
        if self.bypassing.load(Ordering::SeqCst) > 0 {
            self.drain();
        }
    }
}

/// A connection leaving the stacks without a statement to run: back to sqlx from the hot lane,
/// closed from the bulk lane (its server-side buffers stay large: see the module's
/// documentation).
fn unpark<DB: sqlx::Database>(lane: Lane, mut conn: PoolConnection<DB>) {
    if lane == Lane::Bulk {
        conn.close_on_drop();
    }
    discard(conn);
}

impl<DB: sqlx::Database> Drop for HotPool<DB> {
    fn drop(&mut self) {
        let mut all = std::mem::take(&mut *self.lock(Lane::Hot));
        for mut p in std::mem::take(&mut *self.lock(Lane::Bulk)) {
            p.conn.close_on_drop();
            all.push(p);
        }
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

/// What became of a [`Lease`]'s statement.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum LeaseState {
    /// Sent, or about to be, and not known to have finished: if the lease drops in this state,
    /// its future was cancelled mid-statement and the connection's state is unknown.
    InFlight,
    /// Ran to completion: the connection can serve the next statement at once.
    Done,
    /// Finished with an error: back to sqlx, which pings it before reuse.
    Returned,
}

/// A connection taken through [`HotPool::acquire`]. On drop it is parked again if the
/// statement ran to completion ([`Lease::keep`]), returned to sqlx if it failed
/// ([`Lease::release`]), and closed (never reused) if the statement's future was dropped
/// mid-flight: then the connection may be inside a transaction, hold half a request, or owe
/// a reply that the next statement would read as its own.
pub(crate) struct Lease<'a, DB: sqlx::Database> {
    conn: Option<PoolConnection<DB>>,
    since: Instant,
    hot: &'a HotPool<DB>,
    lane: Lane,
    state: LeaseState,
}

impl<DB: sqlx::Database> Lease<'_, DB> {
    /// The connection.
    pub(crate) fn conn(&mut self) -> &mut DB::Connection {
        self.conn.as_mut().expect("a lease holds its connection until dropped or taken")
    }

    /// The connection and the lease's state, borrowed apart: a row stream holds the first while
    /// it updates the second (once its first row has arrived, a stream dropped midway leaves a
    /// connection that sqlx's ping drains: [`LeaseState::Returned`]).
    pub(crate) fn split(&mut self) -> (&mut DB::Connection, &mut LeaseState) {
        (self.conn.as_mut().expect("a lease holds its connection until dropped or taken"), &mut self.state)
    }

    /// Marks the statement as run to completion: the connection can be parked.
    pub(crate) fn keep(&mut self) {
        self.state = LeaseState::Done;
    }

    /// Marks the statement as finished with an error: the connection goes back to sqlx.
    pub(crate) fn release(&mut self) {
        self.state = LeaseState::Returned;
    }

    /// Takes the connection out (for a transaction, which takes care of it from then on), with
    /// the time this stack first took it from sqlx.
    pub(crate) fn take(mut self) -> (PoolConnection<DB>, Instant) {
        self.state = LeaseState::Returned;
        (self.conn.take().expect("a lease holds its connection until dropped or taken"), self.since)
    }
}

impl<DB: sqlx::Database> Drop for Lease<'_, DB> {
    fn drop(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            match self.state {
                LeaseState::Done => self.hot.park_in(self.lane, conn, self.since),
                LeaseState::Returned => unpark(self.lane, conn),
                LeaseState::InFlight => {
                    if self.hot.close_cancelled {
                        conn.close_on_drop();
                    }
                    discard(conn);
                }
            }
        }
    }
}

/// Drops a pooled connection that must not be parked: sqlx closes it (after `close_on_drop`)
/// or pings and keeps it, from a task it spawns. Outside a runtime, where sqlx cannot spawn
/// that task (and would panic), the connection is detached and dropped, which closes it.
pub(crate) fn discard<DB: sqlx::Database>(conn: PoolConnection<DB>) {
    if tokio::runtime::Handle::try_current().is_ok() {
        drop(conn);
    } else {
        drop(conn.detach());
    }
}

/// Parking stays off while this lives (a caller waiting in sqlx's queue).
pub(crate) struct Bypass<'a, DB: sqlx::Database>(&'a HotPool<DB>);

impl<DB: sqlx::Database> Drop for Bypass<'_, DB> {
    fn drop(&mut self) {
        self.0.bypassing.fetch_sub(1, Ordering::SeqCst);
    }
}
