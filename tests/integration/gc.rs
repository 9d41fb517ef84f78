//! Garbage collection seen through SQL: many updates over a fixed set of rows, then VACUUM;
//! the figures (live versions, slab bytes in use) come from the `ember_stats` /
//! `ember_tables` system tables. The default run is 100,000 updates;
//! `EMBER_GC_UPDATES=1000000` runs the full size.

use ember::{Connection, Database};

const ROWS: i64 = 1_000;

fn global_stat(conn: &mut Connection, column: &str) -> i64 {
    conn.query(&format!("SELECT {column} FROM ember_stats"), ())
        .unwrap()
        .first()
        .expect("one row")
        .get(0)
        .unwrap()
}

fn stat(conn: &mut Connection, table: &str, column: &str) -> i64 {
    conn.query(
        &format!("SELECT {column} FROM ember_tables WHERE name = '{table}'"),
        (),
    )
    .unwrap()
    .first()
    .expect("table listed")
    .get(0)
    .unwrap()
}

#[test]
fn updates_then_vacuum_return_to_the_loaded_size() {
    let updates: i64 = std::env::var("EMBER_GC_UPDATES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(100_000);
    let db = Database::in_memory();
    let mut conn = db.connect();
    conn.execute(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER, pad TEXT)",
        (),
    )
    .unwrap();
    conn.execute("BEGIN", ()).unwrap();
    // `v` starts at 1,000 so its updates (up to 1,100) keep its 2-byte varint: the rows
    // keep their size, and the table must come back to its loaded size.
    for id in 0..ROWS {
        conn.execute("INSERT INTO t VALUES (?, 1000, 'some padding text')", [id])
            .unwrap();
    }
    conn.execute("COMMIT", ()).unwrap();
    let loaded_bytes = stat(&mut conn, "t", "bytes_used");
    let loaded_slab_bytes = global_stat(&mut conn, "slab_bytes_used");
    assert_eq!(loaded_slab_bytes, stat(&mut conn, "t", "slab_bytes"));
    assert_eq!(stat(&mut conn, "t", "live_versions"), ROWS);

    // A reader holds an old snapshot for part of the run: GC must keep what it sees.
    let reader = db.connect();
    reader.execute("BEGIN", ()).unwrap();
    let mut max_versions = 0;
    for i in 0..updates {
        conn.execute("UPDATE t SET v = v + 1 WHERE id = ?", [i % ROWS])
            .unwrap();
        if i == updates / 2 {
            conn.execute("VACUUM", ()).unwrap();
            let old: i64 = reader
                .query("SELECT v FROM t WHERE id = 7", ())
                .unwrap()
                .first()
                .unwrap()
                .get(0)
                .unwrap();
            assert_eq!(old, 1000, "the old snapshot survives VACUUM");
            reader.execute("COMMIT", ()).unwrap();
            let live = stat(&mut conn, "t", "live_versions");
            let dead = stat(&mut conn, "t", "dead_versions");
            max_versions = live + dead;
        }
    }
    let peak_slab_pages = global_stat(&mut conn, "slab_pages");
    conn.execute("VACUUM", ()).unwrap();
    let stats = conn
        .query(
            "SELECT live_versions, dead_versions, bytes_used, gc_runs, gc_versions_freed, \
             slab_bytes_used, slab_pages, fragmentation, compaction_runs, memory_used_bytes \
             FROM ember_stats",
            (),
        )
        .unwrap()
        .first()
        .unwrap();
    let (live, dead, bytes, runs, freed): (i64, i64, i64, i64, i64) = (
        stats.get(0).unwrap(),
        stats.get(1).unwrap(),
        stats.get(2).unwrap(),
        stats.get(3).unwrap(),
        stats.get(4).unwrap(),
    );
    let (slab_bytes, slab_pages, fragmentation, compactions, memory): (i64, i64, f64, i64, i64) = (
        stats.get(5).unwrap(),
        stats.get(6).unwrap(),
        stats.get(7).unwrap(),
        stats.get(8).unwrap(),
        stats.get(9).unwrap(),
    );
    println!(
        "gc: {updates} updates over {ROWS} rows; loaded {loaded_bytes} bytes, slab bytes in use \
         {loaded_slab_bytes}; versions at the midpoint {max_versions}; slab pages before the \
         last VACUUM {peak_slab_pages}; after VACUUM live {live} dead {dead} bytes {bytes} \
         slab bytes in use {slab_bytes} slab pages {slab_pages} fragmentation \
         {fragmentation:.3} memory {memory} gc_runs {runs} compaction_runs {compactions} \
         freed {freed}"
    );
    assert_eq!(live, ROWS);
    assert!(dead <= ROWS / 10, "dead versions left: {dead}");
    assert!(
        (bytes - loaded_bytes).abs() * 10 <= loaded_bytes,
        "bytes {bytes} vs {loaded_bytes} after load"
    );
    assert!(
        (slab_bytes - loaded_slab_bytes).abs() * 10 <= loaded_slab_bytes,
        "slab bytes in use {slab_bytes} vs {loaded_slab_bytes} after load"
    );
    assert!(compactions >= 2, "each VACUUM compacts");
    assert!(freed >= updates - ROWS / 10, "freed {freed} of {updates}");
    let sum: i64 = conn
        .query("SELECT v FROM t", ())
        .unwrap()
        .into_iter()
        .map(|row| row.get::<i64>(0).unwrap())
        .sum();
    assert_eq!(sum - 1000 * ROWS, updates, "every update is still there");
}

#[test]
fn system_tables_are_queryable_and_shadowable() {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute_batch("CREATE TABLE a(x INT); INSERT INTO a VALUES (1), (2);")
        .unwrap();
    let rows = conn
        .query("SELECT name, rows FROM ember_tables", ())
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows.first().unwrap().get::<i64>("rows").unwrap(), 2);
    let tables: i64 = conn
        .query("SELECT tables FROM ember_stats", ())
        .unwrap()
        .first()
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(tables, 1);
    let plan = conn.query("EXPLAIN SELECT * FROM ember_stats", ()).unwrap();
    let text: Vec<String> = plan.into_iter().map(|row| row.get(0).unwrap()).collect();
    let text = text.join("\n");
    assert!(text.contains("SystemScan ember_stats"), "{text}");
    conn.execute("CREATE TABLE ember_stats(y INT)", ()).unwrap();
    assert!(conn
        .query("SELECT y FROM ember_stats", ())
        .unwrap()
        .is_empty());
}
