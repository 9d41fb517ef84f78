//! Generic walks over bound expressions: visiting every node, and rebuilding a tree with its
//! column positions (or any leaf) remapped (used when the join planner changes the row
//! layout).

use super::{Expr, SubqueryKind};

/// Runs `$visit` with `$child` bound to each direct child of `$node`, a `&Expr` (borrow
/// `[&]`) or a `&mut Expr` (`[&mut]`): the one list of an expression's children (an IN
/// subquery's operands included, not its plan), for the shared and the mutable walks.
macro_rules! for_each_child {
    ($node:expr, [$($borrow:tt)+], $child:ident => $visit:expr) => {
        match $node {
            Expr::Literal(_)
            | Expr::Column { .. }
            | Expr::Parameter(_)
            | Expr::OuterColumn { .. } => {}
            Expr::Unary(_, $child)
            | Expr::IsNull { expr: $child, .. }
            | Expr::Cast { expr: $child, .. }
            | Expr::Affinity { expr: $child, .. }
            | Expr::Collate { expr: $child, .. }
            | Expr::CollationKey { expr: $child, .. } => $visit,
            Expr::Binary(_, left, right) => {
                for $child in [left, right] {
                    $visit;
                }
            }
            Expr::Subquery(subquery) => match $($borrow)+ subquery.kind {
                SubqueryKind::In { expr: $child, .. } => $visit,
                SubqueryKind::InRow { exprs, .. } => {
                    for $child in exprs {
                        $visit;
                    }
                }
                SubqueryKind::Scalar | SubqueryKind::Exists { .. } => {}
            },
            Expr::Between {
                expr, low, high, ..
            } => {
                for $child in [expr, low, high] {
                    $visit;
                }
            }
            Expr::InList { expr, list, .. } => {
                {
                    let $child = expr;
                    $visit;
                }
                for $child in list {
                    $visit;
                }
            }
            Expr::Case {
                operand,
                branches,
                else_result,
            } => {
                if let Some($child) = operand {
                    $visit;
                }
                for (when, then) in branches {
                    for $child in [when, then] {
                        $visit;
                    }
                }
                if let Some($child) = else_result {
                    $visit;
                }
            }
            Expr::Function { args, .. } | Expr::UserFunction { args, .. } => {
                for $child in args {
                    $visit;
                }
            }
        }
    };
}

impl Expr {
    /// Calls `visit` on this node and every node below it (not inside subquery plans, but
    /// on an IN subquery's operand).
    pub fn walk(&self, visit: &mut dyn FnMut(&Expr)) {
        self.walk_pruned(&mut |node| {
            visit(node);
            true
        });
    }

    /// Calls `visit` on this node and, where it returns true, on the nodes below it (as
    /// `walk` reaches them); a node for which it returns false is visited, its subtree not.
    pub fn walk_pruned(&self, visit: &mut dyn FnMut(&Expr) -> bool) {
        if visit(self) {
            for_each_child!(self, [&], child => child.walk_pruned(visit));
        }
    }

    /// Calls `visit` on this node and then on every node below it, as `walk` reaches them,
    /// each lent mutably (a rule that marks subqueries, say).
    pub fn walk_mut(&mut self, visit: &mut dyn FnMut(&mut Expr)) {
        visit(self);
        for_each_child!(self, [&mut], child => child.walk_mut(visit));
    }

    /// A copy with every `Column` position replaced by `map(position)`.
    pub fn map_columns(&self, map: &dyn Fn(usize) -> usize) -> Expr {
        self.map_leaves(&|leaf| match leaf {
            Expr::Column { index, name, meta } => Some(Expr::Column {
                index: map(*index),
                name: name.clone(),
                meta: *meta,
            }),
            _ => None,
        })
    }

    /// A copy with every `Column`'s name left empty: expressions equal once bound compare
    /// equal however their columns were named (`t.a`, `a`, `"A"`).
    pub fn without_column_names(&self) -> Expr {
        self.map_leaves(&|leaf| match leaf {
            Expr::Column { index, meta, .. } => Some(Expr::Column {
                index: *index,
                name: String::new(),
                meta: *meta,
            }),
            _ => None,
        })
    }

