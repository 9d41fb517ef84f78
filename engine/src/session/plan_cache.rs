//! The per-connection cache of prepared plans, keyed by SQL text. Bounded
//! (`limits::PLAN_CACHE_ENTRIES_MAX`); when full, the least recently used entry is evicted. Every
//! entry remembers the catalog version it was bound against, and a lookup that finds an entry from
//! an older catalog drops it, so DDL (CREATE/DROP TABLE, CREATE INDEX) makes the next use re-plan;
//! the first lookup under a new version drops every entry of another (their plans hold storage
//! tables a truncate or DROP TABLE replaced). The entry hit last is remembered apart, so running
//! one statement over and over compares its text once instead of hashing it.

use std::collections::HashMap;
use std::sync::Arc;

use crate::fast_hash::FastBuildHasher;
use crate::limits::{PLAN_CACHE_ENTRIES_MAX, PLAN_CACHE_SQL_BYTES_MAX};
use crate::plan::Plan;

/// A statement parsed, bound and optimized once, ready to run many times.
pub(crate) struct Prepared {
    pub(crate) plan: Plan,
    /// Number of parameter slots (`?`, `?N`, `$N`) the plan reads.
    pub(crate) parameter_count: usize,
    /// The name of each parameter slot (`:id`, `?3`); `None` for slots only `?` uses.
    pub(crate) parameter_names: Arc<[Option<Box<str>>]>,
    /// The catalog version the plan was bound against.
    pub(crate) catalog_version: u64,
    /// The connection's `PRAGMA case_sensitive_like` when the plan was bound (its LIKEs
    /// are of that kind): a plan bound under the other setting is stale.
    pub(crate) case_sensitive_like: bool,
    /// Output column names (empty for statements that return no rows), shared by every
    /// result so running the plan does not copy them.
    pub(crate) columns: Arc<[String]>,
}

impl Prepared {
    /// Binds and plans one parsed statement against `catalog`; `creation_text` is the
    /// text SQLite keeps for it when it is a CREATE TABLE, INDEX or VIEW
    /// (`Parsed::creation_text`); `database_file` what `pragma_database_list` names;
    /// `case_sensitive_like` the connection's setting.
    /// Whether the plan is still the one `sql` binds to: bound against `catalog_version`,
    /// with LIKE as the connection's `case_sensitive_like` makes it.
    pub(crate) fn is_current(&self, catalog_version: u64, case_sensitive_like: bool) -> bool {
        self.catalog_version == catalog_version && self.case_sensitive_like == case_sensitive_like
    }

    pub(crate) fn bind(
        catalog: &crate::catalog::Catalog,
        statement: &sqlparser::ast::Statement,
        creation_text: Option<&str>,
        database_file: &str,
        case_sensitive_like: bool,
    ) -> crate::error::Result<Prepared> {
        let mut binder = crate::bind::Binder::new(catalog);
        binder.set_creation_text(creation_text);
        binder.set_database_file(database_file);
        binder.set_case_sensitive_like(case_sensitive_like);
        let parameter_names = binder.number_parameters(statement)?.into();
        let mut plan = binder.bind_statement(statement)?;
        crate::optimize::optimize_statement(&mut plan, catalog)?;
        let columns: Arc<[String]> = match &plan {
            Plan::Query(query) => query.columns.clone().into(),
            Plan::Explain(_) | Plan::ExplainAnalyze(_) => Arc::from(vec!["plan".to_string()]),
            Plan::Pragma(pragma) => crate::durability::pragma_columns(pragma).into(),
            _ => match plan.returning() {
                Some(returning) => returning.columns.clone().into(),
                None => Arc::from(Vec::new()),
            },
        };
        Ok(Prepared {
            parameter_count: binder.parameter_count,
            parameter_names,
            catalog_version: catalog.version(),
            case_sensitive_like,
            plan,
            columns,
        })
    }
}

/// The expressions of a RETURNING clause (none without one).
struct Entry {
    prepared: Arc<Prepared>,
    last_used: u64,
}

