//! Reading the WAL back at recovery: the segments from the one the snapshot names (or the
//! first, without a snapshot), in order, every frame checked. Reading changes nothing on
//! disk: what recovery should cut off comes back as `Repair`s, applied by `apply_repairs`
//! only when the database is opened for writing.
//!
//! The rules, from what the writer guarantees:
//! - The first segment must be the expected one: the snapshot's, which was created and synced
//!   before the snapshot was written, or segment 1 without a snapshot (older segments are
//!   deleted only after a snapshot covers them). Otherwise a segment or the snapshot is
//!   missing: corruption.
//! - Segments are consecutive; a segment that ends with `SegmentEnd { next }` was followed by
//!   a complete segment `next`, so that one missing, empty or with a bad header is corruption.
//! - A bad frame with no valid frame after it is a torn tail (a crash mid-write) in the last
//!   segment, or in the one before it when the last holds no record (a crash while the
//!   `SegmentEnd` was being written); it is cut off. A last segment with a bad header that no
//!   `SegmentEnd` or snapshot vouches for is one a crash never finished creating; it goes.
//! - Anything else (a bad frame with valid frames after it, a frame that checks out but does
//!   not decode, damage in an earlier segment) is corruption: an error naming the file and
//!   offset, unless `salvage` is set, in which case replay stops there, the rest is cut off
//!   and the damage is listed in `salvaged`.

use std::path::{Path, PathBuf};

use crate::error::{StorageError, StorageErrorKind, StorageResult};
use crate::limits::FRAME_PAYLOAD_BYTES_MAX;
use crate::vfs::Vfs;

use super::frame::{frame_at, valid_frame_after, FrameAt};
use super::record::WalRecord;
use super::{segment_name, WAL_MAGIC};

/// Where the log must start.
#[derive(Debug, Clone)]
pub struct WalStart {
    /// The first segment the log must have.
    pub first: u64,
    /// The snapshot file that names `first`, if any (without one, `first` is 1).
    pub snapshot: Option<String>,
}

impl WalStart {
    /// The log of a directory without a snapshot: it starts at segment 1.
    pub fn without_snapshot() -> WalStart {
        WalStart {
            first: 1,
            snapshot: None,
        }
    }
}

/// A change to the files that recovery makes once it opens the database for writing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repair {
    /// Cut the file to `len` bytes (a torn tail, or damage when salvaging).
    Truncate { path: PathBuf, len: u64 },
    /// Remove the file (a segment whose header a crash tore, or segments after salvaged damage).
    Remove { path: PathBuf },
}

/// What reading the log found.
#[derive(Debug, Default)]
pub struct WalScan {
    /// The records to replay, in log order (`SegmentEnd` marks are not among them).
    pub records: Vec<WalRecord>,
    /// The segment each record of `records` was read from.
    pub record_segments: Vec<u64>,
    /// Bytes the repairs cut off (torn tail, or everything after the damage when salvaging).
    pub truncated_bytes: u64,
    /// Segments that remain once the repairs are made, in order.
    pub segments: Vec<u64>,
    /// The last remaining segment, its length after the repairs, and whether it already
    /// ends with a `SegmentEnd` naming the segment after it.
    pub last_segment: Option<(u64, u64, bool)>,
    /// Damage skipped because of `salvage` (file and offset), empty otherwise.
    pub salvaged: Vec<String>,
    /// What must change on disk before the log is written again.
    pub repairs: Vec<Repair>,
}

/// Indexes of the WAL segments in `dir`, ascending.
pub fn segment_indexes(vfs: &dyn Vfs, dir: &Path) -> StorageResult<Vec<u64>> {
    let names = vfs
        .list(dir)
        .map_err(|e| StorageError::io(format!("listing {}", dir.display()), &e))?;
    let mut indexes: Vec<u64> = names
        .iter()
        .filter_map(|name| {
            name.strip_prefix("wal-")?
                .strip_suffix(".log")?
                .parse()
                .ok()
        })
        .collect();
    indexes.sort_unstable();
    Ok(indexes)
}

fn corruption(path: &Path, offset: usize, what: &str) -> StorageError {
    StorageError::new(
        StorageErrorKind::Corruption,
        format!(
            "WAL file {} is corrupt at offset {offset}: {what} (this is not a torn tail; open \
             with salvage to keep only the records before it)",
            path.display()
        ),
    )
}

fn missing(what: String) -> StorageError {
    StorageError::new(
        StorageErrorKind::Corruption,
        format!("{what} (open with salvage to keep what the remaining files hold)"),
    )
}

