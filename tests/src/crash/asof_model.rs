//! The `asof` modes' workload, model and checks. One writer runs numbered ops on
//! `t(id, v) WITH (history_retention = '10 minutes')`: op `seq` sets row -1 to `seq` and
//! makes up to two upserts or deletes on 12 keys (`plan`, seeded; several statements in one
//! BEGIN .. COMMIT), so every op is a commit of its own; after its commit the writer reads
//! `ember_stats.read_ts`, its commit number (the only writer, so the state at that commit
//! is exactly the model's after the op). `check_past` reads AS OF a commit
//! and compares with the model (a whole scan and a point read per key); `check_reopened`
//! is what the parent requires after a crash: the recovered state is the model's after the
//! last acknowledged op or the op in doubt, every acknowledged commit older than the
//! recovered one is `HistoryUnavailable` naming the recovered commit as the oldest readable,
//! and AS OF the recovered commit and the commits made after the reopen match the model.

use std::collections::BTreeMap;

use ember::{Connection, ErrorKind};

pub const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v INT) \
                          WITH (history_retention = '10 minutes')";
/// Keys the ops touch (and `SEQ_ID`).
const KEYS: i64 = 12;
/// The row every op sets to its own number.
const SEQ_ID: i64 = -1;
/// Ops the parent runs itself after a reopen, each checked AS OF its commit.
const OPS_AFTER_REOPEN: u64 = 3;

/// The rows of `t` by id.
pub type State = BTreeMap<i64, i64>;

/// One statement of an op.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Put(i64, i64),
    Delete(i64),
}

