//! The `ttl` mode: row expiry under SIGKILL. In a child process two writer threads run ops
//! on `t(id, v, exp) WITH (expire_at = exp)` (`ttl_model`: inserts never expiring, already
//! expired, expiring within 400 ms or in an hour; updates, renewals, deletes of their own
//! earlier rows) and, one row in three, on `d(id, v) WITH (ttl = '300 ms')` (every write
//! renews the row: the model bounds its write time by the clock before and after the op)
//! under `SyncPolicy::Always`, the sweep runs every 10 ms on the wall clock
//! (deleting expired rows as logged deletes while the writers go on), a checkpointer thread
//! runs `CHECKPOINT` 0-5 ms apart, and a reporter prints `ack s R` whenever
//! `ember_tables.rows_expired` (rows the child's sweeps deleted, each sweep committed and
//! synced before it counts) grows. After the kill, at wall time NOW, the parent:
//!
//! 1. reopens with a manual clock at 0 (nothing reads as expired: every row physically there
//!    is visible) and requires, row by row, what the model allows: the last reopen's rows
//!    with the acknowledged ops applied, each thread's op in doubt applied or not, and a row
//!    missing only if its expiry is at or before NOW (a sweep may have deleted it). A row
//!    the model does not hold (never inserted, user-deleted, or gone at an earlier reopen)
//!    is a resurrection. The rows missing that way must number at least the child's last
//!    `ack s R` (every sweep delete that committed stayed deleted). Each `d` row must read
//!    as live with the clock just before its earliest expiry and, when its latest is known,
//!    as expired at that latest: the write time came back from the log or checkpoint as it
//!    was written;
//! 2. reopens with a manual clock at NOW and a 20 ms sweep: the visible rows must be exactly
//!    those found in 1 whose expiry is after NOW (a `d` row whose write-time bounds straddle
//!    NOW may read either way); within 5 s the sweep must have deleted the
//!    others (`ember_tables.rows` drops to the unexpired count and `rows_expired` counts
//!    exactly the rows it deleted); then, the clock set back to 0, exactly the unexpired rows
//!    are there. Those rows are the next cycle's baseline.
//!
//! The child side is `child_ttl`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ember::{Connection, Database, ErrorKind, Options, SyncPolicy, WallClock};

use super::kill_child::{self, KillTally};
use super::ttl_model::{self as model, Op, Row};
use super::Summary;

const THREADS: usize = 2;
pub(super) const SCHEMA: &str =
    "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v INT, exp REAL) \
       WITH (expire_at = exp);
     CREATE TABLE IF NOT EXISTS d(id INTEGER PRIMARY KEY, v INT) WITH (ttl = '300 ms');";
/// The most the parent waits for the reopened database's sweep.
const SWEEP_LIMIT: Duration = Duration::from_secs(5);

