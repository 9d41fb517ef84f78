//! The plan of one table reference read in the past: `FROM t FOR SYSTEM_TIME AS OF <at>`
//! (bound by `bind::as_of`, run by `exec::query::as_of`).

use std::sync::Arc;

use crate::catalog::TableDef;
use crate::expr::Expr;

use super::Node;

/// The rows of `input` (a scan of `table`) as they were right after a past commit: `at` is
/// an INTEGER commit number or a TEXT time (the newest commit at or before it).
pub struct AsOfScan {
    pub table: Arc<TableDef>,
    pub at: Expr,
    pub input: Node,
}
