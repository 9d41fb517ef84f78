//! Stoolap (the published `stoolap` crate) under the benchmark: in memory
//! (`Database::open_in_memory`) and file-backed (`file://dir?sync=full`). Each session is
//! a cloned handle (its own executor, shared storage) with statements prepared once.

use std::collections::HashMap;
use std::path::Path;

use stoolap::{Database, Statement};

use crate::data::Person;
use crate::engine::{failed, BenchResult, Db, EngineSpec, Session, Storage};
use crate::sql;

struct StoolapDb {
    db: Database,
}

impl Db for StoolapDb {
    fn connect(&self) -> BenchResult<Box<dyn Session>> {
        Ok(Box::new(StoolapSession {
            db: self.db.clone(),
            statements: HashMap::new(),
        }))
    }
}

struct StoolapSession {
    db: Database,
    statements: HashMap<&'static str, Statement>,
}

impl StoolapSession {
    fn statement(&mut self, sql: &'static str) -> BenchResult<&Statement> {
        if !self.statements.contains_key(sql) {
            let statement = self.db.prepare(sql).map_err(failed)?;
            self.statements.insert(sql, statement);
        }
        Ok(&self.statements[sql])
    }
}

impl Session for StoolapSession {
    fn create_table(&mut self) -> BenchResult<()> {
        self.db.execute(sql::CREATE, ()).map_err(failed)?;
        Ok(())
    }

    fn begin(&mut self) -> BenchResult<()> {
        self.db.execute("BEGIN", ()).map_err(failed)?;
        Ok(())
    }

    fn commit(&mut self) -> BenchResult<()> {
        self.db.execute("COMMIT", ()).map_err(failed)?;
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
        self.statement(sql::INSERT_DOLLAR)?
            .execute(params)
            .map_err(failed)?;
        Ok(())
    }

    fn select_age(&mut self, id: i64) -> BenchResult<Option<i64>> {
        let mut rows = self
            .statement(sql::SELECT_DOLLAR)?
            .query((id,))
            .map_err(failed)?;
        match rows.next() {
            Some(row) => Ok(Some(row.map_err(failed)?.get::<i64>(0).map_err(failed)?)),
            None => Ok(None),
        }
    }

    fn update_score(&mut self, id: i64, score: f64) -> BenchResult<usize> {
        let changed = self
            .statement(sql::UPDATE_DOLLAR)?
            .execute((score, id))
            .map_err(failed)?;
        Ok(changed as usize)
    }

    fn group_by_age(&mut self) -> BenchResult<(usize, i64)> {
        let rows = self.statement(sql::GROUP_BY)?.query(()).map_err(failed)?;
        let (mut groups, mut total) = (0usize, 0i64);
        for row in rows {
            let row = row.map_err(failed)?;
            groups += 1;
            total += row.get::<i64>(1).map_err(failed)?;
        }
        Ok((groups, total))
    }

    fn collect_garbage(&mut self) -> BenchResult<()> {
        self.db.execute("VACUUM", ()).map_err(failed)?;
        Ok(())
    }
}

fn open_memory(_dir: &Path) -> BenchResult<Box<dyn Db>> {
    let db = Database::open_in_memory().map_err(failed)?;
    Ok(Box::new(StoolapDb { db }))
}

fn open_file(dir: &Path) -> BenchResult<Box<dyn Db>> {
    let dsn = format!("file://{}?sync=full", dir.join("stoolap").display());
    let db = Database::open(&dsn).map_err(failed)?;
    Ok(Box::new(StoolapDb { db }))
}

pub const MEMORY: EngineSpec = EngineSpec {
    name: "stoolap mem",
    storage: Storage::Memory,
    is_baseline: false,
    remark: "stoolap 0.4.2 (default features off, `parallel` on), open_in_memory(), \
             prepare() + $N params, one cloned handle per thread",
    open: open_memory,
};

pub const FILE_FULL: EngineSpec = EngineSpec {
    name: "stoolap file",
    storage: Storage::DurableFull,
    is_baseline: false,
    remark: "stoolap file://dir?sync=full (WAL fsync per commit)",
    open: open_file,
};
