//! Reading a live schema from each backend's catalog: tables, columns (types mapped back to
//! column kinds, nullability, defaults, generated keys), primary keys, unique constraints and
//! indexes, foreign keys with ON DELETE, and CHECK constraints (each backend's catalog; SQLite's
//! named ones from its CREATE TABLE text), lists of allowed values read back as the models write them.
//!
//! Names the database chose itself (SQLite's `sqlite_autoindex_*`, MySQL's `<table>_ibfk_<n>`)
//! are replaced by the names the migrator gives (`<table>_<columns>_key`, `..._fkey`), so a
//! schema built by migrations reads back equal to the models' schema.

use super::dedicated::Dedicated;
use super::{Backend, RowRef};
use crate::error::Result;
use crate::migrate::{Check, ColumnSchema, EnumType, ForeignKeySchema, HISTORY_TABLE, Index, Schema, Table};
use crate::model::OnDelete;
use crate::value::{SqlKind, SqlType, Value};

/// A PostgreSQL column: name, data type, udt name, nullable, default, length, generated.
type PgColumn = (String, String, String, bool, Option<String>, Option<i32>, bool, String);
/// A MySQL column: name, data type, column type, nullable, default, length, extra.
type MyColumn = (String, String, String, bool, Option<String>, Option<i64>, String);
/// A foreign key: name, parent, ON DELETE, columns, parent columns.
type FkRow = (String, String, String, Vec<String>, Vec<String>);

/// A guess made while mapping a type, for the comment of the generated source.
pub(crate) type Guesses = Vec<(String, String, String)>;

fn get<T: SqlType>(r: &RowRef<'_>, i: usize) -> Result<T> {
    T::decode(r, i)
}

/// A list PostgreSQL joined with `chr(31)`.
fn split(s: String) -> Vec<String> {
    s.split('\u{1f}').filter(|x| !x.is_empty()).map(str::to_owned).collect()
}

fn text(v: &str) -> Value {
    Value::Text(v.to_owned())
}

fn on_delete(s: &str) -> OnDelete {
    match s.to_ascii_uppercase().as_str() {
        "CASCADE" | "C" => OnDelete::Cascade,
        "SET NULL" | "N" => OnDelete::SetNull,
        "RESTRICT" | "R" => OnDelete::Restrict,
        _ => OnDelete::NoAction,
    }
}

/// The declared SQLite type as a kind, by SQLite's affinity rules plus the common names
/// (`BOOLEAN`, `DATETIME`, `NUMERIC`); `guess` says when the mapping is not exact.
fn sqlite_kind(declared: &str) -> (SqlKind, Option<u32>, Option<&'static str>) {
    let d = declared.to_ascii_uppercase();
    if d.contains("INT") {
        return (SqlKind::I64, None, None);
    }
    if d.contains("CHAR") || d.contains("CLOB") || d.contains("TEXT") {
        return (SqlKind::Text, None, None);
    }
    if d.contains("BLOB") || d.is_empty() {
        return (SqlKind::Bytes, None, None);
    }
    if d.contains("REAL") || d.contains("FLOA") || d.contains("DOUB") {
        return (SqlKind::F64, None, None);
    }
    if d.contains("BOOL") {
        return (SqlKind::Bool, None, Some("declared BOOLEAN (NUMERIC affinity)"));
    }
    if d.contains("DATETIME") || d.contains("TIMESTAMP") {
        return (SqlKind::DateTime, None, Some("declared DATETIME (stored as text or number)"));
    }
    if d == "DATE" {
        return (SqlKind::Date, None, Some("declared DATE"));
    }
    if d.contains("NUMERIC") || d.contains("DECIMAL") {
        return (SqlKind::Decimal, None, Some("NUMERIC affinity; values may be stored as REAL"));
    }
    (SqlKind::Text, None, Some("unknown declared type, read as text"))
}

