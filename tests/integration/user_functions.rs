//! User-defined functions through the library API (`Database::create_scalar_function`,
//! `create_aggregate_function`): scalar and variadic calls, errors and panics becoming the
//! statement's error, one registration seen by connections on 4 threads, aggregates with
//! GROUP BY / FILTER / DISTINCT, the deterministic flag, precedence over built-ins, and
//! cached or failed plans binding again after a registration.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use ember::{Aggregate, Database, ErrorKind, FunctionContext, FunctionFlags, Result};

fn numbers(db: &Database) -> ember::Connection {
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, g TEXT, x INT);
         INSERT INTO t VALUES (1, 'a', 2), (2, 'a', 3), (3, 'b', 5), (4, 'b', NULL), (5, 'a', 3);",
    )
    .unwrap();
    conn
}

fn column_i64(conn: &ember::Connection, sql: &str) -> Vec<Option<i64>> {
    conn.query(sql, ())
        .unwrap()
        .into_iter()
        .map(|row| row.get(0).unwrap())
        .collect()
}

#[test]
fn scalar_function_in_projection_and_where() {
    let db = Database::in_memory();
    db.create_scalar_function("double", 1, FunctionFlags::DETERMINISTIC, |ctx| {
        Ok(ctx.get::<Option<i64>>(0)?.map(|x| x * 2))
    })
    .unwrap();
    let conn = numbers(&db);
    assert_eq!(
        column_i64(&conn, "SELECT DOUBLE(x) FROM t ORDER BY id"),
        [Some(4), Some(6), Some(10), None, Some(6)]
    );
    assert_eq!(
        column_i64(&conn, "SELECT id FROM t WHERE double(x) > 5 ORDER BY id"),
        [Some(2), Some(3), Some(5)]
    );
    let explain: String = conn
        .query_value("EXPLAIN SELECT double(x) FROM t", ())
        .unwrap();
    assert!(explain.contains("double(x)"), "{explain}");
}

#[test]
fn variadic_and_fixed_arity() {
    let db = Database::in_memory();
    db.create_scalar_function("total_of", -1, FunctionFlags::DETERMINISTIC, |ctx| {
        let mut sum = 0;
        for index in 0..ctx.len() {
            sum += ctx.get::<i64>(index)?;
        }
        Ok(sum)
    })
    .unwrap();
    db.create_scalar_function("total_of", 2, FunctionFlags::DETERMINISTIC, |_| Ok("two"))
        .unwrap();
    let conn = db.connect();
    assert_eq!(conn.query_value::<i64>("SELECT total_of()", ()).unwrap(), 0);
    assert_eq!(
        conn.query_value::<i64>("SELECT total_of(1, 2, 3)", ())
            .unwrap(),
        6
    );
    // The registration for exactly two arguments wins over the variadic one.
    assert_eq!(
        conn.query_value::<String>("SELECT total_of(1, 2)", ())
            .unwrap(),
        "two"
    );
    db.create_scalar_function("one_arg", 1, FunctionFlags::NONE, |_| Ok(1))
        .unwrap();
    let error = conn.query("SELECT one_arg(1, 2)", ()).unwrap_err();
    assert_eq!(
        error.message(),
        "wrong number of arguments to function one_arg()"
    );
}

#[test]
fn registration_refuses_bad_names_and_counts() {
    let db = Database::in_memory();
    for (name, n_args) in [("", 1), ("a b", 1), ("9lives", 0), ("f", 128), ("f", -2)] {
        let error = db
            .create_scalar_function(name, n_args, FunctionFlags::NONE, |_| Ok(0))
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{name} {n_args}");
    }
}

