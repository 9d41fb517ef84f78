//! Fuzz target: WAL decoding. The input (after a flag byte) is one WAL record payload and
//! also a whole WAL segment file: the record decoder must return a record or an error (and
//! a decoded record must re-encode to the same bytes), and opening a database directory
//! whose log is that segment must recover or fail cleanly, never panic.
#![no_main]

#[path = "common.rs"]
mod common;

use ember_storage::wal::record::WalRecord;
use ember_storage::wal::segment_name;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, bytes)) = data.split_first() else {
        return;
    };
    if let Ok(record) = WalRecord::decode(bytes) {
        let mut encoded = Vec::new();
        record.encode(&mut encoded);
        assert_eq!(WalRecord::decode(&encoded).ok(), Some(record));
    }
    let vfs = common::directory_with(&segment_name(1), bytes);
    common::open_and_read(&vfs, flags & 1 == 1);
});
