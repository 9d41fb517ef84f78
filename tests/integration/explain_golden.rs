//! EXPLAIN is the plan that runs: a golden plan for each physical node and strategy the
//! optimizer chooses (access paths, aggregate and DISTINCT strategies, joins, sorts, windows,
//! set operations), and for every golden query EXPLAIN ANALYZE runs the same operators
//! (its plan, counts stripped, is EXPLAIN's) with the root's row count equal to the rows a
//! plain run returns.

use ember::{Connection, Database};

use crate::support::explain;

fn loaded() -> Connection {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, a INT, b INT, s TEXT, h INT);
         CREATE INDEX t_a ON t(a);
         CREATE INDEX t_s ON t(s);
         CREATE INDEX t_h ON t USING HASH (h);
         CREATE TABLE u(id INTEGER PRIMARY KEY, t_id INT, x REAL);
         CREATE INDEX u_t ON u(t_id);
         CREATE TABLE v(k INT, w TEXT);
         INSERT INTO t WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 300)
           SELECT n, n % 17, n % 5, 's' || (n % 23), n % 7 FROM c;
         INSERT INTO u WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 500)
           SELECT n, n % 311, n * 0.5 FROM c;
         INSERT INTO v VALUES (1, 'x'), (2, 'y'), (2, 'z'), (NULL, 'n');",
    )
    .unwrap();
    conn
}

