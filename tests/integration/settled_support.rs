//! Shared skeletons of the tests of answers from settled indexes (`settled_index_answers`,
//! `settled_probe_answers`, `key_only_walks`): each file gives its schema, questions and
//! writes; these run them against SQLite across writes and VACUUM, beside uncommitted
//! writes and an old snapshot, and compare fast answers with checked ones in one snapshot.

use ember::{Connection, Value};

use super::support::{assert_same_answers, both_engines};

/// The answers `conn` gives to `checks` (its current snapshot or transaction).
pub fn answers(conn: &Connection, checks: &[&str]) -> Vec<Vec<Vec<Value>>> {
    checks
        .iter()
        .map(|sql| conn.query(sql, ()).unwrap().into_values())
        .collect()
}

/// `schema` on both engines; `checks` answer alike after loading, after each of `writes`
/// (which leave stale entries) and after each VACUUM that follows (which collects them).
pub fn same_answers_across_writes_and_vacuum(schema: &[&str], checks: &[&str], writes: &[&str]) {
    let (db, sqlite) = both_engines(schema);
    let ember = db.connect();
    assert_same_answers(&ember, &sqlite, checks, "loading");
    ember.execute("VACUUM", ()).unwrap();
    assert_same_answers(&ember, &sqlite, checks, "loading and VACUUM");
    for write in writes {
        ember.execute(write, ()).unwrap();
        sqlite.execute(write, []).unwrap();
        assert_same_answers(&ember, &sqlite, checks, write);
        ember.execute("VACUUM", ()).unwrap();
        assert_same_answers(&ember, &sqlite, checks, &format!("{write}; VACUUM"));
    }
}

/// `schema` on both engines, collected; then `writes` made by a second connection inside a
/// transaction: `checks` answer alike beside them (uncommitted), inside it (own writes),
/// once committed and once collected, while a snapshot taken before keeps its answers.
pub fn same_answers_beside_uncommitted_own_and_old(
    schema: &[&str],
    checks: &[&str],
    writes: &[&str],
) {
    let (db, sqlite) = both_engines(schema);
    let ember = db.connect();
    ember.execute("VACUUM", ()).unwrap();
    let old = db.connect();
    old.execute("BEGIN", ()).unwrap();
    let before = answers(&old, checks);
    let writer = db.connect();
    writer.execute("BEGIN", ()).unwrap();
    for sql in writes {
        writer.execute(sql, ()).unwrap();
    }
    assert_same_answers(&ember, &sqlite, checks, "another's uncommitted writes");
    for sql in writes {
        sqlite.execute(sql, []).unwrap();
    }
    assert_same_answers(&writer, &sqlite, checks, "own writes");
    writer.execute("COMMIT", ()).unwrap();
    assert_same_answers(&ember, &sqlite, checks, "committed");
    ember.execute("VACUUM", ()).unwrap();
    assert_same_answers(&ember, &sqlite, checks, "committed and VACUUM");
    assert_eq!(answers(&old, checks), before, "the old snapshot's answers");
    old.execute("COMMIT", ()).unwrap();
}

/// One snapshot of `reader` in which each pair's fast question and its checked twin (the
/// index kept out of the plan) answer alike.
pub fn assert_pairs_agree(reader: &Connection, pairs: &[(&str, &str)]) {
    reader.execute("BEGIN", ()).unwrap();
    for (fast, checked) in pairs {
        let fast_rows = reader.query(fast, ()).unwrap().into_values();
        let checked_rows = reader.query(checked, ()).unwrap().into_values();
        assert_eq!(fast_rows, checked_rows, "{fast}");
    }
    reader.execute("COMMIT", ()).unwrap();
}
