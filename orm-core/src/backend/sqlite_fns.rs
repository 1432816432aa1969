//! SQL functions this crate registers on every SQLite connection, so that SQLite behaves like
//! PostgreSQL and MySQL where its built-ins differ.
//!
//! * `orm_lower(text)`: lower-cases with Unicode's simple case mapping, one character at a time
//!   as PostgreSQL's and MySQL's `LOWER()` do (SQLite's own `lower()` folds only ASCII, so
//!   `lower('Ä')` stays `'Ä'`). The case-insensitive matches of the query language (`ilike`,
//!   `icontains`, ...) use it on SQLite.
//!
//! Registered through sqlx's `after_connect` hook and `LockedSqliteHandle::as_raw_handle`, with
//! `libsqlite3-sys` (the version sqlx links, pinned by sqlx's own requirement).

use libsqlite3_sys as ffi;
use std::ffi::{CStr, c_int};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The function's SQL name; the dialect renders it (`Backend::lower_fn`).
const LOWER: &CStr = c"orm_lower";

/// Registers the functions on a new connection.
pub(crate) async fn register(conn: &mut sqlx::SqliteConnection) -> Result<(), sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    let flags = ffi::SQLITE_UTF8 | ffi::SQLITE_DETERMINISTIC | ffi::SQLITE_INNOCUOUS;
    // SAFETY: `db` is the open connection, which the locked handle keeps from being used by
    // sqlx's worker thread meanwhile; the name is NUL-terminated and 'static; `lower` matches
    // the xFunc signature and takes no user data; no xStep/xFinal makes it a scalar function.
    let rc = unsafe {
        ffi::sqlite3_create_function_v2(
            db,
            LOWER.as_ptr(),
            1,
            flags,
            std::ptr::null_mut(),
            Some(lower),
            None,
            None,
            None,
        )
    };
    if rc != ffi::SQLITE_OK {
        return Err(sqlx::Error::Configuration(
            format!("could not register the SQLite function {LOWER:?} (error code {rc})").into(),
        ));
    }
    Ok(())
}

/// Unicode simple lower-case mapping of one character: the first character of its full lower
/// case (`İ` -> `i`, as PostgreSQL's `towlower`-based `lower()`), which is the character itself
/// for all others.
fn simple_lower(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    c.to_lowercase().next().unwrap_or(c)
}

/// `orm_lower(x)`: NULL for NULL, else the lower-cased text of `x`.
unsafe extern "C" fn lower(ctx: *mut ffi::sqlite3_context, argc: c_int, argv: *mut *mut ffi::sqlite3_value) {
    // A panic must not unwind into SQLite's C frames.
    let done = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: SQLite calls this with `argc` (here 1, as registered) valid values in `argv`
        // and a valid context; the text pointer stays valid until the value is changed, and
        // `sqlite3_value_bytes` after `sqlite3_value_text` gives its length in bytes (without
        // the terminating NUL). SQLITE_TRANSIENT makes SQLite copy the result before we free it.
        unsafe {
            if argc != 1 {
                ffi::sqlite3_result_error(ctx, c"orm_lower takes one argument".as_ptr(), -1);
                return;
            }
            let value = *argv;
            if ffi::sqlite3_value_type(value) == ffi::SQLITE_NULL {
                ffi::sqlite3_result_null(ctx);
                return;
            }
            let text = ffi::sqlite3_value_text(value);
            if text.is_null() {
                ffi::sqlite3_result_error_nomem(ctx);
                return;
            }
            let len = usize::try_from(ffi::sqlite3_value_bytes(value)).unwrap_or(0);
            let bytes = std::slice::from_raw_parts(text, len);
            let lowered: String = String::from_utf8_lossy(bytes).chars().map(simple_lower).collect();
            ffi::sqlite3_result_text64(
                ctx,
                lowered.as_ptr().cast(),
                lowered.len() as u64,
                ffi::SQLITE_TRANSIENT(),
                ffi::SQLITE_UTF8 as u8,
            );
        }
    }));
    if done.is_err() {
        // SAFETY: as above; the message is a NUL-terminated 'static string.
        unsafe { ffi::sqlite3_result_error(ctx, c"orm_lower failed".as_ptr(), -1) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_matches_the_dialect() {
        assert_eq!(LOWER.to_str().ok(), Some(crate::backend::dialect::SQLITE_LOWER_FN));
    }

    #[test]
    fn folds_unicode_one_character_at_a_time() {
        let l = |s: &str| s.chars().map(simple_lower).collect::<String>();
        assert_eq!(l("ÄÖÜ ÉÈ Straße ΣΑΣ İ"), "äöü éè straße σασ i");
    }
}
