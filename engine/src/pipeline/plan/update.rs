//! UPDATE ... FROM, planned: the FROM items joined into one source (planned as a query's
//! FROM, with the WHERE conjuncts that read only them), and how a target row finds its
//! source row: equality keys hashed over the source rows, then a condition over the
//! joined row (the target row's columns, then the source row's).
//!
//! ```text
//! UPDATE t SET v = s.v FROM s WHERE s.id = t.id AND s.v > 0
//!
//! Update t set v = s.v
//! └─ UpdateFrom hash (t.id = s.id)
//!    ├─ Scan t
//!    └─ Scan s filter (s.v > 0)
//! ```

use crate::expr::Expr;

use super::{Node, OnConflict};

/// The FROM clause of an UPDATE.
pub struct UpdateFrom {
    /// The FROM items joined; its rows are their columns in FROM order.
    pub source: Node,
    /// `target_keys` over the target row must equal `source_keys` over the source row (SQL
    /// equality; a NULL key matches nothing). Empty: every source row is a candidate.
    pub target_keys: Vec<Expr>,
    pub source_keys: Vec<Expr>,
    /// The other conjuncts that read the FROM items, over the joined row.
    pub condition: Option<Expr>,
}

impl OnConflict {
    /// ` or ignore` and the like, as EXPLAIN shows an UPDATE's conflict clause (empty for
    /// ABORT, the default).
    pub(super) fn clause_text(self) -> &'static str {
        match self {
            OnConflict::Abort | OnConflict::Declared => "",
            OnConflict::Ignore => " or ignore",
            OnConflict::Replace => " or replace",
            OnConflict::Fail => " or fail",
            OnConflict::Rollback => " or rollback",
        }
    }
}
