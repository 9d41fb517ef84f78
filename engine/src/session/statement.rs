//! `Statement`: a prepared statement. It holds the bound, optimized plan (shared with the
//! connection's plan cache); running it binds the parameter values to the plan's slots and
//! executes without parsing or planning. If DDL changed the catalog since, the next run
//! re-prepares from the SQL text first.

use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::connection::Connection;
use crate::cursor::{MappedRows, Rows};
use crate::error::Result;
use crate::params::{resolve, Params};
use crate::plan_cache::Prepared;
use crate::rows::{Row, RowSet};
use crate::value::FromValue;

/// A statement parsed and planned once, to run many times with different parameters.
///
/// ```
/// let conn = ember::Database::in_memory().connect();
/// conn.execute_batch("CREATE TABLE t(id INT PRIMARY KEY, name TEXT);
///                     INSERT INTO t VALUES (1, 'ada'), (2, 'grace')").unwrap();
/// let mut by_id = conn.prepare("SELECT name FROM t WHERE id = ?").unwrap();
/// let name: String = by_id.query_value([2]).unwrap();
/// assert_eq!(name, "grace");
/// assert_eq!(by_id.columns(), ["name"]);
/// ```
pub struct Statement<'c> {
    conn: &'c Connection,
    sql: Box<str>,
    prepared: Arc<Prepared>,
}

impl<'c> Statement<'c> {
    pub(crate) fn new(conn: &'c Connection, sql: &str, prepared: Arc<Prepared>) -> Statement<'c> {
        Statement {
            conn,
            sql: sql.into(),
            prepared,
        }
    }

    /// The SQL text the statement was prepared from.
    ///
    /// ```
    /// let conn = ember::Database::in_memory().connect();
    /// assert_eq!(conn.prepare("SELECT 1").unwrap().sql(), "SELECT 1");
    /// ```
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// How many parameter values the statement takes.
    ///
    /// ```
    /// let conn = ember::Database::in_memory().connect();
    /// assert_eq!(conn.prepare("SELECT ?, $2").unwrap().parameter_count(), 2);
    /// ```
    pub fn parameter_count(&self) -> usize {
        self.prepared.parameter_count
    }

    /// The 1-based index of the parameter named `name` (prefix included: `:id`, `@id`,
    /// `$id`, `?3`), or `None` if the statement has no such parameter. Uses of the same name
    /// share one index.
    ///
    /// ```
    /// let conn = ember::Database::in_memory().connect();
    /// let stmt = conn.prepare("SELECT :a, ?, :a, @b, ?7").unwrap();
    /// assert_eq!(stmt.parameter_index(":a"), Some(1));
    /// assert_eq!(stmt.parameter_index("@b"), Some(3));
    /// assert_eq!(stmt.parameter_index("?7"), Some(7));
    /// assert_eq!(stmt.parameter_index(":zz"), None);
    /// assert_eq!(stmt.parameter_count(), 7);
    /// ```
    pub fn parameter_index(&self, name: &str) -> Option<usize> {
        self.prepared
            .parameter_names
            .iter()
            .position(|n| n.as_deref() == Some(name))
            .map(|slot| slot + 1)
    }

    /// The name of the parameter at 1-based `index` (`:id`, `?3`), or `None` for a parameter
    /// only `?` uses or an index out of range.
    ///
    /// ```
    /// let conn = ember::Database::in_memory().connect();
    /// let stmt = conn.prepare("SELECT ?, $name, ?3").unwrap();
    /// assert_eq!(stmt.parameter_name(1), None);
    /// assert_eq!(stmt.parameter_name(2), Some("$name"));
    /// assert_eq!(stmt.parameter_name(3), Some("?3"));
    /// ```
    pub fn parameter_name(&self, index: usize) -> Option<&str> {
        let slot = index.checked_sub(1)?;
        self.prepared.parameter_names.get(slot)?.as_deref()
    }

    /// The names of the columns the statement returns (empty if it returns no rows).
    ///
    /// ```
    /// let conn = ember::Database::in_memory().connect();
    /// assert_eq!(conn.prepare("SELECT 1 AS one").unwrap().columns(), ["one"]);
    /// ```
    pub fn columns(&self) -> &[String] {
        &self.prepared.columns
    }

    /// Runs the statement; returns the number of rows inserted, updated or deleted. A
    /// statement that returns a row fails with
    /// [`ErrorKind::ExecuteReturnedResults`](crate::ErrorKind::ExecuteReturnedResults), as
    /// in rusqlite (see [`Connection::execute`]).
    ///
    /// ```
    /// let conn = ember::Database::in_memory().connect();
    /// conn.execute("CREATE TABLE t(a INT)", ()).unwrap();
    /// let mut insert = conn.prepare("INSERT INTO t VALUES (?)").unwrap();
    /// assert_eq!(insert.execute([7]).unwrap(), 1);
    /// ```
    pub fn execute(&mut self, params: impl Params) -> Result<usize> {
        self.refresh()?;
        let prepared = &self.prepared;
        let conn = self.conn;
        let params = resolve(params, &prepared.parameter_names)?;
        let sql = &self.sql;
        conn.with_params(params, |values| {
            let mut sink = crate::connection::execute_sink(&prepared.plan);
            let ran = conn.run_prepared(prepared, values, &mut sink);
            conn.rerun_if_schema_moved(ran, &prepared.plan, prepared.catalog_version, sql, values)
        })
    }

    /// Runs the statement and returns its rows, computed as they are read (see [`Rows`]):
    /// memory stays flat however many rows a scan returns, and dropping the rows stops the
    /// query. A statement other than a query (INSERT ... RETURNING, PRAGMA) runs to the end
    /// here, as SQLite runs it at the first step.
    ///
    /// ```
    /// let conn = ember::Database::in_memory().connect();
    /// let mut stmt = conn.prepare("SELECT ? * 2").unwrap();
    /// let mut rows = stmt.query([21]).unwrap();
    /// assert_eq!(rows.next().unwrap().unwrap().get::<i64>(0).unwrap(), 42);
    /// assert!(rows.next().unwrap().is_none());
    /// ```
    pub fn query(&mut self, params: impl Params) -> Result<Rows<'_>> {
        self.refresh()?;
        let prepared = &self.prepared;
        let mut values = Vec::new();
        resolve(params, &prepared.parameter_names)?.write_values(&mut values);
        let started = self.conn.start_rows(prepared, values)?;
        Ok(Rows::new(self.conn, prepared.columns.clone(), started))
    }

