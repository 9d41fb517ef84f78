//! The modes of BEGIN: `ISOLATION LEVEL SERIALIZABLE` asks for SERIALIZABLE; `SNAPSHOT`
//! and `REPEATABLE READ` name snapshot isolation (what PostgreSQL calls REPEATABLE READ);
//! `READ COMMITTED` and `READ UNCOMMITTED` get it too (a stronger level than asked, which the
//! SQL standard allows). Access modes (`READ ONLY`, `READ WRITE`) are refused by name.

use sqlparser::ast::{TransactionIsolationLevel, TransactionMode};

use ember_storage::Isolation;

use crate::error::Result;

/// The isolation level BEGIN's modes name (`None`: none named); one level at most.
pub(super) fn isolation(modes: &[TransactionMode]) -> Result<Option<Isolation>> {
    let mut named = None;
    for mode in modes {
        let level = match mode {
            TransactionMode::IsolationLevel(level) => level,
            TransactionMode::AccessMode(_) => {
                return Err(crate::err!(
                    Unsupported,
                    "transaction mode {mode} is not supported"
                ))
            }
        };
        let isolation = match level {
            TransactionIsolationLevel::Serializable => Isolation::Serializable,
            TransactionIsolationLevel::Snapshot
            | TransactionIsolationLevel::RepeatableRead
            | TransactionIsolationLevel::ReadCommitted
            | TransactionIsolationLevel::ReadUncommitted => Isolation::Snapshot,
        };
        if named.is_some_and(|named| named != isolation) {
            return Err(crate::err!(
                InvalidInput,
                "BEGIN names two different isolation levels"
            ));
        }
        named = Some(isolation);
    }
    Ok(named)
}
