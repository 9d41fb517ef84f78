//! Every limit in `ember::limits` and `ember_storage::limits` that input can reach, exercised
//! at the limit (accepted) and one past it (a clear `ErrorKind::Limit` error), plus hostile
//! shapes: 100,000 nested parentheses, `NOT`s, unary minuses, operator-chain terms, compound
//! SELECTs and nested subqueries, and a 100 MB SQL string. Each leaves the connection working.
//! The WAL and row-codec length fields claiming 4 GB are in `limits_disk.rs`.

use ember::limits::{
    COLUMNS_MAX, COMPOUND_SELECT_TERMS_MAX, EXPR_DEPTH_MAX, IN_LIST_ITEMS_MAX, PARAMETERS_MAX,
    QUERY_DEPTH_MAX, SQL_BYTES_MAX, STATEMENT_ROWS_MAX, VALUES_ROWS_MAX,
};
use ember::{Connection, Database, ErrorKind, Options, Value};
use ember_storage::limits::VALUE_BYTES_MAX;

fn conn() -> Connection {
    Database::in_memory().connect()
}

fn limit_error(conn: &Connection, sql: &str) -> String {
    let error = conn.execute(sql, ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Limit, "{error}");
    error.message().to_string()
}

fn single(conn: &Connection, sql: &str) -> Value {
    let rows = conn.query(sql, ()).unwrap().into_values();
    assert_eq!(rows.len(), 1, "{sql}");
    rows[0][0].clone()
}

fn nested_parens(depth: usize) -> String {
    format!("SELECT {}1{}", "(".repeat(depth), ")".repeat(depth))
}

/// The deepest `make(depth)` accepted, found by bisection below `EXPR_DEPTH_MAX * 4`; every
/// refusal on the way must be a `Limit` error.
fn deepest_accepted(make: impl Fn(usize) -> String) -> usize {
    let conn = conn();
    let (mut low, mut high) = (0, EXPR_DEPTH_MAX * 4);
    while low + 1 < high {
        let middle = (low + high) / 2;
        match conn.query(&make(middle), ()) {
            Ok(_) => low = middle,
            Err(error) => {
                assert_eq!(error.kind(), ErrorKind::Limit, "depth {middle}: {error}");
                high = middle;
            }
        }
    }
    low
}

#[test]
fn sql_text_size_at_and_past_the_limit() {
    let conn = conn();
    let statement = "SELECT 1";
    let at_limit = format!("{statement}{}", " ".repeat(SQL_BYTES_MAX - statement.len()));
    assert_eq!(at_limit.len(), SQL_BYTES_MAX);
    assert_eq!(single(&conn, &at_limit), Value::Integer(1));
    let past = format!("{at_limit} ");
    let message = limit_error(&conn, &past);
    assert!(message.contains(&SQL_BYTES_MAX.to_string()), "{message}");
}

#[test]
fn a_100_mb_sql_string_is_refused_without_parsing() {
    let conn = conn();
    let huge = format!("SELECT '{}'", "x".repeat(100 << 20));
    let message = limit_error(&conn, &huge);
    assert!(message.contains("bytes"), "{message}");
    assert_eq!(
        conn.run_script(&huge).err().expect("refused").kind(),
        ErrorKind::Limit
    );
    assert_eq!(
        conn.prepare(&huge).err().expect("refused").kind(),
        ErrorKind::Limit
    );
    assert_eq!(single(&conn, "SELECT 2"), Value::Integer(2));
}

#[test]
fn expression_depth_at_and_past_the_limit() {
    let deepest = deepest_accepted(nested_parens);
    assert!(
        (EXPR_DEPTH_MAX / 2..=EXPR_DEPTH_MAX).contains(&deepest),
        "deepest accepted nesting {deepest} vs limit {EXPR_DEPTH_MAX}"
    );
    let conn = conn();
    assert_eq!(single(&conn, &nested_parens(deepest)), Value::Integer(1));
    limit_error(&conn, &nested_parens(deepest + 1));
}

#[test]
fn binder_depth_limit_holds_where_the_parser_does_not_recurse() {
    // A left-associative operator chain parses iteratively into a deep tree: the binder's own
    // depth check refuses it (and dropping the deep syntax tree must not overflow the stack).
    let chain = |terms: usize| format!("SELECT 1{}", " + 1".repeat(terms));
    let deepest = deepest_accepted(chain);
    assert!(
        (EXPR_DEPTH_MAX / 2..=EXPR_DEPTH_MAX).contains(&deepest),
        "{deepest}"
    );
    let conn = conn();
    assert_eq!(
        single(&conn, &chain(deepest)),
        Value::Integer(deepest as i64 + 1)
    );
    limit_error(&conn, &chain(deepest + 1));
}