#[test]
fn function_error_is_the_statement_error_and_changes_nothing() {
    let db = Database::in_memory();
    db.create_scalar_function("checked", 1, FunctionFlags::DETERMINISTIC, |ctx| {
        let x: i64 = ctx.get(0)?;
        if x > 3 {
            return Err(ember::Error::new(ErrorKind::InvalidInput, "too big"));
        }
        Ok(x)
    })
    .unwrap();
    let conn = numbers(&db);
    conn.execute("CREATE TABLE out(v INT)", ()).unwrap();
    let error = conn
        .execute("INSERT INTO out SELECT checked(id) FROM t", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert_eq!(error.message(), "checked(): too big");
    assert_eq!(
        conn.query_value::<i64>("SELECT count(*) FROM out", ())
            .unwrap(),
        0
    );
    // A conversion error names the function and the argument.
    let error = conn.query("SELECT checked('x')", ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Type);
    assert!(
        error.message().starts_with("checked(): argument 0:"),
        "{error}"
    );
}

#[test]
fn panic_in_function_is_an_error_and_the_database_lives_on() {
    let db = Database::in_memory();
    db.create_scalar_function("boom", 1, FunctionFlags::NONE, |ctx| -> Result<i64> {
        if ctx.get::<i64>(0)? == 3 {
            panic!("exploded at 3");
        }
        Ok(0)
    })
    .unwrap();
    let conn = numbers(&db);
    conn.execute("CREATE TABLE out(v INT)", ()).unwrap();
    let error = conn
        .execute("INSERT INTO out SELECT boom(id) FROM t", ())
        .unwrap_err();
    assert_eq!(error.message(), "boom() panicked: exploded at 3");
    assert_eq!(
        conn.query_value::<i64>("SELECT count(*) FROM out", ())
            .unwrap(),
        0
    );
    conn.execute("INSERT INTO out SELECT boom(id) FROM t WHERE id < 3", ())
        .unwrap();
    let other = db.connect();
    assert_eq!(
        other
            .query_value::<i64>("SELECT count(*) FROM out", ())
            .unwrap(),
        2
    );
}

#[test]
fn one_registration_serves_connections_on_four_threads() {
    let db = Database::in_memory();
    let calls = Arc::new(AtomicI64::new(0));
    let counter = calls.clone();
    db.create_scalar_function("square", 1, FunctionFlags::DETERMINISTIC, move |ctx| {
        counter.fetch_add(1, Ordering::Relaxed);
        let x: i64 = ctx.get(0)?;
        Ok(x * x)
    })
    .unwrap();
    numbers(&db);
    let threads: Vec<_> = (0..4)
        .map(|thread| {
            let db = db.clone();
            std::thread::spawn(move || {
                let conn = db.connect();
                for round in 0..50 {
                    let offset = thread * 100 + round;
                    let sum: i64 = conn
                        .query_value("SELECT sum(square(id + ?)) FROM t", [offset])
                        .unwrap();
                    let expected: i64 = (1..=5).map(|id| (id + offset) * (id + offset)).sum();
                    assert_eq!(sum, expected);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(calls.load(Ordering::Relaxed), 4 * 50 * 5);
}

#[test]
fn non_deterministic_functions_run_per_row_and_stay_out_of_checks() {
    let db = Database::in_memory();
    let next = Arc::new(AtomicI64::new(0));
    let counter = next.clone();
    db.create_scalar_function("next_number", 0, FunctionFlags::NONE, move |_| {
        Ok(counter.fetch_add(1, Ordering::Relaxed))
    })
    .unwrap();
    db.create_scalar_function("is_even", 1, FunctionFlags::DETERMINISTIC, |ctx| {
        Ok(ctx.get::<i64>(0)? % 2 == 0)
    })
    .unwrap();
    let conn = numbers(&db);
    assert_eq!(
        column_i64(&conn, "SELECT next_number() FROM t ORDER BY id"),
        [Some(0), Some(1), Some(2), Some(3), Some(4)]
    );
    let error = conn
        .execute("CREATE TABLE c(a INT CHECK (a > next_number()))", ())
        .unwrap_err();
    assert_eq!(
        error.message(),
        "non-deterministic functions prohibited in CHECK constraints"
    );
    // A deterministic call on constants is a constant: `id = f(1)` is a key lookup; a
    // non-deterministic one is not.
    let plan = |sql: &str| -> String {
        conn.query(sql, ())
            .unwrap()
            .into_iter()
            .map(|row| row.get::<String>(0).unwrap())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let constant = plan("EXPLAIN SELECT g FROM t WHERE id = is_even(1) + 1");
    let per_row = plan("EXPLAIN SELECT g FROM t WHERE id = next_number() + 1");
    assert!(constant.contains("KeyLookup t"), "{constant}");
    assert!(per_row.contains("Scan t filter"), "{per_row}");
    conn.execute("CREATE TABLE c(a INT CHECK (is_even(a)))", ())
        .unwrap();
    conn.execute("INSERT INTO c VALUES (2)", ()).unwrap();
    let error = conn.execute("INSERT INTO c VALUES (3)", ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Constraint);
}

#[test]
fn user_function_overrides_a_builtin_of_the_same_arity() {
    let db = Database::in_memory();
    let conn = db.connect();
    assert_eq!(
        conn.query_value::<String>("SELECT upper('a')", ()).unwrap(),
        "A"
    );
    db.create_scalar_function("upper", 1, FunctionFlags::DETERMINISTIC, |ctx| {
        Ok(format!("<{}>", ctx.get::<String>(0)?))
    })
    .unwrap();
    // The cached plan of the same text binds again and sees the new function.
    assert_eq!(
        conn.query_value::<String>("SELECT upper('a')", ()).unwrap(),
        "<a>"
    );
    // Other arities keep the built-in's rules.
    let error = conn.query("SELECT upper('a', 'b')", ()).unwrap_err();
    assert_eq!(
        error.message(),
        "wrong number of arguments to function upper()"
    );
}

#[test]
fn statements_bind_again_after_registration() {
    let db = Database::in_memory();
    let conn = db.connect();
    let Err(error) = conn.prepare("SELECT later(1)") else {
        panic!("later() is not registered yet");
    };
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert_eq!(error.message(), "no such function: later");
    db.create_scalar_function("later", 1, FunctionFlags::DETERMINISTIC, |_| Ok(1))
        .unwrap();
    assert_eq!(conn.query_value::<i64>("SELECT later(1)", ()).unwrap(), 1);
    let mut statement = conn.prepare("SELECT later(1)").unwrap();
    db.create_scalar_function("later", 1, FunctionFlags::DETERMINISTIC, |_| Ok(2))
        .unwrap();
    let rows: Vec<i64> = statement
        .query(())
        .unwrap()
        .map(|row| row.unwrap().get(0).unwrap())
        .collect();
    assert_eq!(rows, [2]);
}

/// Collects its integer arguments as text, "a|b|c", and counts NULLs as "-".
struct Joined;

impl Aggregate for Joined {
    type State = Vec<String>;
    type Output = String;

    fn init(&self) -> Vec<String> {
        Vec::new()
    }

    fn step(&self, parts: &mut Vec<String>, args: &FunctionContext<'_>) -> Result<()> {
        let value: Option<i64> = args.get(0)?;
        parts.push(value.map_or("-".to_string(), |v| v.to_string()));
        Ok(())
    }

    fn finalize(&self, parts: &Vec<String>) -> Result<String> {
        Ok(parts.join("|"))
    }
}

fn joined(conn: &ember::Connection, sql: &str) -> Vec<(String, String)> {
    conn.query(sql, ())
        .unwrap()
        .into_iter()
        .map(|row| (row.get(0).unwrap(), row.get(1).unwrap()))
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn aggregate_as_window_function() {
    let db = Database::in_memory();
    db.create_aggregate_function("joined", 1, FunctionFlags::DETERMINISTIC, Joined)
        .unwrap();
    let conn = numbers(&db);
    let column = |sql: &str| -> Vec<String> {
        conn.query(sql, ())
            .unwrap()
            .into_iter()
            .map(|row| row.get(0).unwrap())
            .collect()
    };
    assert_eq!(
        column("SELECT joined(x) OVER (ORDER BY id) FROM t ORDER BY id"),
        ["2", "2|3", "2|3|5", "2|3|5|-", "2|3|5|-|3"]
    );
    assert_eq!(
        column(
            "SELECT joined(x) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) \
             FROM t ORDER BY id"
        ),
        ["2", "2|3", "3|5", "5|-", "-|3"]
    );
    assert_eq!(
        column("SELECT joined(x) OVER (PARTITION BY g ORDER BY id) FROM t ORDER BY id"),
        ["2", "2|3", "5", "5|-", "2|3|3"]
    );
    assert_eq!(
        column("SELECT joined(x) FILTER (WHERE id <> 2) OVER () FROM t ORDER BY id LIMIT 1"),
        ["2|5|-|3"]
    );
}

#[test]
fn aggregate_with_group_by_filter_and_distinct() {
    let db = Database::in_memory();
    db.create_aggregate_function("joined", 1, FunctionFlags::DETERMINISTIC, Joined)
        .unwrap();
    let conn = numbers(&db);
    assert_eq!(
        joined(&conn, "SELECT g, joined(x) FROM t GROUP BY g ORDER BY g"),
        pairs(&[("a", "2|3|3"), ("b", "5|-")])
    );
    assert_eq!(
        joined(
            &conn,
            "SELECT g, joined(x) FILTER (WHERE id > 1) FROM t GROUP BY g ORDER BY g"
        ),
        pairs(&[("a", "3|3"), ("b", "5|-")])
    );
    assert_eq!(
        joined(
            &conn,
            "SELECT g, joined(DISTINCT x) FROM t GROUP BY g ORDER BY g"
        ),
        pairs(&[("a", "2|3"), ("b", "5|-")])
    );
    assert_eq!(
        joined(
            &conn,
            "SELECT g, joined(x) FROM t GROUP BY g HAVING joined(x) LIKE '%|%|%' ORDER BY g"
        ),
        pairs(&[("a", "2|3|3")])
    );
    // Over no rows: finalize of a fresh state.
    assert_eq!(
        conn.query_value::<String>("SELECT joined(x) FROM t WHERE id > 99", ())
            .unwrap(),
        ""
    );
    let error = conn
        .query("SELECT id FROM t WHERE joined(x) = ''", ())
        .unwrap_err();
    assert_eq!(error.message(), "misuse of aggregate function joined()");
}

fn words(conn: &ember::Connection, sql: &str) -> Vec<Option<String>> {
    conn.query(sql, ())
        .unwrap()
        .into_iter()
        .map(|row| row.get(0).unwrap())
        .collect()
}

fn word_table(db: &Database) -> ember::Connection {
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE w(id INTEGER PRIMARY KEY, word TEXT);
         INSERT INTO w VALUES (1, 'ccc'), (2, 'a'), (3, NULL), (4, 'bb'), (5, 'B'), (6, 'dddd');",
    )
    .unwrap();
    conn
}

#[test]
fn collation_orders_order_by_terms() {
    let db = Database::in_memory();
    let conn = word_table(&db);
    let sql = "SELECT word FROM w ORDER BY word COLLATE by_length, id";
    let error = conn.query(sql, ()).unwrap_err();
    assert_eq!(error.message(), "no such collation sequence: by_length");
    db.create_collation("by_length", |a, b| a.len().cmp(&b.len()))
        .unwrap();
    let some = |items: &[&str]| -> Vec<Option<String>> {
        items.iter().map(|s| Some(s.to_string())).collect()
    };
    let mut expected = vec![None];
    expected.extend(some(&["a", "B", "bb", "ccc", "dddd"]));
    assert_eq!(words(&conn, sql), expected);
    let mut descending = some(&["dddd", "ccc", "bb", "a", "B"]);
    descending.push(None);
    assert_eq!(
        words(
            &conn,
            "SELECT word FROM w ORDER BY word COLLATE BY_LENGTH DESC, id"
        ),
        descending
    );
    // ORDER BY + LIMIT (a top-k sort), by output position and by alias.
    assert_eq!(
        words(
            &conn,
            "SELECT word FROM w WHERE word IS NOT NULL ORDER BY 1 COLLATE by_length DESC LIMIT 2"
        ),
        some(&["dddd", "ccc"])
    );
    assert_eq!(
        words(
            &conn,
            "SELECT word AS x FROM w WHERE id < 3 ORDER BY x COLLATE by_length"
        ),
        some(&["a", "ccc"])
    );
    let plan: Vec<String> = conn
        .query(
            "EXPLAIN SELECT word FROM w ORDER BY word COLLATE by_length",
            (),
        )
        .unwrap()
        .into_iter()
        .map(|row| row.get(0).unwrap())
        .collect();
    let plan = plan.join("\n");
    assert!(plan.contains("word COLLATE by_length ASC"), "{plan}");
    // Replacing the collation: the same statement text sorts by the new one.
    db.create_collation("by_length", |a, b| b.len().cmp(&a.len()))
        .unwrap();
    assert_eq!(
        words(
            &conn,
            "SELECT word FROM w WHERE id IN (1, 2) ORDER BY word COLLATE by_length"
        ),
        some(&["ccc", "a"])
    );
}

#[test]
fn collation_elsewhere_is_refused_by_name() {
    let db = Database::in_memory();
    db.create_collation("mine", |a, b| a.cmp(b)).unwrap();
    let conn = word_table(&db);
    for (sql, place) in [
        (
            "SELECT word FROM w WHERE word COLLATE mine = 'a'",
            "an expression",
        ),
        (
            "SELECT word FROM w GROUP BY word COLLATE mine",
            "an expression",
        ),
        ("CREATE TABLE c(x TEXT COLLATE mine)", "a column definition"),
        ("CREATE INDEX i ON w(word COLLATE mine)", "an index"),
    ] {
        let error = conn.execute(sql, ()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Unsupported, "{sql}");
        assert!(
            error
                .message()
                .starts_with(&format!("not supported: user collation mine in {place}")),
            "{sql}: {error}"
        );
    }
    for name in ["binary", "NOCASE", "rtrim", "bad name"] {
        assert!(
            db.create_collation(name, |a, b| a.cmp(b)).is_err(),
            "{name}"
        );
    }
}

#[test]
fn panic_in_collation_fails_the_statement_only() {
    let db = Database::in_memory();
    db.create_collation("fragile", |a, b| {
        if a == "bb" || b == "bb" {
            panic!("cannot compare bb");
        }
        a.cmp(b)
    })
    .unwrap();
    let conn = word_table(&db);
    let error = conn
        .query("SELECT word FROM w ORDER BY word COLLATE fragile", ())
        .unwrap_err();
    assert_eq!(
        error.message(),
        "collation fragile panicked while comparing"
    );
    let error = conn
        .query(
            "SELECT word FROM w WHERE word IS NOT NULL ORDER BY word COLLATE fragile LIMIT 3",
            (),
        )
        .unwrap_err();
    assert_eq!(
        error.message(),
        "collation fragile panicked while comparing"
    );
    assert_eq!(
        words(
            &conn,
            "SELECT word FROM w WHERE id < 3 ORDER BY word COLLATE fragile"
        ),
        [Some("a".to_string()), Some("ccc".to_string())]
    );
}

#[test]
fn directory_database_reopens_with_its_functions_registered_first() {
    let dir = std::env::temp_dir().join(format!("ember-it-udf-setup-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let register = |db: &Database| {
        db.create_scalar_function("is_even", 1, FunctionFlags::DETERMINISTIC, |ctx| {
            Ok(ctx.get::<i64>(0)? % 2 == 0)
        })
    };
    {
        let db = Database::open_with_setup(&dir, ember::Options::default(), register).unwrap();
        let conn = db.connect();
        conn.execute_batch(
            "CREATE TABLE t(a INT CHECK (is_even(a)));
             INSERT INTO t VALUES (2), (4);
             CREATE VIEW halves AS SELECT a / 2 AS h FROM t WHERE is_even(a);",
        )
        .unwrap();
    }
    let Err(error) = Database::open(&dir) else {
        panic!("opened without is_even()");
    };
    assert!(
        error.message().contains("no such function: is_even"),
        "{error}"
    );
    let db = Database::open_with_setup(&dir, ember::Options::default(), register).unwrap();
    let conn = db.connect();
    assert_eq!(
        conn.query_value::<i64>("SELECT sum(h) FROM halves", ())
            .unwrap(),
        3
    );
    let error = conn.execute("INSERT INTO t VALUES (3)", ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Constraint);
    // After a checkpoint the schema loads from the snapshot, with the same rule.
    db.checkpoint().unwrap();
    drop(conn);
    drop(db);
    let db = Database::open_with_setup(&dir, ember::Options::default(), register).unwrap();
    assert_eq!(
        db.connect()
            .query_value::<i64>("SELECT count(*) FROM t", ())
            .unwrap(),
        2
    );
    drop(db);
    std::fs::remove_dir_all(&dir).unwrap();
}
