//! The test that keeps a table's expired rows out of every read of it: `unexpired(col)`
//! over its `expire_at` column, `unexpired(col or NULL, written, ttl_ms)` with a `ttl`
//! (`expr/expiry.rs` evaluates it). It joins the filter of every access to such a table,
//! so whichever path reaches a row rechecks it.

use crate::catalog::TableDef;
use crate::expr::Expr;

/// The test that a row of `table` has not expired (expr/expiry.rs): `unexpired(col)` for
/// its `expire_at` column, `unexpired(col or NULL, written, ttl_ms)` with a `ttl`; `None`
/// for a table whose rows never expire.
pub fn expiry_test(table: &TableDef) -> Option<Expr> {
    let column = |index: usize| Expr::Column {
        index,
        name: table.columns[index].name.clone(),
        meta: table.columns[index].meta(),
    };
    let expire = table.options.expire_at.map(column);
    let args = match (expire, table.options.ttl_ms, table.write_time_column()) {
        (None, None, _) => return None,
        (Some(expire), None, _) => vec![expire],
        (expire, Some(ttl), Some(written)) => vec![
            expire.unwrap_or(Expr::Literal(ember_storage::Value::Null)),
            column(written),
            Expr::Literal(ember_storage::Value::Integer(ttl as i64)),
        ],
        (_, Some(_), None) => {
            debug_assert!(false, "a table with ttl has its write-time column");
            return None;
        }
    };
    Some(Expr::Function {
        function: crate::expr::Function::Unexpired,
        args,
    })
}
