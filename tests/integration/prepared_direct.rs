//! Held statements over the operator-free query path (`engine/src/pipeline/exec/query/direct.rs`:
//! `[LIMIT] [projection] one table access`) and the index lookup's residual recheck: re-run
//! with other parameters, answers checked against rows kept in Rust; re-run after CREATE
//! INDEX / DROP INDEX / ALTER TABLE; the connection's reused row buffers never carry a value
//! from an earlier execution; an error part way through, then a re-run; LIMIT/OFFSET counts;
//! several connections with held statements while writers move keys (each sees its own
//! snapshot whole).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ember::{Database, ErrorKind, FunctionFlags, OptionalExtension, Value};

/// One row of `r`: `(id, k, v, note)`.
type RRow = (i64, i64, f64, Option<String>);

/// `r(id INTEGER PRIMARY KEY, k INTEGER, v REAL, note TEXT)` with `CREATE INDEX r_k ON r(k)`:
/// `k = id % 7` (duplicates), notes of varying length, every fifth NULL.
fn r_table(db: &Database, rows: i64) -> (ember::Connection, Vec<RRow>) {
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE r(id INTEGER PRIMARY KEY, k INTEGER, v REAL, note TEXT);
         CREATE INDEX r_k ON r(k);",
    )
    .unwrap();
    let mut kept = Vec::new();
    let mut insert = conn.prepare("INSERT INTO r VALUES (?, ?, ?, ?)").unwrap();
    for id in 0..rows {
        let note = (id % 5 != 0).then(|| "n".repeat((id % 13) as usize * 9 + 1) + &id.to_string());
        let row = (id, id % 7, id as f64 / 4.0, note);
        insert
            .execute((row.0, row.1, row.2, row.3.clone()))
            .unwrap();
        kept.push(row);
    }
    drop(insert);
    (conn, kept)
}

fn values(row: &RRow) -> Vec<Value> {
    vec![
        Value::Integer(row.0),
        Value::Integer(row.1),
        Value::Real(row.2),
        row.3.clone().map_or(Value::Null, Value::Text),
    ]
}

fn rows_with_k(kept: &[RRow], k: i64) -> Vec<Vec<Value>> {
    kept.iter().filter(|row| row.1 == k).map(values).collect()
}

/// Sorted by id (an index lookup returns a key's rows in no promised order).
fn sorted(mut rows: Vec<Vec<Value>>) -> Vec<Vec<Value>> {
    rows.sort_by_key(|row| match row[0] {
        Value::Integer(id) => id,
        _ => i64::MIN,
    });
    rows
}

#[test]
fn a_held_index_lookup_reruns_with_other_parameters() {
    let db = Database::in_memory();
    let (conn, kept) = r_table(&db, 200);
    let mut star = conn.prepare("SELECT * FROM r WHERE k = ?").unwrap();
    let mut notes = conn
        .prepare("SELECT note, id, id + 1 FROM r WHERE k = ? AND v > ?")
        .unwrap();
    for round in 0..3 {
        for k in -1..9i64 {
            let all = star.query_all([k]).unwrap();
            assert_eq!(sorted(all.into_values()), rows_with_k(&kept, k), "k = {k}");
            let min_v = (round * 10) as f64;
            let expected: Vec<Vec<Value>> = kept
                .iter()
                .filter(|row| row.1 == k && row.2 > min_v)
                .map(|row| {
                    vec![
                        row.3.clone().map_or(Value::Null, Value::Text),
                        Value::Integer(row.0),
                        Value::Integer(row.0 + 1),
                    ]
                })
                .collect();
            let mut got = notes.query_all((k, min_v)).unwrap().into_values();
            got.sort_by_key(|row| match row[1] {
                Value::Integer(id) => id,
                _ => i64::MIN,
            });
            assert_eq!(got, expected, "k = {k}, v > {min_v}");
            // The plan-cache path and the first-row path read the same rows.
            let cached = conn.query("SELECT * FROM r WHERE k = ?", [k]).unwrap();
            assert_eq!(sorted(cached.into_values()), rows_with_k(&kept, k));
            let first = star
                .query_row([k], |row| Ok(row.values().to_vec()))
                .optional()
                .unwrap();
            match first {
                None => assert!(rows_with_k(&kept, k).is_empty()),
                Some(row) => assert!(rows_with_k(&kept, k).contains(&row), "k = {k}"),
            }
        }
    }
    // Probes of other types: coerced to the column as a comparison would be.
    assert_eq!(star.query_all([Value::Null]).unwrap().len(), 0);
    assert_eq!(
        sorted(star.query_all(["3"]).unwrap().into_values()),
        rows_with_k(&kept, 3)
    );
    assert_eq!(
        sorted(star.query_all([3.0]).unwrap().into_values()),
        rows_with_k(&kept, 3)
    );
    assert_eq!(star.query_all([3.5]).unwrap().len(), 0);
    assert_eq!(star.query_all(["three"]).unwrap().len(), 0);
}

