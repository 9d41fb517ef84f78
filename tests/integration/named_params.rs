//! Named parameters (`:name`, `@name`, `$name`) and SQLite's numbering of `?`, `?NNN` and
//! names, checked against the bundled SQLite (rusqlite): the same slots, the same names and
//! the same results; bad bindings by name are errors that name the parameter.

use ember::{named_params, Database, ErrorKind, Value};

/// Each parameter's name by 1-based index in SQLite, and its count.
fn sqlite_parameters(sql: &str) -> Vec<Option<String>> {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    let stmt = conn.prepare(sql).unwrap();
    (1..=stmt.parameter_count())
        .map(|i| stmt.parameter_name(i).map(str::to_string))
        .collect()
}

#[test]
fn numbering_and_names_match_sqlite() {
    let conn = Database::in_memory().connect();
    for sql in [
        "SELECT ?, ?, ?",
        "SELECT ?5, ?",
        "SELECT :a, @a, $a, :a, ?",
        "SELECT ?2, :x, ?1, :x",
        "SELECT CASE WHEN ? THEN :a ELSE ? END, :a",
        "SELECT @p + 1 WHERE @p > ? ORDER BY ?3",
        "WITH c(v) AS (SELECT :v) SELECT v, :w, ? FROM c",
    ] {
        let stmt = conn.prepare(sql).unwrap();
        let ours: Vec<Option<String>> = (1..=stmt.parameter_count())
            .map(|i| stmt.parameter_name(i).map(str::to_string))
            .collect();
        assert_eq!(ours, sqlite_parameters(sql), "{sql}");
        for (i, name) in ours.iter().enumerate() {
            if let Some(name) = name {
                assert_eq!(stmt.parameter_index(name), Some(i + 1), "{sql}");
            }
        }
    }
}

#[test]
fn results_by_name_match_sqlite() {
    let sql = "SELECT :a || '-' || @b || '-' || $c || '-' || :a, ?";
    let ours = Database::in_memory().connect();
    let mut stmt = ours.prepare(sql).unwrap();
    assert_eq!(stmt.parameter_count(), 4);
    let text = |s: &str| Value::Text(s.into());
    let rows = stmt.query(&[text("x"), text("y"), text("z"), Value::Integer(4)][..]);
    let row = rows.unwrap().next().unwrap().unwrap();
    let lite = rusqlite::Connection::open_in_memory().unwrap();
    let expected: (String, i64) = lite
        .query_row(sql, rusqlite::params!["x", "y", "z", 4], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(
        (row.get::<String>(0).unwrap(), row.get::<i64>(1).unwrap()),
        expected
    );

    let text: String = ours
        .query_value(
            "SELECT :a || '-' || @b || '-' || $c || '-' || :a",
            named_params! {"$c": "z", ":a": "x", "@b": "y"},
        )
        .unwrap();
    assert_eq!(text, "x-y-z-x");
}

#[test]
fn named_writes_through_execute_and_prepared_statements() {
    let conn = Database::in_memory().connect();
    conn.execute_batch("CREATE TABLE t(id INT PRIMARY KEY, name TEXT, score REAL)")
        .unwrap();
    let mut insert = conn
        .prepare("INSERT INTO t VALUES (:id, :name, :score)")
        .unwrap();
    for id in 0..10i64 {
        let name = format!("n{id}");
        insert
            .execute(named_params! {":score": id as f64 / 2.0, ":id": id, ":name": name})
            .unwrap();
    }
    let changed = conn
        .execute(
            "UPDATE t SET score = score + @delta WHERE id >= @from",
            named_params! {"@delta": 100, "@from": 8},
        )
        .unwrap();
    assert_eq!(changed, 2);
    let total: f64 = conn
        .query_row(
            "SELECT sum(score) FROM t WHERE name <> $skip",
            named_params! {"$skip": "n0"},
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(total, 222.5);
}

#[test]
fn unknown_missing_and_unnamed_parameters_are_errors() {
    let conn = Database::in_memory().connect();
    let error = conn
        .query_value::<i64>("SELECT :a", named_params! {":a": 1, ":b": 2})
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert!(error.to_string().contains(":b"), "{error}");

    let error = conn
        .query_value::<i64>("SELECT :a + :c", named_params! {":a": 1})
        .unwrap_err();
    assert!(error.to_string().contains(":c"), "{error}");

    let error = conn
        .query_value::<i64>("SELECT :a + ?", named_params! {":a": 1})
        .unwrap_err();
    assert!(
        error.to_string().contains("parameter 2 has no name"),
        "{error}"
    );

    let error = conn
        .query_value::<i64>("SELECT :a", named_params! {":a": 1, ":a": 2})
        .unwrap_err();
    assert!(error.to_string().contains("two values"), "{error}");

    // A name without its prefix is not the parameter's name.
    let error = conn
        .query_value::<i64>("SELECT :a", named_params! {"a": 1})
        .unwrap_err();
    assert!(error.to_string().contains("named a"), "{error}");

    // Positional binding still works for named parameters, in slot order.
    assert_eq!(
        conn.query_value::<i64>("SELECT :a - :b + :a", (10, 3))
            .unwrap(),
        17
    );
    assert_eq!(
        conn.query_value::<i64>("SELECT ?0", [1])
            .unwrap_err()
            .kind(),
        ErrorKind::Limit
    );
}
