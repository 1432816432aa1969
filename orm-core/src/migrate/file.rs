//! Migration files: `NNNN_name.json` holding the operations and the snapshot of the whole schema
//! after them; loading a folder, validating its history, and checksums.

use super::schema::{Op, Schema};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The format version written into every file.
pub(crate) const FORMAT: u32 = 1;

/// What one migration file holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct FileBody {
    /// Always [`FORMAT`].
    pub(crate) format: u32,
    /// The id (the file name without `.json`).
    pub(crate) id: String,
    /// The id of the migration before it (`null` for the first).
    pub(crate) parent: Option<String>,
    /// The operations, in order.
    pub(crate) operations: Vec<Op>,
    /// The whole schema after the operations.
    pub(crate) snapshot: Schema,
}

/// One migration as the migrator holds it.
#[derive(Debug, Clone)]
pub struct Migration {
    /// `0002_add_albums`.
    pub id: String,
    /// The operations, in order.
    pub operations: Vec<Op>,
    /// The schema after this migration.
    pub snapshot: Schema,
    /// The SHA-256 (hex) of the file's text with a BOM dropped and CRLF read as LF.
    pub checksum: String,
}

fn bad(id: &str, message: impl Into<String>) -> Error {
    Error::Migration { id: id.to_owned(), message: message.into() }
}

/// The file's text as the checksum sees it: without a byte-order mark, CRLF as LF.
pub(crate) fn normalize(text: &str) -> String {
    text.strip_prefix('\u{feff}').unwrap_or(text).replace("\r\n", "\n")
}

/// The checksum of a migration file's text.
pub fn checksum(text: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(normalize(text).as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses and validates a history: `(file name, text)` pairs in any order. Checks that ids are
/// unique and numbered without gaps from 1, that each names the one before as its parent, and
/// that replaying each migration's operations on the snapshot before it gives its snapshot.
pub fn parse_history(files: &[(String, String)]) -> Result<Vec<Migration>> {
    let mut out: Vec<(u32, Migration, Option<String>)> = Vec::new();
    for (name, text) in files {
        let Some(stem) = name.strip_suffix(".json") else { continue };
        let number = number_of(stem).ok_or_else(|| {
            bad(stem, "a migration file is named NNNN_name.json (four digits, then a name)".to_owned())
        })?;
        let body: FileBody = serde_json::from_str(&normalize(text))
            .map_err(|e| bad(stem, format!("cannot read the migration file: {e}")))?;
        if body.format != FORMAT {
            return Err(bad(stem, format!("unknown format {} (this build reads {FORMAT})", body.format)));
        }
        if body.id != stem {
            return Err(bad(stem, format!("the file holds migration `{}`; its name must match its id", body.id)));
        }
        if out.iter().any(|(n, ..)| *n == number) {
            return Err(bad(stem, format!("two migrations are numbered {number:04}")));
        }
        let mut snapshot = body.snapshot;
        for t in &mut snapshot.tables {
            t.sort();
        }
        snapshot.tables.sort_by(|a, b| a.name.cmp(&b.name));
        out.push((
            number,
            Migration { id: body.id, operations: body.operations, snapshot, checksum: checksum(text) },
            body.parent,
        ));
    }
    out.sort_by_key(|(n, ..)| *n);
    let mut prev: Option<&Migration> = None;
    let mut state = Schema::new();
    for (i, (n, m, parent)) in out.iter().enumerate() {
        if *n as usize != i + 1 {
            return Err(bad(&m.id, format!("a gap in the history: expected migration number {:04}", i + 1)));
        }
        if parent.as_deref() != prev.map(|p| p.id.as_str()) {
            return Err(bad(
                &m.id,
                format!("its parent is {parent:?} but the migration before it is {:?}", prev.map(|p| &p.id)),
            ));
        }
        for op in &m.operations {
            state.apply(op).map_err(|e| bad(&m.id, e.to_string()))?;
        }
        if state != m.snapshot {
            return Err(bad(
                &m.id,
                format!(
                    "the snapshot does not match the operations applied to the previous snapshot: {}",
                    first_difference(&state, &m.snapshot)
                ),
            ));
        }
        state = m.snapshot.clone();
        prev = Some(m);
    }
    Ok(out.into_iter().map(|(_, m, _)| m).collect())
}

/// The first difference between `got` (what the operations give) and `want` (the snapshot).
fn first_difference(got: &Schema, want: &Schema) -> String {
    for t in &got.tables {
        let Some(w) = want.get(&t.name) else {
            return format!("the operations give table `{}`, which the snapshot does not have", t.name);
        };
        if t == w {
            continue;
        }
        for c in &t.columns {
            match w.column(&c.name) {
                None => {
                    return format!(
                        "the operations give column `{}.{}`, which the snapshot does not have",
                        t.name, c.name
                    );
                }
                Some(x) if x != c => {
                    return format!(
                        "column `{}.{}`: the operations give {c:?}, the snapshot has {x:?}",
                        t.name, c.name
                    );
                }
                Some(_) => {}
            }
        }
        if let Some(c) = w.columns.iter().find(|c| t.column(&c.name).is_none()) {
            return format!("the snapshot has column `{}.{}`, which the operations do not give", t.name, c.name);
        }
        return format!("table `{}`: the operations give {t:?}, the snapshot has {w:?}", t.name);
    }
    match want.tables.iter().find(|w| got.get(&w.name).is_none()) {
        Some(w) => format!("the snapshot has table `{}`, which the operations do not give", w.name),
        None => "they differ".to_owned(),
    }
}

fn number_of(stem: &str) -> Option<u32> {
    let (num, rest) = stem.split_once('_')?;
    if num.len() != 4 || !num.bytes().all(|b| b.is_ascii_digit()) || rest.is_empty() {
        return None;
    }
    num.parse().ok()
}

/// Reads every `*.json` file of `dir` (none when it does not exist).
pub(crate) fn read_dir(dir: &Path) -> Result<Vec<(String, String)>> {
    let io = |e: std::io::Error| bad("", format!("cannot read {}: {e}", dir.display()));
    let mut files = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(files),
        Err(e) => return Err(io(e)),
    };
    for entry in entries {
        let entry = entry.map_err(io)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".json") {
            let text = std::fs::read_to_string(entry.path()).map_err(io)?;
            files.push((name, text));
        }
    }
    files.sort();
    Ok(files)
}

/// The text of a new migration file.
pub(crate) fn render(id: &str, parent: Option<&str>, operations: Vec<Op>, snapshot: Schema) -> Result<String> {
    let body = FileBody { format: FORMAT, id: id.to_owned(), parent: parent.map(Into::into), operations, snapshot };
    let mut text =
        serde_json::to_string_pretty(&body).map_err(|e| bad(id, format!("cannot write the migration: {e}")))?;
    text.push('\n');
    Ok(text)
}

/// `0003` + `_` + the name made of letters, digits and `_`.
pub(crate) fn new_id(number: usize, name: &str) -> Result<String> {
    let clean: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    if clean.trim_matches('_').is_empty() {
        return Err(bad(name, "a migration needs a name of letters and digits"));
    }
    Ok(format!("{number:04}_{clean}"))
}