#[test]
fn reused_buffers_never_carry_a_value_into_a_later_row() {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, a TEXT, b TEXT);
         CREATE INDEX t_k ON t(k);
         INSERT INTO t VALUES (1, 10, 'a long first text value', 'b1'),
                              (2, 20, NULL, NULL),
                              (3, 30, 'x', NULL),
                              (4, 40, NULL, 'only b');",
    )
    .unwrap();
    let expected = |k: i64| -> Option<Vec<Value>> {
        let text = |s: &str| Value::Text(s.to_string());
        Some(match k {
            10 => vec![
                Value::Integer(1),
                Value::Integer(10),
                text("a long first text value"),
                text("b1"),
            ],
            20 => vec![
                Value::Integer(2),
                Value::Integer(20),
                Value::Null,
                Value::Null,
            ],
            30 => vec![
                Value::Integer(3),
                Value::Integer(30),
                text("x"),
                Value::Null,
            ],
            40 => vec![
                Value::Integer(4),
                Value::Integer(40),
                Value::Null,
                text("only b"),
            ],
            _ => return None,
        })
    };
    let mut star = conn.prepare("SELECT * FROM t WHERE k = ?").unwrap();
    let mut swapped = conn.prepare("SELECT b, a FROM t WHERE k = ?").unwrap();
    let mut by_key = conn.prepare("SELECT * FROM t WHERE id = ?").unwrap();
    for &k in [10, 20, 10, 30, 40, 50, 20, 40, 10, 99, 30].iter() {
        let want = expected(k);
        let got = star
            .query_row([k], |row| Ok(row.values().to_vec()))
            .optional()
            .unwrap();
        assert_eq!(got, want, "SELECT * k = {k}");
        let got = swapped
            .query_row([k], |row| Ok(row.values().to_vec()))
            .optional()
            .unwrap();
        assert_eq!(
            got,
            want.as_ref()
                .map(|row| vec![row[3].clone(), row[2].clone()]),
            "SELECT b, a k = {k}"
        );
        // A primary-key lookup between them shares the connection's buffers.
        let got = by_key
            .query_row([k / 10], |row| Ok(row.values().to_vec()))
            .optional()
            .unwrap();
        assert_eq!(got, want, "by id {}", k / 10);
        let all = conn.query("SELECT a FROM t WHERE k = ?", [k]).unwrap();
        assert_eq!(
            all.into_values(),
            want.iter()
                .map(|row| vec![row[2].clone()])
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn held_statements_rerun_after_create_index_drop_index_and_alter_table() {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute_batch("CREATE TABLE s(id INTEGER PRIMARY KEY, k INTEGER, name TEXT)")
        .unwrap();
    for id in 0..60i64 {
        conn.execute(
            "INSERT INTO s VALUES (?, ?, ?)",
            (id, id % 6, format!("s{id}")),
        )
        .unwrap();
    }
    let expected = |k: i64| -> Vec<Vec<Value>> {
        (0..60i64)
            .filter(|id| id % 6 == k)
            .map(|id| {
                vec![
                    Value::Integer(id),
                    Value::Integer(k),
                    Value::Text(format!("s{id}")),
                ]
            })
            .collect()
    };
    let mut lookup = conn.prepare("SELECT * FROM s WHERE k = ?").unwrap();
    let mut top = conn
        .prepare("SELECT id, k FROM s ORDER BY k DESC, id DESC LIMIT ?")
        .unwrap();
    let top_expected = |n: usize| -> Vec<Vec<Value>> {
        let mut rows: Vec<(i64, i64)> = (0..60i64).map(|id| (id, id % 6)).collect();
        rows.sort_by_key(|&(id, k)| std::cmp::Reverse((k, id)));
        rows.into_iter()
            .take(n)
            .map(|(id, k)| vec![Value::Integer(id), Value::Integer(k)])
            .collect()
    };
    let check = |lookup: &mut ember::Statement<'_>, top: &mut ember::Statement<'_>| {
        for k in 0..7 {
            let rows = lookup.query_all([k]).unwrap().into_values();
            let rows: Vec<Vec<Value>> = sorted(rows)
                .into_iter()
                .map(|row| row[..3].to_vec())
                .collect();
            assert_eq!(rows, expected(k), "k = {k}");
        }
        for n in [0usize, 1, 5, 13] {
            assert_eq!(
                top.query_all([n as i64]).unwrap().into_values(),
                top_expected(n)
            );
        }
    };
    check(&mut lookup, &mut top);
    conn.execute("CREATE INDEX s_k ON s(k)", ()).unwrap();
    check(&mut lookup, &mut top);
    let plan = conn
        .query("EXPLAIN SELECT * FROM s WHERE k = ?", [1])
        .unwrap();
    assert!(
        format!("{:?}", plan.values()).contains("IndexLookup"),
        "{plan:?}"
    );
    conn.execute("DROP INDEX s_k", ()).unwrap();
    check(&mut lookup, &mut top);
    conn.execute("CREATE INDEX s_k2 ON s(k, id)", ()).unwrap();
    check(&mut lookup, &mut top);
    // A column added after preparing: `*` now has four columns, the new one NULL.
    conn.execute("ALTER TABLE s ADD COLUMN extra TEXT", ())
        .unwrap();
    check(&mut lookup, &mut top);
    let row = lookup
        .query_row([2], |row| Ok(row.values().to_vec()))
        .unwrap();
    assert_eq!(row.len(), 4);
    assert_eq!(row[3], Value::Null);
    conn.execute("UPDATE s SET extra = 'e' || id WHERE k = 2", ())
        .unwrap();
    for row in lookup.query_all([2]).unwrap().into_values() {
        let Value::Integer(id) = row[0] else {
            panic!("id {row:?}")
        };
        assert_eq!(row[3], Value::Text(format!("e{id}")));
    }
    conn.execute("ALTER TABLE s DROP COLUMN extra", ()).unwrap();
    check(&mut lookup, &mut top);
    assert_eq!(
        lookup.query_row([2], |row| Ok(row.values().len())).unwrap(),
        3
    );
}

#[test]
fn an_error_part_way_through_then_a_rerun() {
    let db = Database::in_memory();
    db.create_scalar_function("fails_at", 2, FunctionFlags::DETERMINISTIC, |ctx| {
        let (x, at): (i64, i64) = (ctx.get(0)?, ctx.get(1)?);
        if x == at {
            return Err(ember::Error::new(ErrorKind::InvalidInput, "fails_at hit"));
        }
        Ok(x)
    })
    .unwrap();
    let (conn, kept) = r_table(&db, 100);
    let mut lookup = conn
        .prepare("SELECT id, fails_at(id, ?) FROM r WHERE k = ?")
        .unwrap();
    let mut scan = conn
        .prepare("SELECT id, fails_at(id, ?) FROM r LIMIT ?")
        .unwrap();
    for _ in 0..3 {
        // k = 3: ids 3, 10, 17, ...; fail on the third.
        let error = lookup.query_all((17, 3)).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
        assert!(error.to_string().contains("fails_at hit"), "{error}");
        let rows = lookup.query_all((-1, 3)).unwrap().into_values();
        assert_eq!(rows.len(), rows_with_k(&kept, 3).len());
        let error = scan.query_all((40, 50)).unwrap_err();
        assert!(error.to_string().contains("fails_at hit"), "{error}");
        assert_eq!(scan.query_all((40, 40)).unwrap().len(), 40);
        // A LIMIT that is not a count fails before any row; then a good one runs.
        let error = scan.query_all((-1, "ten")).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Type, "{error}");
        assert_eq!(scan.query_all((-1, 7)).unwrap().len(), 7);
    }
    // The row cap holds on the direct path, and a later run is not affected.
    let capped = Database::in_memory_with(ember::Options::new().statement_rows_max(10));
    let (conn, _) = r_table(&capped, 100);
    let error = conn.query("SELECT * FROM r WHERE k = ?", [3]).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Limit, "{error}");
    assert_eq!(
        conn.query("SELECT * FROM r WHERE k = ? LIMIT 5", [3])
            .unwrap()
            .len(),
        5
    );
    assert_eq!(
        conn.query("SELECT * FROM r WHERE id = ?", [3])
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn limit_and_offset_on_lookups_scans_and_ranges() {
    let db = Database::in_memory();
    let (conn, kept) = r_table(&db, 120);
    conn.execute("CREATE INDEX r_v ON r(v)", ()).unwrap();
    let mut lookup = conn
        .prepare("SELECT id FROM r WHERE k = ? ORDER BY id LIMIT ? OFFSET ?")
        .unwrap();
    let mut unordered = conn
        .prepare("SELECT id FROM r WHERE k = ? LIMIT ? OFFSET ?")
        .unwrap();
    let mut scan = conn.prepare("SELECT id FROM r LIMIT ? OFFSET ?").unwrap();
    let mut range = conn
        .prepare("SELECT id, v FROM r ORDER BY v DESC LIMIT ? OFFSET ?")
        .unwrap();
    let ids = |rows: ember::RowSet| -> Vec<i64> {
        rows.into_values()
            .into_iter()
            .map(|row| match row[0] {
                Value::Integer(id) => id,
                _ => panic!("id {row:?}"),
            })
            .collect()
    };
    let window = |all: Vec<i64>, limit: i64, offset: i64| -> Vec<i64> {
        let rest = all.into_iter().skip(offset.max(0) as usize);
        if limit < 0 {
            rest.collect()
        } else {
            rest.take(limit as usize).collect()
        }
    };
    for (limit, offset) in [(0, 0), (1, 0), (3, 2), (-1, 5), (100, 0), (5, 500), (2, -3)] {
        for k in [0i64, 4, 9] {
            let all: Vec<i64> = kept
                .iter()
                .filter(|row| row.1 == k)
                .map(|row| row.0)
                .collect();
            let want = window(all.clone(), limit, offset);
            assert_eq!(ids(lookup.query_all((k, limit, offset)).unwrap()), want);
            let mut got = ids(unordered.query_all((k, limit, offset)).unwrap());
            assert_eq!(got.len(), want.len(), "k {k} limit {limit} offset {offset}");
            got.retain(|id| all.contains(id));
            assert_eq!(got.len(), want.len());
        }
        let all: Vec<i64> = kept.iter().map(|row| row.0).collect();
        assert_eq!(
            ids(scan.query_all((limit, offset)).unwrap()),
            window(all, limit, offset)
        );
        let mut by_v: Vec<i64> = kept.iter().map(|row| row.0).collect();
        by_v.reverse();
        assert_eq!(
            ids(range.query_all((limit, offset)).unwrap()),
            window(by_v, limit, offset)
        );
    }
}

#[test]
fn an_index_lookup_rechecks_what_its_key_does_not_decide() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE m(id INTEGER PRIMARY KEY, any_k, int_k INTEGER, txt_k TEXT);
         CREATE INDEX m_any ON m(any_k);
         CREATE INDEX m_int ON m(int_k);
         CREATE INDEX m_txt ON m(txt_k);
         INSERT INTO m VALUES (1, 1, 1, '1'), (2, '1', 2, '01'), (3, 1.0, 1, 'a'),
                              (4, 1.5, 1, '1.0'), (5, x'01', 3, '1');",
    )
    .unwrap();
    let ids = |sql: &str, param: Value| -> Vec<i64> {
        let mut ids: Vec<i64> = conn
            .query(sql, [param])
            .unwrap()
            .into_values()
            .into_iter()
            .map(|row| match row[0] {
                Value::Integer(id) => id,
                _ => panic!("id {row:?}"),
            })
            .collect();
        ids.sort_unstable();
        ids
    };
    // SQLite's answers: a column without affinity compares 1 with the integer 1 and the
    // real 1.0, not with the text '1'.
    assert_eq!(
        ids("SELECT id FROM m WHERE any_k = ?", Value::Integer(1)),
        [1, 3]
    );
    assert_eq!(
        ids("SELECT id FROM m WHERE any_k = ?", Value::Text("1".into())),
        [2]
    );
    assert_eq!(
        ids("SELECT id FROM m WHERE int_k = ?", Value::Integer(1)),
        [1, 3, 4]
    );
    assert_eq!(
        ids("SELECT id FROM m WHERE int_k = ?", Value::Real(1.0)),
        [1, 3, 4]
    );
    assert_eq!(
        ids("SELECT id FROM m WHERE int_k = ?", Value::Text("1".into())),
        [1, 3, 4]
    );
    assert_eq!(
        ids("SELECT id FROM m WHERE txt_k = ?", Value::Integer(1)),
        [1, 5]
    );
    // A unique index keyed under NOCASE finds 'ADA' for 'ada'; the BINARY comparison of
    // the WHERE clause (the column's own collation) is rechecked.
    conn.execute_batch(
        "CREATE TABLE u(id INTEGER PRIMARY KEY, name TEXT);
         CREATE UNIQUE INDEX u_name ON u(name COLLATE NOCASE);
         INSERT INTO u VALUES (1, 'ADA'), (2, 'grace');",
    )
    .unwrap();
    assert_eq!(
        ids("SELECT id FROM u WHERE name = ?", Value::Text("ada".into())),
        [0i64; 0]
    );
    assert_eq!(
        ids("SELECT id FROM u WHERE name = ?", Value::Text("ADA".into())),
        [1]
    );
    assert_eq!(
        ids(
            "SELECT id FROM u WHERE name = ? COLLATE NOCASE",
            Value::Text("ada".into())
        ),
        [1]
    );
    // The rest of the WHERE clause is still checked when the key decides its equality.
    assert_eq!(
        ids(
            "SELECT id FROM m WHERE int_k = ? AND id > 1",
            Value::Integer(1)
        ),
        [3, 4]
    );
    assert_eq!(
        ids(
            "SELECT id FROM m WHERE int_k = ? AND txt_k <> '1'",
            Value::Integer(1)
        ),
        [3, 4]
    );
}

