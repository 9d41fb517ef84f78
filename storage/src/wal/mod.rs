//! The write-ahead log: framed logical redo records (`frame`, `record`) appended to bounded
//! segment files `wal-<index>.log`, each starting with an 8-byte magic. Appends happen under
//! the commit lock (so the log order is the commit order); the fsync happens outside it, and
//! under `SyncPolicy::Always` concurrent committers share one fsync (group commit): the first
//! waiter syncs everything appended so far while the others wait for it. After a failed
//! fsync (or a failed write it cannot undo) the log refuses all further writes until the
//! database is reopened; a write refused by a full disk is undone (the segment truncated back
//! to its last whole record) and only that write fails. A segment that is left for the next
//! one ends with a `SegmentEnd` record, written once the next segment exists, so recovery
//! can tell a deleted or emptied segment from one a crash never finished creating; the next
//! segment starts with a `SegmentStart` record giving the length of the one before, so a
//! torn `SegmentEnd` can be told from a cut record. A log
//! opened read-only (`Wal::read_only`, or `set_read_only` after a failure) refuses appends.

pub mod frame;
mod manifest;
pub mod record;
mod reserve;
mod scan;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::Duration;

use crate::error::{StorageError, StorageErrorKind, StorageResult};
use crate::vfs::Vfs;

pub use manifest::{Manifest, MANIFEST_NAME};
pub use reserve::RESERVE_NAME;
pub use scan::{
    apply_repairs, scan_wal, segment_indexes, segment_records, Repair, WalScan, WalStart,
};

/// First bytes of every WAL segment written now: each frame's payload starts with the
/// segment offset known to be synced when it was appended (`synced_before`, a varint),
/// followed by the record; row payloads encode REALs compactly (`row/real.rs`) and may leave
/// a clustered table's key out (`TableSchema::encode_into`), and a column declared `BLOB` is
/// an `Any` column, so builds before it refuse it.
pub const WAL_MAGIC: &[u8; 8] = b"EMBRWAL4";

/// First bytes of a segment of the third format: as today, but a column declared `BLOB` was
/// a `Blob` column (`RowFormat::BlobTypedColumns`); still read.
pub const WAL_MAGIC_V3: &[u8; 8] = b"EMBRWAL3";

/// First bytes of a segment of the second format: frames as today, but row payloads hold
/// REALs as 8 bytes (`RowFormat::FixedReals`); still read.
pub const WAL_MAGIC_V2: &[u8; 8] = b"EMBRWAL2";

/// First bytes of a segment of the first format (frames hold the record alone, row payloads
/// as in the second); still read.
pub const WAL_MAGIC_V1: &[u8; 8] = b"EMBRWAL1";

/// Frames `record` with its `synced_before` offset (the current segment format) into `out`.
pub fn frame_record(synced_before: u64, record: &[u8], out: &mut Vec<u8>) {
    let mut prefix = Vec::with_capacity(10);
    crate::row::write_varint(synced_before, &mut prefix);
    frame::encode_frame_parts(&[&prefix, record], out);
}

/// When commits reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncPolicy {
    /// fsync before a commit is acknowledged (group commit shares the fsync).
    Always,
    /// A background thread fsyncs every this many milliseconds.
    IntervalMs(u64),
    /// Never fsync the log (the OS writes it back when it likes).
    Off,
}

/// The file name of segment `index`.
pub fn segment_name(index: u64) -> String {
    format!("wal-{index:020}.log")
}

/// Counters the WAL keeps.
#[derive(Debug, Default)]
pub struct WalStats {
    pub records: AtomicU64,
    pub bytes: AtomicU64,
    pub fsyncs: AtomicU64,
    pub durable_waits: AtomicU64,
}

struct Inner {
    segment: u64,
    segment_bytes: u64,
    /// Bytes of the current segment's header (magic and `SegmentStart`), before any record.
    segment_header_bytes: u64,
    /// Bytes of the current segment known to be on disk (synced); every frame records it.
    segment_synced: u64,
    /// Bytes appended since the log was opened (a log sequence number).
    appended: u64,
    policy: SyncPolicy,
    /// Why the log takes no writes (a read-only open, or a disk that was full at open).
    read_only: Option<String>,
}

struct SyncState {
    syncing: bool,
}

