//! The catalog: an immutable map of table definitions (each with its indexes) and views,
//! versioned.
//! The `Database` holds the current `Arc<Catalog>` in an `ArcSwap`: readers load it without
//! locks, and DDL builds a new catalog (under the DDL lock) and swaps it in.
//! A connection with temporary objects binds against the database's catalog overlaid with
//! its own temporary one (`with_temp`): names find the temporary object first, as in SQLite.

mod column_rename;
mod column_rename_text;
mod constraint;
mod foreign_key_check;
mod generated;
mod implicit_rowid;
mod index_keys;
mod options;
mod partial_index;
mod schema;
mod sql_rewrite;
mod sqlite_indexes;
mod trigger;
mod trigger_rename;
mod view;

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::Result;

pub use column_rename::ColumnRename;
pub use column_rename_text::column_renamed_in_place;
pub use constraint::{
    CheckDef, ConflictClauses, ForeignKeyAction, ForeignKeyDef, TableConstraints,
};
pub use foreign_key_check::{check_query, schema_holding, violations, FOREIGN_KEY_CHECK_COLUMNS};
pub use generated::generated_order;
pub use implicit_rowid::{marks_implicit_rowid, IMPLICIT_ROWID_COLUMN, IMPLICIT_ROWID_MARK};
pub use index_keys::{column_part, IndexKeys};
pub use options::{
    bind_table_options, merge_set_options, parse_duration_ms, parse_size_bytes, OnFull,
    TableOptions,
};
pub use partial_index::IndexPredicate;
pub use schema::{
    ColumnDef, GeneratedColumn, IndexDef, StrictColumn, TableDef, HEADER_TABLE, HEADER_TABLE_SQL,
    SEQUENCE_TABLE, SEQUENCE_TABLE_SQL, WRITE_TIME_COLUMN,
};
pub use sql_rewrite::{
    parse_one, rename_column_in_expr, rename_key_column, rename_table_in_index,
    rename_table_in_view, renamed_in_text, rewrite_create_index, rewrite_create_table,
    splice_added_column,
};
pub use sqlite_indexes::{sqlite_indexes, IndexKeyColumn, IndexOrigin, SqliteIndex};
pub use trigger::{TriggerDef, TriggerEventKind, TriggerTiming};
pub use trigger_rename::rename_table_in_trigger_text;
pub use view::ViewDef;

/// One immutable version of the schema.
#[derive(Clone, Default)]
pub struct Catalog {
    tables: HashMap<String, Arc<TableDef>>,
    views: HashMap<String, Arc<ViewDef>>,
    triggers: HashMap<String, Arc<TriggerDef>>,
    /// The functions the application registered (not stored: they live with the process).
    functions: Arc<crate::expr::UserFunctions>,
    version: u64,
    /// A connection's temporary objects over this (the `main`) catalog (`with_temp`).
    temp: Option<Arc<Catalog>>,
    /// The `main` catalog alone, in a catalog made by `with_temp`.
    main: Option<Arc<Catalog>>,
}

/// The catalog of no objects: the temporary schema of a connection that has none.
fn empty_catalog() -> &'static Catalog {
    static EMPTY: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();
    EMPTY.get_or_init(Catalog::default)
}

/// Names are case-insensitive, as in SQL; the catalog keys them by lowercase.
pub fn normalize_name(name: &str) -> String {
    name.to_lowercase()
}

impl Catalog {
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The table named `name`: the temporary one when the connection has one of that
    /// name, else the `main` one (unless a temporary view of the name shadows it).
    pub fn table(&self, name: &str) -> Option<&Arc<TableDef>> {
        let key = normalize_name(name);
        if let Some(temp) = &self.temp {
            if let Some(table) = temp.tables.get(&key) {
                return Some(table);
            }
            if temp.views.contains_key(&key) {
                return None;
            }
        }
        self.tables.get(&key)
    }

    /// The table named `name` in the `main` schema (`main.name`), a temporary one aside.
    pub fn main_table(&self, name: &str) -> Option<&Arc<TableDef>> {
        self.tables.get(&normalize_name(name))
    }

    /// The connection's temporary objects (`temp.name`), when it has any.
    pub fn temp(&self) -> Option<&Arc<Catalog>> {
        self.temp.as_ref()
    }

    /// The `main` schema alone (what `main.name` reaches).
    pub fn main_schema(&self) -> &Catalog {
        self.main.as_deref().unwrap_or(self)
    }