fn pg_kind(data_type: &str, udt: &str) -> (SqlKind, Option<&'static str>) {
    use SqlKind::*;
    match data_type {
        "boolean" => (Bool, None),
        "smallint" => (I16, None),
        "integer" => (I32, None),
        "bigint" => (I64, None),
        "real" => (F32, None),
        "double precision" => (F64, None),
        "text" | "character varying" | "character" => (Text, None),
        "bytea" => (Bytes, None),
        "date" => (Date, None),
        "time without time zone" => (Time, None),
        "timestamp without time zone" => (DateTime, None),
        "timestamp with time zone" => (DateTimeUtc, None),
        "uuid" => (Uuid, None),
        "json" | "jsonb" => (Json, None),
        "numeric" => (Decimal, None),
        _ => (
            Text,
            if udt.is_empty() { Some("unknown type, read as text") } else { Some("user-defined type, read as text") },
        ),
    }
}

fn mysql_kind(data_type: &str, column_type: &str) -> (SqlKind, Option<&'static str>) {
    use SqlKind::*;
    let ct = column_type.to_ascii_lowercase();
    let unsigned = ct.contains("unsigned");
    match data_type.to_ascii_lowercase().as_str() {
        "tinyint" if ct.starts_with("tinyint(1)") => (Bool, Some("TINYINT(1), read as bool")),
        "tinyint" if unsigned => (I16, Some("TINYINT UNSIGNED, widened")),
        "tinyint" => (I8, None),
        "smallint" if unsigned => (I32, Some("SMALLINT UNSIGNED, widened")),
        "smallint" => (I16, None),
        "mediumint" | "int" | "integer" if unsigned => (I64, Some("INT UNSIGNED, widened")),
        "mediumint" | "int" | "integer" => (I32, None),
        "bigint" if unsigned => (I64, Some("BIGINT UNSIGNED, read as i64 (values above i64::MAX do not fit)")),
        "bigint" => (I64, None),
        "float" => (F32, None),
        "double" | "real" => (F64, None),
        "decimal" | "numeric" => (Decimal, None),
        "char" | "varchar" | "tinytext" | "text" | "mediumtext" | "longtext" | "enum" | "set" => (Text, None),
        "binary" if ct == "binary(16)" => (Uuid, Some("BINARY(16), read as a UUID")),
        "binary" | "varbinary" | "tinyblob" | "blob" | "mediumblob" | "longblob" => (Bytes, None),
        "date" => (Date, None),
        "time" => (Time, None),
        "datetime" | "timestamp" => (DateTime, None),
        "json" => (Json, None),
        _ => (Text, Some("unknown type, read as text")),
    }
}

/// The schema of the database `conn` is connected to (its current schema on PostgreSQL),
/// without the migrator's own history table, and the guesses made on the way.
pub(crate) async fn introspect(conn: &mut Dedicated) -> Result<(Schema, Guesses)> {
    let mut guesses = Guesses::new();
    let enums = match conn.backend {
        Backend::Postgres => pg_enums(conn).await?,
        Backend::Sqlite | Backend::MySql => Vec::new(),
    };
    let mut tables = match conn.backend {
        Backend::Sqlite => sqlite(conn, &mut guesses).await?,
        Backend::Postgres => postgres(conn, &mut guesses, &enums).await?,
        Backend::MySql => mysql(conn, &mut guesses).await?,
    };
    tables.retain(|t| t.name != HISTORY_TABLE);
    let mut s = Schema::new();
    s.enums = enums;
    for t in tables {
        s = s.table(t);
    }
    Ok((s, guesses))
}

fn empty_table(name: String) -> Table {
    Table {
        name,
        columns: Vec::new(),
        primary_key: Vec::new(),
        indexes: Vec::new(),
        foreign_keys: Vec::new(),
        checks: Vec::new(),
    }
}

