//! What a connection's INSERT, UPDATE and DELETE statements changed, as SQLite's
//! `sqlite3_last_insert_rowid`, `sqlite3_changes` and `sqlite3_total_changes` report it (the
//! SQL functions `last_insert_rowid()`, `changes()` and `total_changes()` read the same
//! counters, `expr::ChangeCounters`).

use super::Connection;

impl Connection {
    /// The INTEGER PRIMARY KEY of the row the most recent successful INSERT on this
    /// connection put in (0 before any; a row an upsert updated instead does not count).
    /// Only tables with an INTEGER PRIMARY KEY column (SQLite's rowid alias) set it.
    ///
    /// ```
    /// let conn = ember::Database::in_memory().connect();
    /// conn.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)", ()).unwrap();
    /// assert_eq!(conn.last_insert_rowid(), 0);
    /// conn.execute("INSERT INTO t(name) VALUES ('ada'), ('alan')", ()).unwrap();
    /// assert_eq!(conn.last_insert_rowid(), 2);
    /// conn.execute("INSERT INTO t VALUES (10, 'grace')", ()).unwrap();
    /// assert_eq!(conn.last_insert_rowid(), 10);
    /// ```
    pub fn last_insert_rowid(&self) -> i64 {
        self.counters.last_insert_rowid()
    }

    /// Rows inserted, updated or deleted by the most recent INSERT, UPDATE or DELETE that
    /// completed on this connection (other statements leave it as it is).
    ///
    /// ```
    /// let conn = ember::Database::in_memory().connect();
    /// conn.execute_batch("CREATE TABLE t(a INT); INSERT INTO t VALUES (1), (2), (3)").unwrap();
    /// assert_eq!(conn.changes(), 3);
    /// conn.execute("UPDATE t SET a = a + 1 WHERE a > 1", ()).unwrap();
    /// assert_eq!(conn.changes(), 2);
    /// conn.query("SELECT * FROM t", ()).unwrap();
    /// assert_eq!(conn.changes(), 2);
    /// ```
    pub fn changes(&self) -> u64 {
        self.counters.changes()
    }

    /// Rows inserted, updated or deleted by every INSERT, UPDATE and DELETE completed on
    /// this connection since it was opened.
    ///
    /// ```
    /// let conn = ember::Database::in_memory().connect();
    /// conn.execute_batch("CREATE TABLE t(a INT); INSERT INTO t VALUES (1), (2);
    ///                     DELETE FROM t WHERE a = 1").unwrap();
    /// assert_eq!(conn.total_changes(), 3);
    /// ```
    pub fn total_changes(&self) -> u64 {
        self.counters.total_changes()
    }
}
