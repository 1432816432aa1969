//! `Query::stream` keeps memory flat: 200 000 rows (about 50 MB as models) stream through a small,
//! bounded amount of heap, while `all()` of the same query holds them all.
//!
//! Its own test binary (one test) because it counts every heap allocation of the process with a
//! global allocator, which other tests running in parallel would disturb. No timing involved.

use orm_core::prelude::*;
use orm_core::raw;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The system allocator, counting the bytes in use and their peak.
struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = IN_USE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call forwards to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The growth of the heap's peak over its current size while `f` runs.
async fn peak_growth<F: std::future::Future<Output = T>, T>(f: F) -> (T, usize) {
    let base = IN_USE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f.await;
    (out, PEAK.load(Ordering::Relaxed).saturating_sub(base))
}

#[derive(Model, Debug)]
#[orm(table = "qls_items")]
struct Item {
    #[orm(primary_key)]
    id: i64,
    n: i64,
    label: String,
}

const ROWS: i64 = 200_000;
const MB: usize = 1 << 20;

#[tokio::test]
async fn streaming_200k_rows_keeps_memory_flat() {
    let db = Db::connect("sqlite::memory:").await.unwrap();
    Item::create_table(&db).await.unwrap();
    let mut next = 1;
    while next <= ROWS {
        let end = (next + 999).min(ROWS);
        let mut sql = String::from("INSERT INTO qls_items (n, label) VALUES ");
        for i in next..=end {
            sql.push_str(if i == next { "(?, ?)" } else { ", (?, ?)" });
        }
        let mut r = raw(sql);
        for i in next..=end {
            r = r.bind(i).bind(format!("{i:0>200}"));
        }
        r.execute(&db).await.unwrap();
        next = end + 1;
    }

    let ((count, sum), streamed) = peak_growth(async {
        let mut stream = Item::query().stream(&db);
        let (mut count, mut sum) = (0_i64, 0_i64);
        while let Some(item) = stream.try_next().await.unwrap() {
            assert_eq!(item.label.len(), 200);
            count += 1;
            sum += item.n;
        }
        (count, sum)
    })
    .await;
    assert_eq!((count, sum), (ROWS, ROWS * (ROWS + 1) / 2));

    let (all, collected) = peak_growth(async { Item::query().all(&db).await.unwrap() }).await;
    assert_eq!(all.len() as i64, ROWS);
    drop(all);

    eprintln!("peak heap growth: stream {} KiB, all() {} KiB", streamed / 1024, collected / 1024);
    // 200 000 models of ~250 bytes each are ~50 MB when held at once.
    assert!(collected > 40 * MB, "all() should hold every row: {collected} bytes");
    assert!(streamed < 8 * MB, "the stream held {streamed} bytes at its peak");
}
