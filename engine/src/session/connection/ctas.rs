//! CREATE TABLE .. AS SELECT: creates the table, then runs `INSERT INTO table <query>` on
//! this connection, both in one transaction: the open one, or one of its own that commits
//! when both succeeded. So the statement is atomic, on a crash too: its table and rows are
//! logged in one record (`durability::commit_schema`). A failed insert undoes the table.
//! Its rows change none of the connection's change counters, as in SQLite.

use super::Connection;
use crate::error::Result;
use crate::exec;
use crate::plan::CreateTableAs;

impl Connection {
    /// Runs a bound CREATE TABLE .. AS SELECT; returns the rows inserted.
    pub(crate) fn create_table_as(&self, ctas: &CreateTableAs) -> Result<usize> {
        if !self.in_transaction() {
            self.begin(None)?;
            return match self.create_table_as(ctas) {
                Ok(rows) => self.commit().map(|()| rows),
                Err(error) => {
                    // Ends the transaction this statement began (it cannot fail here).
                    let _ = self.rollback();
                    Err(error)
                }
            };
        }
        let table = &ctas.table;
        let temporary = self.temp_ddl.get();
        let schema = match temporary {
            true => self.temp_host().catalog_now(),
            false => self.main_catalog(),
        };
        if table.if_not_exists && schema.object_kind(&table.name) == Some("table") {
            return Ok(0);
        }
        // `None`: the transaction's first schema change, all of which a failure undoes.
        let mark = self.staged.borrow().as_ref().map(|staged| staged.mark());
        self.change_schema(|host| exec::create_table(host, table))?;
        let quoted = format!("\"{}\"", table.name.replace('"', "\"\""));
        // `temp.` or `main.`: the table just made, whatever the other schema has.
        let schema_name = if temporary { "temp" } else { "main" };
        let insert = format!("INSERT INTO {schema_name}.{quoted} {}", ctas.query);
        // The insert's own statement: not a schema change of the temporary schema, and not
        // counted by `changes()`, `total_changes()` or `last_insert_rowid()` (SQLite's
        // CREATE TABLE .. AS SELECT counts no rows).
        let inserted = self
            .counters
            .uncounted(|| self.outside_temp_schema(|| self.execute(&insert, ())));
        match inserted {
            Ok(rows) => Ok(rows),
            Err(error) if temporary => {
                self.undo_temp_table(&table.name);
                Err(error)
            }
            Err(error) => {
                // Back to before the CREATE TABLE (the insert undid its own rows).
                if let Some(staged) = &*self.staged.borrow() {
                    staged.rollback_to(mark.as_ref());
                }
                Err(error)
            }
        }
    }
}
