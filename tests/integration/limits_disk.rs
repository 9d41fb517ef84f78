//! Disk files are untrusted input: length fields that claim 4 GB (a WAL frame header, a
//! WAL record's change count and payload length, a snapshot block's row count, a row
//! payload's value length) give a clear error at once, before any allocation of that size,
//! and never a panic.

use std::path::Path;
use std::sync::Arc;

use ember::{Database, ErrorKind, Options, Value};
use ember_storage::row::{self, write_varint};
use ember_storage::snapshot::{read_snapshot, SNAPSHOT_MAGIC};
use ember_storage::vfs::{SimVfs, Vfs};
use ember_storage::wal::frame::encode_frame;
use ember_storage::wal::record::WalRecord;
use ember_storage::wal::{segment_indexes, segment_name};
use ember_storage::DataType;

const FOUR_GB: u64 = 1 << 32;

fn open(vfs: &SimVfs, options: Options) -> ember::Result<Database> {
    Database::open_with_vfs(Path::new("/db"), options, Arc::new(vfs.clone()))
}

/// A simulated database directory holding table `t` with five rows; returns the path and
/// bytes of its WAL segment.
fn database_with_rows(vfs: &SimVfs) -> (std::path::PathBuf, Vec<u8>) {
    {
        let db = open(vfs, Options::new()).unwrap();
        let conn = db.connect();
        conn.execute("CREATE TABLE t(id INT PRIMARY KEY, v TEXT)", ())
            .unwrap();
        for i in 0..5 {
            conn.execute("INSERT INTO t VALUES (?, 'x')", [i]).unwrap();
        }
    }
    let dir = Path::new("/db");
    let segment = segment_indexes(vfs, dir).unwrap()[0];
    let path = dir.join(segment_name(segment));
    let bytes = vfs.read(&path).unwrap();
    (path, bytes)
}

fn count_rows(db: &Database) -> i64 {
    db.connect()
        .query_value::<i64>("SELECT count(*) FROM t", ())
        .unwrap()
}

