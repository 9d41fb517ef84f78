//! INSERT ... ON CONFLICT, RETURNING and INTEGER PRIMARY KEY through the API: RETURNING
//! rows from `query`, `query_row` and prepared statements (and the change count from
//! `execute`), `Connection::{last_insert_rowid, changes, total_changes}`, EXPLAIN of the
//! clauses, and AUTOINCREMENT keys that stay unused across reopening a directory database
//! (replayed from the WAL, and loaded from a checkpoint).

use crate::support::TempDir;
use ember::{Database, ErrorKind, Options, SyncPolicy, Value};

fn ints(rows: ember::RowSet) -> Vec<Vec<i64>> {
    rows.into_iter()
        .map(|row| {
            (0..row.values().len())
                .map(|i| row.get(i).unwrap())
                .collect()
        })
        .collect()
}

#[test]
fn returning_rows_come_back_through_query_and_prepared_statements() {
    let conn = Database::in_memory().connect();
    conn.execute(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER DEFAULT 7)",
        (),
    )
    .unwrap();
    let rows = conn
        .query(
            "INSERT INTO t(v) VALUES (?), (NULL), (?) RETURNING id, v",
            [5, 6],
        )
        .unwrap();
    assert_eq!(rows.columns(), ["id", "v"]);
    let values: Vec<Vec<Value>> = rows.values().to_vec();
    assert_eq!(
        values,
        [
            vec![Value::Integer(1), Value::Integer(5)],
            vec![Value::Integer(2), Value::Null],
            vec![Value::Integer(3), Value::Integer(6)],
        ]
    );
    // execute refuses a statement that returns rows (as rusqlite does), and undoes it.
    let refused = conn
        .execute("INSERT INTO t(v) VALUES (1), (2) RETURNING *", ())
        .unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::ExecuteReturnedResults);
    conn.execute("INSERT INTO t(v) VALUES (1), (2)", ())
        .unwrap();
    let mut insert = conn
        .prepare("INSERT INTO t(v) VALUES (?) RETURNING id, v * 10 AS big")
        .unwrap();
    for v in 0..3 {
        let (id, big) = insert
            .query_row([v], |row| Ok((row.get::<i64>(0)?, row.get::<i64>("big")?)))
            .unwrap();
        assert_eq!((id, big), (6 + v, v * 10));
    }
    let refused = insert.execute([9]).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::ExecuteReturnedResults);
    let id: i64 = insert.query_row([9], |row| row.get(0)).unwrap();
    assert_eq!(id, 9, "the refused execute inserted nothing");
    let mut update = conn
        .prepare("UPDATE t SET v = v + 1 WHERE id > ? RETURNING id")
        .unwrap();
    assert_eq!(ints(update.query_all([7]).unwrap()), [vec![8], vec![9]]);
    let mut delete = conn
        .prepare("DELETE FROM t WHERE id = ? RETURNING v")
        .unwrap();
    assert_eq!(delete.query_value::<i64>([9]).unwrap(), 10);
    assert_eq!(delete.query([9]).unwrap().count(), 0, "RETURNING nothing");
    // A script's outcome (what the REPL prints) carries the rows and their columns.
    let outcomes = conn
        .run_script("UPDATE t SET v = 0 WHERE id = 1 RETURNING id, v")
        .unwrap();
    assert_eq!(outcomes[0].columns, ["id", "v"]);
    assert_eq!(
        outcomes[0].rows,
        [vec![Value::Integer(1), Value::Integer(0)]]
    );
    assert_eq!(outcomes[0].changes, 1);
}

#[test]
fn connection_counters_follow_sqlite() {
    let conn = Database::in_memory().connect();
    assert_eq!(
        (
            conn.last_insert_rowid(),
            conn.changes(),
            conn.total_changes()
        ),
        (0, 0, 0)
    );
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT UNIQUE);
         INSERT INTO t(name) VALUES ('a'), ('b'), ('c')",
    )
    .unwrap();
    assert_eq!(
        (
            conn.last_insert_rowid(),
            conn.changes(),
            conn.total_changes()
        ),
        (3, 3, 3)
    );
    // A failed statement: changes() is 0, and last_insert_rowid() keeps the key of the row
    // inserted before the failure (rolled back), as SQLite's does.
    let error = conn
        .execute("INSERT INTO t(name) VALUES ('d'), ('a')", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Constraint);
    assert_eq!(
        (
            conn.last_insert_rowid(),
            conn.changes(),
            conn.total_changes()
        ),
        (4, 0, 3)
    );
    // An upsert's update counts as a change and leaves last_insert_rowid().
    conn.execute(
        "INSERT INTO t(name) VALUES ('a') ON CONFLICT(name) DO UPDATE SET name = 'aa'",
        (),
    )
    .unwrap();
    assert_eq!((conn.last_insert_rowid(), conn.changes()), (4, 1));
    conn.execute("DELETE FROM t", ()).unwrap();
    assert_eq!((conn.changes(), conn.total_changes()), (3, 7));
    // The counters are per connection.
    let other = conn.database().connect();
    assert_eq!((other.last_insert_rowid(), other.total_changes()), (0, 0));
    let seen: (i64, i64, i64) = conn
        .query_row(
            "SELECT last_insert_rowid(), changes(), total_changes()",
            (),
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .unwrap();
    assert_eq!(seen, (4, 3, 7));
}

