//! `FOR SYSTEM_TIME AS OF`: reads at past commits (by number or by time, also in
//! joins, explicit transactions and prepared statements with the commit as a parameter)
//! while writers go on; `HistoryUnavailable` past the retention, after the collector ran,
//! with history off, and for a table created later; per-table retention; what survives a
//! reopen; `ember_commits` and `ember_stats`. A manual clock (`Options::clock`) drives time.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::TempDir;
use ember::{Connection, Database, ErrorKind, Options, WallClock};

/// Unix milliseconds the tests' clock starts at (2026-11-23 12:00:00 UTC).
const START_MS: i64 = 1_795_435_200_000;

fn db_with(clock: &WallClock, retention: Duration) -> Database {
    Database::in_memory_with(
        Options::new()
            .clock(clock.clone())
            .history_retention(retention),
    )
}

fn newest_commit(conn: &Connection) -> i64 {
    conn.query_value("SELECT read_ts FROM ember_stats", ())
        .unwrap()
}

fn int(conn: &Connection, sql: &str) -> i64 {
    conn.query_value(sql, ())
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn error_of(conn: &Connection, sql: &str) -> (ErrorKind, String) {
    let error = conn.query(sql, ()).expect_err(sql);
    (error.kind(), error.to_string())
}

/// Accounts 1..=4 of 100 each; returns the commit after the inserts.
fn accounts(conn: &Connection) -> i64 {
    conn.execute_batch(
        "CREATE TABLE acct(id INTEGER PRIMARY KEY, balance INT);
         INSERT INTO acct VALUES (1, 100), (2, 100), (3, 100), (4, 100);",
    )
    .unwrap();
    newest_commit(conn)
}

#[test]
fn reads_at_past_commits_by_number_and_by_time() {
    let clock = WallClock::manual(START_MS);
    let db = db_with(&clock, Duration::from_secs(600));
    let conn = db.connect();
    let c1 = accounts(&conn);
    clock.set_ms(START_MS + 1_000);
    conn.execute("UPDATE acct SET balance = balance + 50 WHERE id = 1", ())
        .unwrap();
    let c2 = newest_commit(&conn);
    clock.set_ms(START_MS + 2_000);
    conn.execute("DELETE FROM acct WHERE id = 4", ()).unwrap();
    let c3 = newest_commit(&conn);
    clock.set_ms(START_MS + 3_000);

    let sum = |at: &str| {
        int(
            &conn,
            &format!("SELECT sum(balance) FROM acct FOR SYSTEM_TIME AS OF {at}"),
        )
    };
    assert_eq!(sum(&c1.to_string()), 400);
    assert_eq!(sum(&c2.to_string()), 450);
    assert_eq!(sum(&c3.to_string()), 350);
    assert_eq!(int(&conn, "SELECT sum(balance) FROM acct"), 350);
    // Times: the newest commit at or before each (UTC text, as date functions read it).
    assert_eq!(sum("'2026-11-23 12:00:00.500'"), 400);
    assert_eq!(sum("'2026-11-23 12:00:01'"), 450);
    assert_eq!(sum("datetime('2026-11-23 12:00:02')"), 350);
    // Key lookups, filters and aliases read the past too.
    assert_eq!(
        int(
            &conn,
            &format!("SELECT a.balance FROM acct FOR SYSTEM_TIME AS OF {c1} AS a WHERE a.id = 1")
        ),
        100
    );
    assert_eq!(
        int(
            &conn,
            &format!("SELECT count(*) FROM acct FOR SYSTEM_TIME AS OF {c2} WHERE id = 4")
        ),
        1
    );
    // EXPLAIN shows the operator.
    let plan: Vec<String> = conn
        .query(
            &format!("EXPLAIN SELECT * FROM acct FOR SYSTEM_TIME AS OF {c1}"),
            (),
        )
        .unwrap()
        .into_iter()
        .map(|row| row.get::<String>(0).unwrap())
        .collect();
    assert!(
        plan.iter()
            .any(|line| line.contains(&format!("AsOf acct at {c1}"))),
        "{plan:?}"
    );
    // ember_commits names commits and their times.
    let logged: Vec<(i64, String)> = conn
        .query("SELECT \"commit\", time FROM ember_commits", ())
        .unwrap()
        .into_iter()
        .map(|row| (row.get(0).unwrap(), row.get(1).unwrap()))
        .collect();
    assert!(
        logged.contains(&(c2, "2026-11-23 12:00:01.000".to_string())),
        "{logged:?}"
    );
    assert!(
        logged.contains(&(c3, "2026-11-23 12:00:02.000".to_string())),
        "{logged:?}"
    );
}

#[test]
fn joins_read_the_same_table_at_two_commits() {
    let clock = WallClock::manual(START_MS);
    let db = db_with(&clock, Duration::from_secs(600));
    let conn = db.connect();
    let before = accounts(&conn);
    clock.set_ms(START_MS + 10);
    conn.execute("UPDATE acct SET balance = balance * 2 WHERE id <= 2", ())
        .unwrap();
    let after = newest_commit(&conn);
    let rows: Vec<(i64, i64, i64)> = conn
        .query(
            &format!(
                "SELECT o.id, o.balance, n.balance FROM acct FOR SYSTEM_TIME AS OF {before} AS o \
                 JOIN acct FOR SYSTEM_TIME AS OF {after} AS n ON n.id = o.id \
                 WHERE n.balance <> o.balance ORDER BY o.id"
            ),
            (),
        )
        .unwrap()
        .into_iter()
        .map(|row| {
            (
                row.get(0).unwrap(),
                row.get(1).unwrap(),
                row.get(2).unwrap(),
            )
        })
        .collect();
    assert_eq!(rows, vec![(1, 100, 200), (2, 100, 200)]);
    // The current table joined with its past.
    let changed = int(
        &conn,
        &format!(
            "SELECT count(*) FROM acct JOIN acct FOR SYSTEM_TIME AS OF {before} AS o USING (id) \
             WHERE acct.balance <> o.balance"
        ),
    );
    assert_eq!(changed, 2);
}

#[test]
fn prepared_statements_take_the_commit_or_time_as_a_parameter() {
    let clock = WallClock::manual(START_MS);
    let db = db_with(&clock, Duration::from_secs(600));
    let conn = db.connect();
    let mut commits = vec![accounts(&conn)];
    for step in 1..=5 {
        clock.set_ms(START_MS + step * 100);
        conn.execute("UPDATE acct SET balance = balance + 1 WHERE id = 1", ())
            .unwrap();
        commits.push(newest_commit(&conn));
    }
    let mut statement = conn
        .prepare("SELECT balance FROM acct FOR SYSTEM_TIME AS OF ? WHERE id = 1")
        .unwrap();
    for (step, commit) in commits.iter().enumerate() {
        let balance: i64 = statement.query_value((*commit,)).unwrap();
        assert_eq!(balance, 100 + step as i64);
    }
    let balance: i64 = statement.query_value(("2026-11-23 12:00:00.250",)).unwrap();
    assert_eq!(balance, 102);
    let error = statement.query_value::<i64>((1.5,)).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
}

#[test]
fn reads_past_the_retention_fail_naming_the_oldest_readable_commit() {
    let clock = WallClock::manual(START_MS);
    let db = db_with(&clock, Duration::from_secs(60));
    let conn = db.connect();
    let old = accounts(&conn);
    clock.set_ms(START_MS + 30_000);
    conn.execute("UPDATE acct SET balance = 0 WHERE id = 1", ())
        .unwrap();
    let middle = newest_commit(&conn);
    clock.set_ms(START_MS + 70_000);
    conn.execute("UPDATE acct SET balance = 1 WHERE id = 1", ())
        .unwrap();
    // 70 s on, the state of 60 s ago (at 10 s) is still `old`'s: readable.
    assert_eq!(
        int(
            &conn,
            &format!("SELECT sum(balance) FROM acct FOR SYSTEM_TIME AS OF {old}")
        ),
        400
    );
    conn.execute("VACUUM", ()).unwrap();
    assert_eq!(
        int(
            &conn,
            &format!("SELECT sum(balance) FROM acct FOR SYSTEM_TIME AS OF {old}")
        ),
        400
    );
    // 95 s on, the state at 35 s is `middle`'s: `old` is gone even before the collector ran.
    clock.set_ms(START_MS + 95_000);
    let (kind, message) = error_of(
        &conn,
        &format!("SELECT * FROM acct FOR SYSTEM_TIME AS OF {old}"),
    );
    assert_eq!(kind, ErrorKind::HistoryUnavailable, "{message}");
    assert!(
        message.contains(&format!("oldest readable commit is {middle}")),
        "{message}"
    );
    let (kind, message) = error_of(
        &conn,
        "SELECT * FROM acct FOR SYSTEM_TIME AS OF '2026-11-23 12:00:34'",
    );
    assert_eq!(kind, ErrorKind::HistoryUnavailable, "{message}");
    assert_eq!(
        int(
            &conn,
            "SELECT sum(balance) FROM acct FOR SYSTEM_TIME AS OF '2026-11-23 12:00:36'"
        ),
        300
    );
    assert_eq!(
        int(
            &conn,
            &format!("SELECT sum(balance) FROM acct FOR SYSTEM_TIME AS OF {middle}")
        ),
        300
    );
    // After a collection pass (VACUUM) the versions of `old` are freed and it stays
    // unreadable; `middle` is still served exactly.
    conn.execute("VACUUM", ()).unwrap();
    let (kind, _) = error_of(
        &conn,
        &format!("SELECT * FROM acct FOR SYSTEM_TIME AS OF {old}"),
    );
    assert_eq!(kind, ErrorKind::HistoryUnavailable);
    assert_eq!(
        int(
            &conn,
            &format!("SELECT sum(balance) FROM acct FOR SYSTEM_TIME AS OF {middle}")
        ),
        300
    );
    assert_eq!(
        int(&conn, "SELECT history_oldest_commit FROM ember_stats"),
        middle
    );
    // Once the clock passes the next commit's time + 60 s, `middle` goes too.
    clock.set_ms(START_MS + 131_000);
    conn.execute("VACUUM", ()).unwrap();
    let (kind, _) = error_of(
        &conn,
        &format!("SELECT * FROM acct FOR SYSTEM_TIME AS OF {middle}"),
    );
    assert_eq!(kind, ErrorKind::HistoryUnavailable);
    assert_eq!(int(&conn, "SELECT sum(balance) FROM acct"), 301);
}

#[test]
fn without_history_and_before_a_table_existed_reads_fail() {
    let clock = WallClock::manual(START_MS);
    let db = db_with(&clock, Duration::ZERO);
    let conn = db.connect();
    let commit = accounts(&conn);
    let (kind, message) = error_of(
        &conn,
        &format!("SELECT * FROM acct FOR SYSTEM_TIME AS OF {commit}"),
    );
    assert_eq!(kind, ErrorKind::HistoryUnavailable, "{message}");
    assert!(message.contains("no history is kept"), "{message}");
    assert_eq!(int(&conn, "SELECT history_versions FROM ember_stats"), 0);
    assert_eq!(int(&conn, "SELECT count(*) FROM ember_commits"), 0);

    conn.execute("PRAGMA history_retention = '10 minutes'", ())
        .unwrap();
    assert_eq!(int(&conn, "PRAGMA history_retention"), 600_000);
    let start = newest_commit(&conn);
    clock.set_ms(START_MS + 5);
    conn.execute("CREATE TABLE later(a INT)", ()).unwrap();
    conn.execute("INSERT INTO later VALUES (1)", ()).unwrap();
    let (kind, message) = error_of(
        &conn,
        &format!("SELECT * FROM later FOR SYSTEM_TIME AS OF {start}"),
    );
    assert_eq!(kind, ErrorKind::HistoryUnavailable, "{message}");
    assert!(message.contains("created"), "{message}");
    // History started when the retention was set: older commits are unreadable.
    if start > 0 {
        let (kind, _) = error_of(
            &conn,
            &format!("SELECT * FROM acct FOR SYSTEM_TIME AS OF {}", start - 1),
        );
        assert_eq!(kind, ErrorKind::HistoryUnavailable);
    }
    assert_eq!(
        int(
            &conn,
            &format!("SELECT count(*) FROM acct FOR SYSTEM_TIME AS OF {start}")
        ),
        4
    );
    // Turning it off forgets the history.
    conn.execute("PRAGMA history_retention = 0", ()).unwrap();
    let (kind, _) = error_of(
        &conn,
        &format!("SELECT * FROM acct FOR SYSTEM_TIME AS OF {start}"),
    );
    assert_eq!(kind, ErrorKind::HistoryUnavailable);
}

#[test]
fn bad_commits_times_and_places_are_errors() {
    let clock = WallClock::manual(START_MS);
    let db = db_with(&clock, Duration::from_secs(600));
    let conn = db.connect();
    let commit = accounts(&conn);
    conn.execute("CREATE VIEW v AS SELECT * FROM acct", ())
        .unwrap();
    let cases: Vec<(String, ErrorKind, &str)> = vec![
        (
            format!("SELECT * FROM acct FOR SYSTEM_TIME AS OF {}", commit + 100),
            ErrorKind::InvalidInput,
            "no such commit yet",
        ),
        (
            "SELECT * FROM acct FOR SYSTEM_TIME AS OF -1".into(),
            ErrorKind::InvalidInput,
            "not negative",
        ),
        (
            "SELECT * FROM acct FOR SYSTEM_TIME AS OF 1.5".into(),
            ErrorKind::InvalidInput,
            "INTEGER commit number or a TEXT time",
        ),
        (
            "SELECT * FROM acct FOR SYSTEM_TIME AS OF NULL".into(),
            ErrorKind::InvalidInput,
            "not NULL",
        ),
        (
            "SELECT * FROM acct FOR SYSTEM_TIME AS OF 'soon'".into(),
            ErrorKind::InvalidInput,
            "not a time",
        ),
        (
            "SELECT * FROM acct FOR SYSTEM_TIME AS OF '2030-01-01'".into(),
            ErrorKind::InvalidInput,
            "in the future",
        ),
        (
            "SELECT * FROM acct FOR SYSTEM_TIME AS OF id".into(),
            ErrorKind::NotFound,
            "id",
        ),
        (
            "SELECT * FROM v FOR SYSTEM_TIME AS OF 1".into(),
            ErrorKind::Unsupported,
            "on a view",
        ),
        (
            "SELECT * FROM ember_stats FOR SYSTEM_TIME AS OF 1".into(),
            ErrorKind::Unsupported,
            "on a system table",
        ),
        (
            "WITH c AS (SELECT 1) SELECT * FROM c FOR SYSTEM_TIME AS OF 1".into(),
            ErrorKind::Unsupported,
            "on a CTE",
        ),
        (
            "SELECT * FROM nope FOR SYSTEM_TIME AS OF 1".into(),
            ErrorKind::NotFound,
            "nope",
        ),
        (
            format!("UPDATE acct FOR SYSTEM_TIME AS OF {commit} SET balance = 0"),
            ErrorKind::Unsupported,
            "AS OF",
        ),
        (
            format!("DELETE FROM acct FOR SYSTEM_TIME AS OF {commit}"),
            ErrorKind::Unsupported,
            "AS OF",
        ),
        (
            format!("INSERT INTO acct SELECT * FROM acct FOR SYSTEM_TIME AS OF {commit}"),
            ErrorKind::Constraint,
            "UNIQUE",
        ),
    ];
    for (sql, kind, needle) in &cases {
        let error = conn.execute(sql, ()).expect_err(sql);
        assert_eq!(error.kind(), *kind, "{sql}: {error}");
        assert!(error.message().contains(needle), "{sql}: {error}");
    }
    assert_eq!(
        int(&conn, "SELECT sum(balance) FROM acct"),
        400,
        "nothing changed"
    );
    // An alias named like a versioning keyword still parses without SYSTEM_TIME.
    assert_eq!(int(&conn, "SELECT count(*) FROM acct at"), 4);
    assert_eq!(
        int(
            &conn,
            "SELECT count(*) FROM acct before WHERE before.id = 1"
        ),
        1
    );
}

#[test]
fn explicit_transactions_read_the_named_commit() {
    let clock = WallClock::manual(START_MS);
    let db = db_with(&clock, Duration::from_secs(600));
    let conn = db.connect();
    let before = accounts(&conn);
    clock.set_ms(START_MS + 1);
    conn.execute("UPDATE acct SET balance = 0 WHERE id = 1", ())
        .unwrap();
    let after = newest_commit(&conn);
    conn.execute("BEGIN", ()).unwrap();
    conn.execute("UPDATE acct SET balance = 7 WHERE id = 2", ())
        .unwrap();
    // Its own uncommitted write is not part of any commit.
    assert_eq!(
        int(
            &conn,
            &format!("SELECT balance FROM acct FOR SYSTEM_TIME AS OF {after} WHERE id = 2")
        ),
        100
    );
    assert_eq!(
        int(
            &conn,
            &format!("SELECT balance FROM acct FOR SYSTEM_TIME AS OF {before} WHERE id = 1")
        ),
        100
    );
    // A commit made by another connection after BEGIN is readable by number.
    let other = db.connect();
    clock.set_ms(START_MS + 2);
    other
        .execute("UPDATE acct SET balance = 9 WHERE id = 3", ())
        .unwrap();
    let later = newest_commit(&other);
    assert_eq!(
        int(
            &conn,
            &format!("SELECT balance FROM acct FOR SYSTEM_TIME AS OF {later} WHERE id = 3")
        ),
        9
    );
    assert_eq!(
        int(&conn, "SELECT balance FROM acct WHERE id = 3"),
        100,
        "the snapshot is unchanged"
    );
    conn.execute("COMMIT", ()).unwrap();
}

#[test]
fn per_table_retention_keeps_the_longest_and_each_table_reads_its_own() {
    let clock = WallClock::manual(START_MS);
    let db = db_with(&clock, Duration::from_secs(60));
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE keep(a INT) WITH (history_retention = '1 hour');
         CREATE TABLE brief(a INT);
         INSERT INTO keep VALUES (1); INSERT INTO brief VALUES (1);",
    )
    .unwrap();
    let old = newest_commit(&conn);
    clock.set_ms(START_MS + 1_000);
    conn.execute_batch("UPDATE keep SET a = 2; UPDATE brief SET a = 2;")
        .unwrap();
    // Ten minutes on: `brief` reads back one minute (to 9 min, after the updates), `keep`
    // an hour.
    clock.set_ms(START_MS + 600_000);
    conn.execute("VACUUM", ()).unwrap();
    assert_eq!(
        int(
            &conn,
            &format!("SELECT a FROM keep FOR SYSTEM_TIME AS OF {old}")
        ),
        1
    );
    let (kind, message) = error_of(
        &conn,
        &format!("SELECT a FROM brief FOR SYSTEM_TIME AS OF {old}"),
    );
    assert_eq!(kind, ErrorKind::HistoryUnavailable, "{message}");
    let options: String = conn
        .query_value("SELECT options FROM ember_tables WHERE name = 'keep'", ())
        .unwrap();
    assert_eq!(options, "history_retention = '3600000 ms'");
    assert_eq!(
        int(&conn, "SELECT history_retention_ms FROM ember_stats"),
        3_600_000
    );
    assert!(int(&conn, "SELECT history_versions FROM ember_stats") >= 2);
    assert!(int(&conn, "SELECT history_bytes FROM ember_stats") > 0);
    // Removing the option shortens what is kept to the database default.
    conn.execute("ALTER TABLE keep SET (history_retention = NULL)", ())
        .unwrap();
    let (kind, _) = error_of(
        &conn,
        &format!("SELECT a FROM keep FOR SYSTEM_TIME AS OF {old}"),
    );
    assert_eq!(kind, ErrorKind::HistoryUnavailable);
    let (kind, _) = error_of(
        &conn,
        "CREATE TABLE bad(a INT) WITH (history_retention = 'forever')",
    );
    assert_eq!(kind, ErrorKind::InvalidInput);
}

