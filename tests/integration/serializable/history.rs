//! The list-append workload the checker reads: 8 threads run random transactions of one to
//! four operations (read a key's list, or append a unique value to it) over a window of
//! six keys that moves as transactions finish (so lists stay short and keys stay
//! contended), at one isolation level, recording every committed transaction's operations
//! and every aborted one's appends. `EMBER_ELLE_TXNS` sets the number of transactions
//! (default 10^4; the long run is 10^5).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use ember::{Connection, Database, Isolation};

use super::checker::{check, Op, Report};

const THREADS: u64 = 8;
const TXNS_DEFAULT: u64 = 10_000;
/// Transactions per step of the key window.
const TXNS_PER_KEY: u64 = 200;
const WINDOW_KEYS: u64 = 6;

fn transactions() -> u64 {
    std::env::var("EMBER_ELLE_TXNS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(TXNS_DEFAULT)
}

/// What the threads recorded.
#[derive(Default)]
struct Recorded {
    committed: Vec<Vec<Op>>,
    aborted: Vec<u64>,
}

/// Runs the workload at `isolation` and checks its history.
pub fn run_and_check(isolation: Isolation) -> (Report, usize) {
    let total = transactions();
    let keys = total / TXNS_PER_KEY + WINDOW_KEYS + 1;
    let db = Database::in_memory();
    let setup = db.connect();
    setup
        .execute(
            "CREATE TABLE lists(k INTEGER PRIMARY KEY, v TEXT NOT NULL)",
            (),
        )
        .unwrap();
    setup.execute("BEGIN", ()).unwrap();
    for key in 0..keys {
        setup
            .execute("INSERT INTO lists VALUES (?, '')", [key as i64])
            .unwrap();
    }
    setup.execute("COMMIT", ()).unwrap();
    let started = Arc::new(AtomicU64::new(0));
    let recorded = Arc::new(Mutex::new(Recorded::default()));
    let threads: Vec<_> = (0..THREADS)
        .map(|thread| {
            let (db, started, recorded) = (db.clone(), started.clone(), recorded.clone());
            std::thread::spawn(move || {
                worker(&db.connect(), thread, isolation, total, &started, &recorded)
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let mut finals = HashMap::new();
    for key in 0..keys {
        let text: String = setup
            .query_value("SELECT v FROM lists WHERE k = ?", [key as i64])
            .unwrap();
        finals.insert(key, parse(&text));
    }
    let recorded = recorded.lock().unwrap();
    let report = check(&recorded.committed, &finals, &recorded.aborted);
    eprintln!(
        "{isolation:?}: {} committed, {} appends aborted, cycles: G0 {}, G1c {}, all {}",
        recorded.committed.len(),
        recorded.aborted.len(),
        report.g0,
        report.g1c,
        report.all
    );
    (report, recorded.committed.len())
}

fn worker(
    conn: &Connection,
    thread: u64,
    isolation: Isolation,
    total: u64,
    started: &AtomicU64,
    recorded: &Mutex<Recorded>,
) {
    let mut rng = fastrand::Rng::with_seed(thread * 7919 + 1);
    let mut sequence = 0u64;
    let begin = match isolation {
        Isolation::Snapshot => "BEGIN ISOLATION LEVEL SNAPSHOT",
        Isolation::Serializable => "BEGIN ISOLATION LEVEL SERIALIZABLE",
    };
    loop {
        let number = started.fetch_add(1, Ordering::Relaxed);
        if number >= total {
            return;
        }
        let base = number / TXNS_PER_KEY;
        let mut ops = Vec::new();
        for _ in 0..rng.u64(1..=4) {
            let key = base + rng.u64(0..WINDOW_KEYS);
            if rng.bool() {
                ops.push(Op::Read {
                    key,
                    list: Vec::new(),
                });
            } else {
                sequence += 1;
                let value = (thread + 1) * 1_000_000_000 + sequence;
                ops.push(Op::Append { key, value });
            }
        }
        let outcome = run(conn, begin, &mut ops);
        let mut recorded = recorded.lock().unwrap();
        match outcome {
            Ok(()) => recorded.committed.push(ops),
            Err(error) => {
                assert!(error.is_retryable(), "{error}");
                if conn.in_transaction() {
                    conn.execute("ROLLBACK", ()).unwrap();
                }
                recorded
                    .aborted
                    .extend(ops.iter().filter_map(|op| match op {
                        Op::Append { value, .. } => Some(*value),
                        Op::Read { .. } => None,
                    }));
            }
        }
    }
}

/// Runs one transaction, filling in what its reads returned.
fn run(conn: &Connection, begin: &str, ops: &mut [Op]) -> ember::Result<()> {
    conn.execute(begin, ())?;
    for op in ops.iter_mut() {
        match op {
            Op::Read { key, list } => {
                let text: String =
                    conn.query_value("SELECT v FROM lists WHERE k = ?", [*key as i64])?;
                *list = parse(&text);
            }
            Op::Append { key, value } => {
                conn.execute(
                    "UPDATE lists SET v = v || ? WHERE k = ?",
                    (format!(",{value}"), *key as i64),
                )?;
            }
        }
    }
    conn.execute("COMMIT", ()).map(|_| ())
}

fn parse(text: &str) -> Vec<u64> {
    text.split(',')
        .filter(|part| !part.is_empty())
        .map(|part| part.parse().expect("a list holds numbers"))
        .collect()
}
