//! SERIALIZABLE through SQL. Each anomaly snapshot isolation allows (write skew, the
//! read-only anomaly of Fekete, O'Neil and O'Neil, a phantom) is shown to happen under
//! SNAPSHOT and refused under SERIALIZABLE; an index range read conflicting only with
//! writes inside it; the ways to choose a level (BEGIN modes,
//! `PRAGMA isolation`, `Options::isolation`, `transaction_with`); `transact` retrying a
//! refused commit; and a history checker in the manner of Jepsen's Elle (`history.rs`
//! runs the workload, `checker.rs` finds dependency cycles).

#[path = "serializable/checker.rs"]
mod checker;
#[path = "serializable/history.rs"]
mod history;

use ember::{Connection, Database, ErrorKind, Isolation, Options};

fn level(isolation: Isolation) -> &'static str {
    match isolation {
        Isolation::Snapshot => "SNAPSHOT",
        Isolation::Serializable => "SERIALIZABLE",
    }
}

fn begin(conn: &Connection, isolation: Isolation) {
    conn.execute(
        &format!("BEGIN TRANSACTION ISOLATION LEVEL {}", level(isolation)),
        (),
    )
    .unwrap();
}

fn int(conn: &Connection, sql: &str) -> i64 {
    conn.query_value(sql, ()).unwrap()
}

/// Two doctors on call; each of two transactions sees both on call and takes one off.
/// Returns the doctors on call at the end and the second commit's outcome.
fn write_skew(isolation: Isolation) -> (i64, ember::Result<usize>) {
    let db = Database::in_memory();
    let alice = db.connect();
    alice
        .execute_batch(
            "CREATE TABLE doctors(id INTEGER PRIMARY KEY, name TEXT, on_call INTEGER);
             INSERT INTO doctors VALUES (1, 'alice', 1), (2, 'bob', 1);",
        )
        .unwrap();
    let bob = db.connect();
    for conn in [&alice, &bob] {
        begin(conn, isolation);
        assert_eq!(
            int(conn, "SELECT count(*) FROM doctors WHERE on_call = 1"),
            2
        );
    }
    alice
        .execute("UPDATE doctors SET on_call = 0 WHERE id = 1", ())
        .unwrap();
    bob.execute("UPDATE doctors SET on_call = 0 WHERE id = 2", ())
        .unwrap();
    alice.execute("COMMIT", ()).unwrap();
    let second = bob.execute("COMMIT", ());
    let on_call = int(&alice, "SELECT count(*) FROM doctors WHERE on_call = 1");
    (on_call, second)
}

#[test]
fn write_skew_happens_under_snapshot() {
    let (on_call, second) = write_skew(Isolation::Snapshot);
    second.unwrap();
    assert_eq!(
        on_call, 0,
        "both doctors went off call: the invariant broke"
    );
}

#[test]
fn write_skew_is_refused_under_serializable() {
    let (on_call, second) = write_skew(Isolation::Serializable);
    let error = second.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::SerializationConflict);
    assert!(error.is_retryable());
    assert!(
        error.message().contains("table doctors"),
        "{}",
        error.message()
    );
    assert_eq!(on_call, 1);
}

/// The read-only anomaly: T2 withdraws 10 from checking (a penalty of 1 when checking plus
/// savings would go below 0), T1 deposits 20 into savings, T3 only reads both. Under
/// snapshot isolation T3 sees T1's deposit and not T2's withdrawal, while T2 charged the
/// penalty as if T1 had not happened: no serial order gives both. Returns what T3 read,
/// the final balances and T2's commit.
fn read_only_anomaly(isolation: Isolation) -> ((i64, i64), (i64, i64), ember::Result<usize>) {
    let db = Database::in_memory();
    let t1 = db.connect();
    t1.execute_batch(
        "CREATE TABLE accounts(name TEXT PRIMARY KEY, balance INTEGER);
         INSERT INTO accounts VALUES ('checking', 0), ('savings', 0);",
    )
    .unwrap();
    let (t2, t3) = (db.connect(), db.connect());
    let balance = |conn: &Connection, name: &str| -> i64 {
        conn.query_value("SELECT balance FROM accounts WHERE name = ?", [name])
            .unwrap()
    };
    begin(&t2, isolation);
    let total = balance(&t2, "checking") + balance(&t2, "savings");
    begin(&t1, isolation);
    let savings = balance(&t1, "savings");
    t1.execute(
        "UPDATE accounts SET balance = ? WHERE name = 'savings'",
        [savings + 20],
    )
    .unwrap();
    t1.execute("COMMIT", ()).unwrap();
    begin(&t3, isolation);
    let seen = (balance(&t3, "checking"), balance(&t3, "savings"));
    t3.execute("COMMIT", ()).unwrap();
    let withdrawal = if total - 10 < 0 { 11 } else { 10 };
    let checking = balance(&t2, "checking");
    t2.execute(
        "UPDATE accounts SET balance = ? WHERE name = 'checking'",
        [checking - withdrawal],
    )
    .unwrap();
    let committed = t2.execute("COMMIT", ());
    let after = (balance(&t1, "checking"), balance(&t1, "savings"));
    (seen, after, committed)
}

