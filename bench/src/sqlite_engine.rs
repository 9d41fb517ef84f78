//! SQLite (rusqlite, bundled) under the benchmark. Every session owns its connection and
//! holds each statement it has run, prepared once (`HeldStatements`): a call binds and
//! steps the held statement, with no cache lookup and no lock. The in-memory database is a
//! shared `memdb` database (`file:/<name>?vfs=memdb`), one connection per thread, so
//! readers run in parallel; the file configurations use WAL with `synchronous=FULL` or
//! `NORMAL` and one connection per thread.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{params, Connection, OpenFlags, Statement};

use crate::data::Person;
use crate::engine::{failed, BenchResult, Cell, Db, EngineSpec, Param, RowSum, Session, Storage};
use crate::sql::Query;

/// Pages each in-memory connection may cache, in KiB (negative `cache_size`): enough for
/// every table of the bench at scale 1, so a read does not copy its page out of the shared
/// store again (SQLite allocates cache pages only as they fill).
const MEMORY_CACHE_KIB: i64 = 1 << 20;

enum SqliteDb {
    /// A shared `memdb` database; `_keeper` holds it open while sessions come and go.
    Memory {
        uri: String,
        _keeper: Mutex<Connection>,
    },
    File {
        path: PathBuf,
        synchronous: &'static str,
    },
    /// A private `:memory:` database of one connection, handed out once (M1).
    Private(Mutex<Option<Connection>>),
}

impl Db for SqliteDb {
    fn connect(&self) -> BenchResult<Box<dyn Session>> {
        let conn = match self {
            SqliteDb::Memory { uri, .. } => open_memdb(uri)?,
            SqliteDb::File { path, synchronous } => open_file(path, synchronous)?,
            SqliteDb::Private(conn) => conn
                .lock()
                .unwrap_or_else(|poison| poison.into_inner())
                .take()
                .ok_or_else(|| failed("a private :memory: database has one connection"))?,
        };
        Ok(Box::new(SqliteSession {
            held: HeldStatements::new(conn),
        }))
    }
}

fn open_memdb(uri: &str) -> BenchResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(uri, flags).map_err(failed)?;
    // A lock held by another connection of this process is released within microseconds:
    // retry at once (yielding the core) rather than sleep 1-100 ms as `busy_timeout` does.
    conn.busy_handler(Some(retry_at_once)).map_err(failed)?;
    // A `:memory:` database's defaults: the rollback journal in memory, no syncs.
    conn.pragma_update(None, "journal_mode", "MEMORY")
        .map_err(failed)?;
    conn.pragma_update(None, "synchronous", "OFF")
        .map_err(failed)?;
    conn.pragma_update(None, "temp_store", "MEMORY")
        .map_err(failed)?;
    conn.pragma_update(None, "cache_size", -MEMORY_CACHE_KIB)
        .map_err(failed)?;
    Ok(conn)
}

/// The busy handler of the in-memory connections: yield, then retry (up to ~10 M times).
fn retry_at_once(attempts: i32) -> bool {
    std::thread::yield_now();
    attempts < 10_000_000
}

fn open_file(path: &Path, synchronous: &str) -> BenchResult<Connection> {
    let conn = Connection::open(path).map_err(failed)?;
    conn.busy_timeout(Duration::from_secs(30)).map_err(failed)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(failed)?;
    conn.pragma_update(None, "synchronous", synchronous)
        .map_err(failed)?;
    Ok(conn)
}

/// A connection with the statements prepared on it, each prepared on first use and held
/// until the connection closes.
struct HeldStatements {
    // Declared before `conn`, so the statements drop before the connection they borrow.
    statements: Vec<Option<Statement<'static>>>,
    conn: Box<Connection>,
}

// SAFETY: the statements borrow only `*conn`, and the connection and its statements move
// between threads together (a session is used by one thread at a time); rusqlite's
// `Connection` is `Send`.
unsafe impl Send for HeldStatements {}