pub(super) fn options() -> Options {
    Options::new()
        .sync_policy(SyncPolicy::Always)
        .checkpoint_bytes(8 << 10)
        .wal_segment_bytes(4 << 10)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// What the parent's checks found over the run.
#[derive(Debug, Default)]
pub(super) struct TtlTally {
    /// Rows checked at the first reopen, over all cycles.
    pub(super) rows_checked: u64,
    /// Rows missing at a reopen because a sweep deleted them (expired, model kept them).
    pub(super) swept_found: u64,
    /// Sum of the children's last `ack s R`.
    pub(super) swept_reported: u64,
    /// Rows the reopened database's sweep deleted, and the longest it took.
    pub(super) swept_after_reopen: u64,
    pub(super) slowest_sweep: Duration,
    /// Ops acknowledged that changed nothing because their row had expired or gone.
    pub(super) no_ops: u64,
}

pub fn ttl(seed: u64, cycles: u64) -> Summary {
    let mut summary = Summary::new("ttl");
    let dir = kill_child::scratch_dir("ttl", seed);
    let _ = std::fs::remove_dir_all(&dir);
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut tally = KillTally::default();
    let mut ttl_tally = TtlTally::default();
    let mut baseline: BTreeMap<i64, Row> = BTreeMap::new();
    let mut next = [0u64; THREADS];
    for cycle in 0..cycles {
        let fail = |summary: &mut Summary, detail: String| {
            let note = kill_child::broken_note();
            summary.fail_after(seed, cycle + 1, format!("cycle {cycle}: {detail}{note}"));
        };
        let resume = next.map(|n| n.to_string()).join(",");
        let run = match tally.run_and_count(&mut summary, "ttl", &dir, seed, &resume, &mut rng) {
            Ok(run) => run,
            Err(detail) => {
                fail(&mut summary, detail);
                break;
            }
        };
        let now = now_ms();
        let open = |options: Options| Database::open_with(&dir, options);
        let checked = model::parse(&run.acks, &next).and_then(|(ops, swept)| {
            let found = check_rows(&open, &baseline, &ops, swept, now, &mut ttl_tally)?;
            let unexpired = check_sweep(&open, &found, now, &mut ttl_tally)?;
            Ok((ops, unexpired))
        });
        match checked {
            Ok((ops, unexpired)) => {
                for op in &ops {
                    next[op.thread] = op.index + 1;
                    let acked = op.changed.is_some() && !op.conflict;
                    summary.commits_verified += u64::from(acked);
                    ttl_tally.no_ops += u64::from(acked && op.changed == Some(0));
                }
                baseline = unexpired;
            }
            Err(detail) => {
                fail(&mut summary, detail);
                break;
            }
        }
        summary.cycles += 1;
    }
    summary.notes = format!("{}; {}", ttl_tally.notes(), tally.notes());
    let _ = std::fs::remove_dir_all(&dir);
    summary
}

impl TtlTally {
    pub(super) fn notes(&self) -> String {
        format!(
            "commits verified: acknowledged ops (each once; {} changed no row, theirs having \
             expired or gone); rows checked at the reopens {}; missing because swept {} (the \
             writers saw {} sweep deletes committed); deleted by the reopened database's \
             sweep {}, the slowest in {} ms",
            self.no_ops,
            self.rows_checked,
            self.swept_found,
            self.swept_reported,
            self.swept_after_reopen,
            self.slowest_sweep.as_millis(),
        )
    }
}

/// Opens the database under test with the options given.
pub(super) type Open<'a> = &'a dyn Fn(Options) -> ember::Result<Database>;

/// Every row physically in `t` and `d` (read at a clock where nothing has expired; a `d`
/// row without its hidden write time); `None`: no table yet.
fn read_rows(conn: &Connection) -> Result<Option<BTreeMap<i64, Row>>, String> {
    let mut found = BTreeMap::new();
    for sql in ["SELECT id, v, exp FROM t", "SELECT id, v, NULL FROM d"] {
        let rows = match conn.query(sql, ()) {
            Ok(rows) => rows,
            Err(e) if e.kind() == ErrorKind::NotFound && sql.contains(" t") => return Ok(None),
            // `d` is made after `t`: a crash between them leaves `t` only.
            Err(e) if e.kind() == ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("{sql} failed: {e}")),
        };
        for row in rows {
            let get = |e: ember::Error| e.to_string();
            let (id, v) = (
                row.get::<i64>(0).map_err(get)?,
                row.get::<i64>(1).map_err(get)?,
            );
            let exp = row.get::<Option<f64>>(2).map_err(get)?;
            found.insert(
                id,
                Row {
                    v,
                    exp,
                    exp_hi: None,
                },
            );
        }
    }
    Ok(Some(found))
}

/// Whether `visible` (read back) holds exactly the rows of `want` (a `d` row by value).
fn same_rows(want: &BTreeMap<i64, Row>, visible: &BTreeMap<i64, Row>) -> bool {
    want.len() == visible.len()
        && want
            .iter()
            .all(|(id, row)| visible.get(id).is_some_and(|seen| row.matches(*id, seen)))
}