/// Fails with `error`, or with `salvage` notes it and goes on.
fn damage(error: StorageError, salvage: bool, scan: &mut WalScan) -> StorageResult<()> {
    if !salvage {
        return Err(error);
    }
    scan.salvaged.push(error.message);
    Ok(())
}

/// What reading one segment found.
enum SegmentEnd {
    /// Read to its end; `Some(next)` when it ends with a `SegmentEnd` mark.
    Whole { marked: Option<u64> },
    /// Cut at this offset (torn tail or salvaged damage); nothing after it is read.
    Cut { at: usize, salvaged: bool },
}

/// Reads the segments from `start.first` on. Changes nothing on disk.
pub fn scan_wal(
    vfs: &dyn Vfs,
    dir: &Path,
    start: &WalStart,
    salvage: bool,
) -> StorageResult<WalScan> {
    let indexes: Vec<u64> = segment_indexes(vfs, dir)?
        .into_iter()
        .filter(|index| *index >= start.first)
        .collect();
    let mut scan = WalScan::default();
    let expected = dir.join(segment_name(start.first));
    match (&start.snapshot, indexes.first()) {
        (_, Some(&first)) if first == start.first => {}
        (None, None) => return Ok(scan),
        (Some(snapshot), _) => {
            let error = missing(format!(
                "WAL file {} is missing: snapshot {snapshot} names it as the first segment \
                 after the checkpoint, so the commits after the snapshot are gone",
                expected.display()
            ));
            damage(error, salvage, &mut scan)?;
        }
        (None, Some(&first)) => {
            let error = missing(format!(
                "no snapshot, but the WAL starts at {}: the segments before it were covered by \
                 a checkpoint snapshot that is missing, so the tables and rows they held are \
                 gone",
                dir.join(segment_name(first)).display()
            ));
            damage(error, salvage, &mut scan)?;
        }
    }
    // A segment that must exist whole: named by the snapshot, or by a `SegmentEnd`.
    let mut vouched = start.snapshot.is_some();
    let mut marked = None;
    for (position, &index) in indexes.iter().enumerate() {
        let path = dir.join(segment_name(index));
        let last = position + 1 == indexes.len();
        if position > 0 && indexes[position - 1] + 1 != index {
            let error = missing(format!(
                "WAL file {} is missing: the log has segments before and after it, so the \
                 commits it held are gone",
                dir.join(segment_name(indexes[position - 1] + 1)).display()
            ));
            damage(error, salvage, &mut scan)?;
            remove_from(vfs, dir, &indexes[position..], &mut scan);
            return Ok(scan);
        }
        let bytes = vfs
            .read(&path)
            .map_err(|e| StorageError::io(format!("reading {}", path.display()), &e))?;
        let next_is_empty = !last && indexes.len() == position + 2 && {
            let next = dir.join(segment_name(indexes[position + 1]));
            vfs.read(&next)
                .map_err(|e| StorageError::io(format!("reading {}", next.display()), &e))?
                .len()
                <= WAL_MAGIC.len()
        };
        let role = Role {
            last,
            vouched,
            torn_tail_max: if last {
                usize::MAX
            } else if next_is_empty {
                segment_end_frame_bytes(index)
            } else {
                0
            },
            index,
        };
        match scan_segment(&bytes, &path, &role, salvage, &mut scan)? {
            SegmentEnd::Whole { marked: mark } => {
                scan.segments.push(index);
                scan.last_segment = Some((index, bytes.len() as u64, mark.is_some()));
                vouched = mark.is_some();
                marked = mark;
            }
            SegmentEnd::Cut { at, salvaged } => {
                cut(&path, at, bytes.len(), &mut scan);
                if at > 0 {
                    scan.segments.push(index);
                    scan.last_segment = Some((index, at as u64, false));
                }
                if salvaged {
                    remove_from(vfs, dir, &indexes[position + 1..], &mut scan);
                    return Ok(scan);
                }
                vouched = false;
                marked = None;
            }
        }
    }
    if let Some(next) = marked {
        let error = missing(format!(
            "WAL file {} is missing: the segment before it ends saying the log continues \
             there, so the commits it held are gone",
            dir.join(segment_name(next)).display()
        ));
        damage(error, salvage, &mut scan)?;
    }
    Ok(scan)
}

/// How one segment may end.
struct Role {
    last: bool,
    /// A snapshot or `SegmentEnd` says this segment was created whole.
    vouched: bool,
    /// A bad frame with nothing valid after it may be a torn tail here if it is at most
    /// this many bytes from the end: anywhere in the last segment; in the one before an empty
    /// last segment only a torn `SegmentEnd` (every commit before it was synced whole).
    torn_tail_max: usize,
    index: u64,
}

