//! `Json<T>`: a field of any serde type, stored as JSON (JSONB on PostgreSQL, JSON on
//! MySQL/MariaDB, TEXT on SQLite).

use crate::backend::{Args, RowRef};
use crate::error::{Error, Result};
use crate::value::{SqlKind, SqlType, Value};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A value of a serde type `T`, stored as a JSON document (feature `json`).
///
/// ```
/// use orm_core::prelude::*;
/// use orm_core::Json;
///
/// #[derive(serde::Serialize, serde::Deserialize, Debug, Clone, PartialEq)]
/// pub struct Meta { tags: Vec<String>, views: u32 }
///
/// #[derive(Model, Debug, Clone, PartialEq)]
/// pub struct Page {
///     #[orm(primary_key)]
///     pub id: i64,
///     pub meta: Json<Meta>,
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> orm_core::Result<()> {
/// let db = Db::connect("sqlite::memory:").await?;
/// Page::create_table(&db).await?;
/// let mut p = Page { id: 0, meta: Json(Meta { tags: vec!["rust".into()], views: 3 }) };
/// p.save(&db).await?;
/// assert_eq!(Page::find(&db, p.id).await?, Some(p));
/// # Ok(()) }
/// ```
///
/// A value that serde cannot write as JSON (a map with non-text keys) is an
/// [`Error::InvalidValue`] when it is written; a stored document that does not deserialize into
/// `T` is an [`Error::Decode`] naming the table and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Json<T>(pub T);

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> std::ops::DerefMut for Json<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T> From<T> for Json<T> {
    fn from(v: T) -> Self {
        Json(v)
    }
}

impl<T: Serialize> Json<T> {
    fn document(&self) -> Result<serde_json::Value> {
        serde_json::to_value(&self.0)
            .map_err(|e| Error::InvalidValue(format!("{} cannot be written as JSON: {e}", std::any::type_name::<T>())))
    }
}

impl<T: Serialize + DeserializeOwned + Send + Sync> SqlType for Json<T> {
    const KIND: SqlKind = SqlKind::Json;

    /// The document; JSON `null` when serde cannot write the value (binding it is an error).
    fn to_value(&self) -> Value {
        Value::Json(self.document().unwrap_or(serde_json::Value::Null))
    }

    fn from_value(value: Value) -> Result<Self> {
        match value {
            Value::Json(doc) => serde_json::from_value(doc).map(Json).map_err(|e| {
                Error::InvalidValue(format!("the JSON document is not a {}: {e}", std::any::type_name::<T>()))
            }),
            other => Err(Error::InvalidValue(format!("{other:?} is not a JSON document"))),
        }
    }

    fn bind(&self, args: &mut Args) -> Result<()> {
        args.push_value(Value::Json(self.document()?))
    }

    fn decode(row: &RowRef<'_>, idx: usize) -> Result<Self> {
        let doc = serde_json::Value::decode(row, idx)?;
        Self::from_value(Value::Json(doc)).map_err(|e| crate::backend::in_column(row, idx, e))
    }
}