#[test]
fn query_depth_at_and_past_the_limit() {
    let nested =
        |depth: usize| format!("SELECT {}1{}", "(SELECT ".repeat(depth), ")".repeat(depth));
    let conn = conn();
    // The outer SELECT is one level; `QUERY_DEPTH_MAX - 1` subqueries fill the limit.
    assert_eq!(
        single(&conn, &nested(QUERY_DEPTH_MAX - 1)),
        Value::Integer(1)
    );
    let message = limit_error(&conn, &nested(QUERY_DEPTH_MAX));
    assert!(message.contains(&QUERY_DEPTH_MAX.to_string()), "{message}");
    // Nested FROM subqueries count the same way.
    let from = |depth: usize| {
        format!(
            "SELECT * FROM {}(SELECT 1 AS x){}",
            "(SELECT * FROM ".repeat(depth),
            " AS q)".repeat(depth)
        )
    };
    assert_eq!(single(&conn, &from(QUERY_DEPTH_MAX - 2)), Value::Integer(1));
    limit_error(&conn, &from(QUERY_DEPTH_MAX - 1));
}

#[test]
fn expression_depth_adds_up_across_subquery_levels() {
    // Evaluating a subquery recurses from inside its enclosing expression, so the depth limit
    // holds for the sum over all levels: every level here holds a `+ 1` chain.
    let nested = |levels: usize, terms: usize| {
        let chain = " + 1".repeat(terms);
        let mut sql = String::from("1");
        for _ in 0..levels {
            sql = format!("(SELECT {sql}{chain})");
        }
        format!("SELECT {sql}")
    };
    let conn = conn();
    for levels in [1, 4, QUERY_DEPTH_MAX - 1] {
        let deepest = deepest_accepted(|terms| nested(levels, terms));
        let expected = 1 + (levels * deepest) as i64;
        assert_eq!(
            single(&conn, &nested(levels, deepest)),
            Value::Integer(expected)
        );
        assert!(levels * deepest <= EXPR_DEPTH_MAX, "{levels} x {deepest}");
        limit_error(&conn, &nested(levels, deepest + 1));
    }
}

#[test]
fn hostile_nesting_of_100000_is_a_clear_error() {
    let conn = conn();
    let depth = 100_000;
    let cases = [
        nested_parens(depth),
        format!("SELECT {}1", "NOT ".repeat(depth)),
        format!("SELECT {}1", "- ".repeat(depth)),
        format!("SELECT 1{}", " + 1".repeat(depth)),
        format!("SELECT 1{}", " AND 1".repeat(depth)),
        format!("SELECT 1{}", " || 'x'".repeat(depth)),
        format!("SELECT 1 WHERE {}1{}", "(".repeat(depth), ")".repeat(depth)),
        format!("SELECT {}1", "(SELECT ".repeat(depth)),
        format!("SELECT 1{}", " UNION SELECT 1".repeat(depth)),
        format!(
            "SELECT {}1{}",
            "CASE WHEN 1 THEN ".repeat(depth),
            " END".repeat(depth)
        ),
        format!("SELECT {}1{}", "abs(".repeat(depth), ")".repeat(depth)),
    ];
    for sql in &cases {
        let error = conn.execute(sql, ()).unwrap_err();
        assert!(
            matches!(error.kind(), ErrorKind::Limit | ErrorKind::Syntax),
            "{}...: {error}",
            &sql[..40]
        );
        let error = conn.prepare(sql).err().expect("refused");
        assert!(matches!(error.kind(), ErrorKind::Limit | ErrorKind::Syntax));
    }
    assert_eq!(single(&conn, "SELECT 2"), Value::Integer(2));
}

#[test]
fn compound_select_terms_at_and_past_the_limit() {
    let compound = |terms: usize, op: &str| {
        let rest: String = (1..terms).map(|i| format!(" {op} SELECT {i}")).collect();
        format!("SELECT count(*) FROM (SELECT 0{rest})")
    };
    let conn = conn();
    for op in ["UNION", "UNION ALL", "EXCEPT"] {
        let expected = if op == "EXCEPT" {
            1
        } else {
            COMPOUND_SELECT_TERMS_MAX
        };
        assert_eq!(
            single(&conn, &compound(COMPOUND_SELECT_TERMS_MAX, op)),
            Value::Integer(expected as i64)
        );
        let message = limit_error(&conn, &compound(COMPOUND_SELECT_TERMS_MAX + 1, op));
        assert!(
            message.contains(&COMPOUND_SELECT_TERMS_MAX.to_string()),
            "{message}"
        );
    }
}

