//! The plan of a projection over an aggregate of one table's read (`Project` over
//! `Aggregate` over `Scan`), taken apart once: what the optimizer's choice of how a
//! subquery runs (`optimize/subquery_run.rs`) and the runs it chooses (`exec::count_rows`,
//! `exec::fold_rows`) read of it.

use crate::expr::Expr;

use super::{AggregateCall, AggregateStrategy, Node, TableAccess};

/// The parts of a `Project` over an `Aggregate` over a `Scan`.
pub struct AggregateOfRead<'n> {
    /// The `Project` node.
    pub project: &'n Node,
    /// The projection's expressions, over the aggregate's output row.
    pub exprs: &'n [Expr],
    /// The `Aggregate` node.
    pub aggregate: &'n Node,
    pub group_by: &'n [Expr],
    pub aggregates: &'n [AggregateCall],
    /// The width of the read's rows: the aggregate's output row is that many input
    /// columns, then one value per call.
    pub input_width: usize,
    pub strategy: AggregateStrategy,
    /// The `Scan` node.
    pub read: &'n Node,
    pub access: &'n TableAccess,
}

impl<'n> AggregateOfRead<'n> {
    /// The parts of `node`, when it has the shape.
    pub fn of(node: &'n Node) -> Option<AggregateOfRead<'n>> {
        let Node::Project { input, exprs } = node else {
            return None;
        };
        let Node::Aggregate {
            input: read,
            group_by,
            aggregates,
            input_width,
            strategy,
            ..
        } = input.as_ref()
        else {
            return None;
        };
        let Node::Scan(access) = read.as_ref() else {
            return None;
        };
        Some(AggregateOfRead {
            project: node,
            exprs,
            aggregate: input,
            group_by,
            aggregates,
            input_width: *input_width,
            strategy: *strategy,
            read,
            access,
        })
    }

    /// Whether `expr`, over the aggregate's output row, reads a bare column (one of the
    /// input columns, which come from a group's first row).
    pub fn reads_bare_column(&self, expr: &Expr) -> bool {
        let mut bare = false;
        expr.walk(&mut |node| {
            bare |= matches!(node, Expr::Column { index, .. } if *index < self.input_width);
        });
        bare
    }
}
