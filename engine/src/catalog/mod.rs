//! The catalog: an immutable map of table definitions (each with its indexes), versioned.
//! The `Database` holds the current `Arc<Catalog>` in an `ArcSwap`: readers load it without
//! locks, and DDL builds a new catalog (under the DDL lock) and swaps it in.

mod schema;

use std::collections::HashMap;
use std::sync::Arc;

pub use schema::{ColumnDef, IndexDef, TableDef};

/// One immutable version of the schema.
#[derive(Clone, Default)]
pub struct Catalog {
    tables: HashMap<String, Arc<TableDef>>,
    version: u64,
}

/// Names are case-insensitive, as in SQL; the catalog keys them by lowercase.
pub fn normalize_name(name: &str) -> String {
    name.to_lowercase()
}

impl Catalog {
    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn table(&self, name: &str) -> Option<&Arc<TableDef>> {
        self.tables.get(&normalize_name(name))
    }

    /// Tables in name order.
    pub fn tables(&self) -> Vec<&Arc<TableDef>> {
        let mut tables: Vec<_> = self.tables.values().collect();
        tables.sort_by(|a, b| a.name.cmp(&b.name));
        tables
    }

    /// The table that has an index named `name`, if any (index names are unique per
    /// database, case-insensitively).
    pub fn index_table(&self, name: &str) -> Option<&Arc<TableDef>> {
        self.tables
            .values()
            .find(|table| table.index(name).is_some())
    }

    /// A new catalog with `table` added (or replaced).
    pub fn with_table(&self, table: TableDef) -> Catalog {
        let mut next = self.clone();
        next.tables
            .insert(normalize_name(&table.name), Arc::new(table));
        next.version += 1;
        next
    }

    /// A new catalog without the named table.
    pub fn without_table(&self, name: &str) -> Catalog {
        let mut next = self.clone();
        next.tables.remove(&normalize_name(name));
        next.version += 1;
        next
    }
}
