//! Migration DDL of each backend: how every [`Op`] is written, the SQLite table rebuild, how a
//! migration is wrapped (transaction, lock timeout, foreign-key pragmas), the history table and
//! the lock against two runners.
//!
//! The operations and schemas are backend-neutral (`crate::migrate`); this file is the only place
//! where their SQL differs per backend.

use super::Backend;
use crate::error::{Error, Result};
use crate::migrate::{ColumnSchema, ForeignKeySchema, Index, Op, Schema, Table};
use crate::model::OnDelete;
use crate::value::SqlKind;

/// One statement of a migration, with what it does (for progress and errors).
#[derive(Debug, Clone)]
pub(crate) struct Step {
    /// The SQL.
    pub(crate) sql: String,
    /// Part of a rebuild of this table (SQLite), to report how long it took.
    pub(crate) rebuild: Option<String>,
}

/// How a backend applies a migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Apply {
    /// The statements and the history row in one transaction (PostgreSQL, SQLite).
    Transaction,
    /// Statement by statement, progress recorded after each (MySQL commits around every DDL).
    PerStatement,
}

/// A PostgreSQL string literal (standard_conforming_strings: only `'` is doubled).
fn write_pg_text(out: &mut String, v: &str) {
    out.push('\'');
    out.push_str(&v.replace('\'', "''"));
    out.push('\'');
}

fn on_delete_sql(o: OnDelete) -> &'static str {
    match o {
        OnDelete::NoAction => "",
        OnDelete::Cascade => " ON DELETE CASCADE",
        OnDelete::SetNull => " ON DELETE SET NULL",
        OnDelete::Restrict => " ON DELETE RESTRICT",
    }
}

impl Backend {
    /// How a migration is applied here.
    pub(crate) const fn apply_mode(self) -> Apply {
        match self {
            Backend::MySql => Apply::PerStatement,
            Backend::Sqlite | Backend::Postgres => Apply::Transaction,
        }
    }

    /// What runs on the migration's connection before its `BEGIN` and after its end: SQLite turns
    /// foreign keys off (a no-op inside a transaction) so a table rebuild's `DROP TABLE` neither
    /// fails on nor cascades to the children, and back on after.
    pub(crate) const fn around_migration(self) -> Option<(&'static str, &'static str)> {
        match self {
            Backend::Sqlite => Some(("PRAGMA foreign_keys = OFF", "PRAGMA foreign_keys = ON")),
            Backend::Postgres | Backend::MySql => None,
        }
    }

    /// The first statement inside the migration's transaction: PostgreSQL gives up waiting for a
    /// lock on a busy table after `ms`, instead of queueing every later query behind it.
    pub(crate) fn lock_timeout_sql(self, ms: u64) -> Option<String> {
        match self {
            Backend::Postgres => Some(format!("SET LOCAL lock_timeout = '{ms}ms'")),
            Backend::Sqlite | Backend::MySql => None,
        }
    }

