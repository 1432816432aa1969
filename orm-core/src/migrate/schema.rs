//! The backend-neutral schema: tables, columns, keys, indexes, foreign keys and checks, built from
//! the models or read from a database, and changed one [`Op`] at a time.

use crate::error::{Error, Result};
use crate::model::{Model, OnDelete};
use crate::value::SqlKind;
use serde::{Deserialize, Serialize};

/// The whole schema: every table, sorted by name.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Schema {
    /// The tables, sorted by name.
    pub tables: Vec<Table>,
    /// The PostgreSQL enum types the columns use (`#[orm(pg_enum = "name")]`), sorted by name.
    /// Only PostgreSQL has them: elsewhere such a column is text with a CHECK.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enums: Vec<EnumType>,
    /// `renamed_from` hints of the models (not part of the schema itself).
    #[serde(skip)]
    pub(crate) hints: Hints,
}

impl PartialEq for Schema {
    fn eq(&self, other: &Self) -> bool {
        self.tables == other.tables && self.enums == other.enums
    }
}

/// A PostgreSQL enum type: its name (`post_status`, or `schema.post_status`) and its labels in
/// declaration order (the order PostgreSQL sorts them in).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnumType {
    /// The type name.
    pub name: String,
    /// The labels, in order.
    pub values: Vec<String>,
}

/// Rename hints: `#[orm(renamed_from = "...")]` on a model or a field.
#[derive(Debug, Clone, Default)]
pub(crate) struct Hints {
    /// (new table, old table)
    pub(crate) tables: Vec<(String, String)>,
    /// (table (new name), new column, old column)
    pub(crate) columns: Vec<(String, String, String)>,
    /// Guesses introspection made: (table, column, note).
    pub(crate) notes: Vec<(String, String, String)>,
}

/// One table. Two tables are equal when they hold the same columns in any order (a column
/// added back by a revert comes last; no migration reorders columns).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Table {
    /// The table name.
    pub name: String,
    /// The columns, in order.
    pub columns: Vec<ColumnSchema>,
    /// The primary-key columns, in key order (empty: no primary key).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub primary_key: Vec<String>,
    /// Indexes and unique constraints (a unique constraint is a unique index), sorted by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<Index>,
    /// Foreign keys, sorted by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub foreign_keys: Vec<ForeignKeySchema>,
    /// CHECK constraints, sorted by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
}

impl PartialEq for Table {
    fn eq(&self, o: &Self) -> bool {
        self.name == o.name
            && self.primary_key == o.primary_key
            && self.indexes == o.indexes
            && self.foreign_keys == o.foreign_keys
            && self.checks == o.checks
            && self.columns.len() == o.columns.len()
            && self.columns.iter().all(|c| o.column(&c.name) == Some(c))
    }
}

/// One column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnSchema {
    /// The column name.
    pub name: String,
    /// The logical type; the dialect picks the SQL type.
    #[serde(rename = "type", with = "kind_serde")]
    pub kind: SqlKind,
    /// `VARCHAR(n)` instead of unbounded text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// Whether NULL is allowed.
    #[serde(default, skip_serializing_if = "is_false")]
    pub nullable: bool,
    /// The default, an SQL expression (`0`, `'text'`, `TRUE`, `CURRENT_TIMESTAMP`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Whether the database generates the value (an integer primary key).
    #[serde(default, skip_serializing_if = "is_false")]
    pub auto_increment: bool,
    /// The PostgreSQL enum type of the column (one of [`Schema::enums`]; its kind is text):
    /// the column's type on PostgreSQL, text elsewhere.
    #[serde(rename = "enum", default, skip_serializing_if = "Option::is_none")]
    pub pg_enum: Option<String>,
}

/// An index, or a unique constraint (`unique: true`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Index {
    /// The index name.
    pub name: String,
    /// The columns, in order.
    pub columns: Vec<String>,
    /// Whether the index enforces uniqueness.
    #[serde(default, skip_serializing_if = "is_false")]
    pub unique: bool,
}

