//! The FROM clause as the binder leaves it for the optimizer's join rule
//! (`optimize/join_order.rs`): each FROM item bound, with its place in the syntactic row
//! layout (every relation's columns in FROM order), how it joins the items before it and its
//! ON conjuncts.

use std::sync::Arc;

use crate::catalog::TableDef;
use crate::expr::Expr;

use super::{JoinKind, Node};

/// Where a relation's rows come from.
pub enum RelationSource {
    /// A base table: its access path is chosen once its pushed-down filters are known.
    Table(Arc<TableDef>),
    /// Anything already planned: a subquery, a view, a system table.
    Node(Node),
}

/// One FROM item, bound.
pub struct Relation {
    pub source: RelationSource,
    pub width: usize,
    /// Position of its first column in the syntactic row layout.
    pub offset: usize,
    /// How it joins the relations before it (ignored for the first).
    pub kind: JoinKind,
    /// Its join's ON / USING conjuncts, over the syntactic layout.
    pub on: Vec<Expr>,
}
