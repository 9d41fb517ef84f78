//! `PRAGMA bloom_filter_joins`: whether the hash joins the optimizer marks
//! (`optimize/join_bloom.rs`) test their streamed rows against a runtime bloom filter of
//! the build side's keys (`exec/join/bloom.rs`). Per connection, ON by default; OFF runs
//! the same plans without the filter (same answers, for comparing and measuring).

use sqlparser::ast::Statement;

use crate::connection::{Connection, Outcome};
use crate::error::Result;

/// Runs `PRAGMA bloom_filter_joins[= value]`; `None` when the statement is another PRAGMA.
pub(crate) fn pragma(conn: &Connection, statement: &Statement) -> Option<Result<Outcome>> {
    let Statement::Pragma { name, value, .. } = statement else {
        return None;
    };
    let name = name.to_string();
    if !name.eq_ignore_ascii_case("bloom_filter_joins") {
        return None;
    }
    let flag = &conn.bloom_joins;
    let value = value.as_ref().map(|v| v.to_string());
    Some(crate::session::foreign_keys::flag_pragma(
        &name,
        value,
        flag.get(),
        |on| flag.set(on),
    ))
}
