//! The differ: the ordered operations that turn one schema into another.
//!
//! Order: table renames, column renames; drops of checks, foreign keys and indexes that go or
//! change; table drops (children first); table creations (parents first); per table column
//! drops, adds and alters; then new indexes, foreign keys and checks. So a rename comes before
//! anything that uses the new name, a foreign key is dropped before what it points at, and a
//! parent exists before a child refers to it.

use super::schema::{Op, Schema, Table};
use crate::error::{Error, Result};
use crate::value::SqlKind;

/// The operations turning `from` into `to`; renames only where `to` carries a `renamed_from`
/// hint.
pub(crate) fn diff(from: &Schema, to: &Schema) -> Result<Vec<Op>> {
    let mut ops = Vec::new();
    let mut cur = from.clone();

    // 1. Table renames.
    for (new, old) in &to.hints.tables {
        if cur.get(new).is_none() && cur.get(old).is_some() {
            let op = Op::RenameTable { from: old.clone(), to: new.clone() };
            cur.apply(&op)?;
            ops.push(op);
        }
    }
    // 2. ColumnSchema renames.
    for (table, new, old) in &to.hints.columns {
        if let Some(t) = cur.get(table)
            && t.column(new).is_none()
            && t.column(old).is_some()
        {
            let op = Op::RenameColumn { table: table.clone(), from: old.clone(), to: new.clone() };
            cur.apply(&op)?;
            ops.push(op);
        }
    }

    // Enum types before the tables: new types, and new labels of existing ones. PostgreSQL can
    // neither drop nor reorder a label, so a type whose labels are not the old ones plus new
    // ones is an error (write a raw SQL migration: a new type, then `ALTER COLUMN ... USING`).
    for e in &to.enums {
        match cur.enums.iter().find(|o| o.name == e.name).cloned() {
            None => {
                let op = Op::CreateEnum { name: e.name.clone(), values: e.values.clone() };
                cur.apply(&op)?;
                ops.push(op);
            }
            Some(old) => {
                let kept: Vec<&String> = e.values.iter().filter(|v| old.values.contains(v)).collect();
                if kept.len() != old.values.len() || kept.iter().zip(&old.values).any(|(a, b)| *a != b) {
                    return Err(Error::Migration {
                        id: String::new(),
                        message: format!(
                            "the labels of enum type `{}` change from {:?} to {:?}: PostgreSQL can add labels \
                             but not drop or reorder them; write a raw SQL migration",
                            e.name, old.values, e.values
                        ),
                    });
                }
                // Each new label before the next old one (or last).
                for (i, v) in e.values.iter().enumerate() {
                    if old.values.contains(v) {
                        continue;
                    }
                    let before = e.values[i + 1..].iter().find(|n| old.values.contains(n)).cloned();
                    let op = Op::AddEnumValue { name: e.name.clone(), value: v.clone(), before };
                    cur.apply(&op)?;
                    ops.push(op);
                }
            }
        }
    }

    // 3. Drops of checks, foreign keys and indexes that disappear or change (also those of
    // tables that go away, so nothing points at a dropped table).
    let mut drops = Vec::new();
    for t in &cur.tables {
        let target = to.get(&t.name);
        for c in &t.checks {
            if target.is_some_and(|n| !n.checks.contains(c)) {
                drops.push(Op::DropCheck { table: t.name.clone(), name: c.name.clone() });
            }
        }
        for f in &t.foreign_keys {
            let kept = target.is_some_and(|n| n.foreign_keys.contains(f));
            // A foreign key of a table that is dropped goes with it (children are dropped
            // before their parents).
            if !kept && target.is_some() {
                drops.push(Op::DropForeignKey { table: t.name.clone(), name: f.name.clone() });
            }
        }
        for i in &t.indexes {
            if target.is_some_and(|n| !n.indexes.contains(i)) {
                drops.push(Op::DropIndex { table: t.name.clone(), name: i.name.clone() });
            }
        }
    }
    for op in drops {
        cur.apply(&op)?;
        ops.push(op);
    }

    // 4. Table drops, children first.
    let gone: Vec<Table> = cur.tables.iter().filter(|t| to.get(&t.name).is_none()).cloned().collect();
    for t in order_tables(&gone).into_iter().rev() {
        let op = Op::DropTable { table: t.name.clone() };
        cur.apply(&op)?;
        ops.push(op);
    }

    // 5. Table creations, parents first; a foreign key to a table created later (a cycle) is
    // added once both exist.
    let new: Vec<Table> = to.tables.iter().filter(|t| cur.get(&t.name).is_none()).cloned().collect();
    let mut later = Vec::new();
    let ordered = order_tables(&new);
    for (pos, t) in ordered.iter().enumerate() {
        let mut t = (*t).clone();
        let created_later = |name: &str| ordered[pos + 1..].iter().any(|x| x.name == name);
        let (now, after): (Vec<_>, Vec<_>) = t.foreign_keys.drain(..).partition(|f| !created_later(&f.references));
        t.foreign_keys = now;
        later.extend(after.into_iter().map(|f| Op::AddForeignKey { table: t.name.clone(), foreign_key: f }));
        let op = Op::CreateTable { table: t };
        cur.apply(&op)?;
        ops.push(op);
    }

    // 6. Columns of the tables both have.
    for n in &to.tables {
        let Some(t) = cur.get(&n.name).cloned() else { continue };
        if t.primary_key != n.primary_key {
            return Err(Error::Unsupported(format!(
                "changing the primary key of `{}` ({:?} to {:?}) is not supported by `make`; write the migration by hand",
                n.name, t.primary_key, n.primary_key
            )));
        }
        let mut col_ops = Vec::new();
        for c in &t.columns {
            if n.column(&c.name).is_none() {
                col_ops.push(Op::DropColumn { table: n.name.clone(), column: c.name.clone() });
            }
        }
        for c in &n.columns {
            match t.column(&c.name) {
                None => col_ops.push(Op::AddColumn { table: n.name.clone(), column: c.clone() }),
                Some(old) if old != c => {
                    if old.auto_increment != c.auto_increment {
                        return Err(Error::Unsupported(format!(
                            "changing whether `{}.{}` is generated by the database is not supported by `make`",
                            n.name, c.name
                        )));
                    }
                    col_ops.push(Op::AlterColumn { table: n.name.clone(), column: c.clone() })
                }
                Some(_) => {}
            }
        }
        for op in col_ops {
            cur.apply(&op)?;
            ops.push(op);
        }
    }

    // 7. New indexes, foreign keys and checks.
    let mut adds = Vec::new();
    for n in &to.tables {
        let Some(t) = cur.get(&n.name) else { continue };
        for i in &n.indexes {
            if !t.indexes.contains(i) {
                adds.push(Op::CreateIndex { table: n.name.clone(), index: i.clone() });
            }
        }
    }
    for n in &to.tables {
        let Some(t) = cur.get(&n.name) else { continue };
        for f in &n.foreign_keys {
            if !t.foreign_keys.contains(f)
                && !later.iter().any(|l| matches!(l, Op::AddForeignKey { foreign_key, .. } if foreign_key == f))
            {
                adds.push(Op::AddForeignKey { table: n.name.clone(), foreign_key: f.clone() });
            }
        }
        for c in &n.checks {
            if !t.checks.contains(c) {
                adds.push(Op::AddCheck { table: n.name.clone(), check: c.clone() });
            }
        }
    }
    adds.extend(later);
    for op in adds {
        cur.apply(&op)?;
        ops.push(op);
    }
    // Enum types no column uses any more, last.
    for e in from.enums.iter().filter(|e| !to.enums.iter().any(|n| n.name == e.name)) {
        let op = Op::DropEnum { name: e.name.clone() };
        cur.apply(&op)?;
        ops.push(op);
    }
    if cur != *to {
        return Err(Error::Migration {
            id: String::new(),
            message: "internal: the generated operations do not reach the models' schema".into(),
        });
    }
    Ok(ops)
}

