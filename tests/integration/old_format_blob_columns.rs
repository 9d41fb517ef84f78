//! Files written when a column declared `BLOB` (or `BYTEA`) was a blob column still open and
//! read back the same values: `tests/fixtures/blob_typed/` was written by the EmberDB of
//! 2026-11-26 (snapshot format 3 and a WAL segment `EMBRWAL3`) with
//!
//! ```sql
//! CREATE TABLE files(id INTEGER PRIMARY KEY, data BLOB, raw BYTEA, note);
//! INSERT INTO files VALUES (1, X'00ff10', X'01', 'binary'),
//!   (2, 'text became a blob', 'bytes', 7), (3, NULL, X'', X'aa');
//! CHECKPOINT;
//! INSERT INTO files VALUES (4, X'deadbeef', NULL, 'after checkpoint'), (5, '{"a":1}', X'02', 2.5);
//! UPDATE files SET data = X'0102' WHERE id = 1;
//! ALTER TABLE files ADD COLUMN extra BLOB;
//! INSERT INTO files VALUES (6, X'06', X'07', 'added column', X'08');
//! ```
//! (that version turned text stored in a BLOB column into a blob), so rows come from the
//! snapshot and from WAL commits, with blobs in BLOB, BYTEA and added BLOB columns beside a
//! column of no type. Today those columns hold any value as it is given.

use std::path::{Path, PathBuf};

use ember::{Database, Options, Value};

/// A fresh copy of the fixture under the system temp dir, removed on drop.
struct FixtureCopy(PathBuf);

impl FixtureCopy {
    fn new(name: &str) -> FixtureCopy {
        let path = std::env::temp_dir().join(format!("ember-it-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/blob_typed");
        for file in [
            "snap-00000000000000000001.snap",
            "wal-00000000000000000003.log",
        ] {
            std::fs::copy(fixture.join(file), path.join(file)).unwrap();
        }
        FixtureCopy(path)
    }
}

impl Drop for FixtureCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn blob(bytes: &[u8]) -> Value {
    Value::Blob(bytes.to_vec())
}

fn text(text: &str) -> Value {
    Value::Text(text.to_string())
}

/// The rows the statements above leave: `(id, data, raw, note, extra)`.
fn expected() -> Vec<Vec<Value>> {
    let row = |id: i64, data: Value, raw: Value, note: Value, extra: Value| {
        vec![Value::Integer(id), data, raw, note, extra]
    };
    vec![
        row(1, blob(&[1, 2]), blob(&[1]), text("binary"), Value::Null),
        row(
            2,
            blob(b"text became a blob"),
            blob(b"bytes"),
            Value::Integer(7),
            Value::Null,
        ),
        row(3, Value::Null, blob(&[]), blob(&[0xaa]), Value::Null),
        row(
            4,
            blob(&[0xde, 0xad, 0xbe, 0xef]),
            Value::Null,
            text("after checkpoint"),
            Value::Null,
        ),
        row(
            5,
            blob(br#"{"a":1}"#),
            blob(&[2]),
            Value::Real(2.5),
            Value::Null,
        ),
        row(6, blob(&[6]), blob(&[7]), text("added column"), blob(&[8])),
    ]
}

fn rows(db: &Database) -> Vec<Vec<Value>> {
    let rows = db
        .connect()
        .query(
            "SELECT id, data, raw, note, extra FROM files ORDER BY id",
            (),
        )
        .unwrap();
    rows.into_iter().map(|row| row.values().to_vec()).collect()
}

#[test]
fn a_directory_with_blob_typed_columns_opens_with_the_same_values() {
    let dir = FixtureCopy::new("old-blob-columns");
    {
        let db = Database::open_with(&dir.0, Options::default().read_only(true)).unwrap();
        assert_eq!(rows(&db), expected());
    }
    // Writable: the columns now keep text and numbers as given (BLOB affinity is none;
    // BYTEA has NUMERIC affinity).
    {
        let db = Database::open(&dir.0).unwrap();
        assert_eq!(rows(&db), expected());
        db.connect()
            .execute("INSERT INTO files VALUES (7, 'hello', '12', NULL, 'x')", ())
            .unwrap();
    }
    let mut after = expected();
    after.push(vec![
        Value::Integer(7),
        text("hello"),
        Value::Integer(12),
        Value::Null,
        text("x"),
    ]);
    for _ in 0..2 {
        let db = Database::open(&dir.0).unwrap();
        assert_eq!(rows(&db), after);
        let found = db
            .connect()
            .query("SELECT id FROM files WHERE data = 'hello'", ())
            .unwrap();
        assert_eq!(found.len(), 1);
    }
    for entry in std::fs::read_dir(&dir.0).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.starts_with("wal-") {
            let bytes = std::fs::read(dir.0.join(&name)).unwrap();
            assert!(
                bytes.starts_with(b"EMBRWAL4"),
                "{name} is not of the new format"
            );
        }
    }
}
