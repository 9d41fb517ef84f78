//! What the `evict` and `evict-powerloss` modes do and check: one writer inserts rows
//! `id, printf('%0100d', id)` with ids counting up, `ROWS_PER_OP` per commit (op `k` inserts
//! ids `k * ROWS_PER_OP ..`), into a cache table `c WITH (max_memory = '64kB', on_full =
//! 'evict_lru' | 'evict_lfu')`, reading an earlier row every third op (so access marks
//! matter), and after each acknowledged commit reads
//! `ember_tables.rows_evicted` (this process's evictions so far: the writer is alone, so the
//! growth since the last op is exactly what its commit evicted). It says `p K` before op
//! `k`'s insert, `d K EVICTED` after its commit, and `b EVICTED` once after the open.
//!
//! WHAT CAN BE PROVEN. The keys a commit evicted are not reported (evictions have no
//! RETURNING), but their number is; so after a crash the reopened table must:
//! 1. hold only rows inserted (the last reopen's rows, the acknowledged inserts, the insert
//!    in doubt), each with its own contents;
//! 2. hold every row of the last acknowledged insert, unless the insert in doubt committed
//!    (its commit may have evicted them; then its own rows are there: a commit never evicts
//!    its own rows);
//! 3. hold exactly `last reopen's rows + acknowledged rows - acknowledged evictions` rows
//!    when the rows in doubt are absent (their commit did not happen), and at most
//!    `ROWS_PER_OP` more when they are there (their commit added them and evicted some);
//! 4. keep its bytes within its budget (`ember_tables.bytes <= max_memory`);
//! 5. read the same row set at a second reopen: evictions replay identically.

use std::collections::BTreeSet;

use ember::{Connection, Database, ErrorKind, Options, SyncPolicy};

/// The cache table's budget, in bytes.
pub const BUDGET_BYTES: i64 = 64 * 1024;
/// Rows one op inserts, in one commit.
pub const ROWS_PER_OP: i64 = 20;

/// The ids op `k` inserts.
pub fn op_ids(k: i64) -> std::ops::Range<i64> {
    k * ROWS_PER_OP..(k + 1) * ROWS_PER_OP
}

pub fn schema(seed: u64) -> String {
    let policy = if seed.is_multiple_of(2) {
        "evict_lru"
    } else {
        "evict_lfu"
    };
    format!(
        "CREATE TABLE IF NOT EXISTS c(id INTEGER PRIMARY KEY, v TEXT) \
         WITH (max_memory = '64kB', on_full = '{policy}')"
    )
}

pub fn options() -> Options {
    Options::new()
        .sync_policy(SyncPolicy::Always)
        .checkpoint_bytes(16 << 10)
        .wal_segment_bytes(8 << 10)
}

/// `rows_evicted` of `c` in this process.
pub fn evicted(conn: &Connection) -> ember::Result<i64> {
    conn.query_value("SELECT rows_evicted FROM ember_tables WHERE name = 'c'", ())
}

/// Op `k`: reads an earlier row every third op, inserts the rows of `op_ids(k)` in one
/// statement, then reads the evictions; `say` gets the `p` and `d` lines' fields.
pub fn run_op(conn: &Connection, k: i64, say: &mut dyn FnMut(String)) -> ember::Result<()> {
    let first = op_ids(k).start;
    if k % 3 == 0 && first > ROWS_PER_OP {
        conn.query(
            "SELECT v FROM c WHERE id = ?",
            [first - ROWS_PER_OP + k % 7],
        )?;
    }
    let values: Vec<String> = op_ids(k)
        .map(|id| format!("({id}, printf('%0100d', {id}))"))
        .collect();
    say(format!("p {k}"));
    conn.execute(&format!("INSERT INTO c VALUES {}", values.join(", ")), ())?;
    say(format!("d {k} {}", evicted(conn)?));
    Ok(())
}

/// What a run's lines say.
#[derive(Debug, Default)]
pub struct Run {
    /// `rows_evicted` right after the open.
    pub base: Option<i64>,
    /// Acknowledged ops, in order, with `rows_evicted` after each.
    pub acked: Vec<(i64, i64)>,
    /// The op begun and not acknowledged.
    pub doubt: Option<i64>,
}

impl Run {
    /// The next op: past the op in doubt (which may have committed).
    pub fn next_op(&self, previous: i64) -> i64 {
        let last = self.acked.last().map(|(id, _)| *id);
        self.doubt.or(last).map_or(previous, |id| id + 1)
    }
}

