//! The peers: SeaORM, Diesel and ormlite, each used the way its own guide shows.

pub mod dsl;
pub mod lite;
pub mod sea;