    /// The query run before COMMIT that lists rows breaking a foreign key (SQLite: checks were
    /// off during the migration).
    pub(crate) const fn foreign_key_check_sql(self) -> Option<&'static str> {
        match self {
            Backend::Sqlite => Some("PRAGMA foreign_key_check"),
            Backend::Postgres | Backend::MySql => None,
        }
    }

    /// The SQL type of a column of the PostgreSQL enum type `pg_enum` ([`crate::SqlType::PG_ENUM`]):
    /// the type itself, quoted (each part of `schema.name`), on PostgreSQL; `None` on SQLite and
    /// MySQL, which store the column as text with a CHECK of the labels.
    pub fn native_enum_type(self, pg_enum: Option<&str>) -> Option<String> {
        let name = pg_enum.filter(|_| self.has_native_enums())?;
        let mut out = String::new();
        self.write_qualified_ident(&mut out, name);
        Some(out)
    }

    /// Whether a `#[orm(pg_enum)]` column is of a native enum type here (PostgreSQL) rather than
    /// text with a CHECK of its labels (SQLite, MySQL).
    pub fn has_native_enums(self) -> bool {
        self == Backend::Postgres
    }

    /// `name` or `schema.name`, each part quoted.
    pub(crate) fn write_qualified_ident(self, out: &mut String, name: &str) {
        for (i, part) in name.splitn(2, '.').enumerate() {
            if i > 0 {
                out.push('.');
            }
            self.write_ident(out, part);
        }
    }

    /// The statement creating the PostgreSQL enum type `name` with `labels` unless it exists
    /// (`None` elsewhere). PostgreSQL has no `CREATE TYPE IF NOT EXISTS`, so a `DO` block
    /// catches `duplicate_object` (the type exists) and `unique_violation` (another connection
    /// created it while this one waited on the catalog's unique index). An existing type is left
    /// as it is, whatever its labels: a migration adds labels (`AddEnumValue`).
    pub fn create_enum_type_sql(self, name: &str, labels: &[&str]) -> Option<String> {
        if !self.has_native_enums() {
            return None;
        }
        let create = self.create_enum_sql(name, labels);
        // A dollar-quote tag that the body does not contain (labels are the program's own
        // constants; the loop is bounded by the body's length).
        let mut tag = String::from("$orm$");
        for n in 0..=create.len() {
            if !create.contains(&tag) {
                break;
            }
            tag = format!("$orm{n}$");
        }
        Some(format!(
            "DO {tag} BEGIN {create}; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END {tag}"
        ))
    }

    /// `CREATE TYPE "name" AS ENUM ('a', 'b')` (PostgreSQL), the one rendering of an enum type
    /// for `create_table` and the migrations.
    fn create_enum_sql(self, name: &str, labels: &[impl AsRef<str>]) -> String {
        let mut s = String::from("CREATE TYPE ");
        self.write_qualified_ident(&mut s, name);
        s.push_str(" AS ENUM (");
        for (i, l) in labels.iter().enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            write_pg_text(&mut s, l.as_ref());
        }
        s.push(')');
        s
    }

    /// The type of a column of `kind` as this backend stores it, as introspection reads it back.
    pub fn stored_type(self, kind: SqlKind, keyed: bool, max_length: Option<u32>) -> (SqlKind, Option<u32>) {
        use SqlKind::*;
        match self {
            Backend::Sqlite => (
                match kind {
                    Bool | I8 | I16 | I32 | I64 => I64,
                    F32 | F64 => F64,
                    Text | Date | Time | DateTime | DateTimeUtc | Json | Decimal => Text,
                    Bytes | Uuid => Bytes,
                },
                None,
            ),
            Backend::Postgres => match kind {
                I8 => (I16, None),
                Text => (Text, max_length),
                k => (k, None),
            },
            Backend::MySql => match kind {
                DateTimeUtc => (DateTime, None),
                Json => (Json, None),
                Text | Bytes => (kind, max_length.or(if keyed { Some(255) } else { None })),
                k => (k, None),
            },
        }
    }

    /// `"name" TYPE [NOT NULL] [DEFAULT x]`; the generated key with its PRIMARY KEY unless
    /// `alter` (MySQL's MODIFY/CHANGE must not repeat the key).
    fn write_column_def(self, out: &mut String, table: &Table, c: &ColumnSchema, alter: bool) {
        self.write_ident(out, &c.name);
        out.push(' ');
        let alone_key = table.primary_key.len() == 1 && table.primary_key[0] == c.name;
        if c.auto_increment && alone_key {
            if alter && self == Backend::MySql {
                out.push_str(&self.column_type(c.kind, true, None));
                out.push_str(" NOT NULL AUTO_INCREMENT");
            } else {
                self.write_auto_key(out, c.kind);
            }
            return;
        }
        match self.native_enum_type(c.pg_enum.as_deref()) {
            Some(t) => out.push_str(&t),
            None => out.push_str(&self.column_type(c.kind, table.is_keyed(&c.name), c.max_length)),
        }
        if !c.nullable {
            out.push_str(" NOT NULL");
        }
        if let Some(d) = &c.default {
            out.push_str(" DEFAULT ");
            self.write_default_sql(out, d);
        }
        if alone_key && !alter {
            out.push_str(" PRIMARY KEY");
        }
    }

    fn write_list(self, out: &mut String, cols: &[String]) {
        out.push('(');
        for (i, c) in cols.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            self.write_ident(out, c);
        }
        out.push(')');
    }

    fn write_fk(self, out: &mut String, f: &ForeignKeySchema) {
        out.push_str("CONSTRAINT ");
        self.write_ident(out, &f.name);
        out.push_str(" FOREIGN KEY ");
        self.write_list(out, &f.columns);
        out.push_str(" REFERENCES ");
        self.write_ident(out, &f.references);
        out.push(' ');
        self.write_list(out, &f.referenced_columns);
        out.push_str(on_delete_sql(f.on_delete));
    }

    /// `CONSTRAINT "name" CHECK (expr)`: how every check is written, by the migrations and by
    /// `Model::create_table` alike, so that introspection finds it under the models' name.
    pub(crate) fn write_check(self, out: &mut String, name: &str, expr: &str) {
        out.push_str("CONSTRAINT ");
        self.write_ident(out, name);
        out.push_str(" CHECK (");
        out.push_str(expr);
        out.push(')');
    }

    /// Whether check `name` of `t` is the list of labels of a column of a native enum type
    /// (PostgreSQL), which the type enforces: such a check is not written there.
    fn is_native_enum_check(self, t: &Table, name: &str) -> bool {
        self.has_native_enums()
            && t.columns
                .iter()
                .filter(|c| c.pg_enum.is_some())
                .any(|c| crate::model::index_name(&t.name, &[c.name.as_str()], "check") == name)
    }

    /// CREATE TABLE `name` with `t`'s definition, then its indexes (inside the statement on MySQL).
    fn create_table(self, t: &Table, name: &str) -> Vec<String> {
        let mut s = String::from("CREATE TABLE ");
        self.write_ident(&mut s, name);
        s.push_str(" (");
        for (i, c) in t.columns.iter().enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            self.write_column_def(&mut s, t, c, false);
        }
        if t.primary_key.len() > 1 {
            s.push_str(", PRIMARY KEY ");
            self.write_list(&mut s, &t.primary_key);
        }
        for f in &t.foreign_keys {
            s.push_str(", ");
            self.write_fk(&mut s, f);
        }
        for c in t.checks.iter().filter(|c| !self.is_native_enum_check(t, &c.name)) {
            s.push_str(", ");
            self.write_check(&mut s, &c.name, &c.expr);
        }
        if self.inline_indexes() {
            for i in &t.indexes {
                s.push_str(if i.unique { ", UNIQUE INDEX " } else { ", INDEX " });
                self.write_ident(&mut s, &i.name);
                s.push(' ');
                self.write_list(&mut s, &i.columns);
            }
        }
        s.push(')');
        s.push_str(self.table_options());
        let mut out = vec![s];
        if !self.inline_indexes() {
            out.extend(t.indexes.iter().map(|i| self.create_index(&t.name, i)));
        }
        out
    }

    fn create_index(self, table: &str, i: &Index) -> String {
        let mut s = String::from(if i.unique { "CREATE UNIQUE INDEX " } else { "CREATE INDEX " });
        self.write_ident(&mut s, &i.name);
        s.push_str(" ON ");
        self.write_ident(&mut s, table);
        s.push(' ');
        self.write_list(&mut s, &i.columns);
        s
    }

    fn alter(self, table: &str) -> String {
        let mut s = String::from("ALTER TABLE ");
        self.write_ident(&mut s, table);
        s.push(' ');
        s
    }

    /// MySQL: the columns of `cols` whose type depends on being indexed (text is VARCHAR(255) in
    /// an index, LONGTEXT elsewhere) and changes from `before` to `after` get the new type.
    fn retype_keyed(self, out: &mut Vec<String>, before: &Table, after: &Table, cols: &[String]) {
        if self != Backend::MySql {
            return;
        }
        for name in cols {
            let (Some(old), Some(c)) = (before.column(name), after.column(name)) else { continue };
            let was = self.column_type(old.kind, before.is_keyed(name), old.max_length);
            let now = self.column_type(c.kind, after.is_keyed(name), c.max_length);
            if was != now && !c.auto_increment {
                let mut s = self.alter(&after.name);
                s.push_str("MODIFY COLUMN ");
                self.write_column_def(&mut s, after, c, true);
                out.push(s);
            }
        }
    }

    /// The statements of `ops`, applied to `before` in order.
    pub(crate) fn render_ops(self, ops: &[Op], before: &Schema) -> Result<Vec<Step>> {
        let mut cur = before.clone();
        let mut out = Vec::new();
        for op in ops {
            let mut next = cur.clone();
            next.apply(op)?;
            self.render_op(op, &cur, &next, &mut out)?;
            cur = next;
        }
        Ok(out)
    }

    fn render_op(self, op: &Op, before: &Schema, after: &Schema, out: &mut Vec<Step>) -> Result<()> {
        let plain =
            |out: &mut Vec<Step>, v: Vec<String>| out.extend(v.into_iter().map(|sql| Step { sql, rebuild: None }));
        let table_of = |s: &Schema, name: &str| {
            s.get(name).cloned().ok_or_else(|| Error::Migration {
                id: String::new(),
                message: format!("the operation refers to table `{name}`, which does not exist"),
            })
        };
        let rebuild_sqlite = self == Backend::Sqlite;
        match op {
            Op::CreateTable { table } => plain(out, self.create_table(table, &table.name)),
            Op::DropTable { table } => {
                let mut s = String::from("DROP TABLE ");
                self.write_ident(&mut s, table);
                plain(out, vec![s]);
            }
            Op::RenameTable { from, to } => {
                let mut s = match self {
                    Backend::MySql => String::from("RENAME TABLE "),
                    _ => self.alter(from),
                };
                if self == Backend::MySql {
                    self.write_ident(&mut s, from);
                    s.push_str(" TO ");
                } else {
                    s.push_str("RENAME TO ");
                }
                self.write_ident(&mut s, to);
                plain(out, vec![s]);
            }
            Op::AddColumn { table, column } => {
                let t = table_of(after, table)?;
                let native = !rebuild_sqlite || (column.nullable || column.default.is_some()) && !column.auto_increment;
                if native {
                    let mut s = self.alter(table);
                    s.push_str("ADD COLUMN ");
                    self.write_column_def(&mut s, &t, column, true);
                    plain(out, vec![s]);
                } else {
                    self.rebuild(&table_of(before, table)?, &t, out);
                }
            }
            Op::DropColumn { table, column } => {
                if rebuild_sqlite {
                    self.rebuild(&table_of(before, table)?, &table_of(after, table)?, out);
                } else {
                    let mut s = self.alter(table);
                    s.push_str("DROP COLUMN ");
                    self.write_ident(&mut s, column);
                    plain(out, vec![s]);
                }
            }
            Op::RenameColumn { table, from, to } => {
                let mut s = self.alter(table);
                match self {
                    Backend::MySql => {
                        let t = table_of(after, table)?;
                        let c = t.column(to).cloned().ok_or_else(|| Error::Migration {
                            id: String::new(),
                            message: format!("no column `{table}.{to}`"),
                        })?;
                        s.push_str("CHANGE COLUMN ");
                        self.write_ident(&mut s, from);
                        s.push(' ');
                        self.write_column_def(&mut s, &t, &c, true);
                    }
                    Backend::Sqlite | Backend::Postgres => {
                        s.push_str("RENAME COLUMN ");
                        self.write_ident(&mut s, from);
                        s.push_str(" TO ");
                        self.write_ident(&mut s, to);
                    }
                }
                plain(out, vec![s]);
            }
            Op::AlterColumn { table, column } => {
                let (bt, at) = (table_of(before, table)?, table_of(after, table)?);
                let old = bt.column(&column.name).cloned().ok_or_else(|| Error::Migration {
                    id: String::new(),
                    message: format!("no column `{table}.{}`", column.name),
                })?;
                let mut v = Vec::new();
                // Existing NULLs take the default before NOT NULL applies.
                if old.nullable
                    && !column.nullable
                    && let Some(d) = &column.default
                {
                    let mut s = String::from("UPDATE ");
                    self.write_ident(&mut s, table);
                    s.push_str(" SET ");
                    self.write_ident(&mut s, &column.name);
                    s.push_str(" = ");
                    s.push_str(d);
                    s.push_str(" WHERE ");
                    self.write_ident(&mut s, &column.name);
                    s.push_str(" IS NULL");
                    v.push(s);
                }
                match self {
                    Backend::Sqlite => {
                        plain(out, v);
                        self.rebuild(&bt, &at, out);
                        return Ok(());
                    }
                    Backend::MySql => {
                        let mut s = self.alter(table);
                        s.push_str("MODIFY COLUMN ");
                        self.write_column_def(&mut s, &at, column, true);
                        v.push(s);
                    }
                    Backend::Postgres => {
                        let col = |s: &mut String| {
                            s.push_str("ALTER COLUMN ");
                            self.write_ident(s, &column.name);
                        };
                        let ty_of = |c: &ColumnSchema, t: &Table| {
                            self.native_enum_type(c.pg_enum.as_deref())
                                .unwrap_or_else(|| self.column_type(c.kind, t.is_keyed(&c.name), c.max_length))
                        };
                        let (ty_old, ty_new) = (ty_of(&old, &bt), ty_of(column, &at));
                        // To or from an enum type: through text (there is no cast between an
                        // enum and another type but text), and without the default, which
                        // PostgreSQL does not convert (it is set again below).
                        let via_enum = ty_old != ty_new && (old.pg_enum.is_some() || column.pg_enum.is_some());
                        let drop_default = via_enum && old.default.is_some();
                        // The CHECK of a text enum's labels exists only while the column is not
                        // of an enum type (see `is_native_enum_check`): dropped before the
                        // column becomes one, added back after it stops being one.
                        let check = crate::model::index_name(table, &[column.name.as_str()], "check");
                        if column.pg_enum.is_some()
                            && old.pg_enum.is_none()
                            && bt.checks.iter().any(|c| c.name == check)
                        {
                            let mut s = self.alter(table);
                            s.push_str("DROP CONSTRAINT ");
                            self.write_ident(&mut s, &check);
                            v.push(s);
                        }
                        let add_check = (old.pg_enum.is_some() && column.pg_enum.is_none())
                            .then(|| at.checks.iter().find(|c| c.name == check))
                            .flatten();
                        if drop_default {
                            let mut s = self.alter(table);
                            col(&mut s);
                            s.push_str(" DROP DEFAULT");
                            v.push(s);
                        }
                        if ty_old != ty_new {
                            let mut s = self.alter(table);
                            col(&mut s);
                            s.push_str(" TYPE ");
                            s.push_str(&ty_new);
                            s.push_str(" USING ");
                            self.write_ident(&mut s, &column.name);
                            if via_enum {
                                s.push_str("::TEXT");
                            }
                            s.push_str("::");
                            s.push_str(&ty_new);
                            v.push(s);
                        }
                        if old.default != column.default || (drop_default && column.default.is_some()) {
                            let mut s = self.alter(table);
                            col(&mut s);
                            match &column.default {
                                Some(d) => {
                                    s.push_str(" SET DEFAULT ");
                                    self.write_default_sql(&mut s, d);
                                }
                                None => s.push_str(" DROP DEFAULT"),
                            }
                            v.push(s);
                        }
                        if old.nullable != column.nullable {
                            let mut s = self.alter(table);
                            col(&mut s);
                            s.push_str(if column.nullable { " DROP NOT NULL" } else { " SET NOT NULL" });
                            v.push(s);
                        }
                        if let Some(c) = add_check {
                            let mut s = self.alter(table);
                            s.push_str("ADD ");
                            self.write_check(&mut s, &c.name, &c.expr);
                            v.push(s);
                        }
                    }
                }
                plain(out, v);
            }
            Op::CreateIndex { table, index } => {
                let mut v = Vec::new();
                self.retype_keyed(&mut v, &table_of(before, table)?, &table_of(after, table)?, &index.columns);
                v.push(self.create_index(table, index));
                plain(out, v);
            }
            Op::DropIndex { table, name } => {
                let bt = table_of(before, table)?;
                let cols = bt.indexes.iter().find(|i| &i.name == name).map(|i| i.columns.clone()).unwrap_or_default();
                let mut s = String::from("DROP INDEX ");
                self.write_ident(&mut s, name);
                if self == Backend::MySql {
                    s.push_str(" ON ");
                    self.write_ident(&mut s, table);
                }
                let mut v = vec![s];
                self.retype_keyed(&mut v, &bt, &table_of(after, table)?, &cols);
                plain(out, v);
            }
            Op::AddForeignKey { table, foreign_key } => {
                if rebuild_sqlite {
                    self.rebuild(&table_of(before, table)?, &table_of(after, table)?, out);
                } else {
                    let mut v = Vec::new();
                    self.retype_keyed(
                        &mut v,
                        &table_of(before, table)?,
                        &table_of(after, table)?,
                        &foreign_key.columns,
                    );
                    let mut s = self.alter(table);
                    s.push_str("ADD ");
                    self.write_fk(&mut s, foreign_key);
                    v.push(s);
                    plain(out, v);
                }
            }
            Op::DropCheck { table, name } if self.is_native_enum_check(&table_of(before, table)?, name) => {}
            Op::AddCheck { table, check } if self.is_native_enum_check(&table_of(after, table)?, &check.name) => {}
            Op::DropForeignKey { table, name } | Op::DropCheck { table, name } => {
                if rebuild_sqlite {
                    self.rebuild(&table_of(before, table)?, &table_of(after, table)?, out);
                } else {
                    let mut s = self.alter(table);
                    s.push_str(match (self, op) {
                        (Backend::MySql, Op::DropForeignKey { .. }) => "DROP FOREIGN KEY ",
                        _ => "DROP CONSTRAINT ",
                    });
                    self.write_ident(&mut s, name);
                    plain(out, vec![s]);
                }
            }
            Op::AddCheck { table, check } => {
                if rebuild_sqlite {
                    self.rebuild(&table_of(before, table)?, &table_of(after, table)?, out);
                } else {
                    let mut s = self.alter(table);
                    s.push_str("ADD ");
                    self.write_check(&mut s, &check.name, &check.expr);
                    plain(out, vec![s]);
                }
            }
            // Native enum types: PostgreSQL only (elsewhere the column is text with a CHECK,
            // which its own operations change).
            Op::CreateEnum { name, values } => {
                if self.has_native_enums() {
                    plain(out, vec![self.create_enum_sql(name, values)]);
                }
            }
            Op::AddEnumValue { name, value, before } => {
                // Inside the migration's transaction: PostgreSQL 12+ allows it there, but the new
                // label cannot be used until the transaction commits (so not in a DEFAULT or an
                // UPDATE of the same migration). PostgreSQL 11 and older refuse it in a
                // transaction.
                if self.has_native_enums() {
                    let mut s = String::from("ALTER TYPE ");
                    self.write_qualified_ident(&mut s, name);
                    s.push_str(" ADD VALUE ");
                    write_pg_text(&mut s, value);
                    if let Some(b) = before {
                        s.push_str(" BEFORE ");
                        write_pg_text(&mut s, b);
                    }
                    plain(out, vec![s]);
                }
            }
            Op::DropEnum { name } => {
                if self.has_native_enums() {
                    let mut s = String::from("DROP TYPE ");
                    self.write_qualified_ident(&mut s, name);
                    plain(out, vec![s]);
                }
            }
            Op::RawSql { all, sqlite, postgres, mysql, .. } => {
                let own = match self {
                    Backend::Sqlite => sqlite,
                    Backend::Postgres => postgres,
                    Backend::MySql => mysql,
                };
                match own.as_ref().or(all.as_ref()) {
                    Some(sql) => plain(out, vec![sql.clone()]),
                    None => {
                        return Err(Error::Unsupported(format!(
                            "a raw SQL operation has no text for {} (give `{}` or `all`)",
                            self.name(),
                            match self {
                                Backend::Sqlite => "sqlite",
                                Backend::Postgres => "postgres",
                                Backend::MySql => "mysql",
                            }
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    /// SQLite's table rebuild (sqlite.org/lang_altertable.html, "other kinds of table schema
    /// changes"): create the new table under a temporary name, copy the rows, drop the old
    /// table, rename the new one, recreate the indexes. Runs with foreign keys off (set before
    /// BEGIN), so the drop neither fails on nor cascades to the children, whose references by
    /// name then point at the new table; `PRAGMA foreign_key_check` runs before COMMIT.
    fn rebuild(self, before: &Table, after: &Table, out: &mut Vec<Step>) {
        let tmp = format!("_orm_new_{}", after.name);
        let label = Some(after.name.clone());
        let mut steps = self.create_table(after, &tmp);
        let indexes = steps.split_off(1);
        let copied: Vec<&ColumnSchema> = after.columns.iter().filter(|c| before.column(&c.name).is_some()).collect();
        if !copied.is_empty() {
            let mut s = String::from("INSERT INTO ");
            self.write_ident(&mut s, &tmp);
            s.push_str(" (");
            for (i, c) in copied.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                self.write_ident(&mut s, &c.name);
            }
            s.push_str(") SELECT ");
            for (i, c) in copied.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                let was_nullable = before.column(&c.name).is_some_and(|o| o.nullable);
                match (&c.default, was_nullable && !c.nullable) {
                    (Some(d), true) => {
                        s.push_str("COALESCE(");
                        self.write_ident(&mut s, &c.name);
                        s.push_str(", ");
                        s.push_str(d);
                        s.push(')');
                    }
                    _ => self.write_ident(&mut s, &c.name),
                }
            }
            s.push_str(" FROM ");
            self.write_ident(&mut s, &before.name);
            steps.push(s);
        }
        let mut drop = String::from("DROP TABLE ");
        self.write_ident(&mut drop, &before.name);
        steps.push(drop);
        let mut rename = self.alter(&tmp);
        rename.push_str("RENAME TO ");
        self.write_ident(&mut rename, &after.name);
        steps.push(rename);
        // The indexes were created on the temporary name: create them on the final one.
        let _ = indexes;
        steps.extend(after.indexes.iter().map(|i| self.create_index(&after.name, i)));
        out.extend(steps.into_iter().map(|sql| Step { sql, rebuild: label.clone() }));
    }
}

/// The views and triggers around a SQLite table rebuild.
impl Backend {
    /// Lists every view and trigger (type, name, table, CREATE statement, oldest first), to find
    /// those that a table rebuild must drop and create again (SQLite only; elsewhere no table
    /// is rebuilt).
    pub(crate) const fn rebuild_dependents_sql(self) -> Option<&'static str> {
        match self {
            Backend::Sqlite => Some(
                "SELECT type, name, tbl_name, sql FROM sqlite_master \
                 WHERE type IN ('view', 'trigger') AND sql IS NOT NULL ORDER BY rowid",
            ),
            Backend::Postgres | Backend::MySql => None,
        }
    }

    /// `DROP VIEW "name"` or `DROP TRIGGER "name"`.
    pub(crate) fn drop_dependent_sql(self, kind: &str, name: &str) -> String {
        let mut s = String::from(if kind == "view" { "DROP VIEW " } else { "DROP TRIGGER " });
        self.write_ident(&mut s, name);
        s
    }
}

/// The history table and the lock of the migrator.
impl Backend {
    /// `CREATE TABLE IF NOT EXISTS orm_migrations (...)`.
    pub(crate) fn history_table_sql(self) -> String {
        let text = |n| self.column_type(SqlKind::Text, true, Some(n));
        let long = self.column_type(SqlKind::Text, false, None);
        let big = self.column_type(SqlKind::I64, false, None);
        let int = self.column_type(SqlKind::I32, false, None);
        let mut s = String::from("CREATE TABLE IF NOT EXISTS ");
        self.write_ident(&mut s, crate::migrate::HISTORY_TABLE);
        s.push_str(&format!(
            " (id {} NOT NULL PRIMARY KEY, checksum {} NOT NULL, applied_at {big} NOT NULL, duration_ms {big} NOT NULL, \
             state {} NOT NULL, steps_done {int} NOT NULL, steps_total {int} NOT NULL, error {long})",
            text(255),
            text(64),
            text(16),
        ));
        s.push_str(self.table_options());
        s
    }

    /// The statement that tries to take the migrator's lock at once, returning one row whose
    /// first column is 1 (or true) when it was taken: PostgreSQL's session advisory lock, MySQL's
    /// named lock, both keyed by the database's name. SQLite has none: its migrations lock the
    /// database with `BEGIN IMMEDIATE`.
    pub(crate) const fn try_lock_sql(self) -> Option<&'static str> {
        match self {
            Backend::Postgres => Some(
                "SELECT CASE WHEN pg_try_advisory_lock(hashtext('orm_migrations:' || current_database())) THEN 1 ELSE 0 END",
            ),
            Backend::MySql => Some("SELECT COALESCE(GET_LOCK(CONCAT('orm_migrations:', DATABASE()), 0), 0)"),
            Backend::Sqlite => None,
        }
    }

    /// The statement that releases the lock of [`try_lock_sql`](Backend::try_lock_sql).
    pub(crate) const fn unlock_sql(self) -> Option<&'static str> {
        match self {
            Backend::Postgres => Some(
                "SELECT CASE WHEN pg_advisory_unlock(hashtext('orm_migrations:' || current_database())) THEN 1 ELSE 0 END",
            ),
            Backend::MySql => Some("SELECT COALESCE(RELEASE_LOCK(CONCAT('orm_migrations:', DATABASE())), 0)"),
            Backend::Sqlite => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Backend;

    #[test]
    fn enum_types_are_created_unless_they_exist_on_postgres_only() {
        let sql = Backend::Postgres.create_enum_type_sql("app.st", &["a", "it's"]).unwrap();
        assert_eq!(
            sql,
            "DO $orm$ BEGIN CREATE TYPE \"app\".\"st\" AS ENUM ('a', 'it''s'); \
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $orm$"
        );
        // A label holding the dollar-quote tag gets another tag.
        let sql = Backend::Postgres.create_enum_type_sql("st", &["$orm$"]).unwrap();
        assert!(sql.starts_with("DO $orm0$ BEGIN") && sql.ends_with("END $orm0$"), "{sql}");
        assert_eq!(Backend::Sqlite.create_enum_type_sql("st", &["a"]), None);
        assert_eq!(Backend::MySql.create_enum_type_sql("st", &["a"]), None);
        assert_eq!(Backend::Postgres.native_enum_type(Some("st")).as_deref(), Some("\"st\""));
        assert_eq!(Backend::MySql.native_enum_type(Some("st")), None);
    }
}
