//! The error type of every fallible operation.

use std::fmt;

/// Where a constraint violation happened, as far as the database says.
///
/// `table`, `column` and `constraint` are filled from the database's report where it gives them
/// (PostgreSQL names all three; SQLite names table and column; MySQL names the key or constraint),
/// and `table` falls back to the model's table otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConstraintInfo {
    /// The table the violated constraint belongs to.
    pub table: Option<String>,
    /// The column involved, where the database names one.
    pub column: Option<String>,
    /// The name of the constraint or key, where the database names one.
    pub constraint: Option<String>,
    /// The database's own message.
    pub message: String,
}

impl fmt::Display for ConstraintInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = " on";
        if let Some(t) = &self.table {
            write!(f, "{sep} table `{t}`")?;
            sep = ",";
        }
        if let Some(c) = &self.column {
            write!(f, "{sep} column `{c}`")?;
            sep = ",";
        }
        if let Some(c) = &self.constraint {
            write!(f, "{sep} constraint `{c}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Everything that can go wrong talking to the database through this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An `update`, or another operation that needs an existing row, found none with that key.
    #[error("no row in table `{table}` has that primary key")]
    NotFound {
        /// The model's table.
        table: String,
    },
    /// An update of a versioned model (`#[orm(version)]`) found the row changed since it was
    /// read (its version is no longer the model's): nothing was written. Reload and retry.
    #[error("the row of table `{table}` with key {key} was changed by another writer since it was read")]
    StaleObject {
        /// The model's table.
        table: String,
        /// The row's primary key, as text (`7`, or `(1, 2)` for a composite key).
        key: String,
    },
    /// A lookup that must find at most one row (`get_or_create`, `update_or_create`) found more.
    #[error("more than one row of table `{table}` matches the lookup")]
    MultipleRows {
        /// The model's table.
        table: String,
    },
    /// A row would duplicate a UNIQUE or PRIMARY KEY value.
    #[error("unique constraint violated{0}")]
    UniqueViolation(ConstraintInfo),
    /// A row refers to a parent that does not exist, or a parent still has children.
    #[error("foreign key constraint violated{0}")]
    ForeignKeyViolation(ConstraintInfo),
    /// NULL was written to a NOT NULL column.
    #[error("not-null constraint violated{0}")]
    NotNullViolation(ConstraintInfo),
    /// A CHECK constraint rejected the row.
    #[error("check constraint violated{0}")]
    CheckViolation(ConstraintInfo),
    /// The connection URL could not be understood.
    #[error("invalid database URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL, with any password replaced by `***`.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The server could not be reached or refused the connection.
    #[error("could not connect to the {backend} database: {source}")]
    Connect {
        /// Which backend was being connected to.
        backend: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A value read from the database does not fit the field it is read into.
    #[error("cannot read column `{column}` of `{table}` into the model's field: {source}")]
    Decode {
        /// The model's table (or `?` for ad-hoc queries).
        table: String,
        /// The column.
        column: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A value cannot be stored faithfully by this backend (e.g. NaN on MySQL).
    #[error("invalid value: {0}")]
    InvalidValue(String),
    /// The operation is not supported by this backend or this build.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// Two transactions waited on each other's locks (PostgreSQL 40P01, MySQL 1213), a lock
    /// wait timed out (MySQL 1205), or SQLite stayed busy past its busy timeout. Retrying the
    /// whole transaction usually succeeds: [`Db::transaction`](crate::Db::transaction) does.
    #[error("deadlock or lock timeout: {source}")]
    Deadlock {
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A serializable (or repeatable-read) transaction could not be serialized with a
    /// concurrent one (PostgreSQL 40001, SQLite `SQLITE_BUSY_SNAPSHOT`). Retry the transaction:
    /// [`Db::transaction`](crate::Db::transaction) does.
    #[error("could not serialize access due to a concurrent transaction: {source}")]
    SerializationFailure {
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// The connection failed after a statement outside a transaction, or a `COMMIT`, had been
    /// sent: the server may or may not have applied it (its reply was lost). Retrying blindly
    /// may apply it twice; make the write idempotent (an [`upsert`](crate::Model::upsert), or a
    /// unique key that rejects the duplicate) or check before retrying. See docs/reliability.md.
    #[error(
        "the connection was lost before the database answered; whether the statement took effect is unknown: {source}"
    )]
    OutcomeUnknown {
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A statement ran longer than [`DbOptions::statement_timeout`](crate::DbOptions), or
    /// [`Db::close`](crate::Db::close) gave up waiting: the statement's connection is closed, and
    /// a transaction it ran in is rolled back.
    #[error("{what} timed out after {after:?}")]
    Timeout {
        /// What timed out.
        what: &'static str,
        /// The limit that was reached.
        after: std::time::Duration,
    },
    /// The transaction can no longer commit: one of its statements was cancelled mid-flight
    /// (its future dropped, e.g. by a timeout), lost its connection, or failed in a way that
    /// aborts the transaction (any error on PostgreSQL until a `ROLLBACK TO SAVEPOINT`, a
    /// deadlock on MySQL). Nothing of it is committed; drop it (or call `rollback`).
    #[error("transaction aborted: {reason}")]
    TransactionAborted {
        /// Why.
        reason: String,
    },
    /// `migrate::make` found operations that may lose data or fail on existing rows; pass
    /// `MakeOptions { allow_destructive: true, .. }` to write them anyway.
    #[error("destructive changes need allow_destructive: {}", operations.join("; "))]
    Destructive {
        /// Each destructive operation, described.
        operations: Vec<String>,
    },
    /// `migrate::check` found model changes that no migration has.
    #[error("the models changed and no migration holds it (run make): {}", operations.join("; "))]
    SchemaChanged {
        /// The operations a new migration would hold.
        operations: Vec<String>,
    },
    /// A migration file, the history or applying a migration went wrong.
    #[error("migration {id}: {message}")]
    Migration {
        /// The migration's id (empty where none applies).
        id: String,
        /// What went wrong.
        message: String,
    },
    /// Any other error reported by the database or the driver.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

/// `Result<T, orm_core::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        crate::backend::map_error(e, None)
    }
}

impl Error {
    /// Whether this is [`Error::OutcomeUnknown`]: the write may have been applied.
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, Error::OutcomeUnknown { .. })
    }

    /// Whether retrying the whole transaction may succeed ([`Error::Deadlock`],
    /// [`Error::SerializationFailure`]).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Deadlock { .. } | Error::SerializationFailure { .. })
    }

    /// Whether the database itself reported this error (a constraint, a deadlock, a syntax
    /// error...): the statement finished and the connection is in a known state.
    pub(crate) fn is_reported_by_database(&self) -> bool {
        match self {
            Error::UniqueViolation(_)
            | Error::ForeignKeyViolation(_)
            | Error::NotNullViolation(_)
            | Error::CheckViolation(_)
            | Error::Deadlock { .. }
            | Error::SerializationFailure { .. } => true,
            Error::Database(e) => matches!(e, sqlx::Error::Database(_)),
            _ => false,
        }
    }

    /// Whether the connection failed under the statement (I/O, protocol, a crashed worker):
    /// its state is unknown and it must not serve another statement.
    pub(crate) fn is_connection_failure(&self) -> bool {
        match self {
            Error::Timeout { .. } | Error::OutcomeUnknown { .. } => true,
            Error::Database(e) => matches!(
                e,
                sqlx::Error::Io(_) | sqlx::Error::Protocol(_) | sqlx::Error::Tls(_) | sqlx::Error::WorkerCrashed
            ),
            _ => false,
        }
    }

    /// [`Error::OutcomeUnknown`] in place of a connection failure (for a statement that may have
    /// been applied: outside a transaction, or a COMMIT).
    pub(crate) fn outcome_unknown_if_lost(self) -> Error {
        match self {
            Error::Database(e @ (sqlx::Error::Io(_) | sqlx::Error::Protocol(_) | sqlx::Error::WorkerCrashed)) => {
                Error::OutcomeUnknown { source: e }
            }
            e => e,
        }
    }

    /// Fills in the table where the database did not name one.
    pub(crate) fn for_table(self, table: &str) -> Error {
        let fill = |mut i: ConstraintInfo| {
            if i.table.is_none() {
                i.table = Some(table.to_owned());
            }
            i
        };
        match self {
            Error::UniqueViolation(i) => Error::UniqueViolation(fill(i)),
            Error::ForeignKeyViolation(i) => Error::ForeignKeyViolation(fill(i)),
            Error::NotNullViolation(i) => Error::NotNullViolation(fill(i)),
            Error::CheckViolation(i) => Error::CheckViolation(fill(i)),
            Error::Decode { table: t, column, source } if t.is_empty() => {
                Error::Decode { table: table.to_owned(), column, source }
            }
            e => e,
        }
    }
}