#[test]
fn a_wal_frame_whose_length_claims_4_gb_is_a_corruption_error() {
    let vfs = SimVfs::new();
    let (path, mut bytes) = database_with_rows(&vfs);
    // The first frame starts right after the 8-byte segment magic; valid frames follow it.
    bytes[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
    vfs.poke(&path, bytes).unwrap();
    let error = open(&vfs, Options::new()).err().expect("corruption");
    assert_eq!(error.kind(), ErrorKind::Corruption, "{error}");
    assert!(error.message().contains("length"), "{error}");
    assert!(error.message().contains("offset 8"), "{error}");
    // Salvage keeps what precedes the damage: here, nothing.
    let db = open(&vfs, Options::new().salvage(true)).unwrap();
    assert!(db.connect().query("SELECT * FROM t", ()).is_err());
}

#[test]
fn a_torn_tail_whose_length_claims_4_gb_is_cut_off() {
    let vfs = SimVfs::new();
    let (path, mut bytes) = database_with_rows(&vfs);
    bytes.extend_from_slice(&u32::MAX.to_le_bytes());
    bytes.extend_from_slice(&[0xAB; 20]);
    vfs.poke(&path, bytes).unwrap();
    let db = open(&vfs, Options::new()).unwrap();
    assert_eq!(count_rows(&db), 5);
    let recovery = db.durability_stats().unwrap().recovery;
    assert_eq!(recovery.bytes_truncated, 24);
}

/// Appends a frame with a valid checksum around `payload`, followed by a copy of the
/// segment's first frame (so the damage is not a torn tail).
fn append_record_then_valid_frame(vfs: &SimVfs, path: &Path, bytes: &[u8], payload: &[u8]) {
    let first_len = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize;
    let first_frame = bytes[8..16 + first_len].to_vec();
    let mut damaged = bytes.to_vec();
    encode_frame(payload, &mut damaged);
    damaged.extend_from_slice(&first_frame);
    vfs.poke(path, damaged).unwrap();
}

#[test]
fn a_wal_record_claiming_4_gb_of_changes_or_bytes_is_a_corruption_error() {
    // A commit record: kind 1, ts, change count; then one change with a payload length.
    let mut many_changes = vec![1u8];
    write_varint(99, &mut many_changes);
    write_varint(FOUR_GB, &mut many_changes);
    let mut huge_payload = vec![1u8];
    write_varint(99, &mut huge_payload);
    write_varint(1, &mut huge_payload);
    write_varint(1, &mut huge_payload); // table id
    write_varint(0, &mut huge_payload); // row
    huge_payload.push(1); // a payload follows
    write_varint(FOUR_GB, &mut huge_payload);
    // A catalog record whose SQL text claims 4 GB.
    let mut huge_text = vec![2u8, 1];
    write_varint(1, &mut huge_text);
    write_varint(1, &mut huge_text);
    huge_text.push(b't');
    write_varint(FOUR_GB, &mut huge_text);
    for payload in [&many_changes, &huge_payload, &huge_text] {
        assert!(WalRecord::decode(payload).is_err());
        let vfs = SimVfs::new();
        let (path, bytes) = database_with_rows(&vfs);
        append_record_then_valid_frame(&vfs, &path, &bytes, payload);
        let error = open(&vfs, Options::new()).err().expect("corruption");
        assert_eq!(error.kind(), ErrorKind::Corruption, "{error}");
        assert!(error.message().contains("damaged record"), "{error}");
        let db = open(&vfs, Options::new().salvage(true)).unwrap();
        assert_eq!(count_rows(&db), 5);
    }
}

#[test]
fn a_snapshot_block_claiming_4_gb_of_rows_is_a_corruption_error() {
    let mut bytes = SNAPSHOT_MAGIC.to_vec();
    let mut header = vec![1u8];
    write_varint(1, &mut header);
    write_varint(10, &mut header);
    write_varint(0, &mut header);
    encode_frame(&header, &mut bytes);
    let mut table = vec![2u8];
    write_varint(1, &mut table);
    write_varint(1, &mut table);
    table.push(b't');
    write_varint(0, &mut table);
    encode_frame(&table, &mut bytes);
    let mut rows = vec![3u8];
    write_varint(1, &mut rows);
    write_varint(FOUR_GB, &mut rows);
    encode_frame(&rows, &mut bytes);
    let error = read_snapshot(&bytes, Path::new("/db/snap")).unwrap_err();
    assert!(error.message.contains("corrupt"), "{error}");
    // A frame length field claiming 4 GB in the snapshot is refused the same way.
    let mut claim = SNAPSHOT_MAGIC.to_vec();
    claim.extend_from_slice(&u32::MAX.to_le_bytes());
    claim.extend_from_slice(&[0; 12]);
    let error = read_snapshot(&claim, Path::new("/db/snap")).unwrap_err();
    assert!(error.message.contains("length"), "{error}");
}

#[test]
fn a_row_value_whose_length_claims_4_gb_is_refused_before_allocating() {
    // Null bitmap (no NULLs), then a varint length of 2^32 for a BLOB with nothing after it.
    let mut bytes = vec![0u8];
    write_varint(FOUR_GB, &mut bytes);
    let error = row::decode(&[DataType::Blob], &bytes).unwrap_err();
    assert!(error.to_string().contains("length"), "{error}");
    // Every truncation of a valid row is an error too, never a panic.
    let types = [DataType::Integer, DataType::Text, DataType::Blob];
    let values = [
        Value::Integer(-5),
        Value::Text("hello".into()),
        Value::Blob(vec![1, 2, 3]),
    ];
    let valid = row::encode(&types, &values).unwrap();
    assert_eq!(row::decode(&types, &valid).unwrap(), values.to_vec());
    for cut in 0..valid.len() {
        assert!(row::decode(&types, &valid[..cut]).is_err(), "cut {cut}");
    }
}
