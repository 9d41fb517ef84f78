//! Ordered index walks that read whole rows (`SELECT * .. ORDER BY k [DESC] LIMIT n`,
//! ranges, prefix LIKE) through an index that may be settled (`mvcc/settled_index.rs`:
//! then each entry's row is read and decoded once, its key not compared again) match
//! SQLite: with NULL keys, ties, OFFSET, after key changes, deletes and reinserts that
//! leave stale entries and once VACUUM collected them, beside another connection's
//! uncommitted writes, in an old snapshot, inside a transaction that wrote the table; and
//! many readers see one consistent set of rows while a writer swaps keys.

use std::sync::atomic::{AtomicBool, Ordering};

use ember::{Database, Value};

use super::settled_support::{
    assert_pairs_agree, same_answers_across_writes_and_vacuum,
    same_answers_beside_uncommitted_own_and_old,
};

const SCHEMA: &[&str] = &[
    "CREATE TABLE r(id INTEGER PRIMARY KEY, k INTEGER, v REAL, note TEXT)",
    "CREATE INDEX r_k ON r(k)",
    "CREATE INDEX r_note ON r(note)",
    // Ties (k repeats every 700 ids) and NULL keys (every 13th id).
    "INSERT INTO r WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c \
     WHERE i < 2000) SELECT i, CASE WHEN i % 13 = 0 THEN NULL ELSE (i * 37) % 700 END, \
     (i % 100) * 0.5, CASE WHEN i % 11 = 0 THEN NULL ELSE 'n' || (i % 300) END FROM c",
];

const CHECKS: &[&str] = &[
    "SELECT * FROM r ORDER BY k DESC LIMIT 10",
    "SELECT * FROM r ORDER BY k LIMIT 10",
    "SELECT * FROM r ORDER BY k LIMIT 30 OFFSET 140",
    "SELECT * FROM r ORDER BY k DESC LIMIT 25 OFFSET 7",
    "SELECT * FROM r ORDER BY k DESC LIMIT 1",
    "SELECT id, note FROM r WHERE k >= 650 ORDER BY k LIMIT 12",
    "SELECT * FROM r WHERE k BETWEEN 100 AND 104 ORDER BY k DESC",
    "SELECT * FROM r WHERE k < 3 ORDER BY k",
    "SELECT v, k FROM r WHERE k > 690 ORDER BY k DESC",
    "SELECT * FROM r WHERE k IS NOT NULL ORDER BY k LIMIT 8",
    "SELECT * FROM r WHERE note LIKE 'n29%' ORDER BY note LIMIT 9",
    "SELECT * FROM r WHERE note >= 'n5' ORDER BY note DESC LIMIT 11",
    "SELECT * FROM r WHERE k > 600 AND v > 20 ORDER BY k LIMIT 15",
    "SELECT count(*), sum(v) FROM r WHERE k BETWEEN 10 AND 400",
];

/// Writes run on both engines in turn: key changes (to new keys, to NULL, from NULL),
/// deletes, reinserts and a change of other columns only.
const WRITES: &[&str] = &[
    "UPDATE r SET k = k + 3 WHERE id % 5 = 0",
    "DELETE FROM r WHERE id % 7 = 0",
    "UPDATE r SET k = NULL WHERE id % 17 = 0",
    "UPDATE r SET k = 699 WHERE k IS NULL AND id % 2 = 0",
    "INSERT INTO r SELECT id + 2000, k, v + 1, note || 'x' FROM r WHERE id % 9 = 0",
    "UPDATE r SET v = v + 100, note = 'w' || id WHERE k > 650",
];

#[test]
fn whole_row_index_walks_match_sqlite_across_writes() {
    same_answers_across_writes_and_vacuum(SCHEMA, CHECKS, WRITES);
}

#[test]
fn whole_row_index_walks_beside_uncommitted_own_and_old_writes() {
    same_answers_beside_uncommitted_own_and_old(
        SCHEMA,
        CHECKS,
        &[
            "UPDATE r SET k = 1000 + id WHERE id % 50 = 1",
            "DELETE FROM r WHERE k > 680",
            "INSERT INTO r VALUES (5001, 699, 1.5, 'n290'), (5002, NULL, 2.5, 'n5z')",
            "UPDATE r SET note = 'n299' WHERE id % 40 = 3",
        ],
    );
}

