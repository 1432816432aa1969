//! Spans and events of the `tracing` feature (the whole module is compiled only with it).
//!
//! A `statement` span per statement, with OpenTelemetry's database fields: `db.system`,
//! `db.operation` (the first SQL keyword), `db.statement` (the SQL text with its placeholders:
//! values are bound parameters and never recorded), `db.sql.table` (for a plain INSERT, UPDATE,
//! DELETE or SELECT), and at the end `db.rows_returned` or `db.rows_affected`, `duration_ms`,
//! and on failure `otel.status_code = "ERROR"` with `error.type` (the [`Error`] variant, never
//! its message, which may quote a value). A `transaction` span from BEGIN to COMMIT, ROLLBACK or
//! drop is the parent of its statements' spans. A statement slower than
//! `DbOptions::slow_statement_threshold` is a `warn!` event. Everything has the target
//! `orm_core`: `RUST_LOG=orm_core=debug` shows the spans.

use super::Backend;
use super::driver::{Exec, QueryOutcome};
use crate::error::{Error, Result};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tracing::{Span, field};

/// The target of every span and event of this crate.
pub(crate) const TARGET: &str = "orm_core";

/// OpenTelemetry's `db.system` value of a backend.
fn system(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgresql",
        Backend::MySql => "mysql",
    }
}

/// The first keyword of `sql`, upper-cased (`""` for text not starting with one).
fn operation(sql: &str) -> String {
    let s = sql.trim_start();
    let end = s.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(s.len());
    s[..end].to_ascii_uppercase()
}

/// The next token of `s` (after whitespace): a quoted identifier (without its quotes) or a word.
fn token(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start();
    let first = s.chars().next()?;
    if first == '"' || first == '`' {
        let body = &s[1..];
        let end = body.find(first)?;
        // A doubled quote inside the name: too clever for a cheap guess.
        if body[end + 1..].starts_with(first) {
            return None;
        }
        return Some((&body[..end], &body[end + 1..]));
    }
    let end = s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(s.len());
    if end == 0 { None } else { Some((&s[..end], &s[end..])) }
}

/// The table of a plain `INSERT INTO t`, `UPDATE t`, `DELETE FROM t` or `SELECT ... FROM t`
/// (the first FROM outside parentheses and quotes); `None` where it is not that cheap to tell.
fn table(op: &str, sql: &str) -> Option<String> {
    let (_, rest) = token(sql)?;
    let after = match op {
        "INSERT" | "DELETE" => {
            let (kw, rest) = token(rest)?;
            if !kw.eq_ignore_ascii_case(if op == "INSERT" { "INTO" } else { "FROM" }) {
                return None;
            }
            rest
        }
        "UPDATE" => rest,
        "SELECT" => top_level_from(rest)?,
        _ => return None,
    };
    let (name, tail) = token(after)?;
    // `schema.table`: keep it whole.
    let name = match tail.strip_prefix('.').and_then(token) {
        Some((t, _)) => format!("{name}.{t}"),
        None => name.to_owned(),
    };
    Some(name)
}