pub struct Wal {
    vfs: Arc<dyn Vfs>,
    dir: PathBuf,
    segment_bytes_max: u64,
    inner: Mutex<Inner>,
    synced: AtomicU64,
    sync_state: Mutex<SyncState>,
    sync_done: Condvar,
    failed: AtomicBool,
    bytes_since_checkpoint: AtomicU64,
    /// Disk space kept for appends when the disk fills (see `reserve.rs`).
    reserve: reserve::LogReserve,
    /// Held while the manifest is written (`manifest.rs`), so two writers do not race.
    manifest_lock: Mutex<()>,
    pub stats: WalStats,
}

fn poisoned() -> StorageError {
    StorageError::new(
        StorageErrorKind::Io,
        "an earlier write or fsync of the log failed; no further commit can be made durable \
         until the database is reopened",
    )
}

/// Whether an I/O error means the disk (or the user's quota) is full. Such a failed write is
/// undone and refused alone; the log stays usable once there is room again.
pub fn is_disk_full(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    )
}

/// Whether an I/O error means the file system cannot be written at all (full, or mounted
/// read-only): opening a database then falls back to read-only.
pub fn is_unwritable(error: &std::io::Error) -> bool {
    is_disk_full(error)
        || matches!(
            error.kind(),
            std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied
        )
}

fn disk_full(what: String, error: &std::io::Error) -> StorageError {
    StorageError::new(
        StorageErrorKind::Io,
        format!("{what}: {error} (disk full: nothing was written; retry once there is room)"),
    )
}

fn read_only_error(reason: &str) -> StorageError {
    StorageError::new(
        StorageErrorKind::ReadOnly,
        format!("the database is read-only: {reason}"),
    )
}

impl Wal {
    /// A log that takes no writes, for a database opened read-only (`reason` says why).
    pub fn read_only(
        vfs: Arc<dyn Vfs>,
        dir: &Path,
        policy: SyncPolicy,
        reason: String,
    ) -> Arc<Wal> {
        Arc::new(Wal {
            vfs,
            dir: dir.to_path_buf(),
            segment_bytes_max: u64::MAX,
            inner: Mutex::new(Inner {
                segment: 0,
                segment_bytes: WAL_MAGIC.len() as u64,
                segment_header_bytes: WAL_MAGIC.len() as u64,
                segment_synced: WAL_MAGIC.len() as u64,
                appended: 0,
                policy,
                read_only: Some(reason),
            }),
            synced: AtomicU64::new(0),
            sync_state: Mutex::new(SyncState { syncing: false }),
            sync_done: Condvar::new(),
            failed: AtomicBool::new(false),
            bytes_since_checkpoint: AtomicU64::new(0),
            reserve: reserve::LogReserve::new(dir, 0),
            manifest_lock: Mutex::new(()),
            stats: WalStats::default(),
        })
    }

    /// Puts the log's reserve of disk space in place if it is not (a checkpoint calls this
    /// first, so it cannot take the space the next commits need). Fails on a full disk.
    pub fn ensure_reserve(&self) -> StorageResult<()> {
        self.reserve.ensure(&*self.vfs)
    }

    /// Gives the reserve's space back to the disk (recovery's checkpoint on a full disk);
    /// returns whether there was any.
    pub fn release_reserve(&self) -> bool {
        self.reserve.release(&*self.vfs)
    }

    /// Why the log takes no writes, if it does not.
    pub fn read_only_reason(&self) -> Option<String> {
        self.inner().read_only.clone()
    }

    /// Makes the log refuse every later write with a `ReadOnly` error saying `reason`.
    pub fn set_read_only(&self, reason: String) {
        self.inner().read_only = Some(reason);
    }

    /// Starts a new segment `segment` in `dir` and returns the log writing to it.
    pub fn create(
        vfs: Arc<dyn Vfs>,
        dir: &Path,
        segment: u64,
        policy: SyncPolicy,
        segment_bytes_max: u64,
    ) -> StorageResult<Arc<Wal>> {
        Wal::create_after(vfs, dir, segment, policy, segment_bytes_max, None)
    }

