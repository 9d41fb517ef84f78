//! Memoized results of correlated subqueries. A correlated subquery whose result is a
//! function of the enclosing-row columns it reads (`SubqueryExpr::memo_key`: the binder
//! found no non-deterministic call inside it) runs once per distinct combination of those
//! values within one statement execution; the next outer row with the same values reuses
//! the result. `SELECT .. WHERE salary > (SELECT avg(salary) FROM emp e2 WHERE e2.dept =
//! e1.dept)` runs its subquery once per department instead of once per employee.
//!
//! The key is the values' exact identity, not SQL equality: `1` and `1.0`, or `'a'` and
//! `'A'`, are different keys, since the subquery may tell them apart (`typeof`, a
//! collation of its own). The memo is used only while the transaction has written nothing
//! since it was filled (a statement whose subqueries read while it writes sees its own
//! writes), holds at most `SUBQUERY_MEMO_ENTRIES_MAX` results, charges what it holds to the
//! statement's memory account, and gives itself up when its lookups hit less often than
//! one in `TRIAL_HIT_DIVISOR`, checked after `TRIAL_LOOKUPS` lookups and again each time
//! their count grows fourfold (outer values that never repeat, as a lookup by the outer
//! row's primary key: the map would only cost).

use std::collections::HashMap;
use std::sync::Arc;

use ember_storage::slab::MemoryAccount;
use ember_storage::Value;

use crate::error::Result;
use crate::exec::MemoryCharge;
use crate::fast_hash::FastBuildHasher;
use crate::limits::SUBQUERY_MEMO_ENTRIES_MAX;

use super::subquery::OuterFrame;

/// Lookups after which a memo that rarely hits is given up.
const TRIAL_LOOKUPS: u64 = 256;
/// A memo keeps going when at least one lookup in this many hit during the trial.
const TRIAL_HIT_DIVISOR: u64 = 16;
/// Bytes an entry takes besides its values' own (the map slot, the key's vector, the Arc).
const ENTRY_BYTES: u64 = 96;

/// One column of an enclosing row a correlated subquery reads: `level` steps out of the
/// subquery (1 = the row the subquery runs for) and the column's `index` in that row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OuterRead {
    pub level: usize,
    pub index: usize,
}

/// A value by its exact identity (see the module comment).
#[derive(PartialEq, Eq, Hash)]
enum MemoValue {
    Null,
    Integer(i64),
    Real(u64),
    Text(Box<str>),
    Boolean(bool),
    Blob(Box<[u8]>),
}

impl MemoValue {
    fn of(value: &Value) -> MemoValue {
        match value {
            Value::Null => MemoValue::Null,
            Value::Integer(int) => MemoValue::Integer(*int),
            Value::Real(real) => MemoValue::Real(real.to_bits()),
            Value::Text(text) => MemoValue::Text(text.as_str().into()),
            Value::Boolean(boolean) => MemoValue::Boolean(*boolean),
            Value::Blob(blob) => MemoValue::Blob(blob.as_slice().into()),
        }
    }

    fn heap_bytes(&self) -> u64 {
        match self {
            MemoValue::Text(text) => text.len() as u64,
            MemoValue::Blob(blob) => blob.len() as u64,
            _ => 0,
        }
    }
}

/// The values of a subquery's outer reads for one run.
#[derive(PartialEq, Eq, Hash)]
pub struct MemoKey(Box<[MemoValue]>);

impl MemoKey {
    /// The key of a run with `frame` as the row one level out; `None` when a read reaches
    /// past the frames there are (the subquery then runs plain).
    pub fn of(reads: &[OuterRead], frame: &OuterFrame<'_>) -> Option<MemoKey> {
        let mut values = Vec::with_capacity(reads.len());
        for read in reads {
            let value = frame.value(read.level, read.index)?;
            values.push(MemoValue::of(value));
        }
        Some(MemoKey(values.into_boxed_slice()))
    }

    fn bytes(&self) -> u64 {
        let values = self.0.len() * std::mem::size_of::<MemoValue>();
        values as u64 + self.0.iter().map(MemoValue::heap_bytes).sum::<u64>()
    }
}

/// One subquery's memo within one statement execution.
pub struct SubqueryMemo<R> {
    results: HashMap<MemoKey, Arc<R>, FastBuildHasher>,
    /// The transaction's write count the results were computed at.
    writes_at_fill: usize,
    lookups: u64,
    hits: u64,
    /// The lookup count at which the hit rate is checked next.
    next_check: u64,
    /// Set when a check showed the outer values rarely repeat: no more lookups.
    given_up: bool,
    memory: MemoryCharge,
}

impl<R> SubqueryMemo<R> {
    pub fn new(account: Option<&Arc<MemoryAccount>>, writes: usize) -> SubqueryMemo<R> {
        SubqueryMemo {
            results: HashMap::default(),
            writes_at_fill: writes,
            lookups: 0,
            hits: 0,
            next_check: TRIAL_LOOKUPS,
            given_up: false,
            memory: MemoryCharge::new(account, "a correlated subquery's memoized results"),
        }
    }

    /// Whether lookups are still worth making.
    pub fn in_use(&self) -> bool {
        !self.given_up
    }