/// What follows the first `FROM` keyword of `s` outside parentheses, quotes and strings.
fn top_level_from(s: &str) -> Option<&str> {
    let bytes = s.as_bytes();
    let (mut depth, mut i) = (0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            q @ (b'"' | b'`' | b'\'') => {
                i += 1;
                while i < bytes.len() && bytes[i] != q {
                    i += 1;
                }
            }
            b'F' | b'f'
                if depth == 0
                    && s.get(i..i + 4).is_some_and(|w| w.eq_ignore_ascii_case("FROM"))
                    && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric() && bytes[i - 1] != b'_')
                    && bytes.get(i + 4).is_none_or(|c| !c.is_ascii_alphanumeric() && *c != b'_') =>
            {
                return Some(&s[i + 4..]);
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The variant of an error, for `error.type` (its message may quote values).
fn error_type(e: &Error) -> &'static str {
    match e {
        Error::NotFound { .. } => "NotFound",
        Error::MultipleRows { .. } => "MultipleRows",
        Error::UniqueViolation(_) => "UniqueViolation",
        Error::ForeignKeyViolation(_) => "ForeignKeyViolation",
        Error::NotNullViolation(_) => "NotNullViolation",
        Error::CheckViolation(_) => "CheckViolation",
        Error::InvalidUrl { .. } => "InvalidUrl",
        Error::Connect { .. } => "Connect",
        Error::Decode { .. } => "Decode",
        Error::InvalidValue(_) => "InvalidValue",
        Error::Unsupported(_) => "Unsupported",
        Error::Deadlock { .. } => "Deadlock",
        Error::SerializationFailure { .. } => "SerializationFailure",
        Error::OutcomeUnknown { .. } => "OutcomeUnknown",
        Error::Timeout { .. } => "Timeout",
        Error::TransactionAborted { .. } => "TransactionAborted",
        Error::Database(_) => "Database",
        #[allow(unreachable_patterns)]
        _ => "Other",
    }
}

/// What a statement's result tells its span.
pub(crate) trait Rows {
    /// Records the rows returned or affected.
    fn record(&self, _span: &Span) {}
}

impl Rows for QueryOutcome {
    fn record(&self, span: &Span) {
        span.record("db.rows_affected", self.rows_affected);
    }
}

impl<T> Rows for Vec<T> {
    fn record(&self, span: &Span) {
        span.record("db.rows_returned", self.len() as u64);
    }
}

impl<T> Rows for Option<T> {
    fn record(&self, span: &Span) {
        span.record("db.rows_returned", u64::from(self.is_some()));
    }
}

impl Rows for () {}

/// Whether nothing can see `span`: no subscriber wants it, and `tracing`'s fallback to the `log`
/// crate (active while no subscriber was ever set) has no logger either.
fn quiet(span: &Span) -> bool {
    span.is_disabled() && (tracing::dispatcher::has_been_set() || log::max_level() == log::LevelFilter::Off)
}

/// One statement's span and clock.
///
/// A span nobody can see ([`quiet`]) is neither entered nor recorded into: on a disabled span
/// `Span::enter` and `Span::record` still look fields up by name and go through `tracing`'s
/// `log` fallback, ~450 instructions a statement for nothing (docs/performance.md); and the
/// clock is read only when the duration goes somewhere (the span, or the slow-statement check).
pub(crate) struct Statement {
    span: Span,
    /// [`quiet`]: the span is skipped.
    quiet: bool,
    /// When the statement started; `None` when nobody needs its duration.
    start: Option<Instant>,
    /// The threshold, and the SQL text for the warning.
    slow: Option<(Duration, String)>,
    system: &'static str,
}

impl Statement {
    /// Opens the span of `sql` about to run on `exec` (a child of its transaction's span, or of
    /// the current span outside a transaction).
    pub(crate) fn start(exec: &Exec<'_>, sql: &str) -> Statement {
        let db = match exec {
            Exec::Db(d) => &***d,
            Exec::Tx(t) => &*t.db,
        };
        let system = system(db.backend);
        // No subscriber wants DEBUG and no logger would get the span: `Span::none()`, without
        // the macro's disabled path (which still builds and "records" every field). The parent
        // is looked up only when the span is enabled (the macro evaluates it there).
        let unseen = !(tracing::Level::DEBUG <= tracing::level_filters::STATIC_MAX_LEVEL
            && tracing::Level::DEBUG <= tracing::level_filters::LevelFilter::current())
            && (tracing::dispatcher::has_been_set() || log::max_level() == log::LevelFilter::Off);
        let span = if unseen {
            Span::none()
        } else {
            tracing::debug_span!(
            target: TARGET,
            parent: match exec {
                Exec::Db(_) => Span::current().id(),
                Exec::Tx(t) => t.span.id(),
            },
            "statement",
            db.system = system,
            db.operation = field::Empty,
            db.statement = field::Empty,
            db.sql.table = field::Empty,
            db.rows_returned = field::Empty,
            db.rows_affected = field::Empty,
            duration_ms = field::Empty,
            otel.kind = "client",
            otel.name = field::Empty,
            otel.status_code = field::Empty,
            error.type = field::Empty,
            )
        };
        let quiet = quiet(&span);
        if !quiet {
            let op = operation(sql);
            span.record("db.statement", sql);
            match table(&op, sql) {
                Some(t) => {
                    span.record("otel.name", format!("{op} {t}"));
                    span.record("db.sql.table", t);
                }
                None => {
                    span.record("otel.name", op.as_str());
                }
            }
            span.record("db.operation", op);
        }
        let slow = db.slow_statement_threshold.map(|limit| (limit, sql.to_owned()));
        let start = (!quiet || slow.is_some()).then(Instant::now);
        Statement { span, quiet, start, slow, system }
    }

    /// Runs the statement's future, pinned where it was built (`std::pin::pin!`, so the large
    /// future is never moved), inside the span; then records its outcome.
    pub(crate) async fn run_pinned<T: Rows, F: Future<Output = Result<T>>>(self, mut fut: Pin<&mut F>) -> Result<T> {
        let r = std::future::poll_fn(|cx| {
            let _in_span = (!self.quiet).then(|| self.span.enter());
            fut.as_mut().poll(cx)
        })
        .await;
        match &r {
            Ok(v) if !self.quiet => v.record(&self.span),
            Ok(_) => {}
            Err(e) => self.failed(e),
        }
        self.finish();
        r
    }

    fn failed(&self, e: &Error) {
        if self.quiet {
            return;
        }
        self.span.record("otel.status_code", "ERROR");
        self.span.record("error.type", error_type(e));
    }

    /// Records the duration, and warns when the statement was slow.
    fn finish(&self) {
        let Some(start) = self.start else { return };
        let elapsed = start.elapsed();
        if !self.quiet {
            self.span.record("duration_ms", elapsed.as_secs_f64() * 1000.0);
        }
        if let Some((limit, sql)) = &self.slow
            && elapsed >= *limit
        {
            let _in_span = self.span.enter();
            tracing::event!(
                target: TARGET,
                tracing::Level::WARN,
                db.system = self.system,
                db.statement = sql.as_str(),
                duration_ms = elapsed.as_secs_f64() * 1000.0,
                threshold_ms = limit.as_secs_f64() * 1000.0,
                "slow statement"
            );
        }
    }

    /// Wraps a row stream: the span is entered while it is polled, and records the rows and
    /// the duration when the stream ends (or is dropped).
    pub(crate) fn stream<'e, T: 'e>(
        self,
        inner: futures_util::stream::BoxStream<'e, Result<T>>,
    ) -> futures_util::stream::BoxStream<'e, Result<T>> {
        Box::pin(Traced { inner, statement: Some(self), rows: 0 })
    }
}

