//! `PRAGMA recursive_triggers`: whether a trigger may fire while it runs (its own body's
//! change firing it again, up to `limits::TRIGGER_DEPTH_MAX` levels, past which the
//! statement fails with `too many levels of trigger recursion`), and the rows a REPLACE
//! removes fire the table's DELETE triggers (`exec/write/trigger/replace.rs`). Per connection
//! and OFF by default, as in SQLite; it may be set inside a transaction too.

use sqlparser::ast::Statement;

use crate::connection::{Connection, Outcome};
use crate::error::Result;

/// Runs `PRAGMA recursive_triggers[= value]`; `None` when the statement is another PRAGMA.
pub(crate) fn pragma(conn: &Connection, statement: &Statement) -> Option<Result<Outcome>> {
    crate::session::foreign_keys::connection_flag_pragma(
        statement,
        "recursive_triggers",
        &conn.recursive_triggers,
    )
}
