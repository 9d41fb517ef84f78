//! Per-table memory accounting and what cache tables need to evict: the bytes a table's
//! committed rows hold (`live_bytes`: version header plus payload slot of every row a new
//! snapshot sees, kept exact by the commit, which adds what it created and subtracts what it
//! deleted or replaced while it holds the commit lock), the table's own budget, its eviction
//! hand, and one access mark per row slot (`AccessMarks`).
//!
//! ACCESS MARKS. Allocated only for a table whose policy evicts by use. Reads never lock and
//! never write a shared line unless the mark changes: under `MarkMode::Clock` (approximate
//! LRU, the CLOCK algorithm) a read sets the row's reference bit with a relaxed store only
//! when it is clear; under `MarkMode::LogCounter` (approximate LFU) a read raises an 8-bit
//! logarithmic counter (Redis's: the next step is taken with probability
//! 1 / ((counter - initial) * 10 + 1)), storing only when it rises. Hit and miss counts go
//! to per-thread-sharded counters, so readers on different threads touch different lines.
//! The engine's eviction (`walk_from_hand`) clears bits / ages counters as its hand passes.

use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicU8, Ordering};
use std::sync::{Mutex, OnceLock};

/// How reads mark rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum MarkMode {
    /// CLOCK: a reference bit (1 = used since the hand last passed).
    Clock = 0,
    /// A logarithmic use counter (0..=255), aged by the hand.
    LogCounter = 1,
}

/// The counter a new row starts with under `MarkMode::LogCounter` (as Redis's
/// LFU_INIT_VAL: a new row is not the first to go).
pub const LOG_COUNTER_INITIAL: u8 = 5;

/// Redis's `lfu-log-factor`: how slowly the counter climbs.
const LOG_FACTOR: u32 = 10;

const CHUNK_BASE: u64 = 1024;
const CHUNK_COUNT: usize = 31;

/// Counter shards (one cache line each), chosen by thread.
const SHARDS: usize = 16;

#[repr(align(64))]
#[derive(Default)]
struct Shard(AtomicU64);

/// A counter whose increments by different threads touch different cache lines.
#[derive(Default)]
pub struct ShardedCounter {
    shards: [Shard; SHARDS],
}

thread_local! {
    /// This thread's shard, and its random state for the logarithmic counter.
    static THREAD_STATE: std::cell::Cell<(usize, u32)> =
        const { std::cell::Cell::new((usize::MAX, 0)) };
}

static NEXT_SHARD: AtomicU64 = AtomicU64::new(0);

/// This thread's shard and a fresh pseudo-random number (xorshift32).
#[inline]
fn thread_shard_and_random() -> (usize, u32) {
    THREAD_STATE.with(|cell| {
        let (mut shard, mut random) = cell.get();
        if shard == usize::MAX {
            let n = NEXT_SHARD.fetch_add(1, Ordering::Relaxed);
            shard = (n as usize) % SHARDS;
            random = (n as u32).wrapping_mul(2_654_435_761) | 1;
        }
        random ^= random << 13;
        random ^= random >> 17;
        random ^= random << 5;
        cell.set((shard, random));
        (shard, random)
    })
}

impl ShardedCounter {
    #[inline]
    pub fn add_on_shard(&self, shard: usize, n: u64) {
        self.shards[shard % SHARDS]
            .0
            .fetch_add(n, Ordering::Relaxed);
    }

    pub fn total(&self) -> u64 {
        self.shards
            .iter()
            .map(|shard| shard.0.load(Ordering::Relaxed))
            .sum()
    }
}

/// One mark per row slot, in chunks laid out like the table's slots (`slot_array.rs`); the
/// rows of a clustered table's overflow array (`clustered.rs`) have chunks of their own.
pub struct AccessMarks {
    /// `MarkMode` as 0 (Clock) or 1 (LogCounter); a table altered from one eviction policy
    /// to the other reads its old marks under the new mode.
    mode: AtomicU8,
    chunks: [AtomicPtr<AtomicU8>; 2 * CHUNK_COUNT],
    grow: Mutex<()>,
}

fn locate(row: u64) -> (usize, usize) {
    let (first_chunk, index) = match row.checked_sub(super::clustered::OVERFLOW_BASE) {
        Some(index) => (CHUNK_COUNT, index),
        None => (0, row),
    };
    let n = index / CHUNK_BASE + 1;
    let chunk = 63 - n.leading_zeros() as usize;
    let offset = index - CHUNK_BASE * ((1u64 << chunk) - 1);
    (first_chunk + chunk, offset as usize)
}

fn chunk_len(chunk: usize) -> usize {
    (CHUNK_BASE << (chunk % CHUNK_COUNT)) as usize
}

impl AccessMarks {
    fn new(mode: MarkMode) -> AccessMarks {
        AccessMarks {
            mode: AtomicU8::new(mode as u8),
            chunks: std::array::from_fn(|_| AtomicPtr::new(ptr::null_mut())),
            grow: Mutex::new(()),
        }
    }