async fn sqlite(conn: &mut Dedicated, guesses: &mut Guesses) -> Result<Vec<Table>> {
    let names: Vec<(String, String)> = conn
        .query(
            "SELECT name, COALESCE(sql, '') FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            vec![],
            |r| Ok((get(r, 0)?, get(r, 1)?)),
        )
        .await?;
    let mut out = Vec::new();
    for (name, create_sql) in names {
        let mut t = empty_table(name.clone());
        let cols: Vec<(String, String, bool, Option<String>, i64)> = conn
            .query(
                "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid",
                vec![text(&name)],
                |r| Ok((get(r, 0)?, get(r, 1)?, get::<i64>(r, 2)? != 0, get(r, 3)?, get(r, 4)?)),
            )
            .await?;
        let mut pk: Vec<(i64, String)> = cols.iter().filter(|c| c.4 > 0).map(|c| (c.4, c.0.clone())).collect();
        pk.sort();
        t.primary_key = pk.into_iter().map(|(_, n)| n).collect();
        let upper = create_sql.to_ascii_uppercase();
        for (cname, ty, notnull, dflt, _) in cols {
            let (kind, max_length, guess) = sqlite_kind(&ty);
            if let Some(g) = guess {
                guesses.push((name.clone(), cname.clone(), g.into()));
            }
            let is_key = t.primary_key.len() == 1 && t.primary_key[0] == cname;
            // INTEGER PRIMARY KEY is the rowid: the database generates it.
            let auto = is_key && ty.eq_ignore_ascii_case("INTEGER");
            if auto && !upper.contains("AUTOINCREMENT") {
                guesses.push((
                    name.clone(),
                    cname.clone(),
                    "INTEGER PRIMARY KEY without AUTOINCREMENT (keys may be reused)".into(),
                ));
            }
            t.columns.push(ColumnSchema {
                name: cname,
                kind,
                max_length,
                nullable: !notnull && !is_key,
                default: dflt,
                auto_increment: auto,
                pg_enum: None,
            });
        }
        let idx: Vec<(String, bool, String)> = conn
            .query("SELECT name, \"unique\", origin FROM pragma_index_list(?) ORDER BY name", vec![text(&name)], |r| {
                Ok((get(r, 0)?, get::<i64>(r, 1)? != 0, get(r, 2)?))
            })
            .await?;
        for (iname, unique, origin) in idx {
            if origin == "pk" {
                continue;
            }
            let columns: Vec<String> = conn
                .query("SELECT name FROM pragma_index_info(?) ORDER BY seqno", vec![text(&iname)], |r| get(r, 0))
                .await?;
            let iname = if iname.starts_with("sqlite_autoindex_") {
                format!("{}_{}_key", name, columns.join("_"))
            } else {
                iname
            };
            t.indexes.push(Index { name: iname, columns, unique });
        }
        let fks: Vec<(i64, String, String, Option<String>, String)> = conn
            .query(
                "SELECT id, \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq",
                vec![text(&name)],
                |r| Ok((get(r, 0)?, get(r, 1)?, get(r, 2)?, get(r, 3)?, get(r, 4)?)),
            )
            .await?;
        let mut by_id: Vec<(i64, ForeignKeySchema)> = Vec::new();
        for (id, parent, from, to, od) in fks {
            match by_id.iter_mut().find(|(i, _)| *i == id) {
                Some((_, f)) => {
                    f.columns.push(from);
                    f.referenced_columns.extend(to);
                }
                None => by_id.push((
                    id,
                    ForeignKeySchema {
                        name: String::new(),
                        columns: vec![from],
                        references: parent,
                        referenced_columns: to.into_iter().collect(),
                        on_delete: on_delete(&od),
                    },
                )),
            }
        }
        for (_, mut f) in by_id {
            f.name = format!("{}_{}_fkey", name, f.columns.join("_"));
            t.foreign_keys.push(f);
        }
        // SQLite keeps no catalog of checks: the named ones are read from the CREATE TABLE text.
        t.checks = named_checks(&create_sql);
        out.push(t);
    }
    // A foreign key naming no parent column refers to the parent's primary key.
    let keys: Vec<(String, Vec<String>)> = out.iter().map(|t| (t.name.clone(), t.primary_key.clone())).collect();
    for t in &mut out {
        for f in &mut t.foreign_keys {
            if f.referenced_columns.is_empty() {
                f.referenced_columns =
                    keys.iter().find(|(n, _)| *n == f.references).map(|(_, k)| k.clone()).unwrap_or_default();
            }
        }
    }
    Ok(out)
}

