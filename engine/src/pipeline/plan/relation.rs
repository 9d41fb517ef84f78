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
    /// A base table: its access path is chosen once its pushed-down filters are known,
    /// within what its index hint allows.
    Table(Arc<TableDef>, Option<IndexHint>),
    /// Anything already planned: a subquery, a view, a system table.
    Node(Node),
}

/// SQLite's index hint on a table in FROM, honoured by the optimizer
/// (`optimize/index_hint.rs`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IndexHint {
    /// `INDEXED BY name`: every access path of the reference reads through this index
    /// (the binder checked it is the table's).
    IndexedBy(String),
    /// `NOT INDEXED`: no secondary index; primary-key lookups stay allowed.
    NotIndexed,
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