    /// A copy with every leaf (`Column`, `OuterColumn`, `Literal`, `Parameter`) replaced by
    /// `map(leaf)` where that is `Some` (kept where `None`).
    pub fn map_leaves(&self, map: &dyn Fn(&Expr) -> Option<Expr>) -> Expr {
        let boxed = |expr: &Expr| Box::new(expr.map_leaves(map));
        match self {
            Expr::Column { .. }
            | Expr::Literal(_)
            | Expr::Parameter(_)
            | Expr::OuterColumn { .. } => map(self).unwrap_or_else(|| self.clone()),
            Expr::Unary(op, operand) => Expr::Unary(*op, boxed(operand)),
            Expr::Binary(op, left, right) => Expr::Binary(*op, boxed(left), boxed(right)),
            Expr::IsNull { expr, negated } => Expr::IsNull {
                expr: boxed(expr),
                negated: *negated,
            },
            Expr::Subquery(subquery) => {
                let mut subquery = subquery.clone();
                if let SubqueryKind::In { expr, .. } = &mut subquery.kind {
                    *expr = boxed(expr);
                }
                if let SubqueryKind::InRow { exprs, .. } = &mut subquery.kind {
                    for expr in exprs.iter_mut() {
                        *expr = expr.map_leaves(map);
                    }
                }
                Expr::Subquery(subquery)
            }
            Expr::Between {
                expr,
                low,
                high,
                negated,
            } => Expr::Between {
                expr: boxed(expr),
                low: boxed(low),
                high: boxed(high),
                negated: *negated,
            },
            Expr::InList {
                expr,
                list,
                negated,
            } => Expr::InList {
                expr: boxed(expr),
                list: list.iter().map(|item| item.map_leaves(map)).collect(),
                negated: *negated,
            },
            Expr::Case {
                operand,
                branches,
                else_result,
            } => Expr::Case {
                operand: operand.as_deref().map(boxed),
                branches: branches
                    .iter()
                    .map(|(when, then)| (when.map_leaves(map), then.map_leaves(map)))
                    .collect(),
                else_result: else_result.as_deref().map(boxed),
            },
            Expr::Cast { expr, affinity } => Expr::Cast {
                expr: boxed(expr),
                affinity: *affinity,
            },
            Expr::Affinity { expr, affinity } => Expr::Affinity {
                expr: boxed(expr),
                affinity: *affinity,
            },
            Expr::Function { function, args } => Expr::Function {
                function: *function,
                args: args.iter().map(|arg| arg.map_leaves(map)).collect(),
            },
            Expr::UserFunction { function, args } => Expr::UserFunction {
                function: function.clone(),
                args: args.iter().map(|arg| arg.map_leaves(map)).collect(),
            },
            Expr::Collate { expr, collation } => Expr::Collate {
                expr: boxed(expr),
                collation: *collation,
            },
            Expr::CollationKey { expr, collation } => Expr::CollationKey {
                expr: boxed(expr),
                collation: *collation,
            },
        }
    }

    /// The column positions the expression reads (outside subquery plans).
    pub fn columns_read(&self) -> Vec<usize> {
        let mut columns = Vec::new();
        self.walk(&mut |expr| {
            if let Expr::Column { index, .. } = expr {
                columns.push(*index);
            }
        });
        columns
    }

    /// Calls `read` with each column position of the row the expression is evaluated on
    /// that it reads, once per reference: its own columns and its correlated subqueries'
    /// reads of that row (`SubqueryExpr::outer_reads` at level 1).
    pub fn for_each_row_read(&self, read: &mut dyn FnMut(usize)) {
        self.walk(&mut |node| match node {
            Expr::Column { index, .. } => read(*index),
            Expr::Subquery(subquery) => subquery
                .outer_reads
                .iter()
                .filter(|outer| outer.level == 1)
                .for_each(|outer| read(outer.index)),
            _ => {}
        });
    }

    /// Whether the expression holds a correlated subquery (whose outer references assume the
    /// row layout the expression was bound against).
    pub fn has_correlated_subquery(&self) -> bool {
        let mut found = false;
        self.walk(&mut |expr| {
            if let Expr::Subquery(subquery) = expr {
                found |= subquery.correlated;
            }
        });
        found
    }
}
