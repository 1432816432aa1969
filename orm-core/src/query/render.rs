//! Renders the query tree into one dialect's SQL, binding values as it goes.

use super::ast::{BinOp, Expr, OrderTerm, Select};
use crate::backend::driver::SqlText;
use crate::backend::{Args, Backend};
use crate::error::{Error, Result};
use crate::value::Value;

/// SQL text under construction plus the values bound to its placeholders.
pub(crate) struct SqlWriter {
    pub(crate) sql: String,
    pub(crate) args: Args,
    pub(crate) backend: Backend,
    params: usize,
    /// The tables of the [`Expr::Exists`] subqueries being rendered, outermost first.
    scopes: Vec<&'static str>,
}

impl SqlWriter {
    pub(crate) fn new(backend: Backend) -> Self {
        SqlWriter { sql: String::with_capacity(128), args: Args::new(backend), backend, params: 0, scopes: Vec::new() }
    }

    /// Starts from already-rendered text (a cached prefix).
    pub(crate) fn with_prefix(backend: Backend, prefix: &str) -> Self {
        let mut w = SqlWriter::new(backend);
        w.sql.push_str(prefix);
        w
    }

    pub(crate) fn push(&mut self, s: &str) {
        self.sql.push_str(s);
    }

    pub(crate) fn ident(&mut self, s: &str) {
        self.backend.write_ident(&mut self.sql, s);
    }

    /// `"table"."column"`
    pub(crate) fn column(&mut self, table: &str, column: &str) {
        self.ident(table);
        self.sql.push('.');
        self.ident(column);
    }

    /// A placeholder, binding `v` to it.
    pub(crate) fn param(&mut self, v: Value) -> Result<()> {
        self.params += 1;
        if self.params > self.backend.max_params() {
            return Err(Error::InvalidValue(format!(
                "a statement may bind at most {} values on {}",
                self.backend.max_params(),
                self.backend.name()
            )));
        }
        self.backend.write_placeholder(&mut self.sql, self.params);
        self.args.push_value(v)
    }

    /// How many parameters have been bound so far.
    pub(crate) fn param_count(&self) -> usize {
        self.params
    }

    /// The alias of the [`Expr::Exists`] subquery at nesting `depth` (0: the outermost one).
    fn scope_alias(&self, depth: usize) -> String {
        format!("{}_{}", self.scopes[depth], depth + 1)
    }

    /// Reserves the next placeholder number without writing it (for LIMIT/OFFSET).
    fn next_param(&mut self) -> usize {
        self.params += 1;
        self.params
    }

