//! The workload of the `ttl` mode and the parent's model of it. Each writer thread of the
//! child runs ops j = 0, 1, ... on rows of its own in `t(id, v, exp) WITH (expire_at = exp)`
//! or, for one id in three (`on_ttl_table`), in `d(id, v) WITH (ttl = '300 ms')`; op j's
//! kind and target follow from the seed, its expiry time from the wall clock, so the child
//! prints each op before running it (`ack p T j KIND ID ARG AT`, AT the clock before it in
//! unix seconds) and its outcome after (`ack d T j COUNT DONE`: rows changed, DONE the clock
//! after it; `ack f T j`: rolled back by a write conflict with the sweep). Kinds: `i ID EXP V`
//! inserts (EXP unix seconds, or `null`: never expires; in `d`, AT + the ttl), `u ID V` sets
//! v, `r ID` renews (sets exp to NULL; in `d`, sets v to itself), `x ID` deletes. In `d`
//! every write renews the row: its expiry is its write time + the ttl, and the write time is
//! between AT and DONE (the statement reads the clock in between), so the model keeps both
//! bounds (`exp`, `exp_hi`; `exp_hi` unknown for an op in doubt).
//!
//! The model is a baseline (the rows a reopen found, as a map id -> row) plus the ops of the
//! cycle: what the next reopen must find is the baseline with the acknowledged ops applied,
//! each thread's op in doubt applied or not, and any row whose expiry has passed present or
//! swept.

use std::collections::BTreeMap;

/// The ttl of table `d`, milliseconds.
pub const TTL_MS: i64 = 300;

/// Whether row `id` lives in the ttl table `d` (one id in three) rather than `t`.
pub fn on_ttl_table(id: i64) -> bool {
    fastrand::Rng::with_seed(id as u64 ^ 0x5eed_d1a7).u8(..3) == 0
}

/// One row: its value and expiry (unix seconds; `None` never expires). For a row of `d`,
/// `exp` is the earliest its expiry can be and `exp_hi` the latest (`None`: not known, the
/// write was in doubt); a row read back from `d` has neither (the write time is hidden).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Row {
    pub v: i64,
    pub exp: Option<f64>,
    pub exp_hi: Option<f64>,
}

impl Row {
    /// Whether the row may read as expired at `now_ms` (so a sweep may have deleted it).
    pub fn expired_at(&self, now_ms: i64) -> bool {
        self.exp.is_some_and(|exp| exp * 1000.0 <= now_ms as f64)
    }

    /// Whether row `id` surely reads as expired at `now_ms` (for a `t` row, the same as
    /// `expired_at`; for a `d` row, when its latest expiry is known and passed).
    pub fn surely_expired_at(&self, id: i64, now_ms: i64) -> bool {
        if !on_ttl_table(id) {
            return self.expired_at(now_ms);
        }
        self.exp_hi.is_some_and(|hi| hi * 1000.0 <= now_ms as f64)
    }

    /// Whether `found`, read back as row `id`, is this row (a `d` row by its value only).
    pub fn matches(&self, id: i64, found: &Row) -> bool {
        if on_ttl_table(id) {
            self.v == found.v
        } else {
            self == found
        }
    }
}

/// What an op does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Insert(Row),
    Update(i64),
    Renew,
    Delete,
}

/// Unix seconds.
pub type Seconds = f64;

/// One op a child printed, with its outcome.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Op {
    pub thread: usize,
    pub index: u64,
    pub id: i64,
    pub kind: Kind,
    /// Rows it changed once acknowledged; `None`: in doubt at the kill; `Some(0)` also for a
    /// write conflict (rolled back).
    pub changed: Option<u64>,
    /// Rolled back by a write conflict (`ack f`).
    pub conflict: bool,
    /// The clock before the op (`AT`) and after it (`DONE`; `None` while in doubt).
    pub at: Seconds,
    pub done: Option<Seconds>,
}

pub fn row_id(thread: usize, index: u64) -> i64 {
    ((thread as i64) << 40) | index as i64
}

/// The kind of op j of thread T and its target (an insert targets its own id; the others
/// one of the thread's 40 ops before, which may or may not have inserted a row).
pub fn plan(seed: u64, thread: usize, index: u64) -> (char, i64) {
    let mut rng = fastrand::Rng::with_seed(seed ^ (row_id(thread, index) as u64).rotate_left(29));
    let kind = match rng.u8(..10) {
        0..=4 => 'i',
        5 | 6 => 'u',
        7 => 'r',
        _ => 'x',
    };
    if kind == 'i' || index == 0 {
        return ('i', row_id(thread, index));
    }
    let back = rng.u64(1..=index.min(40));
    (kind, row_id(thread, index - back))
}

/// An insert's expiry at wall time `now_s`: never (3 in 10), already past (0.5-5 s ago, 1 in
/// 10), soon (within 0-400 ms, 4 in 10), or in an hour (2 in 10).
pub fn expiry(rng: &mut fastrand::Rng, now_s: f64) -> Option<f64> {
    match rng.u8(..10) {
        0..=2 => None,
        3 => Some(now_s - 0.5 - rng.f64() * 4.5),
        4..=7 => Some(now_s + rng.f64() * 0.4),
        _ => Some(now_s + 3600.0),
    }
}

