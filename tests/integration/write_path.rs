//! The write path against a model: random INSERT/UPDATE/DELETE statements (prepared, with
//! parameters) in explicit transactions, some committed and some rolled back, some failing on
//! a constraint, checked after every transaction against a plain map of what the table must
//! hold. UPDATEs that assign a few columns write only those (`Transaction::update_columns`);
//! this checks that the other columns, the unique index, key moves, NOT NULL, coercion and
//! statement-level rollback all behave as a whole-row rewrite would.

use std::collections::BTreeMap;

use ember::{Connection, Database, ErrorKind, Value};

/// name, email, age, score of one row (the key is the map's).
#[derive(Debug, Clone, PartialEq)]
struct Person {
    name: String,
    email: Option<String>,
    age: i64,
    score: f64,
}

type Model = BTreeMap<i64, Person>;

fn setup() -> Connection {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT UNIQUE, \
         age INTEGER, score REAL)",
    )
    .unwrap();
    conn
}

fn table_rows(conn: &Connection) -> Model {
    let rows = conn.query("SELECT * FROM t ORDER BY id", ()).unwrap();
    let mut model = Model::new();
    for row in rows.values() {
        let [id, name, email, age, score] = row else {
            panic!("unexpected row {row:?}");
        };
        let (Value::Integer(id), Value::Text(name), Value::Integer(age), Value::Real(score)) =
            (id, name, age, score)
        else {
            panic!("unexpected row {row:?}");
        };
        let email = match email {
            Value::Null => None,
            Value::Text(email) => Some(email.clone()),
            other => panic!("email {other:?}"),
        };
        let person = Person {
            name: name.clone(),
            email,
            age: *age,
            score: *score,
        };
        model.insert(*id, person);
    }
    model
}

fn email_taken(model: &Model, email: &Option<String>, except: Option<i64>) -> bool {
    email.is_some()
        && model
            .iter()
            .any(|(id, person)| Some(*id) != except && person.email == *email)
}

/// Runs one random statement on `conn` and applies what it must do to `model`.
fn random_statement(conn: &Connection, model: &mut Model, rng: &mut fastrand::Rng) {
    let id = rng.i64(0..60);
    let email = (rng.u8(0..4) != 0).then(|| format!("e{}", rng.u8(0..40)));
    let outcome = match rng.u8(0..8) {
        0 => {
            let person = Person {
                name: format!("n{}", rng.u16(..)),
                email: email.clone(),
                age: rng.i64(0..90),
                score: rng.f64(),
            };
            let sql = "INSERT INTO t VALUES (?, ?, ?, ?, ?)";
            let params = (
                id,
                person.name.as_str(),
                person.email.as_deref(),
                person.age,
                person.score,
            );
            let outcome = conn.execute(sql, params);
            if model.contains_key(&id) || email_taken(model, &email, None) {
                assert_eq!(outcome.unwrap_err().kind(), ErrorKind::Constraint);
                return;
            }
            model.insert(id, person);
            outcome
        }
        1 | 2 => {
            let score = rng.f64() * 100.0;
            let outcome = conn.execute("UPDATE t SET score = ? WHERE id = ?", (score, id));
            if let Some(person) = model.get_mut(&id) {
                person.score = score;
            }
            outcome
        }
        3 => {
            // Assignments out of column order, one reading the old row.
            let name = format!("m{}", rng.u16(..));
            let sql = "UPDATE t SET score = age * 0.5, name = ?, age = age + 1 WHERE id = ?";
            let outcome = conn.execute(sql, (name.as_str(), id));
            if let Some(person) = model.get_mut(&id) {
                person.score = person.age as f64 * 0.5;
                person.name = name;
                person.age += 1;
            }
            outcome
        }
        4 => {
            let sql = "UPDATE t SET email = ? WHERE id = ?";
            let outcome = conn.execute(sql, (email.as_deref(), id));
            if model.contains_key(&id) && email_taken(model, &email, Some(id)) {
                assert_eq!(outcome.unwrap_err().kind(), ErrorKind::Constraint);
                return;
            }
            if let Some(person) = model.get_mut(&id) {
                person.email = email;
            }
            outcome
        }
        5 => {
            // A key move; the target key may be taken.
            let to = rng.i64(0..60);
            let outcome = conn.execute("UPDATE t SET id = ? WHERE id = ?", (to, id));
            if model.contains_key(&id) && to != id && model.contains_key(&to) {
                assert_eq!(outcome.unwrap_err().kind(), ErrorKind::Constraint);
                return;
            }
            if let Some(person) = model.remove(&id) {
                model.insert(to, person);
            }
            outcome
        }
        6 => {
            // A scan with a filter on another column, and a NOT NULL failure now and then.
            let age = rng.i64(0..100);
            if rng.bool() {
                let outcome = conn.execute("UPDATE t SET name = NULL WHERE age > ?", [age]);
                if model.values().any(|person| person.age > age) {
                    assert_eq!(outcome.unwrap_err().kind(), ErrorKind::Constraint);
                    return;
                }
                outcome
            } else {
                let outcome = conn.execute("UPDATE t SET score = score + 1 WHERE age > ?", [age]);
                for person in model.values_mut().filter(|person| person.age > age) {
                    person.score += 1.0;
                }
                outcome
            }
        }
        _ => {
            let outcome = conn.execute("DELETE FROM t WHERE id = ?", [id]);
            model.remove(&id);
            outcome
        }
    };
    outcome.unwrap();
}