    /// The temporary schema alone (what `temp.name` reaches), empty when there is none.
    pub fn temp_schema(&self) -> &Catalog {
        self.temp.as_deref().unwrap_or_else(|| empty_catalog())
    }

    /// Whether `name` names a temporary table or view (which shadows a `main` one).
    pub fn is_temp_object(&self, name: &str) -> bool {
        self.temp
            .as_ref()
            .is_some_and(|temp| temp.table(name).is_some() || temp.view(name).is_some())
    }

    /// This (`main`) catalog with `temp`'s objects over it, for one connection's statements.
    /// Its version is the sum of both: each only grows, so a plan bound against an earlier
    /// state of either never matches a later one.
    pub fn with_temp(self: &Arc<Catalog>, temp: Arc<Catalog>) -> Catalog {
        debug_assert!(self.temp.is_none() && temp.temp.is_none());
        let mut merged = Catalog::clone(self);
        merged.version = self.version + temp.version;
        merged.temp = Some(temp);
        merged.main = Some(Arc::clone(self));
        merged
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
        if let Some(table) = self.temp.as_ref().and_then(|temp| temp.index_table(name)) {
            return Some(table);
        }
        self.tables
            .values()
            .find(|table| table.index(name).is_some())
    }

    /// What kind of object (`"table"`, `"view"` or `"index"`) holds `name`, if any: the
    /// three share one name space, as in SQLite.
    pub fn object_kind(&self, name: &str) -> Option<&'static str> {
        if self.table(name).is_some() {
            Some("table")
        } else if self.view(name).is_some() {
            Some("view")
        } else if self.index_table(name).is_some() {
            Some("index")
        } else {
            None
        }
    }

    /// The `AlreadyExists` error for creating a `kind` named `name`, or `Ok(true)` when an
    /// object of that kind exists and `if_not_exists` makes the CREATE a no-op.
    pub fn check_new_name(&self, kind: &str, name: &str, if_not_exists: bool) -> Result<bool> {
        match self.object_kind(name) {
            None => Ok(false),
            Some(existing) if existing == kind && if_not_exists => Ok(true),
            Some(existing) => Err(crate::err!(
                AlreadyExists,
                "{existing} {name} already exists"
            )),
        }
    }

    /// A new catalog with `table` added (or replaced).
    pub fn with_table(&self, table: TableDef) -> Catalog {
        let mut next = self.clone();
        next.tables
            .insert(normalize_name(&table.name), Arc::new(table));
        next.version += 1;
        next
    }

    /// The view named `name`, a temporary one first (as `table`: a temporary table of
    /// the name shadows a `main` view).
    pub fn view(&self, name: &str) -> Option<&Arc<ViewDef>> {
        let key = normalize_name(name);
        if let Some(temp) = &self.temp {
            if let Some(view) = temp.views.get(&key) {
                return Some(view);
            }
            if temp.tables.contains_key(&key) {
                return None;
            }
        }
        self.views.get(&key)
    }

    /// Views in creation order.
    pub fn views(&self) -> Vec<&Arc<ViewDef>> {
        let mut views: Vec<_> = self.views.values().collect();
        views.sort_by_key(|view| view.created);
        views
    }

    /// A new catalog with `view` added; its `created` is set to the new version.
    pub fn with_view(&self, mut view: ViewDef) -> Catalog {
        let mut next = self.clone();
        next.version += 1;
        view.created = next.version;
        next.views
            .insert(normalize_name(&view.name), Arc::new(view));
        next
    }

    /// A new catalog with `view` in place of the view of its name, in the same creation
    /// order (ALTER TABLE .. RENAME TO rewrites the views over the table).
    pub fn with_view_replaced(&self, view: ViewDef) -> Catalog {
        let mut next = self.clone();
        next.views
            .insert(normalize_name(&view.name), Arc::new(view));
        next.version += 1;
        next
    }

    /// A new catalog without the named view.
    pub fn without_view(&self, name: &str) -> Catalog {
        let mut next = self.clone();
        next.views.remove(&normalize_name(name));
        next.version += 1;
        next
    }

    /// The functions the application registered with this database.
    pub fn user_functions(&self) -> &crate::expr::UserFunctions {
        &self.functions
    }

    /// A new catalog with `functions` as the registered functions (a new version, so plans
    /// bound before bind again and see them).
    pub fn with_user_functions(&self, functions: crate::expr::UserFunctions) -> Catalog {
        let mut next = self.clone();
        next.functions = Arc::new(functions);
        next.version += 1;
        next
    }

    /// This catalog as version `version`: a transaction's schema change undone goes back
    /// to an earlier catalog under a version past every one the change used, so no plan
    /// bound against the undone schema is taken for current.
    pub(crate) fn renumbered(&self, version: u64) -> Catalog {
        debug_assert!(version >= self.version);
        let mut next = self.clone();
        next.version = version;
        next
    }

    /// This catalog with `other`'s registered functions (registering does not wait for a
    /// transaction's staged schema changes, which are published over the catalog it made).
    pub(crate) fn with_functions_of(&self, other: &Catalog) -> Catalog {
        let mut next = self.clone();
        next.functions = Arc::clone(&other.functions);
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

/// Triggers (`trigger.rs`): a name space of their own, as in SQLite.
impl Catalog {
    pub fn trigger(&self, name: &str) -> Option<&Arc<TriggerDef>> {
        self.triggers.get(&normalize_name(name))
    }

    /// Whether any trigger exists, temporary ones included (statements look for the ones
    /// on their table only then).
    pub fn has_triggers(&self) -> bool {
        !self.triggers.is_empty() || self.temp.as_ref().is_some_and(|temp| temp.has_triggers())
    }

    /// Triggers of this schema in creation order (of `main` for a connection's catalog;
    /// `temp_schema().triggers()` lists the temporary ones).
    pub fn triggers(&self) -> Vec<&Arc<TriggerDef>> {
        let mut triggers: Vec<_> = self.triggers.values().collect();
        triggers.sort_by_key(|trigger| trigger.created);
        triggers
    }

    /// The triggers on the table or view named `name` (the temporary one when one has the
    /// name), in the order `fired_on` gives.
    pub fn triggers_on(&self, name: &str) -> Vec<&Arc<TriggerDef>> {
        self.fired_on(name, self.is_temp_object(name))
    }

    /// Whether deleting a row of `table` runs nothing beside the delete itself: no DELETE
    /// trigger on it and no foreign key of any table referencing it (whether `PRAGMA
    /// foreign_keys` is on is a connection setting, so any referencing key counts).
    pub fn deletes_run_nothing_per_row(&self, table: &TableDef) -> bool {
        let delete_trigger = self.has_triggers()
            && self
                .triggers_of(table)
                .iter()
                .any(|trigger| trigger.event == TriggerEventKind::Delete);
        if delete_trigger {
            return false;
        }
        !self.tables().iter().any(|child| {
            child
                .constraints
                .foreign_keys
                .iter()
                .any(|key| key.parent.eq_ignore_ascii_case(&table.name))
        })
    }

    /// The triggers on `table` (a `main` table even when a temporary table of its name
    /// shadows it, as `main.t` reaches it), in the order `fired_on` gives.
    pub fn triggers_of(&self, table: &TableDef) -> Vec<&Arc<TriggerDef>> {
        let temporary = self.temp.as_ref().is_some_and(|temp| {
            temp.tables
                .get(&normalize_name(&table.name))
                .is_some_and(|temp_table| temp_table.storage.id() == table.storage.id())
        });
        self.fired_on(&table.name, temporary)
    }

    /// The triggers on the object `name` of the temporary schema (`temporary`) or of
    /// `main`: `main`'s in creation order, then the temporary ones newest first, so that
    /// read backwards (as triggers fire, newest first) the temporary ones fire first, in
    /// creation order, as SQLite fires them.
    fn fired_on(&self, name: &str, temporary: bool) -> Vec<&Arc<TriggerDef>> {
        let mut triggers = if temporary {
            Vec::new()
        } else {
            self.main_schema().triggers()
        };
        triggers.retain(|trigger| trigger.table.eq_ignore_ascii_case(name));
        let mut temp_triggers = self.temp_schema().triggers();
        temp_triggers.retain(|trigger| {
            trigger.on_temporary == temporary && trigger.table.eq_ignore_ascii_case(name)
        });
        triggers.extend(temp_triggers.into_iter().rev());
        triggers
    }

    /// A new catalog with `trigger` added; its `created` is set to the new version.
    pub fn with_trigger(&self, mut trigger: TriggerDef) -> Catalog {
        let mut next = self.clone();
        next.version += 1;
        trigger.created = next.version;
        next.triggers
            .insert(normalize_name(&trigger.name), Arc::new(trigger));
        next
    }

    /// A new catalog with `trigger` in place of the trigger of its name, in the same
    /// creation order (ALTER TABLE .. RENAME COLUMN rewrites the triggers naming it).
    pub fn with_trigger_replaced(&self, trigger: TriggerDef) -> Catalog {
        let mut next = self.clone();
        next.triggers
            .insert(normalize_name(&trigger.name), Arc::new(trigger));
        next.version += 1;
        next
    }

    /// A new catalog without the triggers on `table` of this schema (dropped with it): a
    /// temporary trigger on a `main` table of the name is not on it.
    pub fn without_triggers_on(&self, table: &str) -> Catalog {
        let mut next = self.clone();
        next.triggers.retain(|_, trigger| {
            !trigger.table.eq_ignore_ascii_case(table) || trigger.temporary != trigger.on_temporary
        });
        next.version += 1;
        next
    }

    /// A new catalog without the named trigger.
    pub fn without_trigger(&self, name: &str) -> Catalog {
        let mut next = self.clone();
        next.triggers.remove(&normalize_name(name));
        next.version += 1;
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(name: &str, value: i64) -> ViewDef {
        let sqlparser::ast::Statement::Query(query) =
            parse_one(&format!("SELECT {value}")).expect("a query")
        else {
            panic!("not a query");
        };
        ViewDef {
            name: name.to_string(),
            columns: Vec::new(),
            query: *query,
            sql: format!("CREATE VIEW {name} AS SELECT {value}"),
            created: 0,
        }
    }

    fn value_of(view: &ViewDef) -> String {
        view.query.to_string()
    }

    #[test]
    fn the_temp_overlay_shadows_main_and_each_schema_stays_reachable() {
        let main = Arc::new(
            Catalog::default()
                .with_view(view("v", 1))
                .with_view(view("m", 2)),
        );
        let temp = Arc::new(Catalog::default().with_view(view("V", 3)));
        let merged = main.with_temp(Arc::clone(&temp));
        assert_eq!(value_of(merged.view("v").unwrap()), "SELECT 3");
        assert_eq!(value_of(merged.view("m").unwrap()), "SELECT 2");
        assert_eq!(
            value_of(merged.main_schema().view("v").unwrap()),
            "SELECT 1"
        );
        assert_eq!(
            value_of(merged.temp_schema().view("v").unwrap()),
            "SELECT 3"
        );
        assert!(merged.temp_schema().view("m").is_none());
        assert!(merged.is_temp_object("V") && !merged.is_temp_object("m"));
        // Listing stays per schema: `sqlite_schema` shows main's views only.
        assert_eq!(merged.views().len(), 2);
        assert!(main.temp_schema().views().is_empty());
        // The version grows with either catalog.
        assert_eq!(merged.version(), main.version() + temp.version());
        let grown = Arc::new(temp.with_view(view("w", 4)));
        assert!(main.with_temp(grown).version() > merged.version());
    }

    fn trigger(name: &str, temporary: bool, on_temporary: bool) -> TriggerDef {
        TriggerDef {
            name: name.to_string(),
            table: "x".to_string(),
            timing: TriggerTiming::After,
            event: TriggerEventKind::Insert,
            update_of: Vec::new(),
            when: None,
            body: "SELECT 1;".to_string(),
            sql: String::new(),
            created: 0,
            temporary,
            on_temporary,
        }
    }

    fn names(triggers: Vec<&Arc<TriggerDef>>) -> Vec<&str> {
        triggers
            .iter()
            .map(|trigger| trigger.name.as_str())
            .collect()
    }

    #[test]
    fn temporary_triggers_fire_first_in_creation_order_on_the_object_they_are_on() {
        let main = Arc::new(
            Catalog::default()
                .with_view(view("x", 1))
                .with_trigger(trigger("m1", false, false))
                .with_trigger(trigger("m2", false, false)),
        );
        let temp = Catalog::default()
            .with_trigger(trigger("t1", true, false))
            .with_trigger(trigger("t2", true, false))
            .with_trigger(trigger("t3", true, true));
        let merged = main.with_temp(Arc::new(temp.clone()));
        assert!(merged.has_triggers() && !Catalog::default().has_triggers());
        // Read backwards, as triggers fire: t1, t2, then main's newest first.
        assert_eq!(names(merged.triggers_on("x")), ["m1", "m2", "t2", "t1"]);
        // A temporary x shadows main x: its own trigger only.
        let shadowing = main.with_temp(Arc::new(temp.with_view(view("X", 2))));
        assert_eq!(names(shadowing.triggers_on("x")), ["t3"]);
        // Dropping the temporary x drops its trigger, not those on main x.
        let dropped = temp.without_triggers_on("x");
        assert_eq!(names(dropped.triggers()), ["t1", "t2"]);
    }
}
