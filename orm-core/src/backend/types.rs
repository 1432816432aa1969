//! How each supported Rust type binds and decodes on each backend.

use super::Backend;
use super::driver::{Args, RowRef, add};
use crate::error::{Error, Result};
use crate::value::{SqlKind, SqlType, Value};

/// Refuses NaN and the infinities where the backend cannot store them. Inlined: a finite float
/// (nearly every one) costs one comparison; the rest is out of line.
#[inline]
fn non_finite(backend: Backend, f: f64) -> Result<()> {
    if f.is_finite() { Ok(()) } else { non_finite_slow(backend, f) }
}

#[inline(never)]
fn non_finite_slow(backend: Backend, f: f64) -> Result<()> {
    if !backend.supports_non_finite_floats() {
        return Err(Error::InvalidValue(format!(
            "{} cannot store the float {f}; only PostgreSQL keeps NaN and infinities",
            backend.name()
        )));
    }
    Ok(())
}

/// PostgreSQL cannot store a NUL character in text (and SQLite's C functions stop at one): it is
/// refused on every backend, before anything is sent, so all three behave the same.
#[inline]
fn no_nul(s: &str) -> Result<()> {
    if has_nul(s.as_bytes()) {
        return Err(nul_error(s));
    }
    Ok(())
}

/// Whether `b` holds a zero byte: eight bytes at a time (the last eight overlapping), with the
/// classic test `(v - 0x01..) & !v & 0x80..`, which is non-zero exactly when some byte of `v` is
/// zero. About a third of `<[u8]>::contains`'s instructions on the short texts of typical rows
/// (`contains` goes byte by byte below 16 bytes), and text is bound on nearly every write.
#[inline]
fn has_nul(b: &[u8]) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let zero_in = |w: [u8; 8]| {
        let v = u64::from_ne_bytes(w);
        v.wrapping_sub(LO) & !v & HI != 0
    };
    let Some(last) = b.last_chunk::<8>() else {
        return b.contains(&0);
    };
    let (words, _) = b.as_chunks::<8>();
    words.iter().any(|w| zero_in(*w)) || zero_in(*last)
}

/// The error of [`no_nul`], out of line so that the check inlines into every bind of text.
#[cold]
#[inline(never)]
fn nul_error(s: &str) -> Error {
    Error::InvalidValue(format!(
        "text contains a NUL character (\\0) at byte {}, which PostgreSQL cannot store; \
         use bytes (Vec<u8>) for binary data",
        s.as_bytes().iter().position(|&b| b == 0).unwrap_or(0)
    ))
}

fn decode_err(row: &RowRef<'_>, idx: usize, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Error {
    Error::Decode { table: String::new(), column: row.column_name(idx), source: sqlx::Error::Decode(source.into()) }
}

impl Args {
    /// [`Args::push_value`], not inlined: for a caller that binds a value of a variant known
    /// only at run time, or a NULL, where the whole `match` inlined would only bloat it.
    #[inline(never)]
    pub(crate) fn push_value_out_of_line(&mut self, v: Value) -> Result<()> {
        self.push_value(v)
    }

