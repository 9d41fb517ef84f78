//! What DROP TABLE runs before the table goes, as SQLite does: with foreign keys enforced,
//! the implicit `DELETE FROM parent` (`foreign_keys::implicit_delete`), and for an
//! AUTOINCREMENT table, the deletion of its `sqlite_sequence` row (so a table created again
//! under the name starts its keys at 1). Both run in the open transaction, or in their own.

use crate::catalog::SEQUENCE_TABLE;
use crate::error::Result;

use super::Connection;

impl Connection {
    pub(super) fn before_drop_table(&self, name: &str) -> Result<()> {
        crate::session::foreign_keys::before_drop_table(self, name)?;
        let catalog = self.database().catalog();
        let Some(table) = catalog.table(name) else {
            return Ok(());
        };
        if !table.autoincrement || catalog.table(SEQUENCE_TABLE).is_none() {
            return Ok(());
        }
        let quoted = table.name.replace('\'', "''");
        let delete = format!("DELETE FROM {SEQUENCE_TABLE} WHERE name = '{quoted}'");
        // Not a statement of the user's: `changes()` keeps reading the last one.
        self.counters.uncounted(|| self.execute(&delete, ()))?;
        Ok(())
    }
}