/// A foreign key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForeignKeySchema {
    /// The constraint name.
    pub name: String,
    /// The child columns.
    pub columns: Vec<String>,
    /// The parent table.
    pub references: String,
    /// The parent columns.
    pub referenced_columns: Vec<String>,
    /// What deleting the parent does.
    #[serde(default = "no_action", with = "on_delete_serde", skip_serializing_if = "is_no_action")]
    pub on_delete: OnDelete,
}

/// A CHECK constraint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// The constraint name.
    pub name: String,
    /// The condition, an SQL expression.
    pub expr: String,
}

fn is_false(b: &bool) -> bool {
    !*b
}
fn no_action() -> OnDelete {
    OnDelete::NoAction
}
fn is_no_action(o: &OnDelete) -> bool {
    *o == OnDelete::NoAction
}

/// The name of a kind in migration files.
pub(crate) fn kind_name(k: SqlKind) -> &'static str {
    use SqlKind::*;
    match k {
        Bool => "bool",
        I8 => "i8",
        I16 => "i16",
        I32 => "i32",
        I64 => "i64",
        F32 => "f32",
        F64 => "f64",
        Text => "text",
        Bytes => "bytes",
        Date => "date",
        Time => "time",
        DateTime => "datetime",
        DateTimeUtc => "datetime_utc",
        Uuid => "uuid",
        Json => "json",
        Decimal => "decimal",
    }
}

pub(crate) fn kind_from_name(s: &str) -> Option<SqlKind> {
    use SqlKind::*;
    [Bool, I8, I16, I32, I64, F32, F64, Text, Bytes, Date, Time, DateTime, DateTimeUtc, Uuid, Json, Decimal]
        .into_iter()
        .find(|k| kind_name(*k) == s)
}

mod kind_serde {
    use crate::value::SqlKind;
    use serde::{Deserialize, Deserializer, Serializer};
    pub(super) fn serialize<S: Serializer>(k: &SqlKind, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(super::kind_name(*k))
    }
    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SqlKind, D::Error> {
        let s = String::deserialize(d)?;
        super::kind_from_name(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown column type `{s}`")))
    }
}

pub(crate) fn on_delete_name(o: OnDelete) -> &'static str {
    match o {
        OnDelete::NoAction => "no action",
        OnDelete::Cascade => "cascade",
        OnDelete::SetNull => "set null",
        OnDelete::Restrict => "restrict",
    }
}