#[test]
fn the_read_only_anomaly_happens_under_snapshot() {
    let (seen, after, committed) = read_only_anomaly(Isolation::Snapshot);
    committed.unwrap();
    assert_eq!(seen, (0, 20), "T3 saw the deposit and not the withdrawal");
    assert_eq!(
        after,
        (-11, 20),
        "T2 charged the penalty: it ran before the deposit"
    );
}

#[test]
fn the_read_only_anomaly_is_refused_under_serializable() {
    let (seen, after, committed) = read_only_anomaly(Isolation::Serializable);
    assert_eq!(
        committed.unwrap_err().kind(),
        ErrorKind::SerializationConflict
    );
    assert_eq!(seen, (0, 20));
    assert_eq!(after, (0, 20), "what T3 saw is the state after T1 alone");
}

/// At most 8 hours of shifts a day: each of two transactions sums the day's hours through
/// an index range (5) and inserts a new 3-hour shift, a row the other's range read would
/// have seen (a phantom). Returns the day's hours at the end and the second commit.
fn phantom(isolation: Isolation) -> (i64, ember::Result<usize>) {
    let db = Database::in_memory();
    let first = db.connect();
    first
        .execute_batch(
            "CREATE TABLE shifts(id INTEGER PRIMARY KEY, day INTEGER, hours INTEGER);
             CREATE INDEX shifts_day ON shifts(day);
             INSERT INTO shifts VALUES (1, 1, 5), (2, 2, 8);",
        )
        .unwrap();
    let second = db.connect();
    for (conn, id) in [(&first, 10), (&second, 11)] {
        begin(conn, isolation);
        let hours = int(conn, "SELECT sum(hours) FROM shifts WHERE day = 1");
        assert_eq!(hours, 5);
        assert!(hours + 3 <= 8);
        conn.execute("INSERT INTO shifts VALUES (?, 1, 3)", [id])
            .unwrap();
    }
    first.execute("COMMIT", ()).unwrap();
    let committed = second.execute("COMMIT", ());
    let hours = int(&first, "SELECT sum(hours) FROM shifts WHERE day = 1");
    (hours, committed)
}

#[test]
fn a_phantom_insert_breaks_a_range_rule_under_snapshot() {
    let (hours, committed) = phantom(Isolation::Snapshot);
    committed.unwrap();
    assert_eq!(hours, 11, "both shifts went in: over the 8-hour rule");
}

#[test]
fn a_phantom_insert_is_refused_under_serializable() {
    let (hours, committed) = phantom(Isolation::Serializable);
    let error = committed.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::SerializationConflict);
    assert!(
        error.message().contains("table shifts"),
        "{}",
        error.message()
    );
    assert_eq!(hours, 8);
}

/// A SERIALIZABLE transaction sums the hours of days 1 and 2 through the index range of
/// `shifts_day` and adds a shift on day 1; meanwhile another commits a shift on `day`.
/// Returns the first commit's outcome and `ember_stats`' range folds.
fn insert_beside_a_range(day: i64) -> (ember::Result<usize>, i64) {
    let db = Database::in_memory();
    let first = db.connect();
    first
        .execute_batch(
            "CREATE TABLE shifts(id INTEGER PRIMARY KEY, day INTEGER, hours INTEGER);
             CREATE INDEX shifts_day ON shifts(day);
             INSERT INTO shifts VALUES (1, 1, 5), (2, 2, 2), (3, 9, 8);",
        )
        .unwrap();
    begin(&first, Isolation::Serializable);
    let range = "SELECT sum(hours) FROM shifts WHERE day >= 1 AND day < 3";
    assert_eq!(int(&first, range), 7);
    let plan = first.query(&format!("EXPLAIN {range}"), ()).unwrap();
    let plan = format!("{:?}", plan.values());
    assert!(plan.contains("IndexRange shifts"), "{plan}");
    let second = db.connect();
    second
        .execute("INSERT INTO shifts VALUES (10, ?, 4)", [day])
        .unwrap();
    first
        .execute("INSERT INTO shifts VALUES (11, 1, 1)", ())
        .unwrap();
    let committed = first.execute("COMMIT", ());
    (
        committed,
        int(&second, "SELECT serializable_range_folds FROM ember_stats"),
    )
}

