//! Golden tests of the SQL each dialect renders, needing no database: CREATE TABLE (types,
//! NOT NULL, keys, UNIQUE, indexes, foreign keys, table options), the CRUD statements, and the
//! query builder's SELECTs (quoting, placeholders, LIMIT/OFFSET forms, IN lists, parentheses).
//! Every assertion is on a whole statement. The live suites run the same statements on the
//! three servers; these pin their exact text.

use orm_core::prelude::*;
use orm_core::{Backend, create_table_sql, crud_sql};

// ---- Models -------------------------------------------------------------------------------

/// The issue's example model: unique, `column = ".."`, a nullable column, an index, a skip.
#[derive(Model, Debug)]
#[orm(table = "users")]
pub struct User {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(unique)]
    pub email: String,
    #[orm(column = "full_name")]
    pub name: String,
    #[orm(index)]
    pub age: Option<i32>,
    #[orm(skip)]
    pub scratch: String,
}

/// rename_all with a `column = ".."` override, max_length, unique nullable text, every
/// on_delete action, and an index on a decimal column.
#[derive(Model, Debug)]
#[orm(table = "Track", rename_all = "PascalCase")]
pub struct Track {
    #[orm(primary_key)]
    pub track_id: i32,
    #[orm(max_length = 200)]
    pub name: String,
    #[orm(belongs_to = Album, on_delete = "cascade")]
    pub album_id: Option<i32>,
    #[orm(belongs_to = Album, on_delete = "set null", column = "other_album")]
    pub second_album: Option<i32>,
    #[orm(belongs_to = Album, on_delete = "restrict")]
    pub third_album_id: i32,
    #[orm(belongs_to = Album)]
    pub fourth_album_id: i32,
    #[orm(unique, max_length = 12)]
    pub isbn_code: Option<String>,
    #[orm(index)]
    pub unit_price: rust_decimal::Decimal,
}

/// SCREAMING_SNAKE_CASE columns; the table keeps its default name. Only a key, an i32.
#[derive(Model, Debug)]
#[orm(rename_all = "SCREAMING_SNAKE_CASE")]
pub struct Album {
    #[orm(primary_key)]
    pub album_id: i32,
}

/// Quote characters of both dialects inside names: each is doubled by the dialect that uses it
/// and left alone by the other. An `Option<i64>` generated key; camelCase columns.
#[derive(Model, Debug)]
#[orm(table = "we\"ird`t", rename_all = "camelCase")]
pub struct Weird {
    #[orm(primary_key, column = "i\"d")]
    pub id: Option<i64>,
    #[orm(column = "back`tick")]
    pub back: String,
    pub some_value: bool,
}

/// Only a key (an i16): INSERT of no column, UPDATE of no column.
#[derive(Model, Debug)]
pub struct OnlyKey {
    #[orm(primary_key)]
    pub id: i16,
}

/// A key the database does not generate: always sent, never RETURNING.
#[derive(Model, Debug)]
pub struct TextKey {
    #[orm(primary_key)]
    pub code: String,
    pub label: String,
}

/// Every supported type, for the DDL types of each dialect. A UUID key is not generated.
#[derive(Model, Debug)]
pub struct AllTypes {
    #[orm(primary_key)]
    pub id: uuid::Uuid,
    pub b: bool,
    pub i8_: i8,
    pub i16_: i16,
    pub i32_: i32,
    pub i64_: i64,
    pub f32_: f32,
    pub f64_: f64,
    pub text: String,
    pub bytes: Vec<u8>,
    #[orm(unique)]
    pub keyed_bytes: Vec<u8>,
    pub date: chrono::NaiveDate,
    pub time: chrono::NaiveTime,
    pub datetime: chrono::NaiveDateTime,
    pub utc: chrono::DateTime<chrono::Utc>,
    pub json: serde_json::Value,
    pub money: Option<rust_decimal::Decimal>,
}

// ---- Helpers ------------------------------------------------------------------------------

/// The statements of one model on one backend.
struct Golden {
    ddl: &'static [&'static str],
    select: &'static str,
    find: &'static str,
    insert: &'static str,
    insert_generated: &'static str,
    update: &'static str,
    delete: &'static str,
}

#[track_caller]
fn model<M: Model>(b: Backend, g: Golden) {
    let name = std::any::type_name::<M>();
    let ddl = create_table_sql::<M>(b);
    assert_eq!(ddl, g.ddl, "CREATE TABLE of {name} on {}", b.name());
    let [select, find, insert, insert_generated, update, delete] = crud_sql::<M>(b);
    assert_eq!(select, g.select, "select of {name} on {}", b.name());
    assert_eq!(find, g.find, "find of {name} on {}", b.name());
    assert_eq!(insert, g.insert, "insert of {name} on {}", b.name());
    assert_eq!(insert_generated, g.insert_generated, "insert_generated of {name} on {}", b.name());
    assert_eq!(update, g.update, "update of {name} on {}", b.name());
    assert_eq!(delete, g.delete, "delete of {name} on {}", b.name());
}

/// Asserts the SELECT of `q` on SQLite, PostgreSQL and MySQL.
#[track_caller]
fn query<M: Model>(q: Query<M>, sqlite: &str, postgres: &str, mysql: &str) {
    for (b, want) in [(Backend::Sqlite, sqlite), (Backend::Postgres, postgres), (Backend::MySql, mysql)] {
        assert_eq!(q.to_sql(b).expect("renders"), want, "on {}", b.name());
    }
}

/// The SELECT list of `User` on the `"` dialects and on MySQL.
const USERS: &str = r#"SELECT "users"."id", "users"."email", "users"."full_name", "users"."age" FROM "users""#;
const USERS_MY: &str = "SELECT `users`.`id`, `users`.`email`, `users`.`full_name`, `users`.`age` FROM `users`";

// ---- Models' statements -------------------------------------------------------------------