    /// `create`, for a log that goes on after segment `segment - 1`, whose records take
    /// `previous_len` bytes: the new segment starts by saying so (see `SegmentStart`).
    pub fn create_after(
        vfs: Arc<dyn Vfs>,
        dir: &Path,
        segment: u64,
        policy: SyncPolicy,
        segment_bytes_max: u64,
        previous_len: Option<u64>,
    ) -> StorageResult<Arc<Wal>> {
        let wal = Arc::new(Wal {
            vfs,
            dir: dir.to_path_buf(),
            segment_bytes_max: segment_bytes_max.max(64),
            inner: Mutex::new(Inner {
                segment,
                segment_bytes: 0,
                segment_header_bytes: 0,
                segment_synced: 0,
                appended: 0,
                policy,
                read_only: None,
            }),
            synced: AtomicU64::new(0),
            sync_state: Mutex::new(SyncState { syncing: false }),
            sync_done: Condvar::new(),
            failed: AtomicBool::new(false),
            bytes_since_checkpoint: AtomicU64::new(0),
            reserve: reserve::LogReserve::new(
                dir,
                segment_bytes_max.min(crate::limits::WAL_RESERVE_BYTES_MAX),
            ),
            manifest_lock: Mutex::new(()),
            stats: WalStats::default(),
        });
        let header_bytes = wal.start_segment(segment, previous_len)?;
        {
            let mut inner = wal.inner();
            inner.segment_bytes = header_bytes;
            inner.segment_header_bytes = header_bytes;
            inner.segment_synced = header_bytes;
        }
        if let SyncPolicy::IntervalMs(interval_ms) = policy {
            start_syncer(Arc::downgrade(&wal), interval_ms);
        }
        Ok(wal)
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn segment_path(&self, segment: u64) -> PathBuf {
        self.dir.join(segment_name(segment))
    }

    /// Creates segment `segment` holding only its header, durably: the magic, then (when the
    /// log goes on from segment `segment - 1`) a `SegmentStart` with that segment's length.
    /// Returns the header's length. On a full disk the partial file is removed and the log
    /// stays usable (nothing refers to the new segment yet).
    fn start_segment(&self, segment: u64, previous_len: Option<u64>) -> StorageResult<u64> {
        let path = self.segment_path(segment);
        let mut header = WAL_MAGIC.to_vec();
        if let Some(previous_len) = previous_len {
            let mut payload = Vec::new();
            record::WalRecord::SegmentStart { previous_len }.encode(&mut payload);
            frame_record(0, &payload, &mut header);
        }
        let result = self
            .vfs
            .write_new(&path, &header)
            .and_then(|()| self.vfs.sync(&path))
            .and_then(|()| self.vfs.sync_dir(&self.dir));
        result.map_err(|error| {
            let what = format!("creating {}", path.display());
            if is_disk_full(&error) {
                // Best effort: a leftover partial segment is a torn header recovery removes.
                let _ = self.vfs.remove(&path);
                return disk_full(what, &error);
            }
            self.failed.store(true, Ordering::SeqCst);
            StorageError::io(what, &error)
        })?;
        Ok(header.len() as u64)
    }

    /// Ends segment `segment` (whose whole records take `len` bytes) with a `SegmentEnd`
    /// naming `next`, durably; call once `next` exists. A write refused by a full disk is
    /// undone; any failure it cannot undo leaves the log refusing writes.
    pub fn end_segment(&self, segment: u64, next: u64, len: u64) -> StorageResult<()> {
        let path = self.segment_path(segment);
        let mut payload = Vec::new();
        record::WalRecord::SegmentEnd { next }.encode(&mut payload);
        let mut framed = Vec::new();
        // The whole segment was synced before the next one was created.
        frame_record(len, &payload, &mut framed);
        let result = self
            .vfs
            .append(&path, &framed)
            .and_then(|()| self.vfs.sync(&path));
        result.map_err(|error| {
            let what = format!("ending {}", path.display());
            if is_disk_full(&error) && self.vfs.truncate(&path, len).is_ok() {
                return disk_full(what, &error);
            }
            self.failed.store(true, Ordering::SeqCst);
            StorageError::io(what, &error)
        })
    }

    pub fn policy(&self) -> SyncPolicy {
        self.inner().policy
    }

    /// Changes the policy (a switch to `IntervalMs` starts a background syncer).
    pub fn set_policy(self: &Arc<Self>, policy: SyncPolicy) {
        let old = std::mem::replace(&mut self.inner().policy, policy);
        if let (SyncPolicy::IntervalMs(interval_ms), false) =
            (policy, matches!(old, SyncPolicy::IntervalMs(_)))
        {
            start_syncer(Arc::downgrade(self), interval_ms);
        }
    }

    pub fn is_failed(&self) -> bool {
        self.failed.load(Ordering::SeqCst)
    }

    pub fn bytes_since_checkpoint(&self) -> u64 {
        self.bytes_since_checkpoint.load(Ordering::Relaxed)
    }

    /// Appends one framed record payload; returns the log position after it. Call under
    /// the commit lock (or the DDL lock for catalog records) so log order is commit order.
    pub fn append(&self, payload: &[u8]) -> StorageResult<u64> {
        if self.is_failed() {
            return Err(poisoned());
        }
        // The frame's header, its `synced_before` varint and the record.
        let framed_max = (payload.len() + frame::FRAME_HEADER_BYTES + 10) as u64;
        let mut inner = self.inner();
        if let Some(reason) = &inner.read_only {
            return Err(read_only_error(reason));
        }
        if inner.segment_bytes + framed_max > self.segment_bytes_max
            && inner.segment_bytes > inner.segment_header_bytes
        {
            self.roll_locked(&mut inner)?;
        }
        let mut framed = Vec::with_capacity(framed_max as usize);
        frame_record(inner.segment_synced, payload, &mut framed);
        let path = self.segment_path(inner.segment);
        let mut written = self.vfs.append(&path, &framed);
        let mut released = false;
        while let Err(error) = written {
            let what = format!("appending to {}", path.display());
            // Whatever part of the frame reached the file is cut off again; the records
            // before it were written whole, so the log can go on once there is room.
            if !is_disk_full(&error) || self.vfs.truncate(&path, inner.segment_bytes).is_err() {
                self.failed.store(true, Ordering::SeqCst);
                return Err(StorageError::io(what, &error));
            }
            // The disk is full: the reserve makes room for this append, once.
            if released || !self.reserve.release(&*self.vfs) {
                return Err(disk_full(what, &error));
            }
            released = true;
            written = self.vfs.append(&path, &framed);
        }
        inner.segment_bytes += framed.len() as u64;
        inner.appended += framed.len() as u64;
        self.stats.records.fetch_add(1, Ordering::Relaxed);
        self.stats
            .bytes
            .fetch_add(framed.len() as u64, Ordering::Relaxed);
        self.bytes_since_checkpoint
            .fetch_add(framed.len() as u64, Ordering::Relaxed);
        Ok(inner.appended)
    }

    /// Syncs the current segment and starts the next; returns the new segment's index.
    /// Every record appended before the call is in an older segment.
    pub fn roll(&self) -> StorageResult<u64> {
        if self.is_failed() {
            return Err(poisoned());
        }
        let mut inner = self.inner();
        if let Some(reason) = &inner.read_only {
            return Err(read_only_error(reason));
        }
        self.roll_locked(&mut inner)?;
        Ok(inner.segment)
    }

    fn roll_locked(&self, inner: &mut Inner) -> StorageResult<()> {
        let path = self.segment_path(inner.segment);
        if let Err(error) = self.vfs.sync(&path) {
            self.failed.store(true, Ordering::SeqCst);
            return Err(StorageError::io(
                format!("syncing {}", path.display()),
                &error,
            ));
        }
        self.stats.fsyncs.fetch_add(1, Ordering::Relaxed);
        self.synced.fetch_max(inner.appended, Ordering::SeqCst);
        let next = inner.segment + 1;
        let header_bytes = self.start_segment(next, Some(inner.segment_bytes))?;
        if let Err(error) = self.end_segment(inner.segment, next, inner.segment_bytes) {
            // The log stays in the current segment; the empty next one goes (best effort:
            // left behind, it is an unmarked empty segment, which recovery accepts).
            let _ = self.vfs.remove(&self.segment_path(next));
            return Err(error);
        }
        inner.segment = next;
        inner.segment_bytes = header_bytes;
        inner.segment_header_bytes = header_bytes;
        inner.segment_synced = header_bytes;
        Ok(())
    }

    /// Marks that a checkpoint now covers everything before the current segment, and
    /// records in the manifest how much of the current segment is synced. The manifest is
    /// best effort here: if it cannot be written the previous one stays, which promises
    /// less (or names a segment the checkpoint deletes, and is then ignored).
    pub fn checkpoint_done(&self) {
        self.bytes_since_checkpoint.store(0, Ordering::Relaxed);
        let _ = self.write_manifest(false);
    }

    /// Writes the manifest: the current segment and the bytes of it synced now.
    fn write_manifest(&self, clean_close: bool) -> StorageResult<()> {
        let _one_writer = self.manifest_lock.lock().unwrap_or_else(|p| p.into_inner());
        let manifest = {
            let inner = self.inner();
            if inner.read_only.is_some() || self.is_failed() {
                return Ok(());
            }
            Manifest {
                segment: inner.segment,
                synced_len: inner.segment_synced,
                clean_close,
            }
        };
        manifest.write(&*self.vfs, &self.dir)
    }

    /// What a committer does after appending at `lsn`: waits for the fsync under `Always`
    /// (sharing it with concurrent committers), nothing otherwise.
    pub fn commit_durable(&self, lsn: u64) -> StorageResult<()> {
        match self.policy() {
            SyncPolicy::Always => self.wait_durable(lsn),
            SyncPolicy::IntervalMs(_) | SyncPolicy::Off => {
                if self.is_failed() {
                    return Err(poisoned());
                }
                Ok(())
            }
        }
    }

    /// Returns once every byte up to `lsn` is synced (group commit).
    pub fn wait_durable(&self, lsn: u64) -> StorageResult<()> {
        self.stats.durable_waits.fetch_add(1, Ordering::Relaxed);
        let mut state = self.sync_state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if self.is_failed() {
                return Err(poisoned());
            }
            if self.synced.load(Ordering::SeqCst) >= lsn {
                return Ok(());
            }
            if state.syncing {
                state = self
                    .sync_done
                    .wait(state)
                    .unwrap_or_else(|p| p.into_inner());
                continue;
            }
            state.syncing = true;
            drop(state);
            let result = self.sync_all_appended();
            state = self.sync_state.lock().unwrap_or_else(|p| p.into_inner());
            state.syncing = false;
            self.sync_done.notify_all();
            result?;
        }
    }

