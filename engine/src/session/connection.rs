//! `Connection`: one session on a database. It prepares statements (through a per-connection
//! plan cache keyed by SQL text) and runs them, in autocommit mode or inside an explicit
//! transaction (BEGIN ... COMMIT/ROLLBACK, or the [`Transaction`] guard). Inside a transaction
//! a failed statement undoes only its own writes; a serialization conflict aborts the whole
//! transaction, which must then be rolled back and retried.
//!
//! A `Connection` is `Send` but not `Sync` (like rusqlite's): its state sits in `RefCell`s so
//! that several [`Statement`]s can borrow it at once.

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use serde::de::DeserializeOwned;

use ember_storage::{IdleTransaction, Transaction as StorageTransaction, Value};

use crate::database::Database;
use crate::error::Result;
use crate::exec::{self, RowBuffers, RowSink};
use crate::interrupt::InterruptHandle;
use crate::limits::{PARAMS_KEPT_MAX, PARAM_KEPT_BYTES_MAX};
use crate::params::{resolve, Params};
use crate::parse::parse_statements;
use crate::plan::Plan;
use crate::plan_cache::{PlanCache, Prepared};
use crate::rows::{Row, RowSet};
use crate::statement::Statement;
use crate::transaction::Transaction;
use crate::value::FromValue;

mod conflict_clause;
mod counters;
mod ctas;
mod deferred_keys;
mod drop_table;
mod in_transaction;
mod isolation;

pub(crate) use isolation::name_conflict_tables;
mod lazy_rows;
mod literal_shapes;

pub(crate) use lazy_rows::{Running, Started};
mod plans;
mod result_capacity;
mod rusqlite_names;
pub(crate) use rusqlite_names::execute_sink;
mod savepoints;
mod schema_access;
mod settings;
mod snapshot_catalog;
mod staged_schema;
mod temp_schema;
mod whole_table_delete;

pub(crate) use staged_schema::StagedSchema;
pub(crate) use temp_schema::TempTables;

/// Where the connection stands with respect to explicit transactions. The transaction is
/// held inline, not boxed: one value per connection, and no allocation per BEGIN.
#[allow(clippy::large_enum_variant)]
enum TransactionState {
    /// Each statement runs in its own transaction.
    Autocommit,
    /// Inside BEGIN ... COMMIT.
    Explicit(StorageTransaction),
    /// An explicit transaction failed with a serialization conflict and was rolled back;
    /// statements fail until ROLLBACK (or COMMIT, which reports the failure).
    Aborted,
}

/// What running one statement produced (see [`Connection::run_script`]).
///
/// ```
/// let db = ember::Database::in_memory();
/// let conn = db.connect();
/// let outcomes = conn.run_script("CREATE TABLE t(a INT); INSERT INTO t VALUES (1), (2);
///                                 SELECT a FROM t ORDER BY a").unwrap();
/// assert_eq!(outcomes[1].changes, 2);
/// assert_eq!(outcomes[2].columns, ["a"]);
/// assert_eq!(outcomes[2].rows.len(), 2);
/// ```
pub struct Outcome {
    /// Column names (empty for statements that return no rows).
    pub columns: Vec<String>,
    /// The rows a query returned (empty for other statements).
    pub rows: Vec<Vec<Value>>,
    /// Rows inserted, updated or deleted.
    pub changes: usize,
}

/// Counters of the work a connection did, for tests and monitoring.
///
/// ```
/// let db = ember::Database::in_memory();
/// let conn = db.connect();
/// conn.execute("CREATE TABLE t(id INT PRIMARY KEY)", ()).unwrap();
/// let mut stmt = conn.prepare("SELECT id FROM t WHERE id = ?").unwrap();
/// for id in 0..10 {
///     stmt.query([id]).unwrap();
/// }
/// // One parse for CREATE TABLE, one for the prepared SELECT.
/// assert_eq!(conn.stats().parses, 2);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnectionStats {
    /// Times SQL text was parsed (each `execute_batch`/`run_script` call counts once, but
    /// for an INSERT run through its literal shape's cached plan, which counts none).
    pub parses: u64,
    /// Plans bound and optimized (cache misses and re-plans after DDL).
    pub plans_built: u64,
    /// Statements served from the plan cache without parsing.
    pub plan_cache_hits: u64,
}

