//! The operator trees of correlated subqueries, kept for one statement execution: a
//! correlated subquery runs once per outer row, and building its operators each time
//! (allocating them, compiling projections, then freeing it all) costs more than a short
//! run itself. The first run builds the tree; each later run rewinds it
//! (`Operator::rewind`, which keeps what the operators compiled and makes again what they
//! read from the enclosing row) and builds anew only when an operator cannot rewind.

use std::sync::Arc;

use crate::exec::{self, Operator};
use crate::plan::Query;

/// Subquery ids past this one are built for every run (a statement has far fewer).
pub(super) const KEPT_TREE_IDS_MAX: usize = 1024;

/// A built operator tree together with the plan it borrows.
pub(super) struct KeptTree {
    /// Borrows nodes of `*query`. Declared first so it is dropped first: the nodes outlive
    /// every use of the operators.
    operator: Box<dyn Operator + 'static>,
    query: Arc<Query>,
}

impl KeptTree {
    /// Builds the operator tree of `query`.
    pub(super) fn build(query: &Arc<Query>) -> KeptTree {
        let query = Arc::clone(query);
        let operator = exec::build(&query.node);
        // SAFETY: the operators borrow only nodes of the plan (`exec::build` takes nothing
        // else, and `Operator::next` takes its context for the call alone, so no operator
        // can keep a reference of the context's lifetime). Those nodes live in the `Query`
        // allocation that `query` keeps alive: an `Arc`'s value never moves, and a `Query`
        // is never changed while shared. The 'static lifetime never leaves this type: the
        // operator is lent out only for a borrow of `self` (`operator`), and it is dropped
        // before `query` (field order), so no borrowed node is read after it is freed.
        let operator = unsafe {
            std::mem::transmute::<Box<dyn Operator + '_>, Box<dyn Operator + 'static>>(operator)
        };
        KeptTree { operator, query }
    }

    /// Whether this tree was built for `query`.
    pub(super) fn is_of(&self, query: &Arc<Query>) -> bool {
        Arc::ptr_eq(&self.query, query)
    }

    /// Makes the tree start over for another run; false when an operator cannot (then
    /// the tree is to be built anew).
    pub(super) fn rewind(&mut self) -> bool {
        self.operator.rewind()
    }

    /// The tree, to run.
    pub(super) fn operator(&mut self) -> &mut (dyn Operator + '_) {
        self.operator.as_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::ExecContext;
    use crate::expr::{EvalContext, Expr};
    use crate::plan::Node;
    use ember_storage::Value;

    fn texts(operator: &mut dyn Operator, context: &ExecContext<'_>) -> Vec<Value> {
        let mut values = Vec::new();
        while let Some(row) = operator.next(context).expect("next") {
            values.extend(row);
        }
        values
    }

    /// A kept tree outlives every other handle on its plan: the nodes it borrows stay
    /// alive through its own `Arc` (a use after free here shows under Miri or a sanitizer
    /// and, freed memory being reused, as wrong values), and they go with the tree.
    #[test]
    fn a_kept_tree_keeps_its_plan_alive_and_rewinds() {
        let rows = ["one", "two", "three"]
            .iter()
            .map(|text| vec![Expr::Literal(Value::Text((*text).into()))])
            .collect();
        let query = Arc::new(Query {
            node: Node::Values { rows },
            columns: vec!["x".into()],
        });
        let mut tree = KeptTree::build(&query);
        assert!(tree.is_of(&query));
        let plan = Arc::downgrade(&query);
        drop(query);
        // Memory freed now would be handed out again to these.
        let _reuse: Vec<Vec<u8>> = (0..64).map(|n| vec![n as u8; 48]).collect();
        let store = ember_storage::Store::new();
        let txn = store.begin().expect("begin");
        let context = ExecContext {
            txn: &txn,
            eval: EvalContext::with_params(&[]),
            rows_max: 1000,
            buffers: None,
            work: None,
        };
        let expected: Vec<Value> = ["one", "two", "three"]
            .iter()
            .map(|text| Value::Text((*text).into()))
            .collect();
        assert_eq!(texts(tree.operator(), &context), expected);
        if tree.rewind() {
            assert_eq!(texts(tree.operator(), &context), expected);
        }
        assert!(plan.upgrade().is_some(), "the tree holds its plan");
        drop(tree);
        assert!(plan.upgrade().is_none(), "the plan goes with the tree");
    }
}
