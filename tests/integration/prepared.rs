//! Prepared statements and the per-connection plan cache: a prepared point select runs
//! 100,000 times on one parse; `execute`/`query` reuse cached plans; DDL invalidates them
//! (a cached or prepared plan picks up an index created after it);
//! bad parameters give clear errors.

use ember::{Database, ErrorKind, OptionalExtension, Value};

fn keyed_table(rows: i64) -> ember::Connection {
    let conn = Database::in_memory().connect();
    conn.execute(
        "CREATE TABLE kv(id INTEGER PRIMARY KEY, v TEXT NOT NULL)",
        (),
    )
    .unwrap();
    let mut insert = conn.prepare("INSERT INTO kv VALUES (?, ?)").unwrap();
    for id in 0..rows {
        insert.execute((id, format!("v{id}"))).unwrap();
    }
    conn
}

#[test]
fn prepared_point_select_parses_once_over_100_000_runs() {
    let conn = keyed_table(1_000);
    let before = conn.stats();
    let mut select = conn.prepare("SELECT v FROM kv WHERE id = ?").unwrap();
    let mut checksum = 0usize;
    for i in 0..100_000i64 {
        let id = i % 1_000;
        let v: String = select.query_value([id]).unwrap();
        assert_eq!(v, format!("v{id}"));
        checksum += v.len();
    }
    assert!(checksum > 0);
    let after = conn.stats();
    assert_eq!(after.parses - before.parses, 1, "{after:?}");
    assert_eq!(after.plans_built - before.plans_built, 1, "{after:?}");
}

#[test]
fn execute_and_query_go_through_the_plan_cache() {
    let conn = keyed_table(10);
    let before = conn.stats();
    for id in 0..1_000i64 {
        let v: Option<String> = conn
            .query_value("SELECT v FROM kv WHERE id = ?", [id])
            .optional()
            .unwrap();
        assert_eq!(v.is_some(), id < 10);
        conn.execute("UPDATE kv SET v = ? WHERE id = ?", ("x", id % 10))
            .unwrap();
    }
    let after = conn.stats();
    assert_eq!(after.parses - before.parses, 2, "{after:?}");
    assert_eq!(after.plan_cache_hits - before.plan_cache_hits, 1_998);
}

#[test]
fn a_cached_plan_is_rebuilt_after_the_catalog_changes() {
    // Dropping and recreating the table with another shape: a stale plan would read the old
    // table and columns. (CREATE INDEX: the next test.)
    let conn = keyed_table(3);
    let mut select = conn.prepare("SELECT * FROM kv WHERE id = 1").unwrap();
    assert_eq!(select.columns(), ["id", "v"]);
    assert_eq!(select.query(()).unwrap().count(), 1);
    let built = conn.stats().plans_built;
    conn.execute_batch(
        "DROP TABLE kv; CREATE TABLE kv(id INTEGER PRIMARY KEY, a INT, b TEXT);
         INSERT INTO kv VALUES (1, 10, 'ten'), (2, 20, 'twenty');",
    )
    .unwrap();
    let rows = select.query_all(()).unwrap();
    assert_eq!(rows.columns(), ["id", "a", "b"]);
    assert_eq!(
        rows.values(),
        [vec![
            Value::Integer(1),
            Value::Integer(10),
            Value::Text("ten".into())
        ]]
    );
    assert_eq!(
        conn.stats().plans_built,
        built + 1 + 3,
        "3 for the batch, 1 re-plan"
    );
    // The cache serves execute/query the same way.
    let count = conn.query("SELECT id FROM kv", ()).unwrap().len();
    assert_eq!(count, 2);
    conn.execute("CREATE TABLE other(x INT)", ()).unwrap();
    let count = conn.query("SELECT id FROM kv", ()).unwrap().len();
    assert_eq!(count, 2);
}