#[test]
fn random_writes_in_transactions_match_a_model() {
    let conn = setup();
    let mut model = Model::new();
    let mut rng = fastrand::Rng::with_seed(9);
    for round in 0..300 {
        let before = model.clone();
        conn.execute("BEGIN", ()).unwrap();
        for _ in 0..rng.usize(1..20) {
            random_statement(&conn, &mut model, &mut rng);
        }
        if round % 5 == 4 {
            conn.execute("ROLLBACK", ()).unwrap();
            model = before;
        } else {
            conn.execute("COMMIT", ()).unwrap();
        }
        assert_eq!(table_rows(&conn), model, "round {round}");
    }
    assert!(model.len() > 10, "the run kept some rows: {}", model.len());
}

#[test]
fn assigned_columns_are_coerced_and_checked_like_whole_rows() {
    let conn = setup();
    conn.execute("INSERT INTO t VALUES (1, 'ada', NULL, 36, 1.5)", ())
        .unwrap();
    conn.execute("UPDATE t SET age = '42', score = 3 WHERE id = 1", ())
        .unwrap();
    let row = conn
        .query("SELECT age, score, typeof(score) FROM t", ())
        .unwrap();
    let expected = [
        Value::Integer(42),
        Value::Real(3.0),
        Value::Text("real".into()),
    ];
    assert_eq!(row.values()[0], expected);
    let error = conn
        .execute("UPDATE t SET age = 'old' WHERE id = 1", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Type, "{error}");
    let error = conn.execute("UPDATE t SET name = NULL", ()).unwrap_err();
    assert_eq!(error.message(), "NOT NULL constraint failed: t.name");
    // A statement that fails on its second row leaves its first row as it was.
    conn.execute("INSERT INTO t VALUES (2, 'bob', 'b@x', 20, 0.0)", ())
        .unwrap();
    conn.execute("INSERT INTO t VALUES (3, 'cy', 'c@x', 20, 0.0)", ())
        .unwrap();
    let error = conn
        .execute("UPDATE t SET email = 'same' WHERE age = 20", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Constraint, "{error}");
    let emails = conn.query("SELECT email FROM t ORDER BY id", ()).unwrap();
    let expected = [
        Value::Null,
        Value::Text("b@x".into()),
        Value::Text("c@x".into()),
    ];
    let got: Vec<Value> = emails.values().iter().map(|row| row[0].clone()).collect();
    assert_eq!(got, expected);
}

