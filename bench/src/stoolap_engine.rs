//! Stoolap (the published `stoolap` crate) under the benchmark: in memory
//! (`Database::open_in_memory`) and file-backed (`file://dir?sync=full`). Each session is
//! a cloned handle (its own executor, shared storage) holding its statements, each
//! prepared once (`?` placeholders rewritten to `$N`).

use std::path::Path;

use stoolap::{Database, ParamVec, Statement, Value};

use crate::data::Person;
use crate::engine::{
    failed, BenchError, BenchResult, Cell, Db, EngineSpec, Param, RowSum, Session, Storage,
};
use crate::sql::{self, Query};

/// Stoolap's errors for SQL it does not offer become `n/a (missing: ..)`; others fail.
fn convert(error: stoolap::Error) -> BenchError {
    let message = error.to_string();
    let lower = message.to_ascii_lowercase();
    if lower.contains("not supported") || lower.contains("unsupported") {
        BenchError::Missing(message)
    } else {
        BenchError::Failed(message)
    }
}

fn bind(params: &[Param]) -> ParamVec {
    params
        .iter()
        .map(|param| match *param {
            Param::Int(value) => Value::Integer(value),
            Param::Real(value) => Value::Float(value),
            Param::Text(text) => Value::text(text),
        })
        .collect()
}

fn cell(value: Option<&Value>) -> Cell {
    match value {
        None | Some(Value::Null(_)) => Cell::Null,
        Some(Value::Integer(value)) => Cell::Int(*value),
        Some(Value::Float(value)) => Cell::Real(*value),
        Some(Value::Text(text)) => Cell::Text(text.as_str().to_string()),
        Some(Value::Boolean(value)) => Cell::Int(i64::from(*value)),
        Some(other) => Cell::Text(other.to_string()),
    }
}

struct StoolapDb {
    db: Database,
}

impl Db for StoolapDb {
    fn connect(&self) -> BenchResult<Box<dyn Session>> {
        Ok(Box::new(StoolapSession {
            db: self.db.clone(),
            statements: (0..Query::COUNT).map(|_| None).collect(),
        }))
    }
}

struct StoolapSession {
    db: Database,
    /// Indexed by `Query::index`; each prepared on first use.
    statements: Vec<Option<Statement>>,
}

impl StoolapSession {
    fn statement(&mut self, query: Query) -> BenchResult<&Statement> {
        let slot = &mut self.statements[query.index()];
        if slot.is_none() {
            let text = sql::dollar_placeholders(query.stoolap_text());
            *slot = Some(self.db.prepare(&text).map_err(convert)?);
        }
        Ok(slot.as_ref().expect("prepared above"))
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
        self.statement(Query::Insert)?
            .execute(params)
            .map_err(failed)?;
        Ok(())
    }

    fn select_age(&mut self, id: i64) -> BenchResult<Option<i64>> {
        let mut rows = self
            .statement(Query::SelectAge)?
            .query((id,))
            .map_err(failed)?;
        match rows.next() {
            Some(row) => Ok(Some(row.map_err(failed)?.get::<i64>(0).map_err(failed)?)),
            None => Ok(None),
        }
    }

    fn point_row(&mut self, query: Query, key: i64) -> BenchResult<Option<RowSum>> {
        let mut rows = self.statement(query)?.query((key,)).map_err(convert)?;
        let Some(row) = rows.next() else {
            return Ok(None);
        };
        let row = row.map_err(failed)?;
        let mut sum = RowSum {
            columns: row.len(),
            ..RowSum::default()
        };
        for index in 0..row.len() {
            match row.get_value(index) {
                Some(Value::Integer(value)) => sum.ints += value,
                Some(Value::Float(value)) => sum.reals += value,
                Some(Value::Text(text)) => sum.text_bytes += text.len(),
                _ => {}
            }
        }
        Ok(Some(sum))
    }

    fn execute(&mut self, query: Query, params: &[Param]) -> BenchResult<usize> {
        let params = bind(params);
        let changed = self.statement(query)?.execute(params).map_err(convert)?;
        Ok(changed as usize)
    }

    fn query(&mut self, query: Query, params: &[Param]) -> BenchResult<Vec<Vec<Cell>>> {
        let params = bind(params);
        let rows = self.statement(query)?.query(params).map_err(convert)?;
        let mut out = Vec::new();
        for row in rows {
            let row = row.map_err(failed)?;
            out.push(
                (0..row.len())
                    .map(|index| cell(row.get_value(index)))
                    .collect(),
            );
        }
        Ok(out)
    }

    fn update_score(&mut self, id: i64, score: f64) -> BenchResult<usize> {
        let changed = self
            .statement(Query::Update)?
            .execute((score, id))
            .map_err(failed)?;
        Ok(changed as usize)
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
             prepare() once per session and held, $N params, one cloned handle per thread",
    open: open_memory,
    open_m1: None,
};

pub const FILE_FULL: EngineSpec = EngineSpec {
    name: "stoolap file",
    storage: Storage::DurableFull,
    is_baseline: false,
    remark: "stoolap file://dir?sync=full (WAL fsync per commit)",
    open: open_file,
    open_m1: None,
};
