//! The serial top-k (`exec::sort::top_k`, keys read in place or evaluated, `exec::sort::top_k_key`)
//! against the full sort: over a generated table with ties, NULLs, mixed types in one
//! column, texts under collations, several keys, expressions and OFFSET, `ORDER BY ..
//! LIMIT n OFFSET m` answers exactly rows `m..m+n` of the same query without LIMIT (a
//! stable full sort, ties in input order).

use ember_storage::Value;

// The whole file is test code (`mod top_k_tests` is `#[cfg(test)]`); the attribute also
// tells tidy_layers that this import of the session layer is a test's.
#[cfg(test)]
use crate::{Connection, Database};

const ROWS: i64 = 3_000;

/// `u` with few distinct values per column (ties everywhere), NULLs, a column `mixed` of
/// no declared type holding integers, reals, texts and NULLs, and holes from deletes.
fn table() -> Connection {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE u(id INTEGER PRIMARY KEY, grp INT, name TEXT, score REAL, mixed);
         BEGIN",
    )
    .unwrap();
    let mut insert = conn
        .prepare("INSERT INTO u VALUES (?, ?, ?, ?, ?)")
        .unwrap();
    for id in 0..ROWS {
        let score = if id % 11 == 0 {
            Value::Null
        } else {
            Value::Real(((id * 7919) % 23) as f64 * 0.5)
        };
        let name = match id % 9 {
            0 => Value::Null,
            1 => Value::Text(format!("Name{}", id % 5)),
            _ => Value::Text(format!("name{}", id % 5)),
        };
        let mixed = match id % 5 {
            0 => Value::Null,
            1 => Value::Integer(id % 17),
            2 => Value::Real((id % 13) as f64 + 0.5),
            3 => Value::Text(format!("t{}", id % 7)),
            _ => Value::Integer(-(id % 3)),
        };
        insert
            .execute(vec![
                Value::Integer(id),
                Value::Integer(id % 4),
                name,
                score,
                mixed,
            ])
            .unwrap();
    }
    drop(insert);
    conn.execute_batch("DELETE FROM u WHERE id % 13 = 0; COMMIT")
        .unwrap();
    conn
}

fn rows(conn: &Connection, sql: &str) -> Vec<Vec<Value>> {
    conn.query(sql, ()).unwrap().values().to_vec()
}

/// Checks `select` + `order` with each LIMIT/OFFSET against the full sort's slice.
fn check(conn: &Connection, select: &str, order: &str) {
    let full = rows(conn, &format!("{select} ORDER BY {order}"));
    for (limit, offset) in [(1, 0), (10, 0), (7, 3), (25, 100), (10, 2_900), (50, 5_000)] {
        let sql = format!("{select} ORDER BY {order} LIMIT {limit} OFFSET {offset}");
        let plan = rows(conn, &format!("EXPLAIN {sql}"));
        assert!(
            format!("{plan:?}").contains("TopK"),
            "{sql} runs as a top-k: {plan:?}"
        );
        let expected: Vec<Vec<Value>> = full.iter().skip(offset).take(limit).cloned().collect();
        assert_eq!(rows(conn, &sql), expected, "{sql}");
    }
}

#[test]
fn top_k_answers_the_full_sorts_first_rows() {
    let conn = table();
    conn.execute("PRAGMA threads = 0", ()).unwrap();
    let shapes = [
        // Keys that are plain columns (read in place): one, several, NULLs either way.
        ("SELECT * FROM u", "score DESC"),
        ("SELECT * FROM u", "score"),
        ("SELECT id, score FROM u", "score NULLS LAST"),
        ("SELECT id, score FROM u", "score DESC NULLS FIRST"),
        ("SELECT id, grp, name FROM u", "grp DESC, name, score DESC"),
        // Text keys, a mixed-type column (NULL < numbers < texts), equal INTEGER/REAL.
        ("SELECT id, name FROM u", "name DESC"),
        ("SELECT id, mixed FROM u", "mixed"),
        ("SELECT id, mixed FROM u", "mixed DESC, id DESC"),
        // Collations (built-in, folded into the key), expressions: evaluated keys.
        ("SELECT id, name FROM u", "name COLLATE NOCASE, grp"),
        ("SELECT id FROM u", "score * -2 + grp, id % 3 DESC"),
        ("SELECT id, name FROM u", "lower(name) DESC, score"),
        // Compiled keys compared as soon as each is known: a text view, a || chain, a
        // CASE, a mixed column's text, ties decided by a later (column or computed) key.
        ("SELECT id, name FROM u", "upper(substr(name, 2)), id DESC"),
        ("SELECT id FROM u", "name || mixed DESC, score, id"),
        (
            "SELECT id FROM u",
            "CASE grp WHEN 1 THEN score END, mixed || '' DESC",
        ),
        ("SELECT id, mixed FROM u", "mixed + 0, grp * 2 DESC"),
        (
            "SELECT id FROM u",
            "abs(score - 5) DESC, lower(name) COLLATE NOCASE",
        ),
        // A filter, and a key only the filter and sort read (the narrow decode).
        ("SELECT name FROM u WHERE grp = 2", "score DESC, mixed"),
        // Over an input that is not a scan (rows from an aggregate).
        (
            "SELECT grp, name, count(*) AS n FROM u GROUP BY grp, name",
            "n DESC, name",
        ),
    ];
    for (select, order) in shapes {
        check(&conn, select, order);
    }
}