#[test]
fn user_statements() {
    model::<User>(
        Backend::Sqlite,
        Golden {
            ddl: &[
                r#"CREATE TABLE IF NOT EXISTS "users" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "email" TEXT NOT NULL, "full_name" TEXT NOT NULL, "age" INTEGER, CONSTRAINT "users_email_key" UNIQUE ("email"))"#,
                r#"CREATE INDEX IF NOT EXISTS "users_age_idx" ON "users" ("age")"#,
            ],
            select: r#"SELECT "users"."id", "users"."email", "users"."full_name", "users"."age" FROM "users""#,
            find: r#"SELECT "users"."id", "users"."email", "users"."full_name", "users"."age" FROM "users" WHERE "users"."id" = ?"#,
            insert: r#"INSERT INTO "users" ("id", "email", "full_name", "age") VALUES (?, ?, ?, ?)"#,
            insert_generated: r#"INSERT INTO "users" ("email", "full_name", "age") VALUES (?, ?, ?) RETURNING "id""#,
            update: r#"UPDATE "users" SET "email" = ?, "full_name" = ?, "age" = ? WHERE "id" = ?"#,
            delete: r#"DELETE FROM "users" WHERE "id" = ?"#,
        },
    );
    model::<User>(
        Backend::Postgres,
        Golden {
            ddl: &[
                r#"CREATE TABLE IF NOT EXISTS "users" ("id" BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "email" TEXT NOT NULL, "full_name" TEXT NOT NULL, "age" INTEGER, CONSTRAINT "users_email_key" UNIQUE ("email"))"#,
                r#"CREATE INDEX IF NOT EXISTS "users_age_idx" ON "users" ("age")"#,
            ],
            select: r#"SELECT "users"."id", "users"."email", "users"."full_name", "users"."age" FROM "users""#,
            find: r#"SELECT "users"."id", "users"."email", "users"."full_name", "users"."age" FROM "users" WHERE "users"."id" = $1"#,
            insert: r#"INSERT INTO "users" ("id", "email", "full_name", "age") VALUES ($1, $2, $3, $4)"#,
            insert_generated: r#"INSERT INTO "users" ("email", "full_name", "age") VALUES ($1, $2, $3) RETURNING "id""#,
            update: r#"UPDATE "users" SET "email" = $1, "full_name" = $2, "age" = $3 WHERE "id" = $4"#,
            delete: r#"DELETE FROM "users" WHERE "id" = $1"#,
        },
    );
    model::<User>(
        Backend::MySql,
        Golden {
            ddl: &[
                r#"CREATE TABLE IF NOT EXISTS `users` (`id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, `email` VARCHAR(255) NOT NULL, `full_name` LONGTEXT NOT NULL, `age` INT, CONSTRAINT `users_email_key` UNIQUE (`email`), INDEX `users_age_idx` (`age`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"#,
            ],
            select: r#"SELECT `users`.`id`, `users`.`email`, `users`.`full_name`, `users`.`age` FROM `users`"#,
            find: r#"SELECT `users`.`id`, `users`.`email`, `users`.`full_name`, `users`.`age` FROM `users` WHERE `users`.`id` = ?"#,
            insert: r#"INSERT INTO `users` (`id`, `email`, `full_name`, `age`) VALUES (?, ?, ?, ?)"#,
            insert_generated: r#"INSERT INTO `users` (`email`, `full_name`, `age`) VALUES (?, ?, ?)"#,
            update: r#"UPDATE `users` SET `email` = ?, `full_name` = ?, `age` = ? WHERE `id` = ?"#,
            delete: r#"DELETE FROM `users` WHERE `id` = ?"#,
        },
    );
}

