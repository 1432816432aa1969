//! `migrations!("dir")`: embeds a migration folder with `include_str!` and checks its history at
//! compile time, each error spanned on the macro's string literal and naming the file:
//!
//! - file names `NNNN_name.json`, numbered from 0001 without gaps or duplicates, each file's
//!   `id` its name, each `parent` the migration before it;
//! - the chain of snapshots: replaying the operations of file N on the snapshot of file N-1 gives
//!   the snapshot of file N (so a hand-edited file that breaks the chain fails the build, naming
//!   the first difference).
//!
//! A proc-macro crate cannot depend on orm-core (orm-core depends on it), so the replay is done
//! here on the files' JSON, following `orm_core::migrate::Schema::apply` operation by operation.
//! orm-core replays the history again when the `Migrator` is built (the macro expands to a
//! `Result`), and that check is the authority: where the macro meets something it does not
//! know (an operation of a newer format), it leaves the file to it rather than guess, so the
//! compile-time check can only ever report a history that orm-core would refuse too.

use proc_macro2::TokenStream;
use quote::quote;
use serde_json::{Map, Value};
use syn::LitStr;

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    match check(input) {
        Ok(t) => t,
        Err(e) => e.to_compile_error(),
    }
}

/// The migration files of `dir` (relative to the crate's `CARGO_MANIFEST_DIR`), sorted by
/// number and checked: `(number, stem, path, text)`.
pub(crate) type Files = Vec<(u32, String, std::path::PathBuf, String)>;

/// Reads and checks the history of `lit`'s folder; an error is spanned on `lit`.
pub(crate) fn read_history(lit: &LitStr) -> syn::Result<Files> {
    let err = |m: String| syn::Error::new(lit.span(), m);
    let root = std::env::var("CARGO_MANIFEST_DIR").map_err(|_| err("CARGO_MANIFEST_DIR is not set".into()))?;
    let dir = std::path::Path::new(&root).join(lit.value());
    let entries = std::fs::read_dir(&dir).map_err(|e| {
        err(format!("cannot read the migration folder `{}` (relative to CARGO_MANIFEST_DIR): {e}", lit.value()))
    })?;
    let mut files: Files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| err(format!("cannot read `{}`: {e}", lit.value())))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".json") else { continue };
        let number = stem
            .split_once('_')
            .filter(|(n, rest)| n.len() == 4 && n.bytes().all(|b| b.is_ascii_digit()) && !rest.is_empty())
            .and_then(|(n, _)| n.parse::<u32>().ok())
            .ok_or_else(|| err(format!("`{name}`: a migration file is named NNNN_name.json")))?;
        let text = std::fs::read_to_string(entry.path()).map_err(|e| err(format!("cannot read {name}: {e}")))?;
        if files.iter().any(|f| f.0 == number) {
            return Err(err(format!("two migrations are numbered {number:04}")));
        }
        files.push((number, stem.to_owned(), entry.path(), text));
    }
    files.sort_by_key(|f| f.0);
    let mut prev: Option<(&str, Value)> = None;
    for (i, (n, stem, _, text)) in files.iter().enumerate() {
        if *n as usize != i + 1 {
            return Err(err(format!("a gap in the history: expected migration {:04}, found {stem}", i + 1)));
        }
        let body: Value = serde_json::from_str(text.strip_prefix('\u{feff}').unwrap_or(text))
            .map_err(|e| err(format!("`{stem}.json` is not a migration file: {e}")))?;
        match body.get("id") {
            Some(Value::String(id)) if id == stem => {}
            _ => return Err(err(format!("`{stem}.json` does not hold migration `{stem}` (its `id`)"))),
        }
        let parent = match body.get("parent") {
            None | Some(Value::Null) => None,
            Some(Value::String(p)) => Some(p.as_str()),
            Some(_) => return Err(err(format!("`{stem}.json`: `parent` is the id of the migration before it"))),
        };
        if parent != prev.as_ref().map(|p| p.0) {
            return Err(err(format!(
                "`{stem}.json`: its parent must be {:?}, the migration before it",
                prev.as_ref().map(|p| p.0)
            )));
        }
        let before = prev.as_ref().map_or_else(|| serde_json::json!({ "tables": [] }), |p| p.1.clone());
        let snapshot = body.get("snapshot").cloned().unwrap_or(Value::Null);
        if body.get("format") == Some(&Value::from(1)) {
            chain(stem, prev.as_ref().map(|p| p.0), &before, &body, &snapshot).map_err(err)?;
        }
        prev = Some((stem, snapshot));
    }
    Ok(files)
}

