//! History for `FOR SYSTEM_TIME AS OF` seen from the session: `PRAGMA history_retention`
//! (the database default, `Options::history_retention` at open), the retention the store
//! keeps (the longest of the default and every table's `history_retention` option,
//! recomputed whenever a catalog is published), the commit times recorded after each commit
//! and the pin moved forward by each collector pass. See `storage/src/mvcc/history.rs`.

use ember_storage::Value;
use sqlparser::ast::Statement;

use crate::catalog::parse_duration_ms;
use crate::connection::Outcome;
use crate::database::{Database, Shared};
use crate::error::Result;

/// Makes the store keep the longest retention any table reads back to (0: none).
pub(crate) fn apply_retention(shared: &Shared) -> Result<()> {
    let history = shared.store.history();
    let default = history.default_retention_ms();
    let longest = shared
        .catalog
        .load()
        .tables()
        .into_iter()
        .filter_map(|table| table.options.history_retention_ms)
        .fold(default, u64::max);
    if longest == 0 && !history.enabled() {
        return Ok(());
    }
    shared
        .store
        .set_history_retention(longest, shared.clock.now_ms())?;
    Ok(())
}

/// After a catalog is published: stamps tables that first appear with the next commit (AS OF
/// reads of a table refuse commits before it existed: the catalog change is no commit, so
/// the newest commit is still one the table was not part of) and applies the retention
/// again (a table option may have changed).
pub(crate) fn catalog_published(shared: &Shared) {
    let read_ts = shared.store.clock().read_ts();
    let catalog = shared.catalog.load();
    let mut any_option = false;
    for table in catalog.tables() {
        table.storage.mark_published(read_ts + 1);
        any_option |= table.options.history_retention_ms.is_some();
    }
    if any_option || shared.store.history().enabled() {
        // A failure (every snapshot slot taken) leaves the previous retention in force.
        let _ = apply_retention(shared);
    }
}

/// Records commit `ts`'s time (nothing while no history is kept).
#[inline]
pub(crate) fn committed(shared: &Shared, ts: u64) {
    let history = shared.store.history();
    if history.enabled() {
        history.record(ts, shared.clock.now_ms());
    }
}

/// Moves the history pin forward (each collector pass, before it reads the watermark).
pub(crate) fn advance(shared: &Shared) {
    if shared.store.history().enabled() {
        shared.store.advance_history(shared.clock.now_ms());
    }
}

/// `PRAGMA history_retention` (the database default in milliseconds) or
/// `PRAGMA history_retention = '<duration>'` ('10 minutes', '30 s'; 0 or 'off': none).
/// `None` when the statement is another PRAGMA.
pub(crate) fn pragma(db: &Database, statement: &Statement) -> Option<Result<Outcome>> {
    let Statement::Pragma { name, value, .. } = statement else {
        return None;
    };
    if !name.to_string().eq_ignore_ascii_case("history_retention") {
        return None;
    }
    let history = db.shared.store.history();
    let Some(value) = value else {
        let ms = history.default_retention_ms();
        return Some(Ok(Outcome {
            columns: vec!["history_retention".to_string()],
            rows: vec![vec![Value::Integer(i64::try_from(ms).unwrap_or(i64::MAX))]],
            changes: 0,
        }));
    };
    Some(set(db, &value.to_string()))
}

fn set(db: &Database, text: &str) -> Result<Outcome> {
    let text = text.trim().trim_matches('\'').trim();
    let ms = if matches!(text.to_ascii_lowercase().as_str(), "0" | "off" | "none") {
        0
    } else {
        parse_duration_ms(text)
            .map_err(|message| crate::err!(InvalidInput, "PRAGMA history_retention: {message}"))?
    };
    let _ddl = db.shared.lock_ddl();
    db.shared.store.history().set_default_retention_ms(ms);
    apply_retention(&db.shared)?;
    Ok(Outcome {
        columns: Vec::new(),
        rows: Vec::new(),
        changes: 0,
    })
}