#[test]
fn ties_keep_input_order_and_the_limit_counts_every_row() {
    let conn = table();
    conn.execute("PRAGMA threads = 0", ()).unwrap();
    // Every row of a group ties on the key: the first rows in the table win.
    let ids: Vec<Vec<Value>> = [4, 8, 12, 16, 20]
        .into_iter()
        .map(|id| vec![Value::Integer(id)])
        .collect();
    assert_eq!(rows(&conn, "SELECT id FROM u ORDER BY grp LIMIT 5"), ids);
    let ids: Vec<Vec<Value>> = [3, 7, 11, 15]
        .into_iter()
        .map(|id| vec![Value::Integer(id)])
        .collect();
    assert_eq!(
        rows(&conn, "SELECT id FROM u ORDER BY grp DESC LIMIT 4"),
        ids
    );
    // LIMIT 0 and a LIMIT past the table.
    assert!(rows(&conn, "SELECT id FROM u ORDER BY score LIMIT 0").is_empty());
    let every = rows(&conn, "SELECT id FROM u ORDER BY score, id LIMIT 100000");
    assert_eq!(every.len(), rows(&conn, "SELECT id FROM u").len());
}

/// The raw bound of a threshold (`top_k_bound`): first keys that are INTEGER or REAL
/// columns, either direction, NULLs first or last, both zeros (equal, with different raw
/// keys), ties decided by a later key, a key range, and a worst key that is NULL; every
/// answer the full sort's slice.
#[test]
fn the_raw_bound_of_a_threshold_keeps_exactly_the_kept_rows() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE b(id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, pad TEXT); BEGIN",
    )
    .unwrap();
    let mut insert = conn
        .prepare("INSERT INTO b VALUES (?, ?, ?, ?, 'pad')")
        .unwrap();
    for id in 0..4_000i64 {
        let i = match id % 10 {
            0 => Value::Null,
            _ => Value::Integer((id * 31) % 97 - 48),
        };
        let r = match id % 7 {
            0 => Value::Null,
            1 => Value::Real(0.0),
            2 => Value::Real(-0.0),
            _ => Value::Real(((id * 17) % 41) as f64 / 4.0 - 5.0),
        };
        insert
            .execute(vec![
                Value::Integer(id),
                i,
                r,
                Value::Text(format!("s{}", (id * 7) % 13)),
            ])
            .unwrap();
    }
    drop(insert);
    conn.execute_batch("COMMIT; PRAGMA threads = 0").unwrap();
    let orders = [
        "i DESC",
        "i",
        "i NULLS LAST",
        "i DESC NULLS FIRST",
        "r DESC, s",
        "r, s DESC",
        "r NULLS LAST, id DESC",
        "r DESC NULLS FIRST, s",
        "i DESC, r, s",
    ];
    for order in orders {
        check(&conn, "SELECT * FROM b", order);
        check(
            &conn,
            "SELECT * FROM b WHERE id BETWEEN 700 AND 3300",
            order,
        );
    }
    // Every kept row's first key NULL (a NULL worst key), and limits ending among zeros.
    for (select, order, limit) in [
        ("SELECT * FROM b", "i NULLS FIRST, s", 300),
        ("SELECT * FROM b", "i DESC NULLS FIRST, r", 420),
        ("SELECT * FROM b", "r, id DESC", 700),
        // The worst key a zero: -0.0 and 0.0 rows tie, a later key decides.
        ("SELECT * FROM b", "r DESC, s", 1_800),
        ("SELECT * FROM b", "r, s DESC", 1_800),
    ] {
        let full = rows(&conn, &format!("{select} ORDER BY {order}"));
        let sql = format!("{select} ORDER BY {order} LIMIT {limit}");
        let expected: Vec<Vec<Value>> = full.into_iter().take(limit).collect();
        assert_eq!(rows(&conn, &sql), expected, "{sql}");
    }
}

/// A row the first computed key already rejects still has its later keys evaluated when
/// one of them can fail: the error is the full sort's (and SQLite's), not skipped.
#[test]
fn a_rejected_row_still_reports_a_later_keys_error() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE e(id INTEGER PRIMARY KEY, a INTEGER, b INTEGER);
         INSERT INTO e VALUES (1, 10, 1), (2, 9, 2), (3, 1, -9223372036854775808);
         PRAGMA threads = 0",
    )
    .unwrap();
    // Row 3 comes after a selection made row 1 the threshold, and is rejected on a + 0.
    for sql in [
        "SELECT id FROM e ORDER BY a + 0 DESC, abs(b) LIMIT 1",
        "SELECT id FROM e ORDER BY a + 0 DESC, abs(b)",
    ] {
        let error = conn.query(sql, ()).unwrap_err();
        assert!(error.to_string().contains("overflow"), "{sql}: {error}");
    }
    // Keys that cannot fail: the same rows as the full sort.
    assert_eq!(
        rows(&conn, "SELECT id FROM e ORDER BY a + 0 DESC, b LIMIT 1"),
        vec![vec![Value::Integer(1)]]
    );
}
