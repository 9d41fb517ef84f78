//! Reading the WAL back at recovery: the segments from the one the snapshot names (or the
//! first, without a snapshot), in order, every frame checked. Reading changes nothing on
//! disk: what recovery should cut off comes back as `Repair`s, applied by `apply_repairs`
//! only when the database is opened for writing.
//!
//! The rules, from what the writer guarantees (`mod.rs`):
//! - The first segment must be the expected one: the snapshot's, which was created and synced
//!   before the snapshot was written, or segment 1 without a snapshot (older segments are
//!   deleted only after a snapshot covers them). Otherwise a segment or the snapshot is
//!   missing: corruption.
//! - Segments are consecutive. A segment that ends with `SegmentEnd` was followed by a
//!   complete next segment, so that one missing, empty or with a bad header is corruption.
//!   A segment that starts with `SegmentStart { previous_len }` was created after the one
//!   before it was synced with exactly that many bytes of records; and that one was marked
//!   ended before any record went into the new one.
//! - A bad frame is a torn tail (a crash mid-write) in the last segment when no valid frame
//!   follows it, or only frames appended while it was not yet synced (each frame records
//!   how much of its segment was synced when it was appended: a crash may persist unsynced
//!   pages out of order). A clean close ends the log with a `SyncPoint` covering everything.
//!   In the segment before the last, a bad frame is torn only if it is a torn `SegmentEnd`:
//!   the last segment holds nothing but a `SegmentStart` saying the records ended where the
//!   bad frame starts. A last segment with a bad header that no `SegmentEnd` or snapshot
//!   vouches for is one a crash never finished creating. These are cut off.
//! - Anything else (a bad frame with valid frames after it, a frame that checks out but does
//!   not decode, damage in an earlier segment, a missing segment) is corruption: an error
//!   naming the file and offset, unless `salvage` is set, in which case replay stops at the
//!   first damage or gap, everything after it is cut off (later segments too: replayed over
//!   the gap they would make a state no commit had) and the damage is listed in `salvaged`
//!   with what was kept.

use std::path::{Path, PathBuf};

use crate::error::{StorageError, StorageErrorKind, StorageResult};
use crate::limits::FRAME_PAYLOAD_BYTES_MAX;
use crate::vfs::Vfs;

use super::frame::{frame_at, FrameAt, FrameSearch};
use super::manifest::Manifest;
use super::record::{Reader, WalRecord};
use super::{segment_name, WAL_MAGIC, WAL_MAGIC_V1, WAL_MAGIC_V2, WAL_MAGIC_V3};
use crate::row::RowFormat;

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
    /// How the row payloads of each record of `records` encode REALs (by its segment's
    /// magic): decode them with `TableSchema::decode_stored`.
    pub record_row_formats: Vec<RowFormat>,
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
    /// Bytes of the segment files read (what recovery's replay rate is measured on).
    pub bytes_read: u64,
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

fn corruption(path: &Path, offset: usize, what: &str) -> Damage {
    Damage {
        message: format!(
            "WAL file {} is corrupt at offset {offset}: {what}",
            path.display()
        ),
        hint: "this is not a torn tail; open with salvage to keep only the commits before it",
    }
}

fn missing(what: String) -> Damage {
    Damage {
        message: what,
        hint: "open with salvage to keep the commits before the loss",
    }
}

/// Damage the scan found: what it is, and what to do about it.
struct Damage {
    message: String,
    hint: &'static str,
}

/// Fails with `damage`, or with `salvage` notes it, with what salvage keeps, and goes on
/// (the caller then stops reading: nothing after damage is a committed prefix).
fn damage(damage: Damage, salvage: bool, scan: &mut WalScan) -> StorageResult<()> {
    if !salvage {
        return Err(StorageError::new(
            StorageErrorKind::Corruption,
            format!("{} ({})", damage.message, damage.hint),
        ));
    }
    let kept = match scan.last_segment {
        Some((index, len, _)) => format!(
            "the log up to offset {len} of {} (every commit before the damage)",
            segment_name(index)
        ),
        None => "no WAL record (nothing before the damage)".to_string(),
    };
    scan.salvaged.push(format!(
        "{}; salvage keeps {kept} and nothing after it",
        damage.message
    ));
    Ok(())
}

/// What one segment holds, read without judging it.
struct SegmentRead {
    /// The `SegmentStart` length of the segment before, when this segment has one.
    starts_after: Option<u64>,
    records: Vec<WalRecord>,
    /// How its row payloads encode REALs.
    row_format: RowFormat,
    /// Where the records end: at the end mark, the damage or the end of the file.
    records_end: usize,
    ending: Ending,
}