    /// Binds one value as the next parameter.
    ///
    /// Inlined: a call with a literal variant (`Value::I32(x)`, from each type's `bind`)
    /// compiles down to that one case.
    #[inline]
    pub fn push_value(&mut self, v: Value) -> Result<()> {
        if let Value::Text(t) | Value::PgEnum(_, Some(t)) = &v {
            no_nul(t)?;
        }
        if let Value::F32(f) = v {
            non_finite(self.backend(), f as f64)?;
        }
        if let Value::F64(f) = v {
            non_finite(self.backend(), f)?;
        }
        match self {
            #[cfg(feature = "sqlite")]
            Args::Sqlite(a) => match v {
                Value::Null(_) => add(a, Option::<i64>::None),
                Value::Bool(x) => add(a, x),
                Value::I8(x) => add(a, x as i32),
                Value::I16(x) => add(a, x as i32),
                Value::I32(x) => add(a, x),
                Value::I64(x) => add(a, x),
                Value::F32(x) => add(a, x as f64),
                Value::F64(x) => add(a, x),
                Value::Text(x) => add(a, x),
                Value::Bytes(x) => add(a, x),
                #[cfg(feature = "chrono")]
                Value::Date(x) => add(a, x),
                #[cfg(feature = "chrono")]
                Value::Time(x) => add(a, x),
                #[cfg(feature = "chrono")]
                Value::DateTime(x) => add(a, x),
                #[cfg(feature = "chrono")]
                Value::DateTimeUtc(x) => add(a, x),
                #[cfg(feature = "uuid")]
                Value::Uuid(x) => add(a, x),
                #[cfg(feature = "json")]
                Value::Json(x) => add(a, x.to_string()),
                #[cfg(feature = "decimal")]
                Value::Decimal(x) => add(a, x.to_string()),
                Value::PgEnum(_, x) => add(a, x),
            },
            #[cfg(feature = "postgres")]
            Args::Postgres(a) => match v {
                Value::Null(k) => pg_null(a, k),
                Value::Bool(x) => add(a, x),
                // PostgreSQL has no 1-byte integer (sqlx's i8 is the "char" type).
                Value::I8(x) => add(a, x as i16),
                Value::I16(x) => add(a, x),
                Value::I32(x) => add(a, x),
                Value::I64(x) => add(a, x),
                Value::F32(x) => add(a, x),
                Value::F64(x) => add(a, x),
                Value::Text(x) => add(a, x),
                Value::Bytes(x) => add(a, x),
                #[cfg(feature = "chrono")]
                Value::Date(x) => add(a, x),
                #[cfg(feature = "chrono")]
                Value::Time(x) => add(a, x),
                #[cfg(feature = "chrono")]
                Value::DateTime(x) => add(a, x),
                #[cfg(feature = "chrono")]
                Value::DateTimeUtc(x) => add(a, x),
                #[cfg(feature = "uuid")]
                Value::Uuid(x) => add(a, x),
                #[cfg(feature = "json")]
                Value::Json(x) => add(a, sqlx::types::Json(x)),
                #[cfg(feature = "decimal")]
                Value::Decimal(x) => add(a, x),
                Value::PgEnum(name, x) => add(a, PgEnumLabel(name, x.as_deref())),
            },
            #[cfg(feature = "mysql")]
            Args::MySql(a) => match v {
                Value::Null(_) => add(a, Option::<i64>::None),
                Value::Bool(x) => add(a, x),
                Value::I8(x) => add(a, x),
                Value::I16(x) => add(a, x),
                Value::I32(x) => add(a, x),
                Value::I64(x) => add(a, x),
                Value::F32(x) => add(a, x),
                Value::F64(x) => add(a, x),
                Value::Text(x) => add(a, x),
                Value::Bytes(x) => add(a, x),
                #[cfg(feature = "chrono")]
                Value::Date(x) => add(a, x),
                #[cfg(feature = "chrono")]
                Value::Time(x) => add(a, x),
                #[cfg(feature = "chrono")]
                Value::DateTime(x) => add(a, x),
                // As DATETIME: sqlx sends a DateTime<Utc> as TIMESTAMP, which the server turns into
                // NULL outside TIMESTAMP's 1970-2038 range.
                #[cfg(feature = "chrono")]
                Value::DateTimeUtc(x) => add(a, x.naive_utc()),
                #[cfg(feature = "uuid")]
                Value::Uuid(x) => add(a, x),
                // MariaDB's JSON is LONGTEXT with a validity check: send text.
                #[cfg(feature = "json")]
                Value::Json(x) => add(a, x.to_string()),
                #[cfg(feature = "decimal")]
                Value::Decimal(x) => add(a, x),
                Value::PgEnum(_, x) => add(a, x),
            },
        }
    }

    /// Binds a label of the PostgreSQL enum type `name` ([`SqlType::PG_ENUM`]): as that type on
    /// PostgreSQL (sqlx looks its OID up by name once a connection, `to_regtype`), as text on
    /// the others.
    #[inline]
    pub(crate) fn push_enum_label(&mut self, name: &'static str, s: &str) -> Result<()> {
        match self {
            #[cfg(feature = "postgres")]
            Args::Postgres(a) => {
                no_nul(s)?;
                add(a, PgEnumLabel(name, Some(s)))
            }
            #[allow(unreachable_patterns)]
            _ => {
                let _ = name;
                self.push_str(s)
            }
        }
    }

    /// Binds text without copying it into a `Value` first.
    #[inline]
    pub(crate) fn push_str(&mut self, s: &str) -> Result<()> {
        no_nul(s)?;
        match self {
            #[cfg(feature = "sqlite")]
            Args::Sqlite(a) => add(a, s.to_owned()),
            #[cfg(feature = "postgres")]
            Args::Postgres(a) => add(a, s),
            #[cfg(feature = "mysql")]
            Args::MySql(a) => add(a, s),
        }
    }

    /// Binds bytes without copying them into a `Value` first.
    fn push_bytes(&mut self, s: &[u8]) -> Result<()> {
        match self {
            #[cfg(feature = "sqlite")]
            Args::Sqlite(a) => add(a, s.to_vec()),
            #[cfg(feature = "postgres")]
            Args::Postgres(a) => add(a, s),
            #[cfg(feature = "mysql")]
            Args::MySql(a) => add(a, s),
        }
    }
}

impl Args {
    /// Whether the values of an `IN` list can be bound as one array (see
    /// [`Backend::binds_lists_as_arrays`]): non-empty, not NULL, all of one variant, and one
    /// whose array type the backend has.
    pub(crate) fn binds_as_array(&self, values: &[Value]) -> bool {
        let Some(first) = values.first() else { return false };
        #[cfg(feature = "json")]
        if matches!(first, Value::Json(_)) {
            return false;
        }
        self.backend().binds_lists_as_arrays()
            && !first.is_null()
            && values.iter().all(|v| std::mem::discriminant(v) == std::mem::discriminant(first) && !v.is_null())
    }

