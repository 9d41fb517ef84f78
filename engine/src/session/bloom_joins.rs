//! `PRAGMA bloom_filter_joins`: whether the hash joins the optimizer marks
//! (`optimize/join_bloom.rs`) test their streamed rows against a runtime bloom filter of
//! the build side's keys (`exec/join/bloom.rs`). Per connection, ON by default; OFF runs
//! the same plans without the filter (same answers, for comparing and measuring).

use sqlparser::ast::Statement;

use crate::connection::{Connection, Outcome};
use crate::error::Result;

/// Runs `PRAGMA bloom_filter_joins[= value]`; `None` when the statement is another PRAGMA.
pub(crate) fn pragma(conn: &Connection, statement: &Statement) -> Option<Result<Outcome>> {
    crate::session::foreign_keys::connection_flag_pragma(
        statement,
        "bloom_filter_joins",
        &conn.bloom_joins,
    )
}