    /// Syncs the current segment up to what has been appended.
    fn sync_all_appended(&self) -> StorageResult<()> {
        let (target, segment, segment_bytes) = {
            let inner = self.inner();
            (inner.appended, inner.segment, inner.segment_bytes)
        };
        let path = self.segment_path(segment);
        if self.synced.load(Ordering::SeqCst) >= target {
            return Ok(());
        }
        let result = self.vfs.sync(&path);
        self.stats.fsyncs.fetch_add(1, Ordering::Relaxed);
        match result {
            Ok(()) => {
                let mut inner = self.inner();
                if inner.segment == segment {
                    inner.segment_synced = inner.segment_synced.max(segment_bytes);
                }
                drop(inner);
                self.synced.fetch_max(target, Ordering::SeqCst);
                Ok(())
            }
            // A roll synced (and a checkpoint may have removed) the segment meanwhile.
            Err(_) if self.synced.load(Ordering::SeqCst) >= target => Ok(()),
            Err(error) => {
                self.failed.store(true, Ordering::SeqCst);
                Err(StorageError::io(
                    format!("syncing {}", path.display()),
                    &error,
                ))
            }
        }
    }

    /// Syncs everything appended so far (background syncer, clean shutdown).
    pub fn sync_now(&self) -> StorageResult<()> {
        let lsn = self.inner().appended;
        self.wait_durable(lsn)
    }

