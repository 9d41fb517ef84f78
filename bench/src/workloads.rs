//! The workloads W1-W7 and the sizes of every workload. Each function times one workload
//! against one engine and checks its results (row counts, found keys) so a broken engine
//! cannot post a good number. The measured part of each is an `#[inline(never)]` function
//! named `timed_<id>_...`, so `valgrind --tool=callgrind --toggle-collect='*timed_w2_*'`
//! counts exactly it (`bench/callgrind.sh`).

use std::time::Instant;

use crate::data::{Person, Rng, Zipfian};
use crate::engine::{BenchError, BenchResult, Db, RowSum, Session};
use crate::sql::Query;

/// How much work each workload does; `Sizes::scaled(1.0)` is the full size.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub rows: usize,
    pub insert_txn_rows: usize,
    pub point_selects: usize,
    pub updates: usize,
    pub update_txn_rows: usize,
    pub group_by_runs: usize,
    pub durable_commits: usize,
    pub mixed_ops: usize,
    pub memory_updates: usize,
    /// Rows of `o` (J1, J2, J3).
    pub orders: usize,
    /// Rows of `lineitem` (Q1, Q6).
    pub lineitems: usize,
    /// Runs of each whole-table query (R1, K1, J1, J2, G2, J3).
    pub scan_runs: usize,
    /// Runs of each index-range query (R2, K2).
    pub range_runs: usize,
    /// Point selects through the secondary index (S1).
    pub secondary_selects: usize,
    /// Runs of each TPC-H-like query (Q1, Q6).
    pub tpch_runs: usize,
}

impl Sizes {
    pub fn scaled(scale: f64) -> Sizes {
        let size = |full: usize, min: usize| ((full as f64 * scale) as usize).max(min);
        Sizes {
            rows: size(200_000, 100),
            insert_txn_rows: 1_000,
            point_selects: size(200_000, 100),
            updates: size(100_000, 100),
            update_txn_rows: 100,
            group_by_runs: size(20, 2),
            durable_commits: size(2_000, 8),
            mixed_ops: size(200_000, 100),
            memory_updates: size(1_000_000, 100),
            orders: size(10_000, 20),
            lineitems: size(300_000, 200),
            scan_runs: size(20, 2),
            range_runs: size(2_000, 10),
            secondary_selects: size(100_000, 100),
            tpch_runs: size(10, 2),
        }
    }
}

/// Operations per second for `ops` operations that took `started.elapsed()`.
fn rate(ops: usize, started: Instant) -> f64 {
    ops as f64 / started.elapsed().as_secs_f64().max(1e-9)
}

fn expect(condition: bool, what: impl FnOnce() -> String) -> BenchResult<()> {
    if condition {
        Ok(())
    } else {
        Err(BenchError::Failed(what()))
    }
}

/// Inserts ids `first..first + count` in transactions of `txn_rows` rows.
pub fn insert_rows(
    session: &mut dyn Session,
    first: i64,
    count: usize,
    txn_rows: usize,
) -> BenchResult<()> {
    // Rows are made one transaction at a time, so M1 (which measures the process around this
    // call) does not count a heap full of freed test rows.
    let end = first + count as i64;
    let mut start = first;
    while start < end {
        let stop = end.min(start + txn_rows.max(1) as i64);
        let rows: Vec<Person> = (start..stop).map(Person::new).collect();
        session.begin()?;
        for row in &rows {
            session.insert(row)?;
        }
        session.commit()?;
        start = stop;
    }
    Ok(())
}

/// W1: load `sizes.rows` rows in 1,000-row transactions (rows are built before timing).
pub fn w1_insert(session: &mut dyn Session, sizes: &Sizes) -> BenchResult<f64> {
    session.create_table()?;
    let rows: Vec<Person> = (1..=sizes.rows as i64).map(Person::new).collect();
    let started = Instant::now();
    timed_w1_insert(session, &rows, sizes.insert_txn_rows)?;
    Ok(rate(sizes.rows, started))
}

#[inline(never)]
fn timed_w1_insert(session: &mut dyn Session, rows: &[Person], txn_rows: usize) -> BenchResult<()> {
    for chunk in rows.chunks(txn_rows) {
        session.begin()?;
        for row in chunk {
            session.insert(row)?;
        }
        session.commit()?;
    }
    Ok(())
}

