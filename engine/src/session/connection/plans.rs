//! How a connection finds the plan for SQL text: the statement run last is lent by the plan
//! cache (`last_plan`), others come from the cache or are parsed, bound and cached
//! (`prepared`).

use std::cell::Ref;
use std::sync::Arc;

use super::Connection;
use crate::error::Result;
use crate::plan_cache::Prepared;

impl Connection {
    /// Empties the plan cache (plans are rebuilt on next use).
    ///
    /// ```
    /// let conn = ember::Database::in_memory().connect();
    /// conn.query("SELECT 1", ()).unwrap();
    /// conn.clear_plan_cache();
    /// conn.query("SELECT 1", ()).unwrap();
    /// assert_eq!(conn.stats().parses, 2);
    /// ```
    pub fn clear_plan_cache(&self) {
        self.cache.borrow_mut().clear();
    }

    /// The plan of `sql` when it is the statement run last (the common loop of one
    /// statement), lent by the cache: no hash, no reference count. Nothing a plan runs
    /// uses the cache mutably (`prepared` skips the cache while it is lent).
    pub(super) fn last_plan(&self, sql: &str) -> Option<Ref<'_, Prepared>> {
        let cache = self.cache.try_borrow().ok()?;
        let bound_under = (self.catalog_version(), self.like_cased());
        let prepared = Ref::filter_map(cache, |cache| {
            cache.last_hit(sql, bound_under).map(|prepared| &**prepared)
        })
        .ok()?;
        self.bump(|stats| stats.plan_cache_hits += 1);
        Some(prepared)
    }

    /// The prepared plan for one statement of SQL text: from the cache when it was bound
    /// against the current catalog, else parsed, bound, planned and cached.
    pub(crate) fn prepared(&self, sql: &str) -> Result<Arc<Prepared>> {
        // Not cached while the cache is lent out (`last_plan`).
        let Ok(mut cache) = self.cache.try_borrow_mut() else {
            return Ok(Arc::new(self.bind_one(sql)?));
        };
        if let Some(prepared) = cache.get(sql, (self.catalog_version(), self.like_cased())) {
            drop(cache);
            self.bump(|stats| stats.plan_cache_hits += 1);
            return Ok(prepared);
        }
        drop(cache);
        let prepared = Arc::new(self.bind_one(sql)?);
        self.bump(|stats| stats.plans_built += 1);
        if let Ok(mut cache) = self.cache.try_borrow_mut() {
            cache.insert(sql, prepared.clone());
        }
        Ok(prepared)
    }

    /// Parses and binds the one statement of `sql` against the current catalog.
    pub(super) fn bind_one(&self, sql: &str) -> Result<Prepared> {
        let catalog = self.catalog();
        let statements = self.parse(sql)?;
        match &statements[..] {
            [statement] => {
                let file = crate::session::catalog_pragmas::database_file(self);
                let text = statements.creation_text(0);
                Prepared::bind(&catalog, statement, text, &file, self.like_cased())
            }
            [] => Err(crate::err!(InvalidInput, "no SQL statement given")),
            several => {
                let n = several.len();
                Err(crate::err!(
                    InvalidInput,
                    "{n} statements given where one was expected; use execute_batch for \
                     several"
                ))
            }
        }
    }
}