    #[inline]
    pub fn mode(&self) -> MarkMode {
        if self.mode.load(Ordering::Relaxed) == MarkMode::Clock as u8 {
            MarkMode::Clock
        } else {
            MarkMode::LogCounter
        }
    }

    /// The mark of `row`, if its chunk exists (a row committed since marks were allocated).
    #[inline]
    pub fn get(&self, row: u64) -> Option<&AtomicU8> {
        let (chunk, offset) = locate(row);
        let base = self.chunks.get(chunk)?.load(Ordering::Acquire);
        if base.is_null() {
            return None;
        }
        // SAFETY: a published chunk holds `chunk_len(chunk)` initialized marks until the
        // marks are dropped (with their table), and `offset < chunk_len(chunk)`.
        Some(unsafe { &*base.add(offset) })
    }

    /// The mark of `row`, allocating its chunk (writers only).
    fn get_or_grow(&self, row: u64) -> &AtomicU8 {
        if let Some(mark) = self.get(row) {
            return mark;
        }
        let (chunk, _) = locate(row);
        let _grow = self.grow.lock().unwrap_or_else(|e| e.into_inner());
        assert!(
            chunk < self.chunks.len(),
            "row ids stay below the slot limit"
        );
        if self.chunks[chunk].load(Ordering::Acquire).is_null() {
            let marks: Box<[AtomicU8]> = (0..chunk_len(chunk)).map(|_| AtomicU8::new(0)).collect();
            let raw = Box::into_raw(marks) as *mut AtomicU8;
            self.chunks[chunk].store(raw, Ordering::Release);
        }
        self.get(row).expect("chunk just published")
    }

    /// A row just committed: its first mark.
    pub(crate) fn mark_new(&self, row: u64) {
        let initial = match self.mode() {
            // A new row's bit is clear: a row never read since its write goes first.
            MarkMode::Clock => 0,
            MarkMode::LogCounter => LOG_COUNTER_INITIAL,
        };
        self.get_or_grow(row).store(initial, Ordering::Relaxed);
    }

    /// A read of `row`: sets the bit / maybe raises the counter, writing only on a change.
    #[inline]
    fn touch(&self, row: u64, random: u32) {
        let Some(mark) = self.get(row) else { return };
        let value = mark.load(Ordering::Relaxed);
        match self.mode() {
            MarkMode::Clock => {
                if value == 0 {
                    mark.store(1, Ordering::Relaxed);
                }
            }
            MarkMode::LogCounter => {
                if value == u8::MAX {
                    return;
                }
                let base = u32::from(value.saturating_sub(LOG_COUNTER_INITIAL));
                // Probability 1 / (base * LOG_FACTOR + 1), from a 32-bit random number.
                if u64::from(random) * u64::from(base * LOG_FACTOR + 1) <= u64::from(u32::MAX) {
                    mark.store(value + 1, Ordering::Relaxed);
                }
            }
        }
    }
}

impl Drop for AccessMarks {
    fn drop(&mut self) {
        for (chunk, slot) in self.chunks.iter().enumerate() {
            let base = slot.load(Ordering::Acquire);
            if !base.is_null() {
                let len = chunk_len(chunk);
                // SAFETY: `base` came from `Box::into_raw` of a boxed slice of `len` marks,
                // and nothing can read it any more (we are dropped).
                drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(base, len)) });
            }
        }
    }
}

/// What a table keeps for budgets and eviction.
pub struct TableBudget {
    /// Bytes of the committed rows (see the module comment).
    live_bytes: AtomicU64,
    /// The table's budget in bytes (`u64::MAX`: none), set by the engine from its options.
    limit: AtomicU64,
    /// Rows the engine evicted (deleted to make room).
    evicted: AtomicU64,
    /// Where the eviction hand stands (a row id).
    hand: AtomicU64,
    marks: OnceLock<AccessMarks>,
    /// Whether reads mark rows (false also after the policy stops evicting by use).
    marking: AtomicBool,
    hits: ShardedCounter,
    misses: ShardedCounter,
    /// Held by the engine from a budget check through the commit, so two writers of a
    /// budgeted table cannot both fill the room one check saw.
    commit: Mutex<()>,
}

impl Default for TableBudget {
    fn default() -> Self {
        TableBudget {
            live_bytes: AtomicU64::new(0),
            limit: AtomicU64::new(u64::MAX),
            evicted: AtomicU64::new(0),
            hand: AtomicU64::new(0),
            marks: OnceLock::new(),
            marking: AtomicBool::new(false),
            hits: ShardedCounter::default(),
            misses: ShardedCounter::default(),
            commit: Mutex::new(()),
        }
    }
}

