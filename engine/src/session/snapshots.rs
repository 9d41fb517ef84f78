//! Snapshot management for a directory database: the rows of `ember_snapshots` (every
//! checkpoint snapshot on disk: file, time, commit number, bytes, tables, rows, whether it
//! is the newest, which recovery loads, and whether it reads back whole), `PRAGMA
//! keep_snapshots` (how many a checkpoint keeps), and opening at an older snapshot
//! (`Options::at_snapshot`: that snapshot alone, no WAL replay, read-only). A snapshot's
//! details are read from its file once and kept (the checkpoints of this process record
//! theirs as they write them).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use ember_storage::snapshot::{read_snapshot_summary, snapshot_name, snapshot_timestamps};
use ember_storage::vfs::Vfs;
use ember_storage::Value;

use crate::error::Result;
use crate::exec::schema::system::int;

/// What `ember_snapshots` shows of one snapshot file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SnapshotInfo {
    pub(crate) bytes: u64,
    pub(crate) created_unix_ms: Option<u64>,
    pub(crate) tables: u64,
    pub(crate) rows: u64,
    /// `Some(message)` when the file does not read back whole.
    pub(crate) damage: Option<String>,
}

/// The details of snapshots already read or written, by commit timestamp.
#[derive(Default)]
pub(crate) struct SnapshotCatalog {
    known: Mutex<BTreeMap<u64, SnapshotInfo>>,
}

impl SnapshotCatalog {
    /// Records a snapshot this process just wrote.
    pub(crate) fn record(&self, ts: u64, info: SnapshotInfo) {
        self.lock().insert(ts, info);
    }

    /// Forgets a snapshot that was deleted.
    pub(crate) fn forget(&self, ts: u64) {
        self.lock().remove(&ts);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, SnapshotInfo>> {
        self.known.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One row per snapshot file in `dir`, oldest first.
    pub(crate) fn rows(&self, vfs: &dyn Vfs, dir: &Path) -> Result<Vec<Vec<Value>>> {
        let found = snapshot_timestamps(vfs, dir)?;
        let newest = found.last().copied();
        let mut rows = Vec::with_capacity(found.len());
        for ts in found {
            let cached = self.lock().get(&ts).cloned();
            let info = match cached {
                Some(info) => info,
                None => {
                    let info = read_info(vfs, dir, ts)?;
                    self.lock().insert(ts, info.clone());
                    info
                }
            };
            rows.push(vec![
                Value::Text(snapshot_name(ts)),
                info.created_unix_ms
                    .map_or(Value::Null, |ms| Value::Text(utc_text(ms))),
                int(ts),
                int(info.bytes),
                int(info.tables),
                int(info.rows),
                Value::Integer(i64::from(Some(ts) == newest)),
                Value::Text(info.damage.unwrap_or_else(|| "ok".to_string())),
            ]);
        }
        Ok(rows)
    }
}

/// Reads a snapshot file's header and counts (checking every frame).
fn read_info(vfs: &dyn Vfs, dir: &Path, ts: u64) -> Result<SnapshotInfo> {
    let path = dir.join(snapshot_name(ts));
    let bytes = vfs
        .read(&path)
        .map_err(|e| crate::err!(Io, "reading {}: {e}", path.display()))?;
    let mut info = SnapshotInfo {
        bytes: bytes.len() as u64,
        created_unix_ms: None,
        tables: 0,
        rows: 0,
        damage: None,
    };
    match read_snapshot_summary(&bytes, &path) {
        Ok(snapshot) => {
            info.created_unix_ms = snapshot.created_unix_ms;
            info.tables = snapshot.tables.len() as u64;
            info.rows = snapshot.rows;
        }
        Err(error) => info.damage = Some(error.message),
    }
    Ok(info)
}

/// `YYYY-MM-DD HH:MM:SS` (UTC, as SQLite's `datetime()`) of a Unix time in milliseconds.
fn utc_text(unix_ms: u64) -> String {
    let seconds = unix_ms / 1000;
    let (days, of_day) = (seconds / 86_400, seconds % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

/// Checks a `keep_snapshots` value: at least 1 (recovery needs the newest snapshot), at most
/// the limit (`ErrorKind::Limit` past it).
pub(crate) fn check_keep(n: u64) -> Result<u64> {
    if n == 0 {
        return Err(crate::err!(
            InvalidInput,
            "keep_snapshots must be at least 1 (recovery needs the newest snapshot), not 0"
        ));
    }
    if n > crate::limits::KEEP_SNAPSHOTS_MAX {
        return Err(crate::err!(
            Limit,
            "keep_snapshots {n} is past the limit KEEP_SNAPSHOTS_MAX ({})",
            crate::limits::KEEP_SNAPSHOTS_MAX
        ));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_text_matches_sqlite_datetime() {
        // SELECT datetime(0, 'unixepoch'), datetime(951782400, 'unixepoch'),
        //        datetime(1795440000, 'unixepoch') in SQLite.
        assert_eq!(utc_text(0), "1970-01-01 00:00:00");
        assert_eq!(utc_text(951_782_400_000), "2000-02-29 00:00:00");
        assert_eq!(utc_text(1_795_440_000_123), "2026-11-23 13:20:00");
    }

    #[test]
    fn keep_snapshots_is_bounded() {
        assert!(check_keep(0).is_err());
        assert_eq!(check_keep(3).unwrap(), 3);
        assert!(check_keep(crate::limits::KEEP_SNAPSHOTS_MAX + 1).is_err());
    }
}