struct Traced<'e, T> {
    inner: futures_util::stream::BoxStream<'e, Result<T>>,
    /// `None` once the statement is finished.
    statement: Option<Statement>,
    rows: u64,
}

impl<T> Traced<'_, T> {
    fn end(&mut self) {
        if let Some(st) = self.statement.take() {
            if !st.quiet {
                st.span.record("db.rows_returned", self.rows);
            }
            st.finish();
        }
    }
}

impl<T> futures_core::Stream for Traced<'_, T> {
    type Item = Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let polled = {
            let _entered = this.statement.as_ref().filter(|s| !s.quiet).map(|s| s.span.enter());
            this.inner.as_mut().poll_next(cx)
        };
        match &polled {
            Poll::Ready(Some(Ok(_))) => this.rows += 1,
            Poll::Ready(Some(Err(e))) => {
                if let Some(st) = &this.statement {
                    st.failed(e);
                }
            }
            Poll::Ready(None) => this.end(),
            Poll::Pending => {}
        }
        polled
    }
}

impl<T> Drop for Traced<'_, T> {
    fn drop(&mut self) {
        self.end();
    }
}

/// The span of a transaction, from BEGIN to its end; a child of the current span.
pub(crate) fn transaction(backend: Backend) -> Span {
    tracing::debug_span!(
        target: TARGET,
        "transaction",
        db.system = system(backend),
        db.transaction.outcome = field::Empty,
        otel.kind = "client",
    )
}

/// Records how a transaction ended (`commit`, `rollback`, `dropped`, ...).
pub(crate) fn transaction_ended(span: &Span, outcome: &'static str) {
    span.record("db.transaction.outcome", outcome);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_and_table() {
        let cases = [
            ("SELECT \"a\".\"id\" FROM \"users\" AS \"a\" WHERE \"a\".\"id\" = $1", "SELECT", Some("users")),
            ("select (select count(*) from b) from `a` where x = ?", "SELECT", Some("a")),
            ("INSERT INTO \"posts\" (\"title\") VALUES ($1)", "INSERT", Some("posts")),
            ("UPDATE `posts` SET `title` = ? WHERE `id` = ?", "UPDATE", Some("posts")),
            ("DELETE FROM \"s\".\"t\" WHERE \"id\" = ?1", "DELETE", Some("s.t")),
            ("  with x as (select 1) select * from x", "WITH", None),
            ("SELECT 1", "SELECT", None),
            ("SELECT 'from' FROM t", "SELECT", Some("t")),
            ("", "", None),
        ];
        for (sql, op, t) in cases {
            assert_eq!(operation(sql), op, "{sql}");
            assert_eq!(table(&operation(sql), sql).as_deref(), t, "{sql}");
        }
    }
}