#[test]
fn rename_all_foreign_keys_and_on_delete() {
    model::<Track>(
        Backend::Sqlite,
        Golden {
            ddl: &[
                r#"CREATE TABLE IF NOT EXISTS "Track" ("TrackId" INTEGER PRIMARY KEY AUTOINCREMENT, "Name" TEXT NOT NULL CHECK (length("Name") <= 200), "AlbumId" INTEGER, "other_album" INTEGER, "ThirdAlbumId" INTEGER NOT NULL, "FourthAlbumId" INTEGER NOT NULL, "IsbnCode" TEXT CHECK (length("IsbnCode") <= 12), "UnitPrice" TEXT COLLATE orm_decimal NOT NULL, CONSTRAINT "Track_IsbnCode_key" UNIQUE ("IsbnCode"), FOREIGN KEY ("AlbumId") REFERENCES "album" ("ALBUM_ID") ON DELETE CASCADE, FOREIGN KEY ("other_album") REFERENCES "album" ("ALBUM_ID") ON DELETE SET NULL, FOREIGN KEY ("ThirdAlbumId") REFERENCES "album" ("ALBUM_ID") ON DELETE RESTRICT, FOREIGN KEY ("FourthAlbumId") REFERENCES "album" ("ALBUM_ID"))"#,
                r#"CREATE INDEX IF NOT EXISTS "Track_AlbumId_idx" ON "Track" ("AlbumId")"#,
                r#"CREATE INDEX IF NOT EXISTS "Track_other_album_idx" ON "Track" ("other_album")"#,
                r#"CREATE INDEX IF NOT EXISTS "Track_ThirdAlbumId_idx" ON "Track" ("ThirdAlbumId")"#,
                r#"CREATE INDEX IF NOT EXISTS "Track_FourthAlbumId_idx" ON "Track" ("FourthAlbumId")"#,
                r#"CREATE INDEX IF NOT EXISTS "Track_UnitPrice_idx" ON "Track" ("UnitPrice")"#,
            ],
            select: r#"SELECT "Track"."TrackId", "Track"."Name", "Track"."AlbumId", "Track"."other_album", "Track"."ThirdAlbumId", "Track"."FourthAlbumId", "Track"."IsbnCode", "Track"."UnitPrice" FROM "Track""#,
            find: r#"SELECT "Track"."TrackId", "Track"."Name", "Track"."AlbumId", "Track"."other_album", "Track"."ThirdAlbumId", "Track"."FourthAlbumId", "Track"."IsbnCode", "Track"."UnitPrice" FROM "Track" WHERE "Track"."TrackId" = ?"#,
            insert: r#"INSERT INTO "Track" ("TrackId", "Name", "AlbumId", "other_album", "ThirdAlbumId", "FourthAlbumId", "IsbnCode", "UnitPrice") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"#,
            insert_generated: r#"INSERT INTO "Track" ("Name", "AlbumId", "other_album", "ThirdAlbumId", "FourthAlbumId", "IsbnCode", "UnitPrice") VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING "TrackId""#,
            update: r#"UPDATE "Track" SET "Name" = ?, "AlbumId" = ?, "other_album" = ?, "ThirdAlbumId" = ?, "FourthAlbumId" = ?, "IsbnCode" = ?, "UnitPrice" = ? WHERE "TrackId" = ?"#,
            delete: r#"DELETE FROM "Track" WHERE "TrackId" = ?"#,
        },
    );
    model::<Track>(
        Backend::Postgres,
        Golden {
            ddl: &[
                r#"CREATE TABLE IF NOT EXISTS "Track" ("TrackId" INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "Name" VARCHAR(200) NOT NULL, "AlbumId" INTEGER, "other_album" INTEGER, "ThirdAlbumId" INTEGER NOT NULL, "FourthAlbumId" INTEGER NOT NULL, "IsbnCode" VARCHAR(12), "UnitPrice" NUMERIC NOT NULL, CONSTRAINT "Track_IsbnCode_key" UNIQUE ("IsbnCode"), FOREIGN KEY ("AlbumId") REFERENCES "album" ("ALBUM_ID") ON DELETE CASCADE, FOREIGN KEY ("other_album") REFERENCES "album" ("ALBUM_ID") ON DELETE SET NULL, FOREIGN KEY ("ThirdAlbumId") REFERENCES "album" ("ALBUM_ID") ON DELETE RESTRICT, FOREIGN KEY ("FourthAlbumId") REFERENCES "album" ("ALBUM_ID"))"#,
                r#"CREATE INDEX IF NOT EXISTS "Track_AlbumId_idx" ON "Track" ("AlbumId")"#,
                r#"CREATE INDEX IF NOT EXISTS "Track_other_album_idx" ON "Track" ("other_album")"#,
                r#"CREATE INDEX IF NOT EXISTS "Track_ThirdAlbumId_idx" ON "Track" ("ThirdAlbumId")"#,
                r#"CREATE INDEX IF NOT EXISTS "Track_FourthAlbumId_idx" ON "Track" ("FourthAlbumId")"#,
                r#"CREATE INDEX IF NOT EXISTS "Track_UnitPrice_idx" ON "Track" ("UnitPrice")"#,
            ],
            select: r#"SELECT "Track"."TrackId", "Track"."Name", "Track"."AlbumId", "Track"."other_album", "Track"."ThirdAlbumId", "Track"."FourthAlbumId", "Track"."IsbnCode", "Track"."UnitPrice" FROM "Track""#,
            find: r#"SELECT "Track"."TrackId", "Track"."Name", "Track"."AlbumId", "Track"."other_album", "Track"."ThirdAlbumId", "Track"."FourthAlbumId", "Track"."IsbnCode", "Track"."UnitPrice" FROM "Track" WHERE "Track"."TrackId" = $1"#,
            insert: r#"INSERT INTO "Track" ("TrackId", "Name", "AlbumId", "other_album", "ThirdAlbumId", "FourthAlbumId", "IsbnCode", "UnitPrice") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"#,
            insert_generated: r#"INSERT INTO "Track" ("Name", "AlbumId", "other_album", "ThirdAlbumId", "FourthAlbumId", "IsbnCode", "UnitPrice") VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING "TrackId""#,
            update: r#"UPDATE "Track" SET "Name" = $1, "AlbumId" = $2, "other_album" = $3, "ThirdAlbumId" = $4, "FourthAlbumId" = $5, "IsbnCode" = $6, "UnitPrice" = $7 WHERE "TrackId" = $8"#,
            delete: r#"DELETE FROM "Track" WHERE "TrackId" = $1"#,
        },
    );
    model::<Track>(
        Backend::MySql,
        Golden {
            ddl: &[
                r#"CREATE TABLE IF NOT EXISTS `Track` (`TrackId` INT NOT NULL AUTO_INCREMENT PRIMARY KEY, `Name` VARCHAR(200) NOT NULL, `AlbumId` INT, `other_album` INT, `ThirdAlbumId` INT NOT NULL, `FourthAlbumId` INT NOT NULL, `IsbnCode` VARCHAR(12), `UnitPrice` DECIMAL(65, 30) NOT NULL, CONSTRAINT `Track_IsbnCode_key` UNIQUE (`IsbnCode`), FOREIGN KEY (`AlbumId`) REFERENCES `album` (`ALBUM_ID`) ON DELETE CASCADE, FOREIGN KEY (`other_album`) REFERENCES `album` (`ALBUM_ID`) ON DELETE SET NULL, FOREIGN KEY (`ThirdAlbumId`) REFERENCES `album` (`ALBUM_ID`) ON DELETE RESTRICT, FOREIGN KEY (`FourthAlbumId`) REFERENCES `album` (`ALBUM_ID`), INDEX `Track_AlbumId_idx` (`AlbumId`), INDEX `Track_other_album_idx` (`other_album`), INDEX `Track_ThirdAlbumId_idx` (`ThirdAlbumId`), INDEX `Track_FourthAlbumId_idx` (`FourthAlbumId`), INDEX `Track_UnitPrice_idx` (`UnitPrice`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"#,
            ],
            select: r#"SELECT `Track`.`TrackId`, `Track`.`Name`, `Track`.`AlbumId`, `Track`.`other_album`, `Track`.`ThirdAlbumId`, `Track`.`FourthAlbumId`, `Track`.`IsbnCode`, `Track`.`UnitPrice` FROM `Track`"#,
            find: r#"SELECT `Track`.`TrackId`, `Track`.`Name`, `Track`.`AlbumId`, `Track`.`other_album`, `Track`.`ThirdAlbumId`, `Track`.`FourthAlbumId`, `Track`.`IsbnCode`, `Track`.`UnitPrice` FROM `Track` WHERE `Track`.`TrackId` = ?"#,
            insert: r#"INSERT INTO `Track` (`TrackId`, `Name`, `AlbumId`, `other_album`, `ThirdAlbumId`, `FourthAlbumId`, `IsbnCode`, `UnitPrice`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"#,
            insert_generated: r#"INSERT INTO `Track` (`Name`, `AlbumId`, `other_album`, `ThirdAlbumId`, `FourthAlbumId`, `IsbnCode`, `UnitPrice`) VALUES (?, ?, ?, ?, ?, ?, ?)"#,
            update: r#"UPDATE `Track` SET `Name` = ?, `AlbumId` = ?, `other_album` = ?, `ThirdAlbumId` = ?, `FourthAlbumId` = ?, `IsbnCode` = ?, `UnitPrice` = ? WHERE `TrackId` = ?"#,
            delete: r#"DELETE FROM `Track` WHERE `TrackId` = ?"#,
        },
    );
}