#[test]
fn connections_with_held_statements_each_read_their_own_snapshot() {
    const KEYS: i64 = 64;
    let db = Database::in_memory();
    let setup = db.connect();
    setup
        .execute_batch(
            "CREATE TABLE p(id INTEGER PRIMARY KEY, k INTEGER NOT NULL, tag TEXT);
             CREATE INDEX p_k ON p(k);",
        )
        .unwrap();
    for id in 0..KEYS {
        setup
            .execute(
                "INSERT INTO p VALUES (?, ?, ?)",
                (id, id, format!("tag{id}")),
            )
            .unwrap();
    }
    let stop = Arc::new(AtomicBool::new(false));
    // Writers swap the keys of two rows in one transaction: at every commit each key
    // 0..KEYS is held by exactly one row, and each row's tag names its id.
    let writers: Vec<_> = (0..2u64)
        .map(|seed| {
            let db = db.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut conn = db.connect();
                let mut state = seed * 7919 + 1;
                let mut swaps = 0u64;
                while !stop.load(Ordering::Relaxed) && swaps < 400 {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let a = (state >> 33) as i64 % KEYS;
                    let b = (state >> 13) as i64 % KEYS;
                    if a == b {
                        continue;
                    }
                    let outcome = conn.transact(|tx| {
                        let ka: i64 = tx.query_value("SELECT k FROM p WHERE id = ?", [a])?;
                        let kb: i64 = tx.query_value("SELECT k FROM p WHERE id = ?", [b])?;
                        tx.execute("UPDATE p SET k = ? WHERE id = ?", (kb, a))?;
                        tx.execute("UPDATE p SET k = ? WHERE id = ?", (ka, b))?;
                        Ok(())
                    });
                    if outcome.is_ok() {
                        swaps += 1;
                    }
                }
                swaps
            })
        })
        .collect();
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let db = db.clone();
            std::thread::spawn(move || {
                let mut conn = db.connect();
                let mut reads = 0u64;
                let mut lookup = conn.prepare("SELECT id, tag FROM p WHERE k = ?").unwrap();
                let mut top = conn
                    .prepare("SELECT k FROM p ORDER BY k DESC LIMIT 3")
                    .unwrap();
                for round in 0..150i64 {
                    let k = round % KEYS;
                    let rows = lookup.query_all([k]).unwrap().into_values();
                    assert_eq!(rows.len(), 1, "key {k} held by {rows:?}");
                    let Value::Integer(id) = rows[0][0] else {
                        panic!("{rows:?}")
                    };
                    assert_eq!(rows[0][1], Value::Text(format!("tag{id}")));
                    let top_k = top.query_all(()).unwrap().into_values();
                    let want: Vec<Vec<Value>> = (KEYS - 3..KEYS)
                        .rev()
                        .map(|k| vec![Value::Integer(k)])
                        .collect();
                    assert_eq!(top_k, want);
                    reads += 1;
                }
                drop((lookup, top));
                // Inside one transaction, every key read twice names the same row.
                let tx = conn.transaction().unwrap();
                let first: Vec<i64> = (0..KEYS)
                    .map(|k| tx.query_value("SELECT id FROM p WHERE k = ?", [k]).unwrap())
                    .collect();
                std::thread::yield_now();
                let second: Vec<i64> = (0..KEYS)
                    .map(|k| tx.query_value("SELECT id FROM p WHERE k = ?", [k]).unwrap())
                    .collect();
                assert_eq!(first, second);
                let mut sorted_ids = first.clone();
                sorted_ids.sort_unstable();
                assert_eq!(sorted_ids, (0..KEYS).collect::<Vec<_>>());
                drop(tx);
                reads
            })
        })
        .collect();
    let reads: u64 = readers
        .into_iter()
        .map(|reader| reader.join().unwrap())
        .sum();
    stop.store(true, Ordering::Relaxed);
    let swaps: u64 = writers
        .into_iter()
        .map(|writer| writer.join().unwrap())
        .sum();
    assert_eq!(reads, 450);
    // At the end: every key once, every tag its id's.
    let rows = setup
        .query("SELECT id, k, tag FROM p ORDER BY k", ())
        .unwrap()
        .into_values();
    assert_eq!(rows.len() as i64, KEYS);
    for (k, row) in rows.iter().enumerate() {
        assert_eq!(row[1], Value::Integer(k as i64));
        let Value::Integer(id) = row[0] else {
            panic!("{row:?}")
        };
        assert_eq!(row[2], Value::Text(format!("tag{id}")));
    }
    assert!(swaps > 0, "the writers committed nothing");
}