pub fn parse(acks: &[String]) -> Result<Run, String> {
    let mut run = Run::default();
    for line in acks {
        let fields: Vec<i64> = line
            .split_whitespace()
            .skip(1)
            .map(|field| field.parse().map_err(|_| format!("bad ack line {line:?}")))
            .collect::<Result<_, _>>()?;
        match (line.split_whitespace().next(), fields.as_slice()) {
            (Some("b"), [evicted]) => run.base = Some(*evicted),
            (Some("p"), [id]) => run.doubt = Some(*id),
            (Some("d"), [id, evicted]) if run.doubt == Some(*id) => {
                run.doubt = None;
                run.acked.push((*id, *evicted));
            }
            _ => return Err(format!("unexpected ack line {line:?}")),
        }
    }
    Ok(run)
}

/// The ids in `c`, checking each row's contents; `None`: no table yet.
fn read_ids(db: &Database) -> Result<Option<BTreeSet<i64>>, String> {
    let conn = db.connect();
    let rows = match conn.query("SELECT id, v = printf('%0100d', id) FROM c", ()) {
        Ok(rows) => rows,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("reading c failed: {e}")),
    };
    let mut ids = BTreeSet::new();
    for row in rows {
        let id = row.get::<i64>(0).map_err(|e| e.to_string())?;
        if row.get::<i64>(1).map_err(|e| e.to_string())? != 1 {
            return Err(format!("row {id} has other contents than its insert's"));
        }
        ids.insert(id);
    }
    Ok(Some(ids))
}

/// Checks 1-5 of the module comment on the database `open` reopens, after a run on top of
/// `previous` (the rows the last reopen found); returns the rows found.
pub fn check(
    open: &dyn Fn() -> ember::Result<Database>,
    previous: &BTreeSet<i64>,
    run: &Run,
) -> Result<BTreeSet<i64>, String> {
    let db = open().map_err(|e| format!("reopen failed: {e}"))?;
    let Some(found) = read_ids(&db)? else {
        if previous.is_empty() && run.acked.is_empty() {
            return Ok(BTreeSet::new());
        }
        return Err("table c is gone after acknowledged inserts".into());
    };
    let op_of = |id: i64| id.div_euclid(ROWS_PER_OP);
    let doubt_found = run
        .doubt
        .is_some_and(|k| op_ids(k).any(|id| found.contains(&id)));
    let strays: Vec<i64> = found
        .iter()
        .filter(|id| {
            !previous.contains(id)
                && !run.acked.iter().any(|(acked, _)| *acked == op_of(**id))
                && run.doubt != Some(op_of(**id))
        })
        .copied()
        .take(5)
        .collect();
    if !strays.is_empty() {
        return Err(format!("rows never inserted (or gone earlier): {strays:?}"));
    }
    if let Some((last, _)) = run.acked.last() {
        if let Some(missing) = op_ids(*last).find(|id| !found.contains(id)) {
            if !doubt_found {
                return Err(format!(
                    "row {missing} of the last acknowledged op {last} is missing, and the op \
                     in doubt ({:?}) did not commit",
                    run.doubt
                ));
            }
        }
    }
    if doubt_found {
        let k = run.doubt.unwrap_or_default();
        if let Some(missing) = op_ids(k).find(|id| !found.contains(id)) {
            return Err(format!(
                "the op in doubt {k} committed only in part: row {missing} is missing"
            ));
        }
    }
    let evicted = match (run.base, run.acked.last()) {
        (Some(base), Some((_, after))) => after - base,
        _ => 0,
    };
    let expected = previous.len() as i64 + run.acked.len() as i64 * ROWS_PER_OP - evicted;
    let count = found.len() as i64;
    let counted = if doubt_found {
        count <= expected + ROWS_PER_OP
    } else {
        count == expected
    };
    if !counted {
        return Err(format!(
            "{count} rows after the reopen, expected {expected} ({} before, {} acknowledged \
             ops, {evicted} acknowledged evictions; op in doubt {:?} found: {doubt_found})",
            previous.len(),
            run.acked.len(),
            run.doubt
        ));
    }
    let bytes: i64 = db
        .connect()
        .query_value("SELECT bytes FROM ember_tables WHERE name = 'c'", ())
        .map_err(|e| format!("reading ember_tables failed: {e}"))?;
    if bytes > BUDGET_BYTES {
        return Err(format!(
            "c holds {bytes} bytes after the reopen, over its budget {BUDGET_BYTES}"
        ));
    }
    drop(db);
    let again = open().map_err(|e| format!("second reopen failed: {e}"))?;
    let second = read_ids(&again)?.unwrap_or_default();
    if second != found {
        return Err(format!(
            "a second reopen found {} rows, the first {}: evictions did not replay identically",
            second.len(),
            found.len()
        ));
    }
    Ok(found)
}
