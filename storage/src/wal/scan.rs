//! Reading the WAL back at recovery: the segments from a starting index, in order, every
//! frame checked. A bad frame with nothing valid after it in the last segment is a torn tail
//! (a crash mid-write): it is cut off. A bad frame anywhere else, a frame that checks out but
//! does not decode, or a missing segment is corruption: an error naming the file and offset,
//! unless `salvage` is set, in which case replay stops there and the rest is cut off.

use std::path::Path;

use crate::error::{StorageError, StorageErrorKind, StorageResult};
use crate::limits::FRAME_PAYLOAD_BYTES_MAX;
use crate::vfs::Vfs;

use super::frame::{frame_at, valid_frame_after, FrameAt};
use super::record::WalRecord;
use super::{segment_name, WAL_MAGIC};

/// What reading the log found.
#[derive(Debug, Default)]
pub struct WalScan {
    pub records: Vec<WalRecord>,
    /// Bytes cut off the end (torn tail, or everything after the damage when salvaging).
    pub truncated_bytes: u64,
    /// Segments read, in order.
    pub segments: Vec<u64>,
    /// Damage skipped because of `salvage` (file and offset), empty otherwise.
    pub salvaged: Vec<String>,
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
            "WAL file {} is corrupt at offset {offset}: {what} (valid records follow it, so \
             this is not a torn tail; open with salvage to keep only the records before it)",
            path.display()
        ),
    )
}

/// Reads every segment with index >= `from_segment`; truncates a torn tail on disk.
pub fn scan_wal(
    vfs: &dyn Vfs,
    dir: &Path,
    from_segment: u64,
    salvage: bool,
) -> StorageResult<WalScan> {
    let indexes: Vec<u64> = segment_indexes(vfs, dir)?
        .into_iter()
        .filter(|index| *index >= from_segment)
        .collect();
    let mut scan = WalScan::default();
    for (position, index) in indexes.iter().enumerate() {
        let path = dir.join(segment_name(*index));
        let last = position + 1 == indexes.len();
        let gap = position > 0 && indexes[position - 1] + 1 != *index;
        if gap {
            let error = corruption(&path, 0, "the segment before it is missing");
            if !salvage {
                return Err(error);
            }
            scan.salvaged.push(error.message);
            cut_from(vfs, &indexes[position..], dir, &mut scan)?;
            break;
        }
        let bytes = vfs
            .read(&path)
            .map_err(|e| StorageError::io(format!("reading {}", path.display()), &e))?;
        scan.segments.push(*index);
        match scan_segment(&bytes, &path, last, salvage, &mut scan)? {
            None => {}
            Some(cut) => {
                truncate(vfs, &path, cut, bytes.len(), &mut scan)?;
                cut_from(vfs, &indexes[position + 1..], dir, &mut scan)?;
                break;
            }
        }
    }
    Ok(scan)
}

/// Reads one segment's records into `scan`; returns the offset to cut it at, if any.
fn scan_segment(
    bytes: &[u8],
    path: &Path,
    last: bool,
    salvage: bool,
    scan: &mut WalScan,
) -> StorageResult<Option<usize>> {
    if !bytes.starts_with(WAL_MAGIC) {
        if last && valid_frame_after(bytes, 0, FRAME_PAYLOAD_BYTES_MAX).is_none() {
            return Ok(Some(0));
        }
        let error = corruption(path, 0, "bad segment header");
        if salvage {
            scan.salvaged.push(error.message);
            return Ok(Some(0));
        }
        return Err(error);
    }
    let mut pos = WAL_MAGIC.len();
    loop {
        let reason = match frame_at(bytes, pos, FRAME_PAYLOAD_BYTES_MAX) {
            FrameAt::End => return Ok(None),
            FrameAt::Valid { payload, next } => match WalRecord::decode(&bytes[payload]) {
                Ok(record) => {
                    scan.records.push(record);
                    pos = next;
                    continue;
                }
                Err(error) => {
                    let error = corruption(path, pos, &error.message);
                    if salvage {
                        scan.salvaged.push(error.message);
                        return Ok(Some(pos));
                    }
                    return Err(error);
                }
            },
            FrameAt::Bad(reason) => reason,
        };
        let torn_tail =
            last && valid_frame_after(bytes, pos + 1, FRAME_PAYLOAD_BYTES_MAX).is_none();
        if torn_tail {
            return Ok(Some(pos));
        }
        let error = corruption(path, pos, reason);
        if salvage {
            scan.salvaged.push(error.message);
            return Ok(Some(pos));
        }
        return Err(error);
    }
}

fn truncate(
    vfs: &dyn Vfs,
    path: &Path,
    cut: usize,
    len: usize,
    scan: &mut WalScan,
) -> StorageResult<()> {
    if cut == 0 {
        vfs.remove(path)
            .map_err(|e| StorageError::io(format!("removing {}", path.display()), &e))?;
        scan.segments.pop();
    } else {
        vfs.truncate(path, cut as u64)
            .and_then(|()| vfs.sync(path))
            .map_err(|e| StorageError::io(format!("truncating {}", path.display()), &e))?;
    }
    scan.truncated_bytes += (len - cut) as u64;
    Ok(())
}

/// Removes whole segments after a salvage cut.
fn cut_from(vfs: &dyn Vfs, indexes: &[u64], dir: &Path, scan: &mut WalScan) -> StorageResult<()> {
    for index in indexes {
        let path = dir.join(segment_name(*index));
        let len = vfs.read(&path).map(|b| b.len()).unwrap_or(0);
        vfs.remove(&path)
            .map_err(|e| StorageError::io(format!("removing {}", path.display()), &e))?;
        scan.truncated_bytes += len as u64;
    }
    vfs.sync_dir(dir)
        .map_err(|e| StorageError::io(format!("syncing {}", dir.display()), &e))
}