impl TableBudget {
    /// Bytes the committed rows hold.
    pub fn live_bytes(&self) -> u64 {
        self.live_bytes.load(Ordering::Relaxed)
    }

    /// The table's budget, if it has one.
    #[inline]
    pub fn limit(&self) -> Option<u64> {
        let limit = self.limit.load(Ordering::Relaxed);
        (limit != u64::MAX).then_some(limit)
    }

    /// Sets (or removes) the budget and how reads mark rows (see `set_marking`).
    pub fn configure(&self, limit: Option<u64>, marking: Option<MarkMode>) {
        self.limit
            .store(limit.unwrap_or(u64::MAX), Ordering::Relaxed);
        self.set_marking(marking);
    }

    /// Applies a commit's net change (under the commit lock).
    pub(crate) fn apply_delta(&self, delta: i64) {
        if delta >= 0 {
            self.live_bytes.fetch_add(delta as u64, Ordering::Relaxed);
        } else {
            let before = self
                .live_bytes
                .fetch_sub(delta.unsigned_abs(), Ordering::Relaxed);
            debug_assert!(before >= delta.unsigned_abs(), "table bytes went negative");
        }
    }

    /// Starts (or, with `None`, stops) marking rows on reads, in `mode`.
    pub fn set_marking(&self, mode: Option<MarkMode>) {
        if let Some(mode) = mode {
            let marks = self.marks.get_or_init(|| AccessMarks::new(mode));
            marks.mode.store(mode as u8, Ordering::Relaxed);
        }
        self.marking.store(mode.is_some(), Ordering::Relaxed);
    }

    /// The marks, when reads mark rows.
    #[inline]
    pub fn marks(&self) -> Option<&AccessMarks> {
        if self.marking.load(Ordering::Relaxed) {
            self.marks.get()
        } else {
            None
        }
    }

    /// A key read that found `row` (`Some`) or nothing (`None`).
    #[inline]
    pub(crate) fn note_key_read(&self, row: Option<u64>) {
        let Some(marks) = self.marks() else { return };
        let (shard, random) = thread_shard_and_random();
        match row {
            Some(row) => {
                self.hits.add_on_shard(shard, 1);
                marks.touch(row, random);
            }
            None => self.misses.add_on_shard(shard, 1),
        }
    }

    /// A read of `row` by its id (scan or secondary index): marks it, counts nothing.
    #[inline]
    pub(crate) fn note_row_read(&self, row: u64) {
        let Some(marks) = self.marks() else { return };
        let (_, random) = thread_shard_and_random();
        marks.touch(row, random);
    }

    pub fn hits(&self) -> u64 {
        self.hits.total()
    }

    pub fn misses(&self) -> u64 {
        self.misses.total()
    }

    pub fn evicted(&self) -> u64 {
        self.evicted.load(Ordering::Relaxed)
    }

    pub fn count_evicted(&self, rows: u64) {
        self.evicted.fetch_add(rows, Ordering::Relaxed);
    }

    /// The eviction hand (a position to resume from, `Table::row_at_position`).
    pub fn hand(&self) -> u64 {
        self.hand.load(Ordering::Relaxed)
    }

    pub fn set_hand(&self, row: u64) {
        self.hand.store(row, Ordering::Relaxed);
    }

    /// The lock the engine holds from its budget check through the commit.
    pub fn commit_lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.commit.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_grow_across_chunks_and_clock_bits_set_once() {
        let marks = AccessMarks::new(MarkMode::Clock);
        assert!(marks.get(5000).is_none());
        marks.mark_new(5000);
        let mark = marks.get(5000).unwrap();
        assert_eq!(mark.load(Ordering::Relaxed), 0);
        marks.touch(5000, 7);
        assert_eq!(mark.load(Ordering::Relaxed), 1);
        marks.touch(1 << 20, 7); // no chunk: nothing happens
    }

    #[test]
    fn log_counter_climbs_ever_more_slowly() {
        let marks = AccessMarks::new(MarkMode::LogCounter);
        marks.mark_new(3);
        for _ in 0..100_000 {
            let (_, random) = thread_shard_and_random();
            marks.touch(3, random);
        }
        let value = marks.get(3).unwrap().load(Ordering::Relaxed);
        // Redis's table for factor 10: 1k hits reach ~18, 100k ~142, 1M 255.
        assert!((60..=255).contains(&value), "{value}");
    }

    #[test]
    fn hits_and_misses_count_only_while_marking() {
        let budget = TableBudget::default();
        budget.note_key_read(None);
        assert_eq!(budget.misses(), 0);
        budget.set_marking(Some(MarkMode::Clock));
        budget.note_key_read(None);
        budget.note_key_read(Some(1));
        assert_eq!((budget.hits(), budget.misses()), (1, 1));
        budget.apply_delta(100);
        budget.apply_delta(-40);
        assert_eq!(budget.live_bytes(), 60);
    }
}
