//! Generated columns beyond what tests/slt/generated_columns.slt shows: the definition
//! survives a reopen from the WAL and from a checkpoint (it is part of the CREATE TABLE
//! text), rows written after the reopen are computed again, RENAME COLUMN keeps the
//! expression working, and a foreign key's ON UPDATE CASCADE recomputes a generated
//! column reading the key.

use crate::support::TempDir;
use ember::{Connection, Database, Value};

fn rows(conn: &Connection, sql: &str) -> Vec<Vec<Value>> {
    conn.query(sql, ()).unwrap().values().to_vec()
}

fn int(value: i64) -> Value {
    Value::Integer(value)
}

fn text(value: &str) -> Value {
    Value::Text(value.into())
}

#[test]
fn generated_columns_survive_reopen_and_rename() {
    let dir = TempDir::new("generated-reopen");
    {
        let db = Database::open(&dir.0).unwrap();
        let conn = db.connect();
        conn.execute_batch(
            "CREATE TABLE g(a INTEGER, b INTEGER AS (a * 2) STORED, c TEXT AS (b || 'x'));
             INSERT INTO g(a) VALUES (1), (2)",
        )
        .unwrap();
    }
    for checkpoint in [false, true, true] {
        let db = Database::open(&dir.0).unwrap();
        let conn = db.connect();
        let hidden = rows(&conn, "SELECT name, hidden FROM pragma_table_xinfo('g')");
        assert_eq!(
            hidden,
            vec![
                vec![text("a"), int(0)],
                vec![text("b"), int(3)],
                vec![text("c"), int(2)]
            ]
        );
        let error = conn
            .execute("INSERT INTO g VALUES (1, 2, 3)", ())
            .unwrap_err();
        assert_eq!(
            error.message(),
            "table g has 1 columns but 3 values were supplied"
        );
        conn.execute("INSERT INTO g VALUES (10)", ()).unwrap();
        let last = rows(&conn, "SELECT b, c FROM g WHERE a = 10");
        assert_eq!(last, vec![vec![int(20), text("20x")]]);
        conn.execute("DELETE FROM g WHERE a = 10", ()).unwrap();
        if checkpoint {
            conn.execute("CHECKPOINT", ()).unwrap();
        }
    }
    let db = Database::open(&dir.0).unwrap();
    let conn = db.connect();
    conn.execute("ALTER TABLE g RENAME COLUMN a TO base", ())
        .unwrap();
    conn.execute("UPDATE g SET base = base + 5 WHERE base = 2", ())
        .unwrap();
    drop(conn);
    drop(db);
    let db = Database::open(&dir.0).unwrap();
    let conn = db.connect();
    let all = rows(&conn, "SELECT base, b, c FROM g ORDER BY base");
    assert_eq!(
        all,
        vec![
            vec![int(1), int(2), text("2x")],
            vec![int(7), int(14), text("14x")]
        ]
    );
}

#[test]
fn a_cascade_recomputes_generated_columns() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "PRAGMA foreign_keys = ON;
         CREATE TABLE p(id INTEGER PRIMARY KEY);
         CREATE TABLE c(pid INTEGER REFERENCES p(id) ON UPDATE CASCADE ON DELETE SET NULL,
                        tag TEXT AS ('p' || coalesce(pid, 'none')));
         INSERT INTO p VALUES (1), (2);
         INSERT INTO c(pid) VALUES (1), (2);
         UPDATE p SET id = 10 WHERE id = 1;
         DELETE FROM p WHERE id = 2",
    )
    .unwrap();
    let tags = rows(&conn, "SELECT tag FROM c ORDER BY tag");
    assert_eq!(tags, vec![vec![text("p10")], vec![text("pnone")]]);
}
