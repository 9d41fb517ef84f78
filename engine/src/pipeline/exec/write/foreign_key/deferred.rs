//! Deferred foreign keys: a key declared `DEFERRABLE INITIALLY DEFERRED`, or every key while
//! `PRAGMA defer_foreign_keys` is on, is checked when the explicit transaction commits, not
//! when the statement ends. A statement's checks of such keys that do not hold at its end
//! are kept here, by name (the child table, the key's place among its keys, the key's
//! values), and checked again at COMMIT against what the transaction then sees: the key
//! holds when a parent row has it or no child row references it any more (so a child row
//! deleted or fixed later, or undone by ROLLBACK TO, no longer counts, as SQLite's count
//! of deferred violations goes down). A check that still fails fails the COMMIT, which
//! leaves the transaction open. Outside an explicit transaction there is nothing to wait
//! for: the statement checks them at its end.

use std::cell::{Cell, RefCell};

use ember_storage::{Transaction, Value};

use crate::catalog::Catalog;
use crate::error::Result;
use crate::limits::FOREIGN_KEY_DEFERRED_CHECKS_MAX;

use super::resolve::{children, parent_exists, resolve, Resolved};

/// The deferred checks of one connection's open transaction.
#[derive(Default)]
pub struct DeferredKeys {
    /// `PRAGMA defer_foreign_keys`: every key of the transaction waits for COMMIT.
    defer_all: Cell<bool>,
    checks: RefCell<Vec<DeferredCheck>>,
}

/// One key that did not hold when its statement ended.
struct DeferredCheck {
    child: String,
    /// The key's position in the child table's foreign keys.
    key: usize,
    values: Vec<Value>,
}

impl DeferredKeys {
    /// Whether `PRAGMA defer_foreign_keys` is on.
    pub fn defer_all(&self) -> bool {
        self.defer_all.get()
    }

    pub fn set_defer_all(&self, on: bool) {
        self.defer_all.set(on);
    }

    /// Whether the check of `resolved` waits for COMMIT.
    pub(super) fn defers(&self, resolved: &Resolved<'_>) -> bool {
        resolved.key.deferred || self.defer_all.get()
    }

    /// Keeps the check of `resolved` for `values` (a statement's end found it failing), at
    /// most `FOREIGN_KEY_DEFERRED_CHECKS_MAX` of them per transaction.
    pub(super) fn keep(&self, resolved: &Resolved<'_>, values: &[Value]) -> Result<()> {
        let keys = &resolved.child.constraints.foreign_keys;
        let Some(key) = keys.iter().position(|k| std::ptr::eq(k, resolved.key)) else {
            return Err(crate::err!(
                Internal,
                "deferred foreign key not found in its table"
            ));
        };
        let mut checks = self.checks.borrow_mut();
        if checks.len() >= FOREIGN_KEY_DEFERRED_CHECKS_MAX {
            return Err(crate::err!(
                Limit,
                "more than {FOREIGN_KEY_DEFERRED_CHECKS_MAX} deferred foreign key violations \
                 wait for COMMIT"
            ));
        }
        checks.push(DeferredCheck {
            child: resolved.child.name.clone(),
            key,
            values: values.to_vec(),
        });
        Ok(())
    }

    /// How many checks wait for COMMIT.
    pub fn pending(&self) -> usize {
        self.checks.borrow().len()
    }

    /// At COMMIT: fails with SQLite's `FOREIGN KEY constraint failed` while a kept check
    /// still does not hold in `txn` (resolved against `catalog`, the transaction's own). A
    /// key whose table or key the transaction dropped since checks nothing.
    pub fn check(&self, txn: &Transaction, catalog: &Catalog) -> Result<()> {
        for check in self.checks.borrow().iter() {
            let Some(child) = catalog.table(&check.child) else {
                continue;
            };
            let Some(key) = child.constraints.foreign_keys.get(check.key) else {
                continue;
            };
            let resolved = resolve(catalog, child, key)?;
            let holds = parent_exists(txn, &resolved, &check.values)?
                || children(txn, &resolved, &check.values, 1)?.is_empty();
            if !holds {
                return Err(super::constraint_failed());
            }
        }
        Ok(())
    }

    /// The transaction ended (committed or rolled back): nothing waits, and
    /// `defer_foreign_keys` is off again, as SQLite turns it off at each COMMIT and ROLLBACK.
    pub fn reset(&self) {
        self.checks.borrow_mut().clear();
        self.defer_all.set(false);
    }
}