/// The enum types of the user's schemas (those outside the current schema named
/// `schema.name`), labels in their order.
async fn pg_enums(conn: &mut Dedicated) -> Result<Vec<EnumType>> {
    let rows: Vec<(String, String)> = conn
        .query(
            "SELECT CASE WHEN n.nspname = current_schema() THEN t.typname::text ELSE n.nspname::text || '.' || t.typname::text END, \
             array_to_string(ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder), chr(31)) \
             FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
             WHERE t.typtype = 'e' AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
            vec![],
            |r| Ok((get(r, 0)?, get(r, 1)?)),
        )
        .await?;
    Ok(rows.into_iter().map(|(name, labels)| EnumType { name, values: split(labels) }).collect())
}

async fn postgres(conn: &mut Dedicated, guesses: &mut Guesses, enums: &[EnumType]) -> Result<Vec<Table>> {
    let names: Vec<String> = conn
        .query(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() \
             AND table_type = 'BASE TABLE' ORDER BY table_name",
            vec![],
            |r| get(r, 0),
        )
        .await?;
    let mut out = Vec::new();
    for name in names {
        let mut t = empty_table(name.clone());
        let cols: Vec<PgColumn> = conn
            .query(
                "SELECT column_name::text, data_type::text, COALESCE(udt_name::text, ''), is_nullable = 'YES', column_default::text, \
                 character_maximum_length::int, (is_identity = 'YES' OR COALESCE(column_default, '') LIKE 'nextval(%'), \
                 COALESCE(udt_schema::text, '') \
                 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? \
                 ORDER BY ordinal_position",
                vec![text(&name)],
                |r| Ok((get(r, 0)?, get(r, 1)?, get(r, 2)?, get(r, 3)?, get(r, 4)?, get(r, 5)?, get(r, 6)?, get(r, 7)?)),
            )
            .await?;
        for (cname, dt, udt, nullable, default, len, generated, udt_schema) in cols {
            // A column of one of the enum types: text of that type (named as the models name it).
            let pg_enum = (dt == "USER-DEFINED")
                .then(|| enums.iter().find(|e| e.name == udt || e.name == format!("{udt_schema}.{udt}")))
                .flatten()
                .map(|e| e.name.clone());
            let (kind, guess) = match pg_enum {
                Some(_) => (SqlKind::Text, None),
                None => pg_kind(&dt, if dt == "USER-DEFINED" { &udt } else { "" }),
            };
            if let Some(g) = guess {
                guesses.push((name.clone(), cname.clone(), format!("{g} ({dt} {udt})")));
            }
            if generated && default.as_deref().is_some_and(|d| d.starts_with("nextval(")) {
                guesses.push((name.clone(), cname.clone(), "serial column, generated by a sequence".into()));
            }
            t.columns.push(ColumnSchema {
                name: cname,
                kind,
                max_length: if dt == "character varying" { len.and_then(|n| u32::try_from(n).ok()) } else { None },
                nullable,
                default: if generated { None } else { default },
                auto_increment: generated,
                pg_enum,
            });
        }
        // Indexes (with the unique constraints and the primary key), columns in index order.
        let idx: Vec<(String, bool, bool, Vec<String>)> = conn
            .query(
                "SELECT ic.relname::text, ix.indisunique, ix.indisprimary, \
                 array_to_string(ARRAY(SELECT a.attname::text FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, n) \
                       JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum ORDER BY k.n), chr(31)) \
                 FROM pg_index ix JOIN pg_class ic ON ic.oid = ix.indexrelid JOIN pg_class tc ON tc.oid = ix.indrelid \
                 JOIN pg_namespace ns ON ns.oid = tc.relnamespace \
                 WHERE ns.nspname = current_schema() AND tc.relname = ? ORDER BY ic.relname",
                vec![text(&name)],
                |r| Ok((get(r, 0)?, get(r, 1)?, get(r, 2)?, split(get(r, 3)?))),
            )
            .await?;
        for (iname, unique, primary, columns) in idx {
            if primary {
                t.primary_key = columns;
            } else {
                t.indexes.push(Index { name: iname, columns, unique });
            }
        }
        let fks: Vec<FkRow> = conn
            .query(
                "SELECT c.conname::text, p.relname::text, c.confdeltype::text, \
                 array_to_string(ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, n) \
                       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.n), chr(31)), \
                 array_to_string(ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, n) \
                       JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.n), chr(31)) \
                 FROM pg_constraint c JOIN pg_class tc ON tc.oid = c.conrelid JOIN pg_class p ON p.oid = c.confrelid \
                 JOIN pg_namespace ns ON ns.oid = tc.relnamespace \
                 WHERE c.contype = 'f' AND ns.nspname = current_schema() AND tc.relname = ? ORDER BY c.conname",
                vec![text(&name)],
                |r| Ok((get(r, 0)?, get(r, 1)?, get(r, 2)?, split(get(r, 3)?), split(get(r, 4)?))),
            )
            .await?;
        for (fname, parent, del, columns, referenced_columns) in fks {
            t.foreign_keys.push(ForeignKeySchema {
                name: fname,
                columns,
                references: parent,
                referenced_columns,
                on_delete: on_delete(&del),
            });
        }
        let checks: Vec<(String, String)> = conn
            .query(
                "SELECT c.conname::text, pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_class tc ON tc.oid = c.conrelid \
                 JOIN pg_namespace ns ON ns.oid = tc.relnamespace \
                 WHERE c.contype = 'c' AND ns.nspname = current_schema() AND tc.relname = ? ORDER BY c.conname",
                vec![text(&name)],
                |r| Ok((get(r, 0)?, get(r, 1)?)),
            )
            .await?;
        for (cname, def) in checks {
            let expr = def.strip_prefix("CHECK ").unwrap_or(&def);
            t.checks.push(Check { name: cname, expr: canonical_check(expr) });
        }
        out.push(t);
    }
    Ok(out)
}