#[test]
fn index_ranges_resume_across_batches_past_stale_entries() {
    // More rows than one batch of the walk (1,024 entries), and updates that move keys,
    // so the walk resumes several times and passes entries whose row has moved on.
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE s(id INTEGER PRIMARY KEY, k INTEGER, note TEXT);
         CREATE INDEX s_k ON s(k);",
    )
    .unwrap();
    let mut kept: Vec<(i64, i64, String)> = Vec::new();
    let mut insert = conn.prepare("INSERT INTO s VALUES (?, ?, ?)").unwrap();
    for id in 0..3_000i64 {
        let row = (id, (id * 7_919) % 3_001, format!("note {id}"));
        insert.execute((row.0, row.1, row.2.clone())).unwrap();
        kept.push(row);
    }
    drop(insert);
    // A reader holding the old snapshot keeps the replaced versions (and their entries).
    let old_reader = db.connect();
    old_reader.execute("BEGIN", ()).unwrap();
    let before: i64 = old_reader
        .query_value("SELECT count(*) FROM s WHERE k >= 0", ())
        .unwrap();
    assert_eq!(before, 3_000);
    let mut update = conn.prepare("UPDATE s SET k = ? WHERE id = ?").unwrap();
    for row in kept.iter_mut().filter(|row| row.0 % 3 == 0) {
        row.1 = 10_000 + (row.1 * 13) % 5_000;
        update.execute((row.1, row.0)).unwrap();
    }
    drop(update);
    let rows_of = |set: ember::RowSet| -> Vec<(i64, i64, String)> {
        set.into_values()
            .into_iter()
            .map(|row| match (&row[0], &row[1], &row[2]) {
                (Value::Integer(id), Value::Integer(k), Value::Text(note)) => {
                    (*id, *k, note.clone())
                }
                other => panic!("row {other:?}"),
            })
            .collect()
    };
    let mut by_k = kept.clone();
    by_k.sort_by_key(|row| (row.1, row.0));
    let mut descending = conn
        .prepare("SELECT id, k, note FROM s ORDER BY k DESC LIMIT ?")
        .unwrap();
    let mut between = conn
        .prepare("SELECT id, k, note FROM s WHERE k BETWEEN ? AND ? AND id % 2 = 0 ORDER BY k")
        .unwrap();
    for limit in [1i64, 10, 1_500, 2_999, 5_000] {
        let want: Vec<_> = by_k.iter().rev().take(limit as usize).cloned().collect();
        assert_eq!(rows_of(descending.query_all([limit]).unwrap()), want);
    }
    for (low, high) in [
        (0i64, 3_000i64),
        (100, 2_500),
        (2_900, 12_000),
        (10_000, 20_000),
    ] {
        let want: Vec<_> = by_k
            .iter()
            .filter(|row| (low..=high).contains(&row.1) && row.0 % 2 == 0)
            .cloned()
            .collect();
        assert_eq!(rows_of(between.query_all((low, high)).unwrap()), want);
    }
    // The old snapshot still reads every row at its old key through the same walk.
    let old: i64 = old_reader
        .query_value(
            "SELECT count(*) FROM (SELECT k FROM s WHERE k < 3001 ORDER BY k)",
            (),
        )
        .unwrap();
    assert_eq!(old, 3_000);
    old_reader.execute("COMMIT", ()).unwrap();
}

