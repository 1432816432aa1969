#[orm_core::test]
async fn no_argument() -> orm_core::Result<()> {
    Ok(())
}

fn main() {}
