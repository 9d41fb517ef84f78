//! Rule: a statement whose query reads one table and at most projects and limits its rows
//! (`[Limit] over [Project] over Scan`, any access path) runs as one fused read
//! (`plan::FusedRead`): the commonest OLTP queries (point selects, index lookups,
//! `ORDER BY indexed LIMIT n`, pages of a table) then run as one loop with no operator
//! tree. Applied last, to the statement's root only: the rules before it, and the
//! operators that read a subquery's or an INSERT's source, see the nodes themselves.

use crate::plan::{FusedRead, Node};

/// Makes `root` a fused read when it has that form.
pub fn fuse_read(root: &mut Node) {
    if let Some(read) = FusedRead::take(root) {
        *root = Node::FusedRead(Box::new(read));
    }
}

#[cfg(test)]
mod tests {
    use crate::plan::{Node, Plan};
    use crate::Database;

    /// The root of `sql`'s plan after the optimizer, over a table with an index.
    fn root_is_fused(sql: &str) -> bool {
        let db = Database::in_memory();
        let conn = db.connect();
        conn.execute_batch(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, a INT, s TEXT); CREATE INDEX t_a ON t(a);",
        )
        .unwrap();
        let prepared = conn.prepared(sql).unwrap();
        let Plan::Query(query) = &prepared.plan else {
            panic!("{sql} is not a query");
        };
        matches!(query.node, Node::FusedRead(_))
    }

    #[test]
    fn a_read_of_one_table_projected_and_limited_is_fused() {
        for sql in [
            "SELECT * FROM t",
            "SELECT s FROM t WHERE id = 3",
            "SELECT s FROM t WHERE id = 3 LIMIT 1",
            "SELECT id, s FROM t WHERE a = 2",
            "SELECT id FROM t WHERE a > 2 ORDER BY a LIMIT 5 OFFSET 2",
            "SELECT s || 'x' FROM t WHERE s LIKE 'a%' LIMIT ?",
            "SELECT id FROM t ORDER BY id DESC LIMIT 3",
        ] {
            assert!(root_is_fused(sql), "{sql}");
        }
    }

    #[test]
    fn a_query_with_any_other_operator_is_not_fused() {
        for sql in [
            "SELECT count(*) FROM t",
            "SELECT s FROM t ORDER BY s LIMIT 3",
            "SELECT DISTINCT s FROM t",
            "SELECT t.s FROM t JOIN t AS u ON u.id = t.a",
            "SELECT s FROM t UNION SELECT s FROM t",
            "SELECT 1",
        ] {
            assert!(!root_is_fused(sql), "{sql}");
        }
    }
}