    /// Binds the values of an `IN` list as one array parameter ([`Args::binds_as_array`]).
    #[cfg_attr(not(feature = "postgres"), allow(unused_variables))]
    pub(crate) fn push_list(&mut self, values: &[Value]) -> Result<()> {
        for v in values {
            if let Value::Text(t) | Value::PgEnum(_, Some(t)) = v {
                no_nul(t)?;
            }
        }
        match self {
            #[cfg(feature = "postgres")]
            Args::Postgres(a) => {
                // An array of the enum type (`"name"[]`, looked up by name as one label is).
                if let Some(Value::PgEnum(name, _)) = values.first() {
                    let labels: Vec<&str> = values
                        .iter()
                        .filter_map(|v| if let Value::PgEnum(_, Some(t)) = v { Some(t.as_str()) } else { None })
                        .collect();
                    return add(a, PgEnumArray(name, labels));
                }
                macro_rules! list {
                    ($a:expr, $($variant:ident => $t:ty),* $(,)?) => {
                        match values.first() {
                            $(Some(Value::$variant(_)) => {
                                let v: Vec<$t> = values
                                    .iter()
                                    .filter_map(|v| if let Value::$variant(x) = v { Some(<$t>::from(x.clone())) } else { None })
                                    .collect();
                                add($a, v)
                            })*
                            _ => Err(Error::Unsupported("this list of values cannot be bound as an array".into())),
                        }
                    };
                }
                #[cfg(feature = "chrono")]
                if let Some(Value::Date(_) | Value::Time(_) | Value::DateTime(_) | Value::DateTimeUtc(_)) =
                    values.first()
                {
                    return list!(a, Date => chrono::NaiveDate, Time => chrono::NaiveTime,
                        DateTime => chrono::NaiveDateTime, DateTimeUtc => chrono::DateTime<chrono::Utc>);
                }
                #[cfg(feature = "uuid")]
                if let Some(Value::Uuid(_)) = values.first() {
                    return list!(a, Uuid => uuid::Uuid);
                }
                #[cfg(feature = "decimal")]
                if let Some(Value::Decimal(_)) = values.first() {
                    return list!(a, Decimal => rust_decimal::Decimal);
                }
                list!(a, Bool => bool, I8 => i16, I16 => i16, I32 => i32, I64 => i64, F32 => f32, F64 => f64,
                    Text => String, Bytes => Vec<u8>)
            }
            #[allow(unreachable_patterns)]
            _ => Err(Error::Unsupported(format!("{} has no array parameters", self.backend().name()))),
        }
    }
}

/// A label (or a NULL: `None`) of the PostgreSQL enum type named first: encoded as text is (an
/// enum's binary form is its label's bytes), declared as that type.
#[cfg(feature = "postgres")]
struct PgEnumLabel<'a>(&'static str, Option<&'a str>);

#[cfg(feature = "postgres")]
impl sqlx::Type<sqlx::Postgres> for PgEnumLabel<'_> {
    fn type_info() -> sqlx::postgres::PgTypeInfo {
        <&str as sqlx::Type<sqlx::Postgres>>::type_info()
    }
}

#[cfg(feature = "postgres")]
impl sqlx::Encode<'_, sqlx::Postgres> for PgEnumLabel<'_> {
    fn encode_by_ref(
        &self,
        buf: &mut sqlx::postgres::PgArgumentBuffer,
    ) -> std::result::Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        match self.1 {
            Some(s) => <&str as sqlx::Encode<sqlx::Postgres>>::encode_by_ref(&s, buf),
            None => Ok(sqlx::encode::IsNull::Yes),
        }
    }
    fn produces(&self) -> Option<sqlx::postgres::PgTypeInfo> {
        Some(sqlx::postgres::PgTypeInfo::with_name(self.0))
    }
}

/// An array of labels of the PostgreSQL enum type named first (`= ANY($1)` of `is_in`).
#[cfg(feature = "postgres")]
struct PgEnumArray<'a>(&'static str, Vec<&'a str>);

#[cfg(feature = "postgres")]
impl sqlx::Type<sqlx::Postgres> for PgEnumArray<'_> {
    fn type_info() -> sqlx::postgres::PgTypeInfo {
        <Vec<String> as sqlx::Type<sqlx::Postgres>>::type_info()
    }
}