#[test]
fn explain_shows_the_clauses_and_errors_name_the_cause() {
    let conn = Database::in_memory().connect();
    conn.execute("CREATE TABLE t(k TEXT PRIMARY KEY, v INT)", ())
        .unwrap();
    let plan: Vec<String> = conn
        .query(
            "EXPLAIN INSERT INTO t VALUES ('a', 1) ON CONFLICT(k) DO UPDATE SET v = excluded.v \
             RETURNING k",
            (),
        )
        .unwrap()
        .into_iter()
        .map(|row| row.get(0).unwrap())
        .collect();
    assert_eq!(
        plan[0],
        "Insert t upsert on (ember_autoindex_t_1) do update set v = excluded.v returning k"
    );
    let error = conn
        .execute(
            "INSERT INTO t VALUES ('a', 1) ON CONFLICT(v) DO NOTHING",
            (),
        )
        .unwrap_err();
    assert_eq!(
        error.message(),
        "ON CONFLICT clause does not match any PRIMARY KEY or UNIQUE constraint"
    );
    conn.execute("CREATE TABLE w(k TEXT PRIMARY KEY) WITHOUT ROWID", ())
        .unwrap();
    let error = conn.query("SELECT rowid FROM w", ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unsupported);
    assert!(error
        .message()
        .contains("rowid of a table without an INTEGER PRIMARY KEY"));
    // Supported (tests/slt/update_or.slt).
    assert!(conn.execute("UPDATE OR FAIL t SET v = 2", ()).is_ok());
}

/// Keys of `t` after inserting one row with no key.
fn insert_and_list(db: &Database) -> Vec<i64> {
    let conn = db.connect();
    conn.execute("INSERT INTO t(v) VALUES ('new')", ()).unwrap();
    let rows = conn.query("SELECT id FROM t ORDER BY id", ()).unwrap();
    rows.into_iter().map(|row| row.get(0).unwrap()).collect()
}

#[test]
fn autoincrement_never_reuses_a_key_across_reopens_and_checkpoints() {
    let dir = TempDir::new("autoincrement");
    let options = Options::new().sync_policy(SyncPolicy::Off);
    {
        let db = Database::open_with(&dir.0, options.clone()).unwrap();
        db.connect()
            .execute_batch(
                "CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);
                 CREATE TABLE plain(id INTEGER PRIMARY KEY, v TEXT);
                 INSERT INTO t(v) VALUES ('a'), ('b'), ('c');
                 DELETE FROM t WHERE id >= 2;",
            )
            .unwrap();
    }
    // Replayed from the WAL: 2 and 3 stay used.
    let db = Database::open_with(&dir.0, options.clone()).unwrap();
    assert_eq!(insert_and_list(&db), [1, 4]);
    db.connect()
        .execute_batch("DELETE FROM t WHERE id = 4; CHECKPOINT")
        .unwrap();
    drop(db);
    // Loaded from the checkpoint.
    let db = Database::open_with(&dir.0, options.clone()).unwrap();
    assert_eq!(insert_and_list(&db), [1, 5]);
    let conn = db.connect();
    conn.execute_batch("CHECKPOINT; DELETE FROM t WHERE id = 5")
        .unwrap();
    drop(conn);
    drop(db);
    // The checkpoint, then the WAL after it.
    let db = Database::open_with(&dir.0, options).unwrap();
    assert_eq!(insert_and_list(&db), [1, 6]);
    let seq: i64 = db
        .connect()
        .query_value("SELECT seq FROM sqlite_sequence WHERE name = 't'", ())
        .unwrap();
    assert_eq!(seq, 6);
    // Without AUTOINCREMENT the largest key is reused after it is deleted, also after a
    // reopen (the primary index's largest key is rebuilt by the replay).
    let conn = db.connect();
    conn.execute_batch(
        "INSERT INTO plain(v) VALUES ('a'), ('b'); DELETE FROM plain WHERE id = 2;
         INSERT INTO plain(v) VALUES ('c')",
    )
    .unwrap();
    assert_eq!(conn.last_insert_rowid(), 2);
}
