//! SQL dialect rules of SQLite, PostgreSQL and MySQL/MariaDB.

use crate::value::{SqlKind, SqlLiteral};

/// The database a [`crate::Db`] talks to, chosen by the connection URL's scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// SQLite (`sqlite:`), embedded.
    Sqlite,
    /// PostgreSQL (`postgres:` / `postgresql:`).
    Postgres,
    /// MySQL or MariaDB (`mysql:` / `mariadb:`).
    MySql,
}

/// Run on every new MySQL connection: the session's sql_mode plus strict mode, so too-long text
/// and out-of-range numbers are errors rather than truncated or clamped (a server configured with
/// `sql_mode = ''` stores the first N characters otherwise).
#[cfg(feature = "mysql")]
pub(crate) const MYSQL_STRICT_MODE_SQL: &str = "SET SESSION sql_mode = CONCAT(@@sql_mode, ',STRICT_ALL_TABLES')";

impl Backend {
    /// Every backend, in a fixed order (also the index of per-backend caches).
    pub const ALL: [Backend; 3] = [Backend::Sqlite, Backend::Postgres, Backend::MySql];

    /// The backend's position in [`Backend::ALL`].
    pub const fn index(self) -> usize {
        match self {
            Backend::Sqlite => 0,
            Backend::Postgres => 1,
            Backend::MySql => 2,
        }
    }

