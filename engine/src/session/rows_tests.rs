//! Tests of the flat row set (`rows.rs`, `row_views.rs`): empty results, rows of no
//! columns, row access by index and by name, the ways rows are taken out, and results
//! delivered through each execution path (direct index walk, operator tree, key lookup,
//! RETURNING, PRAGMA) with the row buffers the connection reuses between statements.

use std::sync::Arc;

use ember_storage::Value;

use super::*;
use crate::Database;

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn columns(names: &[&str]) -> Arc<[String]> {
    names.iter().map(|name| name.to_string()).collect()
}

/// A row set of `rows` collected with no size known in advance (it grows chunk by chunk).
fn set_of(names: &[&str], rows: Vec<Vec<Value>>) -> RowSet {
    let mut set = RowSet::with_capacity(columns(names), 0);
    for mut row in rows {
        set.push_taking(&mut row).unwrap();
        assert!(row.is_empty(), "the values moved out");
    }
    set
}

#[test]
fn an_empty_result_has_columns_and_no_rows() {
    let conn = Database::in_memory().connect();
    conn.execute("CREATE TABLE t(a INTEGER, b TEXT)", ())
        .unwrap();
    let rows = conn.query("SELECT a, b FROM t", ()).unwrap();
    assert_eq!(rows.columns(), ["a", "b"]);
    assert!(rows.is_empty());
    assert_eq!(rows.len(), 0);
    assert!(rows.first().is_none());
    assert!(rows.row(0).is_none());
    assert_eq!(rows.iter().count(), 0);
    assert!(rows.values().is_empty());
    assert!(rows.values().first().is_none());
    assert_eq!(rows.values(), Vec::<Vec<Value>>::new());
    assert_eq!(rows.clone().into_iter().count(), 0);
    assert!(rows.clone().into_values().is_empty());
    assert!(rows.into_cells().is_empty());
}

#[test]
fn rows_of_no_columns_are_counted() {
    let set = set_of(&[], vec![vec![], vec![], vec![]]);
    assert_eq!(set.len(), 3);
    assert_eq!(set.values().len(), 3);
    assert_eq!(set.values()[2], []);
    assert!(set.values().get(3).is_none());
    assert_eq!(set.values().iter().count(), 3);
    assert_eq!(set.values().iter().rev().count(), 3);
    assert_eq!(set.iter().count(), 3);
    assert_eq!(set.row(2).unwrap().values(), []);
    assert!(set.row(3).is_none());
    assert_eq!(set.clone().into_values(), vec![Vec::<Value>::new(); 3]);
    let owned: Vec<Row> = set.into_iter().collect();
    assert_eq!(owned.len(), 3);
    assert!(owned.iter().all(|row| row.values().is_empty()));
}

#[test]
fn rows_are_read_by_index_and_columns_by_position_or_name() {
    let conn = Database::in_memory().connect();
    let rows = conn
        .query("SELECT 1 AS id, 'ada' AS name UNION ALL SELECT 2, NULL", ())
        .unwrap();
    assert_eq!(rows.len(), 2);
    let first = rows.row(0).unwrap();
    assert_eq!(first.get::<i64>(0).unwrap(), 1);
    assert_eq!(first.get::<String>("NAME").unwrap(), "ada");
    assert_eq!(first.value("name").unwrap(), &text("ada"));
    assert_eq!(first.columns(), ["id", "name"]);
    let second = rows.row(1).unwrap();
    assert_eq!(second.get::<i64>("id").unwrap(), 2);
    assert_eq!(second.get::<Option<String>>(1).unwrap(), None);
    let error = second.get::<i64>("missing").unwrap_err();
    assert_eq!(error.kind(), crate::ErrorKind::NotFound);
    let error = second.get::<i64>(2).unwrap_err();
    assert_eq!(error.kind(), crate::ErrorKind::InvalidInput);
    assert!(second.get::<i64>(1).is_err(), "NULL is no integer");
    #[derive(serde::Deserialize)]
    struct Person {
        id: i64,
        name: Option<String>,
    }
    let person: Person = first.deserialize().unwrap();
    assert_eq!((person.id, person.name.as_deref()), (1, Some("ada")));
    let ids: Vec<i64> = (&rows).into_iter().map(|row| row.get(0).unwrap()).collect();
    assert_eq!(ids, [1, 2]);
    assert_eq!(rows.first().unwrap(), first.to_row());
    assert_eq!(rows.values()[1][0], Value::Integer(2));
    assert_eq!(
        rows.values().last().unwrap(),
        [Value::Integer(2), Value::Null]
    );
}