/// `tables` ordered parents first (a table after every table of the set it refers to; cycles
/// broken in name order). Bounded: each round places at least one table.
fn order_tables(tables: &[Table]) -> Vec<&Table> {
    let mut left: Vec<&Table> = tables.iter().collect();
    let mut out: Vec<&Table> = Vec::new();
    while !left.is_empty() {
        let ready = left.iter().position(|t| {
            t.foreign_keys.iter().all(|f| f.references == t.name || !left.iter().any(|o| o.name == f.references))
        });
        let i = ready.unwrap_or(0);
        out.push(left.remove(i));
    }
    out
}

/// Why an operation may lose data or fail on existing rows, if it may; `before` is the schema
/// just before it.
pub(crate) fn destructive(op: &Op, before: &Schema) -> Option<String> {
    match op {
        Op::DropTable { table } => Some(format!("drop table {table} (its rows are lost)")),
        Op::DropColumn { table, column } => Some(format!("drop column {table}.{column} (its values are lost)")),
        Op::AddColumn { table, column } if !column.nullable && column.default.is_none() && !column.auto_increment => {
            Some(format!("add column {table}.{} NOT NULL without a default (fails on existing rows)", column.name))
        }
        Op::AlterColumn { table, column } => {
            let old = before.get(table)?.column(&column.name)?;
            if old.kind != column.kind && !widens(old.kind, column.kind) {
                return Some(format!(
                    "alter column {table}.{} from {} to {} (values may not fit)",
                    column.name,
                    super::schema::kind_name(old.kind),
                    super::schema::kind_name(column.kind)
                ));
            }
            match (old.max_length, column.max_length) {
                (Some(a), Some(b)) if b < a => {
                    return Some(format!("alter column {table}.{} to a shorter length {b} (was {a})", column.name));
                }
                (None, Some(b)) if old.kind == column.kind => {
                    return Some(format!("alter column {table}.{} to a bounded length {b}", column.name));
                }
                _ => {}
            }
            if old.nullable && !column.nullable && column.default.is_none() {
                return Some(format!(
                    "alter column {table}.{} to NOT NULL without a default (fails on existing NULLs)",
                    column.name
                ));
            }
            None
        }
        _ => None,
    }
}

