//! Golden EXPLAIN plans for joins: index nested-loop joins probing a primary key, a
//! composite key (one column bound by a constant), a secondary index, LEFT joins, a
//! 3-table chain, and hash joins building on the smaller side.

use ember::{Connection, Database, Value};

fn plan(conn: &Connection, sql: &str) -> String {
    let rows = conn.query(&format!("EXPLAIN {sql}"), ()).unwrap();
    rows.values()
        .iter()
        .map(|row| match &row[0] {
            Value::Text(line) => line.clone(),
            other => panic!("plan line {other:?}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn setup() -> Connection {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
         INSERT INTO t WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c
             WHERE i < 1000) SELECT i, 'v' || i FROM c;
         CREATE TABLE o(tid INTEGER, x INTEGER);
         INSERT INTO o VALUES (1, 1), (2, 2), (3, 3);
         CREATE TABLE p(a INTEGER, b TEXT, w INTEGER, PRIMARY KEY (a, b));
         INSERT INTO p SELECT id, 'k', id FROM t;
         CREATE TABLE s(id INTEGER PRIMARY KEY, k INTEGER, name TEXT);
         INSERT INTO s SELECT id, id % 50, 'n' || id FROM t;
         CREATE INDEX s_k ON s(k);
         CREATE TABLE big(a INTEGER, b INTEGER);
         INSERT INTO big SELECT id, id FROM t;
         CREATE TABLE tk(name TEXT PRIMARY KEY, n INTEGER);
         INSERT INTO tk SELECT v, id FROM t;",
    )
    .unwrap();
    conn
}

#[test]
fn inner_join_probes_the_primary_key() {
    let conn = setup();
    assert_eq!(
        plan(&conn, "SELECT * FROM o JOIN t ON t.id = o.tid"),
        "Project tid, x, id, v\n\
         └─ IndexJoin t using primary key (t.id = o.tid)\n   \
            └─ Scan o\n   \
            └─ Scan t"
    );
}

#[test]
fn left_join_probes_and_rechecks_its_conditions() {
    let conn = setup();
    assert_eq!(
        plan(
            &conn,
            "SELECT * FROM o LEFT JOIN t ON t.id = o.tid AND t.v <> 'x' WHERE o.x > 1"
        ),
        "Project tid, x, id, v\n\
         └─ LeftIndexJoin t using primary key (t.id = o.tid)\n   \
            └─ Scan o filter (o.x > 1)\n   \
            └─ Scan t filter (t.v <> 'x')"
    );
}

#[test]
fn composite_key_takes_a_constant_from_the_filter() {
    let conn = setup();
    assert_eq!(
        plan(&conn, "SELECT * FROM o JOIN p ON p.a = o.tid AND p.b = 'k'"),
        "Project tid, x, a, b, w\n\
         └─ IndexJoin p using ember_autoindex_p_1 (p.a = o.tid, p.b = 'k')\n   \
            └─ Scan o\n   \
            └─ Scan p filter (p.b = 'k')"
    );
}

#[test]
fn secondary_index_and_three_table_chain() {
    let conn = setup();
    assert_eq!(
        plan(&conn, "SELECT * FROM o JOIN s ON s.k = o.tid"),
        "Project tid, x, id, k, name\n\
         └─ IndexJoin s using s_k (s.k = o.tid)\n   \
            └─ Scan o\n   \
            └─ Scan s"
    );
    assert_eq!(
        plan(
            &conn,
            "SELECT * FROM o JOIN t ON t.id = o.tid JOIN s ON s.k = t.id"
        ),
        "Project tid, x, id, v, id, k, name\n\
         └─ IndexJoin s using s_k (s.k = t.id)\n   \
            └─ IndexJoin t using primary key (t.id = o.tid)\n      \
               └─ Scan o\n      \
               └─ Scan t\n   \
            └─ Scan s"
    );
}

#[test]
fn unindexed_or_converted_keys_hash_on_the_smaller_side() {
    let conn = setup();
    assert_eq!(
        plan(&conn, "SELECT * FROM o JOIN big ON big.a = o.tid"),
        "Project tid, x, a, b\n\
         └─ HashJoin build=left (o.tid = big.a)\n   \
            └─ Scan o\n   \
            └─ Scan big"
    );
    // A TEXT key compared with an INTEGER converts the key side: no probe on it.
    assert_eq!(
        plan(&conn, "SELECT * FROM o JOIN tk ON tk.name = o.x"),
        "Project tid, x, name, n\n\
         └─ HashJoin build=left (o.x = tk.name)\n   \
            └─ Scan o\n   \
            └─ Scan tk"
    );
    // A LEFT join keeps its right side as the build side.
    assert_eq!(
        plan(&conn, "SELECT * FROM o LEFT JOIN big ON big.a = o.tid"),
        "Project tid, x, a, b\n\
         └─ LeftHashJoin (o.tid = big.a)\n   \
            └─ Scan o\n   \
            └─ Scan big"
    );
}

#[test]
fn a_small_key_side_is_hashed_not_probed() {
    let conn = setup();
    // Two rows of `small` are cheaper to hash than a thousand probes: `small` is the build
    // side, `big` streams (FROM order kept: the cost is the same either way round).
    conn.execute_batch(
        "CREATE TABLE small(id INTEGER PRIMARY KEY); INSERT INTO small VALUES (1), (2)",
    )
    .unwrap();
    assert_eq!(
        plan(&conn, "SELECT * FROM big JOIN small ON small.id = big.a"),
        "Project a, b, id\n\
         └─ HashJoin (big.a = small.id)\n   \
            └─ Scan big\n   \
            └─ Scan small"
    );
}

#[test]
fn join_order_follows_cost_not_size_alone() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE u(id INTEGER PRIMARY KEY, city TEXT, score REAL);
         INSERT INTO u WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
             WHERE i < 5000) SELECT i, 'city' || (i % 50), i FROM n;
         CREATE TABLE o(id INTEGER PRIMARY KEY, tid INTEGER, qty INTEGER);
         INSERT INTO o SELECT id, (id * 7) % 5000 + 1, id % 9 FROM u WHERE id <= 500;
         CREATE TABLE c(id INTEGER PRIMARY KEY, name TEXT, region TEXT);
         INSERT INTO c SELECT id, 'city' || id, 'r' || (id % 5) FROM u WHERE id < 50;",
    )
    .unwrap();
    // The smallest table (`c`) does not drive: it connects only to `u` by an unindexed
    // column, which would hash all of `u`. `o` probes `u`'s key, then `c` is hashed.
    assert_eq!(
        plan(
            &conn,
            "SELECT c.region, count(*), sum(o.qty) FROM o JOIN u ON u.id = o.tid \
             JOIN c ON c.name = u.city GROUP BY c.region"
        ),
        "Project c.region, count(*), sum(o.qty)\n\
         └─ Aggregate count(*), sum(o.qty) group by c.region\n   \
            └─ HashJoin (u.city = c.name)\n      \
               └─ IndexJoin u using primary key (u.id = o.tid)\n         \
                  └─ Scan o\n         \
                  └─ Scan u\n      \
               └─ Scan c"
    );
    // Written in another order, the same plan, with the columns put back in FROM order.
    assert_eq!(
        plan(
            &conn,
            "SELECT count(*) FROM c JOIN u ON c.name = u.city JOIN o ON u.id = o.tid"
        ),
        "Project count(*)\n\
         └─ Aggregate count(*)\n   \
            └─ Project NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL\n      \
               └─ HashJoin (u.city = c.name)\n         \
                  └─ IndexJoin u using primary key (u.id = o.tid)\n            \
                     └─ Scan o\n            \
                     └─ Scan u\n         \
                  └─ Scan c"
    );
}

