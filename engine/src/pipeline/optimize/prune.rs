//! Column pruning: marks, on every table access of a query, which columns the operators
//! above it read, so the scan decodes only those (the others read as NULL and are never
//! materialized: no string copies for columns nobody looks at).
//!
//! The pass walks the node tree top-down with the set of output columns the parent needs:
//! a projection needs the columns its expressions read; a filter, sort or limit needs what
//! its parent needs plus what its own expressions read; an aggregate needs its group keys,
//! its aggregate arguments and whichever bare input columns its parent reads. A correlated
//! subquery in an expression reads the columns of the row it sees that its outer
//! references name (`SubqueryExpr::outer_reads`, level 1). DISTINCT and set operations read
//! every column: below those, every column is needed. A join splits what its parent needs
//! between its inputs and adds the columns of its keys and condition.

use ember_storage::Value;

use crate::expr::Expr;
use crate::plan::{AccessPath, ColumnsRead, Node, TableAccess};

/// The output columns of a node that the operators above it read.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Needed {
    All,
    /// `columns[i]`: whether output column `i` is read (positions past the end are not).
    Some(Vec<bool>),
}

impl Needed {
    fn none() -> Needed {
        Needed::Some(Vec::new())
    }

    fn add(&mut self, column: usize) {
        if let Needed::Some(columns) = self {
            if columns.len() <= column {
                columns.resize(column + 1, false);
            }
            columns[column] = true;
        }
    }

    /// Adds every column `expr` reads, a correlated subquery's reads of the row included.
    fn add_expr(&mut self, expr: &Expr) {
        if let Needed::Some(_) = self {
            expr.for_each_row_read(&mut |column| self.add(column));
        }
    }

    fn add_exprs<'e>(&mut self, exprs: impl IntoIterator<Item = &'e Expr>) {
        for expr in exprs {
            self.add_expr(expr);
        }
    }

    /// The needs of a join's two inputs: output columns `..left_width` are the left row's,
    /// the rest the right row's (renumbered from 0).
    fn split_at(self, left_width: usize) -> (Needed, Needed) {
        match self {
            Needed::All => (Needed::All, Needed::All),
            Needed::Some(mut columns) => {
                let right = columns
                    .get(left_width..)
                    .map(<[bool]>::to_vec)
                    .unwrap_or_default();
                columns.truncate(left_width);
                (Needed::Some(columns), Needed::Some(right))
            }
        }
    }

    /// Whether no column is read.
    fn is_empty(&self) -> bool {
        match self {
            Needed::All => false,
            Needed::Some(columns) => !columns.contains(&true),
        }
    }

    fn contains(&self, column: usize) -> bool {
        match self {
            Needed::All => true,
            Needed::Some(columns) => columns.get(column).copied().unwrap_or(false),
        }
    }
}

/// Marks the columns every table access under `node` must decode, given that the node's
/// whole output is read (the root of a query, an INSERT's source).
pub fn prune_columns(node: &mut Node) {
    prune(node, Needed::All);
}

/// Marks the columns an UPDATE's target must decode: those its assignments, its filter and
/// its RETURNING expressions (`returning`, evaluated over the new rows) read. The update
/// writes only the assigned columns (`Transaction::update_columns`), so it never needs the
/// others.
pub fn prune_update(target: &mut TableAccess, assignments: &[(usize, Expr)], returning: &[Expr]) {
    let mut needed = Needed::none();
    needed.add_exprs(assignments.iter().map(|(_, expr)| expr));
    needed.add_exprs(returning);
    mark_access(target, needed);
}

/// Marks the columns a DELETE's target must decode: those its filter and its RETURNING
/// expressions (`returning`, evaluated over the deleted rows) read.
pub fn prune_delete(target: &mut TableAccess, returning: &[Expr]) {
    let mut needed = Needed::none();
    needed.add_exprs(returning);
    mark_access(target, needed);
}

