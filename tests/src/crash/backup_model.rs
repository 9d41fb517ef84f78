//! The workload of the `backup` mode and its model: two writer threads, each moving money
//! between accounts of its own and logging each transfer, so a thread's state after its
//! first `n` commits is a function of the seed and `n` (`expected`), and what a database or
//! a restored backup holds reads back as each thread's state (`read_state`).
//!
//! Commit k of thread T: debits account `from` and credits account `to` (T's own four
//! accounts, seeded amounts), inserts log row (T, k) with a seeded 20-300 byte payload,
//! deletes log row k - 16 unless that row's k is a multiple of 4, and sets T's counter to
//! k + 1. So after n commits thread T holds: its counter n, each account at its opening
//! balance plus the transfers 0..n, and the log rows k < n with k % 4 == 0 or k + 16 >= n.

use std::collections::BTreeMap;

use ember::Connection;

pub const THREADS: usize = 2;
pub const ACCOUNTS: i64 = 4;
pub const OPENING: i64 = 1000;

pub const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS acct(id INT PRIMARY KEY, thread INT, bal INT);
     CREATE TABLE IF NOT EXISTS log(id INT PRIMARY KEY, thread INT, seq INT, src INT, dst INT, \
       amount INT, pad TEXT);
     CREATE TABLE IF NOT EXISTS c(thread INT PRIMARY KEY, n INT);";

/// How far back the log keeps every row (older rows stay only when k % 4 == 0).
const KEEP_ALL: u64 = 16;

pub fn account_id(thread: usize, account: i64) -> i64 {
    thread as i64 * 100 + account
}

pub fn log_id(thread: usize, k: u64) -> i64 {
    ((thread as i64) << 32) | k as i64
}

/// Commit k of thread T's transfer: from, to (T's accounts 0..4) and amount.
pub fn transfer(seed: u64, thread: usize, k: u64) -> (i64, i64, i64) {
    let mut rng = fastrand::Rng::with_seed(seed ^ (log_id(thread, k) as u64).rotate_left(23));
    let from = rng.i64(0..ACCOUNTS);
    (
        from,
        (from + rng.i64(1..ACCOUNTS)) % ACCOUNTS,
        rng.i64(1..60),
    )
}

/// The payload of log row (T, k).
pub fn pad(seed: u64, thread: usize, k: u64) -> String {
    let mut rng = fastrand::Rng::with_seed(seed ^ (log_id(thread, k) as u64).rotate_left(7));
    let piece = format!("{thread}:{k};");
    piece.repeat(rng.usize(20..300) / piece.len() + 1)
}

/// The log row commit k deletes, if any.
pub fn deletes(k: u64) -> Option<u64> {
    let old = k.checked_sub(KEEP_ALL)?;
    (old % 4 != 0).then_some(old)
}

/// One thread's rows: its counter, balances, and log rows (seq -> from, to, amount, pad).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ThreadState {
    pub counter: Option<u64>,
    pub balances: Vec<i64>,
    pub log: BTreeMap<u64, (i64, i64, i64, String)>,
}

/// Every thread's state after its first `n` commits, computed incrementally: the balances
/// after each prefix are kept, so asking for many `n` costs the longest replay once.
#[derive(Debug)]
pub struct Models {
    seed: u64,
    balances: [Vec<Vec<i64>>; THREADS],
}

impl Models {
    pub fn new(seed: u64) -> Models {
        Models {
            seed,
            balances: std::array::from_fn(|_| vec![vec![OPENING; ACCOUNTS as usize]]),
        }
    }

    /// Thread T after its first `n` commits.
    pub fn expected(&mut self, thread: usize, n: u64) -> ThreadState {
        let seed = self.seed;
        let prefix = &mut self.balances[thread];
        while prefix.len() as u64 <= n {
            let k = prefix.len() as u64 - 1;
            let (from, to, amount) = transfer(seed, thread, k);
            let mut next = prefix[prefix.len() - 1].clone();
            next[from as usize] -= amount;
            next[to as usize] += amount;
            prefix.push(next);
        }
        let log = (0..n)
            .filter(|k| k % 4 == 0 || k + KEEP_ALL >= n)
            .map(|k| {
                let (from, to, amount) = transfer(seed, thread, k);
                (k, (from, to, amount, pad(seed, thread, k)))
            })
            .collect();
        ThreadState {
            counter: Some(n),
            balances: prefix[n as usize].clone(),
            log,
        }
    }
}

/// Each thread's state as a database holds it; `None`: the schema is not there yet (a kill
/// before the child created it). A row no commit could have written is an error.
pub fn read_state(conn: &Connection) -> Result<Option<[ThreadState; THREADS]>, String> {
    let counters = match conn.query("SELECT thread, n FROM c", ()) {
        Ok(rows) => rows,
        Err(e) if e.kind() == ember::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("reading c failed: {e}")),
    };
    let int = |row: &ember::Row, i: usize| row.get::<i64>(i).map_err(|e| e.to_string());
    let mut state: [ThreadState; THREADS] = Default::default();
    let slot = |thread: i64| -> Result<usize, String> {
        usize::try_from(thread)
            .ok()
            .filter(|t| *t < THREADS)
            .ok_or(format!("a row names thread {thread}, which does not exist"))
    };
    for row in counters {
        let row = &row;
        let t = slot(int(row, 0)?)?;
        state[t].counter = Some(int(row, 1)? as u64);
    }
    let accounts = conn
        .query("SELECT id, thread, bal FROM acct ORDER BY id", ())
        .map_err(|e| format!("reading acct failed: {e}"))?;
    for row in accounts {
        let row = &row;
        let t = slot(int(row, 1)?)?;
        let id = int(row, 0)?;
        if id != account_id(t, state[t].balances.len() as i64) {
            return Err(format!("account {id} of thread {t} is out of place"));
        }
        state[t].balances.push(int(row, 2)?);
    }
    let log = conn
        .query("SELECT id, thread, seq, src, dst, amount, pad FROM log", ())
        .map_err(|e| format!("reading log failed: {e}"))?;
    for row in log {
        let row = &row;
        let t = slot(int(row, 1)?)?;
        let (id, seq) = (int(row, 0)?, int(row, 2)?);
        if seq < 0 || id != log_id(t, seq as u64) {
            return Err(format!("log row {id} names thread {t}, seq {seq}"));
        }
        let pad: String = row.get(6).map_err(|e| e.to_string())?;
        let entry = (int(row, 3)?, int(row, 4)?, int(row, 5)?, pad);
        state[t].log.insert(seq as u64, entry);
    }
    Ok(Some(state))
}

/// What `found` lacks or has beyond `expected`, briefly.
pub fn difference(found: &ThreadState, expected: &ThreadState) -> String {
    let missing: Vec<&u64> = expected
        .log
        .keys()
        .filter(|k| !found.log.contains_key(k))
        .take(8)
        .collect();
    let extra: Vec<&u64> = found
        .log
        .keys()
        .filter(|k| !expected.log.contains_key(k))
        .take(8)
        .collect();
    let changed: Vec<&u64> = found
        .log
        .iter()
        .filter(|(k, row)| expected.log.get(k).is_some_and(|e| e != *row))
        .map(|(k, _)| k)
        .take(8)
        .collect();
    format!(
        "counter {:?} (expected {:?}), balances {:?} (expected {:?}), log rows missing \
         {missing:?}, beyond {extra:?}, different {changed:?}",
        found.counter, expected.counter, found.balances, expected.balances
    )
}
