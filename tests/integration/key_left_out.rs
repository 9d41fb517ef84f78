//! A clustered table's rows leave their key out of the payload (storage
//! `TableSchema::encode_into`), and every read puts it back. Checked through SQL: the same
//! rows in a clustered table `c` and in a table `p` without a primary key give the same
//! answers to queries that read the key every way (filters, ranges, ORDER BY .. LIMIT,
//! GROUP BY, joins, an index over the key, updates that splice or move rows, deletes, an
//! added column), in memory, after a crash (the WAL) and after a checkpoint (the snapshot).

use std::sync::Arc;

use ember::{Database, Options};
use ember_storage::vfs::SimVfs;

const DIR: &str = "/db";

fn open(vfs: &SimVfs) -> Database {
    Database::open_with_vfs(DIR, Options::new(), Arc::new(vfs.clone())).unwrap()
}

const SCHEMA: &str = "
    CREATE TABLE c(id INTEGER PRIMARY KEY, v INT, s TEXT);
    CREATE TABLE p(id INTEGER, v INT, s TEXT);
    CREATE INDEX c_v_id ON c(v, id);
";

/// The same rows into both tables: dense keys, gaps, negative and far keys (a clustered
/// table's overflow), then updates, moves and deletes.
fn fill(conn: &ember::Connection) {
    for table in ["c", "p"] {
        let insert = format!("INSERT INTO {table} VALUES (?1, ?2, ?3)");
        for id in (0..600i64)
            .filter(|id| id % 11 != 5)
            .chain([-7, -1, 5_000_000, 1 << 40])
        {
            conn.execute(&insert, (id, id % 13, format!("s{id}")))
                .unwrap();
        }
        conn.execute_batch(&format!(
            "UPDATE {table} SET v = v + 100 WHERE id % 4 = 1;
             UPDATE {table} SET s = s || '!' WHERE id BETWEEN 100 AND 140;
             UPDATE {table} SET id = id + 10000 WHERE id % 50 = 3;
             UPDATE {table} SET id = -id - 20 WHERE id % 97 = 2;
             DELETE FROM {table} WHERE id % 9 = 0 AND id < 300;"
        ))
        .unwrap();
    }
}

/// Queries asked of both tables (`T` is replaced by the table's name).
const QUERIES: &[&str] = &[
    "SELECT * FROM T ORDER BY id",
    "SELECT id FROM T ORDER BY id",
    "SELECT id, s FROM T WHERE id > 250 AND v < 7 ORDER BY id",
    "SELECT count(*), sum(id), min(id), max(id) FROM T",
    "SELECT count(id) FROM T WHERE id BETWEEN 10 AND 400",
    "SELECT * FROM T WHERE id = 17",
    "SELECT * FROM T WHERE id = 5000000",
    "SELECT * FROM T WHERE id = -1",
    "SELECT * FROM T WHERE id IN (1, 2, 3, 10053, -22, 599) ORDER BY id",
    "SELECT * FROM T ORDER BY id DESC LIMIT 7",
    "SELECT * FROM T ORDER BY v DESC, id LIMIT 9 OFFSET 3",
    "SELECT id % 5, count(*), sum(id) FROM T GROUP BY id % 5 ORDER BY 1",
    "SELECT v, max(id) FROM T GROUP BY v ORDER BY v",
    "SELECT id FROM T WHERE v = 3 ORDER BY id",
    "SELECT id FROM T WHERE v = 103 AND id > 100 ORDER BY id",
    "SELECT a.id, b.id FROM T a JOIN T b ON b.id = a.id + 1 WHERE a.id < 60 ORDER BY a.id",
    "SELECT id * 2 + v FROM T WHERE s LIKE 's1%' ORDER BY 1",
];

fn answers(db: &Database, table: &str) -> Vec<String> {
    let conn = db.connect();
    QUERIES
        .iter()
        .map(|query| {
            let sql = query.replace(" T", &format!(" {table}"));
            let rows = conn
                .query(&sql, ())
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            format!("{query}\n{:?}", rows.values())
        })
        .collect()
}

fn assert_same_answers(db: &Database, when: &str) -> Vec<String> {
    let clustered = answers(db, "c");
    let plain = answers(db, "p");
    for (c, p) in clustered.iter().zip(&plain) {
        assert_eq!(c, p, "{when}");
    }
    clustered
}

#[test]
fn the_key_left_out_of_payloads_reads_back_in_memory_from_the_wal_and_from_a_checkpoint() {
    let vfs = SimVfs::new();
    let expected = {
        let db = open(&vfs);
        let conn = db.connect();
        conn.execute_batch(SCHEMA).unwrap();
        fill(&conn);
        let expected = assert_same_answers(&db, "in memory");
        // A column added later, and rows written after it.
        for table in ["c", "p"] {
            conn.execute_batch(&format!(
                "ALTER TABLE {table} ADD COLUMN w INT DEFAULT 9;
                 INSERT INTO {table} VALUES (700, 1, 'late', 1), (-900, 2, 'neg', 2);
                 UPDATE {table} SET w = id WHERE id % 6 = 1;"
            ))
            .unwrap();
        }
        let grown = assert_same_answers(&db, "after ADD COLUMN");
        assert_ne!(grown, expected);
        drop(conn);
        db.drop_as_if_crashed();
        grown
    };
    {
        let db = open(&vfs);
        assert!(db.durability_stats().unwrap().recovery.records_replayed > 0);
        assert_eq!(assert_same_answers(&db, "from the WAL"), expected);
        db.connect().execute("CHECKPOINT", ()).unwrap();
    }
    let db = open(&vfs);
    assert!(db.durability_stats().unwrap().recovery.snapshot.is_some());
    assert_eq!(assert_same_answers(&db, "from the checkpoint"), expected);
}