/// Each query and the lines of the plan EXPLAIN gives for it.
const GOLDEN: &[(&str, &[&str])] = &[
    (
        "SELECT * FROM t",
        &["Project id, a, b, s, h (fused read)", "└─ Scan t"],
    ),
    (
        "SELECT s FROM t WHERE id = 7",
        &[
            "Project s (fused read)",
            "└─ KeyLookup t (id = 7) filter (id = 7)",
        ],
    ),
    (
        "SELECT id FROM t WHERE id IN (3, 5, 400)",
        &[
            "Project id (fused read)",
            "└─ KeyIn t (id = 3) or (id = 5) or (id = 400) filter (id IN (3, 5, 400))",
        ],
    ),
    (
        "SELECT id FROM t WHERE h = 3",
        &[
            "Project id (fused read)",
            "└─ IndexLookup t using t_h (h = 3) filter (h = 3)",
        ],
    ),
    (
        "SELECT id FROM t WHERE a IN (1, 2)",
        &[
            "Project id (fused read)",
            "└─ IndexIn t using t_a (a = 1) or (a = 2) filter (a IN (1, 2))",
        ],
    ),
    (
        "SELECT id FROM t WHERE id IN (SELECT t_id FROM u WHERE x < 3)",
        &[
            "Project id (fused read)",
            "└─ KeyInSet t (id IN (subquery #0)) filter (id IN (subquery #0))",
            "Subquery #0",
            "└─ Project t_id",
            "   └─ Scan u filter (x < 3)",
        ],
    ),
    (
        "SELECT id FROM t WHERE a IN (SELECT t_id FROM u WHERE x < 3)",
        &[
            "Project id (fused read)",
            "└─ IndexInSet t using t_a (a IN (subquery #0)) filter (a IN (subquery #0))",
            "Subquery #0",
            "└─ Project t_id",
            "   └─ Scan u filter (x < 3)",
        ],
    ),
    (
        "SELECT id FROM t WHERE id BETWEEN 10 AND 20",
        &[
            "Project id (fused read)",
            "└─ KeyRange t (id BETWEEN 10 AND 20) filter (id BETWEEN 10 AND 20)",
        ],
    ),
    (
        "SELECT id FROM t WHERE a > 15",
        &[
            "Project id (fused read)",
            "└─ IndexRange t using t_a (a > 15) order a ASC filter (a > 15)",
        ],
    ),
    (
        "SELECT id FROM t ORDER BY id DESC LIMIT 3",
        &[
            "Limit 3 (fused read)",
            "└─ Project id",
            "   └─ KeyOrder t order id DESC",
        ],
    ),
    (
        "SELECT id FROM t WHERE id = 3 OR a = 4",
        &[
            "Project id (fused read)",
            concat!(
                "└─ OrUnion t KeyLookup t (id = 3) | IndexLookup t using t_a (a = 4) filter",
                " ((id = 3) OR (a = 4))",
            ),
        ],
    ),
    (
        "SELECT s FROM t ORDER BY s LIMIT 5 OFFSET 10",
        &[
            "Limit 5 offset 10 by index entries (fused read)",
            "└─ Project s",
            "   └─ IndexRange t using t_s order s ASC",
        ],
    ),
    (
        "SELECT count(*) FROM t",
        &[
            "Project count(*)",
            "└─ Aggregate count(*) from row count",
            "   └─ Scan t",
        ],
    ),
    (
        "SELECT count(*) FROM t WHERE a > 10",
        &[
            "Project count(*)",
            "└─ Aggregate count(*) counting",
            "   └─ IndexRange t using t_a (a > 10) order a ASC filter (a > 10)",
        ],
    ),
    (
        "SELECT count(DISTINCT s) FROM t WHERE s > 's1'",
        &[
            "Project count(DISTINCT s)",
            "└─ Aggregate count(DISTINCT s) by index order",
            "   └─ IndexRange t using t_s (s > 's1') order s ASC filter (s > 's1')",
        ],
    ),
    (
        "SELECT a, count(*) FROM t WHERE a >= 0 GROUP BY a",
        &[
            "Project a, count(*)",
            "└─ Aggregate count(*) by index order group by a",
            "   └─ IndexRange t using t_a (a >= 0) order a ASC filter (a >= 0)",
        ],
    ),
    (
        "SELECT b, sum(a) FROM t GROUP BY b",
        &[
            "Project b, sum(a)",
            "└─ Aggregate sum(a) in column batches group by b",
            "   └─ Scan t",
        ],
    ),
    (
        "SELECT s, count(*) FROM t WHERE upper(s) = 'S3' AND b > 2 GROUP BY s",
        &[
            "Project s, count(*)",
            "└─ Aggregate count(*) in column batches group by s",
            "   └─ Scan t filter ((upper(s) = 'S3') AND (b > 2))",
        ],
    ),
    (
        "SELECT b, sum(a * 2) FROM t GROUP BY b",
        &[
            "Project b, sum((a * 2))",
            "└─ Aggregate sum((a * 2)) in column batches group by b",
            "   └─ Scan t",
        ],
    ),
    (
        "SELECT count(*) FROM t WHERE b = 2",
        &[
            "Project count(*)",
            "└─ Aggregate count(*) in column batches",
            "   └─ Scan t filter (b = 2)",
        ],
    ),
    (
        "SELECT t.b, count(*) FROM t JOIN u ON u.t_id = t.id GROUP BY t.b",
        &[
            "Project t.b, count(*)",
            "└─ Aggregate count(*) group by t.b",
            "   └─ IndexJoin u using u_t (u.t_id = t.id)",
            "      └─ Scan t",
            "      └─ Scan u",
        ],
    ),
    (
        "SELECT b, count(*) FROM t WHERE id = 3 OR a = 4 GROUP BY b",
        &[
            "Project b, count(*)",
            "└─ Aggregate count(*) streaming union group by b",
            concat!(
                "   └─ OrUnion t KeyLookup t (id = 3) | IndexLookup t using t_a (a = 4)",
                " filter ((id = 3) OR (a = 4))",
            ),
        ],
    ),
    (
        "SELECT b, count(*) FROM t GROUP BY b HAVING count(*) > 59",
        &[
            "Project b, count(*)",
            "└─ Filter (count(*) > 59)",
            "   └─ Aggregate count(*) in column batches group by b",
            "      └─ Scan t",
        ],
    ),
    (
        "SELECT min(a), max(a) FROM t",
        &[
            "Project min(a), max(a)",
            "└─ NestedLoopJoin",
            "   └─ Aggregate min(a)",
            "      └─ IndexRange t using t_a (a IS NOT NULL) order a ASC first",
            "   └─ Aggregate max(a)",
            "      └─ IndexRange t using t_a (a IS NOT NULL) order a DESC first",
        ],
    ),
    (
        "SELECT DISTINCT a FROM t WHERE a > 3",
        &[
            "Distinct by index order",
            "└─ Project a",
            "   └─ IndexRange t using t_a (a > 3) order a ASC filter (a > 3)",
        ],
    ),
    (
        "SELECT DISTINCT b FROM t",
        &["Distinct", "└─ Project b", "   └─ Scan t"],
    ),
    (
        "SELECT t.id, u.x FROM t JOIN u ON u.t_id = t.id WHERE t.a = 3",
        &[
            "Project t.id, u.x",
            "└─ IndexJoin u using u_t (u.t_id = t.id)",
            "   └─ IndexLookup t using t_a (a = 3) filter (t.a = 3)",
            "   └─ Scan u",
        ],
    ),
    (
        "SELECT v.w, t.s FROM v JOIN t ON t.b = v.k",
        &[
            "Project v.w, t.s",
            "└─ HashJoin build=left (v.k = t.b)",
            "   └─ Scan v",
            "   └─ Scan t",
        ],
    ),
    (
        "SELECT v.w, t.s FROM v LEFT JOIN t ON t.id = v.k",
        &[
            "Project v.w, t.s",
            "└─ LeftIndexJoin t using primary key (t.id = v.k)",
            "   └─ Scan v",
            "   └─ Scan t",
        ],
    ),
    (
        "SELECT * FROM v FULL JOIN v AS v2 ON v.k = v2.k",
        &[
            "Project k, w, k, w",
            "└─ FullHashJoin (v.k = v2.k)",
            "   └─ Scan v",
            "   └─ Scan v",
        ],
    ),
    (
        concat!(
            "SELECT t.id, u.x, v.w FROM t JOIN u ON u.t_id = t.id JOIN v ON v.k = t.b WHERE",
            " t.a < 5 ORDER BY u.x DESC LIMIT 4",
        ),
        &[
            "Limit 4",
            "└─ Project t.id, u.x, v.w",
            "   └─ TopK 4 u.x DESC",
            "      └─ HashJoin build=left (t.b = v.k)",
            "         └─ IndexJoin u using u_t (u.t_id = t.id)",
            "            └─ IndexRange t using t_a (a < 5) order a ASC filter (t.a < 5)",
            "            └─ Scan u",
            "         └─ Scan v",
        ],
    ),
    (
        "SELECT t.id, u.x FROM t JOIN u ON u.t_id = t.id ORDER BY t.b DESC, t.id LIMIT 3",
        &[
            "Limit 3",
            "└─ Project t.id, u.x",
            "   └─ TopK 3 t.b DESC, t.id ASC threshold pushed",
            "      └─ IndexJoin u using u_t (u.t_id = t.id) top-k threshold on left",
            "         └─ Scan t",
            "         └─ Scan u",
        ],
    ),
    (
        "SELECT t.id, v.w FROM t JOIN v ON v.k = t.b ORDER BY t.a DESC, t.id LIMIT 2",
        &[
            "Limit 2",
            "└─ Project t.id, v.w",
            "   └─ TopK 2 t.a DESC, t.id ASC threshold pushed",
            "      └─ HashJoin (t.b = v.k) top-k threshold on left",
            "         └─ Scan t",
            "         └─ Scan v",
        ],
    ),
    (
        "SELECT id FROM t ORDER BY b, id LIMIT 5",
        &[
            "Limit 5",
            "└─ Project id",
            "   └─ TopK 5 b ASC, id ASC",
            "      └─ Scan t",
        ],
    ),
    (
        "SELECT id, b FROM t WHERE id < 20 ORDER BY b, id",
        &[
            "Project id, b",
            "└─ Sort b ASC, id ASC",
            "   └─ KeyRange t (id < 20) filter (id < 20)",
        ],
    ),
    (
        "SELECT id, row_number() OVER (PARTITION BY b ORDER BY id) FROM t WHERE id < 30",
        &[
            "Project id, row_number()",
            "└─ Window row_number() partition by b order by id ASC",
            "   └─ KeyRange t (id < 30) filter (id < 30)",
        ],
    ),
    (
        concat!(
            "SELECT * FROM (SELECT id, b, row_number() OVER (PARTITION BY b ORDER BY id) AS",
            " r FROM t) WHERE r <= 2",
        ),
        &[
            "Project id, b, r",
            "└─ Filter (r <= 2)",
            "   └─ Project id, b, row_number()",
            concat!(
                "      └─ Window row_number() partition by b order by id ASC (top 2 per",
                " partition by row_number)",
            ),
            "         └─ Scan t",
        ],
    ),
    (
        "SELECT a FROM t UNION SELECT k FROM v ORDER BY 1 DESC LIMIT 3",
        &[
            "Limit 3",
            "└─ TopK 3 a DESC, #1 ASC",
            "   └─ Union (rows unsorted)",
            "      └─ Project a",
            "         └─ Scan t",
            "      └─ Project k",
            "         └─ Scan v",
        ],
    ),
    (
        "SELECT a FROM t UNION SELECT k FROM v",
        &[
            "Union",
            "└─ Project a",
            "   └─ Scan t",
            "└─ Project k",
            "   └─ Scan v",
        ],
    ),
    (
        concat!(
            "WITH c AS (SELECT b, count(*) AS n FROM t GROUP BY b) SELECT * FROM c WHERE n >",
            " 10",
        ),
        &[
            "Project b, n",
            "└─ Filter (n > 10)",
            "   └─ CteScan c",
            "      └─ Project b, count(*)",
            "         └─ Aggregate count(*) in column batches group by b",
            "            └─ Scan t",
        ],
    ),
    (
        "SELECT id, (SELECT count(*) FROM u WHERE u.t_id = t.id) FROM t WHERE id < 5",
        &[
            "Project id, (correlated subquery #0) (fused read)",
            "└─ KeyRange t (id < 5) filter (id < 5)",
            "Subquery #0 by groups of outer t.id (after runs reach half of u's rows)",
            "└─ Project u.t_id, count(*)",
            "   └─ Aggregate count(*) in column batches group by u.t_id",
            "      └─ Scan u",
            "Subquery #0 correlated, rows counted",
            "└─ Project count(*)",
            "   └─ Aggregate count(*) counting",
            concat!(
                "      └─ IndexLookup u using u_t (t_id = outer.t.id) filter (u.t_id =",
                " outer.t.id)",
            ),
        ],
    ),
    (
        "SELECT id FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.t_id = t.id) AND id < 20",
        &[
            "Project id",
            "└─ SemiIndexJoin u using u_t (u.t_id = t.id)",
            "   └─ KeyRange t (id < 20) filter (id < 20)",
            "   └─ Scan u",
        ],
    ),
    (
        "SELECT value FROM generate_series(1, 5)",
        &["Project value", "└─ TableFunction generate_series(1, 5)"],
    ),
    ("SELECT 1 + 1", &["Project (1 + 1)", "└─ Values (1 rows)"]),
    (
        concat!(
            "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 5)",
            " SELECT n FROM c",
        ),
        &[
            "Project n",
            "└─ CteScan c",
            "   └─ RecursiveUnion ALL c",
            "      └─ Project 1",
            "         └─ Values (1 rows)",
            "      └─ Project (n + 1)",
            "         └─ Filter (n < 5)",
            "            └─ WorkTable c",
        ],
    ),
    (
        "SELECT s FROM t WHERE s LIKE '%1%' LIMIT 3",
        &[
            "Limit 3 (fused read)",
            "└─ Project s",
            "   └─ Scan t filter like('%1%', s)",
        ],
    ),
];