    /// The URL scheme of this backend (`sqlite`, `postgres`, `mysql`).
    pub const fn url_scheme(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
            Backend::MySql => "mysql",
        }
    }

    /// A human name.
    pub const fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
            Backend::MySql => "MySQL",
        }
    }

    /// Writes `ident` quoted (doubling the quote character inside it).
    pub fn write_ident(self, out: &mut String, ident: &str) {
        let q = match self {
            Backend::MySql => '`',
            Backend::Sqlite | Backend::Postgres => '"',
        };
        out.push(q);
        for c in ident.chars() {
            if c == q {
                out.push(q);
            }
            out.push(c);
        }
        out.push(q);
    }

    /// Writes the placeholder of the `n`-th (1-based) parameter.
    pub fn write_placeholder(self, out: &mut String, n: usize) {
        match self {
            Backend::Postgres => {
                // Hand-rolled: multi-row INSERTs write tens of thousands of these.
                let mut digits = [0u8; 20];
                let mut i = digits.len();
                let mut n = n;
                loop {
                    i -= 1;
                    digits[i] = b'0' + (n % 10) as u8;
                    n /= 10;
                    if n == 0 {
                        break;
                    }
                }
                out.push('$');
                out.push_str(std::str::from_utf8(&digits[i..]).unwrap_or_default());
            }
            Backend::Sqlite | Backend::MySql => out.push('?'),
        }
    }

    /// The conflict clause of [`Model::upsert_on`](crate::Model::upsert_on): on a conflict on
    /// the unique `conflict` columns, set `columns` to the new row's values. The row always
    /// counts as written (so `RETURNING` reads the existing row's key); on MySQL, which has no
    /// `RETURNING`, `key = LAST_INSERT_ID(key)` makes the existing row's key the reported one.
    pub fn write_upsert_on_clause(self, out: &mut String, conflict: &[&str], columns: &[&str], key: Option<&str>) {
        let first = conflict.first().copied().unwrap_or_default();
        let mut sets: Vec<(&str, bool)> = columns.iter().map(|c| (*c, false)).collect();
        match self {
            Backend::Sqlite | Backend::Postgres => {
                out.push_str(" ON CONFLICT (");
                for (i, k) in conflict.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.write_ident(out, k);
                }
                out.push_str(") DO UPDATE SET ");
                if sets.is_empty() {
                    sets.push((first, false));
                }
                for (i, (c, _)) in sets.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.write_ident(out, c);
                    out.push_str(" = EXCLUDED.");
                    self.write_ident(out, c);
                }
            }
            Backend::MySql => {
                out.push_str(" ON DUPLICATE KEY UPDATE ");
                if let Some(k) = key {
                    sets.insert(0, (k, true));
                } else if sets.is_empty() {
                    sets.push((first, false));
                }
                for (i, (c, is_key)) in sets.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.write_ident(out, c);
                    out.push_str(if *is_key { " = LAST_INSERT_ID(" } else { " = VALUES(" });
                    self.write_ident(out, c);
                    out.push(')');
                }
            }
        }
    }

    /// Writes what turns an INSERT of every column into an upsert on the primary key `keys` (one
    /// column, or several for a composite key): when a row with that key exists, its `columns`
    /// take the new row's values.
    ///
    /// * PostgreSQL and SQLite: ` ON CONFLICT ("key") DO UPDATE SET "c" = EXCLUDED."c", ...`
    ///   (` DO NOTHING` when the table has no other column);
    /// * MySQL/MariaDB: `` ON DUPLICATE KEY UPDATE `c` = VALUES(`c`), ... ``. MySQL has no conflict
    ///   target: this fires on a duplicate in ANY unique key of the table, not only the primary
    ///   key (and updates the row holding that duplicate). `VALUES()` is deprecated in MySQL 8.0.20+
    ///   in favour of a row alias that MariaDB lacks; both still accept it.
    pub fn write_upsert_clause(self, out: &mut String, keys: &[&str], columns: &[&str]) {
        match self {
            Backend::Sqlite | Backend::Postgres => {
                out.push_str(" ON CONFLICT (");
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.write_ident(out, k);
                }
                if columns.is_empty() {
                    out.push_str(") DO NOTHING");
                    return;
                }
                out.push_str(") DO UPDATE SET ");
                for (i, c) in columns.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.write_ident(out, c);
                    out.push_str(" = EXCLUDED.");
                    self.write_ident(out, c);
                }
            }
            Backend::MySql => {
                out.push_str(" ON DUPLICATE KEY UPDATE ");
                if columns.is_empty() {
                    // A no-op assignment: the existing row is left as it is.
                    let key = keys.first().copied().unwrap_or_default();
                    self.write_ident(out, key);
                    out.push_str(" = ");
                    self.write_ident(out, key);
                    return;
                }
                for (i, c) in columns.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.write_ident(out, c);
                    out.push_str(" = VALUES(");
                    self.write_ident(out, c);
                    out.push(')');
                }
            }
        }
    }

    /// Appends to an upsert clause of [`write_upsert_clause`](Backend::write_upsert_clause) (with
    /// at least one column) the assignment that increments the existing row's `version` column of
    /// `table`: `, "version" = "table"."version" + 1` (PostgreSQL and SQLite name the existing
    /// row by its table), `` , `version` = `version` + 1 `` on MySQL.
    pub fn write_upsert_version_bump(self, out: &mut String, table: &str, version: &str) {
        out.push_str(", ");
        self.write_ident(out, version);
        out.push_str(" = ");
        if self != Backend::MySql {
            self.write_ident(out, table);
            out.push('.');
        }
        self.write_ident(out, version);
        out.push_str(" + 1");
    }

    /// Where a multi-row INSERT cannot say `RETURNING` (MySQL), the statement that reads the step
    /// between consecutive generated keys: the keys of one multi-row INSERT are `LAST_INSERT_ID()`
    /// (the first), then one step apart (InnoDB gives a multi-row `INSERT ... VALUES`, a
    /// "simple insert", consecutive values in every `innodb_autoinc_lock_mode`).
    pub const fn generated_key_step_sql(self) -> Option<&'static str> {
        match self {
            Backend::MySql => Some("SELECT CAST(@@auto_increment_increment AS SIGNED)"),
            Backend::Sqlite | Backend::Postgres => None,
        }
    }

    /// About how many bytes a placeholder and its separator take (`$12345, ` vs `?, `), to size
    /// the text of a multi-row statement.
    pub const fn placeholder_width(self) -> usize {
        match self {
            Backend::Postgres => 8,
            Backend::Sqlite | Backend::MySql => 3,
        }
    }

    /// Whether `x IN (list)` is written `x = ANY($1)` with the list bound as one array.
    ///
    /// PostgreSQL plans an `IN` of bound values anew on every execution (the list's values are
    /// separate parameters, so the cached generic plan never wins): loading the tracks of 100
    /// albums took 0.16 ms to plan and 0.9 ms to run as `IN ($1, ..., $100)`, 0.01 ms and 0.36 ms
    /// as `= ANY($1)`. One array also gives one statement (one cache entry) for every list length.
    pub(crate) const fn binds_lists_as_arrays(self) -> bool {
        matches!(self, Backend::Postgres)
    }

    /// The most parameters one statement may bind.
    pub const fn max_params(self) -> usize {
        match self {
            Backend::Sqlite => 32766,
            Backend::Postgres | Backend::MySql => 65535,
        }
    }

    /// Whether `INSERT ... RETURNING` reads generated keys back (else: last-insert-id).
    pub const fn supports_returning(self) -> bool {
        !matches!(self, Backend::MySql)
    }

    /// Whether NaN and infinities can be stored in a float column.
    pub const fn supports_non_finite_floats(self) -> bool {
        matches!(self, Backend::Postgres)
    }

    /// After a row was inserted with an explicit value in a generated key column: the statement
    /// that moves the key generator past it, where the database does not do that itself.
    ///
    /// PostgreSQL's identity sequences ignore explicit values, so a later generated key would
    /// collide with it; the sequence is advanced (never moved back) when the explicit key has
    /// reached it. Parameters: the quoted table, the column name, the key. MySQL and SQLite
    /// advance their counters themselves.
    pub fn sync_generated_key_sql(self) -> Option<&'static str> {
        match self {
            Backend::Postgres => Some(
                "SELECT setval(pg_get_serial_sequence($1, $2), $3) \
                 WHERE $3 >= nextval(pg_get_serial_sequence($1, $2))",
            ),
            Backend::Sqlite | Backend::MySql => None,
        }
    }

    /// [`sync_generated_key_sql`](Backend::sync_generated_key_sql) after many rows: moves the key
    /// generator of `table.column` past the column's largest value (never back). Parameters: the
    /// quoted table and the column name.
    pub fn sync_generated_key_to_max_sql(self, table: &str, column: &str) -> Option<String> {
        match self {
            Backend::Postgres => {
                let mut s = String::from("SELECT setval(pg_get_serial_sequence($1, $2), m) FROM (SELECT MAX(");
                self.write_ident(&mut s, column);
                s.push_str(") AS m FROM ");
                self.write_ident(&mut s, table);
                s.push_str(") AS x WHERE m >= nextval(pg_get_serial_sequence($1, $2))");
                Some(s)
            }
            Backend::Sqlite | Backend::MySql => None,
        }
    }

    /// Whether a query's rows are best collected from the driver before they are mapped to
    /// models, rather than mapped one by one as they arrive: on SQLite.
    ///
    /// sqlx runs each SQLite connection on a worker thread that sends rows over a channel.
    /// Collecting them first (`fetch_all`) takes more instructions (1,000 rows: ~12.8M
    /// collected, ~10.5M mapped as they arrive, under callgrind) but far less time: the caller
    /// and the worker wake each other once per result instead of once per row, which callgrind
    /// does not count. On a quiet machine (docs/performance.md, "Quiet-machine rerun"), a
    /// select of 1,000 rows took 271 ms x200 collected against 375-402 ms for every streaming
    /// formulation of raw sqlx. PostgreSQL and MySQL rows arrive in the caller's own socket
    /// buffer, where mapping them as they come is the faster way.
    pub(crate) const fn collects_rows_first(self) -> bool {
        matches!(self, Backend::Sqlite)
    }

    /// The statement that starts an explicit transaction.
    ///
    /// SQLite takes the write lock up front (`BEGIN IMMEDIATE`) so a transaction that reads and
    /// then writes waits for other writers (busy timeout) instead of failing with SQLITE_BUSY.
    pub const fn begin_sql(self) -> &'static str {
        match self {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres | Backend::MySql => "BEGIN",
        }
    }

    /// The packet size from which a statement runs on a connection of its own, the hot pool's
    /// bulk lane (backend/hot.rs), or `None` where the size of past packets does not matter.
    /// MariaDB and MySQL grow a connection's network buffers to the largest packet it carried
    /// and never shrink them (`net_buffer_length`, 16 KiB by default, is only where they start);
    /// with a large write buffer the server sends each later result in one piece when it is
    /// complete: a connection that had run one 10,000-row `insert_many` answered a 1,000-row
    /// select ~25% slower for the rest of its life (docs/performance.md). 16 KiB, the default
    /// `net_buffer_length`, the size beyond which a packet grows the buffers: 16 KiB of SQL, or
    /// 2,048 bound values (counted at 8 bytes each), such as a multi-row INSERT of 342 rows of
    /// six columns or an `IN` list of 2,048 keys.
    pub(crate) const fn large_packet_bytes(self) -> Option<usize> {
        match self {
            Backend::MySql => Some(16 * 1024),
            Backend::Sqlite | Backend::Postgres => None,
        }
    }

    /// Whether a connection whose statement was cancelled mid-flight (its future dropped) is
    /// closed rather than reused: a server connection may then owe a reply that the next
    /// statement would read as its own, or sit inside a transaction. SQLite's connections are
    /// in-process: the worker thread finishes or resets the statement itself, and closing the
    /// only connection of `sqlite::memory:` would drop the database.
    pub(crate) const fn closes_cancelled_connections(self) -> bool {
        match self {
            Backend::Sqlite => false,
            Backend::Postgres | Backend::MySql => true,
        }
    }

    /// Whether a transaction that the server aborted after an error can be used again after
    /// `ROLLBACK TO SAVEPOINT` (PostgreSQL). MySQL rolls the whole transaction back on a deadlock
    /// and then runs later statements in autocommit mode, so nothing may follow there.
    pub(crate) const fn recovers_aborted_transactions(self) -> bool {
        matches!(self, Backend::Postgres)
    }

    /// The INSERT of a row whose every column the database fills.
    pub fn write_insert_defaults(self, out: &mut String, table: &str) {
        out.push_str("INSERT INTO ");
        self.write_ident(out, table);
        match self {
            Backend::MySql => out.push_str(" () VALUES ()"),
            Backend::Sqlite | Backend::Postgres => out.push_str(" DEFAULT VALUES"),
        }
    }

    /// The LIMIT/OFFSET clause; `limit_ph`/`offset_ph` are the placeholders' 1-based numbers.
    pub fn write_limit_offset(self, out: &mut String, limit: Option<usize>, offset: Option<usize>) {
        if let Some(n) = limit {
            out.push_str(" LIMIT ");
            self.write_placeholder(out, n);
        } else if offset.is_some() {
            match self {
                Backend::Sqlite => out.push_str(" LIMIT -1"),
                Backend::MySql => out.push_str(" LIMIT 18446744073709551615"),
                Backend::Postgres => {}
            }
        }
        if let Some(n) = offset {
            out.push_str(" OFFSET ");
            self.write_placeholder(out, n);
        }
    }

    /// What enforces `max_length` where the column type does not: SQLite ignores the length of
    /// VARCHAR(N), so a text column gets `CHECK (length(col) <= N)` there (length counts
    /// characters, as VARCHAR(N) does on PostgreSQL and MySQL), and all three backends reject
    /// the same too-long value.
    pub fn write_length_check(self, out: &mut String, column: &str, kind: SqlKind, max_length: Option<u32>) {
        if let (Backend::Sqlite, SqlKind::Text, Some(n)) = (self, kind, max_length) {
            out.push_str(" CHECK (length(");
            self.write_ident(out, column);
            out.push_str(&format!(") <= {n})"));
        }
    }

    /// The SQL type of a column of `kind` in CREATE TABLE. `keyed` says the column is part of a
    /// key or index (MySQL cannot index TEXT without a prefix, so such text is VARCHAR there).
    pub fn column_type(self, kind: SqlKind, keyed: bool, max_length: Option<u32>) -> String {
        use SqlKind::*;
        let s: &str = match (self, kind) {
            (Backend::Sqlite, Bool | I8 | I16 | I32 | I64) => "INTEGER",
            (Backend::Sqlite, F32 | F64) => "REAL",
            (Backend::Sqlite, Text | Date | Time | DateTime | DateTimeUtc | Json) => "TEXT",
            // NUMERIC affinity would turn "1.2345678901234567890123456789" into a lossy REAL:
            // keep the exact text, compared as numbers by a collation every connection registers
            // (so other SQLite tools cannot compare this column without it).
            (Backend::Sqlite, Decimal) => "TEXT COLLATE orm_decimal",
            (Backend::Sqlite, Bytes | Uuid) => "BLOB",

            (Backend::Postgres, Bool) => "BOOLEAN",
            (Backend::Postgres, I8 | I16) => "SMALLINT",
            (Backend::Postgres, I32) => "INTEGER",
            (Backend::Postgres, I64) => "BIGINT",
            (Backend::Postgres, F32) => "REAL",
            (Backend::Postgres, F64) => "DOUBLE PRECISION",
            (Backend::Postgres, Text) => {
                return match max_length {
                    Some(n) => format!("VARCHAR({n})"),
                    None => "TEXT".into(),
                };
            }
            (Backend::Postgres, Bytes) => "BYTEA",
            (Backend::Postgres, Date) => "DATE",
            (Backend::Postgres, Time) => "TIME",
            (Backend::Postgres, DateTime) => "TIMESTAMP",
            (Backend::Postgres, DateTimeUtc) => "TIMESTAMPTZ",
            (Backend::Postgres, Uuid) => "UUID",
            (Backend::Postgres, Json) => "JSONB",
            (Backend::Postgres, Decimal) => "NUMERIC",

            (Backend::MySql, Bool) => "BOOLEAN",
            (Backend::MySql, I8) => "TINYINT",
            (Backend::MySql, I16) => "SMALLINT",
            (Backend::MySql, I32) => "INT",
            (Backend::MySql, I64) => "BIGINT",
            (Backend::MySql, F32) => "FLOAT",
            (Backend::MySql, F64) => "DOUBLE",
            (Backend::MySql, Text) => {
                return match (max_length, keyed) {
                    (Some(n), _) => format!("VARCHAR({n})"),
                    (None, true) => "VARCHAR(255)".into(),
                    (None, false) => "LONGTEXT".into(),
                };
            }
            (Backend::MySql, Bytes) => {
                return match (max_length, keyed) {
                    (Some(n), _) => format!("VARBINARY({n})"),
                    (None, true) => "VARBINARY(255)".into(),
                    (None, false) => "LONGBLOB".into(),
                };
            }
            (Backend::MySql, Date) => "DATE",
            (Backend::MySql, Time) => "TIME(6)",
            (Backend::MySql, DateTime | DateTimeUtc) => "DATETIME(6)",
            (Backend::MySql, Uuid) => "BINARY(16)",
            (Backend::MySql, Json) => "JSON",
            // 65 digits, 30 after the point: every rust_decimal value fits exactly.
            (Backend::MySql, Decimal) => "DECIMAL(65, 30)",
        };
        s.to_owned()
    }

    /// A constant in DDL (a CHECK's list, a DEFAULT), where no parameter can be bound. The
    /// values come from the program's source (`#[orm(default = ...)]`, enum variants), never from
    /// its users; text is quoted, with `'` doubled (and `\` too on MySQL, where it escapes).
    pub fn write_literal(self, out: &mut String, v: &SqlLiteral) {
        use std::fmt::Write;
        match *v {
            SqlLiteral::Bool(b) => out.push_str(match (self, b) {
                (Backend::Postgres, true) => "TRUE",
                (Backend::Postgres, false) => "FALSE",
                (_, true) => "1",
                (_, false) => "0",
            }),
            SqlLiteral::Int(n) => {
                let _ = write!(out, "{n}");
            }
            SqlLiteral::Float(f) => {
                let _ = write!(out, "{f:?}");
            }
            SqlLiteral::Text(t) => {
                out.push('\'');
                for c in t.chars() {
                    match c {
                        '\'' => out.push_str("''"),
                        '\\' if self == Backend::MySql => out.push_str("\\\\"),
                        c => out.push(c),
                    }
                }
                out.push('\'');
            }
        }
    }

    /// A column's DEFAULT value: [`write_literal`](Backend::write_literal), in parentheses for
    /// text on MySQL (MySQL 8 accepts a text DEFAULT on TEXT columns only as an expression).
    pub fn write_default(self, out: &mut String, v: &SqlLiteral) {
        if self == Backend::MySql && matches!(v, SqlLiteral::Text(_)) {
            out.push('(');
            self.write_literal(out, v);
            out.push(')');
        } else {
            self.write_literal(out, v);
        }
    }

    /// A DEFAULT already rendered as SQL (a migration snapshot's `default`), written as
    /// [`write_default`](Backend::write_default) writes it: a text literal in parentheses on MySQL.
    pub fn write_default_sql(self, out: &mut String, default: &str) {
        if self == Backend::MySql && default.starts_with('\'') {
            out.push('(');
            out.push_str(default);
            out.push(')');
        } else {
            out.push_str(default);
        }
    }

    /// The column definition of a database-generated integer primary key.
    pub fn write_auto_key(self, out: &mut String, kind: SqlKind) {
        match self {
            // INTEGER PRIMARY KEY is the rowid alias; AUTOINCREMENT never reuses a deleted key.
            Backend::Sqlite => out.push_str("INTEGER PRIMARY KEY AUTOINCREMENT"),
            Backend::Postgres => out.push_str(match kind {
                SqlKind::I64 => "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
                SqlKind::I32 => "INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
                _ => "SMALLINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
            }),
            Backend::MySql => {
                out.push_str(&self.column_type(kind, true, None));
                out.push_str(" NOT NULL AUTO_INCREMENT PRIMARY KEY");
            }
        }
    }

    /// What follows `CREATE TABLE (...)`: MySQL tables are InnoDB, utf8mb4 (4-byte characters) with
    /// a binary collation, so comparisons and LIKE are case-sensitive as on the other backends.
    pub const fn table_options(self) -> &'static str {
        match self {
            Backend::MySql => " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
            Backend::Sqlite | Backend::Postgres => "",
        }
    }

    /// Whether indexes are declared inside CREATE TABLE (MySQL 8 has no `CREATE INDEX IF NOT
    /// EXISTS`, so there they ride on the table's own IF NOT EXISTS).
    pub const fn inline_indexes(self) -> bool {
        matches!(self, Backend::MySql)
    }
}