fn scan_segment(
    bytes: &[u8],
    path: &Path,
    role: &Role,
    salvage: bool,
    scan: &mut WalScan,
) -> StorageResult<SegmentEnd> {
    if !bytes.starts_with(WAL_MAGIC) {
        let never_finished = role.last
            && !role.vouched
            && valid_frame_after(bytes, 0, FRAME_PAYLOAD_BYTES_MAX).is_none();
        if never_finished {
            return Ok(SegmentEnd::Cut {
                at: 0,
                salvaged: false,
            });
        }
        let what = match (bytes.is_empty(), role.vouched) {
            (true, true) => "the file is empty, but the log is known to continue in it",
            (true, false) => "the file is empty, but later segments follow it",
            (false, _) => "bad segment header",
        };
        damage(corruption(path, 0, what), salvage, scan)?;
        return Ok(SegmentEnd::Cut {
            at: 0,
            salvaged: true,
        });
    }
    let mut pos = WAL_MAGIC.len();
    loop {
        let reason = match frame_at(bytes, pos, FRAME_PAYLOAD_BYTES_MAX) {
            FrameAt::End => return Ok(SegmentEnd::Whole { marked: None }),
            FrameAt::Valid { payload, next } => match WalRecord::decode(&bytes[payload]) {
                Ok(WalRecord::SegmentEnd { next: following }) => {
                    if following != role.index + 1 || next != bytes.len() {
                        "a segment end mark that is not the last record or names the wrong \
                         segment"
                    } else {
                        return Ok(SegmentEnd::Whole {
                            marked: Some(following),
                        });
                    }
                }
                Ok(record) => {
                    scan.records.push(record);
                    scan.record_segments.push(role.index);
                    pos = next;
                    continue;
                }
                Err(error) => {
                    damage(corruption(path, pos, &error.message), salvage, scan)?;
                    return Ok(SegmentEnd::Cut {
                        at: pos,
                        salvaged: true,
                    });
                }
            },
            FrameAt::Bad(reason) => reason,
        };
        let torn_tail = bytes.len() - pos <= role.torn_tail_max
            && valid_frame_after(bytes, pos + 1, FRAME_PAYLOAD_BYTES_MAX).is_none();
        if torn_tail {
            return Ok(SegmentEnd::Cut {
                at: pos,
                salvaged: false,
            });
        }
        damage(corruption(path, pos, reason), salvage, scan)?;
        return Ok(SegmentEnd::Cut {
            at: pos,
            salvaged: true,
        });
    }
}

/// Bytes of the framed `SegmentEnd` that ends segment `index`.
fn segment_end_frame_bytes(index: u64) -> usize {
    let mut payload = Vec::new();
    WalRecord::SegmentEnd { next: index + 1 }.encode(&mut payload);
    super::frame::FRAME_HEADER_BYTES + payload.len()
}

/// Records a cut of `path` at `at` (removal when nothing whole remains).
fn cut(path: &Path, at: usize, len: usize, scan: &mut WalScan) {
    debug_assert!(at <= len);
    let path = path.to_path_buf();
    scan.repairs.push(if at == 0 {
        Repair::Remove { path }
    } else {
        Repair::Truncate {
            path,
            len: at as u64,
        }
    });
    scan.truncated_bytes += (len - at) as u64;
}

/// Records the removal of whole segments after salvaged damage.
fn remove_from(vfs: &dyn Vfs, dir: &Path, indexes: &[u64], scan: &mut WalScan) {
    for index in indexes {
        let path = dir.join(segment_name(*index));
        scan.truncated_bytes += vfs.read(&path).map_or(0, |bytes| bytes.len() as u64);
        scan.repairs.push(Repair::Remove { path });
    }
}

/// Makes the repairs a scan asked for, then syncs the directory.
pub fn apply_repairs(vfs: &dyn Vfs, dir: &Path, repairs: &[Repair]) -> StorageResult<()> {
    if repairs.is_empty() {
        return Ok(());
    }
    for repair in repairs {
        match repair {
            Repair::Truncate { path, len } => vfs
                .truncate(path, *len)
                .and_then(|()| vfs.sync(path))
                .map_err(|e| StorageError::io(format!("truncating {}", path.display()), &e))?,
            Repair::Remove { path } => vfs
                .remove(path)
                .map_err(|e| StorageError::io(format!("removing {}", path.display()), &e))?,
        }
    }
    vfs.sync_dir(dir)
        .map_err(|e| StorageError::io(format!("syncing {}", dir.display()), &e))
}