/// Each INSERT and the lines of the plan EXPLAIN gives for it, into `t2` (of `t`'s shape,
/// with an index) and `v2` (of `u`'s columns but `x` a TEXT).
const WRITE_GOLDEN: &[(&str, &[&str])] = &[
    (
        "INSERT INTO t2 SELECT * FROM t",
        &["InsertCopy t2", "└─ Scan t"],
    ),
    (
        "INSERT INTO t2 SELECT * FROM t WHERE id > 5",
        &[
            "InsertBatch t2",
            "└─ Project id, a, b, s, h",
            "   └─ KeyRange t (id > 5) filter (id > 5)",
        ],
    ),
    (
        "INSERT INTO v2 SELECT * FROM u",
        &["InsertBatch v2", "└─ Project id, t_id, x", "   └─ Scan u"],
    ),
];

#[test]
fn explain_prints_how_each_insert_writes() {
    let conn = loaded();
    conn.execute_batch(
        "CREATE TABLE t2(id INTEGER PRIMARY KEY, a INT, b INT, s TEXT, h INT);
         CREATE INDEX t2_s ON t2(s);
         CREATE TABLE v2(id INTEGER PRIMARY KEY, t_id INT, x TEXT);",
    )
    .unwrap();
    for (sql, expected) in WRITE_GOLDEN {
        assert_eq!(plan_lines(&conn, sql), expected.join("\n"), "{sql}");
    }
}

