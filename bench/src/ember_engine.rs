//! EmberDB under the benchmark: `Database::in_memory` or a durable directory database
//! (`Database::open_with`, `SyncPolicy::Always`), one `Connection` per thread. Statements go
//! through `Connection::execute`/`query_row`/`query` with `?` parameters and the same SQL
//! text every time, so after the first call each one is served from the connection's plan
//! cache (no parsing, no planning) - the same thing rusqlite's `prepare_cached` does. A
//! `Statement` handle borrows its `Connection` (which is not `Sync`), so it cannot live in a
//! session that moves to a worker thread; the plan cache path needs no borrow.

use ember::{Database, ErrorKind, Isolation, OptionalExtension, Options, SyncPolicy, Value};

use crate::data::Person;
use crate::engine::{
    BenchError, BenchResult, Cell, Db, EngineSpec, Param, RowSum, Session, Storage,
};
use crate::sql::{self, Query};

fn convert(error: ember::Error) -> BenchError {
    match error.kind() {
        ErrorKind::Unsupported => BenchError::Missing(error.to_string()),
        _ => BenchError::Failed(error.to_string()),
    }
}

struct EmberDb {
    db: Database,
    /// `PRAGMA threads` of every connection (0: scans run on the calling thread only).
    helper_threads: usize,
}

impl Db for EmberDb {
    fn connect(&self) -> BenchResult<Box<dyn Session>> {
        let conn = self.db.connect();
        if self.helper_threads > 0 {
            let pragma = format!("PRAGMA threads = {}", self.helper_threads);
            conn.execute(&pragma, ()).map_err(convert)?;
        }
        if std::env::var("EMBER_BENCH_BLOOM").is_ok_and(|value| value == "off") {
            // Hash joins without their runtime bloom filter, to measure what it changes.
            conn.execute("PRAGMA bloom_filter_joins = off", ())
                .map_err(convert)?;
        }
        Ok(Box::new(EmberSession {
            conn,
            params: Vec::new(),
        }))
    }
}

struct EmberSession {
    conn: ember::Connection,
    /// The parameter list of `execute`/`query`, reused from call to call.
    params: Vec<Value>,
}

impl EmberSession {
    fn bind(&mut self, params: &[Param]) {
        self.params.clear();
        self.params.extend(params.iter().map(|param| match *param {
            Param::Int(value) => Value::Integer(value),
            Param::Real(value) => Value::Real(value),
            Param::Text(text) => Value::Text(text.to_string()),
        }));
    }
}

/// A result value as a cell, moved (the rows `query` returns are owned: their text is not
/// copied again, as a program using the values would not copy it).
#[inline]
fn cell(value: Value) -> Cell {
    match value {
        Value::Null => Cell::Null,
        Value::Integer(value) => Cell::Int(value),
        Value::Real(value) => Cell::Real(value),
        Value::Text(text) => Cell::Text(text),
        Value::Boolean(value) => Cell::Int(i64::from(value)),
        Value::Blob(bytes) => Cell::Blob(bytes),
    }
}

// A row of values becomes a row of cells in its own allocation (`Vec` in-place collect):
// with cells the size of values nothing is reallocated (a smaller cell would shrink every
// row's allocation, a `realloc` per row that a program using the values never makes).
const _: () = assert!(std::mem::size_of::<Cell>() == std::mem::size_of::<Value>());
const _: () = assert!(std::mem::align_of::<Cell>() == std::mem::align_of::<Value>());

impl Session for EmberSession {
    fn create_table(&mut self) -> BenchResult<()> {
        self.conn.execute(sql::CREATE, ()).map_err(convert)?;
        Ok(())
    }

    fn begin(&mut self) -> BenchResult<()> {
        self.conn.execute("BEGIN", ()).map_err(convert)?;
        Ok(())
    }

    fn commit(&mut self) -> BenchResult<()> {
        self.conn.execute("COMMIT", ()).map_err(convert)?;
        Ok(())
    }

    fn insert(&mut self, row: &Person) -> BenchResult<()> {
        let params = (
            row.id,
            row.name.as_str(),
            row.email.as_str(),
            row.age,
            row.score,
        );
        self.conn.execute(sql::INSERT, params).map_err(convert)?;
        Ok(())
    }

    fn select_age(&mut self, id: i64) -> BenchResult<Option<i64>> {
        self.conn
            .query_row(sql::SELECT, [id], |row| row.get::<i64>(0))
            .optional()
            .map_err(convert)
    }

