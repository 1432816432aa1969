//! The typed query builder and the backend-agnostic query tree it builds.

pub(crate) mod ast;
mod builder;
mod column;
pub(crate) mod render;

pub use builder::Query;
pub use column::{Column, Cond, Order, TextColumn};