#[test]
fn cached_and_prepared_plans_are_rebuilt_after_create_index() {
    let conn = keyed_table(500);
    let explain = "EXPLAIN SELECT id FROM kv WHERE v = ?";
    let mut prepared_explain = conn.prepare(explain).unwrap();
    let mut select = conn.prepare("SELECT id FROM kv WHERE v = ?").unwrap();
    let text = |rows: ember::RowSet| format!("{:?}", rows.values());
    assert!(text(prepared_explain.query_all(["v5"]).unwrap()).contains("Scan kv"));
    assert!(text(conn.query(explain, ["v5"]).unwrap()).contains("Scan kv"));
    assert_eq!(select.query_value::<i64>(["v5"]).unwrap(), 5);
    let built = conn.stats().plans_built;
    conn.execute("CREATE INDEX kv_v ON kv(v)", ()).unwrap();
    let built_by_ddl = conn.stats().plans_built - built;
    // The same cached SQL text and the same prepared statements now plan the index lookup.
    assert!(text(conn.query(explain, ["v5"]).unwrap()).contains("IndexLookup kv using kv_v"));
    let prepared_text = text(prepared_explain.query_all(["v5"]).unwrap());
    assert!(prepared_text.contains("IndexLookup kv using kv_v"));
    assert_eq!(select.query_value::<i64>(["v5"]).unwrap(), 5);
    assert_eq!(
        conn.stats().plans_built - built - built_by_ddl,
        2,
        "each of the two SQL texts was re-planned once"
    );
    assert_eq!(select.query_value::<i64>(["v6"]).unwrap(), 6);
    assert_eq!(conn.stats().plans_built - built - built_by_ddl, 2);
}

#[test]
fn a_dropped_table_makes_the_prepared_statement_fail_cleanly() {
    let conn = keyed_table(3);
    let mut select = conn.prepare("SELECT v FROM kv WHERE id = ?").unwrap();
    conn.execute("DROP TABLE kv", ()).unwrap();
    let error = select.query([1]).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound, "{error}");
    assert!(error.message().contains("kv"), "{error}");
}

#[test]
fn wrong_parameter_count_is_a_clear_error() {
    let conn = keyed_table(3);
    let mut select = conn.prepare("SELECT v FROM kv WHERE id = ?").unwrap();
    for params in [vec![], vec![Value::Integer(1), Value::Integer(2)]] {
        let error = select.query(params.clone()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput);
        assert_eq!(
            error.message(),
            format!(
                "statement takes 1 parameters but {} were given",
                params.len()
            )
        );
    }
    let error = conn
        .execute("INSERT INTO kv VALUES (?1, ?2)", [1])
        .unwrap_err();
    assert!(error.message().contains("takes 2 parameters"), "{error}");
    // Nothing was changed by the failed statements.
    assert_eq!(conn.query("SELECT id FROM kv", ()).unwrap().len(), 3);
}

#[test]
fn placeholder_styles_bind_by_position() {
    let conn = Database::in_memory().connect();
    let row = conn
        .query_row("SELECT ?, ?, ?", (1, "two", 3.5), |row| {
            Ok((
                row.get::<i64>(0)?,
                row.get::<String>(1)?,
                row.get::<f64>(2)?,
            ))
        })
        .unwrap();
    assert_eq!(row, (1, "two".to_string(), 3.5));
    let pair: (i64, i64) = conn
        .query_row("SELECT ?2, ?1", (1, 2), |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .unwrap();
    assert_eq!(pair, (2, 1));
    let pair: (String, String) = conn
        .query_row("SELECT $2, $1", ("a", "b"), |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .unwrap();
    assert_eq!(pair, ("b".into(), "a".into()));
}

#[test]
fn wrong_type_for_a_column_and_null_into_non_option_are_clear_errors() {
    let conn = Database::in_memory().connect();
    conn.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, n INT, s TEXT)", ())
        .unwrap();
    let error = conn
        .execute("INSERT INTO t VALUES (?, ?, ?)", params_of("x"))
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Type, "{error}");
    assert!(
        error.message().contains("column n"),
        "names the column: {error}"
    );
    conn.execute("INSERT INTO t VALUES (1, NULL, 'a')", ())
        .unwrap();
    let error = conn
        .query_value::<i64>("SELECT n FROM t WHERE id = 1", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Type, "{error}");
    assert!(error.message().contains("NULL"), "{error}");
    let n: Option<i64> = conn
        .query_value("SELECT n FROM t WHERE id = 1", ())
        .unwrap();
    assert_eq!(n, None);
    let error = conn
        .query_value::<i64>("SELECT s FROM t WHERE id = 1", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Type, "text into i64: {error}");
    let error = conn
        .query_value::<i64>("SELECT n FROM t WHERE id = 99", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NoRows, "{error}");
    let error = conn
        .query_row("SELECT n FROM t", (), |row| row.get::<i64>(5))
        .unwrap_err();
    assert!(error.message().contains("out of range"), "{error}");
}

