//! `Transaction`: the RAII guard for an explicit transaction. It derefs to the
//! `Connection`, commits on `commit()`, and rolls back when dropped without it.

use std::ops::Deref;

use crate::connection::Connection;
use crate::error::Result;

/// An open transaction on a [`Connection`]; rolled back on drop unless committed.
///
/// ```
/// let mut conn = ember::Database::in_memory().connect();
/// conn.execute("CREATE TABLE t(a INT)", ()).unwrap();
/// let tx = conn.transaction().unwrap();
/// tx.execute("INSERT INTO t VALUES (1)", ()).unwrap();
/// tx.rollback().unwrap();
/// assert!(conn.query("SELECT a FROM t", ()).unwrap().is_empty());
/// ```
pub struct Transaction<'c> {
    conn: &'c Connection,
    finished: bool,
}

impl<'c> Transaction<'c> {
    pub(crate) fn new(conn: &'c Connection) -> Transaction<'c> {
        Transaction {
            conn,
            finished: false,
        }
    }

    /// Commits the transaction. A serialization conflict here is retryable
    /// ([`Error::is_retryable`](crate::Error::is_retryable)). A commit that fails while
    /// the transaction is still open (a deferred foreign key that does not hold) rolls it
    /// back, as dropping the guard would: the guard is gone. (SQL `COMMIT` leaves it open.)
    ///
    /// ```
    /// let mut conn = ember::Database::in_memory().connect();
    /// conn.execute("CREATE TABLE t(a INT)", ()).unwrap();
    /// let tx = conn.transaction().unwrap();
    /// tx.execute("INSERT INTO t VALUES (1)", ()).unwrap();
    /// tx.commit().unwrap();
    /// assert_eq!(conn.query("SELECT a FROM t", ()).unwrap().len(), 1);
    /// ```
    pub fn commit(mut self) -> Result<()> {
        self.finished = true;
        let committed = self.conn.commit();
        if committed.is_err() && self.conn.in_transaction() {
            self.conn.rollback()?;
        }
        committed
    }

    /// Rolls the transaction back (dropping the guard does the same).
    ///
    /// ```
    /// let mut conn = ember::Database::in_memory().connect();
    /// let tx = conn.transaction().unwrap();
    /// tx.rollback().unwrap();
    /// assert!(!conn.in_transaction());
    /// ```
    pub fn rollback(mut self) -> Result<()> {
        self.finished = true;
        self.conn.rollback()
    }
}

impl Deref for Transaction<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        // The statements inside may already have ended the transaction (an explicit
        // COMMIT/ROLLBACK); then there is nothing to roll back.
        if !self.finished && self.conn.in_transaction() {
            let _ = self.conn.rollback();
        }
    }
}