mod on_delete_serde {
    use crate::model::OnDelete;
    use serde::{Deserialize, Deserializer, Serializer};
    pub(super) fn serialize<S: Serializer>(o: &OnDelete, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(super::on_delete_name(*o))
    }
    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OnDelete, D::Error> {
        let s = String::deserialize(d)?;
        [OnDelete::NoAction, OnDelete::Cascade, OnDelete::SetNull, OnDelete::Restrict]
            .into_iter()
            .find(|o| super::on_delete_name(*o) == s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown on_delete `{s}`")))
    }
}

/// One change of the schema. A migration file lists them; each backend renders them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Op {
    /// `CREATE TABLE` with its indexes, foreign keys and checks.
    CreateTable {
        /// The new table.
        table: Table,
    },
    /// `DROP TABLE` (its former definition is in the previous snapshot).
    DropTable {
        /// The table.
        table: String,
    },
    /// `ALTER TABLE ... RENAME TO`.
    RenameTable {
        /// The old name.
        from: String,
        /// The new name.
        to: String,
    },
    /// `ALTER TABLE ... ADD COLUMN`.
    AddColumn {
        /// The table.
        table: String,
        /// The new column.
        column: ColumnSchema,
    },
    /// `ALTER TABLE ... DROP COLUMN`.
    DropColumn {
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
    /// `ALTER TABLE ... RENAME COLUMN`.
    RenameColumn {
        /// The table.
        table: String,
        /// The old name.
        from: String,
        /// The new name.
        to: String,
    },
    /// A change of a column's type, nullability or default (the whole new definition).
    AlterColumn {
        /// The table.
        table: String,
        /// The column's new definition (same name).
        column: ColumnSchema,
    },
    /// `CREATE [UNIQUE] INDEX`.
    CreateIndex {
        /// The table.
        table: String,
        /// The index.
        index: Index,
    },
    /// `DROP INDEX`.
    DropIndex {
        /// The table.
        table: String,
        /// The index name.
        name: String,
    },
    /// `ADD CONSTRAINT ... FOREIGN KEY`.
    AddForeignKey {
        /// The table.
        table: String,
        /// The foreign key.
        foreign_key: ForeignKeySchema,
    },
    /// `DROP CONSTRAINT` of a foreign key.
    DropForeignKey {
        /// The table.
        table: String,
        /// The constraint name.
        name: String,
    },
    /// `ADD CONSTRAINT ... CHECK`.
    AddCheck {
        /// The table.
        table: String,
        /// The check.
        check: Check,
    },
    /// `DROP CONSTRAINT` of a check.
    DropCheck {
        /// The table.
        table: String,
        /// The constraint name.
        name: String,
    },
    /// `CREATE TYPE ... AS ENUM` (PostgreSQL; nothing elsewhere). Before the tables using it.
    CreateEnum {
        /// The type name.
        name: String,
        /// The labels, in order.
        values: Vec<String>,
    },
    /// `ALTER TYPE ... ADD VALUE` (PostgreSQL; nothing elsewhere).
    AddEnumValue {
        /// The type name.
        name: String,
        /// The new label.
        value: String,
        /// The label it goes before (none: last).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before: Option<String>,
    },
    /// `DROP TYPE` (PostgreSQL; nothing elsewhere), once no column uses it.
    DropEnum {
        /// The type name.
        name: String,
    },
    /// SQL written by hand, per backend (`all` where the backend has none of its own). It does
    /// not change the snapshot.
    RawSql {
        /// For every backend without its own text.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        all: Option<String>,
        /// SQLite's text.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sqlite: Option<String>,
        /// PostgreSQL's text.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        postgres: Option<String>,
        /// MySQL's text.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mysql: Option<String>,
        /// The SQL that undoes it, for `revert` (none: irreversible).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reverse: Option<String>,
    },
}

impl Op {
    /// The table the operation works on.
    pub fn table(&self) -> Option<&str> {
        Some(match self {
            Op::CreateTable { table } => &table.name,
            Op::DropTable { table } => table,
            Op::RenameTable { to, .. } => to,
            Op::AddColumn { table, .. }
            | Op::DropColumn { table, .. }
            | Op::RenameColumn { table, .. }
            | Op::AlterColumn { table, .. }
            | Op::CreateIndex { table, .. }
            | Op::DropIndex { table, .. }
            | Op::AddForeignKey { table, .. }
            | Op::DropForeignKey { table, .. }
            | Op::AddCheck { table, .. }
            | Op::DropCheck { table, .. } => table,
            Op::RawSql { .. } | Op::CreateEnum { .. } | Op::AddEnumValue { .. } | Op::DropEnum { .. } => return None,
        })
    }

    /// A one-line description (`add column users.age`).
    pub fn describe(&self) -> String {
        match self {
            Op::CreateTable { table } => format!("create table {}", table.name),
            Op::DropTable { table } => format!("drop table {table}"),
            Op::RenameTable { from, to } => format!("rename table {from} to {to}"),
            Op::AddColumn { table, column } => format!("add column {table}.{}", column.name),
            Op::DropColumn { table, column } => format!("drop column {table}.{column}"),
            Op::RenameColumn { table, from, to } => format!("rename column {table}.{from} to {to}"),
            Op::AlterColumn { table, column } => format!("alter column {table}.{}", column.name),
            Op::CreateIndex { table, index } => {
                format!("create {}index {} on {table}", if index.unique { "unique " } else { "" }, index.name)
            }
            Op::DropIndex { table, name } => format!("drop index {name} on {table}"),
            Op::AddForeignKey { table, foreign_key } => format!("add foreign key {} on {table}", foreign_key.name),
            Op::DropForeignKey { table, name } => format!("drop foreign key {name} on {table}"),
            Op::AddCheck { table, check } => format!("add check {} on {table}", check.name),
            Op::DropCheck { table, name } => format!("drop check {name} on {table}"),
            Op::CreateEnum { name, .. } => format!("create enum type {name}"),
            Op::AddEnumValue { name, value, .. } => format!("add value {value:?} to enum type {name}"),
            Op::DropEnum { name } => format!("drop enum type {name}"),
            Op::RawSql { .. } => "raw SQL".to_owned(),
        }
    }
}

fn missing(what: &str, name: &str) -> Error {
    Error::Migration {
        id: String::new(),
        message: format!("the operation refers to {what} `{name}`, which does not exist"),
    }
}

impl Table {
    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&ColumnSchema> {
        self.columns.iter().find(|c| c.name == name)
    }

