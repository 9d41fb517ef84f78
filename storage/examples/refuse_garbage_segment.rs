//! Times how long recovery's WAL scan takes to refuse a log whose middle segment is garbage
//! (a whole segment overwritten with random bytes), and, with salvage, to keep the prefix
//! before it: the search for a valid frame in damaged bytes is linear (`wal/frame.rs`).
//! Also times random bytes after an intact magic (a bad frame, not a bad header), and garbage
//! whose headers name lengths that fit (many candidates).
//!
//! `cargo run --release -p ember-storage --example refuse_garbage_segment [MIB]` (default
//! 64). Writes a three-segment log into a temporary directory and removes it afterwards.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use ember_storage::limits::FRAME_PAYLOAD_BYTES_MAX;
use ember_storage::vfs::{OsVfs, Vfs};
use ember_storage::wal::frame::FrameSearch;
use ember_storage::wal::record::{RowChange, WalRecord};
use ember_storage::wal::{scan_wal, segment_name, SyncPolicy, Wal, WalStart};
use ember_storage::StorageErrorKind;

fn commit(ts: u64) -> Vec<u8> {
    let record = WalRecord::Commit {
        ts,
        changes: vec![RowChange {
            table_id: 1,
            row: ts,
            payload: Some(vec![ts as u8; 100]),
        }],
    };
    let mut bytes = Vec::new();
    record.encode(&mut bytes);
    bytes
}

/// A log of three segments in `dir`: 1 and 3 whole, 2 to be overwritten.
fn write_log(vfs: &Arc<OsVfs>, dir: &Path) {
    let wal = Wal::create(
        Arc::clone(vfs) as Arc<dyn Vfs>,
        dir,
        1,
        SyncPolicy::Off,
        1 << 30,
    )
    .expect("create log");
    let mut ts = 0;
    for _ in 0..3 {
        for _ in 0..100 {
            ts += 1;
            wal.append(&commit(ts)).expect("append");
        }
        wal.roll().expect("roll");
    }
    wal.close().expect("close");
}

fn time_scan(vfs: &OsVfs, dir: &Path, salvage: bool) -> (f64, String) {
    let started = Instant::now();
    let result = scan_wal(vfs, dir, &WalStart::without_snapshot(), salvage);
    let seconds = started.elapsed().as_secs_f64();
    let outcome = match result {
        Err(error) if error.kind == StorageErrorKind::Corruption => "refused: Corruption".into(),
        Err(error) => format!("failed: {error:?}"),
        Ok(scan) => format!(
            "salvaged: {} records kept, {} notes",
            scan.records.len(),
            scan.salvaged.len()
        ),
    };
    (seconds, outcome)
}

fn main() {
    let mib: usize = std::env::args()
        .nth(1)
        .and_then(|arg| arg.parse().ok())
        .unwrap_or(64);
    let dir = std::env::temp_dir().join(format!("ember-garbage-segment-{}", std::process::id()));
    let vfs = Arc::new(OsVfs::new());
    vfs.create_dir_all(&dir).expect("temp dir");
    write_log(&vfs, &dir);
    let middle = dir.join(segment_name(2));
    let mut rng = fastrand::Rng::with_seed(64);
    let len = mib << 20;
    let random: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
    let fitting: Vec<u8> = (0..len)
        .map(|i| if i % 4 == 0 { rng.u8(1..) } else { 0 })
        .collect();
    let mut after_magic = random.clone();
    after_magic[..8].copy_from_slice(ember_storage::wal::WAL_MAGIC);
    let cases = [
        ("random", random),
        ("random after the magic", after_magic),
        ("small-length", fitting),
    ];
    for (name, garbage) in cases {
        let started = Instant::now();
        let mut search = FrameSearch::new(&garbage, FRAME_PAYLOAD_BYTES_MAX);
        let found = search.next_valid(0);
        println!(
            "{mib} MiB {name} garbage, the frame search alone: {found:?} in {:.3} s ({} \
             candidate offsets, {} bytes CRC'd)",
            started.elapsed().as_secs_f64(),
            search.candidates,
            search.crc_bytes
        );
        vfs.write_new(&middle, &garbage).expect("garbage");
        for salvage in [false, true] {
            let (seconds, outcome) = time_scan(&vfs, &dir, salvage);
            println!(
                "{mib} MiB {name} garbage middle segment, salvage {salvage}: {outcome} in \
                 {seconds:.3} s"
            );
        }
    }
    std::fs::remove_dir_all(&dir).expect("remove temp dir");
}