#[test]
fn screaming_columns_and_key_only_model() {
    model::<Album>(
        Backend::Sqlite,
        Golden {
            ddl: &[r#"CREATE TABLE IF NOT EXISTS "album" ("ALBUM_ID" INTEGER PRIMARY KEY AUTOINCREMENT)"#],
            select: r#"SELECT "album"."ALBUM_ID" FROM "album""#,
            find: r#"SELECT "album"."ALBUM_ID" FROM "album" WHERE "album"."ALBUM_ID" = ?"#,
            insert: r#"INSERT INTO "album" ("ALBUM_ID") VALUES (?)"#,
            insert_generated: r#"INSERT INTO "album" DEFAULT VALUES RETURNING "ALBUM_ID""#,
            update: r#"UPDATE "album" SET "ALBUM_ID" = "ALBUM_ID" WHERE "ALBUM_ID" = ?"#,
            delete: r#"DELETE FROM "album" WHERE "ALBUM_ID" = ?"#,
        },
    );
    model::<Album>(
        Backend::Postgres,
        Golden {
            ddl: &[
                r#"CREATE TABLE IF NOT EXISTS "album" ("ALBUM_ID" INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY)"#,
            ],
            select: r#"SELECT "album"."ALBUM_ID" FROM "album""#,
            find: r#"SELECT "album"."ALBUM_ID" FROM "album" WHERE "album"."ALBUM_ID" = $1"#,
            insert: r#"INSERT INTO "album" ("ALBUM_ID") VALUES ($1)"#,
            insert_generated: r#"INSERT INTO "album" DEFAULT VALUES RETURNING "ALBUM_ID""#,
            update: r#"UPDATE "album" SET "ALBUM_ID" = "ALBUM_ID" WHERE "ALBUM_ID" = $1"#,
            delete: r#"DELETE FROM "album" WHERE "ALBUM_ID" = $1"#,
        },
    );
    model::<Album>(
        Backend::MySql,
        Golden {
            ddl: &[
                r#"CREATE TABLE IF NOT EXISTS `album` (`ALBUM_ID` INT NOT NULL AUTO_INCREMENT PRIMARY KEY) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"#,
            ],
            select: r#"SELECT `album`.`ALBUM_ID` FROM `album`"#,
            find: r#"SELECT `album`.`ALBUM_ID` FROM `album` WHERE `album`.`ALBUM_ID` = ?"#,
            insert: r#"INSERT INTO `album` (`ALBUM_ID`) VALUES (?)"#,
            insert_generated: r#"INSERT INTO `album` () VALUES ()"#,
            update: r#"UPDATE `album` SET `ALBUM_ID` = `ALBUM_ID` WHERE `ALBUM_ID` = ?"#,
            delete: r#"DELETE FROM `album` WHERE `ALBUM_ID` = ?"#,
        },
    );
    model::<OnlyKey>(
        Backend::Sqlite,
        Golden {
            ddl: &[r#"CREATE TABLE IF NOT EXISTS "only_key" ("id" INTEGER PRIMARY KEY AUTOINCREMENT)"#],
            select: r#"SELECT "only_key"."id" FROM "only_key""#,
            find: r#"SELECT "only_key"."id" FROM "only_key" WHERE "only_key"."id" = ?"#,
            insert: r#"INSERT INTO "only_key" ("id") VALUES (?)"#,
            insert_generated: r#"INSERT INTO "only_key" DEFAULT VALUES RETURNING "id""#,
            update: r#"UPDATE "only_key" SET "id" = "id" WHERE "id" = ?"#,
            delete: r#"DELETE FROM "only_key" WHERE "id" = ?"#,
        },
    );
    model::<OnlyKey>(
        Backend::Postgres,
        Golden {
            ddl: &[
                r#"CREATE TABLE IF NOT EXISTS "only_key" ("id" SMALLINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY)"#,
            ],
            select: r#"SELECT "only_key"."id" FROM "only_key""#,
            find: r#"SELECT "only_key"."id" FROM "only_key" WHERE "only_key"."id" = $1"#,
            insert: r#"INSERT INTO "only_key" ("id") VALUES ($1)"#,
            insert_generated: r#"INSERT INTO "only_key" DEFAULT VALUES RETURNING "id""#,
            update: r#"UPDATE "only_key" SET "id" = "id" WHERE "id" = $1"#,
            delete: r#"DELETE FROM "only_key" WHERE "id" = $1"#,
        },
    );
    model::<OnlyKey>(
        Backend::MySql,
        Golden {
            ddl: &[
                r#"CREATE TABLE IF NOT EXISTS `only_key` (`id` SMALLINT NOT NULL AUTO_INCREMENT PRIMARY KEY) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"#,
            ],
            select: r#"SELECT `only_key`.`id` FROM `only_key`"#,
            find: r#"SELECT `only_key`.`id` FROM `only_key` WHERE `only_key`.`id` = ?"#,
            insert: r#"INSERT INTO `only_key` (`id`) VALUES (?)"#,
            insert_generated: r#"INSERT INTO `only_key` () VALUES ()"#,
            update: r#"UPDATE `only_key` SET `id` = `id` WHERE `id` = ?"#,
            delete: r#"DELETE FROM `only_key` WHERE `id` = ?"#,
        },
    );
}

#[test]
fn quote_characters_are_doubled() {
    model::<Weird>(
        Backend::Sqlite,
        Golden {
            ddl: &[
                r#"CREATE TABLE IF NOT EXISTS "we""ird`t" ("i""d" INTEGER PRIMARY KEY AUTOINCREMENT, "back`tick" TEXT NOT NULL, "someValue" INTEGER NOT NULL)"#,
            ],
            select: r#"SELECT "we""ird`t"."i""d", "we""ird`t"."back`tick", "we""ird`t"."someValue" FROM "we""ird`t""#,
            find: r#"SELECT "we""ird`t"."i""d", "we""ird`t"."back`tick", "we""ird`t"."someValue" FROM "we""ird`t" WHERE "we""ird`t"."i""d" = ?"#,
            insert: r#"INSERT INTO "we""ird`t" ("i""d", "back`tick", "someValue") VALUES (?, ?, ?)"#,
            insert_generated: r#"INSERT INTO "we""ird`t" ("back`tick", "someValue") VALUES (?, ?) RETURNING "i""d""#,
            update: r#"UPDATE "we""ird`t" SET "back`tick" = ?, "someValue" = ? WHERE "i""d" = ?"#,
            delete: r#"DELETE FROM "we""ird`t" WHERE "i""d" = ?"#,
        },
    );
    model::<Weird>(
        Backend::Postgres,
        Golden {
            ddl: &[
                r#"CREATE TABLE IF NOT EXISTS "we""ird`t" ("i""d" BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "back`tick" TEXT NOT NULL, "someValue" BOOLEAN NOT NULL)"#,
            ],
            select: r#"SELECT "we""ird`t"."i""d", "we""ird`t"."back`tick", "we""ird`t"."someValue" FROM "we""ird`t""#,
            find: r#"SELECT "we""ird`t"."i""d", "we""ird`t"."back`tick", "we""ird`t"."someValue" FROM "we""ird`t" WHERE "we""ird`t"."i""d" = $1"#,
            insert: r#"INSERT INTO "we""ird`t" ("i""d", "back`tick", "someValue") VALUES ($1, $2, $3)"#,
            insert_generated: r#"INSERT INTO "we""ird`t" ("back`tick", "someValue") VALUES ($1, $2) RETURNING "i""d""#,
            update: r#"UPDATE "we""ird`t" SET "back`tick" = $1, "someValue" = $2 WHERE "i""d" = $3"#,
            delete: r#"DELETE FROM "we""ird`t" WHERE "i""d" = $1"#,
        },
    );
    model::<Weird>(
        Backend::MySql,
        Golden {
            ddl: &[
                r#"CREATE TABLE IF NOT EXISTS `we"ird``t` (`i"d` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, `back``tick` LONGTEXT NOT NULL, `someValue` BOOLEAN NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"#,
            ],
            select: r#"SELECT `we"ird``t`.`i"d`, `we"ird``t`.`back``tick`, `we"ird``t`.`someValue` FROM `we"ird``t`"#,
            find: r#"SELECT `we"ird``t`.`i"d`, `we"ird``t`.`back``tick`, `we"ird``t`.`someValue` FROM `we"ird``t` WHERE `we"ird``t`.`i"d` = ?"#,
            insert: r#"INSERT INTO `we"ird``t` (`i"d`, `back``tick`, `someValue`) VALUES (?, ?, ?)"#,
            insert_generated: r#"INSERT INTO `we"ird``t` (`back``tick`, `someValue`) VALUES (?, ?)"#,
            update: r#"UPDATE `we"ird``t` SET `back``tick` = ?, `someValue` = ? WHERE `i"d` = ?"#,
            delete: r#"DELETE FROM `we"ird``t` WHERE `i"d` = ?"#,
        },
    );
}

#[test]
fn key_not_generated_is_always_sent() {
    model::<TextKey>(
        Backend::Sqlite,
        Golden {
            ddl: &[
                r#"CREATE TABLE IF NOT EXISTS "text_key" ("code" TEXT NOT NULL PRIMARY KEY, "label" TEXT NOT NULL)"#,
            ],
            select: r#"SELECT "text_key"."code", "text_key"."label" FROM "text_key""#,
            find: r#"SELECT "text_key"."code", "text_key"."label" FROM "text_key" WHERE "text_key"."code" = ?"#,
            insert: r#"INSERT INTO "text_key" ("code", "label") VALUES (?, ?)"#,
            insert_generated: r#"INSERT INTO "text_key" ("code", "label") VALUES (?, ?)"#,
            update: r#"UPDATE "text_key" SET "label" = ? WHERE "code" = ?"#,
            delete: r#"DELETE FROM "text_key" WHERE "code" = ?"#,
        },
    );
    model::<TextKey>(
        Backend::Postgres,
        Golden {
            ddl: &[
                r#"CREATE TABLE IF NOT EXISTS "text_key" ("code" TEXT NOT NULL PRIMARY KEY, "label" TEXT NOT NULL)"#,
            ],
            select: r#"SELECT "text_key"."code", "text_key"."label" FROM "text_key""#,
            find: r#"SELECT "text_key"."code", "text_key"."label" FROM "text_key" WHERE "text_key"."code" = $1"#,
            insert: r#"INSERT INTO "text_key" ("code", "label") VALUES ($1, $2)"#,
            insert_generated: r#"INSERT INTO "text_key" ("code", "label") VALUES ($1, $2)"#,
            update: r#"UPDATE "text_key" SET "label" = $1 WHERE "code" = $2"#,
            delete: r#"DELETE FROM "text_key" WHERE "code" = $1"#,
        },
    );
    model::<TextKey>(
        Backend::MySql,
        Golden {
            ddl: &[
                r#"CREATE TABLE IF NOT EXISTS `text_key` (`code` VARCHAR(255) NOT NULL PRIMARY KEY, `label` LONGTEXT NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"#,
            ],
            select: r#"SELECT `text_key`.`code`, `text_key`.`label` FROM `text_key`"#,
            find: r#"SELECT `text_key`.`code`, `text_key`.`label` FROM `text_key` WHERE `text_key`.`code` = ?"#,
            insert: r#"INSERT INTO `text_key` (`code`, `label`) VALUES (?, ?)"#,
            insert_generated: r#"INSERT INTO `text_key` (`code`, `label`) VALUES (?, ?)"#,
            update: r#"UPDATE `text_key` SET `label` = ? WHERE `code` = ?"#,
            delete: r#"DELETE FROM `text_key` WHERE `code` = ?"#,
        },
    );
}

#[test]
fn every_type_per_dialect() {
    model::<AllTypes>(
        Backend::Sqlite,
        Golden {
            ddl: &[
                r#"CREATE TABLE IF NOT EXISTS "all_types" ("id" BLOB NOT NULL PRIMARY KEY, "b" INTEGER NOT NULL, "i8_" INTEGER NOT NULL, "i16_" INTEGER NOT NULL, "i32_" INTEGER NOT NULL, "i64_" INTEGER NOT NULL, "f32_" REAL NOT NULL, "f64_" REAL NOT NULL, "text" TEXT NOT NULL, "bytes" BLOB NOT NULL, "keyed_bytes" BLOB NOT NULL, "date" TEXT NOT NULL, "time" TEXT NOT NULL, "datetime" TEXT NOT NULL, "utc" TEXT NOT NULL, "json" TEXT NOT NULL, "money" TEXT COLLATE orm_decimal, CONSTRAINT "all_types_keyed_bytes_key" UNIQUE ("keyed_bytes"))"#,
            ],
            select: r#"SELECT "all_types"."id", "all_types"."b", "all_types"."i8_", "all_types"."i16_", "all_types"."i32_", "all_types"."i64_", "all_types"."f32_", "all_types"."f64_", "all_types"."text", "all_types"."bytes", "all_types"."keyed_bytes", "all_types"."date", "all_types"."time", "all_types"."datetime", "all_types"."utc", "all_types"."json", "all_types"."money" FROM "all_types""#,
            find: r#"SELECT "all_types"."id", "all_types"."b", "all_types"."i8_", "all_types"."i16_", "all_types"."i32_", "all_types"."i64_", "all_types"."f32_", "all_types"."f64_", "all_types"."text", "all_types"."bytes", "all_types"."keyed_bytes", "all_types"."date", "all_types"."time", "all_types"."datetime", "all_types"."utc", "all_types"."json", "all_types"."money" FROM "all_types" WHERE "all_types"."id" = ?"#,
            insert: r#"INSERT INTO "all_types" ("id", "b", "i8_", "i16_", "i32_", "i64_", "f32_", "f64_", "text", "bytes", "keyed_bytes", "date", "time", "datetime", "utc", "json", "money") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"#,
            insert_generated: r#"INSERT INTO "all_types" ("id", "b", "i8_", "i16_", "i32_", "i64_", "f32_", "f64_", "text", "bytes", "keyed_bytes", "date", "time", "datetime", "utc", "json", "money") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"#,
            update: r#"UPDATE "all_types" SET "b" = ?, "i8_" = ?, "i16_" = ?, "i32_" = ?, "i64_" = ?, "f32_" = ?, "f64_" = ?, "text" = ?, "bytes" = ?, "keyed_bytes" = ?, "date" = ?, "time" = ?, "datetime" = ?, "utc" = ?, "json" = ?, "money" = ? WHERE "id" = ?"#,
            delete: r#"DELETE FROM "all_types" WHERE "id" = ?"#,
        },
    );
    model::<AllTypes>(
        Backend::Postgres,
        Golden {
            ddl: &[
                r#"CREATE TABLE IF NOT EXISTS "all_types" ("id" UUID NOT NULL PRIMARY KEY, "b" BOOLEAN NOT NULL, "i8_" SMALLINT NOT NULL, "i16_" SMALLINT NOT NULL, "i32_" INTEGER NOT NULL, "i64_" BIGINT NOT NULL, "f32_" REAL NOT NULL, "f64_" DOUBLE PRECISION NOT NULL, "text" TEXT NOT NULL, "bytes" BYTEA NOT NULL, "keyed_bytes" BYTEA NOT NULL, "date" DATE NOT NULL, "time" TIME NOT NULL, "datetime" TIMESTAMP NOT NULL, "utc" TIMESTAMPTZ NOT NULL, "json" JSONB NOT NULL, "money" NUMERIC, CONSTRAINT "all_types_keyed_bytes_key" UNIQUE ("keyed_bytes"))"#,
            ],
            select: r#"SELECT "all_types"."id", "all_types"."b", "all_types"."i8_", "all_types"."i16_", "all_types"."i32_", "all_types"."i64_", "all_types"."f32_", "all_types"."f64_", "all_types"."text", "all_types"."bytes", "all_types"."keyed_bytes", "all_types"."date", "all_types"."time", "all_types"."datetime", "all_types"."utc", "all_types"."json", "all_types"."money" FROM "all_types""#,
            find: r#"SELECT "all_types"."id", "all_types"."b", "all_types"."i8_", "all_types"."i16_", "all_types"."i32_", "all_types"."i64_", "all_types"."f32_", "all_types"."f64_", "all_types"."text", "all_types"."bytes", "all_types"."keyed_bytes", "all_types"."date", "all_types"."time", "all_types"."datetime", "all_types"."utc", "all_types"."json", "all_types"."money" FROM "all_types" WHERE "all_types"."id" = $1"#,
            insert: r#"INSERT INTO "all_types" ("id", "b", "i8_", "i16_", "i32_", "i64_", "f32_", "f64_", "text", "bytes", "keyed_bytes", "date", "time", "datetime", "utc", "json", "money") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"#,
            insert_generated: r#"INSERT INTO "all_types" ("id", "b", "i8_", "i16_", "i32_", "i64_", "f32_", "f64_", "text", "bytes", "keyed_bytes", "date", "time", "datetime", "utc", "json", "money") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"#,
            update: r#"UPDATE "all_types" SET "b" = $1, "i8_" = $2, "i16_" = $3, "i32_" = $4, "i64_" = $5, "f32_" = $6, "f64_" = $7, "text" = $8, "bytes" = $9, "keyed_bytes" = $10, "date" = $11, "time" = $12, "datetime" = $13, "utc" = $14, "json" = $15, "money" = $16 WHERE "id" = $17"#,
            delete: r#"DELETE FROM "all_types" WHERE "id" = $1"#,
        },
    );
    model::<AllTypes>(
        Backend::MySql,
        Golden {
            ddl: &[
                r#"CREATE TABLE IF NOT EXISTS `all_types` (`id` BINARY(16) NOT NULL PRIMARY KEY, `b` BOOLEAN NOT NULL, `i8_` TINYINT NOT NULL, `i16_` SMALLINT NOT NULL, `i32_` INT NOT NULL, `i64_` BIGINT NOT NULL, `f32_` FLOAT NOT NULL, `f64_` DOUBLE NOT NULL, `text` LONGTEXT NOT NULL, `bytes` LONGBLOB NOT NULL, `keyed_bytes` VARBINARY(255) NOT NULL, `date` DATE NOT NULL, `time` TIME(6) NOT NULL, `datetime` DATETIME(6) NOT NULL, `utc` DATETIME(6) NOT NULL, `json` JSON NOT NULL, `money` DECIMAL(65, 30), CONSTRAINT `all_types_keyed_bytes_key` UNIQUE (`keyed_bytes`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"#,
            ],
            select: r#"SELECT `all_types`.`id`, `all_types`.`b`, `all_types`.`i8_`, `all_types`.`i16_`, `all_types`.`i32_`, `all_types`.`i64_`, `all_types`.`f32_`, `all_types`.`f64_`, `all_types`.`text`, `all_types`.`bytes`, `all_types`.`keyed_bytes`, `all_types`.`date`, `all_types`.`time`, `all_types`.`datetime`, `all_types`.`utc`, `all_types`.`json`, `all_types`.`money` FROM `all_types`"#,
            find: r#"SELECT `all_types`.`id`, `all_types`.`b`, `all_types`.`i8_`, `all_types`.`i16_`, `all_types`.`i32_`, `all_types`.`i64_`, `all_types`.`f32_`, `all_types`.`f64_`, `all_types`.`text`, `all_types`.`bytes`, `all_types`.`keyed_bytes`, `all_types`.`date`, `all_types`.`time`, `all_types`.`datetime`, `all_types`.`utc`, `all_types`.`json`, `all_types`.`money` FROM `all_types` WHERE `all_types`.`id` = ?"#,
            insert: r#"INSERT INTO `all_types` (`id`, `b`, `i8_`, `i16_`, `i32_`, `i64_`, `f32_`, `f64_`, `text`, `bytes`, `keyed_bytes`, `date`, `time`, `datetime`, `utc`, `json`, `money`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"#,
            insert_generated: r#"INSERT INTO `all_types` (`id`, `b`, `i8_`, `i16_`, `i32_`, `i64_`, `f32_`, `f64_`, `text`, `bytes`, `keyed_bytes`, `date`, `time`, `datetime`, `utc`, `json`, `money`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"#,
            update: r#"UPDATE `all_types` SET `b` = ?, `i8_` = ?, `i16_` = ?, `i32_` = ?, `i64_` = ?, `f32_` = ?, `f64_` = ?, `text` = ?, `bytes` = ?, `keyed_bytes` = ?, `date` = ?, `time` = ?, `datetime` = ?, `utc` = ?, `json` = ?, `money` = ? WHERE `id` = ?"#,
            delete: r#"DELETE FROM `all_types` WHERE `id` = ?"#,
        },
    );
}

// ---- Queries ------------------------------------------------------------------------------

#[test]
fn select_without_filter() {
    query(User::query(), USERS, USERS, USERS_MY);
}

#[test]
fn limit_and_offset_forms() {
    query(
        User::query().limit(10),
        &format!("{USERS} LIMIT ?"),
        &format!("{USERS} LIMIT $1"),
        &format!("{USERS_MY} LIMIT ?"),
    );
    // OFFSET without LIMIT: SQLite and MySQL need a LIMIT, each in its own form.
    query(
        User::query().offset(20),
        &format!("{USERS} LIMIT -1 OFFSET ?"),
        &format!("{USERS} OFFSET $1"),
        &format!("{USERS_MY} LIMIT 18446744073709551615 OFFSET ?"),
    );
    query(
        User::query().offset(20).limit(10),
        &format!("{USERS} LIMIT ? OFFSET ?"),
        &format!("{USERS} LIMIT $1 OFFSET $2"),
        &format!("{USERS_MY} LIMIT ? OFFSET ?"),
    );
}

#[test]
fn placeholders_number_through_filters_order_and_paging() {
    query(
        User::query()
            .filter(User::AGE.gte(18))
            .filter(User::EMAIL.eq("a@x.io"))
            .order_by(User::AGE.desc())
            .order_by(User::ID.asc())
            .limit(10)
            .offset(20),
        &format!(
            r#"{USERS} WHERE (("users"."age" >= ?) AND ("users"."email" = ?)) ORDER BY "users"."age" DESC, "users"."id" LIMIT ? OFFSET ?"#
        ),
        &format!(
            r#"{USERS} WHERE (("users"."age" >= $1) AND ("users"."email" = $2)) ORDER BY "users"."age" DESC, "users"."id" LIMIT $3 OFFSET $4"#
        ),
        &format!(
            "{USERS_MY} WHERE ((`users`.`age` >= ?) AND (`users`.`email` = ?)) ORDER BY `users`.`age` DESC, `users`.`id` LIMIT ? OFFSET ?"
        ),
    );
}

#[test]
fn every_comparison_operator() {
    query(
        User::query()
            .filter(User::ID.eq(1))
            .filter(User::ID.ne(2))
            .filter(User::ID.gt(3))
            .filter(User::ID.gte(4))
            .filter(User::ID.lt(5))
            .filter(User::ID.lte(6))
            .filter(User::NAME.like("A%")),
        &format!(
            r#"{USERS} WHERE (("users"."id" = ?) AND ("users"."id" <> ?) AND ("users"."id" > ?) AND ("users"."id" >= ?) AND ("users"."id" < ?) AND ("users"."id" <= ?) AND ("users"."full_name" LIKE ? ESCAPE '!'))"#
        ),
        &format!(
            r#"{USERS} WHERE (("users"."id" = $1) AND ("users"."id" <> $2) AND ("users"."id" > $3) AND ("users"."id" >= $4) AND ("users"."id" < $5) AND ("users"."id" <= $6) AND ("users"."full_name" LIKE $7 ESCAPE '!'))"#
        ),
        &format!(
            "{USERS_MY} WHERE ((`users`.`id` = ?) AND (`users`.`id` <> ?) AND (`users`.`id` > ?) AND (`users`.`id` >= ?) AND (`users`.`id` < ?) AND (`users`.`id` <= ?) AND (`users`.`full_name` LIKE ? ESCAPE '!'))"
        ),
    );
}

#[test]
fn null_comparisons_become_is_null() {
    // `eq(None)` is IS NULL and `ne(None)` IS NOT NULL (never `= NULL`, which matches nothing).
    query(
        User::query()
            .filter(User::AGE.eq(None))
            .filter(User::AGE.ne(None::<i32>))
            .filter(User::AGE.is_null().or(User::AGE.is_not_null())),
        &format!(
            r#"{USERS} WHERE (("users"."age" IS NULL) AND ("users"."age" IS NOT NULL) AND (("users"."age" IS NULL) OR ("users"."age" IS NOT NULL)))"#
        ),
        &format!(
            r#"{USERS} WHERE (("users"."age" IS NULL) AND ("users"."age" IS NOT NULL) AND (("users"."age" IS NULL) OR ("users"."age" IS NOT NULL)))"#
        ),
        &format!(
            "{USERS_MY} WHERE ((`users`.`age` IS NULL) AND (`users`.`age` IS NOT NULL) AND ((`users`.`age` IS NULL) OR (`users`.`age` IS NOT NULL)))"
        ),
    );
}

#[test]
fn in_lists_and_empty_in_lists() {
    query(
        User::query().filter(User::ID.is_in([1, 2, 3])).filter(User::AGE.not_in(vec![4])),
        &format!(r#"{USERS} WHERE (("users"."id" IN (?, ?, ?)) AND ("users"."age" NOT IN (?)))"#),
        // PostgreSQL binds the list as one array: one plan, one cached statement for any length.
        &format!(r#"{USERS} WHERE (("users"."id" = ANY($1)) AND ("users"."age" <> ALL($2)))"#),
        &format!("{USERS_MY} WHERE ((`users`.`id` IN (?, ?, ?)) AND (`users`.`age` NOT IN (?)))"),
    );
    // `x IN ()` is invalid SQL: an empty IN matches no row, an empty NOT IN every row.
    query(
        User::query().filter(User::ID.is_in(Vec::<i64>::new())),
        &format!("{USERS} WHERE (1 = 0)"),
        &format!("{USERS} WHERE (1 = 0)"),
        &format!("{USERS_MY} WHERE (1 = 0)"),
    );
    query(
        User::query().filter(User::ID.not_in(Vec::<i64>::new())).filter(User::AGE.eq(3)),
        &format!(r#"{USERS} WHERE ((1 = 1) AND ("users"."age" = ?))"#),
        &format!(r#"{USERS} WHERE ((1 = 1) AND ("users"."age" = $1))"#),
        &format!("{USERS_MY} WHERE ((1 = 1) AND (`users`.`age` = ?))"),
    );
}

#[test]
fn nested_and_or_not_are_parenthesized() {
    // NOT ((a AND b) OR (c AND NOT d)), then (NOT (e OR f)) AND g via the operators.
    let cond = User::AGE.gte(18).and(User::AGE.lt(65)).or(User::EMAIL.eq("a").and(User::NAME.eq("b").not())).not();
    let ops = !(User::ID.eq(1) | User::ID.eq(2)) & User::ID.eq(3);
    query(
        User::query().filter(cond).filter(ops),
        &format!(
            r#"{USERS} WHERE ((NOT ((("users"."age" >= ?) AND ("users"."age" < ?)) OR (("users"."email" = ?) AND (NOT ("users"."full_name" = ?))))) AND ((NOT (("users"."id" = ?) OR ("users"."id" = ?))) AND ("users"."id" = ?)))"#
        ),
        &format!(
            r#"{USERS} WHERE ((NOT ((("users"."age" >= $1) AND ("users"."age" < $2)) OR (("users"."email" = $3) AND (NOT ("users"."full_name" = $4))))) AND ((NOT (("users"."id" = $5) OR ("users"."id" = $6))) AND ("users"."id" = $7)))"#
        ),
        &format!(
            "{USERS_MY} WHERE ((NOT (((`users`.`age` >= ?) AND (`users`.`age` < ?)) OR ((`users`.`email` = ?) AND (NOT (`users`.`full_name` = ?))))) AND ((NOT ((`users`.`id` = ?) OR (`users`.`id` = ?))) AND (`users`.`id` = ?)))"
        ),
    );
    // An OR chain stays flat; an OR inside an AND keeps its parentheses.
    query(
        User::query().filter(User::ID.eq(1).or(User::ID.eq(2)).or(User::ID.eq(3))).filter(User::AGE.eq(4)),
        &format!(
            r#"{USERS} WHERE ((("users"."id" = ?) OR ("users"."id" = ?) OR ("users"."id" = ?)) AND ("users"."age" = ?))"#
        ),
        &format!(
            r#"{USERS} WHERE ((("users"."id" = $1) OR ("users"."id" = $2) OR ("users"."id" = $3)) AND ("users"."age" = $4))"#
        ),
        &format!(
            "{USERS_MY} WHERE (((`users`.`id` = ?) OR (`users`.`id` = ?) OR (`users`.`id` = ?)) AND (`users`.`age` = ?))"
        ),
    );
}

#[test]
fn queries_quote_names_with_quote_characters() {
    query(
        Weird::query().filter(Weird::BACK.eq("x")).order_by(Weird::ID.desc()),
        r#"SELECT "we""ird`t"."i""d", "we""ird`t"."back`tick", "we""ird`t"."someValue" FROM "we""ird`t" WHERE ("we""ird`t"."back`tick" = ?) ORDER BY "we""ird`t"."i""d" DESC"#,
        r#"SELECT "we""ird`t"."i""d", "we""ird`t"."back`tick", "we""ird`t"."someValue" FROM "we""ird`t" WHERE ("we""ird`t"."back`tick" = $1) ORDER BY "we""ird`t"."i""d" DESC"#,
        r#"SELECT `we"ird``t`.`i"d`, `we"ird``t`.`back``tick`, `we"ird``t`.`someValue` FROM `we"ird``t` WHERE (`we"ird``t`.`back``tick` = ?) ORDER BY `we"ird``t`.`i"d` DESC"#,
    );
}

#[test]
fn rendering_is_repeatable() {
    let q = User::query().filter(User::AGE.gt(1)).limit(2);
    for b in Backend::ALL {
        assert_eq!(q.to_sql(b).unwrap(), q.to_sql(b).unwrap());
    }
}

#[test]
fn too_many_parameters_is_an_error_not_bad_sql() {
    // SQLite binds at most 32766 values; PostgreSQL and MySQL 65535.
    let q = User::query().filter(User::ID.is_in(0..32_767i64));
    let err = q.to_sql(Backend::Sqlite).unwrap_err();
    assert!(err.to_string().contains("32766"), "{err}");
    assert!(q.to_sql(Backend::Postgres).is_ok());
    assert!(q.to_sql(Backend::MySql).is_ok());
    let q = User::query().filter(User::ID.is_in(0..65_536i64));
    assert!(q.to_sql(Backend::Sqlite).is_err());
    assert!(q.to_sql(Backend::MySql).is_err());
    // One array parameter on PostgreSQL, however long the list.
    assert!(q.to_sql(Backend::Postgres).is_ok());
}

#[test]
fn limit_beyond_i64_is_an_error() {
    let q = User::query().limit(u64::MAX);
    for b in Backend::ALL {
        let err = q.to_sql(b).unwrap_err();
        assert!(err.to_string().contains("too large"), "{err}");
    }
}
