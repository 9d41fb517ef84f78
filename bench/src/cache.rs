//! M2: a cache table under a Zipfian stream. EmberDB only. A table
//! `WITH (max_memory = '32MB' (times `--scale`), on_full = ..)` serves a read-through cache:
//! each step reads a Zipfian key (YCSB's generator, skew 0.99) and, on a miss, inserts its
//! ~100-byte row; the key space holds 10x the budget and the stream runs until 10x the
//! budget was inserted. A sampler thread reads the table's `bytes` (and the engine's
//! `memory_used_bytes`) every 100 ms. Reported per policy (`evict_lru`, `evict_lfu`): the
//! most bytes sampled against the budget, the hit rate, and the hit rate of an exact LRU
//! simulated offline on the same key stream with the same capacity in rows. Then the same
//! point reads of keys that are present, timed on the cache table and on a plain table
//! (W2's shape: one prepared `SELECT .. WHERE id = ?` per read). `ember-bench --m2`.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ember::{Connection, Database};

use crate::data::{Rng, Zipfian};

/// Bytes of the `v` text of every row.
const VALUE_BYTES: usize = 100;
/// YCSB's Zipfian skew.
const THETA: f64 = 0.99;
/// Bytes a row holds in the table (header plus payload slot), for sizing the key space.
const ROW_BYTES_ESTIMATE: u64 = 176;

fn table_bytes(conn: &Connection) -> Result<i64, ember::Error> {
    conn.query_value("SELECT bytes FROM ember_tables WHERE name = 'cache'", ())
}

/// Hits of an exact LRU cache of `capacity` rows on `keys` (read-through: a miss inserts).
fn exact_lru_hits(keys: &[i64], capacity: usize) -> u64 {
    let mut stamp_of: HashMap<i64, u64> = HashMap::with_capacity(capacity + 1);
    let mut by_stamp: BTreeMap<u64, i64> = BTreeMap::new();
    let mut hits = 0;
    for (now, &key) in keys.iter().enumerate() {
        let now = now as u64;
        if let Some(old) = stamp_of.insert(key, now) {
            by_stamp.remove(&old);
            hits += 1;
        } else if stamp_of.len() > capacity {
            if let Some((_, victim)) = by_stamp.pop_first() {
                stamp_of.remove(&victim);
            }
        }
        by_stamp.insert(now, key);
    }
    hits
}

struct PolicyRun {
    hits: u64,
    reads: u64,
    inserted_bytes: u64,
    max_bytes: i64,
    max_engine: i64,
    rows_at_end: i64,
    evicted: i64,
    elapsed: Duration,
    keys: Vec<i64>,
}

fn run_policy(policy: &str, budget: u64, key_space: usize) -> Result<PolicyRun, ember::Error> {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute(
        &format!(
            "CREATE TABLE cache(id INTEGER PRIMARY KEY, v TEXT) \
             WITH (max_memory = '{budget}', on_full = '{policy}')"
        ),
        (),
    )?;
    let done = Arc::new(AtomicBool::new(false));
    let max_bytes = Arc::new(AtomicI64::new(0));
    let max_engine = Arc::new(AtomicI64::new(0));
    let sampler = {
        let (db, done) = (db.clone(), Arc::clone(&done));
        let (max_bytes, max_engine) = (Arc::clone(&max_bytes), Arc::clone(&max_engine));
        std::thread::spawn(move || -> Result<(), ember::Error> {
            let conn = db.connect();
            while !done.load(Ordering::Relaxed) {
                max_bytes.fetch_max(table_bytes(&conn)?, Ordering::Relaxed);
                let engine: i64 =
                    conn.query_value("SELECT memory_used_bytes FROM ember_stats", ())?;
                max_engine.fetch_max(engine, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(100));
            }
            Ok(())
        })
    };
    let zipf = Zipfian::new(key_space, THETA);
    let mut rng = Rng::new(21);
    let mut read = conn.prepare("SELECT v FROM cache WHERE id = ?")?;
    let mut insert = conn.prepare("INSERT INTO cache VALUES (?, ?)")?;
    let value = "x".repeat(VALUE_BYTES);
    let target = budget * 10;
    let mut run = PolicyRun {
        hits: 0,
        reads: 0,
        inserted_bytes: 0,
        max_bytes: 0,
        max_engine: 0,
        rows_at_end: 0,
        evicted: 0,
        elapsed: Duration::ZERO,
        keys: Vec::new(),
    };
    let started = Instant::now();
    while run.inserted_bytes < target {
        let key = zipf.next_key(&mut rng);
        run.keys.push(key);
        run.reads += 1;
        let found = read.query((key,))?.next()?.is_some();
        if found {
            run.hits += 1;
        } else {
            insert.execute((key, value.as_str()))?;
            run.inserted_bytes += ROW_BYTES_ESTIMATE;
        }
    }
    run.elapsed = started.elapsed();
    done.store(true, Ordering::Relaxed);
    sampler
        .join()
        .map_err(|_| ember::Error::new(ember::ErrorKind::Internal, "M2 sampler panicked"))??;
    run.max_bytes = max_bytes.load(Ordering::Relaxed).max(table_bytes(&conn)?);
    run.max_engine = max_engine.load(Ordering::Relaxed);
    run.rows_at_end = conn.query_value("SELECT count(*) FROM cache", ())?;
    run.evicted = conn.query_value(
        "SELECT rows_evicted FROM ember_tables WHERE name = 'cache'",
        (),
    )?;
    Ok(run)
}

