//! Helpers the integration tests share: EXPLAIN's lines, values to and from SQLite's,
//! both engines' rows for a query and their comparison, a temp directory.

use ember::{Connection, Database, Value};

/// The lines `EXPLAIN sql` prints with `params` bound.
pub fn explain(conn: &Connection, sql: &str, params: &[Value]) -> Vec<String> {
    let rows = conn.query(&format!("EXPLAIN {sql}"), params).unwrap();
    rows.values()
        .iter()
        .map(|row| match &row[0] {
            Value::Text(line) => line.to_string(),
            other => panic!("not a text line: {other:?}"),
        })
        .collect()
}

/// `value` as rusqlite binds it (a boolean as the integer SQLite stores).
pub fn to_sqlite(value: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as Sql;
    match value {
        Value::Null => Sql::Null,
        Value::Integer(i) => Sql::Integer(*i),
        Value::Boolean(b) => Sql::Integer(i64::from(*b)),
        Value::Real(r) => Sql::Real(*r),
        Value::Text(s) => Sql::Text(s.clone()),
        Value::Blob(b) => Sql::Blob(b.clone()),
    }
}

/// A SQLite cell as an EmberDB value (text that is not UTF-8 read lossily).
pub fn from_sqlite(value: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef;
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(r) => Value::Real(r),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

/// A value as a comparable, sortable string both engines print alike (`i1`, `r0.5`, `ta`,
/// `NULL`): reals with all their digits.
pub fn ember_cell(value: &Value) -> String {
    match value {
        Value::Null => "NULL".into(),
        Value::Integer(int) => format!("i{int}"),
        Value::Real(real) => format!("r{real:?}"),
        Value::Text(text) => format!("t{text}"),
        other => format!("{other:?}"),
    }
}

/// `ember_cell` for a SQLite value.
pub fn sqlite_cell(value: rusqlite::types::ValueRef<'_>) -> String {
    use rusqlite::types::ValueRef;
    match value {
        ValueRef::Null => "NULL".into(),
        ValueRef::Integer(int) => format!("i{int}"),
        ValueRef::Real(real) => format!("r{real:?}"),
        ValueRef::Text(text) => format!("t{}", String::from_utf8_lossy(text)),
        ValueRef::Blob(blob) => format!("b{blob:?}"),
    }
}

/// SQLite's rows for `sql`, each cell `from_sqlite`; an error as its message.
pub fn sqlite_rows(conn: &rusqlite::Connection, sql: &str) -> Result<Vec<Vec<Value>>, String> {
    let mut statement = conn.prepare(sql).map_err(|e| e.to_string())?;
    let columns = statement.column_count();
    let mut rows = statement.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(|e| e.to_string())? {
        let cells = (0..columns).map(|i| row.get_ref(i).map(from_sqlite));
        out.push(cells.collect::<Result<_, _>>().map_err(|e| e.to_string())?);
    }
    Ok(out)
}

/// EmberDB's rows for `sql`; an error as its message (what `sqlite_rows` gives SQLite's).
pub fn ember_rows(conn: &Connection, sql: &str) -> Result<Vec<Vec<Value>>, String> {
    conn.query(sql, ())
        .map(ember::RowSet::into_values)
        .map_err(|e| e.to_string())
}

/// Asserts that both engines answer every query of `checks` alike; `after` names what ran
/// last, for the failure message.
pub fn assert_same_answers(
    ember: &Connection,
    sqlite: &rusqlite::Connection,
    checks: &[&str],
    after: &str,
) {
    for check in checks {
        assert_eq!(
            ember_rows(ember, check),
            sqlite_rows(sqlite, check),
            "{check} after {after}"
        );
    }
}

/// Asserts that both engines answer every query of `queries` with the same rows (an error
/// from either fails the test).
pub fn assert_same_rows(ember: &Connection, sqlite: &rusqlite::Connection, queries: &[&str]) {
    for sql in queries {
        let (ours, theirs) = (ember_rows(ember, sql), sqlite_rows(sqlite, sql));
        match (&ours, &theirs) {
            (Ok(_), Ok(_)) => assert_eq!(ours, theirs, "{sql}"),
            _ => panic!("{sql}: EmberDB {ours:?}, SQLite {theirs:?}"),
        }
    }
}

/// `assert_same_rows`, except that a query both engines refuse passes (whatever the two
/// messages say): for generated filters whose operands may fail on some rows.
pub fn assert_same_rows_or_both_fail(
    ember: &Connection,
    sqlite: &rusqlite::Connection,
    queries: &[&str],
) {
    for sql in queries {
        let (ours, theirs) = (ember_rows(ember, sql), sqlite_rows(sqlite, sql));
        match (&ours, &theirs) {
            (Ok(_), Ok(_)) => assert_eq!(ours, theirs, "{sql}"),
            (Err(_), Err(_)) => {}
            _ => panic!("{sql}: EmberDB {ours:?}, SQLite {theirs:?}"),
        }
    }
}

/// An in-memory database and a SQLite one, `statements` run on both.
pub fn both_engines(statements: &[&str]) -> (Database, rusqlite::Connection) {
    let db = Database::in_memory();
    let ember = db.connect();
    let sqlite = rusqlite::Connection::open_in_memory().unwrap();
    for sql in statements {
        ember.execute(sql, ()).unwrap();
        sqlite.execute(sql, []).unwrap();
    }
    (db, sqlite)
}

/// Runs `insert` (a statement of `?` parameters) once per row of `rows` in both engines.
pub fn insert_into_both<R: AsRef<[Value]>>(
    db: &Database,
    sqlite: &rusqlite::Connection,
    insert: &str,
    rows: impl IntoIterator<Item = R>,
) {
    let ember = db.connect();
    for row in rows {
        let row = row.as_ref();
        ember.execute(insert, row).unwrap();
        let values: Vec<_> = row.iter().map(to_sqlite).collect();
        sqlite
            .execute(insert, rusqlite::params_from_iter(values))
            .unwrap();
    }
}

/// `both_engines(schema)` with rows 1..=`rows` of the bench-like table `t(id, a, b, c, s,
/// g)` that `schema` creates filled alike in both: `a = id % 17`, `b = id * 7 % 1000`,
/// `c = id / 8.0`, `s = 'k' || id`, `g = 'g' || (id % 5)`.
pub fn both_engines_with_t(schema: &[&str], rows: u32) -> (Database, rusqlite::Connection) {
    let (db, sqlite) = both_engines(schema);
    let fill = format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows}) \
         INSERT INTO t SELECT i, i % 17, i * 7 % 1000, i / 8.0, 'k' || i, 'g' || (i % 5) \
         FROM n"
    );
    db.connect().execute(&fill, ()).unwrap();
    sqlite.execute(&fill, []).unwrap();
    (db, sqlite)
}