fn params_of(text: &str) -> Vec<Value> {
    vec![Value::Integer(1), Value::Text(text.into()), Value::Null]
}

#[test]
fn a_statement_per_call_site_and_several_at_once() {
    let conn = keyed_table(5);
    let mut get = conn.prepare("SELECT v FROM kv WHERE id = ?").unwrap();
    let mut set = conn.prepare("UPDATE kv SET v = ? WHERE id = ?").unwrap();
    for id in 0..5i64 {
        let v: String = get.query_value([id]).unwrap();
        set.execute((format!("{v}!"), id)).unwrap();
    }
    let values = get
        .query_map([4], |row| row.get::<String>(0))
        .unwrap()
        .collect::<ember::Result<Vec<_>>>()
        .unwrap();
    assert_eq!(values, ["v4!"]);
}

#[test]
fn query_row_stops_at_the_first_row() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE t(a INTEGER);
         INSERT INTO t VALUES (-5), (-9223372036854775808)",
    )
    .unwrap();
    // The second row overflows abs(): the whole query fails, its first row does not.
    let error = conn.query("SELECT abs(a) FROM t", ()).unwrap_err();
    assert!(error.to_string().contains("overflow"), "{error}");
    let first: i64 = conn.query_value("SELECT abs(a) FROM t", ()).unwrap();
    assert_eq!(first, 5);
    let mut select = conn.prepare("SELECT abs(a) FROM t").unwrap();
    assert_eq!(select.query_row((), |row| row.get::<i64>(0)).unwrap(), 5);
}

#[test]
fn a_key_lookup_inside_a_key_lookup_projection_reads_its_own_row() {
    let conn = keyed_table(100);
    let sql = "SELECT v, (SELECT v FROM kv WHERE id = ?2), id + 1 FROM kv WHERE id = ?1";
    for (outer, inner) in [(1i64, 2i64), (50, 7), (99, 0), (3, 3)] {
        let (v, nested, next): (String, String, i64) = conn
            .query_row(sql, [outer, inner], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })
            .unwrap();
        assert_eq!(
            (v, nested, next),
            (format!("v{outer}"), format!("v{inner}"), outer + 1)
        );
        let rows = conn.query(sql, [outer, inner]).unwrap().into_values();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0][1], Value::Text(format!("v{inner}")));
    }
    let missing = conn
        .query_row(sql, [1000, 1], |row| row.get::<String>(0))
        .optional()
        .unwrap();
    assert_eq!(missing, None);
}

/// `query_row` keeps its last result row (and lends the last statement's plan): a
/// different statement in between, DDL that changes the plan, and a result read by column
/// name must each see their own columns and values.
#[test]
fn query_row_results_keep_their_own_columns_across_statements() {
    let conn = ember::Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, a INT, b TEXT);
         INSERT INTO t VALUES (1, 10, 'x'), (2, 20, 'y');",
    )
    .unwrap();
    let by_name = |sql: &str, column: &str, id: i64| -> ember::Value {
        conn.query_row(sql, [id], |row| row.get::<ember::Value>(column))
            .unwrap()
    };
    for _ in 0..3 {
        assert_eq!(
            by_name("SELECT a FROM t WHERE id = ?", "a", 1),
            ember::Value::Integer(10)
        );
        assert_eq!(
            by_name("SELECT b, a FROM t WHERE id = ?", "b", 2),
            ember::Value::Text("y".into())
        );
        let error = conn
            .query_row("SELECT a FROM t WHERE id = ?", [2], |row| {
                row.get::<i64>("b")
            })
            .unwrap_err();
        assert_eq!(error.kind(), ember::ErrorKind::NotFound, "{error}");
    }
    // DDL: the lent plan is stale now and the statement is planned again.
    conn.execute_batch(
        "DROP TABLE t; CREATE TABLE t(id INTEGER PRIMARY KEY, c INT, b TEXT);
         INSERT INTO t VALUES (1, 11, 'x');",
    )
    .unwrap();
    let error = conn
        .query_row("SELECT a FROM t WHERE id = ?", [1], |row| row.get::<i64>(0))
        .unwrap_err();
    assert!(error.message().contains("a"), "{error}");
    let c: i64 = conn
        .query_row("SELECT c FROM t WHERE id = ?", [1], |row| row.get("c"))
        .unwrap();
    assert_eq!(c, 11);
}
