#![cfg(feature = "orm-tracing")]
//! The `tracing` feature (on in this crate): a `statement` span per statement with
//! OpenTelemetry's database fields, never a bound value; `transaction` spans as their parents;
//! the slow-statement warning of `DbOptions::slow_statement_threshold`.
//!
//! A small `tracing_subscriber::Layer` collects every span (name, parent, fields as recorded) and
//! event. The thresholds are zero (every statement is slow) and an hour (none is): no wall clock.

use futures_util::TryStreamExt;
use orm_core::prelude::*;
use orm_core::{Backend, DbOptions};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "eco_trace_posts")]
struct Post {
    #[orm(primary_key)]
    id: i64,
    title: String,
    views: i64,
}

/// A bound value that must never show in a span or event.
const SECRET: &str = "s3cr3t-t1tle-value";
const SECRET_VIEWS: i64 = 987_654_321;

#[derive(Debug, Clone)]
struct SpanRec {
    name: &'static str,
    id: u64,
    parent: Option<u64>,
    fields: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
struct EventRec {
    level: tracing::Level,
    target: String,
    parent: Option<u64>,
    fields: BTreeMap<String, String>,
}

#[derive(Default, Clone)]
struct Captured {
    spans: Arc<Mutex<Vec<SpanRec>>>,
    events: Arc<Mutex<Vec<EventRec>>>,
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Captured {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let parent = match attrs.parent() {
            Some(p) => Some(p.into_u64()),
            None if attrs.is_contextual() => ctx.current_span().id().map(Id::into_u64),
            None => None,
        };
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        let rec = SpanRec { name: attrs.metadata().name(), id: id.into_u64(), parent, fields };
        self.spans.lock().unwrap().push(rec);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        let mut spans = self.spans.lock().unwrap();
        if let Some(s) = spans.iter_mut().rev().find(|s| s.id == id.into_u64()) {
            values.record(&mut Fields(&mut s.fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let parent = match event.parent() {
            Some(p) => Some(p.into_u64()),
            None if event.is_contextual() => ctx.current_span().id().map(Id::into_u64),
            None => None,
        };
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        let m = event.metadata();
        self.events.lock().unwrap().push(EventRec { level: *m.level(), target: m.target().to_owned(), parent, fields });
    }
}

fn system(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgresql",
        Backend::MySql => "mysql",
    }
}

async fn scenario(db: &Db) -> orm_core::Result<()> {
    Post::create_table(db).await?;
    let mut p = Post { id: 0, title: SECRET.into(), views: SECRET_VIEWS };
    p.save(db).await?;
    let found = Post::query().filter(Post::TITLE.eq(SECRET)).all(db).await?;
    assert_eq!(found.len(), 1);
    let streamed: Vec<Post> = Post::query().filter(Post::VIEWS.eq(SECRET_VIEWS)).stream(db).try_collect().await?;
    assert_eq!(streamed.len(), 1);
    let mut tx = db.begin().await?;
    let mut q = Post { id: 0, title: format!("{SECRET}-2"), views: SECRET_VIEWS + 1 };
    q.save(&mut tx).await?;
    let n = Post::query().filter(Post::VIEWS.gt(0)).count(&mut tx).await?;
    assert_eq!(n, 2);
    tx.commit().await?;
    let tx = db.begin().await?;
    tx.rollback().await?;
    // A failing statement: the error kind is recorded, never its message.
    let mut dup = Post { id: p.id, title: SECRET.into(), views: 1 };
    assert!(dup.insert(db).await.is_err());
    Ok(())
}

#[test]
fn eco_tracing_statement_and_transaction_spans() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::registry().with(captured.clone());
    let _guard = tracing::subscriber::set_default(subscriber);
    // One thread: the subscriber is this thread's default.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    rt.block_on(async {
        for b in Backend::ALL {
            let opts = DbOptions { slow_statement_threshold: Some(Duration::from_secs(3600)), ..DbOptions::default() };
            let Some(db) = orm_tests::database_with(b, "eco_tracing", opts).await else { continue };
            captured.spans.lock().unwrap().clear();
            captured.events.lock().unwrap().clear();
            scenario(&db).await.unwrap_or_else(|e| panic!("[{}] {e}", b.name()));
            db.close().await;
            check(b, &captured);
        }
    });
}

