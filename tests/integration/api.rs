//! The library API end to end: create, insert, query with typed access, update, delete,
//! transactions, EXPLAIN.

use ember::{Database, ErrorKind, Value};

fn setup() -> ember::Connection {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE people(id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INT, score REAL,
                             active BOOLEAN DEFAULT TRUE, photo BLOB);
         INSERT INTO people(id, name, age, score) VALUES (1, 'ada', 36, 9.5), (2, 'bob', NULL, 7);
         INSERT INTO people VALUES (3, 'cy', 20, NULL, FALSE, X'00FF');",
    )
    .unwrap();
    conn
}

#[test]
fn typed_access_by_position_and_name() {
    let conn = setup();
    let rows = conn
        .query(
            "SELECT id, name, age, score, active, photo FROM people ORDER BY id",
            (),
        )
        .unwrap();
    assert_eq!(
        rows.columns(),
        ["id", "name", "age", "score", "active", "photo"]
    );
    let rows: Vec<_> = rows.into_iter().collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].get::<String>("name").unwrap(), "ada");
    assert_eq!(rows[1].get::<Option<i64>>(2).unwrap(), None);
    assert_eq!(
        rows[1].get::<f64>("score").unwrap(),
        7.0,
        "integer stored in REAL column"
    );
    assert!(rows[0].get::<bool>("active").unwrap(), "DEFAULT TRUE");
    assert_eq!(rows[2].get::<Vec<u8>>("photo").unwrap(), vec![0, 255]);
    let error = rows[1].get::<i64>("age").unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Type, "NULL into i64: {error}");
}

#[test]
fn update_delete_and_counts() {
    let conn = setup();
    assert_eq!(
        conn.execute("UPDATE people SET age = age + 1 WHERE age IS NOT NULL", ())
            .unwrap(),
        2
    );
    assert_eq!(
        conn.execute("DELETE FROM people WHERE id = 2", ()).unwrap(),
        1
    );
    let rows = conn
        .query("SELECT id, age FROM people ORDER BY id", ())
        .unwrap();
    assert_eq!(
        rows.values(),
        &[
            vec![Value::Integer(1), Value::Integer(37)],
            vec![Value::Integer(3), Value::Integer(21)]
        ]
    );
}

#[test]
fn parameters_bind_positionally() {
    let conn = setup();
    let rows = conn
        .query(
            "SELECT name FROM people WHERE age > ? AND id <> $2",
            (19, 1),
        )
        .unwrap();
    assert_eq!(rows.first().unwrap().get::<String>(0).unwrap(), "cy");
    let error = conn.query("SELECT ?", ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
}

#[test]
fn explicit_transactions_commit_and_roll_back() {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute_batch("CREATE TABLE t(id INT PRIMARY KEY); BEGIN; INSERT INTO t VALUES (1);")
        .unwrap();
    let other = db.connect();
    assert!(
        other.query("SELECT id FROM t", ()).unwrap().is_empty(),
        "uncommitted is invisible"
    );
    conn.execute("COMMIT", ()).unwrap();
    assert_eq!(other.query("SELECT id FROM t", ()).unwrap().len(), 1);
    conn.execute_batch("BEGIN; INSERT INTO t VALUES (2); ROLLBACK;")
        .unwrap();
    assert_eq!(other.query("SELECT id FROM t", ()).unwrap().len(), 1);
    assert_eq!(
        conn.execute("COMMIT", ()).unwrap_err().kind(),
        ErrorKind::Transaction
    );
}

#[test]
fn failed_statement_in_transaction_undoes_only_itself() {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute_batch("CREATE TABLE t(id INT PRIMARY KEY); BEGIN; INSERT INTO t VALUES (1);")
        .unwrap();
    let error = conn
        .execute("INSERT INTO t VALUES (2), (1)", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Constraint);
    conn.execute("COMMIT", ()).unwrap();
    let rows = conn.query("SELECT id FROM t", ()).unwrap();
    assert_eq!(rows.values(), &[vec![Value::Integer(1)]]);
}

#[test]
fn explain_shows_a_key_lookup() {
    let conn = setup();
    let plan = conn
        .query("EXPLAIN SELECT * FROM people WHERE id = 5", ())
        .unwrap();
    let text: Vec<String> = plan.into_iter().map(|row| row.get(0).unwrap()).collect();
    assert!(
        text.iter()
            .any(|line| line.contains("KeyLookup people (id = 5)")),
        "{text:#?}"
    );
    let plan = conn
        .query("EXPLAIN SELECT * FROM people WHERE age = 5", ())
        .unwrap();
    let text: Vec<String> = plan.into_iter().map(|row| row.get(0).unwrap()).collect();
    assert!(
        text.iter().any(|line| line.contains("Scan people")),
        "{text:#?}"
    );
}

#[test]
fn database_is_shared_across_threads() {
    let db = Database::in_memory();
    db.connect()
        .execute("CREATE TABLE t(id INT PRIMARY KEY, n INT)", ())
        .unwrap();
    let threads: Vec<_> = (0..4)
        .map(|thread| {
            let db = db.clone();
            std::thread::spawn(move || {
                let conn = db.connect();
                for i in 0..250 {
                    conn.execute("INSERT INTO t VALUES (?, ?)", (thread * 1000 + i, i))
                        .unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let rows = db.connect().query("SELECT id FROM t", ()).unwrap();
    assert_eq!(rows.len(), 1000);
}