#[test]
fn rows_are_taken_out_whole_or_flat() {
    let rows = vec![
        vec![Value::Integer(1), text("a")],
        vec![Value::Integer(2), text("b")],
        vec![Value::Integer(3), Value::Null],
    ];
    let set = set_of(&["n", "s"], rows.clone());
    assert_eq!(set.values(), rows);
    assert_eq!(set.values(), rows.as_slice());
    assert_eq!(set.values().to_vec(), rows);
    assert_ne!(set.values(), rows[..2]);
    let backwards: Vec<&[Value]> = set.values().iter().rev().collect();
    assert_eq!(backwards[0], rows[2]);
    assert_eq!(set.values().iter().len(), 3);
    assert_eq!(set.clone().into_values(), rows);
    let owned: Vec<Vec<Value>> = set.clone().into_iter().map(Row::into_values).collect();
    assert_eq!(owned, rows);
    let mut iter = set.clone().into_iter();
    assert_eq!(iter.len(), 3);
    assert_eq!(iter.next().unwrap().get::<String>("s").unwrap(), "a");
    assert_eq!(iter.len(), 2);
    assert_eq!(set.clone().into_cells(), rows.concat());
}

#[test]
fn debug_shows_rows_as_lists() {
    let set = set_of(&["a"], vec![vec![Value::Integer(1)], vec![Value::Null]]);
    assert_eq!(
        format!("{set:?}"),
        r#"RowSet { columns: ["a"], rows: [[Integer(1)], [Null]] }"#
    );
    assert_eq!(format!("{:?}", set.values()), "[[Integer(1)], [Null]]");
}

#[test]
#[cfg_attr(debug_assertions, should_panic(expected = "one value per column"))]
fn a_row_of_the_wrong_width_is_an_internal_error() {
    let mut set = RowSet::with_capacity(columns(&["a", "b"]), 1);
    let error = set.push_taking(&mut vec![Value::Integer(1)]).unwrap_err();
    assert_eq!(error.kind(), crate::ErrorKind::Internal);
    assert!(set.is_empty());
}

#[test]
fn pragma_threads_names_its_column() {
    let conn = Database::in_memory().connect();
    for (sql, threads) in [("PRAGMA threads", 0), ("PRAGMA threads = 1", 1)] {
        let rows = conn.query(sql, ()).unwrap();
        assert_eq!(rows.columns(), ["threads"], "{sql}");
        let row = rows.row(0).unwrap();
        assert_eq!(row.get::<i64>("threads").unwrap(), threads, "{sql}");
    }
}

