//! Scripts of many INSERT statements that differ only in their literals (a `.dump`, an
//! application's generated SQL): `run_script` and `execute_batch` run such a statement
//! through the plan of its literal shape (`parse::insert_shape`), parsed and planned once
//! and kept in the plan cache under the shape's text, with the statement's literals as the
//! parameter values. A shape that does not parse or bind falls back to the statement's own
//! text, so errors read as they would without it.

use std::sync::Arc;

use super::{Connection, Outcome};
use crate::error::Result;
use crate::parse::insert_shape;
use crate::plan_cache::Prepared;

impl Connection {
    /// Runs `sql` through its literal shape's plan; `None` when it has no shape or the
    /// shape does not plan (the caller then runs the text itself).
    pub(super) fn run_literal_shape(&self, sql: &str) -> Option<Result<Outcome>> {
        let shape = insert_shape(sql)?;
        let prepared = self.shape_plan(&shape.text, shape.values.len())?;
        let result = self.collect_prepared(&prepared, &shape.values);
        Some(result.map(|(rows, changes)| Outcome {
            columns: prepared.columns.to_vec(),
            rows: rows.into_values(),
            changes,
        }))
    }

    /// The cached plan of a shape's text, else the plan built here and cached; `None` when
    /// the text does not bind to a plan taking `parameter_count` values.
    fn shape_plan(&self, text: &str, parameter_count: usize) -> Option<Arc<Prepared>> {
        let bound_under = (self.catalog_version(), self.like_cased());
        let cached = self.cache.try_borrow_mut().ok()?.get(text, bound_under);
        if let Some(prepared) = cached {
            self.bump(|stats| stats.plan_cache_hits += 1);
            return Some(prepared);
        }
        let prepared = Arc::new(self.bind_one(text).ok()?);
        if prepared.parameter_count != parameter_count {
            return None;
        }
        self.bump(|stats| stats.plans_built += 1);
        if let Ok(mut cache) = self.cache.try_borrow_mut() {
            cache.insert(text, prepared.clone());
        }
        Some(prepared)
    }
}

#[cfg(test)]
mod tests {
    use crate::{Database, Value};

    /// The rows of `t` and the error of each statement, run by `run` on a new database.
    fn outcome(run: impl Fn(&crate::Connection, &str) -> crate::Result<()>) -> Vec<String> {
        let conn = Database::in_memory().connect();
        conn.execute_batch(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT NOT NULL, \
             b BLOB, n NUMERIC, a)",
        )
        .unwrap();
        let statements = [
            "INSERT INTO t VALUES (1, 2, 3, 'x', x'00ff', '7', 8)",
            "INSERT INTO t VALUES (2, '12', 2, 'y''z', NULL, '1.0', -3.5)",
            "INSERT INTO t VALUES (3, -9223372036854775808, -1e3, 5, x'', 'abc', .5)",
            "INSERT INTO t VALUES (4, 'id', 1, 'x', NULL, NULL, NULL)",
            "INSERT INTO t VALUES (5, 1.5, 1, 'x', NULL, NULL, NULL)",
            "INSERT INTO t VALUES (6, 1, 1, NULL, NULL, NULL, NULL)",
            "INSERT INTO t VALUES (1, 1, 1, 'dup', NULL, NULL, NULL)",
            "INSERT INTO t VALUES (7, 99999999999999999999, 1, 'x', NULL, NULL, NULL)",
            "INSERT INTO t VALUES (8, 1, 1, 'x', NULL, NULL)",
            "INSERT INTO t VALUES (9, 1, 1, 'x', x'abc', NULL, NULL)",
            "INSERT INTO t VALUES (10, 1, 1, 'x', NULL, NULL, NULL), (11, 2, 2, 'y', 1, 2, 3)",
        ];
        let mut seen: Vec<String> = statements
            .iter()
            .map(|sql| format!("{:?}", run(&conn, sql).err()))
            .collect();
        for row in conn.query("SELECT * FROM t ORDER BY id", ()).unwrap() {
            let values: Vec<Value> = (0..7).map(|i| row.get::<Value>(i).unwrap()).collect();
            seen.push(format!("{values:?}"));
        }
        seen
    }

    #[test]
    fn shaped_inserts_store_and_fail_as_parsed_ones_do() {
        let shaped = outcome(|conn, sql| conn.run_script(sql).map(|_| ()));
        let parsed = outcome(|conn, sql| conn.execute(sql, ()).map(|_| ()));
        assert_eq!(shaped, parsed);
        assert!(
            shaped.iter().any(|line| line.contains("Some(")),
            "{shaped:?}"
        );
    }

    #[test]
    fn one_plan_per_shape() {
        let conn = Database::in_memory().connect();
        conn.execute("CREATE TABLE t(a INT, b TEXT)", ()).unwrap();
        for i in 0..50 {
            conn.run_script(&format!("INSERT INTO t VALUES ({i}, 'v{i}');"))
                .unwrap();
        }
        let stats = conn.stats();
        assert_eq!(stats.plans_built, 2, "{stats:?}");
        assert_eq!(stats.plan_cache_hits, 49, "{stats:?}");
        let total: i64 = conn.query_value("SELECT sum(a) FROM t", ()).unwrap();
        assert_eq!(total, (0..50).sum::<i64>());
        conn.execute("ALTER TABLE t ADD COLUMN c INT", ()).unwrap();
        let error = conn
            .run_script("INSERT INTO t VALUES (1, 'x')")
            .err()
            .unwrap();
        assert!(error.to_string().contains("3 columns"), "{error}");
    }
}