fn plan_lines(conn: &Connection, sql: &str) -> String {
    explain(conn, sql, &[]).join("\n")
}

#[test]
fn explain_prints_the_physical_plan_of_each_node() {
    let conn = loaded();
    let mut wrong = Vec::new();
    for (sql, expected) in GOLDEN {
        let actual = plan_lines(&conn, sql);
        let expected = expected.join("\n");
        if actual != expected {
            wrong.push(format!(
                "{sql}\n--- expected\n{expected}\n--- actual\n{actual}\n"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The `rows=` count on a line of EXPLAIN ANALYZE, if it has one.
fn counted_rows(line: &str) -> Option<u64> {
    let rows = line.split("actual rows=").nth(1)?;
    rows.split(' ').next()?.parse().ok()
}

#[test]
fn explain_analyze_runs_the_plan_explain_shows_and_counts_its_rows() {
    let conn = loaded();
    for (sql, _) in GOLDEN {
        let returned = conn.query(sql, ()).unwrap().len() as u64;
        // `explain` puts EXPLAIN in front: this runs EXPLAIN ANALYZE.
        let analyzed = explain(&conn, &format!("ANALYZE {sql}"), &[]);
        let (last, plan) = analyzed.split_last().unwrap();
        assert!(
            last.starts_with(&format!("Execution: {returned} row")),
            "{sql}: {analyzed:#?}"
        );
        assert_eq!(
            counted_rows(&plan[0]),
            Some(returned),
            "{sql}: the root counts the rows returned: {analyzed:#?}"
        );
        let stripped: Vec<String> = plan
            .iter()
            .map(|line| line.split(" (actual rows=").next().unwrap().to_string())
            .collect();
        assert_eq!(stripped.join("\n"), plan_lines(&conn, sql), "{sql}");
    }
}