impl Backend {
    /// Turns `?` placeholders into the dialect's (`$1`, `$2`, ... on PostgreSQL), skipping quoted
    /// strings, quoted identifiers and comments (`--` and `/* */`). SQL that already uses `$n` is
    /// returned as is.
    pub fn rewrite_placeholders(self, sql: &str) -> String {
        if self != Backend::Postgres {
            return sql.to_owned();
        }
        let b = sql.as_bytes();
        if b.windows(2).any(|w| w[0] == b'$' && w[1].is_ascii_digit()) {
            return sql.to_owned();
        }
        let mut out = String::with_capacity(sql.len() + 8);
        let mut n = 0;
        let mut chars = sql.char_indices().peekable();
        while let Some((_, c)) = chars.next() {
            match c {
                '\'' | '"' => {
                    out.push(c);
                    for (_, d) in chars.by_ref() {
                        out.push(d);
                        if d == c {
                            break;
                        }
                    }
                }
                '-' if chars.peek().map(|&(_, d)| d) == Some('-') => {
                    out.push(c);
                    for (_, d) in chars.by_ref() {
                        out.push(d);
                        if d == '\n' {
                            break;
                        }
                    }
                }
                '/' if chars.peek().map(|&(_, d)| d) == Some('*') => {
                    // A block comment: copied up to its `*/` (`/*/` does not close it).
                    out.push(c);
                    if let Some((_, star)) = chars.next() {
                        out.push(star);
                    }
                    let mut prev = ' ';
                    for (_, d) in chars.by_ref() {
                        out.push(d);
                        if prev == '*' && d == '/' {
                            break;
                        }
                        prev = d;
                    }
                }
                '?' => {
                    n += 1;
                    self.write_placeholder(&mut out, n);
                }
                _ => out.push(c),
            }
        }
        out
    }
}

