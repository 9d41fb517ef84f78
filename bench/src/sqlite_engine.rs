//! SQLite (rusqlite, bundled) under the benchmark. Every session owns its connection and
//! takes each statement from the connection's statement cache (`prepare_cached`, rusqlite's
//! default capacity of 16), as a rusqlite program repeating a statement does: a call looks
//! the text up, binds and steps, and hands the statement back. The in-memory database is a
//! shared `memdb` database (`file:/<name>?vfs=memdb`), one connection per thread, so
//! readers run in parallel; the file configurations use WAL with `synchronous=FULL` or
//! `NORMAL` and one connection per thread.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{params, CachedStatement, Connection, OpenFlags, Statement};

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
        Ok(Box::new(SqliteSession { conn }))
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
    // A `:memory:` database's defaults: the rollback journal in memory, no syncs. The temp
    // store stays at its default: `temp_store=MEMORY` makes SQLite's sorter (GROUP BY,
    // ORDER BY, CREATE INDEX without an index to read) about 2.5x slower at 200,000 rows
    // (`examples/sqlite_config.rs`), which no program opening `:memory:` pays.
    conn.pragma_update(None, "journal_mode", "MEMORY")
        .map_err(failed)?;
    conn.pragma_update(None, "synchronous", "OFF")
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

struct SqliteSession {
    conn: Connection,
}

impl SqliteSession {
    /// The statement of `query` from the connection's statement cache (prepared on first
    /// use), as a rusqlite program runs a statement it repeats.
    #[inline]
    fn statement(&self, query: Query) -> BenchResult<CachedStatement<'_>> {
        self.conn.prepare_cached(query.text()).map_err(failed)
    }
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
        self.conn.execute(crate::sql::CREATE, []).map_err(failed)?;
        Ok(())
    }

    fn begin(&mut self) -> BenchResult<()> {
        self.statement(Query::Begin)?
            .raw_execute()
            .map_err(failed)?;
        Ok(())
    }

    fn commit(&mut self) -> BenchResult<()> {
        self.statement(Query::Commit)?
            .raw_execute()
            .map_err(failed)?;
        Ok(())
    }

    fn insert(&mut self, row: &Person) -> BenchResult<()> {
        let mut statement = self.statement(Query::Insert)?;
        statement
            .execute(params![row.id, row.name, row.email, row.age, row.score])
            .map_err(failed)?;
        Ok(())
    }

    fn select_age(&mut self, id: i64) -> BenchResult<Option<i64>> {
        let mut statement = self.statement(Query::SelectAge)?;
        let mut rows = statement.query([id]).map_err(failed)?;
        let age = match rows.next().map_err(failed)? {
            Some(row) => Some(row.get(0).map_err(failed)?),
            None => None,
        };
        Ok(age)
    }

    fn point_row(&mut self, query: Query, key: i64) -> BenchResult<Option<RowSum>> {
        let mut statement = self.statement(query)?;
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
        let mut statement = self.statement(query)?;
        bind(&mut statement, params)?;
        statement.raw_execute().map_err(failed)
    }

    fn query(&mut self, query: Query, params: &[Param]) -> BenchResult<Vec<Vec<Cell>>> {
        let mut statement = self.statement(query)?;
        let columns = statement.column_count();
        bind(&mut statement, params)?;
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
        let mut statement = self.statement(Query::Update)?;
        statement.execute(params![score, id]).map_err(failed)
    }

    fn collect_garbage(&mut self) -> BenchResult<()> {
        self.conn.execute_batch("VACUUM").map_err(failed)
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

/// A session on a private `:memory:` database (the oracle the answer checks ask).
pub fn private_session() -> BenchResult<Box<dyn Session>> {
    let conn = Connection::open_in_memory().map_err(failed)?;
    Ok(Box::new(SqliteSession { conn }))
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
             synchronous=OFF, cache_size 1 GiB, temp_store default; statements from \
             prepare_cached (rusqlite's statement cache, looked up by SQL text per call)",
    open: open_memory,
    open_m1: Some(open_private_memory),
};

pub const WAL_FULL: EngineSpec = EngineSpec {
    name: "sqlite WAL FULL",
    storage: Storage::DurableFull,
    is_baseline: true,
    remark: "file, journal_mode=WAL, synchronous=FULL, busy_timeout 30 s, \
             one connection per thread, statements from prepare_cached",
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
