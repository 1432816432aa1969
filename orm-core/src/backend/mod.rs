//! The backend layer: the only module that knows which database it talks to.
//!
//! * [`dialect`] (this file's [`Backend`] methods): quoting, placeholders, DDL types, LIMIT/OFFSET,
//!   RETURNING vs last-insert-id, transaction start, which values a backend can store.
//! * `driver`: the sqlx pools, connections, arguments and rows of each backend.
//! * `hot`: the stack of recently used connections in front of sqlx's pool.
//! * `tx`: transactions, and what becomes of their connection on every path.
//! * `types`: how each supported Rust type binds and decodes on each backend.
//! * `ddl`, `dedicated`, `introspect`: migrations: the DDL of every schema operation, the
//!   migrator's own connection, and reading a live schema from each catalog.
//! * `trace`: the spans and events of the `tracing` feature.
//! * `errors`: turning each backend's error reports into [`crate::Error`].
//!
//! Nothing outside `backend/` matches on the backend.

pub(crate) mod ddl;
pub(crate) mod dedicated;
pub(crate) mod dialect;
pub(crate) mod driver;
mod errors;
mod hot;
pub(crate) mod introspect;
#[cfg(any(feature = "postgres", feature = "mysql"))]
mod nodelay;
#[cfg(feature = "sqlite")]
mod sqlite_fns;
mod test_db;
#[cfg(feature = "tracing")]
mod trace;
mod tx;
mod types;

pub use dialect::Backend;
pub use driver::{Args, DbOptions, RowRef};
pub(crate) use driver::{DbInner, Exec};
pub(crate) use errors::map_error;
pub(crate) use hot::Lane;
pub(crate) use tx::TxInner;
pub(crate) use types::{decode_enum_label, decode_kind, in_column};
