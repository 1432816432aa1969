//! The peers: SeaORM, Diesel and ormlite, each used the way its own guide shows.
