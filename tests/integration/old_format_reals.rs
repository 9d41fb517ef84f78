//! Files written before the compact REAL encoding still open and read back identical values:
//! `tests/fixtures/reals_fixed8/` was written by the EmberDB of 2026-11-23 (snapshot format 2
//! and a WAL segment `EMBRWAL2`, REALs as 8 bytes) with
//!
//! ```sql
//! CREATE TABLE m(id INTEGER PRIMARY KEY, r REAL, a, note TEXT);
//! INSERT INTO m VALUES (1, 0.0, 1.5, 'zero'), (2, -0.0, -0.0, 'negative zero'),
//!   (3, 228.0, 228.0, 'integral'), (4, 499.5, 'text', 'half'), (5, 0.1, 0.1, 'tenth'),
//!   (6, 1e300, 2, 'huge'), (7, 4.9e-324, 4.9e-324, 'smallest subnormal'),
//!   (8, 9007199254740992.0, -9007199254740992.0, 'two to the 53'),
//!   (9, 1e20, X'00ff', 'past 2^53'), (10, 3.141592653589793, NULL, 'pi'),
//!   (11, NULL, -2.25, 'null real'), (12, -123456.75, 7.0, 'negative quarter');
//! CHECKPOINT;
//! INSERT INTO m VALUES (13, 2.5e-310, 1.7976931348623157e308, 'after checkpoint');
//! UPDATE m SET r = r * 2 WHERE id IN (3, 4, 5); DELETE FROM m WHERE id = 6;
//! ALTER TABLE m ADD COLUMN extra REAL DEFAULT 0.5;
//! INSERT INTO m VALUES (14, -1e-5, 0.75, 'added column', -0.0);
//! UPDATE m SET extra = 1e100 WHERE id = 1;
//! ```
//! so rows come from the snapshot and from WAL commits, with REALs in a REAL column, in a
//! column of no type (`Any`) and in an added column. `m.backup` is a backup of the same
//! database (`.backup`), whose image is snapshot format 2.

use std::path::{Path, PathBuf};

use ember::{Database, Options, Value};

/// A fresh copy of the fixture under the system temp dir, removed on drop.
struct FixtureCopy(PathBuf);

impl FixtureCopy {
    fn new(name: &str) -> FixtureCopy {
        let path = std::env::temp_dir().join(format!("ember-it-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        for file in [
            "snap-00000000000000000001.snap",
            "wal-00000000000000000003.log",
        ] {
            std::fs::copy(fixture_dir().join(file), path.join(file)).unwrap();
        }
        FixtureCopy(path)
    }
}

impl Drop for FixtureCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/reals_fixed8")
}

fn real(value: f64) -> Value {
    Value::Real(value)
}

/// The rows the statements above leave: `(id, r, a, note, extra)`.
fn expected() -> Vec<Vec<Value>> {
    let two53 = (1u64 << 53) as f64;
    let text = |text: &str| Value::Text(text.to_string());
    let row = |id: i64, r: Value, a: Value, note: &str, extra: Value| {
        vec![Value::Integer(id), r, a, text(note), extra]
    };
    vec![
        row(1, real(0.0), real(1.5), "zero", real(1e100)),
        // The SQL of the old version read `-0.0` as 0.0: the files hold +0.0.
        row(2, real(0.0), real(0.0), "negative zero", real(0.5)),
        row(3, real(456.0), real(228.0), "integral", real(0.5)),
        row(4, real(999.0), text("text"), "half", real(0.5)),
        row(5, real(0.1 * 2.0), real(0.1), "tenth", real(0.5)),
        row(
            7,
            real(f64::from_bits(1)),
            real(f64::from_bits(1)),
            "smallest subnormal",
            real(0.5),
        ),
        row(8, real(two53), real(-two53), "two to the 53", real(0.5)),
        row(
            9,
            real(1e20),
            Value::Blob(vec![0, 0xff]),
            "past 2^53",
            real(0.5),
        ),
        row(10, real(std::f64::consts::PI), Value::Null, "pi", real(0.5)),
        row(11, Value::Null, real(-2.25), "null real", real(0.5)),
        row(
            12,
            real(-123_456.75),
            real(7.0),
            "negative quarter",
            real(0.5),
        ),
        row(
            13,
            real(2.5e-310),
            real(f64::MAX),
            "after checkpoint",
            real(0.5),
        ),
        row(14, real(-1e-5), real(0.75), "added column", real(0.0)),
    ]
}

fn rows(db: &Database) -> Vec<Vec<Value>> {
    let rows = db
        .connect()
        .query("SELECT id, r, a, note, extra FROM m ORDER BY id", ())
        .unwrap();
    rows.into_iter().map(|row| row.values().to_vec()).collect()
}

/// Equal values, REALs bit for bit.
fn assert_identical(found: &[Vec<Value>], expected: &[Vec<Value>]) {
    assert_eq!(found.len(), expected.len(), "{found:?}");
    for (found, expected) in found.iter().zip(expected) {
        assert_eq!(found.len(), expected.len());
        for (found, expected) in found.iter().zip(expected) {
            match (found, expected) {
                (Value::Real(a), Value::Real(b)) => {
                    assert_eq!(a.to_bits(), b.to_bits(), "{a:e} != {b:e} in {found:?}")
                }
                (a, b) => assert_eq!(a, b),
            }
        }
    }
}

#[test]
fn a_directory_of_the_old_format_opens_with_identical_values() {
    let dir = FixtureCopy::new("old-reals");
    // Read-only first: nothing is rewritten, every row comes from the old files.
    {
        let db = Database::open_with(&dir.0, Options::default().read_only(true)).unwrap();
        assert_identical(&rows(&db), &expected());
    }
    // A writable open checkpoints (files in today's format) and takes new commits.
    {
        let db = Database::open(&dir.0).unwrap();
        assert_identical(&rows(&db), &expected());
        db.connect()
            .execute("INSERT INTO m VALUES (15, 2.5, 0.1, 'new', -7.0)", ())
            .unwrap();
    }
    let mut after = expected();
    after.push(vec![
        Value::Integer(15),
        real(2.5),
        real(0.1),
        Value::Text("new".into()),
        real(-7.0),
    ]);
    for _ in 0..2 {
        let db = Database::open(&dir.0).unwrap();
        assert_identical(&rows(&db), &after);
    }
    let names: Vec<String> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for name in names.iter().filter(|name| name.starts_with("wal-")) {
        let bytes = std::fs::read(dir.0.join(name)).unwrap();
        assert!(
            bytes.starts_with(b"EMBRWAL4"),
            "{name} is not of the new format"
        );
    }
}

#[test]
fn an_old_format_backup_restores_with_identical_values() {
    let backup = std::fs::read(fixture_dir().join("m.backup")).unwrap();
    let db = Database::in_memory_from(&backup[..]).unwrap();
    assert_identical(&rows(&db), &expected());
    // Backed up again (today's format) and restored: the same values.
    let mut again = Vec::new();
    db.backup_to(&mut again).unwrap();
    let restored = Database::in_memory_from(&again[..]).unwrap();
    assert_identical(&rows(&restored), &expected());
}
