//! The engines a sqllogictest file can run on: EmberDB (what the suites test) and rusqlite's
//! bundled SQLite (the oracle every case of our own `tests/slt/*.slt` is checked against).
//! Each engine answers to a set of names for `skipif` / `onlyif`: EmberDB runs the corpus
//! as `sqlite` and also answers to `ember`, so a record where EmberDB knowingly differs from
//! SQLite (a STRICT-style type error, say) is marked `onlyif ember` and the oracle skips it.

use std::panic::{catch_unwind, AssertUnwindSafe};

use ember::{Connection, Database, Value};

/// Which engine runs a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Ember,
    Sqlite,
}

impl Backend {
    /// The names records may use in `skipif` / `onlyif` for this engine.
    pub fn names(self) -> &'static [&'static str] {
        match self {
            Backend::Ember => &["sqlite", "ember"],
            Backend::Sqlite => &["sqlite"],
        }
    }

    /// A fresh in-memory database of this engine.
    pub fn open(self) -> Result<Box<dyn SltEngine>, String> {
        Ok(match self {
            Backend::Ember => Box::new(EmberEngine::new()),
            Backend::Sqlite => Box::new(SqliteEngine::new()?),
        })
    }
}

/// One open database the runner sends records to. Errors and panics come back as text.
pub trait SltEngine {
    /// Runs one or more statements, discarding any rows.
    fn execute_batch(&mut self, sql: &str) -> Result<(), String>;
    /// Runs a query: its column count and rows.
    fn query(&mut self, sql: &str) -> Result<(usize, Vec<Vec<Value>>), String>;
}

struct EmberEngine {
    // The connection borrows nothing from the database handle, but the handle keeps the
    // database's background threads alive for the file's run.
    _db: Database,
    conn: Connection,
}

impl EmberEngine {
    fn new() -> EmberEngine {
        let db = Database::in_memory();
        let conn = db.connect();
        EmberEngine { _db: db, conn }
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        format!("panic: {s}")
    } else if let Some(s) = payload.downcast_ref::<String>() {
        format!("panic: {s}")
    } else {
        "panic".to_string()
    }
}

impl SltEngine for EmberEngine {
    fn execute_batch(&mut self, sql: &str) -> Result<(), String> {
        let conn = &mut self.conn;
        match catch_unwind(AssertUnwindSafe(|| conn.execute_batch(sql))) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("error: {e}")),
            Err(payload) => Err(panic_message(payload.as_ref())),
        }
    }

    fn query(&mut self, sql: &str) -> Result<(usize, Vec<Vec<Value>>), String> {
        let conn = &mut self.conn;
        match catch_unwind(AssertUnwindSafe(|| conn.query(sql, ()))) {
            Ok(Ok(rows)) => {
                let width = rows.columns().len();
                Ok((width, rows.into_values()))
            }
            Ok(Err(e)) => Err(format!("error: {e}")),
            Err(payload) => Err(panic_message(payload.as_ref())),
        }
    }
}

struct SqliteEngine {
    conn: rusqlite::Connection,
}

impl SqliteEngine {
    fn new() -> Result<SqliteEngine, String> {
        let conn = rusqlite::Connection::open_in_memory().map_err(|e| format!("sqlite: {e}"))?;
        // generate_series, as the sqlite3 shell has it.
        rusqlite::vtab::series::load_module(&conn).map_err(|e| format!("sqlite: {e}"))?;
        Ok(SqliteEngine { conn })
    }
}

fn from_sqlite(value: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef;
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(r) => Value::Real(r),
        ValueRef::Text(bytes) => Value::Text(String::from_utf8_lossy(bytes).into_owned()),
        ValueRef::Blob(bytes) => Value::Blob(bytes.to_vec()),
    }
}

impl SltEngine for SqliteEngine {
    fn execute_batch(&mut self, sql: &str) -> Result<(), String> {
        self.conn
            .execute_batch(sql)
            .map_err(|e| format!("error: {e}"))
    }

    fn query(&mut self, sql: &str) -> Result<(usize, Vec<Vec<Value>>), String> {
        let mut statement = self.conn.prepare(sql).map_err(|e| format!("error: {e}"))?;
        let width = statement.column_count();
        let mut rows = statement.query([]).map_err(|e| format!("error: {e}"))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| format!("error: {e}"))? {
            let values = (0..width)
                .map(|i| row.get_ref(i).map(from_sqlite))
                .collect::<Result<Vec<Value>, _>>()
                .map_err(|e| format!("error: {e}"))?;
            out.push(values);
        }
        Ok((width, out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_engines_answer_a_query() {
        for backend in [Backend::Ember, Backend::Sqlite] {
            let mut engine = backend.open().unwrap();
            engine.execute_batch("CREATE TABLE t(a INTEGER)").unwrap();
            engine.execute_batch("INSERT INTO t VALUES (7)").unwrap();
            let (width, rows) = engine.query("SELECT a, 'x' FROM t").unwrap();
            assert_eq!(width, 2);
            assert_eq!(rows, vec![vec![Value::Integer(7), Value::Text("x".into())]]);
            assert!(engine.query("SELECT nope FROM t").is_err());
        }
    }
}