/// `count` uniform point selects; fails unless every key is found with the right age.
fn point_selects(
    session: &mut dyn Session,
    rows: usize,
    count: usize,
    seed: u64,
) -> BenchResult<()> {
    let mut rng = Rng::new(seed);
    for _ in 0..count {
        let id = rng.key(rows);
        let age = session.select_age(id)?;
        let want = Person::age_of(id);
        expect(age == Some(want), || {
            format!("id {id}: age {age:?}, want {want}")
        })?;
    }
    Ok(())
}

/// W2A: uniform point selects of `age` by primary key on one thread.
pub fn w2a_point_select_age(session: &mut dyn Session, sizes: &Sizes) -> BenchResult<f64> {
    let started = Instant::now();
    timed_w2a_point_select_age(session, sizes)?;
    Ok(rate(sizes.point_selects, started))
}

#[inline(never)]
fn timed_w2a_point_select_age(session: &mut dyn Session, sizes: &Sizes) -> BenchResult<()> {
    point_selects(session, sizes.rows, sizes.point_selects, 2)
}

/// W2: uniform point selects of every column by primary key on one thread (W3 runs after
/// it, so every row still has its loaded score).
pub fn w2_point_select_row(session: &mut dyn Session, sizes: &Sizes) -> BenchResult<f64> {
    let started = Instant::now();
    timed_w2_point_select_row(session, sizes)?;
    Ok(rate(sizes.point_selects, started))
}

#[inline(never)]
fn timed_w2_point_select_row(session: &mut dyn Session, sizes: &Sizes) -> BenchResult<()> {
    point_select_rows(session, sizes, 2)
}

/// `sizes.point_selects` uniform point selects of every column (keys from `seed`).
#[inline(always)]
fn point_select_rows(session: &mut dyn Session, sizes: &Sizes, seed: u64) -> BenchResult<()> {
    let mut rng = Rng::new(seed);
    for _ in 0..sizes.point_selects {
        let id = rng.key(sizes.rows);
        let row = session.point_row(Query::SelectRow, id)?;
        let want = RowSum {
            columns: 5,
            ints: id + Person::age_of(id),
            reals: Person::score_of(id),
            text_bytes: crate::names::name_and_email_bytes(id),
        };
        expect(row == Some(want), || {
            format!("id {id}: row {row:?}, want {want:?}")
        })?;
    }
    Ok(())
}

/// W2C / W2L: W2's point selects with `t` a cache table (`cache`: `Query::CacheLru` or
/// `CacheLfu`, a budget of 1 GB that holds every row, so nothing is evicted and the reads
/// pay only the access marking); `t` is a plain table again afterwards. EmberDB only.
pub fn w2_cache_point_select_row(
    session: &mut dyn Session,
    sizes: &Sizes,
    cache: Query,
) -> BenchResult<f64> {
    session.execute(cache, &[])?;
    let started = Instant::now();
    let timed = match cache {
        Query::CacheLfu => timed_w2l_point_select_row(session, sizes),
        _ => timed_w2c_point_select_row(session, sizes),
    };
    let rate = rate(sizes.point_selects, started);
    session.execute(Query::CacheOff, &[])?;
    timed.map(|()| rate)
}

// W2C and W2L read other keys than W2, of the same distribution (the functions must differ, or
// the linker folds them into one and callgrind cannot tell them apart).
#[inline(never)]
fn timed_w2c_point_select_row(session: &mut dyn Session, sizes: &Sizes) -> BenchResult<()> {
    point_select_rows(session, sizes, 22)
}

#[inline(never)]
fn timed_w2l_point_select_row(session: &mut dyn Session, sizes: &Sizes) -> BenchResult<()> {
    point_select_rows(session, sizes, 12)
}

/// W3: `UPDATE t SET score = ? WHERE id = ?` by uniform key in 100-row transactions.
pub fn w3_update(session: &mut dyn Session, sizes: &Sizes) -> BenchResult<f64> {
    let started = Instant::now();
    timed_w3_update(session, sizes)?;
    Ok(rate(sizes.updates, started))
}

/// The seed of W3's keys and scores.
pub const W3_SEED: u64 = 3;

/// W3's next update: a uniform key and its new score.
#[inline(always)]
pub fn w3_next(rng: &mut Rng, rows: usize) -> (i64, f64) {
    let id = rng.key(rows);
    (id, rng.next_f64() * 100.0)
}

