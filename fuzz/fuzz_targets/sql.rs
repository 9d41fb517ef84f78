//! Fuzz target: arbitrary SQL text -> parse -> bind -> plan -> execute on a small database
//! (tables, an index, a view). Any panic (or abort) is a bug; errors are the expected answer
//! to bad input. The statement row cap keeps runaway queries from exhausting memory.
#![no_main]

use libfuzzer_sys::fuzz_target;

const SETUP: &str = "CREATE TABLE t(id INT PRIMARY KEY, name TEXT, score REAL, data BLOB);
    CREATE TABLE u(a INTEGER, b TEXT NOT NULL, c BOOLEAN);
    CREATE INDEX u_a ON u(a);
    CREATE VIEW v AS SELECT id, name FROM t WHERE score IS NOT NULL;
    INSERT INTO t VALUES (1, 'one', 1.5, x'01'), (2, NULL, -0.0, NULL), (3, 'three', NULL, x'');
    INSERT INTO u VALUES (1, 'x', 1), (NULL, 'y', 0), (9223372036854775807, 'z', NULL);";

fuzz_target!(|data: &[u8]| {
    let Ok(sql) = std::str::from_utf8(data) else {
        return;
    };
    let db = ember::Database::in_memory_with(ember::Options::new().statement_rows_max(10_000));
    let conn = db.connect();
    conn.execute_batch(SETUP).expect("setup script runs");
    let _ = conn.run_script(sql);
    // Also through the prepared-statement path, one statement at a time.
    for statement in sql.split(';') {
        let _ = conn.query(statement, ());
    }
    // The connection must stay usable whatever the input did.
    let _ = conn.execute("ROLLBACK", ());
    conn.query("SELECT 1", ()).expect("connection still answers");
});