#[test]
fn columns_per_table_at_and_past_the_limit() {
    let conn = conn();
    let columns = |count: usize| {
        let list: Vec<String> = (0..count).map(|i| format!("c{i} INT")).collect();
        list.join(", ")
    };
    conn.execute(&format!("CREATE TABLE wide({})", columns(COLUMNS_MAX)), ())
        .unwrap();
    let last = format!("c{}", COLUMNS_MAX - 1);
    conn.execute(&format!("INSERT INTO wide({last}) VALUES (7)"), ())
        .unwrap();
    assert_eq!(
        single(&conn, &format!("SELECT {last} FROM wide")),
        Value::Integer(7)
    );
    let message = limit_error(
        &conn,
        &format!("CREATE TABLE wider({})", columns(COLUMNS_MAX + 1)),
    );
    assert!(message.contains(&COLUMNS_MAX.to_string()), "{message}");
    assert!(conn.query("SELECT * FROM wider", ()).is_err());
}

#[test]
fn value_size_at_and_past_the_limit() {
    let conn = conn();
    conn.execute("CREATE TABLE blobs(b BLOB)", ()).unwrap();
    let at_limit = Value::Blob(vec![7u8; VALUE_BYTES_MAX]);
    conn.execute("INSERT INTO blobs VALUES (?)", [at_limit])
        .unwrap();
    let past = Value::Blob(vec![7u8; VALUE_BYTES_MAX + 1]);
    let error = conn
        .execute("INSERT INTO blobs VALUES (?)", [past])
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Limit, "{error}");
    assert_eq!(
        single(&conn, "SELECT length(b) FROM blobs"),
        Value::Integer(VALUE_BYTES_MAX as i64)
    );
    // An expression cannot build a value past the limit either.
    let error = conn.execute("SELECT b || 'x' FROM blobs", ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Limit, "{error}");
}

#[test]
fn row_size_at_and_past_the_limit() {
    use ember_storage::limits::ROW_BYTES_MAX;
    // Two values that fit one by one but not together in a row.
    let conn = conn();
    conn.execute("CREATE TABLE pair(a BLOB, b BLOB)", ())
        .unwrap();
    let half = ROW_BYTES_MAX / 2 - 16;
    let params = [Value::Blob(vec![1; half]), Value::Blob(vec![2; half])];
    conn.execute("INSERT INTO pair VALUES (?, ?)", params)
        .unwrap();
    let params = [Value::Blob(vec![1; half]), Value::Blob(vec![2; half + 64])];
    let error = conn
        .execute("INSERT INTO pair VALUES (?, ?)", params)
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Limit, "{error}");
    assert_eq!(
        single(&conn, "SELECT count(*) FROM pair"),
        Value::Integer(1)
    );
}

#[test]
fn values_rows_at_and_past_the_limit() {
    let conn = conn();
    let rows = |count: usize| {
        format!(
            "SELECT count(*) FROM (VALUES {}(1))",
            "(1),".repeat(count - 1)
        )
    };
    assert_eq!(
        single(&conn, &rows(VALUES_ROWS_MAX)),
        Value::Integer(VALUES_ROWS_MAX as i64)
    );
    let message = limit_error(&conn, &rows(VALUES_ROWS_MAX + 1));
    assert!(message.contains(&VALUES_ROWS_MAX.to_string()), "{message}");
}

#[test]
fn in_list_items_at_and_past_the_limit() {
    let conn = conn();
    let list = |count: usize| {
        format!(
            "SELECT {} IN ({}{})",
            count - 1,
            (0..count - 1).map(|i| format!("{i},")).collect::<String>(),
            count - 1
        )
    };
    assert_eq!(
        single(&conn, &list(IN_LIST_ITEMS_MAX)),
        Value::Boolean(true)
    );
    let message = limit_error(&conn, &list(IN_LIST_ITEMS_MAX + 1));
    assert!(
        message.contains(&IN_LIST_ITEMS_MAX.to_string()),
        "{message}"
    );
}

#[test]
fn parameters_at_and_past_the_limit() {
    let conn = conn();
    let mut params = vec![Value::Null; PARAMETERS_MAX];
    params[PARAMETERS_MAX - 1] = Value::Integer(5);
    let rows = conn
        .query(&format!("SELECT ${PARAMETERS_MAX}"), params)
        .unwrap()
        .into_values();
    assert_eq!(rows, vec![vec![Value::Integer(5)]]);
    let past = format!("SELECT ${}", PARAMETERS_MAX + 1);
    limit_error(&conn, &past);
}

/// A database whose statements may materialize `rows_max` rows, with table `r` holding
/// exactly that many rows of distinct `x`.
fn capped(rows_max: usize) -> Connection {
    let db = Database::in_memory_with(Options::new().statement_rows_max(rows_max));
    let conn = db.connect();
    conn.execute("CREATE TABLE r(x INT)", ()).unwrap();
    let values: Vec<String> = (0..rows_max).map(|i| format!("({i})")).collect();
    let insert = format!("INSERT INTO r VALUES {}", values.join(", "));
    assert_eq!(conn.execute(&insert, ()).unwrap(), rows_max);
    conn
}

