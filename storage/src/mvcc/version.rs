//! One version of a row: begin/end stamps, the older version it replaced, and its encoded
//! payload. The visibility rule for a snapshot lives here and nowhere else.

use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_epoch::Atomic;

use super::clock::TXN_ID_BASE;
use super::transaction::Snapshot;

/// The `end` stamp of a version nobody has replaced or deleted.
pub const END_INFINITY: u64 = u64::MAX;

pub struct Version {
    pub(crate) begin: AtomicU64,
    pub(crate) end: AtomicU64,
    pub(crate) older: Atomic<Version>,
    pub(crate) payload: Box<[u8]>,
}

impl Version {
    pub(crate) fn new(begin: u64, payload: Box<[u8]>) -> Version {
        Version {
            begin: AtomicU64::new(begin),
            end: AtomicU64::new(END_INFINITY),
            older: Atomic::null(),
            payload,
        }
    }

    pub fn payload(&self) -> &[u8] {
        &self.payload
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
        if end == END_INFINITY {
            true
        } else if end >= TXN_ID_BASE {
            end != snapshot.txn_id
        } else {
            end > snapshot.read_ts
        }
    }

    /// Bytes of memory this version takes (header plus payload), for accounting.
    pub fn footprint_bytes(&self) -> usize {
        std::mem::size_of::<Version>() + self.payload.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(read_ts: u64, txn_id: u64) -> Snapshot {
        Snapshot { read_ts, txn_id }
    }

    #[test]
    fn committed_version_visibility_window() {
        let version = Version::new(3, Box::new([]));
        version.end.store(7, Ordering::Relaxed);
        assert!(!version.is_visible(&snapshot(2, 0)));
        assert!(version.is_visible(&snapshot(3, 0)));
        assert!(version.is_visible(&snapshot(6, 0)));
        assert!(!version.is_visible(&snapshot(7, 0)));
    }

    #[test]
    fn uncommitted_version_is_visible_only_to_its_writer() {
        let writer = TXN_ID_BASE + 4;
        let version = Version::new(writer, Box::new([]));
        assert!(version.is_visible(&snapshot(10, writer)));
        assert!(!version.is_visible(&snapshot(10, writer + 1)));
        version.end.store(writer, Ordering::Relaxed);
        assert!(
            !version.is_visible(&snapshot(10, writer)),
            "deleted by its own writer"
        );
    }
}