async fn mysql(conn: &mut Dedicated, guesses: &mut Guesses) -> Result<Vec<Table>> {
    let names: Vec<String> = conn
        .query(
            "SELECT CAST(TABLE_NAME AS CHAR) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() \
             AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
            vec![],
            |r| get(r, 0),
        )
        .await?;
    let mut out = Vec::new();
    for name in names {
        let mut t = empty_table(name.clone());
        let cols: Vec<MyColumn> = conn
            .query(
                "SELECT CAST(COLUMN_NAME AS CHAR), CAST(DATA_TYPE AS CHAR), CAST(COLUMN_TYPE AS CHAR), IS_NULLABLE = 'YES', \
                 CAST(COLUMN_DEFAULT AS CHAR), CAST(CHARACTER_MAXIMUM_LENGTH AS SIGNED), CAST(EXTRA AS CHAR) \
                 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
                vec![text(&name)],
                |r| {
                    Ok((get(r, 0)?, get(r, 1)?, get(r, 2)?, get::<i64>(r, 3)? != 0, get(r, 4)?, get(r, 5)?, get(r, 6)?))
                },
            )
            .await?;
        for (cname, dt, ct, nullable, default, len, extra) in cols {
            let (kind, guess) = mysql_kind(&dt, &ct);
            if let Some(g) = guess {
                guesses.push((name.clone(), cname.clone(), g.into()));
            }
            let bounded = matches!(dt.to_ascii_lowercase().as_str(), "varchar" | "varbinary" | "char");
            // MariaDB reports "NULL" for a nullable column without a default.
            let default = default.filter(|d| !d.eq_ignore_ascii_case("null"));
            t.columns.push(ColumnSchema {
                name: cname,
                kind,
                max_length: if bounded && kind != SqlKind::Uuid {
                    len.and_then(|n| u32::try_from(n).ok())
                } else {
                    None
                },
                nullable,
                default,
                auto_increment: extra.to_ascii_lowercase().contains("auto_increment"),
                pg_enum: None,
            });
        }
        let idx: Vec<(String, bool, String)> = conn
            .query(
                "SELECT CAST(INDEX_NAME AS CHAR), NON_UNIQUE = 0, CAST(COLUMN_NAME AS CHAR) FROM information_schema.STATISTICS \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY INDEX_NAME, SEQ_IN_INDEX",
                vec![text(&name)],
                |r| Ok((get(r, 0)?, get::<i64>(r, 1)? != 0, get(r, 2)?)),
            )
            .await?;
        for (iname, unique, col) in idx {
            if iname == "PRIMARY" {
                t.primary_key.push(col);
                continue;
            }
            match t.indexes.iter_mut().find(|i| i.name == iname) {
                Some(i) => i.columns.push(col),
                None => t.indexes.push(Index { name: iname, columns: vec![col], unique }),
            }
        }
        let fks: Vec<(String, String, String, String, String)> = conn
            .query(
                "SELECT CAST(k.CONSTRAINT_NAME AS CHAR), CAST(k.REFERENCED_TABLE_NAME AS CHAR), CAST(k.COLUMN_NAME AS CHAR), \
                 CAST(k.REFERENCED_COLUMN_NAME AS CHAR), CAST(r.DELETE_RULE AS CHAR) \
                 FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
                 ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME \
                 WHERE k.TABLE_SCHEMA = DATABASE() AND k.TABLE_NAME = ? AND k.REFERENCED_TABLE_NAME IS NOT NULL \
                 ORDER BY k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
                vec![text(&name)],
                |r| Ok((get(r, 0)?, get(r, 1)?, get(r, 2)?, get(r, 3)?, get(r, 4)?)),
            )
            .await?;
        for (fname, parent, col, pcol, del) in fks {
            match t.foreign_keys.iter_mut().find(|f| f.name == fname) {
                Some(f) => {
                    f.columns.push(col);
                    f.referenced_columns.push(pcol);
                }
                None => t.foreign_keys.push(ForeignKeySchema {
                    name: fname,
                    columns: vec![col],
                    references: parent,
                    referenced_columns: vec![pcol],
                    on_delete: on_delete(&del),
                }),
            }
        }
        // The index MySQL creates for a foreign key lacking one is named after the constraint.
        let fk_names: Vec<String> = t.foreign_keys.iter().map(|f| f.name.clone()).collect();
        t.indexes.retain(|i| !fk_names.contains(&i.name));
        for f in &mut t.foreign_keys {
            if f.name.contains("_ibfk_") {
                f.name = format!("{}_{}_fkey", name, f.columns.join("_"));
            }
        }
        out.push(t);
    }
    // MariaDB and MySQL 8.0.16+ list checks; an older server has no such table.
    let checks: Result<Vec<(String, String, String)>> = conn
        .query(
            "SELECT CAST(TABLE_NAME AS CHAR), CAST(CONSTRAINT_NAME AS CHAR), CAST(CHECK_CLAUSE AS CHAR) \
             FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() ORDER BY CONSTRAINT_NAME",
            vec![],
            |r| Ok((get(r, 0)?, get(r, 1)?, get(r, 2)?)),
        )
        .await;
    for (table, name, expr) in checks.unwrap_or_default() {
        if let Some(t) = out.iter_mut().find(|t| t.name == table) {
            // MariaDB's implicit json_valid() check of a JSON column.
            if t.column(&name).is_some_and(|_| expr.contains("json_valid")) {
                if let Some(c) = t.columns.iter_mut().find(|c| c.name == name) {
                    c.kind = SqlKind::Json;
                }
                continue;
            }
            t.checks.push(Check { name, expr: canonical_check(&expr) });
        }
    }
    Ok(out)
}