/// SQL text -> prepared plan, least-recently-used eviction.
pub(crate) struct PlanCache {
    entries: HashMap<String, Entry, FastBuildHasher>,
    /// The SQL text and plan of the last hit or insert (also in `entries`); it counts as
    /// the most recently used entry.
    last: Option<(String, Arc<Prepared>)>,
    /// Advances on every hit or insert; entries remember when they were last used.
    clock: u64,
    capacity: usize,
    /// The catalog version of the last lookup: a lookup under another drops every entry
    /// bound against any other version (a plan holds its tables' storage, which a truncate
    /// or DROP TABLE means to free).
    catalog_version: u64,
}

impl Default for PlanCache {
    fn default() -> PlanCache {
        PlanCache::with_capacity(PLAN_CACHE_ENTRIES_MAX)
    }
}

impl PlanCache {
    pub(crate) fn with_capacity(capacity: usize) -> PlanCache {
        PlanCache {
            entries: HashMap::default(),
            last: None,
            clock: 0,
            capacity,
            catalog_version: 0,
        }
    }

    /// The plan of the last hit or insert, if it is `sql`'s and still current (bound
    /// against `catalog_version`, LIKE as `case_sensitive_like` says): lent, not cloned (a
    /// statement run over and over touches no reference count).
    pub(crate) fn last_hit(
        &self,
        sql: &str,
        (catalog_version, case_sensitive_like): (u64, bool),
    ) -> Option<&Arc<Prepared>> {
        let (last_sql, prepared) = self.last.as_ref()?;
        let current = prepared.is_current(catalog_version, case_sensitive_like);
        (last_sql == sql && current).then_some(prepared)
    }

    /// The cached plan for `sql` if it was bound against `catalog_version` with LIKE as
    /// `case_sensitive_like` says. A plan from an older catalog is removed; one bound
    /// under the other LIKE is left for `insert` to replace.
    pub(crate) fn get(
        &mut self,
        sql: &str,
        (catalog_version, case_sensitive_like): (u64, bool),
    ) -> Option<Arc<Prepared>> {
        if let Some(prepared) = self.last_hit(sql, (catalog_version, case_sensitive_like)) {
            return Some(prepared.clone());
        }
        self.forget_other_versions(catalog_version);
        let entry = self.entries.get_mut(sql)?;
        if entry.prepared.case_sensitive_like != case_sensitive_like {
            return None;
        }
        if entry.prepared.catalog_version != catalog_version {
            self.entries.remove(sql);
            if self
                .last
                .as_ref()
                .is_some_and(|(last_sql, _)| last_sql == sql)
            {
                self.last = None;
            }
            return None;
        }
        self.clock += 1;
        entry.last_used = self.clock;
        let prepared = entry.prepared.clone();
        self.remember(sql, &prepared);
        Some(prepared)
    }

    /// Makes `sql` the remembered last entry (reusing the text buffer of the previous one).
    fn remember(&mut self, sql: &str, prepared: &Arc<Prepared>) {
        let mut text = self.last.take().map(|(text, _)| text).unwrap_or_default();
        text.clear();
        text.push_str(sql);
        self.last = Some((text, prepared.clone()));
    }

