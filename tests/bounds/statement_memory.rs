//! A statement's intermediate results are charged to the memory budget: a 3-way
//! cross join of 1,000-row tables under `max_memory = '256MB'` fails with `MemoryBudget`,
//! fetched whole and sorted, while the process stays under 400 MB resident. Its own test
//! binary, so the peak resident size (VmHWM) is this test's alone.

use ember::{Database, ErrorKind};

/// The process's peak resident memory, from /proc (None where there is no /proc).
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[test]
fn a_cross_join_past_the_budget_fails_before_the_process_grows_past_it() {
    let db = Database::in_memory();
    let conn = db.connect();
    for table in ["a", "b", "c"] {
        conn.execute(
            &format!("CREATE TABLE {table}(id INT PRIMARY KEY, v TEXT)"),
            (),
        )
        .unwrap();
        conn.execute(
            &format!(
                "INSERT INTO {table} SELECT x, printf('row %d of {table}', x) FROM \
                 (WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 1000) \
                 SELECT x FROM n)"
            ),
            (),
        )
        .or_else(|_| {
            // Without WITH RECURSIVE: insert in batches of VALUES.
            let values: Vec<String> = (1..=1000)
                .map(|x| format!("({x}, 'row {x} of {table}')"))
                .collect();
            conn.execute(
                &format!("INSERT INTO {table} VALUES {}", values.join(",")),
                (),
            )
        })
        .unwrap();
    }
    conn.execute("SET max_memory = '256MB'", ()).unwrap();
    for sql in [
        "SELECT * FROM a, b, c",
        "SELECT * FROM a, b, c ORDER BY c.v, b.v, a.v",
        "SELECT DISTINCT a.v, b.v, c.v FROM a, b, c",
        "SELECT a.v || b.v || c.v, count(*) FROM a, b, c GROUP BY 1",
    ] {
        let error = conn.query(sql, ()).unwrap_err();
        println!(
            "{sql}: peak so far {} MB",
            peak_rss_bytes().unwrap_or(0) >> 20
        );
        assert_eq!(error.kind(), ErrorKind::MemoryBudget, "{sql}: {error}");
        assert!(error.message().contains("statement needs"), "{error}");
        let used: i64 = conn
            .query_value("SELECT memory_used_bytes FROM ember_stats", ())
            .unwrap();
        assert!(
            used < 4 << 20,
            "{sql}: {used} bytes still charged after the error"
        );
    }
    // The budget still admits ordinary work afterwards.
    let count: i64 = conn.query_value("SELECT count(*) FROM a, b", ()).unwrap();
    assert_eq!(count, 1_000_000);
    if let Some(peak) = peak_rss_bytes() {
        println!("peak resident memory: {} MB", peak >> 20);
        assert!(peak < 400 << 20, "peak resident memory {} MB", peak >> 20);
    } else {
        println!("notice: no /proc/self/status; the resident-memory check is skipped");
    }
}