/// A token of an SQL expression, for reading checks back.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// A keyword or an identifier; `true` when it was quoted (`"x"`, `` `x` ``).
    Word(String, bool),
    /// A string literal, unescaped.
    Str(String),
    /// A number, as written.
    Num(String),
    /// `::` (a PostgreSQL cast).
    Cast,
    Punct(char),
}

/// The tokens of `s` with the byte offset where each starts and ends; `None` on text this
/// reader does not understand (an unterminated quote).
fn tokens(s: &str) -> Option<Vec<(Tok, usize, usize)>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let tok = match c {
            b'\'' | b'"' | b'`' => {
                let mut v = Vec::new();
                i += 1;
                loop {
                    if i >= b.len() {
                        return None;
                    }
                    if b[i] == c {
                        if b.get(i + 1) == Some(&c) {
                            v.push(c);
                            i += 2;
                            continue;
                        }
                        i += 1;
                        break;
                    }
                    v.push(b[i]);
                    i += 1;
                }
                let v = String::from_utf8(v).ok()?;
                if c == b'\'' { Tok::Str(v) } else { Tok::Word(v, true) }
            }
            b':' if b.get(i + 1) == Some(&b':') => {
                i += 2;
                Tok::Cast
            }
            c if c.is_ascii_digit() => {
                while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                    i += 1;
                }
                Tok::Num(s[start..i].to_owned())
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$' || b[i] >= 0x80) {
                    i += 1;
                }
                Tok::Word(s[start..i].to_owned(), false)
            }
            c => {
                i += 1;
                Tok::Punct(c as char)
            }
        };
        out.push((tok, start, i));
    }
    Some(out)
}

