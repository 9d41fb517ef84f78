//! `.dump`: SQL text that recreates the schema (tables, indexes, views) and every row.
//! Values are written so that reading the dump back gives identical values: text with
//! doubled quotes, blobs as `X'..'`, reals in Rust's shortest round-trip form (always
//! with `.` or an exponent).

use std::fmt::Write as _;

use ember::catalog::SEQUENCE_TABLE;
use ember::{Connection, Value};

use crate::output::hex;
use crate::shell::Shell;

/// An SQL identifier in double quotes.
pub fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// An SQL literal that reads back as exactly `value`.
pub fn literal(value: &Value) -> String {
    match value {
        Value::Null => "NULL".to_string(),
        Value::Integer(i) => i.to_string(),
        Value::Real(r) if r.is_nan() => "NULL".to_string(),
        Value::Real(r) if r.is_infinite() => if *r > 0.0 { "1e999" } else { "-1e999" }.to_string(),
        Value::Real(r) => {
            let text = format!("{r:?}");
            if text.contains(['.', 'e', 'E']) {
                text
            } else {
                format!("{text}.0")
            }
        }
        Value::Boolean(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Value::Text(text) => format!("'{}'", text.replace('\'', "''")),
        Value::Blob(bytes) => format!("X'{}'", hex(bytes)),
    }
}

/// The dump of `table` (all tables when `None`) as one SQL text.
pub fn dump(connection: &mut Connection, table: Option<&str>) -> Result<String, String> {
    let catalog = connection.database().catalog();
    let mut tables = catalog.tables();
    // The header table (`PRAGMA user_version`) is the database's, not a table to recreate.
    tables.retain(|def| !def.name.eq_ignore_ascii_case(ember::catalog::HEADER_TABLE));
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    // `sqlite_sequence` is written as sqlite3 writes it, after the tables (below).
    let sequence = tables
        .iter()
        .position(|def| def.name.eq_ignore_ascii_case(SEQUENCE_TABLE))
        .map(|at| tables.remove(at));
    let mut views = catalog.views();
    if let Some(name) = table {
        tables.retain(|def| def.name.eq_ignore_ascii_case(name));
        views.retain(|def| def.name.eq_ignore_ascii_case(name));
        if tables.is_empty() && views.is_empty() {
            return Err(format!("no such table: {name}"));
        }
    }
    let mut sql = String::from("BEGIN;\n");
    for def in &tables {
        let _ = writeln!(sql, "{};", def.sql);
        // A table with generated columns gets its other columns only, named (as sqlite3
        // writes it): the generated ones are computed again as the rows go in.
        let (columns, target) = if def.has_generated() {
            let names: Vec<String> = def
                .visible_columns()
                .filter(|(_, column)| column.generated.is_none())
                .map(|(_, column)| quote_identifier(&column.name))
                .collect();
            let names = names.join(",");
            (
                names.clone(),
                format!("{}({names})", quote_identifier(&def.name)),
            )
        } else {
            ("*".to_string(), quote_identifier(&def.name))
        };
        let select = format!("SELECT {columns} FROM {}", quote_identifier(&def.name));
        let rows = connection
            .query(&select, ())
            .map_err(|error| format!("cannot read {}: {error}", def.name))?;
        for row in rows.values() {
            let values: Vec<String> = row.iter().map(literal).collect();
            let _ = writeln!(sql, "INSERT INTO {target} VALUES({});", values.join(","));
        }
    }
    // The AUTOINCREMENT counters, in a full dump only, as sqlite3 writes them: the tables
    // above created `sqlite_sequence` (holding no rows yet when loaded into sqlite3).
    if let (Some(sequence), None) = (sequence, table) {
        let select = format!("SELECT * FROM {}", quote_identifier(&sequence.name));
        let rows = connection
            .query(&select, ())
            .map_err(|error| format!("cannot read {}: {error}", sequence.name))?;
        if !rows.is_empty() {
            let _ = writeln!(sql, "DELETE FROM {SEQUENCE_TABLE};");
            for row in rows.values() {
                let values: Vec<String> = row.iter().map(literal).collect();
                let _ = writeln!(
                    sql,
                    "INSERT INTO {SEQUENCE_TABLE} VALUES({});",
                    values.join(",")
                );
            }
        }
    }
    // Indexes after the data, as sqlite3 does: each is built once from the loaded rows.
    for def in &tables {
        for index_sql in def.indexes.iter().filter_map(|index| index.sql.as_ref()) {
            let _ = writeln!(sql, "{index_sql};");
        }
    }
    // Views last, in creation order, as sqlite3 does: what each one reads exists by then.
    for view in &views {
        let _ = writeln!(sql, "{};", view.sql);
    }
    // Then the triggers on what was dumped: after the rows, so loading them fires none.
    for trigger in catalog.triggers() {
        let dumped = tables
            .iter()
            .any(|def| def.name.eq_ignore_ascii_case(&trigger.table))
            || views
                .iter()
                .any(|def| def.name.eq_ignore_ascii_case(&trigger.table));
        if dumped {
            let _ = writeln!(sql, "{};", trigger.sql);
        }
    }
    sql.push_str("COMMIT;\n");
    Ok(sql)
}

impl Shell {
    pub fn dump_command(&mut self, table: Option<&str>) -> Result<(), String> {
        let text = dump(&mut self.connection, table)?;
        self.print(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_read_back() {
        assert_eq!(literal(&Value::Text("it's".into())), "'it''s'");
        assert_eq!(literal(&Value::Blob(vec![0, 255])), "X'00ff'");
        assert_eq!(literal(&Value::Real(2.0)), "2.0");
        assert_eq!(literal(&Value::Real(0.1)), "0.1");
        assert_eq!(literal(&Value::Null), "NULL");
        assert_eq!(quote_identifier("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn dump_round_trips() {
        let db = ember::Database::in_memory();
        let mut conn = db.connect();
        conn.execute_batch(
            "CREATE TABLE t(id INT PRIMARY KEY, r REAL, s TEXT UNIQUE, b BLOB);
             CREATE INDEX t_r ON t(r);
             INSERT INTO t VALUES (1, 0.1, 'it''s', X'00ff'), (2, NULL, NULL, NULL),
                                  (3, 1e300, 'line\nbreak', X'');",
        )
        .unwrap();
        let text = dump(&mut conn, None).unwrap();
        assert!(
            text.ends_with("CREATE INDEX t_r ON t(r);\nCOMMIT;\n"),
            "{text}"
        );
        let copy = ember::Database::in_memory();
        let copy_conn = copy.connect();
        copy_conn.execute_batch(&text).unwrap();
        let query = "SELECT * FROM t ORDER BY id";
        assert_eq!(
            conn.query(query, ()).unwrap().into_values(),
            copy_conn.query(query, ()).unwrap().into_values()
        );
        let indexes = "SELECT name, columns FROM ember_indexes ORDER BY name";
        assert_eq!(
            conn.query(indexes, ()).unwrap().into_values(),
            copy_conn.query(indexes, ()).unwrap().into_values()
        );
    }

    #[test]
    fn dump_names_the_columns_a_generated_column_is_computed_from() {
        let db = ember::Database::in_memory();
        let mut conn = db.connect();
        conn.execute_batch(
            "CREATE TABLE g(a INT, b INT AS (a * 2) STORED, c TEXT);
             INSERT INTO g(a, c) VALUES (1, 'x'), (2, NULL);",
        )
        .unwrap();
        let text = dump(&mut conn, None).unwrap();
        assert!(
            text.contains("INSERT INTO \"g\"(\"a\",\"c\") VALUES(1,'x');\n"),
            "{text}"
        );
        let copy = ember::Database::in_memory();
        let copy_conn = copy.connect();
        copy_conn.execute_batch(&text).unwrap();
        let query = "SELECT a, b, c FROM g ORDER BY a";
        assert_eq!(
            conn.query(query, ()).unwrap().into_values(),
            copy_conn.query(query, ()).unwrap().into_values()
        );
    }

    #[test]
    fn dump_writes_triggers_after_the_rows_so_loading_fires_none() {
        let db = ember::Database::in_memory();
        let mut conn = db.connect();
        conn.execute_batch(
            "CREATE TABLE t(n INT);
             CREATE TABLE log(n INT);
             CREATE TRIGGER t_ai AFTER INSERT ON t BEGIN INSERT INTO log VALUES (new.n); END;
             INSERT INTO t VALUES (1), (2);",
        )
        .unwrap();
        let text = dump(&mut conn, None).unwrap();
        assert!(
            text.ends_with(
                "CREATE TRIGGER t_ai AFTER INSERT ON t BEGIN INSERT INTO log VALUES (new.n); \
                 END;\nCOMMIT;\n"
            ),
            "{text}"
        );
        let copy = ember::Database::in_memory();
        let copy_conn = copy.connect();
        copy_conn.execute_batch(&text).unwrap();
        let count = "SELECT count(*) FROM log";
        assert_eq!(
            copy_conn.query(count, ()).unwrap().into_values(),
            vec![vec![Value::Integer(2)]]
        );
        copy_conn.execute("INSERT INTO t VALUES (3)", ()).unwrap();
        assert_eq!(
            copy_conn.query(count, ()).unwrap().into_values(),
            vec![vec![Value::Integer(3)]]
        );
        let only_log = dump(&mut conn, Some("log")).unwrap();
        assert!(!only_log.contains("TRIGGER"), "{only_log}");
    }

    #[test]
    fn dump_keeps_views_after_the_tables_they_read() {
        let db = ember::Database::in_memory();
        let mut conn = db.connect();
        conn.execute_batch(
            "CREATE TABLE z(id INT PRIMARY KEY, n INT);
             INSERT INTO z VALUES (1, 10), (2, 20);
             CREATE VIEW big AS SELECT id, n FROM z WHERE n > 15;
             CREATE VIEW a_over_big AS SELECT n * 2 AS twice FROM big;",
        )
        .unwrap();
        let text = dump(&mut conn, None).unwrap();
        let table_at = text.find("CREATE TABLE z").unwrap();
        let big_at = text.find("CREATE VIEW big").expect(&text);
        let over_at = text.find("CREATE VIEW a_over_big").expect(&text);
        assert!(table_at < big_at && big_at < over_at, "{text}");
        let copy = ember::Database::in_memory();
        let copy_conn = copy.connect();
        copy_conn.execute_batch(&text).unwrap();
        let twice: i64 = copy_conn
            .query_value("SELECT twice FROM a_over_big", ())
            .unwrap();
        assert_eq!(twice, 40);
        let only_view = dump(&mut conn, Some("BIG")).unwrap();
        assert!(only_view.contains("CREATE VIEW big"), "{only_view}");
        assert!(!only_view.contains("CREATE TABLE"), "{only_view}");
    }

    #[test]
    fn dump_writes_autoincrement_counters_as_sqlite3_does() {
        let db = ember::Database::in_memory();
        let mut conn = db.connect();
        conn.execute_batch(
            "CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, x TEXT);
             INSERT INTO t(x) VALUES ('a'), ('b'), ('c');
             DELETE FROM t WHERE id = 3;",
        )
        .unwrap();
        let text = dump(&mut conn, None).unwrap();
        assert!(
            !text.contains("CREATE TABLE IF NOT EXISTS sqlite_sequence"),
            "{text}"
        );
        assert!(
            text.contains(
                "DELETE FROM sqlite_sequence;\nINSERT INTO sqlite_sequence VALUES('t',3);\n"
            ),
            "{text}"
        );
        let copy = ember::Database::in_memory();
        let copy_conn = copy.connect();
        copy_conn.execute_batch(&text).unwrap();
        copy_conn
            .execute("INSERT INTO t(x) VALUES ('d')", ())
            .unwrap();
        let next: i64 = copy_conn.query_value("SELECT max(id) FROM t", ()).unwrap();
        assert_eq!(
            next, 4,
            "the counter survived the round trip: 3 is not reused"
        );
        let only_t = dump(&mut conn, Some("t")).unwrap();
        assert!(!only_t.contains("sqlite_sequence"), "{only_t}");
    }
}