/// Step 1's check of the `d` rows' write times: live with the clock 1 ms before the
/// earliest expiry, expired at the latest (when known).
fn check_write_times(
    conn: &Connection,
    clock: &WallClock,
    found: &BTreeMap<i64, Row>,
) -> Result<(), String> {
    let visible = |at_ms: i64, id: i64| -> Result<bool, String> {
        clock.set_ms(at_ms);
        conn.query_value::<i64>("SELECT count(*) FROM d WHERE id = ?", [id])
            .map(|n| n == 1)
            .map_err(|e| format!("reading d failed: {e}"))
    };
    let result = (|| {
        for (id, row) in found.iter().filter(|(id, _)| model::on_ttl_table(**id)) {
            let Some(exp) = row.exp else { continue };
            let earliest = (exp * 1000.0).floor() as i64;
            if !visible(earliest - 1, *id)? {
                return Err(format!(
                    "d row {id} reads as expired at {}, before its earliest expiry {earliest} \
                     (its write time came back earlier than it was written)",
                    earliest - 1
                ));
            }
            if let Some(hi) = row.exp_hi {
                let latest = (hi * 1000.0).ceil() as i64;
                if visible(latest, *id)? {
                    return Err(format!(
                        "d row {id} reads as live at {latest}, its latest expiry (its write \
                         time came back later than it was written)"
                    ));
                }
            }
        }
        Ok(())
    })();
    clock.set_ms(0);
    result
}

/// Step 1 of the module comment; returns the rows found.
pub(super) fn check_rows(
    open: Open,
    baseline: &BTreeMap<i64, Row>,
    ops: &[Op],
    swept: u64,
    now: i64,
    tally: &mut TtlTally,
) -> Result<BTreeMap<i64, Row>, String> {
    let clock = WallClock::manual(0);
    let db = open(
        options()
            .clock(clock.clone())
            .ttl_sweep_interval(SWEEP_LIMIT * 60),
    )
    .map_err(|e| format!("reopen failed: {e}"))?;
    let mut expected = baseline.clone();
    for op in ops.iter().filter(|op| op.changed.is_some()) {
        model::apply(&mut expected, op, false)?;
    }
    let Some(found) = read_rows(&db.connect())? else {
        let acked = ops.iter().any(|op| op.changed.is_some_and(|n| n > 0));
        if baseline.is_empty() && !acked {
            return Ok(BTreeMap::new());
        }
        return Err("table t is gone after acknowledged ops".into());
    };
    // Each thread's op in doubt, applied: the other state its row may be in.
    let mut doubt: BTreeMap<i64, Option<Row>> = BTreeMap::new();
    for op in ops.iter().filter(|op| op.changed.is_none()) {
        let mut applied = expected.clone();
        model::apply(&mut applied, op, true)?;
        doubt.insert(op.id, applied.get(&op.id).copied());
    }
    let ids: std::collections::BTreeSet<i64> = expected
        .keys()
        .chain(found.keys())
        .chain(doubt.keys())
        .copied()
        .collect();
    let mut problems = Vec::new();
    let mut vanished = 0u64;
    // The rows found, as the model holds them (a `d` row with its expiry bounds).
    let mut modelled = BTreeMap::new();
    for id in ids {
        let have = found.get(&id).copied();
        let allowed: Vec<Option<Row>> = std::iter::once(expected.get(&id).copied())
            .chain(doubt.get(&id).copied())
            .collect();
        // Gone, and expired by NOW: a sweep may have deleted it (counted as swept even when
        // an op in doubt may have deleted it, so the count is an upper bound of the sweeps').
        let swept_away = have.is_none()
            && allowed
                .iter()
                .any(|row| row.is_some_and(|row| row.expired_at(now)));
        if swept_away {
            vanished += 1;
            continue;
        }
        // A `d` row found may be any state of the model with its value (a renewal in doubt
        // keeps the value): it has the widest expiry bounds of them.
        let matching = allowed
            .iter()
            .flatten()
            .filter(|row| have.is_some_and(|h| row.matches(id, &h)))
            .copied()
            .reduce(|a, b| Row {
                v: a.v,
                exp: a.exp.zip(b.exp).map(|(a, b)| a.min(b)).or(a.exp).or(b.exp),
                exp_hi: a.exp_hi.zip(b.exp_hi).map(|(a, b)| a.max(b)),
            });
        match (have, matching.as_ref()) {
            (None, _) if allowed.contains(&None) => continue,
            (Some(_), Some(row)) => {
                modelled.insert(id, *row);
                continue;
            }
            _ => {}
        }
        let what = match have {
            Some(_) if allowed.iter().all(Option::is_none) => {
                "present, but the model holds no such row (never inserted, deleted, or gone \
                 at an earlier reopen: resurrected)"
            }
            Some(_) => "present with other contents",
            None => "missing, and not expired at the kill",
        };
        problems.push(format!(
            "row {id} {what}: found {have:?}, allowed {allowed:?}"
        ));
    }
    tally.rows_checked += found.len() as u64;
    tally.swept_found += vanished;
    tally.swept_reported += swept;
    if vanished < swept {
        problems.push(format!(
            "the child's sweeps deleted {swept} rows (committed), but only {vanished} rows \
             the model holds are gone"
        ));
    }
    if !problems.is_empty() {
        let count = problems.len();
        problems.truncate(5);
        return Err(format!(
            "reopened at clock 0 (NOW {now}): {count} problems: {}",
            problems.join("; ")
        ));
    }
    check_write_times(&db.connect(), &clock, &modelled)?;
    Ok(modelled)
}

