//! The memory budget through the public API: `Options::memory_budget_bytes`, `SET max_memory`
//! and `PRAGMA max_memory`. A write that would pass the budget fails with
//! `ErrorKind::MemoryBudget`, names the budget and the usage, and changes nothing; freeing
//! memory (DELETE + VACUUM) or raising the budget lets writes through again.

use ember::{Connection, Database, ErrorKind, Options};

fn count(conn: &Connection, table: &str) -> i64 {
    conn.query_value(&format!("SELECT count(*) FROM {table}"), ())
        .unwrap()
}

fn memory_used(conn: &Connection) -> i64 {
    stat(conn, "memory_used_bytes")
}

/// One column of `ember_stats`.
fn stat(conn: &Connection, column: &str) -> i64 {
    conn.query_value(&format!("SELECT {column} FROM ember_stats"), ())
        .unwrap()
}

/// Creates `t(id INTEGER PRIMARY KEY, pad TEXT)` holding `rows` rows whose pad is the id
/// zero-padded to `pad_digits`, in one transaction.
fn load_padded_rows(conn: &Connection, rows: i64, pad_digits: usize) {
    conn.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, pad TEXT)", ())
        .unwrap();
    let insert = format!("INSERT INTO t VALUES (?, printf('%0{pad_digits}d', ?))");
    conn.execute("BEGIN", ()).unwrap();
    for i in 0..rows {
        conn.execute(&insert, (i, i)).unwrap();
    }
    conn.execute("COMMIT", ()).unwrap();
}

/// Inserts 200-byte rows one statement at a time until the budget stops it; returns how many
/// went in and the error.
fn fill(conn: &Connection, first_id: i64) -> (i64, ember::Error) {
    let mut id = first_id;
    loop {
        match conn.execute("INSERT INTO t VALUES (?, printf('%0200d', ?))", (id, id)) {
            Ok(_) => id += 1,
            Err(error) => return (id - first_id, error),
        }
        assert!(
            id - first_id < 1_000_000,
            "the budget never stopped the inserts"
        );
    }
}

#[test]
fn the_open_option_caps_memory_and_a_failed_statement_changes_nothing() {
    let db = Database::in_memory_with(Options::new().memory_budget_bytes(2 << 20));
    let conn = db.connect();
    conn.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, pad TEXT)", ())
        .unwrap();
    let (inserted, error) = fill(&conn, 0);
    assert_eq!(error.kind(), ErrorKind::MemoryBudget, "{error}");
    assert!(error.message().contains("2.0 MiB budget"), "{error}");
    assert!(error.message().contains("in use"), "{error}");
    assert!(inserted > 1000, "only {inserted} rows fit in 2 MiB");
    assert_eq!(count(&conn, "t"), inserted);
    assert!(memory_used(&conn) <= 2 << 20);

    // A multi-row statement that passes the budget part way leaves no row behind, also
    // inside an explicit transaction (whose earlier statements stay).
    // (Room for a slab page of another size class: the collector, woken by commits under
    // memory pressure, may have spread the rows over more pages than one pass would.)
    let deleted = 600;
    conn.execute("DELETE FROM t WHERE id >= ?", [inserted - deleted])
        .unwrap();
    conn.execute("VACUUM", ()).unwrap();
    conn.execute("BEGIN", ()).unwrap();
    conn.execute("INSERT INTO t VALUES (-1, 'kept')", ())
        .unwrap();
    let error = conn
        .execute("INSERT INTO t SELECT 1000000 + id, pad FROM t", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::MemoryBudget, "{error}");
    conn.execute("COMMIT", ()).unwrap();
    assert_eq!(count(&conn, "t"), inserted - deleted + 1);
    let big: i64 = conn
        .query("SELECT count(*) FROM t WHERE id >= 1000000", ())
        .unwrap()
        .first()
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(big, 0, "the failed statement was undone");
}

#[test]
fn set_max_memory_changes_the_budget_and_pragma_reads_it() {
    let db = Database::in_memory();
    let conn = db.connect();
    let budget = |conn: &Connection| -> Option<i64> {
        conn.query("PRAGMA max_memory", ())
            .unwrap()
            .first()
            .unwrap()
            .get(0)
            .unwrap()
    };
    let default = budget(&conn);
    if cfg!(target_os = "linux") {
        assert!(
            default.is_some_and(|bytes| bytes >= 1 << 20),
            "a database has a default budget: {default:?}"
        );
    }
    conn.execute("SET max_memory = 0", ()).unwrap();
    assert_eq!(budget(&conn), None, "0 turns the budget off");
    conn.execute("SET max_memory = 'default'", ()).unwrap();
    assert_eq!(budget(&conn), default);
    conn.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, pad TEXT)", ())
        .unwrap();
    conn.execute("SET max_memory = '1MB'", ()).unwrap();
    assert_eq!(budget(&conn), Some(1 << 20));
    let max: Option<i64> = conn
        .query("SELECT max_memory FROM ember_stats", ())
        .unwrap()
        .first()
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(max, Some(1 << 20));
    let (inserted, error) = fill(&conn, 0);
    assert_eq!(error.kind(), ErrorKind::MemoryBudget);
    assert!(error.message().contains("1.0 MiB budget"), "{error}");

    // UPDATE that needs memory fails too, and leaves the old values.
    let error = conn
        .execute("UPDATE t SET pad = pad || pad", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::MemoryBudget);
    let longest: i64 = conn
        .query("SELECT max(length(pad)) FROM t", ())
        .unwrap()
        .first()
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(longest, 200);

    conn.execute("SET max_memory = '64 MiB'", ()).unwrap();
    let (more, error) = fill(&conn, inserted);
    assert_eq!(error.kind(), ErrorKind::MemoryBudget);
    assert!(
        more > inserted * 10,
        "{more} more rows after raising the budget"
    );
    conn.execute("PRAGMA max_memory = 'unlimited'", ()).unwrap();
    assert_eq!(budget(&conn), None);
    conn.execute("INSERT INTO t VALUES (-1, 'x')", ()).unwrap();

    for bad in ["'lots'", "'1.5GB'", "'10KB'", "'-1MB'"] {
        let error = conn
            .execute(&format!("SET max_memory = {bad}"), ())
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{bad}: {error}");
        assert!(error.message().contains("max_memory"), "{error}");
    }
    let error = conn.execute("SET search_path = 'x'", ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unsupported, "{error}");
    assert_eq!(budget(&conn), None, "failed SETs changed nothing");
}