/// Statements that each materialize every row of `r` at one point.
const MATERIALIZING: &[&str] = &[
    "SELECT x FROM r",
    // A full sort (a LIMIT that is not a literal or parameter), and a top-k sort whose
    // LIMIT keeps every row (one with a small LIMIT holds only that many).
    "SELECT x FROM r ORDER BY x DESC LIMIT (SELECT 1)",
    "SELECT x FROM r ORDER BY x DESC LIMIT 1000000 OFFSET 1000000",
    "SELECT x, count(*) FROM r GROUP BY x LIMIT 1",
    "SELECT count(DISTINCT x) FROM r",
    "SELECT DISTINCT x FROM r LIMIT 1000000",
    // A window under a LIMIT that keeps every row, or whose call reads later rows.
    "SELECT x, row_number() OVER (ORDER BY x) FROM r LIMIT 1000000",
    "SELECT x, lead(x) OVER (ORDER BY x) FROM r LIMIT 1",
    // LEFT JOIN keeps FROM order, so `r` is the materialized (right) side: a nested loop,
    // then a hash join on `a.k = r.x - r.x`.
    "SELECT count(*) FROM (SELECT 1 AS one) AS a LEFT JOIN r ON r.x >= a.one - 1",
    "SELECT count(*) FROM (SELECT 0 AS k) AS a LEFT JOIN r ON a.k = r.x - r.x",
    "SELECT count(*) FROM (SELECT x FROM r UNION SELECT -1 WHERE 0)",
    "SELECT count(*) FROM (SELECT -1 INTERSECT SELECT x FROM r)",
    "SELECT -1 IN (SELECT x FROM r)",
    "UPDATE r SET x = x",
    "DELETE FROM r",
];

#[test]
fn statement_rows_at_the_limit_work_everywhere() {
    let rows_max = 40;
    assert!(rows_max < STATEMENT_ROWS_MAX);
    let conn = capped(rows_max);
    for sql in MATERIALIZING {
        conn.execute("BEGIN", ()).unwrap();
        if let Err(error) = conn.query(sql, ()) {
            panic!("{sql}: {error}");
        }
        conn.execute("ROLLBACK", ()).unwrap();
    }
}

/// An INSERT whose source rows are projected one at a time as they go in (a projection
/// reading `last_insert_rowid()`) holds up to the limit of source rows, and fails one past
/// it having inserted nothing.
#[test]
fn an_insert_projecting_each_row_holds_rows_up_to_the_limit() {
    let rows_max = 40;
    let conn = capped(rows_max);
    conn.execute("CREATE TABLE s(l INT, x INT)", ()).unwrap();
    let insert = "INSERT INTO s SELECT last_insert_rowid(), x FROM r";
    let plan = crate::support::explain(&conn, insert, &[]);
    assert_eq!(plan[0], "InsertProjected s", "{plan:#?}");
    assert_eq!(conn.execute(insert, ()).unwrap(), rows_max);
    conn.execute(&format!("INSERT INTO r VALUES ({rows_max})"), ())
        .unwrap();
    limit_error(&conn, insert);
    assert_eq!(
        single(&conn, "SELECT count(*) FROM s"),
        Value::Integer(rows_max as i64)
    );
}

#[test]
fn statement_rows_one_past_the_limit_fail_everywhere_and_change_nothing() {
    let rows_max = 40;
    let conn = capped(rows_max);
    conn.execute(&format!("INSERT INTO r VALUES ({rows_max})"), ())
        .unwrap();
    for sql in MATERIALIZING {
        let Err(error) = conn.query(sql, ()) else {
            panic!("{sql} passed the limit");
        };
        assert_eq!(error.kind(), ErrorKind::Limit, "{sql}: {error}");
        let message = error.message();
        assert!(message.contains("rows"), "{sql}: {message}");
    }
    assert_eq!(
        single(&conn, "SELECT count(*) FROM r WHERE x >= 0"),
        Value::Integer(rows_max as i64 + 1)
    );
    // A single statement producing too many rows fails before inserting any.
    let values: Vec<String> = (0..=rows_max).map(|_| "(-5)".to_string()).collect();
    limit_error(
        &conn,
        &format!("INSERT INTO r VALUES {}", values.join(", ")),
    );
    limit_error(&conn, "INSERT INTO r SELECT x FROM r");
    assert_eq!(
        single(&conn, "SELECT count(*) FROM r WHERE x < 0"),
        Value::Integer(0)
    );
}

#[test]
fn the_statement_rows_option_cannot_raise_the_compiled_limit() {
    let options = Options::new().statement_rows_max(usize::MAX);
    assert_eq!(options.statement_rows_max, STATEMENT_ROWS_MAX);
    assert_eq!(Options::new().statement_rows_max, STATEMENT_ROWS_MAX);
}
