use orm_core::Db;

#[orm_core::test]
fn not_async(db: Db) -> orm_core::Result<()> {
    let _ = db;
    Ok(())
}

fn main() {}