/// One AS OF read: the commit, the counter, the balances by id.
type Reading = (i64, i64, Vec<i64>);

/// Writers move money between accounts (the total stays 400) and bump a counter while
/// readers read random past commits: every read at commit N sees a total of 400, and the
/// same commit read again (later, after more writes and collector passes) gives the same
/// counter and balances.
#[test]
fn concurrent_writers_and_as_of_readers_see_exact_past_states() {
    let db = Database::in_memory_with(Options::new().history_retention(Duration::from_secs(3600)));
    let setup = db.connect();
    accounts(&setup);
    setup
        .execute_batch("CREATE TABLE counter(n INT); INSERT INTO counter VALUES (0);")
        .unwrap();
    let first = newest_commit(&setup);
    let stop = Arc::new(AtomicBool::new(false));
    let seen: Arc<Mutex<Vec<Reading>>> = Arc::default();
    let mut threads = Vec::new();
    for worker in 0..2i64 {
        let db = db.clone();
        threads.push(std::thread::spawn(move || {
            let conn = db.connect();
            for step in 0..300i64 {
                let from = (worker + step) % 4 + 1;
                let to = (worker * 3 + step * 7) % 4 + 1;
                let result = conn.execute_batch(&format!(
                    "BEGIN; UPDATE acct SET balance = balance - 3 WHERE id = {from};
                     UPDATE acct SET balance = balance + 3 WHERE id = {to};
                     UPDATE counter SET n = n + 1; COMMIT;"
                ));
                if let Err(error) = result {
                    assert_eq!(error.kind(), ErrorKind::SerializationConflict, "{error}");
                    let _ = conn.execute("ROLLBACK", ());
                }
            }
        }));
    }
    for reader in 0..2u64 {
        let db = db.clone();
        let stop = Arc::clone(&stop);
        let seen = Arc::clone(&seen);
        threads.push(std::thread::spawn(move || {
            let conn = db.connect();
            let mut pick = 0x9e37_79b9_u64 + reader;
            while !stop.load(Ordering::Relaxed) {
                let newest = newest_commit(&conn);
                pick = pick
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let commit = first + (pick >> 33) as i64 % (newest - first + 1);
                let total = int(
                    &conn,
                    &format!("SELECT sum(balance) FROM acct FOR SYSTEM_TIME AS OF {commit}"),
                );
                assert_eq!(total, 400, "commit {commit}");
                let n = int(
                    &conn,
                    &format!("SELECT n FROM counter FOR SYSTEM_TIME AS OF {commit}"),
                );
                let balances: Vec<i64> = conn
                    .query(
                        "SELECT balance FROM acct FOR SYSTEM_TIME AS OF ? ORDER BY id",
                        (commit,),
                    )
                    .unwrap()
                    .into_iter()
                    .map(|row| row.get(0).unwrap())
                    .collect();
                seen.lock().unwrap().push((commit, n, balances));
            }
        }));
    }
    let readers = threads.split_off(2);
    for writer in threads {
        writer.join().unwrap();
    }
    setup.execute("VACUUM", ()).unwrap();
    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        reader.join().unwrap();
    }
    let seen = seen.lock().unwrap();
    assert!(seen.len() > 10, "readers ran");
    for (commit, n, balances) in seen.iter() {
        assert_eq!(
            int(
                &setup,
                &format!("SELECT n FROM counter FOR SYSTEM_TIME AS OF {commit}")
            ),
            *n
        );
        let again: Vec<i64> = setup
            .query(
                &format!("SELECT balance FROM acct FOR SYSTEM_TIME AS OF {commit} ORDER BY id"),
                (),
            )
            .unwrap()
            .into_iter()
            .map(|row| row.get(0).unwrap())
            .collect();
        assert_eq!(&again, balances, "commit {commit}");
    }
    // Counters grow with commits: a later commit never shows a smaller count.
    let mut by_commit: Vec<(i64, i64)> = seen.iter().map(|(c, n, _)| (*c, *n)).collect();
    by_commit.sort();
    assert!(by_commit.windows(2).all(|pair| pair[0].1 <= pair[1].1));
}

