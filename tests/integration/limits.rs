//! Every limit in `ember::limits` and `ember_storage::limits`, exercised at the limit (accepted)
//! and one past it (a clear `ErrorKind::Limit` error), plus hostile shapes: 100,000 nested
//! parentheses, `NOT`s, unary minuses and a 100,000-term operator chain, and a 100 MB SQL string.

use ember::limits::{
    COLUMNS_MAX, EXPR_DEPTH_MAX, PARAMETERS_MAX, SQL_BYTES_MAX, STATEMENT_ROWS_MAX, VALUES_ROWS_MAX,
};
use ember::{Connection, Database, ErrorKind, Options, Value};
use ember_storage::limits::VALUE_BYTES_MAX;

fn conn() -> Connection {
    Database::in_memory().connect()
}

fn limit_error(conn: &mut Connection, sql: &str) -> String {
    let error = conn.execute(sql, ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Limit, "{error}");
    error.message().to_string()
}

fn nested_parens(depth: usize) -> String {
    format!("SELECT {}1{}", "(".repeat(depth), ")".repeat(depth))
}

/// Deepest accepted parenthesis nesting, found by bisection; the limit must sit close to it.
fn deepest_accepted(make: impl Fn(usize) -> String) -> usize {
    let mut conn = conn();
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
    let mut conn = conn();
    let statement = "SELECT 1";
    let at_limit = format!("{statement}{}", " ".repeat(SQL_BYTES_MAX - statement.len()));
    assert_eq!(at_limit.len(), SQL_BYTES_MAX);
    let rows = conn.query(&at_limit, ()).unwrap().into_values();
    assert_eq!(rows, vec![vec![Value::Integer(1)]]);
    let past = format!("{at_limit} ");
    let message = limit_error(&mut conn, &past);
    assert!(message.contains(&SQL_BYTES_MAX.to_string()), "{message}");
}

#[test]
fn a_100_mb_sql_string_is_refused_without_parsing() {
    let mut conn = conn();
    let huge = format!("SELECT '{}'", "x".repeat(100 << 20));
    let message = limit_error(&mut conn, &huge);
    assert!(message.contains("bytes"), "{message}");
    assert_eq!(conn.run_script(&huge).unwrap_err().kind(), ErrorKind::Limit);
}

#[test]
fn expression_depth_at_and_past_the_limit() {
    let deepest = deepest_accepted(nested_parens);
    assert!(
        deepest >= EXPR_DEPTH_MAX / 2 && deepest <= EXPR_DEPTH_MAX,
        "deepest accepted nesting {deepest} vs limit {EXPR_DEPTH_MAX}"
    );
    let mut conn = conn();
    conn.query(&nested_parens(deepest), ()).unwrap();
    limit_error(&mut conn, &nested_parens(deepest + 1));
}

#[test]
fn binder_depth_limit_holds_where_the_parser_does_not_recurse() {
    // A left-associative operator chain parses iteratively into a deep tree: the binder's own
    // depth check must refuse it, and dropping the deep AST must not overflow the stack.
    let chain = |terms: usize| format!("SELECT 1{}", " + 1".repeat(terms));
    let deepest = deepest_accepted(chain);
    assert!(deepest <= EXPR_DEPTH_MAX, "{deepest}");
    let mut conn = conn();
    let rows = conn.query(&chain(deepest), ()).unwrap().into_values();
    assert_eq!(rows, vec![vec![Value::Integer(deepest as i64 + 1)]]);
    limit_error(&mut conn, &chain(deepest + 1));
}

#[test]
fn hostile_nesting_of_100000_is_a_clear_error() {
    let mut conn = conn();
    let depth = 100_000;
    let cases = [
        nested_parens(depth),
        format!("SELECT {}1", "NOT ".repeat(depth)),
        format!("SELECT {}1", "- ".repeat(depth)),
        format!("SELECT 1{}", " + 1".repeat(depth)),
        format!("SELECT 1{}", " AND 1".repeat(depth)),
        format!("SELECT 1 WHERE {}1{}", "(".repeat(depth), ")".repeat(depth)),
        format!("SELECT {}", "(SELECT ".repeat(depth)),
    ];
    for sql in &cases {
        let error = conn.execute(sql, ()).unwrap_err();
        assert!(
            matches!(error.kind(), ErrorKind::Limit | ErrorKind::Syntax),
            "{}...: {error}",
            &sql[..40]
        );
    }
    // The connection still works afterwards.
    assert_eq!(conn.query("SELECT 2", ()).unwrap().len(), 1);
}

#[test]
fn columns_per_table_at_and_past_the_limit() {
    let mut conn = conn();
    let columns = |count: usize| {
        let list: Vec<String> = (0..count).map(|i| format!("c{i} INT")).collect();
        list.join(", ")
    };
    conn.execute(&format!("CREATE TABLE wide({})", columns(COLUMNS_MAX)), ())
        .unwrap();
    let message = limit_error(
        &mut conn,
        &format!("CREATE TABLE wider({})", columns(COLUMNS_MAX + 1)),
    );
    assert!(message.contains(&COLUMNS_MAX.to_string()), "{message}");
    assert!(conn.query("SELECT * FROM wider", ()).is_err());
}

