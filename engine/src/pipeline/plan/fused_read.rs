//! The fused read: a query that reads one table (by any access path), at most projects
//! each row and at most applies a LIMIT/OFFSET, run as one loop with no operator tree
//! (`exec/query/fused_read.rs`). The optimizer makes a statement's root one when it has
//! that form (`optimize/fused_read.rs`); EXPLAIN marks its first line `(fused read)`.

use crate::expr::Expr;

use super::{Node, TableAccess};

/// A LIMIT and OFFSET, as a `Limit` node holds them.
pub struct ReadLimit {
    pub limit: Option<Expr>,
    pub offset: Option<Expr>,
}

/// The parts of a fused read, in the order rows pass them: the access, the projection,
/// the limit.
pub struct FusedRead {
    pub access: TableAccess,
    /// The projection list (`None`: the access's decoded rows go out whole).
    pub exprs: Option<Vec<Expr>>,
    pub limit: Option<ReadLimit>,
}

impl FusedRead {
    /// Takes the parts of `node` when it is `[Limit] over [Project] over Scan`, leaving an
    /// empty `Values` node in its place; `None` (the node untouched) otherwise.
    pub fn take(node: &mut Node) -> Option<FusedRead> {
        if !Self::fuses(node) {
            return None;
        }
        let node = std::mem::replace(node, Node::Values { rows: Vec::new() });
        let (limit, node) = match node {
            Node::Limit {
                input,
                limit,
                offset,
            } => (Some(ReadLimit { limit, offset }), *input),
            other => (None, other),
        };
        let (exprs, node) = match node {
            Node::Project { input, exprs } => (Some(exprs), *input),
            other => (None, other),
        };
        let Node::Scan(access) = node else {
            unreachable!("`fuses` checked that a scan is below the limit and projection");
        };
        Some(FusedRead {
            access,
            exprs,
            limit,
        })
    }

    /// The key of a read by the whole primary key without LIMIT (at most one row, read
    /// into the connection's kept buffers: `exec/query/key_lookup.rs`); `None` otherwise.
    pub fn point_key(&self) -> Option<&[Expr]> {
        match (&self.access.path, &self.limit) {
            (super::AccessPath::KeyLookup(key), None) => Some(key),
            _ => None,
        }
    }

    /// The addresses EXPLAIN ANALYZE counts the projection's and the access's rows under
    /// (`exec::profile::note_at`), each when it is a line of its own below the first (the
    /// first line counts as the node: the rows the read returned).
    pub fn counted_parts(&self) -> [Option<usize>; 2] {
        let project = match (&self.limit, &self.exprs) {
            (Some(_), Some(exprs)) => Some(exprs as *const Vec<Expr> as usize),
            _ => None,
        };
        let below_first = self.limit.is_some() || self.exprs.is_some();
        let access = below_first.then_some(&self.access as *const TableAccess as usize);
        [project, access]
    }

    /// Whether `node` has the form of a fused read.
    fn fuses(node: &Node) -> bool {
        let node = match node {
            Node::Limit { input, .. } => input.as_ref(),
            other => other,
        };
        let node = match node {
            Node::Project { input, .. } => input.as_ref(),
            other => other,
        };
        matches!(node, Node::Scan(_))
    }
}
