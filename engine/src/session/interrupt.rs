//! `InterruptHandle`: stops a connection's running query from another thread (what a shell's
//! Ctrl-C handler calls), like `sqlite3_interrupt`. The query fails with
//! `ErrorKind::Interrupted` at its next check (scans check every batch, joins every row);
//! an explicit transaction stays open with the statement undone.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A handle that interrupts the queries of one [`crate::Connection`]; cheap to clone and
/// `Send`, so a signal handler or another thread can hold it.
///
/// ```
/// use std::time::Duration;
/// let db = ember::Database::in_memory();
/// let conn = db.connect();
/// conn.execute_batch("CREATE TABLE t(a INT); INSERT INTO t VALUES (1), (2), (3)").unwrap();
/// let handle = conn.interrupt_handle();
/// let stopper = std::thread::spawn(move || {
///     std::thread::sleep(Duration::from_millis(50));
///     handle.interrupt();
/// });
/// // A cross join of 3^20 rows (3.5 billion): far longer than 50 ms.
/// let error = conn
///     .query("SELECT count(*) FROM t, t t2, t t3, t t4, t t5, t t6, t t7, t t8, t t9, \
///             t t10, t t11, t t12, t t13, t t14, t t15, t t16, t t17, t t18, t t19, \
///             t t20", ())
///     .unwrap_err();
/// assert_eq!(error.kind(), ember::ErrorKind::Interrupted);
/// stopper.join().unwrap();
/// // The connection goes on.
/// assert_eq!(conn.query_value::<i64>("SELECT count(*) FROM t", ()).unwrap(), 3);
/// ```
#[derive(Clone, Default, Debug)]
pub struct InterruptHandle {
    flag: Arc<AtomicBool>,
}

impl InterruptHandle {
    /// Asks the connection's running query, if any, to stop. A call while no query runs
    /// has no effect: each statement starts uninterrupted.
    pub fn interrupt(&self) {
        self.flag.store(true, Ordering::Relaxed);
    }

    /// Clears the request (at the start of each statement).
    pub(crate) fn reset(&self) {
        self.flag.store(false, Ordering::Relaxed);
    }

    pub(crate) fn flag(&self) -> &AtomicBool {
        &self.flag
    }
}