    fn point_row(&mut self, query: Query, key: i64) -> BenchResult<Option<RowSum>> {
        self.conn
            .query_row(query.text(), [key], |row| {
                let mut sum = RowSum::default();
                for value in row.values() {
                    sum.columns += 1;
                    match value {
                        Value::Integer(value) => sum.ints += value,
                        Value::Real(value) => sum.reals += value,
                        Value::Text(text) => sum.text_bytes += text.len(),
                        _ => {}
                    }
                }
                Ok(sum)
            })
            .optional()
            .map_err(convert)
    }

    fn execute(&mut self, query: Query, params: &[Param]) -> BenchResult<usize> {
        self.bind(params);
        self.conn
            .execute(query.text(), self.params.as_slice())
            .map_err(convert)
    }

    fn query(&mut self, query: Query, params: &[Param]) -> BenchResult<Vec<Vec<Cell>>> {
        self.bind(params);
        let rows = self
            .conn
            .query(query.text(), self.params.as_slice())
            .map_err(convert)?;
        // The flat cells taken out whole, cut into rows as they are converted.
        let (width, len) = (rows.columns().len(), rows.len());
        let mut cells = rows.into_cells().into_iter();
        Ok((0..len)
            .map(|_| cells.by_ref().take(width).map(cell).collect())
            .collect())
    }

    fn update_score(&mut self, id: i64, score: f64) -> BenchResult<usize> {
        self.conn.execute(sql::UPDATE, (score, id)).map_err(convert)
    }

    fn collect_garbage(&mut self) -> BenchResult<()> {
        self.conn.execute("VACUUM", ()).map_err(convert)?;
        Ok(())
    }

    fn set_history_retention(&mut self, retention: Option<&str>) -> BenchResult<()> {
        let value = retention.unwrap_or("off");
        let sql = format!("PRAGMA history_retention = '{value}'");
        self.conn.execute(&sql, ()).map_err(convert)?;
        Ok(())
    }
}

fn open_memory(_dir: &std::path::Path) -> BenchResult<Box<dyn Db>> {
    Ok(Box::new(EmberDb {
        db: Database::in_memory(),
        helper_threads: 0,
    }))
}

/// One helper thread per core beyond the first (at least one).
fn open_memory_parallel(_dir: &std::path::Path) -> BenchResult<Box<dyn Db>> {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    Ok(Box::new(EmberDb {
        db: Database::in_memory(),
        helper_threads: cores.saturating_sub(1).max(1),
    }))
}

/// Every transaction SERIALIZABLE (`Options::isolation`).
fn open_memory_serializable(_dir: &std::path::Path) -> BenchResult<Box<dyn Db>> {
    Ok(Box::new(EmberDb {
        db: Database::in_memory_with(Options::new().isolation(Isolation::Serializable)),
        helper_threads: 0,
    }))
}

fn open_durable(dir: &std::path::Path) -> BenchResult<Box<dyn Db>> {
    let options = Options::new().sync_policy(SyncPolicy::Always);
    let db = Database::open_with(dir.join("ember"), options).map_err(convert)?;
    Ok(Box::new(EmberDb {
        db,
        helper_threads: 0,
    }))
}

pub const MEMORY: EngineSpec = EngineSpec {
    name: "ember",
    storage: Storage::Memory,
    is_baseline: false,
    remark: "Database::in_memory(); Connection::execute/query_row/query with ? params and \
             fixed SQL text (plan cache hit: no parse, no plan per call)",
    open: open_memory,
    open_m1: None,
};

pub const PARALLEL: EngineSpec = EngineSpec {
    name: "ember-par",
    storage: Storage::Memory,
    is_baseline: false,
    remark: "as ember, with PRAGMA threads = cores - 1 (at least 1): aggregates (with or \
             without GROUP BY) and ORDER BY .. LIMIT over large scans split across threads",
    open: open_memory_parallel,
    open_m1: None,
};

pub const SERIALIZABLE: EngineSpec = EngineSpec {
    name: "ember-ser",
    storage: Storage::Memory,
    is_baseline: false,
    remark: "as ember, with Options::isolation(Isolation::Serializable): every transaction \
             and autocommit write keeps a read set validated at commit",
    open: open_memory_serializable,
    open_m1: None,
};

pub const DURABLE: EngineSpec = EngineSpec {
    name: "ember file",
    storage: Storage::DurableFull,
    is_baseline: false,
    remark: "Database::open_with(dir, Options::new().sync_policy(SyncPolicy::Always)): \
             WAL fsync before each commit returns, shared by concurrent committers",
    open: open_durable,
    open_m1: None,
};