#[cfg(feature = "postgres")]
impl sqlx::Encode<'_, sqlx::Postgres> for PgEnumArray<'_> {
    fn encode_by_ref(
        &self,
        buf: &mut sqlx::postgres::PgArgumentBuffer,
    ) -> std::result::Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        use sqlx::postgres::PgBindIterExt;
        let name = self.0;
        // The element type comes from the first label's `produces` (an empty list is never
        // bound: `is_in` of nothing renders no parameter).
        let iter = self.1.iter().map(|s| PgEnumLabel(name, Some(s))).bind_iter();
        sqlx::Encode::<sqlx::Postgres>::encode(iter, buf)
    }
    fn produces(&self) -> Option<sqlx::postgres::PgTypeInfo> {
        Some(sqlx::postgres::PgTypeInfo::array_of(self.0))
    }
}

/// Reads the label of an enum column: text on SQLite and MySQL; on PostgreSQL a column of an
/// enum type (whatever its OID: sqlx describes it as `PgTypeKind::Enum`) or of a text type.
#[inline]
pub(crate) fn decode_enum_label(row: &RowRef<'_>, idx: usize) -> Result<String> {
    #[cfg(feature = "postgres")]
    #[allow(irrefutable_let_patterns)]
    if let RowRef::Postgres(r) = row {
        use sqlx::{Column, Row};
        let is_enum =
            r.columns().get(idx).is_some_and(|c| matches!(c.type_info().kind(), sqlx::postgres::PgTypeKind::Enum(_)));
        if is_enum {
            if row.is_null(idx)? {
                return Err(decode_err(row, idx, "NULL read into a field that is not an Option"));
            }
            return r.try_get_unchecked::<String, _>(idx).map_err(|e| sqlx_err(row, idx, e));
        }
    }
    String::decode(row, idx)
}

#[cfg(feature = "postgres")]
fn pg_null(a: &mut sqlx::postgres::PgArguments, k: SqlKind) -> Result<()> {
    match k {
        SqlKind::Bool => add(a, Option::<bool>::None),
        SqlKind::I8 | SqlKind::I16 => add(a, Option::<i16>::None),
        SqlKind::I32 => add(a, Option::<i32>::None),
        SqlKind::I64 => add(a, Option::<i64>::None),
        SqlKind::F32 => add(a, Option::<f32>::None),
        SqlKind::F64 => add(a, Option::<f64>::None),
        SqlKind::Text => add(a, Option::<String>::None),
        SqlKind::Bytes => add(a, Option::<Vec<u8>>::None),
        #[cfg(feature = "chrono")]
        SqlKind::Date => add(a, Option::<chrono::NaiveDate>::None),
        #[cfg(feature = "chrono")]
        SqlKind::Time => add(a, Option::<chrono::NaiveTime>::None),
        #[cfg(feature = "chrono")]
        SqlKind::DateTime => add(a, Option::<chrono::NaiveDateTime>::None),
        #[cfg(feature = "chrono")]
        SqlKind::DateTimeUtc => add(a, Option::<chrono::DateTime<chrono::Utc>>::None),
        #[cfg(feature = "uuid")]
        SqlKind::Uuid => add(a, Option::<uuid::Uuid>::None),
        #[cfg(feature = "json")]
        SqlKind::Json => add(a, Option::<sqlx::types::Json<serde_json::Value>>::None),
        #[cfg(feature = "decimal")]
        SqlKind::Decimal => add(a, Option::<rust_decimal::Decimal>::None),
        #[allow(unreachable_patterns)]
        _ => add(a, Option::<String>::None),
    }
}

/// Column `idx` of the row as `$s`/`$p`/`$m` on SQLite/PostgreSQL/MySQL (see [`sqlite_get`] and
/// [`server_get`]).
macro_rules! get {
    ($row:expr, $idx:expr, sqlite: $s:ty, postgres: $p:ty, mysql: $m:ty) => {{
        match $row {
            #[cfg(feature = "sqlite")]
            RowRef::Sqlite(r) => sqlite_get::<$s>(r, $idx).map(Into::into),
            #[cfg(feature = "postgres")]
            RowRef::Postgres(r) => pg_get::<$p>(r, $idx).map(Into::into),
            #[cfg(feature = "mysql")]
            RowRef::MySql(r) => server_get::<_, $m>(*r, $idx).map(Into::into),
        }
        .map_err(|e| sqlx_err($row, $idx, e))
    }};
}