fn prune(node: &mut Node, needed: Needed) {
    match node {
        Node::Scan(access) => mark_access(access, needed),
        // Made after the columns are pruned (`optimize::finish_statement_query`); if one
        // came here, it decodes every column.
        Node::FusedRead(read) => {
            debug_assert!(false, "a fused read is made after pruning");
            mark_access(&mut read.access, Needed::All)
        }
        Node::AsOf(as_of) => prune(&mut as_of.input, needed),
        Node::System { .. } | Node::Values { .. } | Node::CteScan(_) | Node::WorkTable { .. } => {}
        Node::RecursiveUnion(union) => {
            prune(&mut union.initial, Needed::All);
            union
                .recursive
                .iter_mut()
                .for_each(|term| prune(term, Needed::All));
        }
        Node::Filter { input, predicate } => {
            super::window_top_n::bound_window(input, predicate);
            let mut below = needed;
            below.add_expr(predicate);
            prune(input, below);
        }
        Node::Project { input, exprs } => {
            // An output nobody reads needs nothing when it is a bare column (as in the
            // projection that puts reordered join columns back): it becomes NULL, so the
            // projection copies nothing for it; other expressions are still evaluated, so
            // they keep their inputs.
            let mut below = Needed::none();
            for (position, expr) in exprs.iter_mut().enumerate() {
                if needed.contains(position) || !matches!(expr, Expr::Column { .. }) {
                    below.add_expr(expr);
                } else {
                    *expr = Expr::Literal(Value::Null);
                }
            }
            prune(input, below);
        }
        Node::Sort { input, keys, .. } => {
            let mut below = needed;
            below.add_exprs(keys.iter().map(|key| &key.expr));
            prune(input, below);
        }
        Node::Limit {
            input,
            limit,
            offset,
        } => {
            let mut below = needed;
            below.add_exprs(limit.iter().chain(offset.iter()));
            prune(input, below);
        }
        Node::Aggregate {
            input,
            group_by,
            aggregates,
            input_width,
            bare_reads,
            ..
        } => {
            // Output: the group's first input row (bare columns), then the aggregates.
            let mut below = Needed::none();
            for column in 0..*input_width {
                if needed.contains(column) {
                    below.add(column);
                }
            }
            *bare_reads = match &needed {
                Needed::All => None,
                Needed::Some(_) => Some((0..*input_width).map(|c| needed.contains(c)).collect()),
            };
            below.add_exprs(group_by.iter());
            below.add_exprs(aggregates.iter().flat_map(|call| call.args.iter()));
            below.add_exprs(aggregates.iter().filter_map(|call| call.filter.as_ref()));
            prune(input, below);
        }
        Node::Window(window) => {
            // Output: the input row, then the window values.
            let mut below = Needed::none();
            for column in 0..window.input_width {
                if needed.contains(column) {
                    below.add(column);
                }
            }
            for pass in &window.passes {
                below.add_exprs(pass.partition_by.iter());
                below.add_exprs(pass.order_by.iter().map(|key| &key.expr));
                for call in &pass.calls {
                    below.add_exprs(call.args.iter().chain(call.filter.iter()));
                }
            }
            prune(&mut window.input, below);
        }
        Node::Distinct { input, .. } => prune(input, Needed::All),
        Node::TableFunction(scan) => {
            if let Some(input) = &mut scan.input {
                prune(input, Needed::All);
            }
        }
        Node::SetOperation { left, right, .. } => {
            prune(left, Needed::All);
            prune(right, Needed::All);
        }
        Node::Join(join) => {
            // Output: the left row, then the right row; the condition reads both.
            let mut joined = needed;
            join.condition
                .iter()
                .for_each(|condition| joined.add_expr(condition));
            let (mut left, mut right) = joined.split_at(join.left_width);
            if join.unmatched_only || join.existence.is_some() {
                // Its rows' right values are NULLs: only its keys and condition read the
                // right input.
                let mut by_condition = Needed::none();
                join.condition
                    .iter()
                    .for_each(|condition| by_condition.add_expr(condition));
                right = by_condition.split_at(join.left_width).1;
            }
            left.add_exprs(join.left_keys.iter());
            if let Some(probe) = &mut join.probe {
                left.add_exprs(probe.values.iter());
                probe.right_unread = right.is_empty();
            }
            right.add_exprs(join.right_keys.iter());
            prune(&mut join.left, left);
            prune(&mut join.right, right);
        }
    }
}

fn mark_access(access: &mut TableAccess, mut needed: Needed) {
    if let Some(filter) = &access.filter {
        needed.add_expr(filter);
    }
    // An index range rechecks each row's key (and a partial index whether it holds the
    // row), so it decodes the columns the index's keys derive from.
    if let AccessPath::IndexRange(range) = &access.path {
        for &column in range.index.storage.source_columns() {
            needed.add(column);
        }
    }
    // So does each index range or NULL-key walk of a union, whose branches decode
    // the same columns as the union.
    if let AccessPath::OrUnion(union) = &access.path {
        for column in union.index_columns() {
            needed.add(column);
        }
    }
    // A key-order walk sorts its overflow rows by their key.
    if let AccessPath::KeyOrder(_) = &access.path {
        if let [column] = access.table.primary_key.as_slice() {
            needed.add(*column);
        }
    }
    let columns_read = match needed {
        Needed::All => None,
        Needed::Some(mut columns) => {
            let width = access.table.columns.len();
            columns.resize(width, false);
            if columns.iter().all(|&read| read) {
                None
            } else {
                Some(columns)
            }
        }
    };
    if let AccessPath::OrUnion(union) = &mut access.path {
        for branch in &mut union.branches {
            branch.access.read = ColumnsRead::some(&access.table, columns_read.clone());
        }
    }
    access.read = ColumnsRead::some(&access.table, columns_read);
}

#[cfg(test)]
#[path = "prune_tests.rs"]
mod tests;