    fn column_mut(&mut self, name: &str) -> Result<&mut ColumnSchema> {
        let t = self.name.clone();
        self.columns.iter_mut().find(|c| c.name == name).ok_or_else(|| missing("column", &format!("{t}.{name}")))
    }

    /// Whether `column` is part of the primary key, an index, or a foreign key (MySQL cannot
    /// index unbounded text, so such text gets a bounded type there).
    pub fn is_keyed(&self, column: &str) -> bool {
        self.primary_key.iter().any(|c| c == column)
            || self.indexes.iter().any(|i| i.columns.iter().any(|c| c == column))
            || self.foreign_keys.iter().any(|f| f.columns.iter().any(|c| c == column))
    }

    pub(crate) fn sort(&mut self) {
        self.indexes.sort_by(|a, b| a.name.cmp(&b.name));
        self.foreign_keys.sort_by(|a, b| a.name.cmp(&b.name));
        self.checks.sort_by(|a, b| a.name.cmp(&b.name));
    }
}

impl Schema {
    /// An empty schema.
    pub fn new() -> Schema {
        Schema::default()
    }

    /// Adds the table of model `M` (its columns, key, `unique` and `index` columns, foreign
    /// keys), and its `renamed_from` hints.
    pub fn model<M: Model>(mut self) -> Schema {
        let t = M::TABLE;
        let mut table = Table {
            name: t.to_owned(),
            columns: Vec::new(),
            primary_key: M::KEY_COLUMNS.iter().map(|&i| M::COLUMNS[i].name.to_owned()).collect(),
            indexes: Vec::new(),
            foreign_keys: Vec::new(),
            checks: Vec::new(),
        };
        let lead = M::KEY_COLUMNS.first().map(|&i| M::COLUMNS[i].name);
        for c in M::COLUMNS {
            table.columns.push(ColumnSchema {
                name: c.name.to_owned(),
                kind: c.kind,
                max_length: c.max_length,
                nullable: c.nullable,
                default: c.default.map(crate::value::SqlLiteral::to_portable_sql),
                auto_increment: c.primary_key && c.auto_increment,
                pg_enum: c.pg_enum.map(str::to_owned),
            });
            if let Some(name) = c.pg_enum
                && !self.enums.iter().any(|e| e.name == name)
            {
                let values = c
                    .allowed
                    .iter()
                    .filter_map(
                        |v| if let crate::value::SqlLiteral::Text(t) = v { Some((*t).to_owned()) } else { None },
                    )
                    .collect();
                self.enums.push(EnumType { name: name.to_owned(), values });
                self.enums.sort_by(|a, b| a.name.cmp(&b.name));
            }
            let alone_key = c.primary_key && M::KEY_COLUMNS.len() == 1;
            if c.unique && !alone_key {
                table.indexes.push(Index {
                    name: format!("{t}_{}_key", c.name),
                    columns: vec![c.name.into()],
                    unique: true,
                });
            } else if (c.index || c.references.is_some()) && Some(c.name) != lead {
                table.indexes.push(Index {
                    name: format!("{t}_{}_idx", c.name),
                    columns: vec![c.name.into()],
                    unique: false,
                });
            }
            if let Some(fk) = &c.references {
                let (parent, key) = (fk.parent)();
                table.foreign_keys.push(ForeignKeySchema {
                    name: format!("{t}_{}_fkey", c.name),
                    columns: vec![c.name.into()],
                    references: parent.into(),
                    referenced_columns: vec![key.into()],
                    on_delete: fk.on_delete,
                });
            }
            if let Some(old) = c.renamed_from {
                self.hints.columns.push((t.into(), c.name.into(), old.into()));
            }
        }
        for (cols, unique) in M::UNIQUE_TOGETHER.iter().map(|c| (c, true)).chain(M::INDEXES.iter().map(|c| (c, false)))
        {
            let suffix = if unique { "key" } else { "idx" };
            table.indexes.push(Index {
                name: crate::model::index_name(t, cols, suffix),
                columns: cols.iter().map(|c| (*c).to_owned()).collect(),
                unique,
            });
        }
        for c in M::COLUMNS.iter().filter(|c| !c.allowed.is_empty()) {
            let values: Vec<String> = c.allowed.iter().map(|v| v.to_portable_sql()).collect();
            table.checks.push(Check {
                name: crate::model::index_name(t, &[c.name], "check"),
                expr: format!("{} IN ({})", c.name, values.join(", ")),
            });
        }
        if let Some(old) = M::RENAMED_FROM {
            self.hints.tables.push((t.into(), old.into()));
        }
        self.table(table)
    }