/// Reads column `idx` of a SQLite row as `T` by position.
///
/// The first non-NULL value of each column in a result set goes through sqlx's type check (so
/// text read into an integer field is an `Error::Decode`, not a silent 0); later values of that
/// column are decoded with SQLite's own conversions (`sqlite3_value_int64`, `_double`, `_text`),
/// as Diesel and the C API do: the check costs ~80 instructions a value, about 12% of the
/// client-side CPU of reading 1,000 rows (docs/performance.md). SQLite types values, not
/// columns, so a column mixing storage classes row by row is checked on its first value only;
/// tables created by this crate give every column a type affinity, which keeps them uniform.
/// NULL is refused here (sqlx would decode it as 0 or ""); nullable fields check for NULL first.
#[cfg(feature = "sqlite")]
#[inline]
fn sqlite_get<'r, T>(r: &'r sqlx::sqlite::SqliteRow, idx: usize) -> Result<T, sqlx::Error>
where
    T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
{
    use super::driver::CHECKED_COLUMNS;
    use sqlx::{Row, ValueRef};
    let v = r.try_get_raw(idx)?;
    if v.is_null() {
        return Err(sqlx::Error::Decode(Box::new(sqlx::error::UnexpectedNullError)));
    }
    let bit = 1u64.checked_shl(idx as u32).unwrap_or(0);
    if CHECKED_COLUMNS.get() & bit != 0 {
        return T::decode(v).map_err(sqlx::Error::Decode);
    }
    drop(v);
    let value = r.try_get(idx)?;
    CHECKED_COLUMNS.set(CHECKED_COLUMNS.get() | bit);
    Ok(value)
}

/// Reads column `idx` of a PostgreSQL or MySQL row as `T`: with sqlx's type check the first time
/// a result set reads that column, without it for the later rows (the column's type is the same
/// in every row of a result set; see `driver::CHECKED_COLUMNS`).
#[cfg(any(feature = "postgres", feature = "mysql"))]
#[inline]
fn server_get<'r, R, T>(r: &'r R, idx: usize) -> Result<T, sqlx::Error>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    T: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    use super::driver::CHECKED_COLUMNS;
    let bit = 1u64.checked_shl(idx as u32).unwrap_or(0);
    if CHECKED_COLUMNS.get() & bit != 0 {
        return r.try_get_unchecked(idx);
    }
    let v = r.try_get(idx)?;
    // `try_get` checks the type of non-NULL values only.
    if bit != 0 && !sqlx::ValueRef::is_null(&r.try_get_raw(idx)?) {
        CHECKED_COLUMNS.set(CHECKED_COLUMNS.get() | bit);
    }
    Ok(v)
}

/// [`server_get`] on PostgreSQL, where a column whose type is exactly `T`'s (by OID, from the
/// statement's description) needs no further check: sqlx's `compatible` compares type enums and
/// costs more than most decodes, on every row of a point query. The OID comparison itself is made
/// once per column and result set: its outcome goes into `CHECKED_COLUMNS` like a passed check,
/// so later rows decode straight away (~30 instructions a value less: docs/performance.md).
#[cfg(feature = "postgres")]
#[inline]
fn pg_get<'r, T>(r: &'r sqlx::postgres::PgRow, idx: usize) -> Result<T, sqlx::Error>
where
    T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    use super::driver::CHECKED_COLUMNS;
    use sqlx::{Column, Row};
    let bit = 1u64.checked_shl(idx as u32).unwrap_or(0);
    if CHECKED_COLUMNS.get() & bit != 0 {
        return r.try_get_unchecked(idx);
    }
    let exact =
        r.columns().get(idx).and_then(|c| c.type_info().oid()).is_some_and(|oid| T::type_info().oid() == Some(oid));
    if exact {
        CHECKED_COLUMNS.set(CHECKED_COLUMNS.get() | bit);
        return r.try_get_unchecked(idx);
    }
    server_get(r, idx)
}

