//! Writes the seed inputs of the `wal` and `snapshot` fuzz targets from a real database on a
//! simulated disk: WAL segments after several kinds of statements, and the snapshot file a
//! checkpoint writes. Each seed starts with the targets' flag byte (0). Run by `run.sh`.

use std::path::Path;
use std::sync::Arc;

use ember_storage::snapshot::{snapshot_name, snapshot_timestamps};
use ember_storage::vfs::{SimVfs, Vfs};
use ember_storage::wal::{segment_indexes, segment_name};

const SCRIPTS: &[&str] = &[
    "CREATE TABLE t(id INT PRIMARY KEY, name TEXT, score REAL, data BLOB, ok BOOLEAN)",
    "INSERT INTO t VALUES (1, 'one', 1.5, x'0102', TRUE), (2, NULL, -0.5, NULL, FALSE)",
    "CREATE TABLE u(a INTEGER, b TEXT NOT NULL UNIQUE); CREATE INDEX u_a ON u(a)",
    "INSERT INTO u VALUES (7, 'x'), (NULL, 'y'); UPDATE t SET name = 'two' WHERE id = 2",
    "CREATE VIEW v AS SELECT id, name FROM t; DELETE FROM t WHERE id = 1; DROP TABLE u",
];

fn write_seed(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::create_dir_all(dir).expect("seed dir");
    let mut seed = vec![0u8];
    seed.extend_from_slice(bytes);
    std::fs::write(dir.join(name), seed).expect("seed written");
}

fn main() {
    let out = Path::new(std::env::args().nth(1).as_deref().unwrap_or("seeds")).to_path_buf();
    let vfs = SimVfs::new();
    let dir = Path::new("/db");
    let options = ember::Options::new();
    let db = ember::Database::open_with_vfs(dir, options, Arc::new(vfs.clone())).expect("open");
    let conn = db.connect();
    for (step, script) in SCRIPTS.iter().enumerate() {
        conn.execute_batch(script).expect("seed script runs");
        let segment = *segment_indexes(&vfs, dir).expect("segments").last().expect("one");
        let bytes = vfs.read(&dir.join(segment_name(segment))).expect("segment");
        write_seed(&out.join("wal"), &format!("segment-{step}"), &bytes);
    }
    conn.execute("CHECKPOINT", ()).expect("checkpoint");
    let ts = *snapshot_timestamps(&vfs, dir).expect("snapshots").last().expect("one");
    let bytes = vfs.read(&dir.join(snapshot_name(ts))).expect("snapshot");
    write_seed(&out.join("snapshot"), "checkpoint", &bytes);
    println!("seeds written to {}", out.display());
}