    /// Adds (or replaces) a table written by hand.
    pub fn table(mut self, mut table: Table) -> Schema {
        table.sort();
        self.tables.retain(|t| t.name != table.name);
        self.tables.push(table);
        self.tables.sort_by(|a, b| a.name.cmp(&b.name));
        self
    }

    fn edit(mut self, table: &str, f: impl FnOnce(&mut Table)) -> Schema {
        if let Some(t) = self.tables.iter_mut().find(|t| t.name == table) {
            f(t);
            t.sort();
        }
        self
    }

    /// Sets the default (an SQL expression: `0`, `'new'`, `TRUE`) of `table.column`, added
    /// before (what `#[orm(default = "...")]` will do).
    pub fn default_value(self, table: &str, column: &str, expr: &str) -> Schema {
        self.edit(table, |t| {
            if let Some(c) = t.columns.iter_mut().find(|c| c.name == column) {
                c.default = Some(expr.to_owned());
            }
        })
    }

    /// Adds a unique constraint over `columns` of `table` (named `<table>_<columns>_key`).
    pub fn unique(self, table: &str, columns: &[&str]) -> Schema {
        let name = format!("{table}_{}_key", columns.join("_"));
        let columns = columns.iter().map(|c| (*c).to_owned()).collect();
        self.edit(table, |t| t.indexes.push(Index { name, columns, unique: true }))
    }

    /// Adds an index over `columns` of `table` (named `<table>_<columns>_idx`).
    pub fn index(self, table: &str, columns: &[&str]) -> Schema {
        let name = format!("{table}_{}_idx", columns.join("_"));
        let columns = columns.iter().map(|c| (*c).to_owned()).collect();
        self.edit(table, |t| t.indexes.push(Index { name, columns, unique: false }))
    }

    /// Adds a CHECK constraint `name` on `table`.
    pub fn check(self, table: &str, name: &str, expr: &str) -> Schema {
        let check = Check { name: name.to_owned(), expr: expr.to_owned() };
        self.edit(table, |t| t.checks.push(check))
    }

    /// The table named `name`.
    pub fn get(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }

    fn get_mut(&mut self, name: &str) -> Result<&mut Table> {
        self.tables.iter_mut().find(|t| t.name == name).ok_or_else(|| missing("table", name))
    }