    /// Caches `prepared` under `sql`, evicting the least recently used entry when full.
    pub(crate) fn insert(&mut self, sql: &str, prepared: Arc<Prepared>) {
        if self.capacity == 0 || sql.len() > PLAN_CACHE_SQL_BYTES_MAX {
            return;
        }
        if !self.entries.contains_key(sql) && self.entries.len() >= self.capacity {
            self.evict_least_recently_used();
        }
        self.clock += 1;
        self.remember(sql, &prepared);
        self.entries.insert(
            sql.to_string(),
            Entry {
                prepared,
                last_used: self.clock,
            },
        );
        debug_assert!(self.entries.len() <= self.capacity);
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Drops every plan bound against a catalog version other than `catalog_version`, once
    /// per new version (the first lookup under it, or the connection's own schema change
    /// right after it publishes): what those plans hold, such as a dropped index's or a
    /// replaced table's storage, is freed then.
    pub(crate) fn forget_other_versions(&mut self, catalog_version: u64) {
        if catalog_version == self.catalog_version {
            return;
        }
        self.catalog_version = catalog_version;
        self.entries
            .retain(|_, entry| entry.prepared.catalog_version == catalog_version);
        if self
            .last
            .as_ref()
            .is_some_and(|(_, prepared)| prepared.catalog_version != catalog_version)
        {
            self.last = None;
        }
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.last = None;
    }

    fn evict_least_recently_used(&mut self) {
        let last_sql = self.last.as_ref().map(|(sql, _)| sql.as_str());
        let oldest = self
            .entries
            .iter()
            // The remembered entry was used last, whatever its counter says.
            .filter(|(sql, _)| Some(sql.as_str()) != last_sql)
            .min_by_key(|(_, entry)| entry.last_used)
            .map(|(sql, _)| sql.clone());
        if let Some(sql) = oldest {
            self.entries.remove(&sql);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prepared(catalog_version: u64) -> Arc<Prepared> {
        Arc::new(Prepared {
            plan: Plan::Begin(None),
            parameter_count: 0,
            parameter_names: Arc::from(Vec::new()),
            catalog_version,
            case_sensitive_like: false,
            columns: Arc::from(Vec::new()),
        })
    }

    #[test]
    fn hits_only_for_the_same_catalog_version() {
        let mut cache = PlanCache::with_capacity(4);
        cache.insert("BEGIN", prepared(3));
        assert!(cache.get("BEGIN", (3, false)).is_some());
        assert!(
            cache.get("BEGIN", (4, false)).is_none(),
            "stale plan must not be returned"
        );
        assert_eq!(cache.len(), 0, "stale plan is dropped");
    }

    #[test]
    fn a_lookup_under_a_new_catalog_version_drops_every_older_plan() {
        let mut cache = PlanCache::with_capacity(4);
        cache.insert("a", prepared(3));
        cache.insert("b", prepared(3));
        assert!(cache.get("a", (3, false)).is_some());
        assert!(cache.get("c", (4, false)).is_none());
        assert_eq!(cache.len(), 0, "the plans of version 3 hold old storage");
        assert!(cache.last_hit("a", (3, false)).is_none());
    }

    #[test]
    fn evicts_the_least_recently_used_entry() {
        let mut cache = PlanCache::with_capacity(2);
        cache.insert("a", prepared(0));
        cache.insert("b", prepared(0));
        assert!(cache.get("a", (0, false)).is_some());
        cache.insert("c", prepared(0));
        assert_eq!(cache.len(), 2);
        assert!(
            cache.get("b", (0, false)).is_none(),
            "b was least recently used"
        );
        assert!(cache.get("a", (0, false)).is_some());
        assert!(cache.get("c", (0, false)).is_some());
    }

    #[test]
    fn repeated_hits_keep_the_statement_most_recently_used() {
        let mut cache = PlanCache::with_capacity(2);
        cache.insert("a", prepared(0));
        cache.insert("b", prepared(0));
        assert!(cache.get("a", (0, false)).is_some());
        for _ in 0..3 {
            assert!(
                cache.get("a", (0, false)).is_some(),
                "served from the remembered entry"
            );
        }
        cache.insert("c", prepared(0));
        assert!(
            cache.get("b", (0, false)).is_none(),
            "b was least recently used"
        );
        assert!(cache.get("c", (0, false)).is_some());
        assert!(cache.get("a", (0, false)).is_some());
        assert!(
            cache.get("a", (1, false)).is_none(),
            "a stale remembered plan is not returned"
        );
        assert!(cache.get("a", (0, false)).is_none(), "and is dropped");
        cache.insert("d", prepared(0));
        cache.clear();
        assert!(cache.get("d", (0, false)).is_none());
    }

    #[test]
    fn oversized_sql_and_zero_capacity_are_not_cached() {
        let mut cache = PlanCache::with_capacity(0);
        cache.insert("a", prepared(0));
        assert_eq!(cache.len(), 0);
        let mut cache = PlanCache::with_capacity(2);
        cache.insert(&"x".repeat(PLAN_CACHE_SQL_BYTES_MAX + 1), prepared(0));
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn a_plan_bound_under_the_other_like_is_not_handed_out() {
        let mut cache = PlanCache::with_capacity(4);
        cache.insert("a", prepared(2));
        assert!(cache.last_hit("a", (2, true)).is_none());
        assert!(cache.get("a", (2, true)).is_none());
        assert!(
            cache.get("a", (2, false)).is_some(),
            "and is kept for its own setting"
        );
    }
}
