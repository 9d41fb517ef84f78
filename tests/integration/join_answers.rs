//! Join answers, with aggregates above them (the pushed join path) and without (the pulled
//! operators), checked against references: SQLite over the same generated tables (NULL
//! keys, duplicate keys, keys of another type than the key column, LEFT joins, composite
//! keys, secondary indexes, hash joins), and a nested loop written here over the rows an
//! older snapshot sees after other connections deleted and updated rows.

use super::support::{ember_cell, sqlite_cell};
use ember::{Connection, Database, Value};

/// The rows of `sql` in ember, sorted (the reference's order may differ).
fn ember_rows(conn: &Connection, sql: &str) -> Vec<Vec<String>> {
    let rows = conn
        .query(sql, ())
        .unwrap_or_else(|error| panic!("{sql}: {error}"));
    let mut rows: Vec<Vec<String>> = rows
        .values()
        .iter()
        .map(|row| row.iter().map(ember_cell).collect())
        .collect();
    rows.sort();
    rows
}

fn sqlite_rows(conn: &rusqlite::Connection, sql: &str) -> Vec<Vec<String>> {
    let mut statement = conn.prepare(sql).unwrap();
    let width = statement.column_count();
    let mut rows: Vec<Vec<String>> = statement
        .query_map([], |row| {
            Ok((0..width)
                .map(|i| sqlite_cell(row.get_ref(i).unwrap()))
                .collect())
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    rows.sort();
    rows
}

/// The same tables in both engines: `u` (INTEGER key, an indexed column `k`, a text
/// column), `o` naming rows of `u` by an INTEGER `tid` (missing ones, NULLs, duplicates),
/// `ot` and `orl` naming them by TEXT and REAL values, `p` with a two-column key.
fn generated(seed: u64) -> (Connection, rusqlite::Connection) {
    let mut random = fastrand::Rng::with_seed(seed);
    let mut script = String::from(
        "CREATE TABLE u(id INTEGER PRIMARY KEY, k INTEGER, name TEXT, score REAL);
         CREATE INDEX u_k ON u(k);
         CREATE TABLE o(id INTEGER PRIMARY KEY, tid INTEGER, k INTEGER, name TEXT, qty INTEGER);
         CREATE TABLE ot(id INTEGER PRIMARY KEY, tid TEXT, qty INTEGER);
         CREATE TABLE orl(id INTEGER PRIMARY KEY, tid REAL, qty INTEGER);
         CREATE TABLE p(a INTEGER, b TEXT, w INTEGER, PRIMARY KEY (a, b));\n",
    );
    let name = |random: &mut fastrand::Rng| match random.u8(0..6) {
        0 => "NULL".to_string(),
        n => format!("'n{n}'"),
    };
    for id in 1..=200 {
        if random.u8(0..10) == 0 {
            continue; // a hole: keys that find nothing
        }
        let k = match random.u8(0..8) {
            0 => "NULL".to_string(),
            _ => random.i64(0..30).to_string(),
        };
        let score = match random.u8(0..10) {
            0 => "NULL".to_string(),
            _ => format!(
                "{}.{}",
                random.i64(-50..50),
                [0, 25, 5, 75][random.usize(0..4)]
            ),
        };
        let name = name(&mut random);
        script += &format!("INSERT INTO u VALUES ({id}, {k}, {name}, {score});\n");
    }
    for id in 1..=400 {
        let tid = match random.u8(0..10) {
            0 => "NULL".to_string(),
            1 => random.i64(-5..0).to_string(),
            _ => random.i64(1..230).to_string(),
        };
        let k = match random.u8(0..8) {
            0 => "NULL".to_string(),
            _ => random.i64(0..30).to_string(),
        };
        let name = name(&mut random);
        let qty = random.i64(0..100);
        script += &format!("INSERT INTO o VALUES ({id}, {tid}, {k}, {name}, {qty});\n");
        let text_tid = match random.u8(0..8) {
            0 => "NULL".to_string(),
            1 => format!("'{}.0'", random.i64(1..230)),
            2 => format!("' {}'", random.i64(1..230)),
            3 => "'x'".to_string(),
            4 => format!("'{}.5'", random.i64(1..230)),
            _ => format!("'{}'", random.i64(1..230)),
        };
        script += &format!("INSERT INTO ot VALUES ({id}, {text_tid}, {qty});\n");
        let real_tid = match random.u8(0..6) {
            0 => "NULL".to_string(),
            1 => format!("{}.5", random.i64(1..230)),
            _ => format!("{}.0", random.i64(1..230)),
        };
        script += &format!("INSERT INTO orl VALUES ({id}, {real_tid}, {qty});\n");
    }
    for a in 1..=60 {
        for b in ["x", "y"] {
            if random.bool() {
                script += &format!("INSERT INTO p VALUES ({a}, '{b}', {});\n", random.i64(0..9));
            }
        }
    }
    let ember = Database::in_memory().connect();
    ember.execute_batch(&script).unwrap();
    let sqlite = rusqlite::Connection::open_in_memory().unwrap();
    sqlite.execute_batch(&script).unwrap();
    (ember, sqlite)
}

/// Joins of every kind the planner makes (primary-key probe, secondary-index probe,
/// composite key, hash join both ways, nested loop), under aggregates (pushed) and bare.
const QUERIES: &[&str] = &[
    "SELECT count(*), sum(u.score), total(o.qty) FROM o JOIN u ON u.id = o.tid",
    "SELECT count(*), count(u.id), sum(u.score), sum(o.qty) FROM o LEFT JOIN u ON u.id = o.tid",
    "SELECT o.k, count(*), sum(u.score), max(u.name) FROM o JOIN u ON u.id = o.tid GROUP BY o.k",
    "SELECT u.name, count(*), count(u.score) FROM o LEFT JOIN u ON u.id = o.tid \
     AND u.score > 0 GROUP BY u.name",
    "SELECT count(*), sum(u.score) FROM o JOIN u ON u.id = o.tid WHERE o.qty < 50 \
     AND u.name <> 'n1'",
    "SELECT o.id, u.id, u.score FROM o JOIN u ON u.id = o.tid",
    "SELECT o.id, u.id, u.name FROM o LEFT JOIN u ON u.id = o.tid AND u.k > 10",
    "SELECT count(*), sum(u.score) FROM ot JOIN u ON u.id = ot.tid",
    "SELECT ot.id, u.id FROM ot LEFT JOIN u ON u.id = ot.tid",
    "SELECT count(*), sum(ot.qty) FROM ot LEFT JOIN u ON u.id = ot.tid",
    "SELECT count(*), sum(u.score) FROM orl JOIN u ON u.id = orl.tid",
    "SELECT orl.id, u.id FROM orl LEFT JOIN u ON u.id = orl.tid",
    "SELECT count(*), sum(u.score), sum(o.qty) FROM o JOIN u ON u.k = o.k",
    "SELECT o.k, count(*), count(u.id) FROM o LEFT JOIN u ON u.k = o.k GROUP BY o.k",
    "SELECT count(*), sum(u.score) FROM o JOIN u ON u.name = o.name",
    "SELECT o.name, count(*), sum(o.qty) FROM o LEFT JOIN u ON u.name = o.name \
     GROUP BY o.name",
    "SELECT count(*), sum(u.score) FROM u JOIN o ON o.name = u.name AND o.qty > u.k",
    "SELECT count(*), sum(p.w) FROM o JOIN p ON p.a = o.tid AND p.b = 'x'",
    "SELECT count(*), sum(p.w), count(o.id) FROM p LEFT JOIN o ON o.tid = p.a",
    "SELECT count(*), sum(u.score), sum(o.qty) FROM o JOIN u ON u.id = o.tid \
     JOIN ot ON ot.tid = u.name",
    "SELECT u.k, count(*), sum(o.qty) FROM o JOIN u ON u.id = o.tid \
     JOIN o o2 ON o2.id = o.qty GROUP BY u.k",
    "SELECT count(*), sum(o.qty) FROM o JOIN u ON u.id < o.tid AND u.k = 3",
    "SELECT count(*), sum(u.score) FROM (SELECT * FROM o ORDER BY id) o2 \
     JOIN u ON u.id = o2.tid WHERE o2.qty > 90",
];

#[test]
fn joins_answer_as_sqlite_over_generated_tables() {
    for seed in [1, 2, 3] {
        let (ember, sqlite) = generated(seed);
        for sql in QUERIES {
            assert_eq!(
                ember_rows(&ember, sql),
                sqlite_rows(&sqlite, sql),
                "seed {seed}: {sql}"
            );
        }
    }
}

/// `(count, sum of u.score as quarters, sum of o.qty)` of `o JOIN u ON u.id = o.tid` (or
/// LEFT) computed by a nested loop over rows read whole.
fn nested_loop(o: &[Vec<Value>], u: &[Vec<Value>], left: bool) -> Vec<String> {
    let (mut count, mut score, mut qty) = (0i64, 0.0f64, 0i64);
    for o_row in o {
        let mut matched = false;
        for u_row in u {
            if let (Value::Integer(tid), Value::Integer(id)) = (&o_row[1], &u_row[0]) {
                if tid == id {
                    matched = true;
                    count += 1;
                    if let Value::Real(s) = &u_row[3] {
                        score += s;
                    }
                    if let Value::Integer(q) = &o_row[4] {
                        qty += q;
                    }
                }
            }
        }
        if left && !matched {
            count += 1;
            if let Value::Integer(q) = &o_row[4] {
                qty += q;
            }
        }
    }
    vec![format!("{count}"), format!("{score:?}"), format!("{qty}")]
}

fn join_sums(conn: &Connection, kind: &str) -> Vec<String> {
    let row = conn
        .query(
            &format!(
                "SELECT count(*), total(u.score), total(o.qty) FROM o {kind} JOIN u \
                 ON u.id = o.tid"
            ),
            (),
        )
        .unwrap();
    let row = &row.values()[0];
    let real = |value: &Value| match value {
        Value::Real(real) => *real,
        other => panic!("total gave {other:?}"),
    };
    let Value::Integer(count) = row[0] else {
        panic!("count gave {:?}", row[0]);
    };
    vec![
        format!("{count}"),
        format!("{:?}", real(&row[1])),
        format!("{}", real(&row[2]) as i64),
    ]
}

fn all_rows(conn: &Connection, table: &str) -> Vec<Vec<Value>> {
    let rows = conn.query(&format!("SELECT * FROM {table}"), ()).unwrap();
    rows.values().to_vec()
}

#[test]
fn an_older_snapshot_joins_the_rows_it_sees() {
    let db = Database::in_memory();
    let writer = db.connect();
    let (source, _) = generated(7);
    writer
        .execute_batch(
            "CREATE TABLE u(id INTEGER PRIMARY KEY, k INTEGER, name TEXT, score REAL);
             CREATE INDEX u_k ON u(k);
             CREATE TABLE o(id INTEGER PRIMARY KEY, tid INTEGER, k INTEGER, name TEXT,
                 qty INTEGER);",
        )
        .unwrap();
    for table in ["u", "o"] {
        for row in all_rows(&source, table) {
            let marks = vec!["?"; row.len()].join(", ");
            writer
                .execute(
                    &format!("INSERT INTO {table} VALUES ({marks})"),
                    row.as_slice(),
                )
                .unwrap();
        }
    }
    let reader = db.connect();
    reader.execute("BEGIN", ()).unwrap();
    let before_o = all_rows(&reader, "o");
    let before_u = all_rows(&reader, "u");
    let inner_before = join_sums(&reader, "");
    let left_before = join_sums(&reader, "LEFT");
    assert_eq!(inner_before, nested_loop(&before_o, &before_u, false));
    assert_eq!(left_before, nested_loop(&before_o, &before_u, true));

    // Other transactions delete, update (the key too) and insert rows of both sides.
    writer
        .execute_batch(
            "DELETE FROM u WHERE id % 3 = 0;
             UPDATE u SET score = score + 1.25, name = 'changed' WHERE id % 5 = 1;
             UPDATE u SET id = id + 1000 WHERE id % 7 = 2;
             INSERT INTO u VALUES (5000, 1, 'new', 2.5);
             UPDATE o SET tid = 5000 WHERE id % 4 = 0;
             DELETE FROM o WHERE id % 9 = 0;",
        )
        .unwrap();
    // The open transaction still joins its snapshot's rows.
    assert_eq!(join_sums(&reader, ""), inner_before);
    assert_eq!(join_sums(&reader, "LEFT"), left_before);
    assert_eq!(all_rows(&reader, "u"), before_u);
    reader.execute("COMMIT", ()).unwrap();

    // A new statement joins the new rows.
    let after_o = all_rows(&reader, "o");
    let after_u = all_rows(&reader, "u");
    assert_ne!(after_u, before_u);
    assert_eq!(
        join_sums(&reader, ""),
        nested_loop(&after_o, &after_u, false)
    );
    assert_eq!(
        join_sums(&reader, "LEFT"),
        nested_loop(&after_o, &after_u, true)
    );
}

#[test]
fn pushed_join_under_an_aggregate_keeps_the_first_row_of_each_group() {
    // Bare columns next to aggregates read the group's first joined row, as SQLite's do.
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE u(id INTEGER PRIMARY KEY, name TEXT);
         INSERT INTO u VALUES (1, 'a'), (2, 'b'), (3, 'c');
         CREATE TABLE o(id INTEGER PRIMARY KEY, tid INTEGER, g INTEGER);
         INSERT INTO o VALUES (1, 1, 0), (2, 2, 0), (3, 3, 1), (4, 1, 1), (5, NULL, 1);",
    )
    .unwrap();
    let rows = ember_rows(
        &conn,
        "SELECT o.g, u.name, count(*) FROM o JOIN u ON u.id = o.tid GROUP BY o.g",
    );
    assert_eq!(rows, vec![vec!["i0", "ta", "i2"], vec!["i1", "tc", "i2"]]);
    let rows = ember_rows(
        &conn,
        "SELECT o.id, u.name, count(*) FROM o LEFT JOIN u ON u.id = o.tid",
    );
    assert_eq!(rows, vec![vec!["i1", "ta", "i5"]]);
}

/// Hash joins whose streamed rows carry texts, matching no, one or several build rows,
/// under a top-k that hands rows back and without one, INNER and LEFT, either side built:
/// each joined row holds its own streamed values (a streamed row's last match takes them
/// over, the others copy them).
#[test]
fn streamed_values_reach_every_match_of_a_hash_join() {
    let schema = [
        "CREATE TABLE s(id INTEGER PRIMARY KEY, k INTEGER, name TEXT, note TEXT)",
        "CREATE TABLE b(k INTEGER, tag TEXT)",
        "INSERT INTO s WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c \
         WHERE i < 3000) SELECT i, i % 70, 'name ' || (i * 7 % 1000), \
         CASE WHEN i % 6 = 0 THEN NULL ELSE 'note ' || i END FROM c",
        // Keys 0..49: some once, some three times; 50..69 have no build row.
        "INSERT INTO b WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c \
         WHERE i < 79) SELECT CASE WHEN i < 50 THEN i ELSE (i - 50) % 10 END, 'tag' || i \
         FROM c",
    ];
    let (db, sqlite) = super::support::both_engines(&schema);
    let ember = db.connect();
    super::support::assert_same_rows(
        &ember,
        &sqlite,
        &[
            "SELECT s.id, s.name, s.note, b.tag FROM s JOIN b ON b.k = s.k \
             ORDER BY s.note DESC, s.id, b.tag LIMIT 40",
            "SELECT s.id, s.name, s.note, b.tag FROM s LEFT JOIN b ON b.k = s.k \
             ORDER BY s.name, s.id, b.tag LIMIT 60",
            "SELECT b.tag, s.name, s.note FROM b JOIN s ON s.k = b.k \
             ORDER BY s.id DESC, b.tag LIMIT 50",
            "SELECT count(*), sum(length(s.name)), count(s.note), count(b.tag) \
             FROM s LEFT JOIN b ON b.k = s.k",
        ],
    );
    // Every joined row, not only the top ones.
    let all = "SELECT s.id, s.name, s.note, b.tag FROM s LEFT JOIN b ON b.k = s.k";
    assert_eq!(ember_rows(&ember, all), sqlite_rows(&sqlite, all));
    let plan = super::support::explain(
        &ember,
        "SELECT s.id, s.name, s.note, b.tag FROM s \
         JOIN b ON b.k = s.k ORDER BY s.note DESC, s.id, b.tag LIMIT 40",
        &[],
    );
    assert!(plan.join("\n").contains("HashJoin"), "{plan:?}");
}