/// Whether every value of `from` fits `to` exactly.
fn widens(from: SqlKind, to: SqlKind) -> bool {
    use SqlKind::*;
    let rank = |k| match k {
        Bool => 0,
        I8 => 1,
        I16 => 2,
        I32 => 3,
        I64 => 4,
        _ => 99,
    };
    (from.is_integer() && to.is_integer() && rank(from) < rank(to))
        || matches!((from, to), (F32, F64) | (I8 | I16 | I32, F64) | (I8 | I16, F32))
        || (from != Bytes && to == Text && !matches!(from, Json))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::schema::{ColumnSchema, ForeignKeySchema, Index};
    use crate::model::OnDelete;

    fn col(name: &str, kind: SqlKind) -> ColumnSchema {
        ColumnSchema {
            name: name.into(),
            kind,
            max_length: None,
            nullable: false,
            default: None,
            auto_increment: false,
            pg_enum: None,
        }
    }

    #[test]
    fn enum_types_come_before_their_tables_and_go_after() {
        use crate::migrate::schema::EnumType;
        let mut c = col("status", SqlKind::Text);
        c.pg_enum = Some("st".into());
        let mut to = Schema::new().table(table("t", vec![col("id", SqlKind::I64), c]));
        to.enums.push(EnumType { name: "st".into(), values: vec!["a".into(), "c".into()] });
        let ops = diff(&Schema::new(), &to).unwrap();
        assert_eq!(names(&ops), ["create enum type st", "create table t"]);
        let mut more = to.clone();
        more.enums[0].values = vec!["a".into(), "b".into(), "c".into(), "d".into()];
        let ops = diff(&to, &more).unwrap();
        assert_eq!(names(&ops), ["add value \"b\" to enum type st", "add value \"d\" to enum type st"]);
        assert!(matches!(&ops[0], Op::AddEnumValue { before: Some(b), .. } if b == "c"));
        assert!(matches!(&ops[1], Op::AddEnumValue { before: None, .. }));
        let ops = diff(&more, &Schema::new()).unwrap();
        assert_eq!(names(&ops), ["drop table t", "drop enum type st"]);
        // A label dropped: an error, not a silent difference.
        assert!(diff(&more, &to).is_err());
    }

    fn table(name: &str, cols: Vec<ColumnSchema>) -> Table {
        Table {
            name: name.into(),
            primary_key: vec![cols[0].name.clone()],
            columns: cols,
            indexes: vec![],
            foreign_keys: vec![],
            checks: vec![],
        }
    }

    fn fk(table: &str, col: &str, parent: &str) -> ForeignKeySchema {
        ForeignKeySchema {
            name: format!("{table}_{col}_fkey"),
            columns: vec![col.into()],
            references: parent.into(),
            referenced_columns: vec!["id".into()],
            on_delete: OnDelete::Cascade,
        }
    }

    fn names(ops: &[Op]) -> Vec<String> {
        ops.iter().map(Op::describe).collect()
    }

    #[test]
    fn parents_are_created_before_children_and_dropped_after() {
        let mut child = table("a_child", vec![col("id", SqlKind::I64), col("parent_id", SqlKind::I64)]);
        child.foreign_keys.push(fk("a_child", "parent_id", "z_parent"));
        let parent = table("z_parent", vec![col("id", SqlKind::I64)]);
        let both = Schema::new().table(child).table(parent);
        let ops = diff(&Schema::new(), &both).unwrap();
        assert_eq!(names(&ops), ["create table z_parent", "create table a_child"]);
        let ops = diff(&both, &Schema::new()).unwrap();
        assert_eq!(names(&ops), ["drop table a_child", "drop table z_parent"]);
    }

    #[test]
    fn a_foreign_key_is_dropped_before_the_table_it_points_at() {
        let mut child = table("child", vec![col("id", SqlKind::I64), col("parent_id", SqlKind::I64)]);
        child.foreign_keys.push(fk("child", "parent_id", "parent"));
        let parent = table("parent", vec![col("id", SqlKind::I64)]);
        let before = Schema::new().table(child.clone()).table(parent);
        let mut kept = child;
        kept.foreign_keys.clear();
        let after = Schema::new().table(kept);
        let ops = diff(&before, &after).unwrap();
        assert_eq!(names(&ops), ["drop foreign key child_parent_id_fkey on child", "drop table parent"]);
    }

    #[test]
    fn renames_come_before_the_alters_that_use_the_new_name() {
        let before = Schema::new().table(table("t", vec![col("id", SqlKind::I64), col("a", SqlKind::I32)]));
        let mut after = Schema::new().table(table("t", vec![col("id", SqlKind::I64), col("b", SqlKind::I64)]));
        // Without a hint: a drop and an add, never a guessed rename.
        assert_eq!(names(&diff(&before, &after).unwrap()), ["drop column t.a", "add column t.b"]);
        after.hints.columns.push(("t".into(), "b".into(), "a".into()));
        let ops = diff(&before, &after).unwrap();
        assert_eq!(names(&ops), ["rename column t.a to b", "alter column t.b"]);
        assert!(
            destructive(&ops[1], &{
                let mut s = before.clone();
                s.apply(&ops[0]).unwrap();
                s
            })
            .is_none()
        );
    }

    #[test]
    fn destructive_operations_are_named() {
        let before = Schema::new().table(table("t", vec![col("id", SqlKind::I64), col("n", SqlKind::I64)]));
        let mut narrow = col("n", SqlKind::I32);
        narrow.nullable = false;
        let ops = diff(&before, &Schema::new().table(table("t", vec![col("id", SqlKind::I64), narrow]))).unwrap();
        assert!(destructive(&ops[0], &before).unwrap().contains("from i64 to i32"));
        let ops = diff(
            &before,
            &Schema::new()
                .table(table("t", vec![col("id", SqlKind::I64), col("n", SqlKind::I64), col("m", SqlKind::Text)])),
        )
        .unwrap();
        assert!(destructive(&ops[0], &before).unwrap().contains("NOT NULL without a default"));
        let mut with_default = col("m", SqlKind::Text);
        with_default.default = Some("'x'".into());
        let ops = diff(
            &before,
            &Schema::new().table(table("t", vec![col("id", SqlKind::I64), col("n", SqlKind::I64), with_default])),
        )
        .unwrap();
        assert!(destructive(&ops[0], &before).is_none());
    }

    #[test]
    fn indexes_are_dropped_first_and_created_last() {
        let mut t1 = table("t", vec![col("id", SqlKind::I64), col("a", SqlKind::I64)]);
        t1.indexes.push(Index { name: "t_a_idx".into(), columns: vec!["a".into()], unique: false });
        let mut t2 = table("t", vec![col("id", SqlKind::I64), col("b", SqlKind::I64)]);
        t2.indexes.push(Index { name: "t_b_key".into(), columns: vec!["b".into()], unique: true });
        let ops = diff(&Schema::new().table(t1), &Schema::new().table(t2)).unwrap();
        assert_eq!(
            names(&ops),
            ["drop index t_a_idx on t", "drop column t.a", "add column t.b", "create unique index t_b_key on t"]
        );
    }
}
