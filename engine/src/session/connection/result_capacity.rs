//! How many rows a query's result list is sized for before the query runs: a query under a
//! LIMIT (a literal or a parameter) returns at most that many rows, so its list is made
//! once at that size (bounded by `limits::RESULT_ROWS_PRESIZED_MAX`) instead of growing
//! through every power of two; any other statement starts empty.

use ember_storage::Value;

use crate::expr::Expr;
use crate::limits::RESULT_ROWS_PRESIZED_MAX;
use crate::plan::{Node, Plan};

/// The capacity to give the result list of `plan` run with `params`.
pub(super) fn result_capacity(plan: &Plan, params: &[Value]) -> usize {
    let Plan::Query(query) = plan else {
        return 0;
    };
    let limit = match &query.node {
        Node::Limit { limit, .. } => limit.as_ref(),
        Node::FusedRead(read) => read.limit.as_ref().and_then(|bounds| bounds.limit.as_ref()),
        _ => None,
    };
    let Some(limit) = limit else {
        return 0;
    };
    let count = match limit {
        Expr::Literal(value) => value,
        Expr::Parameter(index) => match params.get(*index) {
            Some(value) => value,
            None => return 0,
        },
        _ => return 0,
    };
    match count {
        // LIMIT 0 returns nothing; a negative LIMIT none, as the Limit evaluates it.
        Value::Integer(n) if *n > 0 => usize::try_from(*n).map_or(RESULT_ROWS_PRESIZED_MAX, |n| {
            n.min(RESULT_ROWS_PRESIZED_MAX)
        }),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use crate::Database;

    use super::*;

    fn capacity_of(sql: &str, params: &[Value]) -> usize {
        let db = Database::in_memory();
        let conn = db.connect();
        conn.execute("CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT)", ())
            .unwrap();
        let prepared = conn.prepared(sql).unwrap();
        assert!(matches!(prepared.plan, Plan::Query(_)));
        result_capacity(&prepared.plan, params)
    }

    #[test]
    fn a_limit_sizes_the_result_list_up_to_the_bound() {
        assert_eq!(capacity_of("SELECT * FROM t ORDER BY b LIMIT 10", &[]), 10);
        assert_eq!(capacity_of("SELECT b FROM t LIMIT 3 OFFSET 5", &[]), 3);
        assert_eq!(
            capacity_of("SELECT * FROM t LIMIT ?", &[Value::Integer(7)]),
            7
        );
        assert_eq!(
            capacity_of("SELECT * FROM t LIMIT 1000000000", &[]),
            RESULT_ROWS_PRESIZED_MAX
        );
    }

    #[test]
    fn no_usable_limit_starts_empty() {
        assert_eq!(capacity_of("SELECT * FROM t", &[]), 0);
        assert_eq!(capacity_of("SELECT * FROM t LIMIT 0", &[]), 0);
        assert_eq!(capacity_of("SELECT * FROM t LIMIT -1", &[]), 0);
        assert_eq!(
            capacity_of("SELECT * FROM t LIMIT ?", &[Value::Text("x".into())]),
            0
        );
        assert_eq!(capacity_of("SELECT * FROM t LIMIT 2 + 3", &[]), 0);
    }

    #[test]
    fn a_presized_result_holds_exactly_the_rows() {
        let db = Database::in_memory();
        let conn = db.connect();
        conn.execute_batch(
            "CREATE TABLE t(a INTEGER PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3)",
        )
        .unwrap();
        let rows = conn
            .query("SELECT a FROM t ORDER BY a LIMIT 10", ())
            .unwrap();
        assert_eq!(rows.len(), 3);
        let rows = conn.query("SELECT a FROM t LIMIT ? OFFSET 2", [5]).unwrap();
        assert_eq!(rows.len(), 1);
    }
}
