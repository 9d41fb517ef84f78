//! The names a rusqlite user types, with rusqlite's contracts: `Connection::open(path)`,
//! `Connection::open_in_memory()`, `query_one` (exactly one row) and `execute`'s refusal of
//! a statement that returns rows (`execute_sink`). The rest of the
//! shared vocabulary (`execute`, `query_row`, `prepare`, `transaction`, ...) lives with
//! the connection itself.

use crate::database::Database;
use crate::error::Result;
use crate::exec::Row as ExecRow;
use crate::params::Params;
use crate::plan::Plan;
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

/// The row sink `execute` runs `plan` with: a row is an error, as rusqlite's
/// `ExecuteReturnedResults` (its message pointing at the calls that read rows). As in
/// rusqlite, a statement that could return rows but returned none is not an error, and
/// `execute_batch` ignores rows. A PRAGMA that acts may report what it did (`PRAGMA threads
/// = 4` returns 4, `CHECKPOINT` the rows it wrote): acting is what `execute` is for, so
/// that row is dropped (rusqlite's own `pragma_update` runs through `execute_batch` for
/// the same reason). A PRAGMA that only reads is refused like a query.
pub(crate) fn execute_sink(plan: &Plan) -> impl FnMut(&mut ExecRow) -> Result<bool> {
    let pragma_acts = match plan {
        Plan::Pragma(statement) => match &**statement {
            sqlparser::ast::Statement::Pragma { value: Some(_), .. } => true,
            sqlparser::ast::Statement::Pragma { name, .. } => {
                let name = name.to_string();
                name.eq_ignore_ascii_case("wal_checkpoint")
                    || name.eq_ignore_ascii_case("checkpoint")
            }
            _ => false,
        },
        _ => false,
    };
    move |_| {
        if pragma_acts {
            return Ok(true);
        }
        Err(crate::err!(
            ExecuteReturnedResults,
            "execute returned results - did you mean to call query, query_row or \
             query_value? (execute runs statements that return no rows)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::{Database, ErrorKind};

    #[test]
    fn execute_refuses_statements_that_return_rows() {
        let conn = Database::in_memory().connect();
        conn.execute("CREATE TABLE t(a INT)", ()).unwrap();
        for sql in [
            "SELECT 1",
            "VALUES (1)",
            "PRAGMA threads",
            "INSERT INTO t VALUES (5) RETURNING a",
        ] {
            let error = conn.execute(sql, ()).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::ExecuteReturnedResults, "{sql}");
            assert!(error.message().contains("query"), "{error}");
            let mut statement = conn.prepare(sql).unwrap();
            let error = statement.execute(()).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::ExecuteReturnedResults, "{sql}");
        }
        // RETURNING failed as a whole: its row is not kept.
        let count: i64 = conn.query_value("SELECT count(*) FROM t", ()).unwrap();
        assert_eq!(count, 0);
        // No row returned: no error, as in rusqlite.
        assert_eq!(conn.execute("SELECT a FROM t", ()).unwrap(), 0);
        assert_eq!(conn.execute("PRAGMA foreign_keys = ON", ()).unwrap(), 0);
        // A PRAGMA that sets a value and reports it: set, the report dropped.
        assert_eq!(conn.execute("PRAGMA threads = 3", ()).unwrap(), 0);
        let threads: i64 = conn.query_value("PRAGMA threads", ()).unwrap();
        assert_eq!(threads, 3);
        conn.execute_batch("SELECT 1; PRAGMA threads = 2").unwrap();
    }
}