#[inline(never)]
fn timed_w3_update(session: &mut dyn Session, sizes: &Sizes) -> BenchResult<()> {
    let mut rng = Rng::new(W3_SEED);
    let mut done = 0;
    while done < sizes.updates {
        session.begin()?;
        for _ in 0..sizes.update_txn_rows.min(sizes.updates - done) {
            let (id, score) = w3_next(&mut rng, sizes.rows);
            let changed = session.update_score(id, score)?;
            expect(changed == 1, || {
                format!("update of id {id} changed {changed} rows")
            })?;
            done += 1;
        }
        session.commit()?;
    }
    Ok(())
}

/// W3H: W3 with history kept for reads of the past (`PRAGMA history_retention = '10
/// minutes'`, EmberDB only): the same updates by the same keys after W3, each replaced
/// version kept; the retention is turned off again after the timed part.
pub fn w3h_update_with_history(session: &mut dyn Session, sizes: &Sizes) -> BenchResult<f64> {
    session.set_history_retention(Some("10 minutes"))?;
    let started = Instant::now();
    let timed = timed_w3h_update(session, sizes);
    let value = rate(sizes.updates, started);
    session.set_history_retention(None)?;
    timed.map(|()| value)
}

#[inline(never)]
fn timed_w3h_update(session: &mut dyn Session, sizes: &Sizes) -> BenchResult<()> {
    timed_w3_update(session, sizes)
}

/// W4: the GROUP BY aggregate over the whole table, `group_by_runs` times (queries/s).
/// Every engine reads every cell of every row into its answer inside the timed part; the
/// answers are checked after it (`expect::group_by_age`; `updated`: W3 ran before).
pub fn w4_group_by(session: &mut dyn Session, sizes: &Sizes, updated: bool) -> BenchResult<f64> {
    let started = Instant::now();
    let answers = timed_w4_group_by(session, sizes)?;
    let value = rate(sizes.group_by_runs, started);
    let want = crate::expect::group_by_age(sizes, updated);
    for answer in &answers {
        crate::expect::compare_unordered(answer, &want)
            .map_err(|message| BenchError::Failed(format!("W4: {message}")))?;
    }
    Ok(value)
}

#[inline(never)]
fn timed_w4_group_by(
    session: &mut dyn Session,
    sizes: &Sizes,
) -> BenchResult<Vec<Vec<Vec<crate::engine::Cell>>>> {
    (0..sizes.group_by_runs)
        .map(|_| session.query(Query::GroupByAge, &[]))
        .collect()
}

/// Runs `work(thread_index, session)` on `threads` threads at once, each with its own
/// session; returns the wall-clock seconds from the common start.
fn on_threads(
    db: &dyn Db,
    threads: usize,
    work: impl Fn(usize, &mut dyn Session) -> BenchResult<()> + Sync,
) -> BenchResult<f64> {
    let mut sessions = (0..threads)
        .map(|_| db.connect())
        .collect::<BenchResult<Vec<_>>>()?;
    // Each worker notes its own start and end: the span from the first start to the last
    // end is the time, whenever the coordinating thread itself gets the core (on a busy
    // machine it may run only after the workers finished).
    let barrier = std::sync::Barrier::new(threads);
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = sessions
            .iter_mut()
            .enumerate()
            .map(|(index, session)| {
                let (barrier, work) = (&barrier, &work);
                scope.spawn(move || {
                    barrier.wait();
                    let started = Instant::now();
                    let result = work(index, session.as_mut());
                    (started, Instant::now(), result)
                })
            })
            .collect();
        handles.into_iter().map(|handle| handle.join()).collect()
    });
    let mut span: Option<(Instant, Instant)> = None;
    for joined in results {
        let (started, ended, result) =
            joined.map_err(|_| BenchError::Failed("a worker thread panicked".into()))?;
        result?;
        span = Some(match span {
            None => (started, ended),
            Some((first, last)) => (first.min(started), last.max(ended)),
        });
    }
    let seconds = span.map_or(0.0, |(first, last)| (last - first).as_secs_f64());
    Ok(seconds)
}

#[inline(never)]
fn timed_w6_point_selects(
    session: &mut dyn Session,
    rows: usize,
    count: usize,
    seed: u64,
) -> BenchResult<()> {
    point_selects(session, rows, count, seed)
}

/// W6: uniform point selects split over `threads` threads (total ops/s).
pub fn w6_parallel_select(db: &dyn Db, sizes: &Sizes, threads: usize) -> BenchResult<f64> {
    let per_thread = sizes.point_selects / threads;
    let seconds = on_threads(db, threads, |index, session| {
        timed_w6_point_selects(session, sizes.rows, per_thread, 60 + index as u64)
    })?;
    Ok((per_thread * threads) as f64 / seconds.max(1e-9))
}