    /// Applies one operation to this schema (what the database will look like after it).
    pub fn apply(&mut self, op: &Op) -> Result<()> {
        let exists = |s: &Schema, what: &str, name: &str| -> Result<()> {
            if s.get(name).is_some() {
                return Err(Error::Migration {
                    id: String::new(),
                    message: format!("the operation creates {what} `{name}`, which exists already"),
                });
            }
            Ok(())
        };
        match op {
            Op::CreateTable { table } => {
                exists(self, "table", &table.name)?;
                let s = std::mem::take(self);
                *self = Schema { hints: s.hints.clone(), ..s }.table(table.clone());
            }
            Op::DropTable { table } => {
                self.get_mut(table)?;
                self.tables.retain(|t| &t.name != table);
            }
            Op::RenameTable { from, to } => {
                exists(self, "table", to)?;
                self.get_mut(from)?.name = to.clone();
                for t in &mut self.tables {
                    for fk in &mut t.foreign_keys {
                        if &fk.references == from {
                            fk.references = to.clone();
                        }
                    }
                }
                self.tables.sort_by(|a, b| a.name.cmp(&b.name));
            }
            Op::AddColumn { table, column } => {
                let t = self.get_mut(table)?;
                if t.column(&column.name).is_some() {
                    return Err(missing("a new column that exists already:", &column.name));
                }
                t.columns.push(column.clone());
            }
            Op::DropColumn { table, column } => {
                let t = self.get_mut(table)?;
                t.column_mut(column)?;
                t.columns.retain(|c| &c.name != column);
                t.indexes.retain(|i| !i.columns.contains(column));
                t.foreign_keys.retain(|f| !f.columns.contains(column));
            }
            Op::RenameColumn { table, from, to } => {
                let t = self.get_mut(table)?;
                t.column_mut(from)?.name = to.clone();
                let rename = |v: &mut Vec<String>| v.iter_mut().filter(|c| *c == from).for_each(|c| *c = to.clone());
                rename(&mut t.primary_key);
                t.indexes.iter_mut().for_each(|i| rename(&mut i.columns));
                t.foreign_keys.iter_mut().for_each(|f| rename(&mut f.columns));
                let tn = t.name.clone();
                for other in &mut self.tables {
                    for fk in &mut other.foreign_keys {
                        if fk.references == tn {
                            rename(&mut fk.referenced_columns);
                        }
                    }
                }
            }
            Op::AlterColumn { table, column } => {
                *self.get_mut(table)?.column_mut(&column.name)? = column.clone();
            }
            Op::CreateIndex { table, index } => {
                let t = self.get_mut(table)?;
                t.indexes.retain(|i| i.name != index.name);
                t.indexes.push(index.clone());
                t.sort();
            }
            Op::DropIndex { table, name } => {
                let t = self.get_mut(table)?;
                if !t.indexes.iter().any(|i| &i.name == name) {
                    return Err(missing("index", name));
                }
                t.indexes.retain(|i| &i.name != name);
            }
            Op::AddForeignKey { table, foreign_key } => {
                let t = self.get_mut(table)?;
                t.foreign_keys.retain(|i| i.name != foreign_key.name);
                t.foreign_keys.push(foreign_key.clone());
                t.sort();
            }
            Op::DropForeignKey { table, name } => {
                let t = self.get_mut(table)?;
                if !t.foreign_keys.iter().any(|i| &i.name == name) {
                    return Err(missing("foreign key", name));
                }
                t.foreign_keys.retain(|i| &i.name != name);
            }
            Op::AddCheck { table, check } => {
                let t = self.get_mut(table)?;
                t.checks.retain(|i| i.name != check.name);
                t.checks.push(check.clone());
                t.sort();
            }
            Op::DropCheck { table, name } => {
                let t = self.get_mut(table)?;
                if !t.checks.iter().any(|i| &i.name == name) {
                    return Err(missing("check", name));
                }
                t.checks.retain(|i| &i.name != name);
            }
            Op::CreateEnum { name, values } => {
                if self.enums.iter().any(|e| &e.name == name) {
                    return Err(Error::Migration {
                        id: String::new(),
                        message: format!("the operation creates enum type `{name}`, which exists already"),
                    });
                }
                self.enums.push(EnumType { name: name.clone(), values: values.clone() });
                self.enums.sort_by(|a, b| a.name.cmp(&b.name));
            }
            Op::AddEnumValue { name, value, before } => {
                let e = self.enums.iter_mut().find(|e| &e.name == name).ok_or_else(|| missing("enum type", name))?;
                if e.values.contains(value) {
                    return Err(missing("a new enum label that exists already:", value));
                }
                let at = match before {
                    Some(b) => e.values.iter().position(|v| v == b).ok_or_else(|| missing("enum label", b))?,
                    None => e.values.len(),
                };
                e.values.insert(at, value.clone());
            }
            Op::DropEnum { name } => {
                if !self.enums.iter().any(|e| &e.name == name) {
                    return Err(missing("enum type", name));
                }
                if let Some(t) =
                    self.tables.iter().find(|t| t.columns.iter().any(|c| c.pg_enum.as_deref() == Some(name)))
                {
                    return Err(Error::Migration {
                        id: String::new(),
                        message: format!("the operation drops enum type `{name}`, which table `{}` still uses", t.name),
                    });
                }
                self.enums.retain(|e| &e.name != name);
            }
            Op::RawSql { .. } => {}
        }
        Ok(())
    }

