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