#[test]
fn left_join_with_is_null_on_a_never_null_column_is_an_anti_join() {
    let conn = setup();
    // A column of the join's equality: the IS NULL term leaves the filter.
    assert_eq!(
        plan(
            &conn,
            "SELECT count(*) FROM o LEFT JOIN big ON big.a = o.tid WHERE big.a IS NULL"
        ),
        "Project count(*)\n\
         └─ Aggregate count(*)\n   \
            └─ AntiHashJoin (o.tid = big.a)\n      \
               └─ Scan o\n      \
               └─ Scan big"
    );
    // The probed table's INTEGER PRIMARY KEY, with another WHERE term kept.
    assert_eq!(
        plan(
            &conn,
            "SELECT o.x FROM o LEFT JOIN t ON t.id = o.tid WHERE t.id IS NULL AND o.x + t.v IS NULL"
        ),
        "Project o.x\n\
         └─ Filter ((o.x + t.v) IS NULL)\n   \
            └─ AntiIndexJoin t using primary key (t.id = o.tid)\n      \
               └─ Scan o\n      \
               └─ Scan t"
    );
    // A nullable column that is no key: matched rows with NULL there pass, so the join
    // stays a LEFT join under the filter.
    assert_eq!(
        plan(
            &conn,
            "SELECT count(*) FROM o LEFT JOIN big ON big.a = o.tid WHERE big.b IS NULL"
        ),
        "Project count(*)\n\
         └─ Aggregate count(*)\n   \
            └─ Filter (big.b IS NULL)\n      \
               └─ LeftHashJoin (o.tid = big.a)\n         \
                  └─ Scan o\n         \
                  └─ Scan big"
    );
    // IS NOT NULL, and IS NULL under OR, keep the LEFT join.
    for sql in [
        "SELECT count(*) FROM o LEFT JOIN big ON big.a = o.tid WHERE big.a IS NOT NULL",
        "SELECT count(*) FROM o LEFT JOIN big ON big.a = o.tid WHERE big.a IS NULL OR o.x = 1",
    ] {
        let plan = plan(&conn, sql);
        assert!(plan.contains("LeftHashJoin"), "{sql}:\n{plan}");
        assert!(!plan.contains("Anti"), "{sql}:\n{plan}");
    }
}