/// A session on a [`Database`]. Use one per thread (it is `Send`, not `Sync`).
///
/// ```
/// let db = ember::Database::in_memory();
/// let conn = db.connect();
/// conn.execute("CREATE TABLE t(id INT PRIMARY KEY, name TEXT)", ()).unwrap();
/// conn.execute("INSERT INTO t VALUES (?, ?)", (1, "ada")).unwrap();
/// let name: String = conn.query_value("SELECT name FROM t WHERE id = ?", [1]).unwrap();
/// assert_eq!(name, "ada");
/// ```
pub struct Connection {
    db: Database,
    state: RefCell<TransactionState>,
    /// The schema changes of the open explicit transaction, staged until it ends (see
    /// `connection/staged_schema.rs`). Declared after `state`: dropped after the rows.
    staged: RefCell<Option<StagedSchema>>,
    /// The published catalog of the open explicit transaction's snapshot, which its
    /// statements see until it makes a schema change (`connection/snapshot_catalog.rs`).
    snapshot_catalog: RefCell<Option<Arc<crate::catalog::Catalog>>>,
    /// The connection's temporary objects (`connection/temp_schema.rs`), from its first
    /// temporary schema change on. Declared after `state`: dropped after the open
    /// transaction's rows.
    temp: RefCell<Option<Arc<crate::catalog::Catalog>>>,
    /// The `main` catalog last overlaid with `temp`, and the overlay (kept until either
    /// changes).
    merged: RefCell<Option<(Arc<crate::catalog::Catalog>, Arc<crate::catalog::Catalog>)>>,
    /// Set while a `Plan::Temp` runs: schema changes go to `temp`.
    temp_ddl: Cell<bool>,
    /// The open explicit transaction's temporary schema changes, to undo on ROLLBACK.
    temp_steps: RefCell<Vec<temp_schema::TempStep>>,
    cache: RefCell<PlanCache>,
    stats: Cell<ConnectionStats>,
    interrupt: InterruptHandle,
    /// The last transaction, ended: the next one starts from it (no shared store handle
    /// cloned per statement, and its write log keeps its memory); an autocommit query runs
    /// inside it in place. Borrowed only briefly or for one query (`try_borrow_mut`: a
    /// statement run from a row callback of that query starts a fresh transaction).
    idle: RefCell<Option<IdleTransaction>>,
    /// The parameter list `execute` binds into (see `with_params`).
    params: RefCell<Vec<Value>>,
    /// Row buffers reused from statement to statement (key lookups, `query_row` results).
    buffers: RowBuffers,
    /// The last `query_row` result, its values taken out: the next one of the same
    /// statement reuses it with its column names.
    output_row: Cell<Option<crate::rows::Row>>,
    /// How long one statement may run (`PRAGMA statement_timeout`); `None`: no limit.
    statement_timeout: Cell<Option<std::time::Duration>>,
    /// What INSERT, UPDATE and DELETE changed (`changes()`; see `connection/counters.rs`).
    pub(crate) counters: crate::expr::ChangeCounters,
    /// Whether FOREIGN KEY constraints are enforced (`PRAGMA foreign_keys`; off by default).
    pub(crate) foreign_keys: Cell<bool>,
    /// Foreign-key checks waiting for COMMIT, and `PRAGMA defer_foreign_keys`.
    pub(crate) deferred_keys: exec::DeferredKeys,
    /// Whether a trigger may fire while it runs (`PRAGMA recursive_triggers`; off).
    pub(crate) recursive_triggers: Cell<bool>,
    /// Helper threads a large scan may use (`PRAGMA threads`, see `session/threads.rs`).
    pub(crate) threads: Cell<usize>,
    /// Whether hash joins use runtime bloom filters (`PRAGMA bloom_filter_joins`; on).
    pub(crate) bloom_joins: Cell<bool>,
    /// SQLite's tuning PRAGMAs as set (`session/tuning_pragmas.rs`).
    pub(crate) tuning: crate::session::tuning_pragmas::Tuning,
    /// The isolation level of transactions BEGIN does not name (`connection/isolation.rs`).
    isolation: Cell<ember_storage::Isolation>,
    /// SAVEPOINTs of the open transaction, innermost last (see `connection/savepoints.rs`).
    savepoints: RefCell<Vec<savepoints::SavepointMark>>,
    /// Explicit transactions begun on this connection: names the open one (a lazy `Rows`
    /// read in it notices when it ended).
    transactions_begun: Cell<u64>,
    /// The time the transaction reads row expiries at (`expr/expiry.rs`).
    pub(crate) time: crate::expr::TransactionTime,
}