    pub(crate) fn expr(&mut self, e: &Expr) -> Result<()> {
        match e {
            Expr::Column { table, column } => self.column(table, column),
            Expr::Value(v) => self.param(v.clone())?,
            Expr::Binary { op, left, right } => {
                self.push("(");
                self.expr(left)?;
                self.push(op.sql());
                self.expr(right)?;
                if *op == BinOp::Like {
                    // The same escape character on every backend (see `escape_like`).
                    self.backend.write_like_escape(&mut self.sql);
                }
                self.push(")");
            }
            Expr::InList { expr, values, negated } => {
                if values.is_empty() {
                    // `x IN ()` is invalid SQL; an empty list matches no row.
                    self.push(if *negated { "(1 = 1)" } else { "(1 = 0)" });
                } else if self.args.binds_as_array(values) {
                    // `x <> ALL(array)` is `x NOT IN (...)`, NULLs included.
                    self.push("(");
                    self.expr(expr)?;
                    self.push(if *negated { " <> ALL(" } else { " = ANY(" });
                    let n = self.next_param();
                    self.backend.write_placeholder(&mut self.sql, n);
                    self.args.push_list(values)?;
                    self.push("))");
                } else {
                    self.push("(");
                    self.expr(expr)?;
                    self.push(if *negated { " NOT IN (" } else { " IN (" });
                    for (i, v) in values.iter().enumerate() {
                        if i > 0 {
                            self.push(", ");
                        }
                        self.param(v.clone())?;
                    }
                    self.push("))");
                }
            }
            Expr::IsNull { expr, negated } => {
                self.push("(");
                self.expr(expr)?;
                self.push(if *negated { " IS NOT NULL)" } else { " IS NULL)" });
            }
            Expr::And(list) | Expr::Or(list) => {
                let (joiner, empty) =
                    if matches!(e, Expr::And(_)) { (" AND ", "(1 = 1)") } else { (" OR ", "(1 = 0)") };
                if list.is_empty() {
                    self.push(empty);
                } else {
                    self.push("(");
                    for (i, x) in list.iter().enumerate() {
                        if i > 0 {
                            self.push(joiner);
                        }
                        self.expr(x)?;
                    }
                    self.push(")");
                }
            }
            Expr::Not(x) => {
                self.push("(NOT ");
                self.expr(x)?;
                self.push(")");
            }
            Expr::Ext(x) => self.ext(x)?,
            Expr::Exists { table, filter } => {
                self.push("(EXISTS ");
                self.related_subquery("1", table, filter)?;
                self.push(")");
            }
            Expr::Count { table, filter } => self.related_subquery("COUNT(*)", table, filter)?,
            Expr::Scoped { up, column } => {
                let depth = self.scopes.len().checked_sub(up + 1).ok_or_else(|| {
                    Error::Unsupported(format!("the related column `{column}` is used outside its subquery"))
                })?;
                let alias = self.scope_alias(depth);
                self.column(&alias, column);
            }
        }
        Ok(())
    }

    /// `(SELECT what FROM "table" AS "table_<depth>" WHERE filter)`, the subquery of
    /// [`Expr::Exists`] and [`Expr::Count`]; `what` is fixed SQL text, never a value.
    fn related_subquery(&mut self, what: &str, table: &'static str, filter: &Expr) -> Result<()> {
        self.scopes.push(table);
        let alias = self.scope_alias(self.scopes.len() - 1);
        self.push("(SELECT ");
        self.push(what);
        self.push(" FROM ");
        self.ident(table);
        self.push(" AS ");
        self.ident(&alias);
        self.push(" WHERE ");
        let r = self.expr(filter);
        self.scopes.pop();
        r?;
        self.push(")");
        Ok(())
    }

    /// ` WHERE ...` when there is a filter.
    pub(crate) fn where_clause(&mut self, filter: &Option<Expr>) -> Result<()> {
        if let Some(f) = filter {
            self.push(" WHERE ");
            self.expr(f)?;
        }
        Ok(())
    }

    pub(crate) fn order_by(&mut self, order: &[OrderTerm]) -> Result<()> {
        for (i, o) in order.iter().enumerate() {
            self.push(if i == 0 { " ORDER BY " } else { ", " });
            self.expr(&o.expr)?;
            if o.desc {
                self.push(" DESC");
            }
        }
        Ok(())
    }

    /// LIMIT/OFFSET as bound parameters in the dialect's form.
    pub(crate) fn limit_offset(&mut self, limit: Option<u64>, offset: Option<u64>) -> Result<()> {
        let lp = limit.map(|_| self.next_param());
        let op = offset.map(|_| self.next_param());
        self.backend.write_limit_offset(&mut self.sql, lp, op);
        for v in [limit, offset].into_iter().flatten() {
            let v = i64::try_from(v).map_err(|_| Error::InvalidValue(format!("limit/offset {v} is too large")))?;
            self.args.push_value(Value::I64(v))?;
        }
        Ok(())
    }

    /// WHERE, ORDER BY, LIMIT and OFFSET of a SELECT.
    pub(crate) fn select_tail(&mut self, s: &Select) -> Result<()> {
        self.where_clause(&s.filter)?;
        self.order_by(&s.order)?;
        self.limit_offset(s.limit, s.offset)
    }

    pub(crate) fn finish(self) -> (SqlText, Args) {
        (SqlText::Owned(self.sql), self.args)
    }
}