/// Whether the SQL text `sql` names `ident` (bare or quoted, any case): a view or trigger that
/// may refer to a table.
pub(crate) fn mentions(sql: &str, ident: &str) -> bool {
    match tokens(sql) {
        Some(toks) => toks.iter().any(|(t, ..)| matches!(t, Tok::Word(w, _) if w.eq_ignore_ascii_case(ident))),
        // Unreadable: assume it does (dropping and recreating it is harmless).
        None => true,
    }
}

fn keyword(t: &Tok, k: &str) -> bool {
    matches!(t, Tok::Word(w, false) if w.eq_ignore_ascii_case(k))
}

/// The named table checks (`CONSTRAINT "name" CHECK (expr)`) of a CREATE TABLE statement.
pub(crate) fn named_checks(create_sql: &str) -> Vec<Check> {
    let Some(toks) = tokens(create_sql) else { return Vec::new() };
    let mut out = Vec::new();
    for (k, w) in toks.windows(4).enumerate() {
        let (Tok::Word(name, _), Tok::Punct('(')) = (&w[1].0, &w[3].0) else { continue };
        if !keyword(&w[0].0, "CONSTRAINT") || !keyword(&w[2].0, "CHECK") {
            continue;
        }
        let mut depth = 0usize;
        for (t, _, end) in &toks[k + 3..] {
            match t {
                Tok::Punct('(') => depth += 1,
                Tok::Punct(')') => {
                    depth -= 1;
                    if depth == 0 {
                        let expr = create_sql[w[3].2..end - 1].trim();
                        out.push(Check { name: name.clone(), expr: canonical_check(expr) });
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// A check in the spelling the models give it, where it is a list of allowed values (what a
/// text or integer enum declares): `col IN ('a', 'b')`, whether the database kept it as
/// `"col" IN ('a','b')` (SQLite, MySQL) or rewrote it as `((col)::text = ANY
/// ((ARRAY['a'::character varying, ...])::text[]))` (PostgreSQL). Any other check is kept as the
/// database spells it.
pub(crate) fn canonical_check(expr: &str) -> String {
    allowed_values(expr).unwrap_or_else(|| expr.trim().to_owned())
}

/// [`canonical_check`] of a list of allowed values; `None` for any other check.
pub(crate) fn allowed_values(expr: &str) -> Option<String> {
    let kept = || None;
    let toks = tokens(expr)?;
    // Without casts (`::type`, `::type[]`, `::character varying`) and parentheses.
    let mut flat: Vec<Tok> = Vec::new();
    let mut it = toks.into_iter().map(|t| t.0).peekable();
    while let Some(t) = it.next() {
        match t {
            Tok::Cast => {
                while matches!(it.peek(), Some(Tok::Word(..))) {
                    it.next();
                }
                if it.peek() == Some(&Tok::Punct('[')) {
                    it.next();
                    if it.peek() == Some(&Tok::Punct(']')) {
                        it.next();
                    }
                }
            }
            Tok::Punct('(' | ')') => {}
            // MySQL's character-set introducer: `_utf8mb4'a'`.
            Tok::Word(w, false) if w.starts_with('_') && matches!(it.peek(), Some(Tok::Str(_))) => {}
            t => flat.push(t),
        }
    }
    let (col, rest) = match flat.as_slice() {
        [Tok::Word(c, _), i, rest @ ..] if keyword(i, "IN") => (c, rest),
        [Tok::Word(c, _), Tok::Punct('='), any, array, Tok::Punct('['), rest @ .., Tok::Punct(']')]
            if keyword(any, "ANY") && keyword(array, "ARRAY") =>
        {
            (c, rest)
        }
        _ => return kept(),
    };
    let mut values = Vec::new();
    let mut negative = false;
    // A value, then a comma before each next one.
    let mut want_value = true;
    for t in rest {
        match t {
            Tok::Punct(',') if !want_value => want_value = true,
            Tok::Punct('-') if want_value && !negative => negative = true,
            Tok::Str(v) if want_value && !negative => {
                values.push(format!("'{}'", v.replace('\'', "''")));
                want_value = false;
            }
            Tok::Num(n) if want_value => {
                values.push(if negative { format!("-{n}") } else { n.clone() });
                negative = false;
                want_value = false;
            }
            _ => return kept(),
        }
    }
    if want_value {
        return kept();
    }
    if values.is_empty() {
        return kept();
    }
    Some(format!("{col} IN ({})", values.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_checks_read_back_as_the_models_write_them() {
        let model = "status IN ('draft', 'it''s')";
        for db in [
            model,
            "\"status\" IN ('draft','it''s')",
            "`status` in ('draft','it''s')",
            "((status)::text = ANY ((ARRAY['draft'::character varying, 'it''s'::character varying])::text[]))",
            "((status = ANY (ARRAY['draft'::text, 'it''s'::text])))",
        ] {
            assert_eq!(canonical_check(db), model, "{db}");
        }
        assert_eq!(canonical_check("((code = ANY (ARRAY[1, -5])))"), "code IN (1, -5)");
        assert_eq!(canonical_check("`code` in (1,-5)"), "code IN (1, -5)");
        assert_eq!(canonical_check("(`s` in (_utf8mb4'a',_utf8mb4'b'))"), "s IN ('a', 'b')");
        // Anything else is kept.
        assert_eq!(canonical_check(" (length(x) <= 3) "), "(length(x) <= 3)");
        assert_eq!(canonical_check("a IN (b, c)"), "a IN (b, c)");
    }

    #[test]
    fn sqlite_named_checks_come_from_the_create_statement() {
        let sql = "CREATE TABLE \"t\" (\"id\" INTEGER, \"s\" TEXT CHECK (length(\"s\") <= 5), \
                   CONSTRAINT \"t_s_check\" CHECK (s IN ('a', 'b)')), CONSTRAINT \"t_id_fkey\" FOREIGN KEY (id) REFERENCES u (id))";
        assert_eq!(named_checks(sql), vec![Check { name: "t_s_check".into(), expr: "s IN ('a', 'b)')".into() }]);
    }
}