impl Connection {
    pub(crate) fn new(db: Database) -> Connection {
        Connection {
            state: RefCell::new(TransactionState::Autocommit),
            staged: RefCell::new(None),
            snapshot_catalog: RefCell::new(None),
            temp: RefCell::new(None),
            merged: RefCell::new(None),
            temp_ddl: Cell::new(false),
            temp_steps: RefCell::new(Vec::new()),
            cache: RefCell::new(PlanCache::default()),
            stats: Cell::new(ConnectionStats::default()),
            interrupt: InterruptHandle::default(),
            idle: RefCell::new(None),
            params: RefCell::new(Vec::new()),
            buffers: RowBuffers::default(),
            output_row: Cell::new(None),
            statement_timeout: Cell::new(db.options().statement_timeout),
            counters: Default::default(),
            foreign_keys: Cell::new(false),
            deferred_keys: Default::default(),
            recursive_triggers: Cell::new(false),
            transactions_begun: Cell::new(0),
            threads: Cell::new(0),
            bloom_joins: Cell::new(true),
            tuning: Default::default(),
            isolation: Cell::new(db.options().isolation),
            savepoints: RefCell::new(Vec::new()),
            time: crate::expr::TransactionTime::new(db.shared.clock.clone()),
            db,
        }
    }

    /// A handle that stops this connection's running query from another thread (for a
    /// Ctrl-C handler); see [`InterruptHandle`].
    pub fn interrupt_handle(&self) -> InterruptHandle {
        self.interrupt.clone()
    }

    /// The database this connection belongs to.
    ///
    /// ```
    /// let db = ember::Database::in_memory();
    /// let conn = db.connect();
    /// let mut other = conn.database().connect();
    /// other.execute("CREATE TABLE t(a INT)", ()).unwrap();
    /// assert!(conn.database().catalog().table("t").is_some());
    /// ```
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Whether an explicit transaction is open (or aborted and awaiting ROLLBACK).
    ///
    /// ```
    /// let conn = ember::Database::in_memory().connect();
    /// conn.execute("BEGIN", ()).unwrap();
    /// assert!(conn.in_transaction());
    /// conn.execute("ROLLBACK", ()).unwrap();
    /// assert!(!conn.in_transaction());
    /// ```
    pub fn in_transaction(&self) -> bool {
        !matches!(*self.state.borrow(), TransactionState::Autocommit)
    }

    /// What this connection has done so far: parses, plans built, plan-cache hits.
    ///
    /// ```
    /// let conn = ember::Database::in_memory().connect();
    /// for _ in 0..3 {
    ///     conn.query("SELECT 1", ()).unwrap();
    /// }
    /// let stats = conn.stats();
    /// assert_eq!((stats.parses, stats.plan_cache_hits), (1, 2));
    /// ```
    pub fn stats(&self) -> ConnectionStats {
        self.stats.get()
    }

