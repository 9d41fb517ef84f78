//! ALTER TABLE, bound: the table as the binder saw it and as it will be (columns, stored
//! text, index definitions), plus the storage change an ADD or DROP COLUMN makes.

use std::sync::Arc;

use ember_storage::{DataType, Value};

use crate::catalog::{TableDef, TriggerDef, ViewDef};

/// ALTER TABLE .. ADD COLUMN / DROP COLUMN / RENAME COLUMN / RENAME TO.
pub struct AlterTable {
    /// The table the statement was bound against; the change applies only while it is
    /// still the current definition.
    pub before: Arc<TableDef>,
    /// The definition after the change (same storage table).
    pub after: TableDef,
    /// For ADD COLUMN: the new column's storage type and the value rows already written
    /// read for it (its DEFAULT, coerced to the column's type).
    pub added: Option<(DataType, Value)>,
    /// For DROP COLUMN: the dropped column's position in `before`. The rows are copied into
    /// a new storage table without it (`exec/schema/drop_column.rs`); `after.storage` and its
    /// indexes' storage are replaced then.
    pub dropped: Option<usize>,
    /// `SET (ttl = ..)` gives a table its first ttl without `ttl_from`: the statement's
    /// time goes in at execution (`with_ttl_from`), as the rows already there count from it.
    pub ttl_from_pending: bool,
    /// Views rewritten to name the table's new name (RENAME TO) or the column's (RENAME
    /// COLUMN), replacing their old definitions.
    pub views: Vec<ViewDef>,
    /// Triggers rewritten to name the column's new name (RENAME COLUMN).
    pub triggers: Vec<TriggerDef>,
    /// For RENAME COLUMN of a `main` table: the connection's temporary views and triggers
    /// that read the column, rewritten (the connection replaces them after the change).
    pub temp_objects: (Vec<ViewDef>, Vec<TriggerDef>),
    /// Tables whose foreign keys reference the renamed column (RENAME COLUMN): each as the
    /// binder saw it and with the key renamed (same storage).
    pub referencing: Vec<(Arc<TableDef>, TableDef)>,
    /// The statement's text, logged for recovery.
    pub sql: String,
}

impl AlterTable {
    /// Whether SQLite's statement rewrites `sqlite_temp_schema` too (which opens the
    /// connection's temporary schema): RENAME TO, RENAME COLUMN and DROP COLUMN do; ADD
    /// COLUMN and `SET (..)` do not.
    pub fn rewrites_temp_schema(&self) -> bool {
        let renamed_table = self.before.name != self.after.name;
        let renamed_column = (self.before.columns.iter())
            .zip(&self.after.columns)
            .any(|(before, after)| before.name != after.name);
        self.dropped.is_some() || renamed_table || renamed_column
    }

    /// This pending `SET (ttl = ..)` with `ttl_from = from_ms` written in (its stored and
    /// logged text and the write time the rows already there read), so that replay and
    /// checkpoints restore the same times.
    pub fn with_ttl_from(&self, from_ms: i64) -> crate::error::Result<AlterTable> {
        debug_assert!(self.ttl_from_pending);
        let entry = || sqlparser::ast::SqlOption::KeyValue {
            key: sqlparser::ast::Ident::new("ttl_from"),
            value: sqlparser::ast::Expr::value(sqlparser::ast::Value::Number(
                from_ms.to_string(),
                false,
            )),
        };
        let mut after = self.after.clone();
        after.sql = crate::catalog::rewrite_create_table(&after.sql, |create| {
            if let sqlparser::ast::CreateTableOptions::With(entries) = &mut create.table_options {
                entries.push(entry());
            }
        })?;
        after.options.ttl_from_ms = Some(from_ms);
        let mut statement = crate::catalog::parse_one(&self.sql)?;
        if let sqlparser::ast::Statement::AlterTable(alter) = &mut statement {
            for operation in &mut alter.operations {
                if let sqlparser::ast::AlterTableOperation::SetOptionsParens { options } = operation
                {
                    options.push(entry());
                }
            }
        }
        Ok(AlterTable {
            before: Arc::clone(&self.before),
            after,
            added: Some((DataType::Integer, Value::Integer(from_ms))),
            dropped: self.dropped,
            ttl_from_pending: false,
            views: self.views.clone(),
            triggers: self.triggers.clone(),
            temp_objects: self.temp_objects.clone(),
            referencing: self.referencing.clone(),
            sql: statement.to_string(),
        })
    }
}