#[test]
fn update_and_delete_read_only_the_columns_they_need_and_still_see_the_rest() {
    // A correlated subquery in an assignment may read any column of the row.
    let conn = setup();
    conn.execute_batch(
        "CREATE TABLE bonus(age INTEGER PRIMARY KEY, extra REAL);
         INSERT INTO bonus VALUES (30, 10.0), (40, 20.0);
         INSERT INTO t VALUES (1, 'a', NULL, 30, 1.0), (2, 'b', NULL, 40, 2.0),
                              (3, 'c', NULL, 50, 3.0);
         UPDATE t SET score = score + (SELECT extra FROM bonus WHERE bonus.age = t.age)
           WHERE age < 50;
         DELETE FROM t WHERE name = 'b';",
    )
    .unwrap();
    let rows = conn
        .query("SELECT id, name, score FROM t ORDER BY id", ())
        .unwrap();
    let expected = vec![
        vec![
            Value::Integer(1),
            Value::Text("a".into()),
            Value::Real(11.0),
        ],
        vec![Value::Integer(3), Value::Text("c".into()), Value::Real(3.0)],
    ];
    assert_eq!(rows.values(), expected.as_slice());
}

#[test]
fn inserts_bind_parameters_and_defaults_into_rows_of_any_width() {
    let conn = Database::in_memory().connect();
    // Wider than the rows `INSERT` builds on the stack.
    let columns: Vec<String> = (1..12)
        .map(|i| format!("c{i} TEXT DEFAULT 'd{i}'"))
        .collect();
    let create = format!(
        "CREATE TABLE w(id INTEGER PRIMARY KEY, {})",
        columns.join(", ")
    );
    conn.execute(&create, ()).unwrap();
    let insert = "INSERT INTO w(id, c3, c11) VALUES (?, ?, ?)";
    // A long text (not kept in the connection's parameter list), then short ones that reuse
    // the list's buffers: every row must hold its own values.
    let long = "x".repeat(10_000);
    conn.execute(insert, (1, long.as_str(), "a")).unwrap();
    for id in 2..50i64 {
        let text = format!("t{id}");
        conn.execute(insert, (id, text.as_str(), Some(text.as_str())))
            .unwrap();
    }
    conn.execute(insert, (50, None::<&str>, "z")).unwrap();
    let rows = conn
        .query("SELECT id, c1, c3, c10, c11 FROM w ORDER BY id", ())
        .unwrap();
    let rows = rows.values();
    assert_eq!(rows.len(), 50);
    let text = |s: &str| Value::Text(s.to_string());
    assert_eq!(
        rows[0],
        [
            Value::Integer(1),
            text("d1"),
            text(&long),
            text("d10"),
            text("a")
        ]
    );
    for (id, row) in (2..50i64).zip(rows.iter().skip(1).take(48)) {
        let expected = [
            Value::Integer(id),
            text("d1"),
            text(&format!("t{id}")),
            text("d10"),
        ];
        assert_eq!(row[..4], expected);
        assert_eq!(row[4], text(&format!("t{id}")));
    }
    assert_eq!(
        rows[49][2],
        Value::Null,
        "an explicit NULL, not the default"
    );
    // INSERT ... SELECT (rows built from owned values), OR REPLACE and OR IGNORE.
    conn.execute(
        "INSERT INTO w(id, c2) SELECT id + 100, c3 FROM w WHERE id <= 3",
        (),
    )
    .unwrap();
    let c2: String = conn
        .query_value("SELECT c2 FROM w WHERE id = 102", ())
        .unwrap();
    assert_eq!(c2, "t2");
    let replace = "INSERT OR REPLACE INTO w(id, c1) VALUES (?, ?)";
    conn.execute(replace, (2, "replaced")).unwrap();
    let ignore = "INSERT OR IGNORE INTO w(id, c1) VALUES (?, ?)";
    assert_eq!(conn.execute(ignore, (3, "ignored")).unwrap(), 0);
    let rows = conn
        .query("SELECT c1, c3 FROM w WHERE id IN (2, 3) ORDER BY id", ())
        .unwrap();
    assert_eq!(
        rows.values(),
        [
            vec![text("replaced"), text("d3")],
            vec![text("d1"), text("t3")]
        ]
    );
    let error = conn.execute(insert, (2, "dup", "dup")).unwrap_err();
    assert_eq!(error.message(), "UNIQUE constraint failed: w.id");
}