#[test]
fn index_growth_counts_against_the_budget() {
    let db = Database::in_memory();
    let conn = db.connect();
    load_padded_rows(&conn, 20_000, 20);
    let used = memory_used(&conn);
    conn.execute(&format!("SET max_memory = '{}'", used + (64 << 10)), ())
        .unwrap();
    let error = conn
        .execute("CREATE INDEX t_pad ON t(pad)", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::MemoryBudget, "{error}");
    let indexes = conn.query("SELECT name FROM ember_indexes", ()).unwrap();
    assert!(indexes.is_empty(), "the failed CREATE INDEX left no index");
    conn.execute("SET max_memory = 'unlimited'", ()).unwrap();
    conn.execute("CREATE INDEX t_pad ON t(pad)", ()).unwrap();
    let index_bytes = stat(&conn, "index_bytes");
    assert!(
        index_bytes > 20_000 * 2 * 16,
        "two indexes of 20,000 entries: {index_bytes}"
    );
}

#[test]
fn deleting_and_vacuuming_gives_memory_back() {
    let db = Database::in_memory_with(Options::new().memory_budget_bytes(1 << 20));
    let conn = db.connect();
    conn.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, pad TEXT)", ())
        .unwrap();
    let empty_and_vacuum = || {
        conn.execute("DELETE FROM t", ()).unwrap();
        conn.execute("VACUUM", ()).unwrap();
        let stats = conn
            .query("SELECT slab_pages, slab_bytes_used FROM ember_stats", ())
            .unwrap();
        let row = stats.first().unwrap();
        assert_eq!(row.get::<i64>(1).unwrap(), 0);
        assert_eq!(row.get::<i64>(0).unwrap(), 0, "empty pages are released");
    };
    // The primary index keeps its keys (each key keeps its slot) and the entry array it grew
    // to during the first fill, so that fill can hold a little more than the later ones.
    let (first, _) = fill(&conn, 0);
    empty_and_vacuum();
    let (second, error) = fill(&conn, 0);
    assert_eq!(error.kind(), ErrorKind::MemoryBudget);
    assert!(
        second * 10 >= first * 8,
        "{second} rows fit again, {first} the first time"
    );
    empty_and_vacuum();
    let (third, error) = fill(&conn, 0);
    assert_eq!(error.kind(), ErrorKind::MemoryBudget);
    assert!(
        third * 10 >= second * 9,
        "{third} rows fit the third time, {second} the second"
    );
}

/// The `ember-gc` thread compacts on its own once most of the pool's page bytes are free.
#[test]
fn the_background_thread_compacts_a_fragmented_pool() {
    let db = Database::in_memory();
    let conn = db.connect();
    load_padded_rows(&conn, 20_000, 200);
    let pages_loaded = stat(&conn, "slab_pages");
    conn.execute("DELETE FROM t WHERE id % 10 <> 0", ())
        .unwrap();
    // Bounded wait for the thread (it wakes every 200 ms); not a speed check.
    let mut waited = 0;
    let (runs, pages) = loop {
        let row = conn
            .query("SELECT compaction_runs, slab_pages FROM ember_stats", ())
            .unwrap()
            .first()
            .unwrap();
        let (runs, pages): (i64, i64) = (row.get(0).unwrap(), row.get(1).unwrap());
        if runs > 0 || waited >= 600 {
            break (runs, pages);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        waited += 1;
    };
    assert!(runs > 0, "no background compaction within 30 s");
    assert!(
        pages * 3 <= pages_loaded,
        "{pages} pages after compaction, {pages_loaded} loaded"
    );
    assert_eq!(count(&conn, "t"), 2000);
    let sum: i64 = conn
        .query("SELECT sum(length(pad)) FROM t", ())
        .unwrap()
        .first()
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(sum, 2000 * 200, "moved payloads are intact");
}

#[test]
fn a_zero_budget_option_means_no_budget() {
    let db = Database::in_memory_with(Options::new().memory_budget_bytes(0));
    let conn = db.connect();
    let read = |sql: &str| conn.query_value::<Option<i64>>(sql, ()).unwrap();
    assert_eq!(read("PRAGMA max_memory"), None);
    assert_eq!(read("SELECT max_memory FROM ember_stats"), None);
}