fn check(input: TokenStream) -> syn::Result<TokenStream> {
    let lit: LitStr = syn::parse2(input)?;
    let files = read_history(&lit)?;
    let entries = embedded(&files);
    Ok(quote! { ::orm_core::migrate::__embedded(&[#(#entries),*]) })
}

/// `("NNNN_name.json", include_str!("/abs/path"))` for each file (so that an edit rebuilds).
pub(crate) fn embedded(files: &Files) -> Vec<TokenStream> {
    files
        .iter()
        .map(|(_, stem, path, _)| {
            let name = format!("{stem}.json");
            let path = path.to_string_lossy().into_owned();
            quote! { (#name, ::core::include_str!(#path)) }
        })
        .collect()
}

/// Checks that `body`'s operations applied to `before` (the previous snapshot) give `snapshot`.
/// `Ok` as well when the replay meets something it does not know (orm-core decides then).
fn chain(stem: &str, prev: Option<&str>, before: &Value, body: &Value, snapshot: &Value) -> Result<(), String> {
    let Some(mut state) = Schema::from(before) else { return Ok(()) };
    let Some(want) = Schema::from(snapshot) else {
        return Err(format!("`{stem}.json`: its `snapshot` is not a schema (`{{\"tables\": [...]}}`)"));
    };
    let Some(Value::Array(ops)) = body.get("operations") else {
        return Err(format!("`{stem}.json`: `operations` is a list"));
    };
    for (k, op) in ops.iter().enumerate() {
        match state.apply(op) {
            Replay::Done => {}
            Replay::Unknown => return Ok(()),
            Replay::Fails(why) => {
                return Err(format!("`{stem}.json`: operation {} of {} cannot be applied: {why}", k + 1, ops.len()));
            }
        }
    }
    match state.first_difference(&want) {
        None => Ok(()),
        Some(diff) => Err(format!(
            "`{stem}.json`: its snapshot does not match its operations applied to {}: {diff} \
             (was the file edited by hand? regenerate it with `migrate::make`)",
            prev.map_or_else(|| "an empty schema".to_owned(), |p| format!("the snapshot of `{p}.json`"))
        )),
    }
}

enum Replay {
    Done,
    /// Something this replay does not know: leave the file to orm-core.
    Unknown,
    Fails(String),
}

/// A schema as JSON values: tables by name, each canonical (defaults dropped, lists sorted).
struct Schema {
    tables: Vec<Map<String, Value>>,
    /// The PostgreSQL enum types: `(name, labels)`, sorted by name.
    enums: Vec<(String, Vec<String>)>,
}

/// The fields orm-core reads, per object (serde ignores any other).
const TABLE_KEYS: &[&str] = &["name", "columns", "primary_key", "indexes", "foreign_keys", "checks"];
const LISTS: &[(&str, &[&str])] = &[
    ("columns", &["name", "type", "max_length", "nullable", "default", "auto_increment", "enum"]),
    ("indexes", &["name", "columns", "unique"]),
    ("foreign_keys", &["name", "columns", "references", "referenced_columns", "on_delete"]),
    ("checks", &["name", "expr"]),
];

/// A table (canonical) with only the fields orm-core reads.
fn project(t: Map<String, Value>) -> Map<String, Value> {
    let mut t: Map<String, Value> = t.into_iter().filter(|(k, _)| TABLE_KEYS.contains(&k.as_str())).collect();
    for (key, fields) in LISTS {
        if let Some(Value::Array(items)) = t.get_mut(*key) {
            for item in items.iter_mut() {
                if let Value::Object(m) = item {
                    m.retain(|k, _| fields.contains(&k.as_str()));
                }
            }
        }
    }
    t
}

/// A value with what serde skips or defaults removed (null, false, empty lists, on_delete
/// "no action"), so two spellings of one schema compare equal.
fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, v)| {
                    let default = matches!(v, Value::Null | Value::Bool(false))
                        || matches!(v, Value::Array(a) if a.is_empty())
                        || (k.as_str() == "on_delete" && v.as_str() == Some("no action"));
                    !default
                })
                .map(|(k, v)| (k.clone(), canonical(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
        v => v.clone(),
    }
}

fn name_of(v: &Value) -> &str {
    v.get("name").and_then(Value::as_str).unwrap_or("")
}

fn str_of<'v>(op: &'v Value, key: &str) -> Option<&'v str> {
    op.get(key).and_then(Value::as_str)
}

/// `t[key]` as a list (created empty).
fn list<'t>(t: &'t mut Map<String, Value>, key: &str) -> &'t mut Vec<Value> {
    let v = t.entry(key.to_owned()).or_insert_with(|| Value::Array(Vec::new()));
    if !v.is_array() {
        *v = Value::Array(Vec::new());
    }
    v.as_array_mut().expect("a list")
}

fn has_column(v: &Value, col: &str) -> bool {
    v.get("columns").and_then(Value::as_array).is_some_and(|c| c.iter().any(|x| x.as_str() == Some(col)))
}

fn rename_in(v: &mut Value, key: &str, from: &str, to: &str) {
    if let Some(Value::Array(a)) = v.get_mut(key) {
        for x in a.iter_mut().filter(|x| x.as_str() == Some(from)) {
            *x = Value::String(to.to_owned());
        }
    }
}

impl Schema {
    fn from(v: &Value) -> Option<Schema> {
        let tables = v.get("tables")?.as_array()?;
        let mut s = Schema { tables: Vec::new(), enums: Vec::new() };
        for t in tables {
            s.tables.push(project(canonical(t).as_object()?.clone()));
        }
        if let Some(enums) = v.get("enums") {
            for e in enums.as_array()? {
                let values: Option<Vec<String>> =
                    e.get("values")?.as_array()?.iter().map(|x| x.as_str().map(str::to_owned)).collect();
                s.enums.push((name_of(e).to_owned(), values?));
            }
        }
        s.sort();
        Some(s)
    }

    fn sort(&mut self) {
        self.tables.sort_by(|a, b| name_of_map(a).cmp(name_of_map(b)));
        self.enums.sort_by(|a, b| a.0.cmp(&b.0));
        for t in &mut self.tables {
            for key in ["indexes", "foreign_keys", "checks"] {
                if let Some(Value::Array(a)) = t.get_mut(key) {
                    a.sort_by(|x, y| name_of(x).cmp(name_of(y)));
                }
            }
        }
    }

    fn table(&mut self, name: &str) -> Result<&mut Map<String, Value>, Replay> {
        self.tables
            .iter_mut()
            .find(|t| name_of_map(t) == name)
            .ok_or_else(|| Replay::Fails(format!("it refers to table `{name}`, which does not exist")))
    }

    fn apply(&mut self, op: &Value) -> Replay {
        match self.apply_inner(op) {
            Ok(()) => {
                self.sort();
                Replay::Done
            }
            Err(r) => r,
        }
    }

    fn apply_inner(&mut self, op: &Value) -> Result<(), Replay> {
        let op = canonical(op);
        let get = |key: &str| str_of(&op, key).ok_or(Replay::Unknown);
        let obj = |key: &str| op.get(key).filter(|v| v.is_object()).cloned().ok_or(Replay::Unknown);
        let kind = get("op")?;
        match kind {
            "create_table" => {
                let t = obj("table")?;
                let name = name_of(&t).to_owned();
                if self.tables.iter().any(|x| name_of_map(x) == name) {
                    return Err(Replay::Fails(format!("it creates table `{name}`, which exists already")));
                }
                self.tables.push(t.as_object().cloned().ok_or(Replay::Unknown)?);
            }
            "drop_table" => {
                let name = get("table")?;
                self.table(name)?;
                self.tables.retain(|t| name_of_map(t) != name);
            }
            "rename_table" => {
                let (from, to) = (get("from")?, get("to")?);
                if self.tables.iter().any(|x| name_of_map(x) == to) {
                    return Err(Replay::Fails(format!("it renames a table to `{to}`, which exists already")));
                }
                self.table(from)?.insert("name".into(), Value::String(to.into()));
                for t in &mut self.tables {
                    for fk in list(t, "foreign_keys") {
                        if str_of(fk, "references") == Some(from) {
                            fk["references"] = Value::String(to.into());
                        }
                    }
                }
            }
            "add_column" => {
                let c = obj("column")?;
                let t = self.table(get("table")?)?;
                let cols = list(t, "columns");
                if cols.iter().any(|x| name_of(x) == name_of(&c)) {
                    return Err(Replay::Fails(format!("it adds column `{}`, which exists already", name_of(&c))));
                }
                cols.push(c);
            }
            "drop_column" => {
                let (table, col) = (get("table")?, get("column")?);
                let t = self.table(table)?;
                let cols = list(t, "columns");
                if !cols.iter().any(|x| name_of(x) == col) {
                    return Err(Replay::Fails(format!("it refers to column `{table}.{col}`, which does not exist")));
                }
                cols.retain(|x| name_of(x) != col);
                list(t, "indexes").retain(|i| !has_column(i, col));
                list(t, "foreign_keys").retain(|f| !has_column(f, col));
            }
            "rename_column" => {
                let (table, from, to) = (get("table")?, get("from")?, get("to")?);
                let t = self.table(table)?;
                let Some(c) = list(t, "columns").iter_mut().find(|x| name_of(x) == from) else {
                    return Err(Replay::Fails(format!("it refers to column `{table}.{from}`, which does not exist")));
                };
                c["name"] = Value::String(to.into());
                if let Some(pk) = t.get_mut("primary_key") {
                    for x in pk.as_array_mut().into_iter().flatten().filter(|x| x.as_str() == Some(from)) {
                        *x = Value::String(to.into());
                    }
                }
                for key in ["indexes", "foreign_keys"] {
                    for i in list(t, key) {
                        rename_in(i, "columns", from, to);
                    }
                }
                for other in &mut self.tables {
                    for fk in list(other, "foreign_keys") {
                        if str_of(fk, "references") == Some(table) {
                            rename_in(fk, "referenced_columns", from, to);
                        }
                    }
                }
            }
            "alter_column" => {
                let (table, c) = (get("table")?, obj("column")?);
                let t = self.table(table)?;
                let Some(old) = list(t, "columns").iter_mut().find(|x| name_of(x) == name_of(&c)) else {
                    return Err(Replay::Fails(format!(
                        "it refers to column `{table}.{}`, which does not exist",
                        name_of(&c)
                    )));
                };
                *old = c;
            }
            "create_index" | "add_foreign_key" | "add_check" => {
                let (key, what) = match kind {
                    "create_index" => ("indexes", "index"),
                    "add_foreign_key" => ("foreign_keys", "foreign_key"),
                    _ => ("checks", "check"),
                };
                let item = obj(what)?;
                let t = self.table(get("table")?)?;
                let items = list(t, key);
                items.retain(|x| name_of(x) != name_of(&item));
                items.push(item);
            }
            "drop_index" | "drop_foreign_key" | "drop_check" => {
                let (key, what) = match kind {
                    "drop_index" => ("indexes", "index"),
                    "drop_foreign_key" => ("foreign_keys", "foreign key"),
                    _ => ("checks", "check"),
                };
                let name = get("name")?;
                let t = self.table(get("table")?)?;
                let items = list(t, key);
                if !items.iter().any(|x| name_of(x) == name) {
                    return Err(Replay::Fails(format!("it refers to {what} `{name}`, which does not exist")));
                }
                items.retain(|x| name_of(x) != name);
            }
            "raw_sql" => {}
            "create_enum" => {
                let name = get("name")?.to_owned();
                let values = op
                    .get("values")
                    .and_then(Value::as_array)
                    .ok_or(Replay::Unknown)?
                    .iter()
                    .map(|v| v.as_str().map(str::to_owned).ok_or(Replay::Unknown))
                    .collect::<Result<Vec<_>, _>>()?;
                if self.enums.iter().any(|e| e.0 == name) {
                    return Err(Replay::Fails(format!("it creates enum type `{name}`, which exists already")));
                }
                self.enums.push((name, values));
            }
            "add_enum_value" => {
                let name = get("name")?;
                let value = get("value")?.to_owned();
                let before = str_of(&op, "before").map(str::to_owned);
                let e =
                    self.enums.iter_mut().find(|e| e.0 == name).ok_or_else(|| {
                        Replay::Fails(format!("it refers to enum type `{name}`, which does not exist"))
                    })?;
                if e.1.contains(&value) {
                    return Err(Replay::Fails(format!("it adds label {value:?} to `{name}`, which has it already")));
                }
                let at = match before {
                    Some(b) => e.1.iter().position(|v| *v == b).ok_or_else(|| {
                        Replay::Fails(format!("it refers to label {b:?} of `{name}`, which does not exist"))
                    })?,
                    None => e.1.len(),
                };
                e.1.insert(at, value);
            }
            "drop_enum" => {
                let name = get("name")?;
                if !self.enums.iter().any(|e| e.0 == name) {
                    return Err(Replay::Fails(format!("it refers to enum type `{name}`, which does not exist")));
                }
                self.enums.retain(|e| e.0 != name);
            }
            _ => return Err(Replay::Unknown),
        }
        // Lists emptied by the operation are dropped, as serde skips them.
        for t in &mut self.tables {
            let c = canonical(&Value::Object(std::mem::take(t)));
            *t = project(c.as_object().cloned().unwrap_or_default());
        }
        Ok(())
    }

    /// The first difference between `self` (what the operations give) and `want` (the
    /// snapshot), in words.
    fn first_difference(&self, want: &Schema) -> Option<String> {
        let show = |v: &Value| serde_json::to_string(v).unwrap_or_default();
        for t in &self.tables {
            let name = name_of_map(t);
            let Some(w) = want.tables.iter().find(|w| name_of_map(w) == name) else {
                return Some(format!("the operations give table `{name}`, which the snapshot does not have"));
            };
            let empty = Value::Array(Vec::new());
            // Columns in any order (a column added back by a revert comes last).
            let cols = |m: &Map<String, Value>| m.get("columns").and_then(Value::as_array).cloned().unwrap_or_default();
            let (have, wanted) = (cols(t), cols(w));
            for c in &have {
                match wanted.iter().find(|x| name_of(x) == name_of(c)) {
                    None => {
                        return Some(format!(
                            "the operations give column `{name}.{}`, which the snapshot does not have",
                            name_of(c)
                        ));
                    }
                    Some(x) if x != c => {
                        return Some(format!(
                            "column `{name}.{}`: the operations give {}, the snapshot has {}",
                            name_of(c),
                            show(c),
                            show(x)
                        ));
                    }
                    Some(_) => {}
                }
            }
            if let Some(c) = wanted.iter().find(|x| !have.iter().any(|c| name_of(c) == name_of(x))) {
                return Some(format!(
                    "the snapshot has column `{name}.{}`, which the operations do not give",
                    name_of(c)
                ));
            }
            for key in ["primary_key", "indexes", "foreign_keys", "checks"] {
                let (a, b) = (t.get(key).unwrap_or(&empty), w.get(key).unwrap_or(&empty));
                if a != b {
                    return Some(format!(
                        "`{key}` of table `{name}`: the operations give {}, the snapshot has {}",
                        show(a),
                        show(b)
                    ));
                }
            }
        }
        if let Some(w) = want.tables.iter().find(|w| !self.tables.iter().any(|t| name_of_map(t) == name_of_map(w))) {
            return Some(format!("the snapshot has table `{}`, which the operations do not give", name_of_map(w)));
        }
        (self.enums != want.enums)
            .then(|| format!("enum types: the operations give {:?}, the snapshot has {:?}", self.enums, want.enums))
    }
}

fn name_of_map(m: &Map<String, Value>) -> &str {
    m.get("name").and_then(Value::as_str).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(ops: Value, snapshot: Value) -> Value {
        serde_json::json!({ "format": 1, "id": "0002_x", "parent": "0001_a", "operations": ops, "snapshot": snapshot })
    }

    fn before() -> Value {
        serde_json::json!({ "tables": [
            { "name": "p", "columns": [{ "name": "id", "type": "i64", "auto_increment": true }], "primary_key": ["id"] },
            { "name": "t", "columns": [
                { "name": "id", "type": "i64", "auto_increment": true },
                { "name": "a", "type": "text" },
                { "name": "p_id", "type": "i64", "nullable": false }
              ], "primary_key": ["id"],
              "indexes": [{ "name": "t_a_idx", "columns": ["a"], "unique": false }],
              "foreign_keys": [{ "name": "t_p_id_fkey", "columns": ["p_id"], "references": "p", "referenced_columns": ["id"], "on_delete": "no action" }] }
        ]})
    }

    fn ops() -> Value {
        serde_json::json!([
            { "op": "rename_column", "table": "t", "from": "a", "to": "b" },
            { "op": "rename_table", "from": "p", "to": "q" },
            { "op": "add_column", "table": "t", "column": { "name": "c", "type": "i32", "nullable": true } },
            { "op": "raw_sql", "all": "SELECT 1" }
        ])
    }

    fn after(c_type: &str) -> Value {
        // Other spellings of the same schema: keys in another order, defaults written out.
        serde_json::json!({ "tables": [
            { "name": "t", "primary_key": ["id"], "columns": [
                { "name": "c", "type": c_type, "nullable": true },
                { "name": "id", "type": "i64", "auto_increment": true, "nullable": false },
                { "name": "b", "type": "text" },
                { "name": "p_id", "type": "i64" }
              ],
              "indexes": [{ "name": "t_a_idx", "columns": ["b"] }],
              "foreign_keys": [{ "name": "t_p_id_fkey", "columns": ["p_id"], "references": "q", "referenced_columns": ["id"] }],
              "checks": [] },
            { "name": "q", "columns": [{ "name": "id", "type": "i64", "auto_increment": true }], "primary_key": ["id"] }
        ]})
    }

    #[test]
    fn enum_types_are_replayed() {
        let before = serde_json::json!({ "tables": [], "enums": [{ "name": "st", "values": ["a", "c"] }] });
        let ops = serde_json::json!([
            { "op": "add_enum_value", "name": "st", "value": "b", "before": "c" },
            { "op": "add_enum_value", "name": "st", "value": "d" },
            { "op": "create_enum", "name": "lv", "values": ["x"] },
            { "op": "create_enum", "name": "gone", "values": ["y"] },
            { "op": "drop_enum", "name": "gone" }
        ]);
        let want = serde_json::json!({ "tables": [], "enums": [
            { "name": "lv", "values": ["x"] }, { "name": "st", "values": ["a", "b", "c", "d"] }
        ] });
        let f = file(ops.clone(), want.clone());
        assert_eq!(chain("0002_x", Some("0001_a"), &before, &f, &f["snapshot"]), Ok(()));
        // A snapshot whose labels are not the operations' fails, naming the enum types.
        let wrong = serde_json::json!({ "tables": [], "enums": [
            { "name": "lv", "values": ["x"] }, { "name": "st", "values": ["a", "c", "b", "d"] }
        ] });
        let f = file(ops, wrong);
        let e = chain("0002_x", Some("0001_a"), &before, &f, &f["snapshot"]).unwrap_err();
        assert!(e.contains("enum types"), "{e}");
        // A label added twice.
        let f = file(serde_json::json!([{ "op": "add_enum_value", "name": "st", "value": "a" }]), want);
        let e = chain("0002_x", Some("0001_a"), &before, &f, &f["snapshot"]).unwrap_err();
        assert!(e.contains("operation 1 of 1") && e.contains("\"a\""), "{e}");
    }

    #[test]
    fn a_snapshot_that_follows_from_its_operations_passes() {
        let f = file(ops(), after("i32"));
        assert_eq!(chain("0002_x", Some("0001_a"), &before(), &f, &f["snapshot"]), Ok(()));
    }

    #[test]
    fn a_broken_chain_names_the_file_and_the_first_difference() {
        let f = file(ops(), after("i64"));
        let e = chain("0002_x", Some("0001_a"), &before(), &f, &f["snapshot"]).unwrap_err();
        assert!(e.starts_with("`0002_x.json`: its snapshot does not match"), "{e}");
        assert!(e.contains("column `t.c`") && e.contains("`0001_a.json`"), "{e}");
        // An operation on what does not exist.
        let f = file(serde_json::json!([{ "op": "drop_column", "table": "t", "column": "zz" }]), after("i32"));
        let e = chain("0002_x", Some("0001_a"), &before(), &f, &f["snapshot"]).unwrap_err();
        assert!(e.contains("operation 1 of 1") && e.contains("t.zz"), "{e}");
    }

    #[test]
    fn an_unknown_operation_is_left_to_orm_core() {
        let f = file(serde_json::json!([{ "op": "from_the_future" }]), serde_json::json!({ "tables": [] }));
        assert_eq!(chain("0002_x", Some("0001_a"), &before(), &f, &f["snapshot"]), Ok(()));
    }
}