    /// Runs the statement and returns all its rows at once, held in memory (the collecting
    /// form of [`query`](Statement::query), as [`Connection::query`] is).
    ///
    /// ```
    /// let conn = ember::Database::in_memory().connect();
    /// let mut stmt = conn.prepare("VALUES (?), (?)").unwrap();
    /// let rows = stmt.query_all([1, 2]).unwrap();
    /// assert_eq!(rows.len(), 2);
    /// assert_eq!(rows.values()[1], [ember::Value::Integer(2)]);
    /// ```
    pub fn query_all(&mut self, params: impl Params) -> Result<RowSet> {
        self.refresh()?;
        let prepared = &self.prepared;
        let params = resolve(params, &prepared.parameter_names)?;
        let (rows, _) =
            params.with_values(|values| self.conn.collect_prepared(prepared, values))?;
        Ok(rows)
    }

    /// Runs the statement and maps each row with `f` as it is read: an iterator of
    /// `Result<T>` (collect it into a `Result<Vec<T>>` to hold them all).
    ///
    /// ```
    /// let conn = ember::Database::in_memory().connect();
    /// conn.execute_batch("CREATE TABLE t(a INT); INSERT INTO t VALUES (1), (2)").unwrap();
    /// let mut stmt = conn.prepare("SELECT a FROM t ORDER BY a").unwrap();
    /// let doubled: Vec<i64> = stmt
    ///     .query_map((), |row| Ok(row.get::<i64>(0)? * 2))
    ///     .unwrap()
    ///     .collect::<ember::Result<_>>()
    ///     .unwrap();
    /// assert_eq!(doubled, [2, 4]);
    /// ```
    pub fn query_map<T, F>(&mut self, params: impl Params, f: F) -> Result<MappedRows<'_, F>>
    where
        F: FnMut(&Row) -> Result<T>,
    {
        Ok(MappedRows::new(self.query(params)?, f))
    }

