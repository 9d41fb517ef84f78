//! The `ember` binary opening a directory that a running program holds open: `--readonly`
//! reads the state as of its open at once (a person inspecting a running app's data), and
//! refuses writes; a writable open still fails `Busy` (`shell.rs`).

mod common;
use common::run_piped;

const EMBER: &str = env!("CARGO_BIN_EXE_ember");

#[test]
fn a_readonly_shell_reads_a_directory_a_running_program_writes() {
    let dir = tempfile::tempdir().unwrap();
    let db_dir = dir.path().join("db");
    let db = ember::Database::open(&db_dir).unwrap();
    let conn = db.connect();
    conn.execute_batch("CREATE TABLE t(a INT); INSERT INTO t VALUES (1), (2), (3)")
        .unwrap();
    let path = db_dir.to_str().unwrap();
    let read = run_piped(EMBER, &["--readonly", path], "SELECT count(*) FROM t;\n");
    let stderr = String::from_utf8_lossy(&read.stderr).to_string();
    assert!(read.status.success(), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&read.stdout), "3\n");
    // The program holds the lock throughout: a reader that waited for it would have
    // failed `Busy` after the busy timeout.
    // A later reader sees the program's later commits.
    conn.execute("INSERT INTO t VALUES (4)", ()).unwrap();
    let again = run_piped(EMBER, &["--readonly", path], "SELECT sum(a) FROM t;\n");
    assert_eq!(String::from_utf8_lossy(&again.stdout), "10\n");
    // Writes through the reader are refused, and the program's data is untouched.
    let write = run_piped(EMBER, &["--readonly", path], "INSERT INTO t VALUES (9);\n");
    assert!(!write.status.success());
    let stderr = String::from_utf8_lossy(&write.stderr).to_lowercase();
    assert!(
        stderr.contains("read-only") || stderr.contains("read only"),
        "{stderr}"
    );
    let total: i64 = conn
        .query_row("SELECT sum(a) FROM t", (), |row| row.get(0))
        .unwrap();
    assert_eq!(total, 10);
}