    /// Parses, binds and plans one statement once; the [`Statement`] runs it many times.
    /// The plan is also kept in the connection's plan cache, so `execute`/`query` with the
    /// same SQL text reuse it.
    ///
    /// ```
    /// let conn = ember::Database::in_memory().connect();
    /// conn.execute("CREATE TABLE t(id INT PRIMARY KEY, v INT)", ()).unwrap();
    /// let mut insert = conn.prepare("INSERT INTO t VALUES (?1, ?2)").unwrap();
    /// for id in 0..5 {
    ///     insert.execute((id, id * 10)).unwrap();
    /// }
    /// assert_eq!(insert.parameter_count(), 2);
    /// let v: i64 = conn.query_value("SELECT v FROM t WHERE id = 4", ()).unwrap();
    /// assert_eq!(v, 40);
    /// ```
    pub fn prepare(&self, sql: &str) -> Result<Statement<'_>> {
        let prepared = self.prepared(sql)?;
        Ok(Statement::new(self, sql, prepared))
    }

    /// Runs one statement; returns the number of rows it inserted, updated or deleted.
    /// A statement that returns a row (SELECT, VALUES, RETURNING, a PRAGMA query) fails
    /// with [`ErrorKind::ExecuteReturnedResults`](crate::ErrorKind::ExecuteReturnedResults)
    /// and changes nothing, as in rusqlite: `query` and `query_row` read rows. A PRAGMA
    /// that sets a value runs (the value it reports back is dropped).
    ///
    /// ```
    /// let conn = ember::Database::in_memory().connect();
    /// conn.execute("CREATE TABLE t(a INT)", ()).unwrap();
    /// assert_eq!(conn.execute("INSERT INTO t VALUES (?), (?)", [1, 2]).unwrap(), 2);
    /// let error = conn.execute("SELECT a FROM t", ()).unwrap_err();
    /// assert_eq!(error.kind(), ember::ErrorKind::ExecuteReturnedResults);
    /// ```
    pub fn execute(&self, sql: &str, params: impl Params) -> Result<usize> {
        if let Some(prepared) = self.last_plan(sql) {
            let params = resolve(params, &prepared.parameter_names)?;
            return self.with_params(params, |values| {
                let ran = self.run_prepared(&prepared, values, &mut execute_sink(&prepared.plan));
                self.rerun_if_schema_moved(
                    ran,
                    &prepared.plan,
                    prepared.catalog_version,
                    sql,
                    values,
                )
            });
        }
        let prepared = self.prepared(sql)?;
        let params = resolve(params, &prepared.parameter_names)?;
        self.with_params(params, |values| {
            let ran = self.run_prepared(&prepared, values, &mut execute_sink(&prepared.plan));
            self.rerun_if_schema_moved(ran, &prepared.plan, prepared.catalog_version, sql, values)
        })
    }

    /// Binds `params` into the connection's parameter list and runs `f` with it. The list
    /// lives from statement to statement, so text and blob parameters are copied into the
    /// buffers the last statement's left (no allocation per value); an unusually large one
    /// is not kept. `execute` binds this way (writes carry text); queries lend their values
    /// from the stack (`Params::with_values`), which for a point select's integer key costs
    /// ~80 instructions less than going through the list (measured with callgrind).
    pub(crate) fn with_params<R>(&self, params: impl Params, f: impl FnOnce(&[Value]) -> R) -> R {
        // Borrowed for the whole statement; a statement started while it runs binds into
        // a list of its own.
        let Ok(mut values) = self.params.try_borrow_mut() else {
            let mut values = Vec::new();
            params.write_values(&mut values);
            return f(&values);
        };
        params.write_values(&mut values);
        let result = f(&values);
        if values.len() > PARAMS_KEPT_MAX {
            *values = Vec::new();
        }
        for value in values.iter_mut() {
            let kept_bytes = match value {
                Value::Text(text) => text.capacity(),
                Value::Blob(bytes) => bytes.capacity(),
                _ => 0,
            };
            if kept_bytes > PARAM_KEPT_BYTES_MAX {
                *value = Value::Null;
            }
        }
        result
    }

    /// Runs one query and returns its rows (iterate them, or look at `columns()`).
    ///
    /// ```
    /// let conn = ember::Database::in_memory().connect();
    /// conn.execute_batch("CREATE TABLE t(a INT); INSERT INTO t VALUES (1), (2), (3)").unwrap();
    /// let mut sum = 0;
    /// for row in conn.query("SELECT a FROM t WHERE a > $1", [1]).unwrap() {
    ///     sum += row.get::<i64>("a").unwrap();
    /// }
    /// assert_eq!(sum, 5);
    /// ```
    pub fn query(&self, sql: &str, params: impl Params) -> Result<RowSet> {
        if let Some(prepared) = self.last_plan(sql) {
            // The statement run last: its plan lent by the cache (no hash, no count).
            let params = resolve(params, &prepared.parameter_names)?;
            let (rows, _) =
                params.with_values(|values| self.collect_prepared(&prepared, values))?;
            return Ok(rows);
        }
        let prepared = self.prepared(sql)?;
        let params = resolve(params, &prepared.parameter_names)?;
        let (rows, _) = params.with_values(|values| self.collect_prepared(&prepared, values))?;
        Ok(rows)
    }

    /// Runs a query and hands its first row to `f` (the query stops there: later rows are
    /// not computed). No row is an error of kind
    /// [`ErrorKind::NoRows`]; use [`OptionalExtension::optional`](crate::OptionalExtension)
    /// to turn that into `None`.
    ///
    /// ```
    /// use ember::OptionalExtension;
    /// let conn = ember::Database::in_memory().connect();
    /// conn.execute_batch("CREATE TABLE t(id INT PRIMARY KEY, name TEXT);
    ///                     INSERT INTO t VALUES (1, 'ada')").unwrap();
    /// let (id, name) = conn
    ///     .query_row("SELECT id, name FROM t WHERE id = ?", [1], |row| {
    ///         Ok((row.get::<i64>(0)?, row.get::<String>(1)?))
    ///     })
    ///     .unwrap();
    /// assert_eq!((id, name.as_str()), (1, "ada"));
    /// let missing = conn
    ///     .query_row("SELECT name FROM t WHERE id = ?", [2], |row| row.get::<String>(0))
    ///     .optional()
    ///     .unwrap();
    /// assert_eq!(missing, None);
    /// ```
    pub fn query_row<T>(
        &self,
        sql: &str,
        params: impl Params,
        f: impl FnOnce(&Row) -> Result<T>,
    ) -> Result<T> {
        if let Some(prepared) = self.last_plan(sql) {
            let params = resolve(params, &prepared.parameter_names)?;
            let first = params.with_values(|values| self.first_row_prepared(&prepared, values))?;
            let Some(values) = first else {
                return Err(crate::err!(NoRows, "query returned no rows: {sql}"));
            };
            let row = self.result_row(&prepared.columns, values);
            drop(prepared);
            return self.read_first_row(row, f);
        }
        let prepared = self.prepared(sql)?;
        let params = resolve(params, &prepared.parameter_names)?;
        let first = params.with_values(|values| self.first_row_prepared(&prepared, values))?;
        match first {
            Some(values) => self.read_first_row(self.result_row(&prepared.columns, values), f),
            None => Err(crate::err!(NoRows, "query returned no rows: {sql}")),
        }
    }

    /// A result row of `values` under `columns`, in the row the last result left.
    pub(crate) fn result_row(&self, columns: &Arc<[String]>, values: Vec<Value>) -> Row {
        Row::reuse(self.output_row.take(), columns, values)
    }

    /// Hands `row` (a query's first row) to `f`, then keeps the row and its memory for the
    /// next result.
    pub(crate) fn read_first_row<T>(
        &self,
        mut row: Row,
        f: impl FnOnce(&Row) -> Result<T>,
    ) -> Result<T> {
        let read = f(&row);
        self.buffers.recycle_result(row.take_values());
        self.output_row.set(Some(row));
        read
    }

    /// Runs a query and returns the first column of its first row as `T` (later rows are
    /// not read).
    ///
    /// ```
    /// let conn = ember::Database::in_memory().connect();
    /// let n: i64 = conn.query_value("SELECT ? + 1", [41]).unwrap();
    /// assert_eq!(n, 42);
    /// let nothing: Option<i64> = conn.query_value("SELECT NULL", ()).unwrap();
    /// assert_eq!(nothing, None);
    /// ```
    pub fn query_value<T: FromValue>(&self, sql: &str, params: impl Params) -> Result<T> {
        self.query_row(sql, params, |row| row.get(0))
    }

    /// Runs a query and maps every row onto `T` by column name (serde).
    ///
    /// ```
    /// #[derive(serde::Deserialize, Debug, PartialEq)]
    /// struct User { id: i64, name: String, email: Option<String> }
    ///
    /// let conn = ember::Database::in_memory().connect();
    /// conn.execute_batch("CREATE TABLE users(id INT PRIMARY KEY, name TEXT, email TEXT);
    ///                     INSERT INTO users VALUES (1, 'ada', NULL)").unwrap();
    /// let users: Vec<User> = conn.query_as("SELECT * FROM users", ()).unwrap();
    /// assert_eq!(users, [User { id: 1, name: "ada".into(), email: None }]);
    /// ```
    pub fn query_as<T: DeserializeOwned>(&self, sql: &str, params: impl Params) -> Result<Vec<T>> {
        self.query(sql, params)?
            .into_iter()
            .map(|row| row.deserialize())
            .collect()
    }

    /// Runs every statement in `sql` (separated by `;`), stopping at the first error.
    /// These statements are parsed each time (not cached), except one INSERT whose literal
    /// shape was planned before (see `connection/literal_shapes.rs`).
    ///
    /// ```
    /// let conn = ember::Database::in_memory().connect();
    /// conn.execute_batch("CREATE TABLE t(a INT); INSERT INTO t VALUES (1);").unwrap();
    /// assert_eq!(conn.query_value::<i64>("SELECT a FROM t", ()).unwrap(), 1);
    /// ```
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        if let Some(outcome) = self.run_literal_shape(sql) {
            return outcome.map(|_| ());
        }
        let parsed = self.parse(sql)?;
        for (index, statement) in parsed.iter().enumerate() {
            self.run_statement(statement, parsed.creation_text(index))?;
        }
        Ok(())
    }

    /// Parses and runs every statement in `sql`, returning each one's outcome; stops at the
    /// first error. (The REPL uses this to print each result.) One INSERT whose literals
    /// alone differ from one run before reuses its plan (`connection/literal_shapes.rs`).
    ///
    /// ```
    /// let conn = ember::Database::in_memory().connect();
    /// let outcomes = conn.run_script("SELECT 1; SELECT 2").unwrap();
    /// assert_eq!(outcomes.len(), 2);
    /// ```
    pub fn run_script(&self, sql: &str) -> Result<Vec<Outcome>> {
        if let Some(outcome) = self.run_literal_shape(sql) {
            return outcome.map(|outcome| vec![outcome]);
        }
        let mut outcomes = Vec::new();
        let parsed = self.parse(sql)?;
        for (index, statement) in parsed.iter().enumerate() {
            outcomes.push(self.run_statement(statement, parsed.creation_text(index))?);
        }
        Ok(outcomes)
    }

    /// Starts an explicit transaction. The guard rolls it back when dropped unless
    /// [`Transaction::commit`] is called; statements run through the guard (it derefs to
    /// the connection).
    ///
    /// ```
    /// let mut conn = ember::Database::in_memory().connect();
    /// conn.execute("CREATE TABLE t(a INT)", ()).unwrap();
    /// {
    ///     let tx = conn.transaction().unwrap();
    ///     tx.execute("INSERT INTO t VALUES (1)", ()).unwrap();
    ///     // dropped without commit: rolled back
    /// }
    /// let tx = conn.transaction().unwrap();
    /// tx.execute("INSERT INTO t VALUES (2)", ()).unwrap();
    /// tx.commit().unwrap();
    /// assert_eq!(conn.query_value::<i64>("SELECT a FROM t", ()).unwrap(), 2);
    /// ```
    pub fn transaction(&mut self) -> Result<Transaction<'_>> {
        self.begin(None)?;
        Ok(Transaction::new(self))
    }

    /// Runs `f` in a transaction and commits it; when `f` or the commit fails with a
    /// serialization conflict ([`Error::is_retryable`](crate::Error::is_retryable)), rolls
    /// back and runs `f` again after a short exponential backoff, up to
    /// `limits::TRANSACT_ATTEMPTS_MAX` attempts. Any other error rolls back and is returned.
    ///
    /// ```
    /// let mut conn = ember::Database::in_memory().connect();
    /// conn.execute_batch("CREATE TABLE acct(id INT PRIMARY KEY, balance INT);
    ///                     INSERT INTO acct VALUES (1, 100), (2, 0)").unwrap();
    /// conn.transact(|tx| {
    ///     tx.execute("UPDATE acct SET balance = balance - 10 WHERE id = 1", ())?;
    ///     tx.execute("UPDATE acct SET balance = balance + 10 WHERE id = 2", ())?;
    ///     Ok(())
    /// })
    /// .unwrap();
    /// let balance: i64 = conn.query_value("SELECT balance FROM acct WHERE id = 2", ()).unwrap();
    /// assert_eq!(balance, 10);
    /// ```
    pub fn transact<T>(&mut self, f: impl FnMut(&Transaction<'_>) -> Result<T>) -> Result<T> {
        self.transact_at(None, f)
    }

    /// Parses SQL text, counting the parse.
    fn parse(&self, sql: &str) -> Result<crate::ast_drop::Parsed> {
        self.bump(|stats| stats.parses += 1);
        parse_statements(sql)
    }

    fn bump(&self, update: impl FnOnce(&mut ConnectionStats)) {
        let mut stats = self.stats.get();
        update(&mut stats);
        self.stats.set(stats);
    }

    fn run_statement(
        &self,
        statement: &sqlparser::ast::Statement,
        creation_text: Option<&str>,
    ) -> Result<Outcome> {
        let prepared = {
            let catalog = self.catalog();
            let file = crate::session::catalog_pragmas::database_file(self);
            Prepared::bind(&catalog, statement, creation_text, &file, self.like_cased())?
        };
        self.bump(|stats| stats.plans_built += 1);
        let (rows, changes) = self.collect_prepared(&prepared, &[])?;
        Ok(Outcome {
            columns: prepared.columns.to_vec(),
            rows: rows.into_values(),
            changes,
        })
    }

    /// Runs a prepared plan with its parameter values and collects its rows: the rows it
    /// returned and the rows it changed.
    /// Each row's values move into the row set's flat storage; the producer keeps the
    /// emptied row buffer for its next row.
    pub(crate) fn collect_prepared(
        &self,
        prepared: &Prepared,
        params: &[Value],
    ) -> Result<(RowSet, usize)> {
        let capacity = result_capacity::result_capacity(&prepared.plan, params);
        let mut rows = RowSet::with_capacity(prepared.columns.clone(), capacity);
        let changes = self.run_prepared(prepared, params, &mut |row| {
            rows.push_taking(row)?;
            Ok(true)
        })?;
        Ok((rows, changes))
    }

    /// Runs a prepared plan until its first row, which it returns (`None`: no row).
    pub(crate) fn first_row_prepared(
        &self,
        prepared: &Prepared,
        params: &[Value],
    ) -> Result<Option<Vec<Value>>> {
        let mut first = None;
        self.run_prepared(prepared, params, &mut |row| {
            // The producer keeps the connection's kept result row in its place (its next
            // row, or the next statement's, is built over it), as `read_first_row` keeps
            // this one when the caller is done.
            first = Some(std::mem::replace(row, self.buffers.result.take()));
            Ok(false)
        })?;
        Ok(first)
    }

    /// Runs a prepared plan with its parameter values, handing the rows it returns to
    /// `sink`; returns the rows it changed. Checks the parameter count first.
    pub(crate) fn run_prepared(
        &self,
        prepared: &Prepared,
        params: &[Value],
        sink: &mut RowSink<'_>,
    ) -> Result<usize> {
        if params.len() != prepared.parameter_count {
            return Err(crate::err!(
                InvalidInput,
                "statement takes {} parameters but {} were given",
                prepared.parameter_count,
                params.len()
            ));
        }
        self.run_plan(&prepared.plan, params, sink)
    }

    /// A new storage transaction at `isolation`, from the connection's ended one when it
    /// kept it.
    fn start_transaction(&self, isolation: ember_storage::Isolation) -> Result<StorageTransaction> {
        let idle = self
            .idle
            .try_borrow_mut()
            .ok()
            .and_then(|mut idle| idle.take());
        Ok(match idle {
            Some(idle) => idle.begin_with(isolation)?,
            None => self.db.shared.store.begin_with(isolation)?,
        })
    }

    /// Keeps an ended transaction to start the next one from.
    fn keep_idle(&self, ended: IdleTransaction) {
        if let Ok(mut idle) = self.idle.try_borrow_mut() {
            *idle = Some(ended);
        }
    }

    /// COMMIT of the explicit transaction.
    pub(crate) fn commit(&self) -> Result<()> {
        self.check_deferred_keys()?;
        self.deferred_keys.reset();
        self.savepoints.borrow_mut().clear();
        let previous =
            std::mem::replace(&mut *self.state.borrow_mut(), TransactionState::Autocommit);
        match previous {
            TransactionState::Explicit(txn) => {
                self.snapshot_catalog.borrow_mut().take();
                let staged = self.staged.borrow_mut().take();
                let (committed, idle) = match staged {
                    None => crate::durability::commit(&self.db.shared, txn),
                    Some(staged) => crate::durability::commit_schema(&self.db.shared, txn, staged),
                };
                self.keep_idle(idle);
                match committed {
                    Ok(_) => self.finish_temp_steps(),
                    Err(_) => self.undo_temp_steps(0),
                }
                committed.map(|_| ())
            }
            TransactionState::Aborted => Err(crate::err!(
                SerializationConflict,
                "the transaction was aborted by a serialization conflict and has been \
                 rolled back; retry it"
            )),
            TransactionState::Autocommit => Err(crate::err!(
                Transaction,
                "cannot commit - no transaction is active"
            )),
        }
    }

    /// ROLLBACK of the explicit transaction.
    pub(crate) fn rollback(&self) -> Result<()> {
        self.deferred_keys.reset();
        self.savepoints.borrow_mut().clear();
        let previous =
            std::mem::replace(&mut *self.state.borrow_mut(), TransactionState::Autocommit);
        match previous {
            TransactionState::Explicit(txn) => {
                self.keep_idle(txn.rollback_reusable());
                self.discard_transaction_schema();
                self.undo_temp_steps(0);
                Ok(())
            }
            TransactionState::Aborted => {
                self.discard_transaction_schema();
                self.undo_temp_steps(0);
                Ok(())
            }
            TransactionState::Autocommit => Err(crate::err!(
                Transaction,
                "cannot rollback - no transaction is active"
            )),
        }
    }

    fn run_plan(&self, plan: &Plan, params: &[Value], sink: &mut RowSink<'_>) -> Result<usize> {
        self.interrupt.reset();
        match plan {
            Plan::Begin(isolation) => self.begin(*isolation)?,
            Plan::Commit => self.commit()?,
            Plan::Rollback => self.rollback()?,
            Plan::Savepoint(op) => self.run_savepoint(op)?,
            Plan::CreateTable(create) => {
                self.change_schema(|host| exec::create_table(host, create))?
            }
            Plan::DropTable { name, if_exists } => {
                self.before_drop_table(name)?;
                self.change_schema(|host| exec::drop_table(host, name, *if_exists))?
            }
            Plan::CreateView {
                view,
                if_not_exists,
            } => self.change_schema(|host| exec::create_view(host, view, *if_not_exists))?,
            Plan::DropView { name, if_exists } => {
                self.change_schema(|host| exec::drop_view(host, name, *if_exists))?
            }
            Plan::CreateIndex(create) => self.change_schema(|host| {
                // The rows of an explicit transaction's own writes count (not for a TEMP
                // index, whose table the transaction does not hold).
                let state = self.state.borrow();
                let open = match &*state {
                    TransactionState::Explicit(txn) if !self.temp_ddl.get() => Some(txn),
                    _ => None,
                };
                exec::create_index(host, create, open)
            })?,
            Plan::CreateTrigger {
                trigger,
                if_not_exists,
            } => self.change_schema(|host| exec::create_trigger(host, trigger, *if_not_exists))?,
            Plan::DropTrigger { name, if_exists } => {
                self.change_schema(|host| exec::drop_trigger(host, name, *if_exists))?
            }
            Plan::AlterTable(alter) => self.alter_table(alter)?,
            Plan::CreateTableAs(ctas) => return self.create_table_as(ctas),
            Plan::DropIndex { name, if_exists } => {
                self.change_schema(|host| exec::drop_index(host, name, *if_exists))?
            }
            Plan::Pragma(statement) => return self.run_pragma(statement, sink),
            Plan::Temp(inner) => {
                return self.in_temp_schema(|| self.run_plan(inner, params, sink));
            }
            Plan::Vacuum => {
                crate::gc::vacuum(&self.db.shared);
            }
            Plan::Explain(inner) => {
                let helpers = self.explain_helper_threads();
                let lines = exec::parallel_note::with_explain_threads(helpers, params, || {
                    inner.explain_lines()
                });
                let rows = lines.into_iter();
                exec::feed(rows.map(|line| vec![Value::Text(line)]), sink)?;
            }
            Plan::ExplainAnalyze(inner) => {
                let lines = self.explain_analyze(inner, params)?;
                exec::feed(lines.into_iter().map(|line| vec![Value::Text(line)]), sink)?;
            }
            Plan::DeleteAll { target } => {
                return self.delete_whole_table(target, plan, params, sink)
            }
            Plan::Query(_)
            | Plan::Insert(_)
            | Plan::Update { .. }
            | Plan::Delete { .. }
            | Plan::ViewWrite(_) => return self.run_in_transaction(plan, params, sink),
        }
        Ok(0)
    }
}