/// Each path that hands rows over, run one after another on one connection (each reuses
/// the row buffers the one before left), with text cells whose lengths change.
#[test]
fn every_path_delivers_whole_rows_on_a_reused_connection() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, s TEXT, a INT);
         CREATE INDEX t_s ON t(s); CREATE INDEX t_a ON t(a);",
    )
    .unwrap();
    for id in 1..=40i64 {
        let s = format!("k{}", "x".repeat((id % 7) as usize) + &id.to_string());
        conn.execute("INSERT INTO t VALUES (?, ?, ?)", (id, s, id % 5))
            .unwrap();
    }
    let expected = |id: i64| format!("k{}", "x".repeat((id % 7) as usize) + &id.to_string());
    let queries: &[(&str, Vec<Vec<Value>>)] = &[
        (
            "SELECT id, s FROM t WHERE id = 9",
            vec![vec![Value::Integer(9), text(&expected(9))]],
        ),
        (
            "SELECT s, id FROM t WHERE a = 3 ORDER BY id",
            [3, 8, 13, 18, 23, 28, 33, 38]
                .iter()
                .map(|&id| vec![text(&expected(id)), Value::Integer(id)])
                .collect(),
        ),
        (
            "SELECT * FROM t WHERE a >= 4 ORDER BY a, id LIMIT 3",
            [4, 9, 14]
                .iter()
                .map(|&id| vec![Value::Integer(id), text(&expected(id)), Value::Integer(4)])
                .collect(),
        ),
        (
            "SELECT id, s FROM t WHERE id BETWEEN 30 AND 33",
            (30..=33)
                .map(|id| vec![Value::Integer(id), text(&expected(id))])
                .collect(),
        ),
        (
            "SELECT id, s || '!' FROM t WHERE id > 37",
            (38..=40)
                .map(|id| vec![Value::Integer(id), text(&(expected(id) + "!"))])
                .collect(),
        ),
        (
            "SELECT * FROM t WHERE id = 2",
            vec![vec![
                Value::Integer(2),
                text(&expected(2)),
                Value::Integer(2),
            ]],
        ),
        (
            "UPDATE t SET a = a WHERE id IN (5, 6) RETURNING id, s",
            [5, 6]
                .iter()
                .map(|&id| vec![Value::Integer(id), text(&expected(id))])
                .collect(),
        ),
    ];
    for round in 0..3 {
        for (sql, rows) in queries {
            assert_eq!(
                conn.query(sql, ()).unwrap().values(),
                rows,
                "{sql} (round {round})"
            );
            // A run whose rows nobody takes leaves the buffers full for the next.
            conn.query_row(sql, (), |_| Ok(())).unwrap();
            let first = conn.query_row(sql, (), |row| Ok(row.values().to_vec()));
            assert_eq!(&first.unwrap(), &rows[0], "{sql} (round {round})");
        }
    }
}

/// Readers on their own connections collect results (each through its connection's kept
/// buffers) while a writer rewrites the texts: every row read is whole and consistent.
#[test]
fn results_stay_whole_under_concurrent_writes() {
    let db = Database::in_memory();
    let setup = db.connect();
    setup
        .execute_batch(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, s TEXT, a INT); CREATE INDEX t_a ON t(a);",
        )
        .unwrap();
    for id in 0..200i64 {
        setup
            .execute(
                "INSERT INTO t VALUES (?, ?, ?)",
                (id, format!("{id}-0"), id % 10),
            )
            .unwrap();
    }
    let stop = std::sync::atomic::AtomicBool::new(false);
    // The readers start once the writer has written, so they read while it writes however
    // the threads are scheduled.
    let written = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let conn = db.connect();
            let mut round = 0i64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                round += 1;
                let pad = "x".repeat((round % 13) as usize);
                conn.execute(
                    "UPDATE t SET s = CAST(id AS TEXT) || '-' || ? WHERE a = ?",
                    (format!("{round}{pad}"), round % 10),
                )
                .unwrap();
                written.store(true, std::sync::atomic::Ordering::Release);
            }
            round
        });
        while !written.load(std::sync::atomic::Ordering::Acquire) && !writer.is_finished() {
            std::thread::yield_now();
        }
        let readers: Vec<_> = (0..3)
            .map(|reader| {
                let db = &db;
                scope.spawn(move || {
                    let conn = db.connect();
                    let check = |id: i64, s: &str| {
                        assert!(s.starts_with(&format!("{id}-")), "row {id}: {s}");
                    };
                    for round in 0..150i64 {
                        let a = (round + reader) % 10;
                        let rows = conn
                            .query("SELECT id, s FROM t WHERE a = ? ORDER BY id", [a])
                            .unwrap();
                        assert_eq!(rows.len(), 20);
                        for row in &rows {
                            let id = row.get::<i64>("id").unwrap();
                            assert_eq!(id % 10, a);
                            check(id, &row.get::<String>(1).unwrap());
                        }
                        let id = (round * 7 + reader) % 200;
                        let s: String = conn
                            .query_row("SELECT * FROM t WHERE id = ?", [id], |row| row.get(1))
                            .unwrap();
                        check(id, &s);
                        let rows = conn.query("SELECT * FROM t WHERE id >= 190", ()).unwrap();
                        assert_eq!(rows.len(), 10);
                        for values in rows.values() {
                            let (Value::Integer(id), Value::Text(s)) = (&values[0], &values[1])
                            else {
                                panic!("{values:?}");
                            };
                            check(*id, s);
                        }
                    }
                })
            })
            .collect();
        for reader in readers {
            reader.join().unwrap();
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(writer.join().unwrap() > 0);
    });
}

