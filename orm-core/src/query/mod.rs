//! The typed query builder and the backend-agnostic query tree it builds.

mod aggregate;
pub(crate) mod ast;
mod ast_ext;
mod builder;
mod column;
mod expr;
mod get_or_create;
pub(crate) mod join;
mod page;
pub(crate) mod render;
mod select;
mod stream;
mod update;

pub use aggregate::{Comparable, count};
pub use builder::Query;
pub(crate) use builder::soft_delete_cond;
pub use column::{Column, Cond, Order, TextColumn};
pub use expr::{Expr, IntoExpr, Numeric, escape_like};
pub use page::Page;
pub use select::{ExprList, SelectQuery, Selection};
pub use stream::RowStream;
pub use update::Assignment;
