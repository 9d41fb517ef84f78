//! CREATE TABLE .. AS SELECT: creates the table (logged like any CREATE TABLE), then runs
//! `INSERT INTO table <query>` on this connection, in the open transaction or its own one.
//! When the insert fails the table is dropped again, so a failed statement leaves nothing
//! behind. (DDL is not transactional: a crash between the two leaves the table empty.)

use super::Connection;
use crate::error::Result;
use crate::exec;
use crate::plan::CreateTableAs;

impl Connection {
    /// Runs a bound CREATE TABLE .. AS SELECT; returns the rows inserted.
    pub(crate) fn create_table_as(&self, ctas: &CreateTableAs) -> Result<usize> {
        let table = &ctas.table;
        if table.if_not_exists && self.db.catalog().object_kind(&table.name) == Some("table") {
            return Ok(0);
        }
        exec::create_table(&*self.db.shared, table)?;
        let quoted = format!("\"{}\"", table.name.replace('"', "\"\""));
        let insert = format!("INSERT INTO {quoted} {}", ctas.query);
        match self.execute(&insert, ()) {
            Ok(rows) => Ok(rows),
            Err(error) => {
                // Only this statement's table: dropping it changes nothing else.
                let _ = exec::drop_table(&*self.db.shared, &table.name, true);
                Err(error)
            }
        }
    }
}
