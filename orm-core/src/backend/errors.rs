//! Turning each backend's error reports into [`crate::Error`].

use crate::error::{ConstraintInfo, Error};
use sqlx::error::ErrorKind;

/// Maps a driver error; `table` is the model's table, used where the database does not say.
pub(crate) fn map_error(e: sqlx::Error, table: Option<&str>) -> Error {
    let db = match &e {
        sqlx::Error::Database(db) => db,
        _ => return Error::Database(e),
    };
    #[cfg_attr(not(feature = "sqlite"), allow(unused_mut))]
    let mut kind = db.kind();
    #[cfg(feature = "sqlite")]
    if matches!(kind, ErrorKind::Other)
        && db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some()
        && db.message().starts_with("FOREIGN KEY constraint failed")
    {
        // ON DELETE RESTRICT fails with SQLITE_CONSTRAINT_TRIGGER, which sqlx leaves unclassified.
        kind = ErrorKind::ForeignKeyViolation;
    }
    if matches!(kind, ErrorKind::Other) {
        return match retryable(&**db) {
            Some(Retry::Deadlock) => Error::Deadlock { source: e },
            Some(Retry::Serialization) => Error::SerializationFailure { source: e },
            None => Error::Database(e),
        };
    }
    let message = db.message().to_owned();
    let mut info = ConstraintInfo {
        table: None,
        column: None,
        constraint: db.constraint().map(str::to_owned),
        message: message.clone(),
    };
    #[cfg(feature = "postgres")]
    if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        info.table = pg.table().map(str::to_owned);
        info.column = pg.column().map(str::to_owned);
        // Unique and foreign-key violations name the column only in the detail:
        // "Key (email)=(ann@x.io) already exists." / "Key (user_id)=(9) is not present in ...".
        if info.column.is_none() {
            info.column = pg.detail().and_then(|d| between(d, "Key (", ")=")).map(str::to_owned);
        }
    }
    #[cfg(feature = "sqlite")]
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        // "UNIQUE constraint failed: users.email" / "NOT NULL constraint failed: t.c"
        // A composite UNIQUE names every column: "UNIQUE constraint failed: t.a, t.b" -> "a, b"
        // (as PostgreSQL's detail lists them).
        if let Some((_, cols)) = message.split_once("failed: ")
            && let Some((t, _)) = cols.split(", ").next().and_then(|first| first.split_once('.'))
        {
            info.table = Some(t.to_owned());
            let names: Vec<&str> = cols.split(", ").map(|tc| tc.split_once('.').map_or(tc, |(_, c)| c)).collect();
            info.column = Some(names.join(", "));
        }
    }
    #[cfg(feature = "mysql")]
    if db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>().is_some() {
        // "Duplicate entry 'x' for key 'email'", "Column 'email' cannot be null",
        // "... CONSTRAINT `posts_ibfk_1` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`))"
        if let Some(k) = between(&message, "for key '", "'") {
            info.constraint = Some(k.rsplit('.').next().unwrap_or(k).to_owned());
        }
        if let Some(c) = between(&message, "Column '", "'").or_else(|| between(&message, "Field '", "'")) {
            info.column = Some(c.to_owned());
        }
        if let Some(c) = between(&message, "CONSTRAINT `", "`") {
            info.constraint = Some(c.to_owned());
        }
        if let Some(c) = between(&message, "FOREIGN KEY (`", "`") {
            info.column = Some(c.to_owned());
        }
        if let Some(t) = between(&message, "fails (`", ", CONSTRAINT") {
            let t = t.rsplit('.').next().unwrap_or(t).trim_matches('`');
            info.table = Some(t.to_owned());
        }
    }
    if info.table.is_none() {
        info.table = table.map(str::to_owned);
    }
    match kind {
        ErrorKind::UniqueViolation => Error::UniqueViolation(info),
        ErrorKind::ForeignKeyViolation => Error::ForeignKeyViolation(info),
        ErrorKind::NotNullViolation => Error::NotNullViolation(info),
        ErrorKind::CheckViolation => Error::CheckViolation(info),
        _ => Error::Database(e),
    }
}

// Serialization failures exist on PostgreSQL and SQLite only.
#[cfg_attr(not(any(feature = "postgres", feature = "sqlite")), allow(dead_code))]
enum Retry {
    Deadlock,
    Serialization,
}

/// Whether a database error is a deadlock / lock timeout or a serialization failure.
fn retryable(db: &dyn sqlx::error::DatabaseError) -> Option<Retry> {
    let code = db.code();
    let code = code.as_deref().unwrap_or("");
    #[cfg(feature = "postgres")]
    if db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>().is_some() {
        return match code {
            "40P01" | "55P03" => Some(Retry::Deadlock),
            "40001" => Some(Retry::Serialization),
            _ => None,
        };
    }
    #[cfg(feature = "mysql")]
    if let Some(my) = db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
        return match my.number() {
            1213 | 1205 => Some(Retry::Deadlock),
            _ => None,
        };
    }
    #[cfg(feature = "sqlite")]
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        // Extended result codes: SQLITE_BUSY_SNAPSHOT (517) is a snapshot that a writer moved
        // past; the other BUSY and LOCKED codes are lock waits that ran out.
        return match code.parse::<i32>().ok() {
            Some(517) => Some(Retry::Serialization),
            Some(c) if matches!(c & 0xff, 5 | 6) => Some(Retry::Deadlock),
            _ => None,
        };
    }
    let _ = code;
    None
}

/// Whether `e`, returned by a statement inside a transaction, ended or aborted that
/// transaction on the server: on PostgreSQL any error does (until `ROLLBACK TO SAVEPOINT`), on
/// MySQL a deadlock rolls the whole transaction back; SQLite keeps the transaction.
pub(crate) fn aborts_transaction(backend: crate::Backend, e: &Error) -> bool {
    match backend {
        crate::Backend::Postgres => e.is_reported_by_database(),
        crate::Backend::MySql => match e {
            #[cfg(feature = "mysql")]
            Error::Deadlock { source: sqlx::Error::Database(db) } => {
                db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>().is_some_and(|m| m.number() == 1213)
            }
            _ => false,
        },
        crate::Backend::Sqlite => false,
    }
}

#[allow(dead_code)]
fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let i = s.find(start)? + start.len();
    let j = s[i..].find(end)? + i;
    Some(&s[i..j])
}