/// The statements of op `seq` (the same on every run of a seed).
pub fn plan(seed: u64, seq: u64) -> Vec<Step> {
    let mut rng = fastrand::Rng::with_seed(seed ^ seq.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let count = rng.u64(..3);
    let mut steps: Vec<Step> = (0..count)
        .map(|k| {
            let id = rng.i64(0..KEYS);
            if rng.u8(..4) == 0 {
                Step::Delete(id)
            } else {
                Step::Put(id, (seq * 4 + k) as i64)
            }
        })
        .collect();
    // Every op writes row SEQ_ID, so every op is a commit and tells which op a state follows.
    steps.insert(rng.usize(..=steps.len()), Step::Put(SEQ_ID, seq as i64));
    steps
}

pub fn apply(state: &mut State, steps: &[Step]) {
    for step in steps {
        match *step {
            Step::Put(id, v) => {
                state.insert(id, v);
            }
            Step::Delete(id) => {
                state.remove(&id);
            }
        }
    }
}

fn run_step(conn: &Connection, step: Step) -> ember::Result<usize> {
    match step {
        Step::Put(id, v) => conn.execute(
            "INSERT INTO t VALUES (?1, ?2) ON CONFLICT(id) DO UPDATE SET v = excluded.v",
            (id, v),
        ),
        Step::Delete(id) => conn.execute("DELETE FROM t WHERE id = ?", [id]),
    }
}

/// The newest commit number.
pub fn newest_commit(conn: &Connection) -> ember::Result<u64> {
    let ts: i64 = conn.query_value("SELECT read_ts FROM ember_stats", ())?;
    Ok(ts as u64)
}

/// Runs op `seq` (several steps in one transaction) and returns the commit number after it.
pub fn run_op(conn: &Connection, seed: u64, seq: u64) -> ember::Result<u64> {
    let steps = plan(seed, seq);
    if let [step] = steps[..] {
        run_step(conn, step)?;
    } else {
        conn.execute("BEGIN", ())?;
        let run = steps
            .iter()
            .try_for_each(|step| run_step(conn, *step).map(drop));
        if let Err(error) = run.and_then(|()| conn.execute("COMMIT", ()).map(drop)) {
            let _ = conn.execute("ROLLBACK", ());
            return Err(error);
        }
    }
    newest_commit(conn)
}

/// Every row of `t` now.
pub fn read_now(conn: &Connection) -> Result<State, String> {
    read(conn, "SELECT id, v FROM t", ())
}

fn read(conn: &Connection, sql: &str, params: impl ember::Params) -> Result<State, String> {
    let rows = conn.query(sql, params).map_err(|e| format!("{sql}: {e}"))?;
    rows.into_iter()
        .map(|row| Ok((row.get::<i64>(0)?, row.get::<i64>(1)?)))
        .collect::<ember::Result<State>>()
        .map_err(|e| format!("{sql}: {e}"))
}

/// Reads `t` AS OF `commit` (a scan, and a point read of each key) and requires `expected`.
/// Returns the reads made.
pub fn check_past(conn: &Connection, commit: u64, expected: &State) -> Result<u64, String> {
    let sql = "SELECT id, v FROM t FOR SYSTEM_TIME AS OF ? ORDER BY id";
    let found = read(conn, sql, [commit as i64])?;
    if &found != expected {
        return Err(format!(
            "AS OF commit {commit}: found {found:?}, the model holds {expected:?}"
        ));
    }
    let point = "SELECT v FROM t FOR SYSTEM_TIME AS OF ?1 WHERE id = ?2";
    for id in SEQ_ID..KEYS {
        let v = conn
            .query(point, (commit as i64, id))
            .map_err(|e| format!("{point} ({commit}, {id}): {e}"))?
            .into_iter()
            .next()
            .map(|row| row.get::<i64>(0))
            .transpose()
            .map_err(|e| e.to_string())?;
        if v != expected.get(&id).copied() {
            return Err(format!(
                "AS OF commit {commit}, id {id}: found {v:?}, the model holds {:?}",
                expected.get(&id)
            ));
        }
    }
    Ok(2 + KEYS as u64)
}

/// Requires AS OF `commit` to be `HistoryUnavailable` naming `oldest` as the oldest readable
/// commit.
pub fn check_unavailable(conn: &Connection, commit: u64, oldest: u64) -> Result<(), String> {
    let sql = "SELECT count(*) FROM t FOR SYSTEM_TIME AS OF ?";
    let error = match conn.query(sql, [commit as i64]) {
        Ok(rows) => {
            return Err(format!(
                "AS OF commit {commit} (before the oldest readable, {oldest}) answered {:?} \
                 instead of HistoryUnavailable",
                rows.into_iter().next().map(|row| row.get::<i64>(0))
            ))
        }
        Err(error) => error,
    };
    let named = format!("the oldest readable commit is {oldest}");
    if error.kind() != ErrorKind::HistoryUnavailable || !error.to_string().contains(&named) {
        return Err(format!(
            "AS OF commit {commit}: expected HistoryUnavailable naming {oldest} as the oldest \
             readable commit, got {:?}: {error}",
            error.kind()
        ));
    }
    Ok(())
}

/// What one run of the writer acknowledged, from its `ack` fields: `o COMMIT` (opened at
/// that commit), `p SEQ` (op SEQ begins), `d SEQ COMMIT` (op SEQ committed as COMMIT),
/// `r N` (the child's readers have checked N AS OF reads).
#[derive(Debug, Default)]
pub struct Acks {
    pub opened: Option<u64>,
    /// Ops acknowledged, in order: (seq, commit).
    pub done: Vec<(u64, u64)>,
    /// The op begun but not acknowledged.
    pub doubt: Option<u64>,
    pub reads: u64,
}

pub fn parse(acks: &[String]) -> Result<Acks, String> {
    let mut parsed = Acks::default();
    for line in acks {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let number = |i: usize| -> Result<u64, String> {
            fields
                .get(i)
                .and_then(|f| f.parse().ok())
                .ok_or_else(|| format!("bad ack line {line:?}"))
        };
        match fields.first().copied() {
            Some("o") => parsed.opened = Some(number(1)?),
            Some("p") => parsed.doubt = Some(number(1)?),
            Some("d") => {
                let seq = number(1)?;
                if parsed.doubt != Some(seq) {
                    return Err(format!("ack {line:?} for an op not begun"));
                }
                parsed.doubt = None;
                parsed.done.push((seq, number(2)?));
            }
            Some("r") => parsed.reads = number(1)?,
            _ => return Err(format!("bad ack line {line:?}")),
        }
    }
    Ok(parsed)
}

/// The parent's model over the cycles: the state recovered last, the acknowledged commits
/// (those before the last reopen are only checked to be unavailable), the next op.
#[derive(Debug, Default)]
pub struct Model {
    pub state: State,
    pub older_commits: Vec<u64>,
    pub next_seq: u64,
}

/// What the parent's checks counted.
#[derive(Debug, Default)]
pub struct AsOfTally {
    /// AS OF reads compared with the model (by the parent).
    pub reads: u64,
    /// AS OF reads of commits before a reopen found `HistoryUnavailable`.
    pub unavailable: u64,
    /// AS OF reads the children's readers compared with their model.
    pub child_reads: u64,
    /// Reopens that found the op in doubt applied.
    pub doubt_applied: u64,
}

impl AsOfTally {
    pub fn notes(&self) -> String {
        format!(
            "AS OF reads matching the model: {} by the writers' readers before the crash, {} \
             after the reopens; {} reads of commits before a reopen gave HistoryUnavailable \
             naming the recovered commit; op in doubt found applied {} times",
            self.child_reads, self.reads, self.unavailable, self.doubt_applied
        )
    }
}

/// Oldest acknowledged commits kept for the unavailable check (the newest are kept).
const OLDER_COMMITS_MAX: usize = 64;

/// After a crash: `conn` is on the reopened database; `acks` what the writer acknowledged
/// since the model's last reopen. Checks the rules of the module comment, runs
/// `OPS_AFTER_REOPEN` ops of its own (checked AS OF their commits) and moves `model` on.
pub fn check_reopened(
    conn: &Connection,
    seed: u64,
    model: &mut Model,
    acks: &Acks,
    tally: &mut AsOfTally,
) -> Result<(), String> {
    let opened = newest_commit(conn).map_err(|e| format!("reading read_ts: {e}"))?;
    let exists: i64 = conn
        .query_value("SELECT count(*) FROM ember_tables WHERE name = 't'", ())
        .map_err(|e| format!("reading ember_tables: {e}"))?;
    if exists == 0 {
        // The crash came before the writer created its table (nothing acknowledged yet).
        if acks.done.is_empty() && model.older_commits.is_empty() {
            return Ok(());
        }
        return Err("table t is gone after acknowledged ops".into());
    }
    let mut expected = model.state.clone();
    let mut acked = Vec::new();
    for (seq, commit) in &acks.done {
        if *seq != acked.last().map_or(model.next_seq, |(s, _, _)| s + 1) {
            return Err(format!("op {seq} acknowledged out of order"));
        }
        apply(&mut expected, &plan(seed, *seq));
        acked.push((*seq, *commit, expected.clone()));
    }
    let found = read_now(conn)?;
    let mut next_seq = acked.last().map_or(model.next_seq, |(seq, _, _)| seq + 1);
    if found != expected {
        let Some(doubt) = acks.doubt else {
            return Err(format!(
                "recovered {found:?}, the model after the last acknowledged op holds \
                 {expected:?}"
            ));
        };
        let mut applied = expected.clone();
        apply(&mut applied, &plan(seed, doubt));
        if found != applied {
            return Err(format!(
                "recovered {found:?}: neither the model after the last acknowledged op \
                 ({expected:?}) nor after op {doubt} in doubt ({applied:?})"
            ));
        }
        tally.doubt_applied += 1;
        next_seq = doubt + 1;
    } else if let Some(doubt) = acks.doubt {
        next_seq = doubt + 1;
    }
    // Acknowledged commits: before the recovered one unavailable, the recovered one readable.
    for (_, commit, state) in &acked {
        if *commit > opened {
            return Err(format!(
                "commit {commit} was acknowledged, but the reopened database's newest is \
                 {opened}"
            ));
        }
        if *commit == opened {
            tally.reads += check_past(conn, *commit, state)?;
        } else {
            check_unavailable(conn, *commit, opened)?;
            tally.unavailable += 1;
        }
    }
    for commit in model.older_commits.iter().filter(|c| **c < opened) {
        check_unavailable(conn, *commit, opened)?;
        tally.unavailable += 1;
    }
    // The crash may have come after the writer created its table and before any op of this
    // first run committed: the table appeared after the newest commit (a catalog change is
    // no commit), so AS OF that commit is refused, naming the next as the oldest readable.
    // (Only then: an op of it that committed unacknowledged made the table readable.)
    let nothing_committed_yet =
        model.older_commits.is_empty() && acked.is_empty() && found.is_empty();
    let mut after = Vec::new();
    if nothing_committed_yet && check_unavailable(conn, opened, opened + 1).is_ok() {
        tally.unavailable += 1;
    } else {
        if opened > 0 {
            check_unavailable(conn, opened - 1, opened)?;
            tally.unavailable += 1;
        }
        tally.reads += check_past(conn, opened, &found)?;
        after.push((opened, found.clone()));
    }
    // Commits after the reopen, each read AS OF (with the recovered one again).
    let mut state = found;
    for seq in next_seq..next_seq + OPS_AFTER_REOPEN {
        let commit = run_op(conn, seed, seq).map_err(|e| format!("op {seq} after reopen: {e}"))?;
        apply(&mut state, &plan(seed, seq));
        after.push((commit, state.clone()));
        for (commit, state) in &after {
            tally.reads += check_past(conn, *commit, state)?;
        }
    }
    model
        .older_commits
        .extend(acked.iter().map(|(_, commit, _)| *commit));
    model.older_commits.extend(after.iter().map(|(c, _)| *c));
    let excess = model.older_commits.len().saturating_sub(OLDER_COMMITS_MAX);
    model.older_commits.drain(..excess);
    model.state = state;
    model.next_seq = next_seq + OPS_AFTER_REOPEN;
    tally.child_reads += acks.reads;
    Ok(())
}
