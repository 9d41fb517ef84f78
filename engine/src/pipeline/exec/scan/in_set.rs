//! Probing the members of an uncorrelated `x IN (SELECT ..)` set instead of scanning: the
//! set's integer members (`SubqueryExpr::integer_members`), and the rows of a `KeyInSet`
//! access, found by looking each member up as the INTEGER primary key, in ascending key
//! order, each rechecked against the access's whole filter. A set with more members than
//! probing pays for is refused (`None` / `Ok(false)`): the caller scans, and the filter
//! tests the set.

use ember_storage::index::IndexKey;
use ember_storage::{RowId, Value};

use crate::error::Result;
use crate::expr::{passes, RowTest, SubqueryExpr};
use crate::plan::TableAccess;

use super::super::ExecContext;

/// A probe costs about this many rows of a scan: a set with more members than the table's
/// rows over this scans instead.
const PROBE_COST_ROWS: u64 = 8;

/// The integer members of an IN subquery's set, to probe `access`'s table with; `None`
/// when probing each would cost more than a scan (the caller scans, the filter testing the
/// set).
pub(super) fn set_members(
    access: &TableAccess,
    subquery: &SubqueryExpr,
    context: &ExecContext<'_>,
) -> Result<Option<Vec<i64>>> {
    let rows = access.table.storage.slots_in_use();
    // Probing pays for at most rows / PROBE_COST_ROWS members; a larger set is not
    // collected.
    let most = usize::try_from(rows / PROBE_COST_ROWS).unwrap_or(usize::MAX);
    subquery.integer_members(&context.eval, most)
}

/// Calls `visit` with every row of a `KeyInSet` access (its key a member of `subquery`'s
/// set) that passes the access's filter, in ascending key order, each decoded into
/// `buffer` (which `visit` may take), until `visit` returns `Ok(false)`. `Ok(false)` when
/// the set is too large to probe (nothing was visited: the caller scans instead).
pub(super) fn for_each_key_row(
    access: &TableAccess,
    subquery: &SubqueryExpr,
    context: &ExecContext<'_>,
    buffer: &mut Vec<Value>,
    mut visit: impl FnMut(RowId, &mut Vec<Value>) -> Result<bool>,
) -> Result<bool> {
    let Some(mut members) = set_members(access, subquery, context)? else {
        return Ok(false);
    };
    // Each member once (the set's keys are distinct), in the order a scan would give.
    members.sort_unstable();
    debug_assert!(members.windows(2).all(|pair| pair[0] < pair[1]));
    let storage = &access.table.storage;
    let decoder = access.read.decoder();
    let mut filter = access.filter.as_ref().map(RowTest::new);
    for member in members {
        let key = IndexKey::Int(member);
        let Some(row_id) = context
            .txn
            .read_key_decoded(storage, &key, decoder, buffer)?
        else {
            continue;
        };
        if !passes(&mut filter, buffer, &context.eval)? {
            continue;
        }
        if !visit(row_id, buffer)? {
            break;
        }
    }
    Ok(true)
}