/// Rows of `r` in the many-thread test, keys `1..=ROWS` in some order.
const ROWS: i64 = 400;

/// Checks one answer of `SELECT * FROM r ORDER BY k DESC LIMIT n`: the top keys in order,
/// each row whole (its note is its id's).
fn check_top(rows: &[Vec<Value>], n: i64) {
    assert_eq!(rows.len() as i64, n);
    for (place, row) in rows.iter().enumerate() {
        let [Value::Integer(id), Value::Integer(k), Value::Real(_), Value::Text(note)] =
            row.as_slice()
        else {
            panic!("a row of r: {row:?}");
        };
        assert_eq!(
            *k,
            ROWS - place as i64,
            "keys in order, none twice: {rows:?}"
        );
        assert_eq!(note, &format!("n{id}"), "the row is the entry's row");
    }
}

#[test]
fn readers_see_one_permutation_of_keys_while_a_writer_swaps_them() {
    let db = Database::in_memory();
    let setup = db.connect();
    setup
        .execute(
            "CREATE TABLE r(id INTEGER PRIMARY KEY, k INTEGER, v REAL, note TEXT)",
            (),
        )
        .unwrap();
    setup.execute("CREATE INDEX r_k ON r(k)", ()).unwrap();
    setup
        .execute(
            &format!(
                "INSERT INTO r WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 \
                 FROM c WHERE i < {ROWS}) SELECT i, i, i * 0.5, 'n' || i FROM c"
            ),
            (),
        )
        .unwrap();
    let pairs = [
        (
            "SELECT * FROM r ORDER BY k DESC LIMIT 30",
            "SELECT * FROM r ORDER BY k + 0 DESC LIMIT 30",
        ),
        (
            "SELECT id, k FROM r WHERE k BETWEEN 100 AND 160 ORDER BY k",
            "SELECT id, k FROM r WHERE k + 0 BETWEEN 100 AND 160 ORDER BY k + 0",
        ),
    ];
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let conn = db.connect();
            for round in 0..300i64 {
                // Two rows swap keys in one transaction: every snapshot sees each key once.
                let (a, b) = (1 + (round * 7) % ROWS, 1 + (round * 13 + 5) % ROWS);
                conn.execute("BEGIN", ()).unwrap();
                let keys = conn
                    .query(
                        &format!("SELECT k FROM r WHERE id IN ({a}, {b}) ORDER BY id"),
                        (),
                    )
                    .unwrap()
                    .into_values();
                let key = |i: usize| match keys.get(i).and_then(|row| row.first()) {
                    Some(Value::Integer(k)) => *k,
                    other => panic!("a key: {other:?}"),
                };
                if a != b {
                    let (low, high) = (a.min(b), a.max(b));
                    conn.execute(
                        &format!(
                            "UPDATE r SET k = CASE id WHEN {low} THEN {} ELSE {} END \
                             WHERE id IN ({low}, {high})",
                            key(1),
                            key(0)
                        ),
                        (),
                    )
                    .unwrap();
                }
                conn.execute("COMMIT", ()).unwrap();
                if round % 40 == 0 {
                    // Collected and quiet for a moment: readers find the index settled.
                    conn.execute("VACUUM", ()).unwrap();
                    std::thread::sleep(std::time::Duration::from_millis(3));
                }
            }
            done.store(true, Ordering::Release);
        });
        let readers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    let conn = db.connect();
                    let mut reads = 0u64;
                    while !done.load(Ordering::Acquire) || reads == 0 {
                        let top = conn
                            .query("SELECT * FROM r ORDER BY k DESC LIMIT 25", ())
                            .unwrap()
                            .into_values();
                        check_top(&top, 25);
                        assert_pairs_agree(&conn, &pairs);
                        reads += 1;
                    }
                    reads
                })
            })
            .collect();
        for reader in readers {
            assert!(reader.join().unwrap() > 0);
        }
    });
    // At the end: still one row per key, each key once, every row whole.
    let all = setup
        .query("SELECT * FROM r ORDER BY k DESC", ())
        .unwrap()
        .into_values();
    check_top(&all, ROWS);
    setup.execute("VACUUM", ()).unwrap();
    let all = setup
        .query("SELECT * FROM r ORDER BY k DESC", ())
        .unwrap()
        .into_values();
    check_top(&all, ROWS);
}
