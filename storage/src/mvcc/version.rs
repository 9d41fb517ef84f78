//! One version of a row: begin/end stamps, the older version it replaced, and its encoded
//! payload. The visibility rule for a snapshot lives here and nowhere else.

use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_epoch::{Atomic, Guard};

use crate::slab::Payload;

use super::clock::TXN_ID_BASE;
use super::transaction::Snapshot;

/// The `end` stamp of a version nobody has replaced or deleted.
pub const END_INFINITY: u64 = u64::MAX;

/// The `end` stamp the collector puts on a live head version while it freezes the row (see
/// `head.rs`): no writer can claim the version meanwhile (writers wait for the swap), and
/// readers still see it as live (it is no transaction's id).
pub const END_FREEZING: u64 = u64::MAX - 1;

/// Whether an `end` stamp leaves the version live for everyone (nobody ended it).
#[inline]
pub(crate) fn is_unended(end: u64) -> bool {
    end == END_INFINITY || end == END_FREEZING
}

/// The tag of a version's `older` link saying that the older version holds the same key in
/// every secondary index as the newer one: the newer changed only columns no index covered
/// when it was written (`Transaction::update_columns`). Collection and rollback skip the
/// index entries of a version unlinked across such a link: they are the neighbour's entries
/// too (`gc.rs`, `Transaction::rollback_to`). An index created later clears the tags of the
/// chains it populates (`indexing.rs`), as its key may differ between the two.
pub(crate) const SAME_INDEX_KEYS: usize = 1;

// The tag lives in the alignment bits of the link.
const _: () = assert!(std::mem::align_of::<Version>() > SAME_INDEX_KEYS);

pub struct Version {
    pub(crate) begin: AtomicU64,
    pub(crate) end: AtomicU64,
    /// The version this one replaced (tagged `SAME_INDEX_KEYS` or not).
    pub(crate) older: Atomic<Version>,
    pub(crate) payload: Payload,
}

/// Bytes of a version's header (its payload lives in the slab pool), for accounting.
pub(crate) const VERSION_HEADER_BYTES: u64 = std::mem::size_of::<Version>() as u64;

impl Version {
    pub(crate) fn new(begin: u64, payload: Payload) -> Version {
        Version {
            begin: AtomicU64::new(begin),
            end: AtomicU64::new(END_INFINITY),
            older: Atomic::null(),
            payload,
        }
    }

    /// The encoded row, valid while `guard` is pinned (compaction may move it, freeing the
    /// old copy after the epoch).
    #[inline]
    pub fn payload<'g>(&'g self, guard: &'g Guard) -> &'g [u8] {
        self.payload.bytes(guard)
    }

    /// Whether `snapshot` sees this version (see the module essay in `mvcc`).
    #[inline]
    pub fn is_visible(&self, snapshot: &Snapshot) -> bool {
        let begin = self.begin.load(Ordering::Acquire);
        let began = if begin >= TXN_ID_BASE {
            begin == snapshot.txn_id
        } else {
            begin <= snapshot.read_ts
        };
        if !began {
            return false;
        }
        let end = self.end.load(Ordering::Acquire);
        if is_unended(end) {
            true
        } else if end >= TXN_ID_BASE {
            end != snapshot.txn_id
        } else {
            end > snapshot.read_ts
        }
    }

    /// Bytes of memory this version holds (header plus payload slot), for accounting.
    pub fn footprint_bytes(&self) -> u64 {
        VERSION_HEADER_BYTES + self.payload.held_bytes()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::slab::{MemoryAccount, SlabPool};

    fn empty_payload() -> Payload {
        let pool = SlabPool::new(Arc::new(MemoryAccount::new()));
        Payload::new(&pool, &[], 0).unwrap()
    }

    fn snapshot(read_ts: u64, txn_id: u64) -> Snapshot {
        Snapshot { read_ts, txn_id }
    }

    #[test]
    fn committed_version_visibility_window() {
        let version = Version::new(3, empty_payload());
        version.end.store(7, Ordering::Relaxed);
        assert!(!version.is_visible(&snapshot(2, 0)));
        assert!(version.is_visible(&snapshot(3, 0)));
        assert!(version.is_visible(&snapshot(6, 0)));
        assert!(!version.is_visible(&snapshot(7, 0)));
    }

    #[test]
    fn uncommitted_version_is_visible_only_to_its_writer() {
        let writer = TXN_ID_BASE + 4;
        let version = Version::new(writer, empty_payload());
        assert!(version.is_visible(&snapshot(10, writer)));
        assert!(!version.is_visible(&snapshot(10, writer + 1)));
        version.end.store(writer, Ordering::Relaxed);
        assert!(
            !version.is_visible(&snapshot(10, writer)),
            "deleted by its own writer"
        );
    }
}