#[test]
fn range_walks_of_long_and_short_text_keys_share_a_connection() {
    // The connection keeps a range walk's key buffers for the next walk unless they grew
    // past 1 KiB: walks over 3,000-byte keys, then short ones, then the operator tree's
    // walk (under an aggregate), each answer checked, in every order, twice.
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE w(id INTEGER PRIMARY KEY, t TEXT, n INTEGER);
         CREATE INDEX w_t ON w(t);
         CREATE INDEX w_n ON w(n);",
    )
    .unwrap();
    let mut kept: Vec<(i64, String, i64)> = Vec::new();
    let mut insert = conn.prepare("INSERT INTO w VALUES (?, ?, ?)").unwrap();
    for id in 0..200i64 {
        let length = if id % 2 == 0 { 3_000 } else { 3 };
        let letter = char::from(b'a' + (id % 26) as u8);
        let text = format!("{}{id:04}", letter.to_string().repeat(length));
        let row = (id, text, (id * 37) % 101);
        insert.execute((row.0, row.1.clone(), row.2)).unwrap();
        kept.push(row);
    }
    drop(insert);
    let mut by_t = kept.clone();
    by_t.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    let mut by_n = kept.clone();
    by_n.sort_by_key(|row| (row.2, row.0));
    let ids = |set: ember::RowSet| -> Vec<i64> {
        set.into_values()
            .into_iter()
            .map(|row| match row[0] {
                Value::Integer(id) => id,
                ref other => panic!("id {other:?}"),
            })
            .collect()
    };
    for _ in 0..2 {
        for limit in [1usize, 7, 150] {
            let want: Vec<i64> = by_t.iter().rev().take(limit).map(|row| row.0).collect();
            let got = conn
                .query("SELECT id FROM w ORDER BY t DESC LIMIT ?", [limit as i64])
                .unwrap();
            assert_eq!(ids(got), want);
            let want: Vec<i64> = by_n.iter().take(limit).map(|row| row.0).collect();
            let got = conn
                .query("SELECT id, t FROM w ORDER BY n LIMIT ?", [limit as i64])
                .unwrap();
            assert_eq!(ids(got), want);
            let low = "m".to_string();
            let want: Vec<i64> = by_t
                .iter()
                .filter(|row| row.1 >= low)
                .take(limit)
                .map(|row| row.0)
                .collect();
            let got = conn
                .query(
                    "SELECT id FROM w WHERE t >= ? ORDER BY t LIMIT ?",
                    (low, limit as i64),
                )
                .unwrap();
            assert_eq!(ids(got), want);
            let total: i64 = conn
                .query_value(
                    "SELECT sum(n) FROM (SELECT n FROM w WHERE n < 50 ORDER BY n LIMIT ?)",
                    [limit as i64],
                )
                .unwrap();
            let want: i64 = by_n
                .iter()
                .filter(|row| row.2 < 50)
                .take(limit)
                .map(|row| row.2)
                .sum();
            assert_eq!(total, want);
        }
    }
}
