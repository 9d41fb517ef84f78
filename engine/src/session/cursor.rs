//! `Rows`: a query's rows read one at a time, computed as they are pulled (the executor's
//! operators run only as far as the caller reads), and `MappedRows`, the same mapped through
//! a function. Dropping either stops the query. Memory stays flat however many rows the
//! query returns, except where the plan itself must hold rows (a sort, a hash join's build
//! side, GROUP BY).

use std::sync::Arc;

use ember_storage::Value;

use crate::connection::{Connection, Running, Started};
use crate::error::Result;
use crate::rows::Row;

/// The rows of a query, computed as they are read, returned by
/// [`Statement::query`](crate::Statement::query). Read them as rusqlite's are, with
/// `while let Some(row) = rows.next()? { .. }` ([`Rows::next`] gives `Result<Option<Row>>`),
/// or as an iterator of `Result<Row>` (`for row in rows`, `rows.map(..)`).
///
/// Outside an explicit transaction the rows come from one snapshot, taken when the query
/// started and held until the rows end or are dropped (so the garbage collector keeps the
/// versions it reads: drop a `Rows` you no longer need). Inside `BEGIN ... COMMIT` they are
/// read in that transaction, and pulling a row after it ended is a `Transaction` error.
/// Other statements may run on the connection between two rows.
///
/// ```
/// let conn = ember::Database::in_memory().connect();
/// conn.execute_batch("CREATE TABLE t(a INT); INSERT INTO t VALUES (1), (2), (3)").unwrap();
/// let mut stmt = conn.prepare("SELECT a FROM t ORDER BY a").unwrap();
/// let mut rows = stmt.query(()).unwrap();
/// assert_eq!(rows.columns(), ["a"]);
/// let first = rows.next()?.expect("a first row");
/// assert_eq!(first.get::<i64>(0)?, 1);
/// drop(rows); // the query stops here: row 3 is never computed
/// let mut rows = stmt.query(())?;
/// let mut seen = Vec::new();
/// while let Some(row) = rows.next()? {
///     seen.push(row.get::<i64>(0)?);
/// }
/// assert_eq!(seen, [1, 2, 3]);
/// drop(rows);
/// let total: i64 = stmt
///     .query(())
///     .unwrap()
///     .map(|row| row?.get::<i64>("a"))
///     .sum::<ember::Result<i64>>()
///     .unwrap();
/// assert_eq!(total, 6);
/// # Ok::<(), ember::Error>(())
/// ```
pub struct Rows<'s> {
    conn: &'s Connection,
    columns: Arc<[String]>,
    source: Source<'s>,
}

enum Source<'s> {
    /// Rows computed at the start, handed out in order.
    Computed(std::vec::IntoIter<Vec<Value>>),
    /// A query still running.
    Running(Box<Running<'s>>),
    /// Every row was read, or an error ended the query.
    Ended,
}

impl<'s> Rows<'s> {
    pub(crate) fn new(conn: &'s Connection, columns: Arc<[String]>, started: Started<'s>) -> Self {
        let source = match started {
            Started::Computed(rows) => Source::Computed(rows.into_iter()),
            Started::Running(running) => Source::Running(running),
        };
        Rows {
            conn,
            columns,
            source,
        }
    }

    /// The result's column names.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The next row, `Ok(None)` when there are no more (after an error, no more either),
    /// as rusqlite's `Rows::next` gives it: `while let Some(row) = rows.next()? { .. }`.
    /// The `Iterator` form of the same rows (`for row in rows`) yields `Result<Row>`.
    #[allow(clippy::should_implement_trait)] // rusqlite's name and contract; Iterator is too
    pub fn next(&mut self) -> Result<Option<Row>> {
        Ok(self
            .next_values()?
            .map(|values| Row::new(self.columns.clone(), values)))
    }

    /// The next row's values (`None`: no more rows).
    fn next_values(&mut self) -> Result<Option<Vec<Value>>> {
        let pulled = match &mut self.source {
            Source::Computed(rows) => return Ok(rows.next()),
            Source::Running(running) => self.conn.pull_row(running),
            Source::Ended => return Ok(None),
        };
        if !matches!(pulled, Ok(Some(_))) {
            self.end();
        }
        pulled
    }

    /// Ends the query: no more rows, and its snapshot is let go.
    fn end(&mut self) {
        if let Source::Running(running) = std::mem::replace(&mut self.source, Source::Ended) {
            self.conn.end_rows(*running);
        }
    }
}

impl std::fmt::Debug for Rows<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.source {
            Source::Computed(_) => "computed",
            Source::Running(_) => "running",
            Source::Ended => "ended",
        };
        f.debug_struct("Rows")
            .field("columns", &self.columns)
            .field("state", &state)
            .finish()
    }
}

impl Iterator for Rows<'_> {
    type Item = Result<Row>;

    fn next(&mut self) -> Option<Result<Row>> {
        Rows::next(self).transpose()
    }
}

impl Drop for Rows<'_> {
    fn drop(&mut self) {
        self.end();
    }
}

/// The rows of a query mapped through a function as they are read, returned by
/// [`Statement::query_map`](crate::Statement::query_map): an iterator of `Result<T>`.
///
/// ```
/// let conn = ember::Database::in_memory().connect();
/// let mut stmt = conn
///     .prepare("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 5) \
///               SELECT x FROM n")
///     .unwrap();
/// let squares = stmt.query_map((), |row| Ok(row.get::<i64>(0)?.pow(2))).unwrap();
/// assert_eq!(squares.collect::<ember::Result<Vec<_>>>().unwrap(), [1, 4, 9, 16, 25]);
/// ```
pub struct MappedRows<'s, F> {
    rows: Rows<'s>,
    map: F,
}

impl<'s, F> MappedRows<'s, F> {
    pub(crate) fn new(rows: Rows<'s>, map: F) -> Self {
        MappedRows { rows, map }
    }

    /// The result's column names.
    pub fn columns(&self) -> &[String] {
        self.rows.columns()
    }
}

impl<T, F: FnMut(&Row) -> Result<T>> Iterator for MappedRows<'_, F> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        Iterator::next(&mut self.rows).map(|row| row.and_then(|row| (self.map)(&row)))
    }
}
