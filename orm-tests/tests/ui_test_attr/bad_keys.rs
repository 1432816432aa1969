use orm_core::Db;

#[orm_core::test(migrations = "migrations", fixtures = "x")]
async fn bad_keys(db: Db) -> orm_core::Result<()> {
    let _ = db;
    Ok(())
}

fn main() {}
