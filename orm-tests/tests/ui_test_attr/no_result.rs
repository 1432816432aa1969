use orm_core::Db;

#[orm_core::test]
async fn no_result(db: Db) {
    let _ = db;
}

fn main() {}
