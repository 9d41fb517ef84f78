//! SQLite (rusqlite, bundled) under the benchmark. `:memory:` is one connection shared by
//! all threads behind a mutex (separate `:memory:` connections would be separate
//! databases); the file configurations use WAL with `synchronous=FULL` or `NORMAL` and one
//! connection per thread. Statements are prepared once per connection (`prepare_cached`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{params, Connection};

use crate::data::Person;
use crate::engine::{failed, BenchResult, Db, EngineSpec, Session, Storage};
use crate::sql;

enum SqliteDb {
    Memory(Arc<Mutex<Connection>>),
    File {
        path: PathBuf,
        synchronous: &'static str,
    },
}

impl Db for SqliteDb {
    fn connect(&self) -> BenchResult<Box<dyn Session>> {
        let conn = match self {
            SqliteDb::Memory(conn) => Arc::clone(conn),
            SqliteDb::File { path, synchronous } => {
                Arc::new(Mutex::new(open_file(path, synchronous)?))
            }
        };
        Ok(Box::new(SqliteSession { conn }))
    }
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
    conn: Arc<Mutex<Connection>>,
}

impl SqliteSession {
    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

impl Session for SqliteSession {
    fn create_table(&mut self) -> BenchResult<()> {
        self.lock().execute(sql::CREATE, []).map_err(failed)?;
        Ok(())
    }

    fn begin(&mut self) -> BenchResult<()> {
        self.lock().execute_batch("BEGIN").map_err(failed)
    }

    fn commit(&mut self) -> BenchResult<()> {
        self.lock().execute_batch("COMMIT").map_err(failed)
    }

    fn insert(&mut self, row: &Person) -> BenchResult<()> {
        let conn = self.lock();
        let mut statement = conn.prepare_cached(sql::INSERT).map_err(failed)?;
        statement
            .execute(params![row.id, row.name, row.email, row.age, row.score])
            .map_err(failed)?;
        Ok(())
    }

    fn select_age(&mut self, id: i64) -> BenchResult<Option<i64>> {
        let conn = self.lock();
        let mut statement = conn.prepare_cached(sql::SELECT).map_err(failed)?;
        let mut rows = statement.query([id]).map_err(failed)?;
        let age = match rows.next().map_err(failed)? {
            Some(row) => Some(row.get(0).map_err(failed)?),
            None => None,
        };
        Ok(age)
    }

    fn update_score(&mut self, id: i64, score: f64) -> BenchResult<usize> {
        let conn = self.lock();
        let mut statement = conn.prepare_cached(sql::UPDATE).map_err(failed)?;
        statement.execute(params![score, id]).map_err(failed)
    }

    fn group_by_age(&mut self) -> BenchResult<(usize, i64)> {
        let conn = self.lock();
        let mut statement = conn.prepare_cached(sql::GROUP_BY).map_err(failed)?;
        let mut rows = statement.query([]).map_err(failed)?;
        let (mut groups, mut total) = (0usize, 0i64);
        while let Some(row) = rows.next().map_err(failed)? {
            groups += 1;
            total += row.get::<_, i64>(1).map_err(failed)?;
        }
        Ok((groups, total))
    }

    fn collect_garbage(&mut self) -> BenchResult<()> {
        self.lock().execute_batch("VACUUM").map_err(failed)
    }
}

fn open_memory(_dir: &Path) -> BenchResult<Box<dyn Db>> {
    let conn = Connection::open_in_memory().map_err(failed)?;
    Ok(Box::new(SqliteDb::Memory(Arc::new(Mutex::new(conn)))))
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
    remark: "rusqlite bundled, :memory:, prepare_cached + params; one connection \
             behind a Mutex for multi-thread workloads",
    open: open_memory,
};

pub const WAL_FULL: EngineSpec = EngineSpec {
    name: "sqlite WAL FULL",
    storage: Storage::DurableFull,
    is_baseline: true,
    remark: "file, journal_mode=WAL, synchronous=FULL, busy_timeout 30 s, \
             one connection per thread",
    open: open_wal_full,
};

pub const WAL_NORMAL: EngineSpec = EngineSpec {
    name: "sqlite WAL NORMAL",
    storage: Storage::DurableNormal,
    is_baseline: false,
    remark: "file, journal_mode=WAL, synchronous=NORMAL (no fsync per commit)",
    open: open_wal_normal,
};