/// Parses the `ack` lines of one child: the ops in print order, and the last sweep count.
pub fn parse(acks: &[String], next: &[u64]) -> Result<(Vec<Op>, u64), String> {
    let mut ops: Vec<Op> = Vec::new();
    let mut open: BTreeMap<usize, usize> = BTreeMap::new();
    let mut expected = next.to_vec();
    let mut swept = 0;
    for ack in acks {
        let words: Vec<&str> = ack.split_whitespace().collect();
        let bad = || format!("the child printed a bad ack: {ack}");
        let int = |i: usize| -> Result<i64, String> {
            words.get(i).and_then(|w| w.parse().ok()).ok_or_else(bad)
        };
        match words.first().copied() {
            Some("s") => swept = int(1)? as u64,
            Some("p") => {
                let (thread, index, id) = (int(1)? as usize, int(2)? as u64, int(4)?);
                if expected.get(thread) != Some(&index) || open.contains_key(&thread) {
                    return Err(format!("op {ack} out of order (next {expected:?})"));
                }
                expected[thread] += 1;
                let seconds = |w: Option<&str>| -> Result<f64, String> {
                    w.and_then(|w| w.parse::<f64>().ok()).ok_or_else(bad)
                };
                let (kind, at) = match words.get(3).copied() {
                    Some("i") => {
                        let exp = match words.get(5).copied() {
                            Some("null") => None,
                            w => Some(seconds(w)?),
                        };
                        let row = Row {
                            v: int(6)?,
                            exp,
                            exp_hi: None,
                        };
                        (Kind::Insert(row), seconds(words.get(7).copied())?)
                    }
                    Some("u") => (Kind::Update(int(5)?), seconds(words.get(6).copied())?),
                    Some("r") => (Kind::Renew, seconds(words.get(5).copied())?),
                    Some("x") => (Kind::Delete, seconds(words.get(5).copied())?),
                    _ => return Err(bad()),
                };
                open.insert(thread, ops.len());
                ops.push(Op {
                    thread,
                    index,
                    id,
                    kind,
                    changed: None,
                    conflict: false,
                    at,
                    done: None,
                });
            }
            Some(word @ ("d" | "f")) => {
                let (thread, index) = (int(1)? as usize, int(2)? as u64);
                let slot = open.remove(&thread).ok_or_else(bad)?;
                if ops[slot].index != index {
                    return Err(format!("{ack}: thread {thread} was running another op"));
                }
                ops[slot].changed = Some(if word == "d" { int(3)? as u64 } else { 0 });
                ops[slot].conflict = word == "f";
                if word == "d" {
                    let done = words.get(4).and_then(|w| w.parse::<f64>().ok());
                    ops[slot].done = Some(done.ok_or_else(bad)?);
                }
            }
            _ => return Err(bad()),
        }
    }
    Ok((ops, swept))
}

/// Applies an acknowledged (or, in doubt, assumed applied) op to `rows`; an acknowledged op
/// that changed a row the model does not hold is an error.
pub fn apply(rows: &mut BTreeMap<i64, Row>, op: &Op, assume: bool) -> Result<(), String> {
    let changed = if assume { 1 } else { op.changed.unwrap_or(0) };
    if changed == 0 {
        // A row that never expires is visible to its thread's ops until they delete it.
        let live = rows.get(&op.id).is_some_and(|row| row.exp.is_none());
        if live && !op.conflict && !matches!(op.kind, Kind::Insert(_)) {
            return Err(format!(
                "{op:?} found no row, but the model holds {:?}, which never expires",
                rows.get(&op.id)
            ));
        }
        return Ok(());
    }
    if changed != 1 {
        return Err(format!("{op:?} changed {changed} rows"));
    }
    let ttl = on_ttl_table(op.id);
    // A write to a `d` row sets its write time, between the op's AT and DONE.
    let written = |row: &mut Row| {
        if ttl {
            let ttl_s = TTL_MS as f64 / 1000.0;
            row.exp = Some(op.at + ttl_s);
            row.exp_hi = op.done.map(|done| done + ttl_s);
        }
    };
    if let Kind::Insert(mut row) = op.kind {
        written(&mut row);
        if rows.insert(op.id, row).is_some() {
            return Err(format!("{op:?} inserted a row the model already holds"));
        }
        return Ok(());
    }
    let Some(row) = rows.get_mut(&op.id) else {
        if assume {
            return Ok(());
        }
        return Err(format!(
            "{op:?} changed row {}, which the model no longer holds or never held (a deleted \
             row resurrected, or a row never inserted)",
            op.id
        ));
    };
    match op.kind {
        Kind::Update(v) => {
            row.v = v;
            written(row);
        }
        Kind::Renew if ttl => written(row),
        Kind::Renew => row.exp = None,
        Kind::Delete => {
            rows.remove(&op.id);
        }
        Kind::Insert(_) => {}
    }
    Ok(())
}