#[test]
fn after_a_reopen_only_commits_since_the_open_are_readable() {
    let dir = TempDir::new("reopen");
    let clock = WallClock::manual(START_MS);
    let options = || {
        Options::new()
            .clock(clock.clone())
            .history_retention(Duration::from_secs(600))
    };
    let before = {
        let db = Database::open_with(&dir.0, options()).unwrap();
        let conn = db.connect();
        conn.execute_batch(
            "CREATE TABLE t(a INT) WITH (history_retention = '1 hour'); INSERT INTO t VALUES (1);",
        )
        .unwrap();
        let commit = newest_commit(&conn);
        assert_eq!(
            int(
                &conn,
                &format!("SELECT a FROM t FOR SYSTEM_TIME AS OF {commit}")
            ),
            1
        );
        commit
    };
    clock.set_ms(START_MS + 1_000);
    let db = Database::open_with(&dir.0, options()).unwrap();
    let conn = db.connect();
    let opened = newest_commit(&conn);
    assert!(opened >= before, "commit numbers continue after a reopen");
    if opened > before {
        let (kind, message) = error_of(
            &conn,
            &format!("SELECT a FROM t FOR SYSTEM_TIME AS OF {before}"),
        );
        assert_eq!(kind, ErrorKind::HistoryUnavailable, "{message}");
        assert!(message.contains("does not survive a restart"), "{message}");
    }
    let (kind, _) = error_of(
        &conn,
        "SELECT a FROM t FOR SYSTEM_TIME AS OF '2026-11-23 12:00:00.500'",
    );
    assert_eq!(kind, ErrorKind::HistoryUnavailable);
    assert_eq!(
        int(
            &conn,
            &format!("SELECT a FROM t FOR SYSTEM_TIME AS OF {opened}")
        ),
        1
    );
    clock.set_ms(START_MS + 2_000);
    conn.execute("UPDATE t SET a = 2", ()).unwrap();
    assert_eq!(
        int(
            &conn,
            &format!("SELECT a FROM t FOR SYSTEM_TIME AS OF {opened}")
        ),
        1
    );
    assert_eq!(int(&conn, "SELECT a FROM t"), 2);
    // The table option survives (it is part of the stored CREATE TABLE).
    assert_eq!(
        int(&conn, "SELECT history_retention_ms FROM ember_stats"),
        3_600_000
    );
}