#[test]
fn an_insert_outside_a_scanned_index_range_commits_under_serializable() {
    for day in [0, 3, 7] {
        let (committed, folds) = insert_beside_a_range(day);
        committed.unwrap_or_else(|error| panic!("day {day}: {}", error.message()));
        assert_eq!(folds, 0);
    }
}

#[test]
fn an_insert_inside_a_scanned_index_range_is_refused_under_serializable() {
    for day in [1, 2] {
        let (committed, _) = insert_beside_a_range(day);
        let error = committed.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::SerializationConflict, "day {day}");
        assert!(
            error.message().contains("table shifts"),
            "{}",
            error.message()
        );
    }
}

/// Threads add 3-hour shifts to days 0..3 under SERIALIZABLE, each only when the day's
/// hours, summed through an index range of that day alone, stay within 8: concurrent adds
/// to one day are phantoms of each other's range and one is refused (and retried). At the
/// end every day holds exactly 6 hours.
#[test]
fn concurrent_range_rules_hold_per_day_under_serializable() {
    let db = Database::in_memory();
    db.connect()
        .execute_batch(
            "CREATE TABLE shifts(id INTEGER PRIMARY KEY, day INTEGER, hours INTEGER);
             CREATE INDEX shifts_day ON shifts(day);",
        )
        .unwrap();
    let threads: Vec<_> = (0..4i64)
        .map(|thread| {
            let db = db.clone();
            std::thread::spawn(move || {
                let mut conn = db.connect();
                for step in 0..12i64 {
                    let (id, day) = (thread * 1000 + step, (thread + step) % 3);
                    let add = |tx: &ember::Transaction<'_>| {
                        let hours: i64 = tx.query_value(
                            "SELECT coalesce(sum(hours), 0) FROM shifts \
                             WHERE day >= ? AND day < ?",
                            [day, day + 1],
                        )?;
                        if hours + 3 <= 8 {
                            tx.execute("INSERT INTO shifts VALUES (?, ?, 3)", [id, day])?;
                        }
                        Ok(())
                    };
                    loop {
                        match conn.transact_with(Isolation::Serializable, add) {
                            Ok(()) => break,
                            Err(error) if error.is_retryable() => continue,
                            Err(error) => panic!("{}", error.message()),
                        }
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let conn = db.connect();
    for day in 0..3 {
        let hours: i64 = conn
            .query_value("SELECT sum(hours) FROM shifts WHERE day = ?", [day])
            .unwrap();
        assert_eq!(hours, 6, "day {day}");
    }
    assert_eq!(
        int(&conn, "SELECT serializable_range_folds FROM ember_stats"),
        0
    );
    assert_eq!(
        int(&conn, "SELECT serializable_read_set_bytes FROM ember_stats"),
        0
    );
}

#[test]
fn begin_names_the_level_and_pragma_isolation_sets_the_default() {
    let db = Database::in_memory();
    let conn = db.connect();
    let pragma = |sql: &str| -> String { conn.query_value(sql, ()).unwrap() };
    assert_eq!(pragma("PRAGMA isolation"), "snapshot");
    assert_eq!(pragma("PRAGMA isolation = serializable"), "serializable");
    assert_eq!(conn.isolation(), Isolation::Serializable);
    assert_eq!(pragma("PRAGMA isolation = 'repeatable read'"), "snapshot");
    let refused = conn.execute("PRAGMA isolation = chaos", ()).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::InvalidInput);
    assert!(refused.message().contains("chaos"));
    for sql in [
        "BEGIN ISOLATION LEVEL SERIALIZABLE",
        "BEGIN TRANSACTION ISOLATION LEVEL SNAPSHOT",
        "BEGIN ISOLATION LEVEL REPEATABLE READ",
        "BEGIN",
    ] {
        conn.execute(sql, ())
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        conn.execute("COMMIT", ()).unwrap();
    }
    let refused = conn.execute("BEGIN TRANSACTION READ ONLY", ()).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Unsupported);
    assert!(!conn.in_transaction());
}

#[test]
fn options_isolation_is_every_connections_default_and_covers_autocommit_writes() {
    let db = Database::in_memory_with(Options::default().isolation(Isolation::Serializable));
    let conn = db.connect();
    assert_eq!(conn.isolation(), Isolation::Serializable);
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER); INSERT INTO t VALUES (1, 0);",
    )
    .unwrap();
    let other = db.connect();
    other.execute("BEGIN", ()).unwrap();
    assert_eq!(int(&other, "SELECT count(*) FROM t"), 1);
    // An autocommit write at SERIALIZABLE after the other read the table: the other's
    // commit of a write is refused.
    conn.execute("INSERT INTO t VALUES (2, 0)", ()).unwrap();
    other
        .execute("UPDATE t SET v = 1 WHERE id = 1", ())
        .unwrap();
    let refused = other.execute("COMMIT", ()).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::SerializationConflict);
    let validated = int(&conn, "SELECT serializable_validated FROM ember_stats");
    let conflicts = int(&conn, "SELECT serializable_conflicts FROM ember_stats");
    assert!(validated >= 2, "{validated}");
    assert_eq!(conflicts, 1);
}

