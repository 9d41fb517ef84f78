//! `LIKE 'abc%'` and `GLOB 'abc*'` as ranges of ordered indexes: the plans EXPLAIN shows
//! (which collation pairings range, which scan), and answers equal to a scan's for patterns
//! of every shape over text with mixed case, wildcard characters, NUL-free non-ASCII and NULL.

use ember::{Connection, Database, Value};

fn explain(conn: &Connection, sql: &str) -> Vec<String> {
    // A pattern known only at run time is bound to `?1`.
    let params = if sql.contains("?1") {
        vec![Value::Text("ap%".into())]
    } else {
        Vec::new()
    };
    crate::support::explain(conn, sql, &params)
}

fn ids(conn: &Connection, sql: &str) -> Vec<i64> {
    conn.query(sql, ())
        .unwrap()
        .into_iter()
        .map(|row| row.get(0).unwrap())
        .collect()
}

const WORDS: &[&str] = &[
    "apple",
    "Apple",
    "APPLE pie",
    "ap",
    "Ap",
    "apz",
    "aq",
    "a_b",
    "a%b",
    "a",
    "",
    "b*",
    "b?",
    "b[1]",
    "\u{e9}clair",
    "\u{c9}clair",
    "2024-01-05",
    "2024-1",
    "2024-010",
    "z",
    "Zed",
];

/// Table `indexed` (ordered indexes on a BINARY and a NOCASE column, and a composite one) and
/// `plain` (the same rows, no index).
fn loaded() -> Connection {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE indexed(id INTEGER PRIMARY KEY, s TEXT, n TEXT COLLATE NOCASE, g INT, a);
         CREATE TABLE plain(id INTEGER PRIMARY KEY, s TEXT, n TEXT COLLATE NOCASE, g INT, a);
         CREATE INDEX indexed_s ON indexed(s);
         CREATE INDEX indexed_n ON indexed(n);
         CREATE INDEX indexed_gs ON indexed(g, s COLLATE NOCASE);
         CREATE INDEX indexed_a ON indexed(a);",
    )
    .unwrap();
    let mut id = 0;
    for (position, word) in WORDS.iter().enumerate() {
        for suffix in ["", "x", "X", "_", "%"] {
            id += 1;
            let text = Value::Text(format!("{word}{suffix}"));
            let null_or = |value: Value| if id % 17 == 0 { Value::Null } else { value };
            let row = [
                Value::Integer(id),
                null_or(text.clone()),
                null_or(text.clone()),
                Value::Integer((position % 3) as i64),
                text,
            ];
            for table in ["indexed", "plain"] {
                conn.execute(
                    &format!("INSERT INTO {table} VALUES (?, ?, ?, ?, ?)"),
                    row.clone(),
                )
                .unwrap();
            }
        }
    }
    conn
}

#[test]
fn explain_shows_text_prefix_ranges_where_the_collation_holds_every_match() {
    let conn = loaded();
    let plan = |sql: &str| explain(&conn, sql).join("\n");
    // LIKE folds ASCII case: a NOCASE column ranges.
    assert_eq!(
        plan("SELECT id FROM indexed WHERE n LIKE 'Ap%'"),
        "Project id (fused read)\n\
         └─ IndexRange indexed using indexed_n (n starts with 'Ap') order n ASC \
         filter like('Ap%', n)"
    );
    // A BINARY column ranges for LIKE only when the prefix has no letter.
    assert_eq!(
        plan("SELECT id FROM indexed WHERE s LIKE '2024-01%'"),
        "Project id (fused read)\n\
         └─ IndexRange indexed using indexed_s (s starts with '2024-01') order s \
         ASC filter like('2024-01%', s)"
    );
    // Under BINARY, a prefix with letters ranges over each case variant.
    assert_eq!(
        plan("SELECT id FROM indexed WHERE s LIKE 'ap%'"),
        "Project id (fused read)\n\
         └─ IndexRange indexed using indexed_s (s starts with 'ap' in either case) \
         order s ASC filter like('ap%', s)"
    );
    // GLOB is case-sensitive: BINARY ranges exactly, NOCASE holds a superset.
    for column in ["s", "n"] {
        assert_eq!(
            plan(&format!("SELECT id FROM indexed WHERE {column} GLOB 'ap*'")),
            format!(
                "Project id (fused read)\n\
                 └─ IndexRange indexed using indexed_{column} ({column} starts with \
                 'ap') order {column} ASC filter glob('ap*', {column})"
            )
        );
    }
    // After equalities on the leading columns of a composite index, and under ORDER BY.
    assert_eq!(
        plan("SELECT id FROM indexed WHERE g = 1 AND s LIKE 'ap%'"),
        "Project id (fused read)\n\
         └─ IndexRange indexed using indexed_gs (g = 1, s starts with 'ap') order s \
         ASC filter ((g = 1) AND like('ap%', s))"
    );
    assert_eq!(
        plan("SELECT n FROM indexed WHERE n LIKE 'a%' ORDER BY n DESC LIMIT 3"),
        "Limit 3 (fused read)\n\
         └─ Project n\n   └─ IndexRange indexed using indexed_n (n starts with 'a') \
         order n DESC filter like('a%', n)"
    );
    // No range: a column that may hold numbers or blobs, a pattern known only at run time,
    // an ESCAPE clause, a leading wildcard.
    for sql in [
        "SELECT id FROM indexed WHERE a LIKE 'ap%'",
        "SELECT id FROM indexed WHERE n LIKE ?1",
        "SELECT id FROM indexed WHERE n LIKE 'a\\_%' ESCAPE '\\'",
        "SELECT id FROM indexed WHERE n LIKE '%pp%'",
        "SELECT id FROM indexed WHERE n NOT LIKE 'ap%'",
    ] {
        assert!(
            explain(&conn, sql)
                .iter()
                .all(|line| !line.contains("starts with")),
            "{sql}: {:?}",
            explain(&conn, sql)
        );
    }
}

#[test]
fn text_prefix_ranges_answer_as_a_scan_does() {
    let conn = loaded();
    let mut patterns = Vec::new();
    for stem in [
        "a", "A", "ap", "AP", "app", "b", "2024-", "2024-01", "\u{e9}", "\u{c9}", "z",
    ] {
        for tail in ["%", "_", "%x", "_%", "", "*", "?", "[1]*", "x%"] {
            patterns.push(format!("{stem}{tail}"));
        }
    }
    patterns.extend(["a_b%", "a%b", "b*", "b[*]", "b?%"].map(String::from));
    let mut ranged = 0;
    for pattern in &patterns {
        for operator in ["LIKE", "GLOB"] {
            for (column, filter) in [
                ("s", ""),
                ("n", ""),
                ("s", "g = 1 AND "),
                ("n", "g = 2 AND "),
            ] {
                let condition = format!("{filter}{column} {operator} '{pattern}'");
                let query =
                    |table: &str| format!("SELECT id FROM {table} WHERE {condition} ORDER BY id");
                let explained = explain(&conn, &query("indexed")).join("\n");
                ranged += usize::from(explained.contains("starts with"));
                assert_eq!(
                    ids(&conn, &query("indexed")),
                    ids(&conn, &query("plain")),
                    "{condition}\n{explained}"
                );
            }
        }
    }
    assert!(ranged > 100, "only {ranged} queries used a prefix range");
}
