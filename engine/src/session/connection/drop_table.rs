//! What DROP TABLE runs before the table goes, as SQLite does: with foreign keys enforced,
//! the implicit `DELETE FROM parent` (`foreign_keys::implicit_delete`), and for an
//! AUTOINCREMENT table, the deletion of its `sqlite_sequence` row (so a table created again
//! under the name starts its keys at 1). Both run in the open transaction, or in their own.
//! The connection's temporary triggers on the dropped `main` table go too.
//! And where ALTER TABLE DROP COLUMN copies the rows: inside an explicit transaction, in
//! that transaction (`exec/schema/drop_column.rs`). And what `ALTER TABLE ..
//! SET (ttl = ..)` giving a table its first ttl needs at execution: the transaction's
//! time, written in as `ttl_from`. And after a `main` table's RENAME COLUMN, the rewritten
//! temporary views and triggers that read it. And what SQLite lets ADD COLUMN do only to an
//! empty table: add a NOT NULL column whose DEFAULT is NULL, or (with foreign keys
//! enforced) a column under a REFERENCES constraint whose DEFAULT is not NULL (the rows
//! already there would hold a NULL, or name a parent no one checked). And RENAME TO of an
//! AUTOINCREMENT table renames its `sqlite_sequence` row, as SQLite does.

use crate::catalog::SEQUENCE_TABLE;
use crate::error::Result;
use crate::plan::AlterTable;

use super::{Connection, TransactionState};

impl Connection {
    pub(super) fn before_drop_table(&self, name: &str) -> Result<()> {
        crate::session::foreign_keys::before_drop_table(self, name)?;
        // The schema the DROP is of: the temporary one inside a `Plan::Temp`.
        let (catalog, schema) = match self.temp_ddl.get() {
            true => (self.temp_catalog().unwrap_or_default(), "temp"),
            false => (self.main_catalog(), "main"),
        };
        let Some(table) = catalog.table(name) else {
            return Ok(());
        };
        if !self.temp_ddl.get() {
            self.drop_temp_triggers_on(name)?;
        }
        if !table.autoincrement || catalog.table(SEQUENCE_TABLE).is_none() {
            return Ok(());
        }
        let quoted = table.name.replace('\'', "''");
        let delete = format!("DELETE FROM {schema}.{SEQUENCE_TABLE} WHERE name = '{quoted}'");
        // Not a statement of the user's: `changes()` keeps reading the last one.
        self.counters.uncounted(|| self.execute(&delete, ()))?;
        Ok(())
    }

    /// Drops the temporary triggers on the `main` table `name`, which go with it, as in
    /// SQLite.
    fn drop_temp_triggers_on(&self, name: &str) -> Result<()> {
        let Some(temp) = self.temp_catalog() else {
            return Ok(());
        };
        let on_table: Vec<String> = temp
            .triggers()
            .iter()
            .filter(|trigger| !trigger.on_temporary && trigger.table.eq_ignore_ascii_case(name))
            .map(|trigger| trigger.name.replace('"', "\"\""))
            .collect();
        for trigger in on_table {
            let drop = format!("DROP TRIGGER temp.\"{trigger}\"");
            self.counters.uncounted(|| self.execute(&drop, ()))?;
        }
        Ok(())
    }

    pub(super) fn alter_table(&self, alter: &AlterTable) -> Result<()> {
        self.check_added_column(alter)?;
        let in_transaction = matches!(&*self.state.borrow(), TransactionState::Explicit(_));
        if alter.dropped.is_some() && in_transaction {
            self.change_schema(|host| match &mut *self.state.borrow_mut() {
                TransactionState::Explicit(txn) => crate::exec::alter_table_in(host, alter, txn),
                _ => Err(crate::err!(
                    Internal,
                    "the transaction ended inside ALTER TABLE"
                )),
            })?;
            return self.after_alter_table(alter);
        }
        if alter.ttl_from_pending {
            // A first ttl: the rows already there count from now (the transaction's time).
            let stamped = alter.with_ttl_from(self.time.now_ms())?;
            return self.change_schema(|host| crate::exec::alter_table(host, &stamped));
        }
        self.change_schema(|host| crate::exec::alter_table(host, alter))?;
        self.after_alter_table(alter)
    }

    /// What follows a change of a table's definition: its `sqlite_sequence` row renamed, the
    /// temporary schema over it rewritten.
    fn after_alter_table(&self, alter: &AlterTable) -> Result<()> {
        self.rename_sequence_row(alter)?;
        if alter.rewrites_temp_schema() {
            self.open_temp_schema();
        }
        // The connection's temporary views and triggers over the renamed `main` column.
        let (views, triggers) = &alter.temp_objects;
        if views.is_empty() && triggers.is_empty() {
            return Ok(());
        }
        self.in_temp_schema(|| {
            self.change_schema(|host| crate::exec::replace_rewritten(host, views, triggers))
        })
    }
}

impl Connection {
    /// Refuses ADD COLUMN of a NOT NULL column defaulting to NULL, or of a REFERENCES column
    /// with another default under enforced foreign keys, to a table that holds a row.
    fn check_added_column(&self, alter: &AlterTable) -> Result<()> {
        let (Some((_, missing)), Some(column)) = (&alter.added, alter.after.columns.last()) else {
            return Ok(());
        };
        let added = alter.after.columns.len() - 1;
        let referenced =
            (alter.after.constraints.foreign_keys.iter()).any(|key| key.columns.contains(&added));
        let refusal = if column.not_null && missing.is_null() {
            "Cannot add a NOT NULL column with default value NULL"
        } else if referenced && !missing.is_null() && self.foreign_keys.get() {
            "Cannot add a REFERENCES column with non-NULL default value"
        } else {
            return Ok(());
        };
        let name = &alter.before.name;
        let catalog = self.catalog();
        let temp = (catalog.temp_schema().table(name))
            .is_some_and(|table| table.storage.id() == alter.before.storage.id());
        let schema = if temp { "temp" } else { "main" };
        let sql = format!(
            "SELECT 1 FROM {schema}.\"{}\" LIMIT 1",
            name.replace('"', "\"\"")
        );
        if self.query(&sql, ())?.is_empty() {
            return Ok(());
        }
        Err(crate::err!(Constraint, "{refusal}"))
    }
}

impl Connection {
    /// After RENAME TO of an AUTOINCREMENT table: its `sqlite_sequence` row takes the new
    /// name (in the same transaction), so its keys go on above every key it held.
    fn rename_sequence_row(&self, alter: &AlterTable) -> Result<()> {
        let (before, after) = (&alter.before, &alter.after);
        if !before.autoincrement || before.name == after.name {
            return Ok(());
        }
        let (catalog, schema) = match self.temp_ddl.get() {
            true => (self.temp_catalog().unwrap_or_default(), "temp"),
            false => (self.main_catalog(), "main"),
        };
        if catalog.table(SEQUENCE_TABLE).is_none() {
            return Ok(());
        }
        let (old, new) = (
            before.name.replace('\'', "''"),
            after.name.replace('\'', "''"),
        );
        let update =
            format!("UPDATE {schema}.{SEQUENCE_TABLE} SET name = '{new}' WHERE name = '{old}'");
        // Not a statement of the user's: `changes()` keeps reading the last one.
        self.counters.uncounted(|| self.execute(&update, ()))?;
        Ok(())
    }
}
