//! The statements `#[orm_core::test]` (`crate::testing`) uses to make and remove a database per
//! test on a server.

use super::Backend;

impl Backend {
    /// The database to connect to when the URL names none, to create and drop others from.
    pub(crate) fn admin_database(self) -> &'static str {
        match self {
            Backend::Postgres => "postgres",
            Backend::Sqlite | Backend::MySql => "",
        }
    }

    /// `CREATE DATABASE` for a test database `name` (an identifier the caller made).
    pub(crate) fn create_database_sql(self, name: &str) -> String {
        let mut sql = String::from("CREATE DATABASE ");
        self.write_ident(&mut sql, name);
        if self == Backend::MySql {
            // As the ORM's own tables: any character, case-sensitive comparisons.
            sql.push_str(" CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
        }
        sql
    }

    /// `DROP DATABASE IF EXISTS` for a test database, ending its sessions on PostgreSQL.
    pub(crate) fn drop_database_sql(self, name: &str) -> String {
        let mut sql = String::from("DROP DATABASE IF EXISTS ");
        self.write_ident(&mut sql, name);
        if self == Backend::Postgres {
            sql.push_str(" WITH (FORCE)");
        }
        sql
    }
}