#[test]
fn a_left_join_weighs_hashing_its_right_side_against_probing() {
    let conn = setup();
    conn.execute_batch(
        "CREATE TABLE m(x INTEGER);
         INSERT INTO m SELECT id % 60 FROM t WHERE id <= 300;",
    )
    .unwrap();
    // An inner join hashes the smaller side (300 rows of m) instead of probing s_k 300
    // times; a LEFT join must hash its right side (1,000 rows of s): probing is cheaper.
    assert_eq!(
        plan(&conn, "SELECT count(*) FROM m JOIN s ON s.k = m.x"),
        "Project count(*)\n\
         └─ Aggregate count(*)\n   \
            └─ HashJoin build=left (m.x = s.k)\n      \
               └─ Scan m\n      \
               └─ Scan s"
    );
    assert_eq!(
        plan(&conn, "SELECT count(*) FROM m LEFT JOIN s ON s.k = m.x"),
        "Project count(*)\n\
         └─ Aggregate count(*)\n   \
            └─ LeftIndexJoin s using s_k (s.k = m.x)\n      \
               └─ Scan m\n      \
               └─ Scan s"
    );
    // 250 rows of m meet 20 of s each, 50 (x 50..59) none.
    let rows = conn
        .query("SELECT count(*) FROM m LEFT JOIN s ON s.k = m.x", ())
        .unwrap();
    assert_eq!(rows.values(), [vec![Value::Integer(250 * 20 + 50)]]);
}

#[test]
fn a_one_sided_key_range_is_estimated_from_the_direct_keys() {
    let conn = setup();
    // `s.id < 30` reads 30 of s's 1,000 rows (keys 1..=1000 address their own slots): the
    // join probes s_k 30 times instead of hashing all of the other side; a third of the
    // table (the estimate without the direct keys) would have hashed.
    assert_eq!(
        plan(
            &conn,
            "SELECT count(*) FROM s AS x JOIN s AS y ON y.k = x.id WHERE x.id < 30"
        ),
        "Project count(*)\n\
         └─ Aggregate count(*)\n   \
            └─ IndexJoin s using s_k (s.k = x.id)\n      \
               └─ KeyRange s (id < 30) filter (x.id < 30)\n      \
               └─ Scan s"
    );
    let rows = conn
        .query(
            "SELECT count(*) FROM s AS x JOIN s AS y ON y.k = x.id WHERE x.id < 30",
            (),
        )
        .unwrap();
    // Keys 1..=29 meet 20 rows of s each (k = id % 50).
    assert_eq!(rows.values(), [vec![Value::Integer(29 * 20)]]);
}