/// Nanoseconds per point read of `reads` present keys of `table` (holding ids 1..=rows).
fn point_reads_ns(
    conn: &Connection,
    table: &str,
    rows: i64,
    reads: usize,
) -> Result<f64, ember::Error> {
    let mut read = conn.prepare(&format!("SELECT v FROM {table} WHERE id = ?"))?;
    let mut rng = Rng::new(2);
    let started = Instant::now();
    for _ in 0..reads {
        let key = 1 + (rng.next_u64() % rows as u64) as i64;
        let found = read.query((key,))?.next()?.is_some();
        debug_assert!(found);
    }
    Ok(started.elapsed().as_nanos() as f64 / reads as f64)
}

/// Point reads on a cache table beside the same reads on a plain table (same rows).
fn point_read_comparison(rows: i64, reads: usize) -> Result<String, ember::Error> {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE plain(id INTEGER PRIMARY KEY, v TEXT);
         CREATE TABLE lru(id INTEGER PRIMARY KEY, v TEXT) \
           WITH (max_memory = '1GB', on_full = 'evict_lru');
         CREATE TABLE lfu(id INTEGER PRIMARY KEY, v TEXT) \
           WITH (max_memory = '1GB', on_full = 'evict_lfu');",
    )?;
    let value = "x".repeat(VALUE_BYTES);
    for table in ["plain", "lru", "lfu"] {
        conn.execute("BEGIN", ())?;
        let mut insert = conn.prepare(&format!("INSERT INTO {table} VALUES (?, ?)"))?;
        for id in 1..=rows {
            insert.execute((id, value.as_str()))?;
        }
        conn.execute("COMMIT", ())?;
    }
    // Two rounds each, interleaved, keeping the faster (the machine is shared and noisy).
    let mut best = [f64::MAX; 3];
    for _round in 0..2 {
        for (at, table) in ["plain", "lru", "lfu"].iter().enumerate() {
            best[at] = best[at].min(point_reads_ns(&conn, table, rows, reads)?);
        }
    }
    Ok(format!(
        "point reads ({rows} rows, {reads} reads, best of 2): plain {:.0} ns, evict_lru {:.0} ns \
         ({:+.1}%), evict_lfu {:.0} ns ({:+.1}%)",
        best[0],
        best[1],
        (best[1] / best[0] - 1.0) * 100.0,
        best[2],
        (best[2] / best[0] - 1.0) * 100.0,
    ))
}

/// Runs M2 and returns its report (several lines).
pub fn m2(scale: f64) -> Result<String, ember::Error> {
    let budget = ((32.0 * 1024.0 * 1024.0 * scale) as u64).max(1 << 20);
    let key_space = (budget * 10 / ROW_BYTES_ESTIMATE) as usize;
    let mut lines = vec![format!(
        "M2: cache table max_memory = {:.1} MiB, ~{VALUE_BYTES}-byte values, Zipfian \
         (theta {THETA}) over {key_space} keys (10x the budget), read-through until 10x the \
         budget was inserted; bytes sampled every 100 ms",
        budget as f64 / 1048576.0
    )];
    for policy in ["evict_lru", "evict_lfu"] {
        let run = run_policy(policy, budget, key_space)?;
        let capacity = (run.rows_at_end.max(1)) as usize;
        let exact = exact_lru_hits(&run.keys, capacity);
        let rate = |hits: u64| hits as f64 * 100.0 / run.reads.max(1) as f64;
        lines.push(format!(
            "{policy}: {} reads in {:.1} s, hit rate {:.1}% (exact LRU of {capacity} rows on \
             the same stream: {:.1}%); max table bytes sampled {:.2} MiB = {:.1}% of the \
             budget; max engine memory {:.2} MiB; rows evicted {}",
            run.reads,
            run.elapsed.as_secs_f64(),
            rate(run.hits),
            rate(exact),
            run.max_bytes as f64 / 1048576.0,
            run.max_bytes as f64 * 100.0 / budget as f64,
            run.max_engine as f64 / 1048576.0,
            run.evicted,
        ));
    }
    let rows = ((200_000.0 * scale) as i64).max(1000);
    lines.push(point_read_comparison(
        rows,
        1_000_000.min(rows as usize * 5),
    )?);
    Ok(lines.join("\n"))
}