fn check(b: Backend, captured: &Captured) {
    let spans = captured.spans.lock().unwrap().clone();
    let events = captured.events.lock().unwrap().clone();
    let who = b.name();
    // No bound value in any field of any span or event.
    for s in &spans {
        for (k, v) in &s.fields {
            assert!(!v.contains(SECRET), "[{who}] span {} field {k} holds a bound value: {v}", s.name);
            assert!(
                !v.contains(&SECRET_VIEWS.to_string()),
                "[{who}] span {} field {k} holds a bound value: {v}",
                s.name
            );
        }
    }
    for e in &events {
        for (k, v) in &e.fields {
            assert!(!v.contains(SECRET), "[{who}] event field {k} holds a bound value: {v}");
        }
    }
    assert!(events.iter().all(|e| e.level != tracing::Level::WARN), "[{who}] no statement is an hour slow: {events:?}");

    let statements: Vec<&SpanRec> = spans.iter().filter(|s| s.name == "statement").collect();
    assert!(statements.len() >= 7, "[{who}] a span per statement: {spans:#?}");
    for s in &statements {
        assert_eq!(s.fields.get("db.system").map(String::as_str), Some(system(b)), "[{who}] {s:?}");
        let stmt = s.fields.get("db.statement").unwrap_or_else(|| panic!("[{who}] db.statement: {s:?}"));
        let op = s.fields.get("db.operation").unwrap_or_else(|| panic!("[{who}] db.operation: {s:?}"));
        assert!(stmt.to_ascii_uppercase().trim_start().starts_with(op.as_str()), "[{who}] {s:?}");
        assert!(s.fields.contains_key("duration_ms"), "[{who}] duration recorded: {s:?}");
    }
    let find = |op: &str, what: &str| -> &SpanRec {
        statements
            .iter()
            .find(|s| s.fields["db.operation"] == op && s.fields["db.statement"].contains(what))
            .unwrap_or_else(|| panic!("[{who}] no {op} statement with {what}: {statements:#?}"))
    };
    let insert = find("INSERT", "eco_trace_posts");
    assert_eq!(insert.fields.get("db.sql.table").map(String::as_str), Some("eco_trace_posts"), "[{who}] {insert:?}");
    // The query by title: one row returned, and the value is a placeholder in the text.
    let select = statements
        .iter()
        .find(|s| {
            s.fields["db.operation"] == "SELECT" && s.fields.get("db.rows_returned").map(String::as_str) == Some("1")
        })
        .unwrap_or_else(|| panic!("[{who}] a SELECT returning one row: {statements:#?}"));
    assert_eq!(select.fields.get("db.sql.table").map(String::as_str), Some("eco_trace_posts"), "[{who}] {select:?}");
    // Rows affected by the INSERT (MySQL and SQLite report 1; PostgreSQL's RETURNING may be a fetch).
    assert!(
        statements.iter().any(|s| s.fields["db.operation"] == "INSERT"
            && (s.fields.get("db.rows_affected").map(String::as_str) == Some("1")
                || s.fields.get("db.rows_returned").map(String::as_str) == Some("1"))),
        "[{who}] an INSERT reports its row: {statements:#?}"
    );
    // The failing INSERT: error kind, not message.
    assert!(
        statements.iter().any(|s| s.fields.get("otel.status_code").map(String::as_str) == Some("ERROR")
            && s.fields.get("error.type").map(String::as_str) == Some("UniqueViolation")),
        "[{who}] the duplicate INSERT is an error span: {statements:#?}"
    );
    // Transactions: two spans, their statements are children of the first.
    let txs: Vec<&SpanRec> = spans.iter().filter(|s| s.name == "transaction").collect();
    assert_eq!(txs.len(), 2, "[{who}] {txs:#?}");
    assert_eq!(txs[0].fields.get("db.transaction.outcome").map(String::as_str), Some("commit"), "[{who}]");
    assert_eq!(txs[1].fields.get("db.transaction.outcome").map(String::as_str), Some("rollback"), "[{who}]");
    let in_tx: Vec<&&SpanRec> = statements.iter().filter(|s| s.parent == Some(txs[0].id)).collect();
    assert!(in_tx.len() >= 2, "[{who}] the INSERT and COUNT inside the transaction: {spans:#?}");
    assert!(in_tx.iter().any(|s| s.fields["db.operation"] == "INSERT"), "[{who}] {in_tx:#?}");
    assert!(statements.iter().filter(|s| s.parent.is_none()).count() >= 4, "[{who}] statements outside are roots");
}

#[test]
fn eco_tracing_slow_statement_warning() {
    let captured = Captured::default();
    let _guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(captured.clone()));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    rt.block_on(async {
        for b in Backend::ALL {
            // Zero: every statement is slow.
            let opts = DbOptions { slow_statement_threshold: Some(Duration::ZERO), ..DbOptions::default() };
            let Some(db) = orm_tests::database_with(b, "eco_tracing_slow", opts).await else { continue };
            captured.events.lock().unwrap().clear();
            Post::create_table(&db).await.expect("create");
            let n = Post::query().filter(Post::TITLE.eq(SECRET)).count(&db).await.expect("count");
            assert_eq!(n, 0);
            db.close().await;
            let events = captured.events.lock().unwrap().clone();
            let warns: Vec<&EventRec> = events.iter().filter(|e| e.level == tracing::Level::WARN).collect();
            assert!(warns.len() >= 2, "[{}] a warning per statement: {events:#?}", b.name());
            for w in &warns {
                assert_eq!(w.target, "orm_core");
                assert_eq!(w.fields.get("message").map(String::as_str), Some("slow statement"));
                assert_eq!(w.fields.get("db.system").map(String::as_str), Some(system(b)));
                assert!(w.fields.contains_key("duration_ms") && w.fields.contains_key("threshold_ms"), "{w:?}");
                assert!(!w.fields["db.statement"].contains(SECRET), "{w:?}");
                assert!(w.parent.is_some(), "the warning is inside the statement's span: {w:?}");
            }
            assert!(warns.iter().any(|w| w.fields["db.statement"].contains("eco_trace_posts")), "{warns:#?}");
        }
    });
}