    /// Clean shutdown: syncs everything, then appends a `SyncPoint` saying so and syncs it,
    /// so recovery can tell damage to the last records from a crash's torn tail, and records
    /// the log's whole length in the manifest, so a tail lost later shows.
    pub fn close(&self) -> StorageResult<()> {
        self.sync_now()?;
        self.append_sync_point()?;
        self.write_manifest(true)
    }

    fn append_sync_point(&self) -> StorageResult<()> {
        let mut inner = self.inner();
        if inner.read_only.is_some()
            || self.is_failed()
            || inner.segment_bytes <= inner.segment_header_bytes
        {
            return Ok(());
        }
        let mut payload = Vec::new();
        record::WalRecord::SyncPoint.encode(&mut payload);
        let mut framed = Vec::new();
        // Everything before it was just synced.
        frame_record(inner.segment_bytes, &payload, &mut framed);
        let path = self.segment_path(inner.segment);
        let written = self
            .vfs
            .append(&path, &framed)
            .and_then(|()| self.vfs.sync(&path));
        if let Err(error) = written {
            if !is_disk_full(&error) || self.vfs.truncate(&path, inner.segment_bytes).is_err() {
                self.failed.store(true, Ordering::SeqCst);
            }
            return Err(StorageError::io(
                format!("closing {}", path.display()),
                &error,
            ));
        }
        inner.segment_bytes += framed.len() as u64;
        inner.segment_synced = inner.segment_bytes;
        Ok(())
    }
}

/// The `IntervalMs` background syncer; it ends when the log is dropped or the policy changes.
fn start_syncer(wal: Weak<Wal>, interval_ms: u64) {
    let spawned = std::thread::Builder::new()
        .name("ember-wal-sync".into())
        .spawn(move || loop {
            std::thread::sleep(Duration::from_millis(interval_ms.max(1)));
            let Some(wal) = wal.upgrade() else { return };
            if wal.policy() != SyncPolicy::IntervalMs(interval_ms) || wal.is_failed() {
                return;
            }
            let _ = wal.sync_now();
        });
    debug_assert!(spawned.is_ok(), "could not start the WAL syncer thread");
}

#[cfg(test)]
mod tests;