/// Threads take doctors off call through `transact_with(Serializable)` when at least two
/// are on call; refused commits are retried. One doctor stays on call.
#[test]
fn transact_retries_refused_commits_and_keeps_the_invariant() {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute_batch("CREATE TABLE doctors(id INTEGER PRIMARY KEY, on_call INTEGER)")
        .unwrap();
    for id in 0..8 {
        conn.execute("INSERT INTO doctors VALUES (?, 1)", [id])
            .unwrap();
    }
    let threads: Vec<_> = (0..8i64)
        .map(|id| {
            let db = db.clone();
            std::thread::spawn(move || {
                let mut conn = db.connect();
                conn.transact_with(Isolation::Serializable, |tx| {
                    let on_call: i64 =
                        tx.query_value("SELECT count(*) FROM doctors WHERE on_call = 1", ())?;
                    if on_call >= 2 {
                        tx.execute("UPDATE doctors SET on_call = 0 WHERE id = ?", [id])?;
                    }
                    Ok(())
                })
                .unwrap();
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(
        int(&conn, "SELECT count(*) FROM doctors WHERE on_call = 1"),
        1
    );
}

#[test]
fn transaction_with_gives_the_guard_at_the_level() {
    let db = Database::in_memory();
    let mut conn = db.connect();
    conn.execute_batch("CREATE TABLE t(a INTEGER)").unwrap();
    let other = db.connect();
    let tx = conn.transaction_with(Isolation::Serializable).unwrap();
    assert_eq!(
        tx.query_value::<i64>("SELECT count(*) FROM t", ()).unwrap(),
        0
    );
    // Rowids given: the two rows do not share a key (the refusal is the read's).
    other
        .execute("INSERT INTO t(rowid, a) VALUES (1, 1)", ())
        .unwrap();
    tx.execute("INSERT INTO t(rowid, a) VALUES (2, 2)", ())
        .unwrap();
    let refused = tx.commit().unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::SerializationConflict);
    assert_eq!(int(&conn, "SELECT count(*) FROM t"), 1);
}

#[test]
fn histories_under_serializable_have_no_dependency_cycle() {
    let (report, committed) = history::run_and_check(Isolation::Serializable);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(
        (report.g0, report.g1c, report.all),
        (0, 0, 0),
        "cycle through transactions {:?}",
        report.example
    );
    assert!(committed > 1000, "{committed} committed");
}

#[test]
fn histories_under_snapshot_have_g2_cycles_and_no_g0_or_g1() {
    let (report, committed) = history::run_and_check(Isolation::Snapshot);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!((report.g0, report.g1c), (0, 0));
    assert!(
        report.all > 0,
        "snapshot isolation allows write skew: the checker should find a G2 cycle \
         ({committed} committed)"
    );
    assert!(report.example.len() >= 2);
}