/// Step 2 of the module comment; returns the rows not expired at `now`.
pub(super) fn check_sweep(
    open: Open,
    found: &BTreeMap<i64, Row>,
    now: i64,
    tally: &mut TtlTally,
) -> Result<BTreeMap<i64, Row>, String> {
    // Surely live at NOW, and (a `d` row whose write-time bounds straddle NOW) maybe.
    let unexpired: BTreeMap<i64, Row> = found
        .iter()
        .filter(|(_, row)| !row.expired_at(now))
        .map(|(id, row)| (*id, *row))
        .collect();
    let maybe: BTreeMap<i64, Row> = found
        .iter()
        .filter(|(id, row)| row.expired_at(now) && !row.surely_expired_at(**id, now))
        .map(|(id, row)| (*id, *row))
        .collect();
    let clock = WallClock::manual(now);
    let options = options()
        .clock(clock.clone())
        .ttl_sweep_interval(Duration::from_millis(20));
    let db = open(options).map_err(|e| format!("reopen failed: {e}"))?;
    let conn = db.connect();
    let Some(visible) = read_rows(&conn)? else {
        return Ok(unexpired);
    };
    let unexpired: BTreeMap<i64, Row> = unexpired
        .into_iter()
        .chain(maybe.into_iter().filter(|(id, _)| visible.contains_key(id)))
        .collect();
    if !same_rows(&unexpired, &visible) {
        return Err(format!(
            "reopened at NOW {now}: {} rows visible, {} rows found at clock 0 are not expired; \
             visible but expired: {:?}",
            visible.len(),
            unexpired.len(),
            visible
                .keys()
                .filter(|id| !unexpired.contains_key(id))
                .take(5)
                .collect::<Vec<_>>()
        ));
    }
    let want = (
        unexpired.len() as i64,
        (found.len() - unexpired.len()) as i64,
    );
    let started = Instant::now();
    let counts = loop {
        let counts = conn
            .query_row(
                "SELECT sum(rows), sum(rows_expired) FROM ember_tables WHERE name IN ('t', 'd')",
                (),
                |row| Ok((row.get::<i64>(0)?, row.get::<i64>(1)?)),
            )
            .map_err(|e| format!("reading ember_tables failed: {e}"))?;
        if counts == want || started.elapsed() > SWEEP_LIMIT {
            break counts;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let took = started.elapsed();
    if counts != want {
        return Err(format!(
            "reopened at NOW {now} with a 20 ms sweep: after {took:?} ember_tables has \
             (rows, rows_expired) = {counts:?}, expected {want:?}"
        ));
    }
    tally.swept_after_reopen += want.1 as u64;
    tally.slowest_sweep = tally.slowest_sweep.max(took);
    clock.set_ms(0);
    let left = read_rows(&conn)?.unwrap_or_default();
    if !same_rows(&unexpired, &left) {
        return Err(format!(
            "after the sweep, at clock 0: {} rows, expected the {} unexpired",
            left.len(),
            unexpired.len()
        ));
    }
    Ok(unexpired)
}

/// The child of `ttl`: `resume` is each thread's next op index ("j0,j1").
pub fn child_ttl(dir: &Path, seed: u64, resume: &str) -> ember::Result<()> {
    let mut start = [0u64; THREADS];
    for (slot, n) in start.iter_mut().zip(resume.split(',')) {
        *slot = n.parse().unwrap_or(0);
    }
    let options = options().ttl_sweep_interval(Duration::from_millis(10));
    let db = kill_child::open(dir, options)?;
    db.connect().execute_batch(SCHEMA)?;
    std::thread::scope(|scope| {
        for (thread, first) in start.into_iter().enumerate() {
            let db = db.clone();
            scope.spawn(move || {
                let conn = db.connect();
                for index in first.. {
                    let mut say = |line: String| kill_child::say(format_args!("ack {line}"));
                    if let Err(error) = run_op(&conn, seed, (thread, index), &now_ms, &mut say) {
                        kill_child::say(format_args!("error thread {thread} op {index}: {error}"));
                        return;
                    }
                }
            });
        }
        let reporter = db.clone();
        scope.spawn(move || {
            let conn = reporter.connect();
            let mut last = 0i64;
            loop {
                let sql = "SELECT sum(rows_expired) FROM ember_tables WHERE name IN ('t', 'd')";
                match conn.query_value::<i64>(sql, ()) {
                    Ok(swept) if swept != last => {
                        kill_child::say(format_args!("ack s {swept}"));
                        last = swept;
                    }
                    Ok(_) => {}
                    Err(error) => {
                        kill_child::say(format_args!("error reading rows_expired: {error}"));
                        return;
                    }
                }
                std::thread::sleep(Duration::from_millis(3));
            }
        });
        let db = db.clone();
        scope.spawn(move || kill_child::checkpoint_forever(&db, seed));
    });
    Ok(())
}

/// Op `index` of writer thread `thread`: told to `say` (the fields of its `ack` lines), run,
/// its outcome told; `now` reads the clock (unix ms) before and after it, and an insert's
/// expiry counts from the first reading.
pub(super) fn run_op(
    conn: &Connection,
    seed: u64,
    (thread, index): (usize, u64),
    now: &dyn Fn() -> i64,
    say: &mut dyn FnMut(String),
) -> ember::Result<()> {
    let (kind, id) = model::plan(seed, thread, index);
    let v = index as i64;
    let ttl = model::on_ttl_table(id);
    let table = if ttl { "d" } else { "t" };
    let at_ms = now();
    let at = at_ms as f64 / 1000.0;
    let result = match kind {
        'i' if ttl => {
            let exp = at + model::TTL_MS as f64 / 1000.0;
            say(format!("p {thread} {index} i {id} {exp} {v} {at}"));
            conn.execute("INSERT INTO d VALUES (?, ?)", (id, v))
        }
        'i' => {
            let mut rng = fastrand::Rng::with_seed(seed ^ id as u64);
            let exp = model::expiry(&mut rng, at);
            let shown = exp.map_or("null".to_string(), |e| e.to_string());
            say(format!("p {thread} {index} i {id} {shown} {v} {at}"));
            conn.execute("INSERT INTO t VALUES (?, ?, ?)", (id, v, exp))
        }
        'u' => {
            say(format!("p {thread} {index} u {id} {v} {at}"));
            conn.execute(&format!("UPDATE {table} SET v = ? WHERE id = ?"), (v, id))
        }
        'r' => {
            say(format!("p {thread} {index} r {id} {at}"));
            let renew = if ttl { "v = v" } else { "exp = NULL" };
            conn.execute(&format!("UPDATE {table} SET {renew} WHERE id = ?"), [id])
        }
        _ => {
            say(format!("p {thread} {index} x {id} {at}"));
            if kill_child::broken().as_deref() == Some("keep-deleted") {
                // Reports the delete, keeps the row.
                conn.execute(&format!("UPDATE {table} SET v = v WHERE id = ?"), [id])
            } else {
                conn.execute(&format!("DELETE FROM {table} WHERE id = ?"), [id])
            }
        }
    };
    let done = now() as f64 / 1000.0;
    match result {
        Ok(changed) => say(format!("d {thread} {index} {changed} {done}")),
        Err(error) if kill_child::expected_error(&error) => {
            say(format!("f {thread} {index}"));
        }
        Err(error) => return Err(error),
    }
    Ok(())
}