/// Whether EXPLAIN of `sql` on `conn` reads through the index named `index`.
pub fn uses_index(conn: &Connection, sql: &str, index: &str) -> bool {
    let plan = explain(conn, sql, &[]).join("\n");
    plan.contains(&format!("using {index}"))
}

/// Runs `statements` in order on both engines, comparing `checks` after each: a statement
/// one engine refuses the other must refuse too (a constraint error on EmberDB's side).
pub fn run_compared(
    ember: &Connection,
    sqlite: &rusqlite::Connection,
    statements: &[&str],
    checks: &[&str],
) {
    assert_same_answers(ember, sqlite, checks, "the schema");
    for statement in statements {
        let ours = ember.execute(statement, ());
        let theirs = sqlite.execute(statement, []);
        match (&ours, &theirs) {
            (Ok(_), Ok(_)) => {}
            (Err(error), Err(_)) => {
                assert_eq!(
                    error.kind(),
                    ember::ErrorKind::Constraint,
                    "{statement}: {error}"
                )
            }
            _ => panic!("{statement}: EmberDB {ours:?}, SQLite {theirs:?}"),
        }
        assert_same_answers(ember, sqlite, checks, statement);
    }
}

/// A fresh directory under the system temp dir, removed on drop; its name is unique within
/// the test process (tests run in parallel), whatever `name` the caller gives.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let unique = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let pid = std::process::id();
        let path = std::env::temp_dir().join(format!("ember-it-{name}-{pid}-{unique}"));
        let _ = std::fs::remove_dir_all(&path);
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
