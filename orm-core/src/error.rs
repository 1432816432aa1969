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
