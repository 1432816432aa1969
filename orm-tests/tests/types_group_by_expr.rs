//! Grouping and ordering by an expression render the expression identically wherever it appears
//! (PostgreSQL rejected `GROUP BY "ms" / $2` beside `SELECT "ms" / $1` with 42803), and the
//! queries pass under MySQL 8's default `sql_mode` (ONLY_FULL_GROUP_BY), set on the MariaDB
//! session. Every backend, with the same code.

use orm_core::prelude::*;
use orm_core::{Backend, DbOptions, raw};

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "ty_track")]
pub struct Track {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub ms: i32,
    pub bytes: i64,
}

#[tokio::test]
async fn group_by_an_expression() {
    for backend in Backend::ALL {
        // One connection, so that the session's sql_mode holds for every statement.
        let options = DbOptions { max_connections: 1, ..DbOptions::default() };
        let Some(db) = orm_tests::database_with(backend, "ty_group_expr", options).await else { continue };
        let r: orm_core::Result<()> = async {
            if backend == Backend::MySql {
                raw("SET SESSION sql_mode = 'ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'")
                    .execute(&db)
                    .await?;
            }
            Track::create_table(&db).await?;
            let rows: Vec<Track> = (0..10)
                .map(|i| Track { id: 0, name: format!("t{i}"), ms: 30_000 * i, bytes: 1_000 * i64::from(i) })
                .collect();
            Track::insert_many(&db, &rows).await?;
            // Minutes: 0,0,1,1,2,2,3,3,4,4 (integer division).
            let per_minute: Vec<(i32, i64, Option<i64>)> = Track::query()
                .select((Track::MS / 60_000, count(), Track::BYTES.sum()))
                .group_by(Track::MS / 60_000)
                .order_by((Track::MS / 60_000).desc())
                .all(&db)
                .await?;
            let expected: Vec<(i32, i64, Option<i64>)> =
                (0..5).rev().map(|m| (m, 2, Some(1_000 * i64::from(2 * m) + 1_000 * i64::from(2 * m + 1)))).collect();
            assert_eq!(per_minute, expected);
            // Negative constants and a constant on the left.
            let shifted: Vec<(i64, i64)> = Track::query()
                .select((Track::BYTES - -1, count()))
                .group_by(Track::BYTES - -1)
                .having(count().gte(1))
                .order_by((Track::BYTES - -1).asc())
                .limit(2)
                .all(&db)
                .await?;
            assert_eq!(shifted, vec![(1, 1), (1_001, 1)]);
            Ok(())
        }
        .await;
        if let Err(e) = r {
            panic!("[{}] {e}", backend.name());
        }
    }
}
