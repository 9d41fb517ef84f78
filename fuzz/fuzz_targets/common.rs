//! Shared by the disk-format fuzz targets: open a simulated database directory holding the
//! fuzzed file and read everything it recovered. Every outcome but a panic is acceptable.

use std::path::Path;
use std::sync::Arc;

use ember_storage::vfs::{SimVfs, Vfs};

/// Opens `/db` on `vfs` (with or without salvage) and, if that works, reads every table.
pub fn open_and_read(vfs: &SimVfs, salvage: bool) {
    let options = ember::Options::new().salvage(salvage);
    let Ok(db) = ember::Database::open_with_vfs(Path::new("/db"), options, Arc::new(vfs.clone()))
    else {
        return;
    };
    let conn = db.connect();
    let Ok(tables) = conn.query("SELECT name FROM ember_tables", ()) else {
        return;
    };
    for row in tables {
        if let Ok(name) = row.get::<String>(0) {
            let quoted = name.replace('"', "\"\"");
            let _ = conn.query(&format!("SELECT * FROM \"{quoted}\""), ());
        }
    }
    // The recovered database must accept writes and a checkpoint.
    let _ = conn.execute_batch("CREATE TABLE fuzz_probe(x INT); INSERT INTO fuzz_probe VALUES (1)");
    let _ = conn.execute("CHECKPOINT", ());
}

/// A fresh simulated directory `/db` holding `bytes` as the file `name`.
pub fn directory_with(name: &str, bytes: &[u8]) -> SimVfs {
    let vfs = SimVfs::new();
    let dir = Path::new("/db");
    vfs.create_dir_all(dir).expect("sim dir");
    vfs.write_new(&dir.join(name), bytes).expect("sim write");
    vfs
}