#[test]
fn value_size_at_and_past_the_limit() {
    let mut conn = conn();
    conn.execute("CREATE TABLE blobs(b BLOB)", ()).unwrap();
    let at_limit = Value::Blob(vec![7u8; VALUE_BYTES_MAX]);
    conn.execute("INSERT INTO blobs VALUES (?)", [at_limit])
        .unwrap();
    let past = Value::Blob(vec![7u8; VALUE_BYTES_MAX + 1]);
    let error = conn
        .execute("INSERT INTO blobs VALUES (?)", [past])
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Limit, "{error}");
    let count = conn.query("SELECT b FROM blobs", ()).unwrap().len();
    assert_eq!(count, 1);
}

#[test]
fn values_rows_at_and_past_the_limit() {
    let mut conn = conn();
    conn.execute_batch("CREATE TABLE v(x INT); BEGIN").unwrap();
    let rows = |count: usize| format!("INSERT INTO v VALUES {}(1)", "(1),".repeat(count - 1));
    assert_eq!(
        conn.execute(&rows(VALUES_ROWS_MAX), ()).unwrap(),
        VALUES_ROWS_MAX
    );
    let message = limit_error(&mut conn, &rows(VALUES_ROWS_MAX + 1));
    assert!(message.contains(&VALUES_ROWS_MAX.to_string()), "{message}");
    conn.execute("ROLLBACK", ()).unwrap();
}

#[test]
fn parameters_at_and_past_the_limit() {
    let mut conn = conn();
    let mut params = vec![Value::Null; PARAMETERS_MAX];
    params[PARAMETERS_MAX - 1] = Value::Integer(5);
    let rows = conn
        .query(&format!("SELECT ${PARAMETERS_MAX}"), params)
        .unwrap()
        .into_values();
    assert_eq!(rows, vec![vec![Value::Integer(5)]]);
    let past = format!("SELECT ${}", PARAMETERS_MAX + 1);
    limit_error(&mut conn, &past);
}

#[test]
fn statement_rows_at_and_past_the_limit() {
    let rows_max = 50;
    assert!(rows_max < STATEMENT_ROWS_MAX);
    let db = Database::in_memory_with(Options::new().statement_rows_max(rows_max));
    let mut conn = db.connect();
    conn.execute("CREATE TABLE r(x INT)", ()).unwrap();
    let insert = |count: usize| format!("INSERT INTO r VALUES {}(0)", "(0),".repeat(count - 1));
    conn.execute(&insert(rows_max), ()).unwrap();
    // At the limit: result sets, sorts and DML targets of exactly `rows_max` rows work.
    assert_eq!(conn.query("SELECT x FROM r", ()).unwrap().len(), rows_max);
    let sorted = conn.query("SELECT x FROM r ORDER BY x DESC", ()).unwrap();
    assert_eq!(sorted.len(), rows_max);
    assert_eq!(conn.execute("UPDATE r SET x = 1", ()).unwrap(), rows_max);
    // One past it: every materialization point refuses, and nothing changes.
    conn.execute("INSERT INTO r VALUES (2)", ()).unwrap();
    for sql in [
        "SELECT x FROM r",
        "SELECT x FROM r ORDER BY x LIMIT 1",
        "UPDATE r SET x = 3",
        "DELETE FROM r",
    ] {
        let message = limit_error(&mut conn, sql);
        assert!(message.contains("rows"), "{sql}: {message}");
    }
    let filtered = conn.query("SELECT x FROM r WHERE x = 2", ()).unwrap();
    assert_eq!(filtered.len(), 1);
    // A single statement producing too many rows fails before inserting any.
    limit_error(&mut conn, &insert(rows_max + 1));
    assert_eq!(
        conn.query("SELECT x FROM r WHERE x = 0", ()).unwrap().len(),
        0
    );
}

#[test]
fn the_statement_rows_option_cannot_raise_the_compiled_limit() {
    let options = Options::new().statement_rows_max(usize::MAX);
    assert_eq!(options.effective_statement_rows_max(), STATEMENT_ROWS_MAX);
    assert_eq!(
        Options::new().effective_statement_rows_max(),
        STATEMENT_ROWS_MAX
    );
}

#[test]
fn row_payload_length_claiming_4_gb_is_refused_before_allocating() {
    use ember_storage::row;
    use ember_storage::DataType;
    // Null bitmap (no NULLs), then a varint length of 2^32 for a BLOB with nothing after it.
    let mut bytes = vec![0u8];
    row::write_varint(1 << 32, &mut bytes);
    let error = row::decode(&[DataType::Blob], &bytes).unwrap_err();
    assert!(error.to_string().contains("length"), "{error}");
    // Every truncation of a valid row is an error too, never a panic.
    let types = [DataType::Integer, DataType::Text, DataType::Blob];
    let values = [
        Value::Integer(-5),
        Value::Text("hello".into()),
        Value::Blob(vec![1, 2, 3]),
    ];
    let valid = row::encode(&types, &values).unwrap();
    assert_eq!(row::decode(&types, &valid).unwrap(), values.to_vec());
    for cut in 0..valid.len() {
        assert!(row::decode(&types, &valid[..cut]).is_err(), "cut {cut}");
    }
}