    /// The result memoized for `key`, if it was computed at the transaction's current
    /// write count `writes` (results of an earlier count are dropped).
    pub fn get(&mut self, key: &MemoKey, writes: usize) -> Option<Arc<R>> {
        if writes != self.writes_at_fill {
            self.results.clear();
            self.writes_at_fill = writes;
        }
        self.lookups += 1;
        let found = self.results.get(key).cloned();
        if found.is_some() {
            self.hits += 1;
        } else if self.lookups >= self.next_check {
            self.next_check = self.next_check.saturating_mul(4);
            if self.hits * TRIAL_HIT_DIVISOR < self.lookups {
                self.given_up = true;
                self.results = HashMap::default();
            }
        }
        found
    }

    /// Keeps `result` for `key` (`result_bytes` its estimated size), computed at write
    /// count `writes`; nothing is kept when the memo is full, given up, or the count moved.
    pub fn insert(
        &mut self,
        key: MemoKey,
        result: Arc<R>,
        result_bytes: u64,
        writes: usize,
    ) -> Result<()> {
        if self.given_up
            || writes != self.writes_at_fill
            || self.results.len() >= SUBQUERY_MEMO_ENTRIES_MAX
        {
            return Ok(());
        }
        self.memory.add(ENTRY_BYTES + key.bytes() + result_bytes)?;
        self.results.insert(key, result);
        debug_assert!(self.results.len() <= SUBQUERY_MEMO_ENTRIES_MAX);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame_key(row: &[Value], reads: &[OuterRead]) -> MemoKey {
        let frame = OuterFrame { row, parent: None };
        MemoKey::of(reads, &frame).expect("reads within the frame")
    }

    const FIRST: [OuterRead; 1] = [OuterRead { level: 1, index: 0 }];

    #[test]
    fn keys_tell_values_of_equal_sql_value_apart() {
        let int = frame_key(&[Value::Integer(1)], &FIRST);
        let real = frame_key(&[Value::Real(1.0)], &FIRST);
        assert!(int != real);
        let lower = frame_key(&[Value::Text("a".into())], &FIRST);
        let upper = frame_key(&[Value::Text("A".into())], &FIRST);
        assert!(lower != upper);
        assert!(lower == frame_key(&[Value::Text("a".into())], &FIRST));
    }

    #[test]
    fn a_read_past_the_frames_gives_no_key() {
        let frame = OuterFrame {
            row: &[Value::Integer(1)],
            parent: None,
        };
        assert!(MemoKey::of(&[OuterRead { level: 2, index: 0 }], &frame).is_none());
        assert!(MemoKey::of(&[OuterRead { level: 1, index: 5 }], &frame).is_none());
    }

    #[test]
    fn a_write_drops_what_was_memoized() {
        let mut memo = SubqueryMemo::new(None, 0);
        let key = || frame_key(&[Value::Integer(7)], &FIRST);
        memo.insert(key(), Arc::new(1), 8, 0).unwrap();
        assert_eq!(memo.get(&key(), 0).as_deref(), Some(&1));
        assert!(memo.get(&key(), 1).is_none(), "a write since the fill");
        memo.insert(key(), Arc::new(2), 8, 0).unwrap();
        assert!(
            memo.get(&key(), 1).is_none(),
            "a result of an older count is not kept"
        );
    }

    #[test]
    fn a_memo_that_never_hits_gives_itself_up() {
        let mut memo = SubqueryMemo::new(None, 0);
        for id in 0..TRIAL_LOOKUPS as i64 {
            assert!(memo.in_use());
            let key = frame_key(&[Value::Integer(id)], &FIRST);
            assert!(memo.get(&key, 0).is_none());
            memo.insert(key, Arc::new(id), 8, 0).unwrap();
        }
        assert!(!memo.in_use());
        assert!(memo.results.is_empty(), "its map is freed");
    }

    #[test]
    fn a_memo_hitting_one_lookup_in_ten_keeps_going_and_one_that_stops_hitting_gives_up() {
        let mut memo = SubqueryMemo::new(None, 0);
        let lookups = 16 * TRIAL_LOOKUPS as i64;
        for id in 0..lookups {
            // Every tenth lookup repeats the one before it.
            let value = if id % 10 == 9 { id - 1 } else { id };
            let key = frame_key(&[Value::Integer(value)], &FIRST);
            if memo.get(&key, 0).is_none() {
                memo.insert(key, Arc::new(id), 8, 0).unwrap();
            }
        }
        assert!(memo.in_use(), "one hit in ten passes every check");
        for id in lookups..lookups * 4 {
            let key = frame_key(&[Value::Integer(id)], &FIRST);
            if memo.get(&key, 0).is_none() {
                memo.insert(key, Arc::new(id), 8, 0).unwrap();
            }
        }
        assert!(!memo.in_use(), "the hit rate fell below one in sixteen");
    }

    #[test]
    fn a_memo_that_hits_keeps_going() {
        let mut memo = SubqueryMemo::new(None, 0);
        for id in 0..2 * TRIAL_LOOKUPS as i64 {
            let key = frame_key(&[Value::Integer(id % 10)], &FIRST);
            if memo.get(&key, 0).is_none() {
                memo.insert(key, Arc::new(id), 8, 0).unwrap();
            }
        }
        assert!(memo.in_use());
        assert_eq!(memo.results.len(), 10);
    }
}