impl HeldStatements {
    fn new(conn: Connection) -> HeldStatements {
        HeldStatements {
            statements: (0..Query::COUNT).map(|_| None).collect(),
            conn: Box::new(conn),
        }
    }

    /// The statement of `query`, prepared on first use.
    #[inline]
    fn get(&mut self, query: Query) -> BenchResult<&mut Statement<'static>> {
        let slot = &mut self.statements[query.index()];
        if slot.is_none() {
            let statement = self.conn.prepare(query.text()).map_err(failed)?;
            // SAFETY: the statement borrows the boxed connection, whose address never
            // changes and which outlives it (field order above); it is never handed out
            // beyond a borrow of `self`.
            let statement: Statement<'static> = unsafe { std::mem::transmute(statement) };
            *slot = Some(statement);
        }
        Ok(slot.as_mut().expect("prepared above"))
    }
}

struct SqliteSession {
    held: HeldStatements,
}

fn bind(statement: &mut Statement<'_>, params: &[Param]) -> BenchResult<()> {
    for (index, param) in params.iter().enumerate() {
        let position = index + 1;
        match *param {
            Param::Int(value) => statement.raw_bind_parameter(position, value),
            Param::Real(value) => statement.raw_bind_parameter(position, value),
            Param::Text(text) => statement.raw_bind_parameter(position, text),
        }
        .map_err(failed)?;
    }
    Ok(())
}

fn cell(value: ValueRef<'_>) -> Cell {
    match value {
        ValueRef::Null => Cell::Null,
        ValueRef::Integer(value) => Cell::Int(value),
        ValueRef::Real(value) => Cell::Real(value),
        ValueRef::Text(bytes) => Cell::Text(String::from_utf8_lossy(bytes).into_owned()),
        ValueRef::Blob(bytes) => Cell::Blob(bytes.to_vec()),
    }
}

impl Session for SqliteSession {
    fn create_table(&mut self) -> BenchResult<()> {
        self.held
            .conn
            .execute(crate::sql::CREATE, [])
            .map_err(failed)?;
        Ok(())
    }

    fn begin(&mut self) -> BenchResult<()> {
        self.held.get(Query::Begin)?.raw_execute().map_err(failed)?;
        Ok(())
    }

    fn commit(&mut self) -> BenchResult<()> {
        self.held
            .get(Query::Commit)?
            .raw_execute()
            .map_err(failed)?;
        Ok(())
    }

    fn insert(&mut self, row: &Person) -> BenchResult<()> {
        let statement = self.held.get(Query::Insert)?;
        statement
            .execute(params![row.id, row.name, row.email, row.age, row.score])
            .map_err(failed)?;
        Ok(())
    }

    fn select_age(&mut self, id: i64) -> BenchResult<Option<i64>> {
        let statement = self.held.get(Query::SelectAge)?;
        let mut rows = statement.query([id]).map_err(failed)?;
        let age = match rows.next().map_err(failed)? {
            Some(row) => Some(row.get(0).map_err(failed)?),
            None => None,
        };
        Ok(age)
    }

    fn point_row(&mut self, query: Query, key: i64) -> BenchResult<Option<RowSum>> {
        let statement = self.held.get(query)?;
        let columns = statement.column_count();
        let mut rows = statement.query([key]).map_err(failed)?;
        let Some(row) = rows.next().map_err(failed)? else {
            return Ok(None);
        };
        let mut sum = RowSum {
            columns,
            ..RowSum::default()
        };
        for index in 0..columns {
            match row.get_ref(index).map_err(failed)? {
                ValueRef::Integer(value) => sum.ints += value,
                ValueRef::Real(value) => sum.reals += value,
                ValueRef::Text(text) => sum.text_bytes += text.len(),
                _ => {}
            }
        }
        Ok(Some(sum))
    }

    fn execute(&mut self, query: Query, params: &[Param]) -> BenchResult<usize> {
        let statement = self.held.get(query)?;
        bind(statement, params)?;
        statement.raw_execute().map_err(failed)
    }