enum Ending {
    /// Read to its end; `marked` when a `SegmentEnd` naming the next segment ends it.
    Whole { marked: bool },
    /// The file does not start with the magic; `framed` when a valid frame starts in it.
    BadHeader { framed: bool },
    /// A bad frame at `records_end`; `tail` when no valid frame starts after it (and the
    /// frame failed its checks, rather than decoding to a wrong record).
    Bad { reason: String, tail: bool },
}

/// What a segment's magic says: whether its frames carry a `synced_before` prefix, and how
/// its row payloads encode REALs; `None` without a known magic.
fn segment_format(bytes: &[u8]) -> Option<(bool, RowFormat)> {
    if bytes.starts_with(WAL_MAGIC) {
        Some((true, RowFormat::Current))
    } else if bytes.starts_with(WAL_MAGIC_V3) {
        Some((true, RowFormat::BlobTypedColumns))
    } else if bytes.starts_with(WAL_MAGIC_V2) {
        Some((true, RowFormat::FixedReals))
    } else if bytes.starts_with(WAL_MAGIC_V1) {
        Some((false, RowFormat::FixedReals))
    } else {
        None
    }
}

/// A frame's payload split into its `synced_before` offset (current format; 0 in the first
/// format, which has none) and the record's bytes.
fn split_payload(payload: &[u8], prefixed: bool) -> Option<(u64, &[u8])> {
    if !prefixed {
        return Some((0, payload));
    }
    let mut reader = Reader::new(payload);
    let synced_before = reader.varint().ok()?;
    let used = payload.len() - reader.remaining();
    Some((synced_before, &payload[used..]))
}

/// The records of one segment's bytes up to its first bad frame, each with the offset where
/// its frame ends (the segment's own marks included). For tools and tests that relate log
/// positions to commits.
pub fn segment_records(bytes: &[u8]) -> Vec<(usize, WalRecord)> {
    let Some((prefixed, _)) = segment_format(bytes) else {
        return Vec::new();
    };
    let mut records = Vec::new();
    let mut pos = WAL_MAGIC.len();
    while let FrameAt::Valid { payload, next } = frame_at(bytes, pos, FRAME_PAYLOAD_BYTES_MAX) {
        let Some((_, record)) = split_payload(&bytes[payload], prefixed) else {
            break;
        };
        let Ok(record) = WalRecord::decode(record) else {
            break;
        };
        records.push((next, record));
        pos = next;
    }
    records
}

/// Whether a bad frame at `pos` can be a crash's doing: no valid frame after it (a torn
/// tail), or (current format) every valid frame after it was appended while `pos` was not
/// yet synced, so its bytes may have reached the disk out of order while `pos`'s did not.
/// One search serves every later frame, so the whole check is linear in the segment.
fn torn_at(bytes: &[u8], pos: usize, prefixed: bool) -> bool {
    let mut search = FrameSearch::new(bytes, FRAME_PAYLOAD_BYTES_MAX);
    let mut from = pos + 1;
    while let Some(found) = search.next_valid(from) {
        let FrameAt::Valid { payload, next } = frame_at(bytes, found, FRAME_PAYLOAD_BYTES_MAX)
        else {
            return false;
        };
        match split_payload(&bytes[payload], prefixed) {
            Some((synced_before, _)) if prefixed && synced_before <= pos as u64 => from = next,
            _ => return false,
        }
    }
    true
}

fn read_segment(bytes: &[u8], index: u64) -> SegmentRead {
    let mut read = SegmentRead {
        starts_after: None,
        records: Vec::new(),
        row_format: RowFormat::Current,
        records_end: 0,
        ending: Ending::Whole { marked: false },
    };
    let Some((prefixed, row_format)) = segment_format(bytes) else {
        let framed = FrameSearch::new(bytes, FRAME_PAYLOAD_BYTES_MAX)
            .next_valid(0)
            .is_some();
        read.ending = Ending::BadHeader { framed };
        return read;
    };
    read.row_format = row_format;
    let mut pos = WAL_MAGIC.len();
    read.ending = loop {
        read.records_end = pos;
        let (payload, next) = match frame_at(bytes, pos, FRAME_PAYLOAD_BYTES_MAX) {
            FrameAt::End => break Ending::Whole { marked: false },
            FrameAt::Valid { payload, next } => (payload, next),
            FrameAt::Bad(reason) => {
                let tail = torn_at(bytes, pos, prefixed);
                let reason = reason.to_string();
                break Ending::Bad { reason, tail };
            }
        };
        let misplaced = |what: &str| Ending::Bad {
            reason: what.to_string(),
            tail: false,
        };
        let Some((_, record)) = split_payload(&bytes[payload], prefixed) else {
            break misplaced("a frame without its synced offset");
        };
        match WalRecord::decode(record) {
            Ok(WalRecord::SegmentEnd { next: following }) => {
                if following != index + 1 || next != bytes.len() {
                    break misplaced(
                        "a segment end mark that is not the last record or names \
                                     the wrong segment",
                    );
                }
                break Ending::Whole { marked: true };
            }
            Ok(WalRecord::SegmentStart { previous_len }) => {
                if pos != WAL_MAGIC.len() {
                    break misplaced("a segment start record that is not the first record");
                }
                read.starts_after = Some(previous_len);
            }
            Ok(WalRecord::SyncPoint) => {}
            Ok(record) => read.records.push(record),
            Err(error) => break misplaced(&error.message),
        }
        pos = next;
    };
    read
}

