//! The backend-agnostic query tree. It holds no SQL text: `render` turns it into the dialect's.

use crate::value::Value;

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
    Like,
}

impl BinOp {
    pub(crate) fn sql(self) -> &'static str {
        match self {
            BinOp::Eq => " = ",
            BinOp::Ne => " <> ",
            BinOp::Gt => " > ",
            BinOp::Gte => " >= ",
            BinOp::Lt => " < ",
            BinOp::Lte => " <= ",
            BinOp::Like => " LIKE ",
        }
    }
}

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    /// `"table"."column"`
    Column { table: &'static str, column: &'static str },
    /// A bound parameter.
    Value(Value),
    /// `left op right`
    Binary { op: BinOp, left: Box<Expr>, right: Box<Expr> },
    /// `expr IN (values)`; an empty list matches nothing (and NOT IN of it, everything).
    InList { expr: Box<Expr>, values: Vec<Value>, negated: bool },
    /// `expr IS [NOT] NULL`
    IsNull { expr: Box<Expr>, negated: bool },
    /// All of them (true when empty).
    And(Vec<Expr>),
    /// Any of them (false when empty).
    Or(Vec<Expr>),
    /// `NOT expr`
    Not(Box<Expr>),
    /// The query language's other nodes (arithmetic, aggregates, LIKE helpers...): `ast_ext.rs`.
    Ext(Box<super::ast_ext::ExprExt>),
    /// `EXISTS (SELECT 1 FROM "table" AS "table_<depth>" WHERE filter)`. The subquery's table is
    /// aliased after its nesting depth, so it may be the outer query's own table (a model that
    /// refers to itself); `filter` names the subquery's row with [`Expr::Scoped`] and the outer
    /// query's rows with [`Expr::Column`]. Built by the relation filters (see [`Expr::rescope`]).
    Exists { table: &'static str, filter: Box<Expr> },
    /// `(SELECT COUNT(*) FROM "table" AS "table_<depth>" WHERE filter)`: the number of related
    /// rows, a scalar subquery scoped like [`Expr::Exists`]. Built by the relation aggregates
    /// (`ForeignKey::count`).
    Count { table: &'static str, filter: Box<Expr> },
    /// A column of the row of an enclosing [`Expr::Exists`] subquery, `up` levels out (0: the
    /// innermost one).
    Scoped { up: usize, column: &'static str },
}

impl Expr {
    /// `self AND other`, flattening nested ANDs.
    pub(crate) fn and(self, other: Expr) -> Expr {
        match (self, other) {
            (Expr::And(mut a), Expr::And(b)) => {
                a.extend(b);
                Expr::And(a)
            }
            (Expr::And(mut a), b) => {
                a.push(b);
                Expr::And(a)
            }
            (a, b) => Expr::And(vec![a, b]),
        }
    }

    /// Moves `self` one subquery level in: the columns of `table` become [`Expr::Scoped`]
    /// references to the row of the [`Expr::Exists`] subquery `self` is about to be put in, and
    /// scoped references already there now point one more level out when they sit in nested
    /// subqueries. `depth` counts the subqueries entered so far (start with 0).
    pub(crate) fn rescope(self, table: &str, depth: usize) -> Expr {
        let re = |e: Box<Expr>| Box::new(e.rescope(table, depth));
        match self {
            Expr::Column { table: t, column } if t == table => Expr::Scoped { up: depth, column },
            e @ (Expr::Column { .. } | Expr::Value(_) | Expr::Scoped { .. }) => e,
            Expr::Binary { op, left, right } => Expr::Binary { op, left: re(left), right: re(right) },
            Expr::InList { expr, values, negated } => Expr::InList { expr: re(expr), values, negated },
            Expr::IsNull { expr, negated } => Expr::IsNull { expr: re(expr), negated },
            Expr::And(list) => Expr::And(list.into_iter().map(|e| e.rescope(table, depth)).collect()),
            Expr::Or(list) => Expr::Or(list.into_iter().map(|e| e.rescope(table, depth)).collect()),
            Expr::Not(e) => Expr::Not(re(e)),
            Expr::Exists { table: t, filter } => {
                Expr::Exists { table: t, filter: Box::new(filter.rescope(table, depth + 1)) }
            }
            Expr::Count { table: t, filter } => {
                Expr::Count { table: t, filter: Box::new(filter.rescope(table, depth + 1)) }
            }
            Expr::Ext(x) => Expr::Ext(Box::new(x.rescope(table, depth))),
        }
    }

    /// `self OR other`, flattening nested ORs.
    pub(crate) fn or(self, other: Expr) -> Expr {
        match (self, other) {
            (Expr::Or(mut a), Expr::Or(b)) => {
                a.extend(b);
                Expr::Or(a)
            }
            (Expr::Or(mut a), b) => {
                a.push(b);
                Expr::Or(a)
            }
            (a, b) => Expr::Or(vec![a, b]),
        }
    }
}

/// One ORDER BY term.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OrderTerm {
    pub(crate) expr: Expr,
    pub(crate) desc: bool,
}

/// A SELECT/DELETE over one table.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Select {
    pub(crate) filter: Option<Expr>,
    pub(crate) order: Vec<OrderTerm>,
    pub(crate) limit: Option<u64>,
    pub(crate) offset: Option<u64>,
    /// `FOR UPDATE` (row locks until the transaction ends).
    pub(crate) for_update: bool,
}