/// Reads an integer of any width and narrows it with a range check (PostgreSQL is strict about
/// INT2/INT4/INT8, so an `i64` field may map an INTEGER column of a schema we did not create).
#[inline]
fn get_int<T>(row: &RowRef<'_>, idx: usize) -> Result<T>
where
    T: TryFrom<i64> + Send,
{
    let wide: i64 = match row {
        #[cfg(feature = "postgres")]
        RowRef::Postgres(r) => {
            use super::driver::CHECKED_COLUMNS;
            use sqlx::{Column, Row};
            let err = |e| sqlx_err(row, idx, e);
            // sqlx decodes INT2, INT4 and INT8 alike (big-endian of the value's length, sign
            // extended), so a column of any of the three is read as i64, without sqlx's check,
            // and narrowed below. Its type OID is looked at once per column and result set: a
            // column found to be one of them (or to pass sqlx's check for i64, the fallback) is
            // a bit in `CHECKED_COLUMNS` for the later rows.
            let bit = 1u64.checked_shl(idx as u32).unwrap_or(0);
            if CHECKED_COLUMNS.get() & bit != 0 {
                r.try_get_unchecked::<i64, _>(idx).map_err(err)?
            } else {
                let oid = r.columns().get(idx).and_then(|c| c.type_info().oid()).map(|o| o.0);
                match oid {
                    Some(20 | 21 | 23) => {
                        CHECKED_COLUMNS.set(CHECKED_COLUMNS.get() | bit);
                        r.try_get_unchecked::<i64, _>(idx).map_err(err)?
                    }
                    _ => get!(row, idx, sqlite: i64, postgres: i64, mysql: i64)?,
                }
            }
        }
        #[allow(unreachable_patterns)]
        _ => get!(row, idx, sqlite: i64, postgres: i64, mysql: i64)?,
    };
    T::try_from(wide)
        .map_err(|_| decode_err(row, idx, format!("{wide} is out of range for {}", std::any::type_name::<T>())))
}

/// Reads column text whatever its storage (SQLite NUMERIC may hold an INTEGER or REAL; MariaDB's
/// JSON is text with a binary charset).
#[allow(dead_code)]
fn get_text_unchecked(row: &RowRef<'_>, idx: usize) -> Result<String> {
    use sqlx::Row;
    if row.is_null(idx)? {
        return Err(decode_err(row, idx, "NULL read into a field that is not an Option"));
    }
    match row {
        #[cfg(feature = "sqlite")]
        RowRef::Sqlite(r) => r.try_get_unchecked::<String, _>(idx),
        #[cfg(feature = "postgres")]
        RowRef::Postgres(r) => r.try_get_unchecked::<String, _>(idx),
        #[cfg(feature = "mysql")]
        RowRef::MySql(r) => r.try_get_unchecked::<String, _>(idx),
    }
    .map_err(|e| sqlx_err(row, idx, e))
}

/// Binds `$s`/`$p`/`$m` on SQLite/PostgreSQL/MySQL: the hot path of the plain types, straight to
/// sqlx without a `Value` (the same conversions as [`Args::push_value`]).
macro_rules! bind_as {
    ($args:expr, sqlite: $s:expr, postgres: $p:expr, mysql: $m:expr) => {
        match $args {
            #[cfg(feature = "sqlite")]
            Args::Sqlite(a) => add(a, $s),
            #[cfg(feature = "postgres")]
            Args::Postgres(a) => add(a, $p),
            #[cfg(feature = "mysql")]
            Args::MySql(a) => add(a, $m),
        }
    };
}

macro_rules! int_type {
    ($($t:ty => $kind:ident as $s:ty, $p:ty, $m:ty);*) => {$(
        impl SqlType for $t {
            const KIND: SqlKind = SqlKind::$kind;
            fn to_value(&self) -> Value { Value::$kind(*self) }
            #[inline]
            fn bind(&self, args: &mut Args) -> Result<()> {
                let x = *self;
                bind_as!(args, sqlite: x as $s, postgres: x as $p, mysql: x as $m)
            }
            fn from_value(v: Value) -> Result<Self> { int_from_value(v) }
            #[inline]
            fn decode(row: &RowRef<'_>, idx: usize) -> Result<Self> { get_int(row, idx) }
        }
    )*};
}
// SQLite binds integers as i32 or i64; PostgreSQL has no 1-byte integer (sqlx's i8 is "char").
int_type!(i8 => I8 as i32, i16, i8; i16 => I16 as i32, i16, i16; i32 => I32 as i32, i32, i32;
    i64 => I64 as i64, i64, i64);

macro_rules! float_type {
    ($($t:ty => $kind:ident as $s:ty);*) => {$(
        impl SqlType for $t {
            const KIND: SqlKind = SqlKind::$kind;
            fn to_value(&self) -> Value { Value::$kind(*self) }
            #[inline]
            fn bind(&self, args: &mut Args) -> Result<()> {
                let x = *self;
                non_finite(args.backend(), x as f64)?;
                bind_as!(args, sqlite: x as $s, postgres: x, mysql: x)
            }
            fn from_value(v: Value) -> Result<Self> {
                match v {
                    Value::F32(x) => Ok(x as $t),
                    Value::F64(x) => Ok(x as $t),
                    other => Err(mismatch::<Self>(&other)),
                }
            }
            #[inline]
            fn decode(row: &RowRef<'_>, idx: usize) -> Result<Self> {
                get!(row, idx, sqlite: $t, postgres: $t, mysql: $t)
            }
        }
    )*};
}
float_type!(f32 => F32 as f64; f64 => F64 as f64);

impl SqlType for bool {
    const KIND: SqlKind = SqlKind::Bool;
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
    fn from_value(v: Value) -> Result<Self> {
        match v {
            Value::Bool(x) => Ok(x),
            other => int_from_value::<i64>(other).map(|n| n != 0),
        }
    }
    #[inline]
    fn bind(&self, args: &mut Args) -> Result<()> {
        let x = *self;
        bind_as!(args, sqlite: x, postgres: x, mysql: x)
    }
    #[inline]
    fn decode(row: &RowRef<'_>, idx: usize) -> Result<Self> {
        get!(row, idx, sqlite: bool, postgres: bool, mysql: bool)
    }
}

// Used by the optional chrono and uuid types.
#[allow(unused_macros)]
macro_rules! copy_type {
    ($($t:ty => $kind:ident),*) => {$(
        impl SqlType for $t {
            const KIND: SqlKind = SqlKind::$kind;
            fn to_value(&self) -> Value { Value::$kind(*self) }
            fn from_value(v: Value) -> Result<Self> {
                match v { Value::$kind(x) => Ok(x), other => Err(mismatch::<Self>(&other)) }
            }
            #[inline]
            fn bind(&self, args: &mut Args) -> Result<()> { args.push_value(Value::$kind(*self)) }
            #[inline]
            fn decode(row: &RowRef<'_>, idx: usize) -> Result<Self> {
                get!(row, idx, sqlite: $t, postgres: $t, mysql: $t)
            }
        }
    )*};
}
#[cfg(feature = "chrono")]
copy_type!(chrono::NaiveDate => Date, chrono::NaiveTime => Time, chrono::NaiveDateTime => DateTime,
    chrono::DateTime<chrono::Utc> => DateTimeUtc);
#[cfg(feature = "uuid")]
copy_type!(uuid::Uuid => Uuid);

impl SqlType for String {
    const KIND: SqlKind = SqlKind::Text;
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
    fn into_sql_value(self) -> Value {
        Value::Text(self)
    }
    fn from_value(v: Value) -> Result<Self> {
        match v {
            Value::Text(x) => Ok(x),
            other => Err(mismatch::<Self>(&other)),
        }
    }
    #[inline]
    fn bind(&self, args: &mut Args) -> Result<()> {
        args.push_str(self)
    }
    #[inline]
    fn decode(row: &RowRef<'_>, idx: usize) -> Result<Self> {
        get!(row, idx, sqlite: String, postgres: String, mysql: String)
    }
}

impl SqlType for Vec<u8> {
    const KIND: SqlKind = SqlKind::Bytes;
    fn to_value(&self) -> Value {
        Value::Bytes(self.clone())
    }
    fn into_sql_value(self) -> Value {
        Value::Bytes(self)
    }
    fn from_value(v: Value) -> Result<Self> {
        match v {
            Value::Bytes(x) => Ok(x),
            other => Err(mismatch::<Self>(&other)),
        }
    }
    #[inline]
    fn bind(&self, args: &mut Args) -> Result<()> {
        args.push_bytes(self)
    }
    #[inline]
    fn decode(row: &RowRef<'_>, idx: usize) -> Result<Self> {
        get!(row, idx, sqlite: Vec<u8>, postgres: Vec<u8>, mysql: Vec<u8>)
    }
}

fn sqlx_err(row: &RowRef<'_>, idx: usize, e: sqlx::Error) -> Error {
    Error::Decode { table: String::new(), column: row.column_name(idx), source: e }
}

#[cfg(feature = "json")]
impl SqlType for serde_json::Value {
    const KIND: SqlKind = SqlKind::Json;
    fn to_value(&self) -> Value {
        Value::Json(self.clone())
    }
    fn into_sql_value(self) -> Value {
        Value::Json(self)
    }
    fn from_value(v: Value) -> Result<Self> {
        match v {
            Value::Json(x) => Ok(x),
            other => Err(mismatch::<Self>(&other)),
        }
    }
    fn bind(&self, args: &mut Args) -> Result<()> {
        args.push_value(Value::Json(self.clone()))
    }
    fn decode(row: &RowRef<'_>, idx: usize) -> Result<Self> {
        match row {
            #[cfg(feature = "postgres")]
            RowRef::Postgres(r) => {
                use sqlx::Row;
                r.try_get::<sqlx::types::Json<serde_json::Value>, _>(idx)
                    .map(|j| j.0)
                    .map_err(|e| sqlx_err(row, idx, e))
            }
            #[allow(unreachable_patterns)]
            _ => {
                let text = get_text_unchecked(row, idx)?;
                serde_json::from_str(&text).map_err(|e| decode_err(row, idx, e))
            }
        }
    }
}

#[cfg(feature = "decimal")]
impl SqlType for rust_decimal::Decimal {
    const KIND: SqlKind = SqlKind::Decimal;
    fn to_value(&self) -> Value {
        Value::Decimal(*self)
    }
    fn from_value(v: Value) -> Result<Self> {
        match v {
            Value::Decimal(x) => Ok(x),
            other => Err(mismatch::<Self>(&other)),
        }
    }
    fn bind(&self, args: &mut Args) -> Result<()> {
        args.push_value(Value::Decimal(*self))
    }
    fn decode(row: &RowRef<'_>, idx: usize) -> Result<Self> {
        use sqlx::Row;
        match row {
            #[cfg(feature = "postgres")]
            RowRef::Postgres(r) => r.try_get(idx).map_err(|e| sqlx_err(row, idx, e)),
            #[cfg(feature = "mysql")]
            RowRef::MySql(r) => r.try_get(idx).map_err(|e| sqlx_err(row, idx, e)),
            // SQLite: our columns hold the exact text; NUMERIC columns of other schemas an INTEGER or REAL.
            #[allow(unreachable_patterns)]
            _ => {
                let text = get_text_unchecked(row, idx)?;
                let text = text.trim();
                text.parse::<rust_decimal::Decimal>()
                    .or_else(|_| rust_decimal::Decimal::from_scientific(text))
                    .map_err(|e| decode_err(row, idx, e))
            }
        }
    }
}

/// The `orm_decimal` collation of SQLite decimal columns (stored as exact text): orders by
/// numeric value ("12.50" = "12.5" < "100"); text that is not a number sorts after numbers.
#[cfg(all(feature = "decimal", feature = "sqlite"))]
pub(super) fn compare_decimal_text(a: &str, b: &str) -> std::cmp::Ordering {
    let parse = |s: &str| {
        let s = s.trim();
        s.parse::<rust_decimal::Decimal>().or_else(|_| rust_decimal::Decimal::from_scientific(s)).ok()
    };
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

/// A value of the wrong kind given to `T::from_value`.
fn mismatch<T>(v: &Value) -> Error {
    Error::InvalidValue(format!("{v:?} cannot be read as {}", std::any::type_name::<T>()))
}

/// An integer of any width, range-checked into `T`.
fn int_from_value<T: TryFrom<i64>>(v: Value) -> Result<T> {
    let wide = match v {
        Value::I8(x) => i64::from(x),
        Value::I16(x) => i64::from(x),
        Value::I32(x) => i64::from(x),
        Value::I64(x) => x,
        Value::Bool(b) => i64::from(b),
        other => return Err(mismatch::<T>(&other)),
    };
    T::try_from(wide)
        .map_err(|_| Error::InvalidValue(format!("{wide} is out of range for {}", std::any::type_name::<T>())))
}

/// Column `idx` read as the built-in type of `kind`, as a [`Value`] (the decoding of a type
/// implemented by hand through [`SqlType::from_value`]).
pub(crate) fn decode_kind(row: &RowRef<'_>, idx: usize, kind: SqlKind) -> Result<Value> {
    Ok(match kind {
        SqlKind::Bool => Value::Bool(bool::decode(row, idx)?),
        SqlKind::I8 => Value::I8(i8::decode(row, idx)?),
        SqlKind::I16 => Value::I16(i16::decode(row, idx)?),
        SqlKind::I32 => Value::I32(i32::decode(row, idx)?),
        SqlKind::I64 => Value::I64(i64::decode(row, idx)?),
        SqlKind::F32 => Value::F32(f32::decode(row, idx)?),
        SqlKind::F64 => Value::F64(f64::decode(row, idx)?),
        SqlKind::Text => Value::Text(String::decode(row, idx)?),
        SqlKind::Bytes => Value::Bytes(Vec::<u8>::decode(row, idx)?),
        #[cfg(feature = "chrono")]
        SqlKind::Date => Value::Date(chrono::NaiveDate::decode(row, idx)?),
        #[cfg(feature = "chrono")]
        SqlKind::Time => Value::Time(chrono::NaiveTime::decode(row, idx)?),
        #[cfg(feature = "chrono")]
        SqlKind::DateTime => Value::DateTime(chrono::NaiveDateTime::decode(row, idx)?),
        #[cfg(feature = "chrono")]
        SqlKind::DateTimeUtc => Value::DateTimeUtc(chrono::DateTime::<chrono::Utc>::decode(row, idx)?),
        #[cfg(feature = "uuid")]
        SqlKind::Uuid => Value::Uuid(uuid::Uuid::decode(row, idx)?),
        #[cfg(feature = "json")]
        SqlKind::Json => Value::Json(serde_json::Value::decode(row, idx)?),
        #[cfg(feature = "decimal")]
        SqlKind::Decimal => Value::Decimal(rust_decimal::Decimal::decode(row, idx)?),
        #[allow(unreachable_patterns)]
        other => return Err(Error::Unsupported(format!("{other:?} columns need a feature of orm-core"))),
    })
}

/// An error converting the value of column `idx` as an [`Error::Decode`] naming the column (and,
/// once the caller fills it in, the table).
pub(crate) fn in_column(row: &RowRef<'_>, idx: usize, e: Error) -> Error {
    match e {
        e @ Error::Decode { .. } => e,
        other => decode_err(row, idx, other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::has_nul;

    #[test]
    fn has_nul_finds_a_zero_byte_at_every_position_of_every_length() {
        for len in 0..40usize {
            let clean: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(!has_nul(&clean), "no zero byte in {len} bytes");
            // Bytes that trip naive word tricks (0x80, 0x01, 0xff) must not look like zeros.
            let tricky: Vec<u8> = (0..len).map(|i| [0x80, 0x01, 0xff, 0x7f][i % 4]).collect();
            assert!(!has_nul(&tricky), "no zero byte in {len} tricky bytes");
            for at in 0..len {
                let mut b = clean.clone();
                b[at] = 0;
                assert!(has_nul(&b), "zero byte at {at} of {len}");
                let mut t = tricky.clone();
                t[at] = 0;
                assert!(has_nul(&t), "zero byte at {at} of {len} tricky bytes");
            }
        }
    }
}
