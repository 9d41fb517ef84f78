//! `sqlite_schema` (also named `sqlite_master`): one row per table, index and view, with
//! SQLite's columns `type`, `name`, `tbl_name`, `rootpage`, `sql`. Tables come in creation
//! order, each followed by its indexes as SQLite lists them (`catalog::sqlite_indexes`:
//! automatic indexes with NULL `sql`, then CREATE INDEX ones), then the views in creation
//! order, then the triggers in creation order (`tbl_name` the table they are on, `rootpage`
//! 0). `sql` is the CREATE text as SQLite keeps it (as written, from the name on; ALTER
//! TABLE prints it again). `rootpage` numbers tables and indexes from 2 in that order, as
//! a new SQLite database assigns pages to them (the engine has no pages); a view's is 0.
//! `sqlite_temp_schema` (`sqlite_temp_master`) has the same rows for the connection's
//! temporary objects (the binder passes it that schema's tables and views).

use std::sync::Arc;

use ember_storage::Value;

use crate::catalog::{
    sqlite_indexes, IndexOrigin, TableDef, TriggerDef, ViewDef, HEADER_TABLE, SEQUENCE_TABLE,
};

use super::super::Row;

pub(super) const SCHEMA_COLUMNS: &[&str] = &["type", "name", "tbl_name", "rootpage", "sql"];

/// SQLite's text for its `sqlite_sequence` table (the engine keeps an IF NOT EXISTS form
/// that recovery can replay over an existing table).
const SQLITE_SEQUENCE_SQL: &str = "CREATE TABLE sqlite_sequence(name,seq)";

/// The rows of `sqlite_schema`.
pub(super) fn schema_rows(
    tables: &[Arc<TableDef>],
    views: &[Arc<ViewDef>],
    triggers: &[Arc<TriggerDef>],
) -> Vec<Row> {
    let mut tables: Vec<&Arc<TableDef>> = tables
        .iter()
        .filter(|table| !table.name.eq_ignore_ascii_case(HEADER_TABLE))
        .collect();
    tables.sort_by_key(|table| table.storage.id());
    let mut views: Vec<&Arc<ViewDef>> = views.iter().collect();
    views.sort_by_key(|view| view.created);
    let text = |s: &str| Value::Text(s.to_string());
    let mut rows = Vec::new();
    let mut page = 1i64;
    for table in tables {
        page += 1;
        let sql = if table.name.eq_ignore_ascii_case(SEQUENCE_TABLE) {
            SQLITE_SEQUENCE_SQL
        } else {
            &table.sql
        };
        rows.push(vec![
            text("table"),
            text(&table.name),
            text(&table.name),
            Value::Integer(page),
            text(sql),
        ]);
        // A WITHOUT ROWID table is its PRIMARY KEY's index: no row of its own.
        let key_is_table = table.is_without_rowid();
        for index in sqlite_indexes(table) {
            if key_is_table && index.origin == IndexOrigin::PrimaryKey {
                continue;
            }
            page += 1;
            rows.push(vec![
                text("index"),
                Value::Text(index.name),
                text(&table.name),
                Value::Integer(page),
                index.sql.map_or(Value::Null, Value::Text),
            ]);
        }
    }
    for view in views {
        rows.push(vec![
            text("view"),
            text(&view.name),
            text(&view.name),
            Value::Integer(0),
            text(&view.sql),
        ]);
    }
    let mut triggers: Vec<&Arc<TriggerDef>> = triggers.iter().collect();
    triggers.sort_by_key(|trigger| trigger.created);
    for trigger in triggers {
        rows.push(vec![
            text("trigger"),
            text(&trigger.name),
            text(&trigger.table),
            Value::Integer(0),
            text(&trigger.sql),
        ]);
    }
    rows
}