    fn query(&mut self, query: Query, params: &[Param]) -> BenchResult<Vec<Vec<Cell>>> {
        let statement = self.held.get(query)?;
        let columns = statement.column_count();
        bind(statement, params)?;
        let mut rows = statement.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(failed)? {
            let mut cells = Vec::with_capacity(columns);
            for index in 0..columns {
                cells.push(cell(row.get_ref(index).map_err(failed)?));
            }
            out.push(cells);
        }
        Ok(out)
    }

    fn update_score(&mut self, id: i64, score: f64) -> BenchResult<usize> {
        let statement = self.held.get(Query::Update)?;
        statement.execute(params![score, id]).map_err(failed)
    }

    fn group_by_age(&mut self) -> BenchResult<(usize, i64)> {
        let statement = self.held.get(Query::GroupByAge)?;
        let mut rows = statement.query([]).map_err(failed)?;
        let (mut groups, mut total) = (0usize, 0i64);
        while let Some(row) = rows.next().map_err(failed)? {
            groups += 1;
            total += row.get::<_, i64>(1).map_err(failed)?;
        }
        Ok((groups, total))
    }

    fn collect_garbage(&mut self) -> BenchResult<()> {
        self.held.conn.execute_batch("VACUUM").map_err(failed)
    }
}

fn open_memory(_dir: &Path) -> BenchResult<Box<dyn Db>> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let unique = NEXT.fetch_add(1, Ordering::Relaxed);
    let uri = format!(
        "file:/ember-bench-{}-{unique}?vfs=memdb",
        std::process::id()
    );
    let keeper = open_memdb(&uri)?;
    Ok(Box::new(SqliteDb::Memory {
        uri,
        _keeper: Mutex::new(keeper),
    }))
}

/// M1's SQLite: a plain `:memory:` connection. With `memdb`, each connection's page cache
/// holds a copy of the pages it touched beside the shared store, which would count the
/// table twice.
fn open_private_memory(_dir: &Path) -> BenchResult<Box<dyn Db>> {
    let conn = Connection::open_in_memory().map_err(failed)?;
    Ok(Box::new(SqliteDb::Private(Mutex::new(Some(conn)))))
}

fn open_wal(dir: &Path, synchronous: &'static str) -> BenchResult<Box<dyn Db>> {
    let path = dir.join("sqlite.db");
    // Set WAL mode once up front so concurrent sessions do not race to switch it.
    drop(open_file(&path, synchronous)?);
    Ok(Box::new(SqliteDb::File { path, synchronous }))
}

fn open_wal_full(dir: &Path) -> BenchResult<Box<dyn Db>> {
    open_wal(dir, "FULL")
}

fn open_wal_normal(dir: &Path) -> BenchResult<Box<dyn Db>> {
    open_wal(dir, "NORMAL")
}

pub const MEMORY: EngineSpec = EngineSpec {
    name: "sqlite :memory:",
    storage: Storage::Memory,
    is_baseline: true,
    remark: "rusqlite bundled; a shared in-memory database (memdb VFS, \
             file:/<name>?vfs=memdb), one connection per thread, journal_mode=MEMORY, \
             synchronous=OFF, cache_size 1 GiB; statements prepared once per connection \
             and held (no cache lookup, no lock per call)",
    open: open_memory,
    open_m1: Some(open_private_memory),
};

pub const WAL_FULL: EngineSpec = EngineSpec {
    name: "sqlite WAL FULL",
    storage: Storage::DurableFull,
    is_baseline: true,
    remark: "file, journal_mode=WAL, synchronous=FULL, busy_timeout 30 s, \
             one connection per thread, statements held",
    open: open_wal_full,
    open_m1: None,
};

pub const WAL_NORMAL: EngineSpec = EngineSpec {
    name: "sqlite WAL NORMAL",
    storage: Storage::DurableNormal,
    is_baseline: false,
    remark: "file, journal_mode=WAL, synchronous=NORMAL (no fsync per commit)",
    open: open_wal_normal,
    open_m1: None,
};
