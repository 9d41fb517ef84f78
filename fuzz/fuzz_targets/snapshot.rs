//! Fuzz target: snapshot decoding. The input (after a flag byte) is a snapshot file: the
//! reader must return its content or an error, and opening a database directory holding it
//! must recover or fail cleanly, never panic.
#![no_main]

#[path = "common.rs"]
mod common;

use std::path::Path;

use ember_storage::snapshot::{read_snapshot, snapshot_name};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, bytes)) = data.split_first() else {
        return;
    };
    let _ = read_snapshot(bytes, Path::new("/db/fuzz.snap"));
    let vfs = common::directory_with(&snapshot_name(1), bytes);
    common::open_and_read(&vfs, flags & 1 == 1);
});