/// What the scan knows of the segment before the one being read.
struct Previous {
    path: PathBuf,
    records_end: usize,
    marked: bool,
    /// A bad tail found in it, judged once the next segment is read: it is a torn end mark
    /// (a crash while it was written) only if the next segment is the last, holds nothing
    /// but its `SegmentStart`, and that says the records ended exactly there.
    torn_at: Option<String>,
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
            // Later segments replayed over the gap would make a state no commit had.
            remove_from(vfs, dir, &indexes, &mut scan);
            return Ok(scan);
        }
        (None, Some(&first)) => {
            let error = missing(format!(
                "no snapshot, but the WAL starts at {}: the segments before it were covered by \
                 a checkpoint snapshot that is missing, so the tables and rows they held are \
                 gone",
                dir.join(segment_name(first)).display()
            ));
            damage(error, salvage, &mut scan)?;
            remove_from(vfs, dir, &indexes, &mut scan);
            return Ok(scan);
        }
    }
    // A segment that must exist whole: named by the snapshot, or by a `SegmentEnd`.
    let mut vouched = start.snapshot.is_some();
    let mut previous: Option<Previous> = None;
    for (position, &index) in indexes.iter().enumerate() {
        let path = dir.join(segment_name(index));
        let last = position + 1 == indexes.len();
        let later = &indexes[position..];
        if position > 0 && indexes[position - 1] + 1 != index {
            let error = missing(format!(
                "WAL file {} is missing: the log has segments before and after it, so the \
                 commits it held are gone",
                dir.join(segment_name(indexes[position - 1] + 1)).display()
            ));
            damage(error, salvage, &mut scan)?;
            if let Some(Previous {
                path,
                records_end,
                torn_at: Some(_),
                ..
            }) = &previous
            {
                cut(path, *records_end, vfs, &mut scan);
            }
            remove_from(vfs, dir, later, &mut scan);
            return Ok(scan);
        }
        let bytes = vfs
            .read(&path)
            .map_err(|e| StorageError::io(format!("reading {}", path.display()), &e))?;
        scan.bytes_read += bytes.len() as u64;
        let read = read_segment(&bytes, index);
        let header_only =
            read.records.is_empty() && matches!(read.ending, Ending::Whole { marked: false });
        if let Some(before) = previous.take() {
            let problem = match (&before.torn_at, read.starts_after) {
                (Some(reason), starts_after) => {
                    let torn_mark =
                        last && header_only && starts_after == Some(before.records_end as u64);
                    (!torn_mark).then(|| reason.clone())
                }
                (None, Some(len)) if len != before.records_end as u64 => Some(format!(
                    "the records end here, but {} says they end at offset {len}",
                    path.display()
                )),
                (None, Some(_)) if !(before.marked || last && header_only) => Some(format!(
                    "the segment has no end mark, but {} holds later records",
                    path.display()
                )),
                _ => None,
            };
            if let Some(problem) = problem {
                let error = corruption(&before.path, before.records_end, &problem);
                damage(error, salvage, &mut scan)?;
                cut(&before.path, before.records_end, vfs, &mut scan);
                remove_from(vfs, dir, later, &mut scan);
                return Ok(scan);
            }
            if before.torn_at.is_some() {
                cut(&before.path, before.records_end, vfs, &mut scan);
            }
        }
        let records_end = read.records_end;
        let segment_index = std::iter::repeat_n(index, read.records.len());
        scan.record_segments.extend(segment_index);
        let row_formats = std::iter::repeat_n(read.row_format, read.records.len());
        scan.record_row_formats.extend(row_formats);
        scan.records.extend(read.records);
        match read.ending {
            Ending::BadHeader { framed } => {
                if last && !vouched && !framed {
                    // A segment a crash never finished creating: it held nothing.
                    cut(&path, 0, vfs, &mut scan);
                    break;
                }
                let what = match (bytes.is_empty(), vouched) {
                    (true, true) => "the file is empty, but the log is known to continue in it",
                    (true, false) => "the file is empty, but later segments follow it",
                    (false, _) => "bad segment header",
                };
                damage(corruption(&path, 0, what), salvage, &mut scan)?;
                remove_from(vfs, dir, later, &mut scan);
                return Ok(scan);
            }
            Ending::Whole { marked } => {
                scan.segments.push(index);
                scan.last_segment = Some((index, records_end as u64, marked));
                vouched = marked;
                previous = Some(Previous {
                    path,
                    records_end,
                    marked,
                    torn_at: None,
                });
            }
            Ending::Bad { reason, tail } if tail && last => {
                // A torn tail: a crash in the middle of an append.
                debug_assert!(!reason.is_empty());
                cut(&path, records_end, vfs, &mut scan);
                scan.segments.push(index);
                scan.last_segment = Some((index, records_end as u64, false));
            }
            Ending::Bad { reason, tail } if tail && indexes.len() == position + 2 => {
                scan.segments.push(index);
                scan.last_segment = Some((index, records_end as u64, false));
                vouched = false;
                previous = Some(Previous {
                    path,
                    records_end,
                    marked: false,
                    torn_at: Some(reason),
                });
            }
            Ending::Bad { reason, .. } => {
                scan.segments.push(index);
                scan.last_segment = Some((index, records_end as u64, false));
                damage(corruption(&path, records_end, &reason), salvage, &mut scan)?;
                cut(&path, records_end, vfs, &mut scan);
                remove_from(vfs, dir, &indexes[position + 1..], &mut scan);
                return Ok(scan);
            }
        }
    }
    if let Some(Previous { marked: true, .. }) = previous {
        let next = scan
            .last_segment
            .map_or(start.first, |(index, _, _)| index + 1);
        let error = missing(format!(
            "WAL file {} is missing: the segment before it ends saying the log continues \
             there, so the commits it held are gone",
            dir.join(segment_name(next)).display()
        ));
        damage(error, salvage, &mut scan)?;
        return Ok(scan);
    }
    check_manifest(vfs, dir, start, salvage, &mut scan)?;
    Ok(scan)
}

