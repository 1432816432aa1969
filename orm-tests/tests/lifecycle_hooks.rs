//! `ModelHooks` (`#[orm(hooks)]`): before_insert, before_update, after_load on every path that
//! writes or reads whole models; an `Err` from a before-hook sends nothing. Every backend.

use orm_core::prelude::*;
use orm_core::{ModelHooks, raw};
use orm_tests::each_backend;
use std::sync::atomic::{AtomicUsize, Ordering};

static LOADS: AtomicUsize = AtomicUsize::new(0);

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "ty_article", hooks)]
pub struct Article {
    #[orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub slug: String,
    pub edits: i32,
    #[orm(skip)]
    pub loaded: bool,
}

impl ModelHooks for Article {
    fn before_insert(&mut self) -> orm_core::Result<()> {
        if self.title.trim().is_empty() {
            return Err(Error::InvalidValue("an article needs a title".into()));
        }
        self.slug = self.title.to_lowercase().replace(' ', "-");
        Ok(())
    }
    fn before_update(&mut self) -> orm_core::Result<()> {
        if self.title == "forbidden" {
            return Err(Error::InvalidValue("not that title".into()));
        }
        self.edits += 1;
        Ok(())
    }
    fn after_load(&mut self) -> orm_core::Result<()> {
        self.loaded = true;
        LOADS.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

fn article(title: &str) -> Article {
    Article { id: 0, title: title.into(), slug: String::new(), edits: 0, loaded: false }
}

#[tokio::test]
async fn hooks_run_on_every_path() {
    each_backend!("ty_hooks", |db| {
        Article::create_table(&db).await?;
        let mut a = article("Hello World");
        a.insert(&db).await?;
        assert_eq!(a.slug, "hello-world");
        let found = Article::find(&db, a.id).await?.expect("row");
        assert!(found.loaded);
        assert_eq!(found.slug, "hello-world");

        a.title = "Hello Again".into();
        a.update(&db).await?;
        assert_eq!(a.edits, 1);
        a.save(&db).await?;
        assert_eq!(a.edits, 2);
        a.update_fields(&db, Article::TITLE).await?;
        assert_eq!(a.edits, 3);
        // update_fields writes only its columns (+ none managed): `edits` was not listed.
        assert_eq!(Article::find(&db, a.id).await?.map(|x| x.edits), Some(2));

        // Bulk writes and upserts run before_insert.
        let rows = vec![article("Bulk One"), article("Bulk Two")];
        Article::insert_many(&db, &rows).await?;
        let mut with_keys = vec![article("Keyed One")];
        Article::insert_many_with_keys(&db, &mut with_keys).await?;
        assert_eq!(with_keys[0].slug, "keyed-one");
        let mut up = article("Up Serted");
        up.upsert(&db).await?;
        let mut b = article("Up On");
        b.upsert_on(&db, Article::ID).await?;
        let all = Article::query().order_by(Article::ID.asc()).all(&db).await?;
        // (The first one's slug is from its insert; it was renamed since.)
        assert!(all[1..].iter().all(|x| x.loaded && x.slug == x.title.to_lowercase().replace(' ', "-")), "{all:?}");
        assert_eq!(all.len(), 6);

        // Streams, selections of whole models, get_or_create.
        let mut s = Article::query().stream(&db);
        while let Some(x) = s.try_next().await? {
            assert!(x.loaded);
        }
        let (got, created) =
            Article::query().filter(Article::SLUG.eq("bulk-one")).get_or_create(&db, || article("never")).await?;
        assert!(!created && got.loaded);
        let (made, created) =
            Article::query().filter(Article::SLUG.eq("brand-new")).get_or_create(&db, || article("Brand New")).await?;
        assert!(created && made.slug == "brand-new");

        // An Err from a before-hook sends nothing.
        let count = Article::query().count(&db).await?;
        assert!(matches!(article("  ").insert(&db).await, Err(Error::InvalidValue(_))));
        assert!(matches!(Article::insert_many(&db, &[article("ok"), article("")]).await, Err(Error::InvalidValue(_))));
        assert!(matches!(Article::upsert_many(&db, &[article("")]).await, Err(Error::InvalidValue(_))));
        let mut bad = a.clone();
        bad.title = "forbidden".into();
        assert!(matches!(bad.update(&db).await, Err(Error::InvalidValue(_))));
        assert_eq!(Article::query().count(&db).await?, count);
        assert_eq!(Article::find(&db, a.id).await?.map(|x| x.title), Some("Hello Again".to_owned()));

        // Raw SQL into the model runs after_load too.
        let before = LOADS.load(Ordering::Relaxed);
        let t = if db.backend() == orm_core::Backend::MySql { "`ty_article`" } else { "\"ty_article\"" };
        let raws: Vec<Article> = raw(format!("SELECT * FROM {t}")).fetch_all(&db).await?;
        assert!(raws.iter().all(|x| x.loaded));
        assert!(LOADS.load(Ordering::Relaxed) >= before + raws.len());
        Ok(())
    });
}