    /// This schema as `backend` stores it: the types, lengths and defaults introspection reads
    /// back (SQLite keeps every integer as INTEGER, MySQL indexes text as VARCHAR(255), ...).
    /// Compare a live schema with the models' as `live.normalized(b) == models.normalized(b)`.
    pub fn normalized(&self, backend: crate::Backend) -> Schema {
        let mut s = self.clone();
        if !backend.has_native_enums() {
            // Text with a CHECK there.
            s.enums.clear();
        }
        for t in &mut s.tables {
            if backend.has_native_enums() {
                // A native enum column has no CHECK there (its type admits its labels only).
                let name = t.name.clone();
                let enum_checks: Vec<String> = t
                    .columns
                    .iter()
                    .filter(|c| c.pg_enum.is_some())
                    .map(|c| crate::model::index_name(&name, &[c.name.as_str()], "check"))
                    .collect();
                t.checks.retain(|c| !enum_checks.contains(&c.name));
            } else {
                t.columns.iter_mut().for_each(|c| c.pg_enum = None);
            }
            let keyed: Vec<bool> = t.columns.iter().map(|c| t.is_keyed(&c.name)).collect();
            for (c, keyed) in t.columns.iter_mut().zip(keyed) {
                let (kind, max_length) = backend.stored_type(c.kind, keyed, c.max_length);
                c.kind = kind;
                c.max_length = max_length;
                c.default = c.default.as_deref().map(|d| normalize_default(kind, d));
            }
            // Each database rewrites a check its own way: a list of allowed values (an enum's)
            // is compared in the models' spelling, any other check by name only.
            for c in &mut t.checks {
                c.expr = crate::backend::introspect::allowed_values(&c.expr).unwrap_or_default();
            }
        }
        s.hints = Hints::default();
        s
    }
}

/// One spelling of a default per value: `TRUE`/`FALSE` for booleans, numbers bare, text quoted,
/// casts (`'x'::text`) and outer parentheses removed.
pub(crate) fn normalize_default(kind: SqlKind, d: &str) -> String {
    let mut d = d.trim();
    while d.starts_with('(') && d.ends_with(')') && d.len() >= 2 {
        d = d[1..d.len() - 1].trim();
    }
    if d.starts_with('\'')
        && let Some(end) = d.rfind("'::")
    {
        d = &d[..=end];
    }
    let unquoted = d.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')).unwrap_or(d);
    match kind {
        SqlKind::Bool => match unquoted.to_ascii_lowercase().as_str() {
            "1" | "true" | "t" => "TRUE".into(),
            "0" | "false" | "f" => "FALSE".into(),
            _ => d.to_owned(),
        },
        k if k.is_integer() || matches!(k, SqlKind::F32 | SqlKind::F64 | SqlKind::Decimal) => unquoted.to_owned(),
        SqlKind::Text if !d.starts_with('\'') && !d.ends_with(')') && !d.eq_ignore_ascii_case("current_timestamp") => {
            format!("'{}'", d.replace('\'', "''"))
        }
        _ => d.to_owned(),
    }
}