/// A result of several chunks: rows at the chunk edges, read every way.
#[test]
fn a_result_larger_than_a_chunk_reads_whole() {
    for width in [1usize, 3, 7, CHUNK_CELLS - 1, CHUNK_CELLS, CHUNK_CELLS + 5] {
        let names: Vec<String> = (0..width).map(|c| format!("c{c}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let rows_per_chunk = (CHUNK_CELLS / width).max(1);
        let count = rows_per_chunk * 3 + 2;
        let row_of = |r: usize| -> Vec<Value> {
            (0..width)
                .map(|c| match c % 2 {
                    0 => Value::Integer((r * 1000 + c) as i64),
                    _ => text(&format!("{r}.{c}")),
                })
                .collect()
        };
        let rows: Vec<Vec<Value>> = (0..count).map(row_of).collect();
        let set = set_of(&names, rows.clone());
        assert_eq!(set.len(), count, "width {width}");
        assert_eq!(set.values(), rows, "width {width}");
        for r in [
            0,
            rows_per_chunk - 1,
            rows_per_chunk,
            2 * rows_per_chunk,
            count - 1,
        ] {
            assert_eq!(set.values()[r], rows[r], "width {width} row {r}");
            assert_eq!(
                set.row(r).unwrap().values(),
                rows[r],
                "width {width} row {r}"
            );
        }
        assert!(set.values().get(count).is_none());
        let backwards: Vec<&[Value]> = set.values().iter().rev().collect();
        assert_eq!(backwards.len(), count);
        assert_eq!(backwards[0], rows[count - 1]);
        assert_eq!(backwards[count - 1], rows[0]);
        assert_eq!(set.clone().into_values(), rows, "width {width}");
        assert_eq!(set.clone().into_cells(), rows.concat(), "width {width}");
        let owned: Vec<Vec<Value>> = set.clone().into_iter().map(Row::into_values).collect();
        assert_eq!(owned, rows, "width {width}");
        // Sized in advance (a LIMIT): its first chunk made at once, the same rows.
        let mut sized = RowSet::with_capacity(columns(&names), count);
        for mut row in rows.clone() {
            sized.push_taking(&mut row).unwrap();
        }
        assert_eq!(
            sized,
            set_of(&names, rows.clone()),
            "equal whatever the chunks"
        );
        assert_eq!(sized.values(), rows, "width {width}");
    }
}

#[test]
fn a_large_query_result_reads_back_in_order() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, s TEXT, a INT); CREATE INDEX t_a ON t(a)",
    )
    .unwrap();
    for id in 0..3000i64 {
        conn.execute(
            "INSERT INTO t VALUES (?, ?, ?)",
            (id, format!("s{id}"), id % 3),
        )
        .unwrap();
    }
    let rows = conn
        .query("SELECT * FROM t WHERE a = 1 ORDER BY id", ())
        .unwrap();
    assert_eq!(rows.len(), 1000);
    for (n, row) in rows.iter().enumerate() {
        let id = 3 * n as i64 + 1;
        assert_eq!(
            row.values(),
            [
                Value::Integer(id),
                text(&format!("s{id}")),
                Value::Integer(1)
            ]
        );
    }
    let ids: Vec<i64> = rows.into_iter().map(|row| row.get(0).unwrap()).collect();
    assert_eq!(ids, (0..1000).map(|n| 3 * n + 1).collect::<Vec<i64>>());
}
