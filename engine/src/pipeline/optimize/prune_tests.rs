//! Column pruning reaches every plan of a statement: the scans of a statement's own tree,
//! of its subqueries (scalar or IN; correlated or not) and of its materialized CTEs
//! decode only the columns their operators read, and the answers stay whole.

use std::sync::Arc;

use ember_storage::Value;

use crate::expr::Expr;
use crate::plan::{Node, Plan, Query};

// The whole file is test code (`mod tests` is `#[cfg(test)]`); the attribute also tells
// tidy_layers that this import of the session layer is a test's.
#[cfg(test)]
use crate::{Connection, Database};

fn tables() -> Connection {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, a INT, b INT, c REAL, s TEXT, g TEXT);
         CREATE TABLE u(id INTEGER PRIMARY KEY, t_id INT, x REAL);
         INSERT INTO t VALUES (1, 10, 100, 0.5, 'one', 'g1'), (2, 20, 200, 1.5, 'two', 'g2'),
                              (3, 30, 300, 2.5, 'three', 'g1');
         INSERT INTO u VALUES (1, 1, 0.25), (2, 3, 0.75), (3, 9, 1.25);",
    )
    .unwrap();
    conn
}

/// Every scan of the statement's plan, its subqueries' and its CTEs', in tree order: the
/// table's name and the columns decoded (`None`: every one).
fn scans(conn: &Connection, sql: &str) -> Vec<(String, Option<Vec<bool>>)> {
    let prepared = conn.prepared(sql).unwrap();
    let Plan::Query(query) = &prepared.plan else {
        panic!("{sql} is not a query");
    };
    let mut found = Vec::new();
    collect(&query.node, &mut found);
    found
}

fn collect(node: &Node, found: &mut Vec<(String, Option<Vec<bool>>)>) {
    let mut subqueries: Vec<Arc<Query>> = Vec::new();
    let mut exprs = |exprs: &mut dyn Iterator<Item = &Expr>| {
        for expr in exprs {
            expr.walk(&mut |expr| {
                if let Expr::Subquery(subquery) = expr {
                    subqueries.push(subquery.query.clone());
                }
            });
        }
    };
    match node {
        Node::Scan(access) => {
            exprs(&mut access.filter.iter());
            let read = access.read.columns().map(<[bool]>::to_vec);
            found.push((access.table.name.clone(), read));
        }
        Node::FusedRead(fused) => {
            exprs(
                &mut fused
                    .access
                    .filter
                    .iter()
                    .chain(fused.exprs.iter().flatten()),
            );
            let read = fused.access.read.columns().map(<[bool]>::to_vec);
            found.push((fused.access.table.name.clone(), read));
        }
        Node::Project { input, exprs: list } => {
            exprs(&mut list.iter());
            collect(input, found);
        }
        Node::Filter { input, predicate } => {
            exprs(&mut std::iter::once(predicate));
            collect(input, found);
        }
        Node::Sort { input, .. } | Node::Limit { input, .. } | Node::Distinct { input, .. } => {
            collect(input, found)
        }
        Node::Aggregate { input, .. } => collect(input, found),
        Node::Join(join) => {
            collect(&join.left, found);
            collect(&join.right, found);
        }
        Node::CteScan(cte) => collect(&cte.query.node, found),
        _ => panic!("the test does not walk this node"),
    }
    for query in subqueries {
        collect(&query.node, found);
    }
}

/// Which of `t`'s six columns (id, a, b, c, s, g) a mask decodes.
fn t_columns(read: &Option<Vec<bool>>) -> String {
    let names = ["id", "a", "b", "c", "s", "g"];
    match read {
        None => "all".to_string(),
        Some(mask) => names
            .iter()
            .zip(mask)
            .filter(|(_, &read)| read)
            .map(|(name, _)| *name)
            .collect::<Vec<_>>()
            .join(","),
    }
}

fn rows(conn: &Connection, sql: &str) -> Vec<Vec<Value>> {
    conn.query(sql, ()).unwrap().into_values()
}

#[test]
fn an_uncorrelated_scalar_subquery_decodes_only_what_it_reads() {
    let conn = tables();
    let sql = "SELECT count(*), (SELECT max(c) FROM t) FROM u";
    let found = scans(&conn, sql);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[1].0, "t");
    assert_eq!(t_columns(&found[1].1), "c");
    assert_eq!(
        rows(&conn, sql),
        vec![vec![Value::Integer(3), Value::Real(2.5)]]
    );
}

#[test]
fn in_and_correlated_subqueries_decode_their_keys_and_filters() {
    let conn = tables();
    let sql = "SELECT id FROM u WHERE t_id IN (SELECT id FROM t WHERE g = 'g1')";
    let found = scans(&conn, sql);
    let t_scan = found
        .iter()
        .find(|(name, _)| name == "t")
        .expect("a scan of t");
    assert_eq!(t_columns(&t_scan.1), "id,g");
    assert_eq!(
        rows(&conn, sql),
        vec![vec![Value::Integer(1)], vec![Value::Integer(2)]]
    );
    // Correlated: the filter's columns are decoded, the others are not.
    let sql = "SELECT id, (SELECT s FROM t WHERE t.id = u.t_id) FROM u ORDER BY id";
    let found = scans(&conn, sql);
    let t_scan = found
        .iter()
        .find(|(name, _)| name == "t")
        .expect("a scan of t");
    assert_eq!(t_columns(&t_scan.1), "id,s");
    assert_eq!(
        rows(&conn, sql),
        vec![
            vec![Value::Integer(1), Value::Text("one".into())],
            vec![Value::Integer(2), Value::Text("three".into())],
            vec![Value::Integer(3), Value::Null],
        ]
    );
}

#[test]
fn a_materialized_cte_decodes_only_what_its_body_reads() {
    let conn = tables();
    let sql = "WITH m AS (SELECT g, sum(b) AS total FROM t GROUP BY g) \
               SELECT x.g, x.total FROM m AS x JOIN m AS y ON x.g = y.g ORDER BY x.g";
    let found = scans(&conn, sql);
    let t_scan = found
        .iter()
        .find(|(name, _)| name == "t")
        .expect("a scan of t");
    assert_eq!(t_columns(&t_scan.1), "b,g");
    assert_eq!(
        rows(&conn, sql),
        vec![
            vec![Value::Text("g1".into()), Value::Integer(400)],
            vec![Value::Text("g2".into()), Value::Integer(200)],
        ]
    );
}
