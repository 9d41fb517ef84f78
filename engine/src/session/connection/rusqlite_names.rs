//! The names a rusqlite user types, with rusqlite's contracts: `Connection::open(path)`,
//! `Connection::open_in_memory()` and `query_one` (exactly one row). The rest of the
//! shared vocabulary (`execute`, `query_row`, `prepare`, `transaction`, ...) lives with
//! the connection itself.

use crate::database::Database;
use crate::error::Result;
use crate::params::Params;
use crate::rows::Row;

use super::Connection;

impl Connection {
    /// Opens the directory database at `path` (`:memory:`: a new in-memory one) and
    /// returns a connection to it, as rusqlite's `Connection::open` does. More connections
    /// to the same database come from [`Connection::database`]`.connect()`; see
    /// [`Database::open`] for what the path may be.
    ///
    /// ```
    /// let conn = ember::Connection::open(":memory:").unwrap();
    /// conn.execute("CREATE TABLE t(a INT)", ()).unwrap();
    /// let other = conn.database().connect();
    /// assert_eq!(other.execute("INSERT INTO t VALUES (1)", ()).unwrap(), 1);
    /// ```
    pub fn open(path: impl AsRef<std::path::Path>) -> Result<Connection> {
        Database::open(path).map(|db| db.connect())
    }

    /// A connection to a new in-memory database, as rusqlite's `open_in_memory` (it
    /// cannot fail; the `Result` is rusqlite's signature).
    ///
    /// ```
    /// let conn = ember::Connection::open_in_memory().unwrap();
    /// let n: i64 = conn.query_value("SELECT 6 * 7", ()).unwrap();
    /// assert_eq!(n, 42);
    /// ```
    pub fn open_in_memory() -> Result<Connection> {
        Ok(Database::in_memory().connect())
    }

    /// Runs a query expected to return exactly one row and hands that row to `f`, as
    /// rusqlite's `query_one`: no row is an [`ErrorKind::NoRows`](crate::ErrorKind::NoRows)
    /// error, a second row an [`ErrorKind::TooManyRows`](crate::ErrorKind::TooManyRows) one.
    /// For the first column of the first row, [`Connection::query_value`] is shorter.
    ///
    /// ```
    /// let conn = ember::Database::in_memory().connect();
    /// conn.execute_batch("CREATE TABLE t(id INT, name TEXT); INSERT INTO t VALUES (1, 'ada')")
    ///     .unwrap();
    /// let (id, name) = conn
    ///     .query_one("SELECT id, name FROM t", (), |row| {
    ///         Ok((row.get::<i64>(0)?, row.get::<String>(1)?))
    ///     })
    ///     .unwrap();
    /// assert_eq!((id, name.as_str()), (1, "ada"));
    /// ```
    pub fn query_one<T>(
        &self,
        sql: &str,
        params: impl Params,
        f: impl FnOnce(&Row) -> Result<T>,
    ) -> Result<T> {
        self.prepare(sql)?.query_one(params, f)
    }
}
