//! The sweep of expired rows: for each table with `WITH (expire_at = col)` or
//! `WITH (ttl = '<duration>')`, the background
//! collector runs `DELETE FROM table` on a connection of its own with the expiry test
//! inverted (`TransactionTime::sweeping`: only expired rows pass it), so expired rows go as
//! ordinary logged deletes (their indexes updated, the WAL recording them, a reopened
//! database holding the same rows). A sweep that meets a concurrent writer's conflict
//! leaves the rest to the next one.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::database::{Database, Shared};

/// Deletes the expired rows of every table with `expire_at` or `ttl`; returns how many
/// went.
pub(crate) fn sweep_expired(shared: &Arc<Shared>) -> u64 {
    let catalog = shared.catalog.load_full();
    let tables: Vec<_> = catalog
        .tables()
        .into_iter()
        .filter(|table| table.expires())
        .cloned()
        .collect();
    if tables.is_empty() {
        return 0;
    }
    let db = Database::from_shared(Arc::clone(shared));
    let conn = db.connect();
    let mut deleted = 0;
    for table in tables {
        let quoted = table.name.replace('"', "\"\"");
        let sql = format!("DELETE FROM \"{quoted}\"");
        if let Ok(rows) = conn.time.sweeping(|| conn.execute(&sql, ())) {
            table.rows_expired.fetch_add(rows as u64, Ordering::Relaxed);
            deleted += rows as u64;
        }
    }
    deleted
}