/// The escape character of the LIKE patterns the query language builds (`starts_with`,
/// `contains`, ...). `!` needs no escaping in any dialect's string literal, unlike `\`, which
/// MySQL's literals and LIKE treat specially.
pub(crate) const LIKE_ESCAPE: char = '!';

/// The name of the Unicode-aware lower-case function registered on every SQLite connection
/// (SQLite's own `lower()` folds ASCII only).
pub(crate) const SQLITE_LOWER_FN: &str = "orm_lower";

/// Query-language rules: casts of aggregates, arithmetic, text matching, row locks, savepoints.
impl Backend {
    /// The SQL type an aggregate is CAST to so that it decodes as `kind` on this backend, or
    /// `None` when the aggregate already has a type that decodes as `kind`.
    ///
    /// `SUM` of an integer column is NUMERIC on PostgreSQL (for BIGINT) and DECIMAL on MySQL, and
    /// `AVG` is NUMERIC/DECIMAL there too: casting to BIGINT/DOUBLE gives every backend the same
    /// Rust type (`i64`, `f64`). MySQL spells them `SIGNED` and `DOUBLE`.
    pub(crate) const fn cast_type(self, kind: SqlKind) -> Option<&'static str> {
        match (self, kind) {
            (Backend::Sqlite, SqlKind::I64) => Some("INTEGER"),
            (Backend::Postgres, SqlKind::I64) => Some("BIGINT"),
            (Backend::MySql, SqlKind::I64) => Some("SIGNED"),
            (Backend::Sqlite, SqlKind::F64) => Some("REAL"),
            (Backend::Postgres, SqlKind::F64) => Some("DOUBLE PRECISION"),
            (Backend::MySql, SqlKind::F64) => Some("DOUBLE"),
            _ => None,
        }
    }

    /// The division operator for operands of an integer type: MySQL's `/` always yields a
    /// DECIMAL, its `DIV` truncates like `/` on integers does on PostgreSQL and SQLite.
    pub(crate) const fn integer_division(self) -> &'static str {
        match self {
            Backend::MySql => " DIV ",
            Backend::Sqlite | Backend::Postgres => " / ",
        }
    }

    /// The function that lower-cases text the same way on every backend: `LOWER` on PostgreSQL
    /// and MySQL (Unicode-aware; PostgreSQL's follows the database's `LC_CTYPE`), and on SQLite
    /// a Unicode-aware function this crate registers on each connection.
    pub(crate) const fn lower_fn(self) -> &'static str {
        match self {
            Backend::Sqlite => SQLITE_LOWER_FN,
            Backend::Postgres | Backend::MySql => "LOWER",
        }
    }

    /// Writes the ESCAPE clause of a LIKE built by the query language.
    pub(crate) fn write_like_escape(self, out: &mut String) {
        out.push_str(" ESCAPE '");
        out.push(LIKE_ESCAPE);
        out.push('\'');
    }

    /// Whether `SELECT ... FOR UPDATE` exists (PostgreSQL and MySQL; SQLite has no row locks:
    /// its `BEGIN IMMEDIATE` transactions already hold the database's write lock).
    pub const fn supports_for_update(self) -> bool {
        !matches!(self, Backend::Sqlite)
    }

    /// The row-locking clause ending a SELECT, where the backend has one.
    pub(crate) const fn for_update_sql(self) -> Option<&'static str> {
        match self {
            Backend::Postgres | Backend::MySql => Some(" FOR UPDATE"),
            Backend::Sqlite => None,
        }
    }

    /// The statements that open, release and roll back to the savepoint the ORM sets around a
    /// statement that may fail inside a transaction (PostgreSQL aborts the whole transaction on
    /// any error otherwise). The same text on all three backends.
    pub(crate) const fn savepoint_sql(self) -> [&'static str; 3] {
        ["SAVEPOINT orm_sp", "RELEASE SAVEPOINT orm_sp", "ROLLBACK TO SAVEPOINT orm_sp"]
    }
}