/// Retries `op` on failure (serialization conflicts under contention); gives up after
/// `RETRIES_MAX` attempts. Each retry yields the CPU, and later ones sleep briefly: the
/// writer holding the key may be descheduled (2 cores, shared), and spinning would only
/// burn its time slice.
fn with_retries<T>(mut op: impl FnMut() -> BenchResult<T>) -> BenchResult<T> {
    const RETRIES_MAX: usize = 100_000;
    const SPIN_RETRIES: usize = 100;
    let mut attempt = 0;
    loop {
        match op() {
            Ok(value) => return Ok(value),
            Err(BenchError::Failed(_)) if attempt < RETRIES_MAX => {
                attempt += 1;
                if attempt < SPIN_RETRIES {
                    std::thread::yield_now();
                } else {
                    std::thread::sleep(std::time::Duration::from_micros(50));
                }
            }
            Err(error) => return Err(error),
        }
    }
}

/// W7: YCSB-A-like: 50% point select, 50% update by Zipfian key, 2 threads, autocommit.
pub fn w7_ycsb_a(db: &dyn Db, sizes: &Sizes) -> BenchResult<f64> {
    const THREADS: usize = 2;
    let per_thread = sizes.mixed_ops / THREADS;
    let zipf = Zipfian::new(sizes.rows, Zipfian::THETA_YCSB);
    let seconds = on_threads(db, THREADS, |index, session| {
        timed_w7_ycsb_a(session, &zipf, per_thread, 70 + index as u64)
    })?;
    Ok((per_thread * THREADS) as f64 / seconds.max(1e-9))
}

#[inline(never)]
fn timed_w7_ycsb_a(
    session: &mut dyn Session,
    zipf: &Zipfian,
    count: usize,
    seed: u64,
) -> BenchResult<()> {
    {
        let mut rng = Rng::new(seed);
        for _ in 0..count {
            let id = zipf.next_key(&mut rng);
            if rng.next_u64() % 2 == 0 {
                let age = with_retries(|| session.select_age(id))?;
                expect(age.is_some(), || format!("id {id} not found"))?;
            } else {
                let score = rng.next_f64();
                let changed = with_retries(|| session.update_score(id, score))?;
                expect(changed == 1, || {
                    format!("update of id {id} changed {changed}")
                })?;
            }
        }
        Ok(())
    }
}

/// W5: `sizes.durable_commits` single-row autocommit inserts, split over `threads`
/// threads (commits/s). The table must exist and be empty of these ids.
pub fn w5_durable_commits(db: &dyn Db, sizes: &Sizes, threads: usize) -> BenchResult<f64> {
    let per_thread = sizes.durable_commits / threads;
    let base = if threads == 1 { 1 } else { 10_000_000 };
    let seconds = on_threads(db, threads, |index, session| {
        timed_w5_commits(session, base + (index * per_thread) as i64, per_thread)
    })?;
    Ok((per_thread * threads) as f64 / seconds.max(1e-9))
}

#[inline(never)]
fn timed_w5_commits(session: &mut dyn Session, first: i64, count: usize) -> BenchResult<()> {
    for id in first..first + count as i64 {
        session.insert(&Person::new(id))?;
    }
    Ok(())
}

/// The operations a workload's `timed_<id>_*` function(s) perform in one round: what
/// `bench/callgrind.sh` divides the instruction count by. None for unknown ids and M1.
pub fn operations(id: &str, sizes: &Sizes) -> Option<usize> {
    let id = id.to_ascii_uppercase();
    let ops = match id.as_str() {
        "W1" => sizes.rows,
        "W2" | "W2A" | "W2C" | "W2L" => sizes.point_selects,
        "W3" | "W3H" => sizes.updates,
        "W4" => sizes.group_by_runs,
        "W5" => sizes.durable_commits + (sizes.durable_commits / 4) * 4,
        // 1 thread, then 2 threads.
        "W6" => sizes.point_selects + (sizes.point_selects / 2) * 2,
        "W7" => (sizes.mixed_ops / 2) * 2,
        _ => {
            let workload = crate::queries::WORKLOADS.iter().find(|w| w.id == id)?;
            (workload.runs)(sizes)
        }
    };
    Some(ops)
}