/// Refuses a log shorter than the manifest says it was when synced (`manifest.rs`): its
/// segment must be there holding at least that many bytes of whole records, or the log
/// must go on past it (each later segment's `SegmentStart` vouches for the one before).
/// A manifest naming a segment before the log's first is older than the snapshot, and says
/// nothing. With `salvage` a shortfall is noted and the log kept as read (its prefix).
fn check_manifest(
    vfs: &dyn Vfs,
    dir: &Path,
    start: &WalStart,
    salvage: bool,
    scan: &mut WalScan,
) -> StorageResult<()> {
    let manifest = match Manifest::read(vfs, dir) {
        Ok(Some(manifest)) => manifest,
        Ok(None) => return Ok(()),
        Err(error) if salvage && error.kind == StorageErrorKind::Corruption => {
            scan.salvaged
                .push(format!("{}; salvage went on without it", error.message));
            return Ok(());
        }
        Err(error) => return Err(error),
    };
    if manifest.segment < start.first {
        return Ok(());
    }
    let found = match scan.last_segment {
        Some((index, _, _)) if index > manifest.segment => return Ok(()),
        Some((index, len, _)) if index == manifest.segment => {
            if len >= manifest.synced_len {
                return Ok(());
            }
            format!("it holds whole records up to offset {len}")
        }
        Some((index, _, _)) => format!("the log ends in {}", segment_name(index)),
        None => "the log holds no segment".to_string(),
    };
    let when = if manifest.clean_close {
        "the last clean close"
    } else {
        "the last checkpoint"
    };
    let error = Damage {
        message: format!(
            "WAL file {} lost synced records: {found}, but the log manifest written at {when} \
             says {} bytes of it were synced",
            dir.join(segment_name(manifest.segment)).display(),
            manifest.synced_len
        ),
        hint: "the log was cut or zeroed after it was written, not torn by a crash; open with \
               salvage to keep the commits that remain",
    };
    damage(error, salvage, scan)
}

/// Records a cut of `path` at `at` (its removal when nothing remains).
fn cut(path: &Path, at: usize, vfs: &dyn Vfs, scan: &mut WalScan) {
    let len = vfs.read(path).map_or(at, |bytes| bytes.len());
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
    scan.truncated_bytes += len.saturating_sub(at) as u64;
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
