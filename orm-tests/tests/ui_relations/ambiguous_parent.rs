use orm_core::prelude::*;

#[derive(Model)]
pub struct Team {
    #[orm(primary_key)]
    pub id: i64,
}

#[derive(Model)]
pub struct Game {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(belongs_to = Team)]
    pub home_id: i64,
    #[orm(belongs_to = Team)]
    pub away_id: i64,
}

async fn f(db: &Db, game: &Game) -> orm_core::Result<()> {
    // Two keys to Team: which one? Name it: Game::HOME or Game::AWAY.
    let _team = game.parent::<Team>(db).await?;
    Ok(())
}

fn main() {
    let _ = f;
}