    /// Runs the statement and hands its first row to `f` (the query stops there); no row is an
    /// [`ErrorKind::NoRows`](crate::ErrorKind::NoRows) error.
    ///
    /// ```
    /// let conn = ember::Database::in_memory().connect();
    /// let mut stmt = conn.prepare("SELECT ?, ?").unwrap();
    /// let pair = stmt.query_row((1, "x"), |row| Ok((row.get::<i64>(0)?, row.get::<String>(1)?)));
    /// assert_eq!(pair.unwrap(), (1, "x".to_string()));
    /// ```
    pub fn query_row<T>(
        &mut self,
        params: impl Params,
        f: impl FnOnce(&Row) -> Result<T>,
    ) -> Result<T> {
        self.refresh()?;
        let prepared = &self.prepared;
        let params = resolve(params, &prepared.parameter_names)?;
        let first = params.with_values(|values| self.conn.first_row_prepared(prepared, values))?;
        match first {
            Some(values) => {
                let row = self.conn.result_row(&self.prepared.columns, values);
                self.conn.read_first_row(row, f)
            }
            None => Err(crate::err!(NoRows, "query returned no rows: {}", self.sql)),
        }
    }

    /// Runs a query expected to return exactly one row and hands that row to `f`, as
    /// rusqlite's `query_one`: no row is an [`ErrorKind::NoRows`](crate::ErrorKind::NoRows)
    /// error (`.optional()` turns it into `None`), a second row an
    /// [`ErrorKind::TooManyRows`](crate::ErrorKind::TooManyRows) error.
    ///
    /// ```
    /// use ember::OptionalExtension;
    /// let conn = ember::Database::in_memory().connect();
    /// conn.execute_batch("CREATE TABLE t(a INT); INSERT INTO t VALUES (1), (2)").unwrap();
    /// let mut stmt = conn.prepare("SELECT a * 10 FROM t WHERE a = ?").unwrap();
    /// assert_eq!(stmt.query_one([2], |row| row.get::<i64>(0)).unwrap(), 20);
    /// assert_eq!(stmt.query_one([3], |row| row.get::<i64>(0)).optional().unwrap(), None);
    /// let mut all = conn.prepare("SELECT a FROM t").unwrap();
    /// let error = all.query_one((), |row| row.get::<i64>(0)).unwrap_err();
    /// assert_eq!(error.kind(), ember::ErrorKind::TooManyRows);
    /// ```
    pub fn query_one<T>(
        &mut self,
        params: impl Params,
        f: impl FnOnce(&Row) -> Result<T>,
    ) -> Result<T> {
        let sql = self.sql.clone();
        let mut rows = self.query(params)?;
        let Some(first) = rows.next()? else {
            return Err(crate::err!(NoRows, "query returned no rows: {sql}"));
        };
        if rows.next()?.is_some() {
            return Err(crate::err!(
                TooManyRows,
                "query returned more than one row (query_one expects exactly one): {sql}"
            ));
        }
        f(&first)
    }

    /// Runs the statement and returns the first column of its first row (later rows are
    /// not read).
    ///
    /// ```
    /// let conn = ember::Database::in_memory().connect();
    /// let mut stmt = conn.prepare("SELECT ? || '!'").unwrap();
    /// assert_eq!(stmt.query_value::<String>(["abc"]).unwrap(), "abc!");
    /// ```
    pub fn query_value<T: FromValue>(&mut self, params: impl Params) -> Result<T> {
        self.query_row(params, |row| row.get(0))
    }

    /// Runs the statement and maps every row onto `T` by column name (serde).
    ///
    /// ```
    /// #[derive(serde::Deserialize)]
    /// struct Pair { a: i64, b: String }
    /// let conn = ember::Database::in_memory().connect();
    /// let mut stmt = conn.prepare("SELECT ? AS a, ? AS b").unwrap();
    /// let pairs: Vec<Pair> = stmt.query_as((1, "one")).unwrap();
    /// assert_eq!((pairs[0].a, pairs[0].b.as_str()), (1, "one"));
    /// ```
    pub fn query_as<T: DeserializeOwned>(&mut self, params: impl Params) -> Result<Vec<T>> {
        self.query(params)?.map(|row| row?.deserialize()).collect()
    }

    /// Re-prepares when DDL changed the catalog since the plan was bound, or `PRAGMA
    /// case_sensitive_like` changed what its LIKEs are (as SQLite re-prepares).
    fn refresh(&mut self) -> Result<()> {
        if !self
            .prepared
            .is_current(self.conn.catalog_version(), self.conn.like_cased())
        {
            self.prepared = self.conn.prepared(&self.sql)?;
        }
        Ok(())
    }
}
