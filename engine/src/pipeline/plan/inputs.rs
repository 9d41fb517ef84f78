//! The inputs and expressions of a plan node, for passes that visit a whole tree (the
//! strategies, `optimize/strategy.rs`; EXPLAIN's subquery plans, `plan/display.rs`). For
//! the optimizer's passes a CTE's query is shared (`Arc`) and bound, with its own passes,
//! where it is defined; an expression's subquery likewise: neither is an input there.

use super::Node;

impl Node {
    /// Calls `visit` with each input of this node, left to right.
    pub fn for_each_input_mut(&mut self, visit: &mut dyn FnMut(&mut Node)) {
        match self {
            Node::Scan(_)
            | Node::FusedRead(_)
            | Node::System { .. }
            | Node::Values { .. }
            | Node::CteScan(_)
            | Node::WorkTable { .. } => {}
            Node::Filter { input, .. }
            | Node::Project { input, .. }
            | Node::Sort { input, .. }
            | Node::Limit { input, .. }
            | Node::Aggregate { input, .. }
            | Node::Distinct { input, .. } => visit(input),
            Node::Window(window) => visit(&mut window.input),
            Node::TableFunction(scan) => {
                if let Some(input) = &mut scan.input {
                    visit(input);
                }
            }
            Node::Join(join) => {
                visit(&mut join.left);
                visit(&mut join.right);
            }
            Node::SetOperation { left, right, .. } => {
                visit(left);
                visit(right);
            }
            Node::AsOf(as_of) => visit(&mut as_of.input),
            Node::RecursiveUnion(union) => {
                visit(&mut union.initial);
                for step in &mut union.recursive {
                    visit(step);
                }
            }
        }
    }
}

impl Node {
    /// Calls `visit` with each expression this node evaluates itself (not its inputs'):
    /// filters, projections, sort and group keys, aggregate and window arguments, join
    /// keys and conditions, LIMIT and OFFSET, table function arguments, literal rows. A
    /// table access's key values and bounds are not visited: its filter holds the whole
    /// predicate they came from.
    pub fn for_each_expr(&self, visit: &mut dyn FnMut(&crate::expr::Expr)) {
        match self {
            Node::Scan(access) => access.filter.iter().for_each(visit),
            Node::FusedRead(read) => {
                read.access.filter.iter().for_each(&mut *visit);
                read.exprs.iter().flatten().for_each(&mut *visit);
                if let Some(bounds) = &read.limit {
                    bounds.limit.iter().chain(&bounds.offset).for_each(visit);
                }
            }
            Node::System { .. }
            | Node::Distinct { .. }
            | Node::SetOperation { .. }
            | Node::CteScan(_)
            | Node::RecursiveUnion(_)
            | Node::WorkTable { .. } => {}
            Node::Values { rows } => rows.iter().flatten().for_each(visit),
            Node::Filter { predicate, .. } => visit(predicate),
            Node::Project { exprs, .. } => exprs.iter().for_each(visit),
            Node::Sort { keys, top, .. } => {
                keys.iter().for_each(|key| visit(&key.expr));
                if let Some(top) = top {
                    visit(&top.limit);
                    top.offset.iter().for_each(visit);
                }
            }
            Node::Limit { limit, offset, .. } => {
                limit.iter().chain(offset.iter()).for_each(visit);
            }
            Node::Join(join) => {
                join.left_keys
                    .iter()
                    .chain(&join.right_keys)
                    .for_each(&mut *visit);
                join.condition.iter().for_each(visit);
            }
            Node::Aggregate {
                group_by,
                aggregates,
                ..
            } => {
                group_by.iter().for_each(&mut *visit);
                for call in aggregates {
                    call.args
                        .iter()
                        .chain(call.filter.iter())
                        .for_each(&mut *visit);
                }
            }
            Node::Window(window) => {
                for pass in &window.passes {
                    pass.partition_by.iter().for_each(&mut *visit);
                    pass.order_by.iter().for_each(|key| visit(&key.expr));
                    for call in &pass.calls {
                        call.args
                            .iter()
                            .chain(call.filter.iter())
                            .for_each(&mut *visit);
                    }
                }
            }
            Node::TableFunction(scan) => {
                scan.args
                    .iter()
                    .chain(scan.condition.iter())
                    .for_each(visit);
            }
            Node::AsOf(as_of) => visit(&as_of.at),
        }
    }

    /// Calls `visit` with this node and every node below it, inputs before the node.
    pub fn for_each_node(&self, visit: &mut dyn FnMut(&Node)) {
        match self {
            Node::Filter { input, .. }
            | Node::Project { input, .. }
            | Node::Sort { input, .. }
            | Node::Limit { input, .. }
            | Node::Aggregate { input, .. }
            | Node::Distinct { input, .. } => input.for_each_node(visit),
            Node::Window(window) => window.input.for_each_node(visit),
            Node::TableFunction(scan) => {
                if let Some(input) = &scan.input {
                    input.for_each_node(visit);
                }
            }
            Node::Join(join) => {
                join.left.for_each_node(visit);
                join.right.for_each_node(visit);
            }
            Node::SetOperation { left, right, .. } => {
                left.for_each_node(visit);
                right.for_each_node(visit);
            }
            Node::AsOf(as_of) => as_of.input.for_each_node(visit),
            Node::RecursiveUnion(union) => {
                union.initial.for_each_node(visit);
                union
                    .recursive
                    .iter()
                    .for_each(|step| step.for_each_node(visit));
            }
            Node::CteScan(cte) => cte.query.node.for_each_node(visit),
            Node::Scan(_)
            | Node::FusedRead(_)
            | Node::System { .. }
            | Node::Values { .. }
            | Node::WorkTable { .. } => {}
        }
        visit(self);
    }
}
