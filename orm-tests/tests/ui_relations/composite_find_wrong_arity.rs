use orm_core::prelude::*;

#[derive(Model)]
#[orm(primary_key(a, b))]
pub struct Pair {
    pub a: i32,
    pub b: i32,
}

async fn f(db: &Db) -> orm_core::Result<()> {
    let _ = Pair::find(db, 1).await?;
    Ok(())
}

fn main() {
    let _ = f;
}
