//! The query language's nodes beyond plain comparisons (arithmetic, aggregates, text matching,
//! ranges), hung under [`Expr::Ext`], and how [`SqlWriter`] renders them.

use super::ast::Expr;
use super::render::SqlWriter;
use crate::error::Result;
use crate::value::SqlKind;

/// An arithmetic operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

/// An aggregate function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AggFunc {
    Count,
    Sum,
    Avg,
    Min,
    Max,
}

impl AggFunc {
    fn sql(self) -> &'static str {
        match self {
            AggFunc::Count => "COUNT(",
            AggFunc::Sum => "SUM(",
            AggFunc::Avg => "AVG(",
            AggFunc::Min => "MIN(",
            AggFunc::Max => "MAX(",
        }
    }
}

/// A query-language node.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ExprExt {
    /// `(left op right)`; `integer` picks the dialect's integer division for `/`.
    Arith { op: ArithOp, left: Expr, right: Expr, integer: bool },
    /// `FUNC([DISTINCT] arg)`, or `COUNT(*)` without an argument; CAST so that it decodes as
    /// `cast` where the dialect's own result type differs. `over`: a window aggregate over all
    /// the rows the query matches (`FUNC(..) OVER ()`).
    Agg { func: AggFunc, arg: Option<Expr>, distinct: bool, cast: Option<SqlKind>, over: bool },
    /// `over_all()` of an expression that is no aggregate: an error when rendered.
    NotAggregate,
    /// `expr LIKE pattern ESCAPE '!'`, both sides lower-cased when case-insensitive.
    Like { expr: Expr, pattern: Expr, case_insensitive: bool },
    /// `expr BETWEEN low AND high` (inclusive).
    Between { expr: Expr, low: Expr, high: Expr },
    /// A condition read as a value: true or false, never NULL (`COALESCE(cond, 1 = 0)`, the
    /// way a filter treats a NULL condition); an `EXISTS` is never NULL and is written as is.
    Truth(Expr),
}

impl ExprExt {
    /// [`Expr::rescope`] of every expression inside the node (exhaustive on purpose: a new node
    /// must say how its expressions move into a subquery).
    pub(crate) fn rescope(self, table: &str, depth: usize) -> ExprExt {
        let re = |e: Expr| e.rescope(table, depth);
        match self {
            ExprExt::Arith { op, left, right, integer } => {
                ExprExt::Arith { op, left: re(left), right: re(right), integer }
            }
            ExprExt::Agg { func, arg, distinct, cast, over } => {
                ExprExt::Agg { func, arg: arg.map(re), distinct, cast, over }
            }
            ExprExt::NotAggregate => ExprExt::NotAggregate,
            ExprExt::Like { expr, pattern, case_insensitive } => {
                ExprExt::Like { expr: re(expr), pattern: re(pattern), case_insensitive }
            }
            ExprExt::Between { expr, low, high } => ExprExt::Between { expr: re(expr), low: re(low), high: re(high) },
            ExprExt::Truth(e) => ExprExt::Truth(re(e)),
        }
    }
}

impl SqlWriter {
    /// An operand of arithmetic. An integer constant is written inline (a number the program
    /// gave, never text), so that an expression and its repetition render identically: with
    /// `GROUP BY ("ms" / 60000)` and the same expression selected, PostgreSQL must see the
    /// same text in both places (two parameters `$1`, `$2` are different expressions to it, so
    /// it rejects the query with 42803).
    fn arith_operand(&mut self, e: &Expr) -> Result<()> {
        use crate::value::Value;
        let n = match e {
            Expr::Value(Value::I8(n)) => i64::from(*n),
            Expr::Value(Value::I16(n)) => i64::from(*n),
            Expr::Value(Value::I32(n)) => i64::from(*n),
            Expr::Value(Value::I64(n)) => *n,
            other => return self.expr(other),
        };
        if n < 0 {
            self.push(&format!("({n})"));
        } else {
            self.push(&n.to_string());
        }
        Ok(())
    }

    /// Renders a query-language node.
    pub(crate) fn ext(&mut self, e: &ExprExt) -> Result<()> {
        match e {
            ExprExt::Arith { op, left, right, integer } => {
                self.push("(");
                self.arith_operand(left)?;
                self.push(match op {
                    ArithOp::Add => " + ",
                    ArithOp::Sub => " - ",
                    ArithOp::Mul => " * ",
                    ArithOp::Div if *integer => self.backend.integer_division(),
                    ArithOp::Div => " / ",
                });
                self.arith_operand(right)?;
                self.push(")");
            }
            ExprExt::NotAggregate => {
                return Err(crate::error::Error::Unsupported(
                    "over_all() applies to an aggregate (count(), sum(), ...), not to this expression".into(),
                ));
            }
            ExprExt::Agg { func, arg, distinct, cast, over } => {
                let cast = cast.and_then(|k| self.backend.cast_type(k));
                // AVG casts its argument: MySQL's AVG of integers is a DECIMAL rounded to 4
                // places, so casting the result would keep that rounding. The others cast the
                // result (SUM of integers stays exact before the cast to BIGINT).
                let (outer, inner) = if *func == AggFunc::Avg { (None, cast) } else { (cast, None) };
                if outer.is_some() {
                    self.push("CAST(");
                }
                self.push(func.sql());
                match arg {
                    None => self.push("*"),
                    Some(a) => {
                        if *distinct {
                            self.push("DISTINCT ");
                        }
                        if inner.is_some() {
                            self.push("CAST(");
                        }
                        self.expr(a)?;
                        if let Some(ty) = inner {
                            self.push(" AS ");
                            self.push(ty);
                            self.push(")");
                        }
                    }
                }
                self.push(")");
                if *over {
                    self.push(" OVER ()");
                }
                if let Some(ty) = outer {
                    self.push(" AS ");
                    self.push(ty);
                    self.push(")");
                }
            }
            ExprExt::Like { expr, pattern, case_insensitive } => {
                self.push("(");
                self.lowered(expr, *case_insensitive)?;
                self.push(" LIKE ");
                self.lowered(pattern, *case_insensitive)?;
                self.backend.write_like_escape(&mut self.sql);
                self.push(")");
            }
            ExprExt::Truth(cond) => {
                if matches!(cond, Expr::Exists { .. }) {
                    self.expr(cond)?;
                } else {
                    self.push("COALESCE(");
                    self.expr(cond)?;
                    self.push(", (1 = 0))");
                }
            }
            ExprExt::Between { expr, low, high } => {
                self.push("(");
                self.expr(expr)?;
                self.push(" BETWEEN ");
                self.expr(low)?;
                self.push(" AND ");
                self.expr(high)?;
                self.push(")");
            }
        }
        Ok(())
    }

    fn lowered(&mut self, e: &Expr, lower: bool) -> Result<()> {
        if lower {
            self.push(self.backend.lower_fn());
            self.push("(");
            self.expr(e)?;
            self.push(")");
            Ok(())
        } else {
            self.expr(e)
        }
    }
}
