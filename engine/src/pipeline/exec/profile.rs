//! EXPLAIN ANALYZE's counters: while a `Profiling` guard is alive on a thread, every
//! operator `build` makes on that thread is wrapped in a `Profiled` operator that counts the
//! rows it returns, how many times it ran to its end (loops: a correlated subquery's plan
//! runs once per outer row) and the time spent inside its `next` calls (children
//! included), keyed by the address of its plan node. The plan display then annotates each
//! node's line (`Node::write_tree` asks `note_for`).
//!
//! EXPLAIN ANALYZE runs the paths a plain run takes: a node whose rows a path makes without
//! an operator of its own (a fused read, whose parts below its first line are counted
//! under their own addresses, `note_at`; a pushed filter, join or index lookup; the scan
//! an aggregate reads in place) has them
//! counted by that path with a `Tally` (its time includes the consumer's work on each row,
//! which the path interleaves). The right side of an index join is probed, not scanned:
//! its line shows no count.
//!
//! Nothing here costs anything when no EXPLAIN ANALYZE runs: `build` and `Tally::of` check
//! one thread-local flag.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::error::Result;
use crate::plan::{Join, Node};

use super::{ExecContext, Operator, Row};

/// What one plan node did, summed over every operator built for it.
#[derive(Debug, Default, Clone, Copy)]
pub struct NodeStats {
    pub rows: u64,
    pub loops: u64,
    pub time: Duration,
    /// Streamed rows a hash join's runtime bloom filter dropped (`exec/join/bloom.rs`),
    /// kept under the join's own address.
    pub bloom_dropped: Option<u64>,
}

thread_local! {
    static ACTIVE: Cell<bool> = const { Cell::new(false) };
    static STATS: RefCell<HashMap<usize, NodeStats>> = RefCell::new(HashMap::new());
    /// The stats of the last profiled run, read by the plan display.
    static NOTES: RefCell<Option<HashMap<usize, NodeStats>>> = const { RefCell::new(None) };
}

/// Profiles the operators built on this thread until it is dropped.
pub struct Profiling {
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Profiling {
    /// Starts a run; an error when one is running on this thread already (a user function
    /// running EXPLAIN ANALYZE inside one): the counts would mix.
    pub fn start() -> Result<Profiling> {
        if ACTIVE.get() {
            return Err(crate::error::unsupported(
                "EXPLAIN ANALYZE inside another EXPLAIN ANALYZE on this thread",
            ));
        }
        STATS.with_borrow_mut(HashMap::clear);
        ACTIVE.set(true);
        Ok(Profiling {
            _not_send: std::marker::PhantomData,
        })
    }

    /// Ends the run and lends its stats to `f` (e.g. to render the plan with them).
    pub fn finish<R>(self, f: impl FnOnce() -> R) -> R {
        ACTIVE.set(false);
        let stats = STATS.with_borrow_mut(std::mem::take);
        NOTES.set(Some(stats));
        let result = f();
        NOTES.set(None);
        result
    }
}

impl Drop for Profiling {
    fn drop(&mut self) {
        ACTIVE.set(false);
    }
}

/// Whether operators built now are to be profiled.
#[inline]
pub fn active() -> bool {
    ACTIVE.get()
}

/// The annotation of `node`'s line while a finished run's stats are lent out.
pub fn note_for(node: &Node) -> Option<String> {
    let join = match node {
        Node::Join(join) => Some(join.as_ref() as *const Join as usize),
        _ => None,
    };
    note_at(node as *const Node as usize, join)
}

/// The annotation of a line whose stats are counted under `address` (a node's, or a part's
/// of a node with parts on lines of their own: `plan::FusedRead::counted_parts`), with the
/// rows the bloom filter of the join at `join` dropped.
pub fn note_at(address: usize, join: Option<usize>) -> Option<String> {
    NOTES.with_borrow(|notes| {
        let notes = notes.as_ref()?;
        let stats = notes.get(&address)?;
        let dropped = join.and_then(|join| notes.get(&join)?.bloom_dropped);
        let bloom = dropped.map_or(String::new(), |rows| format!(" bloom dropped={rows}"));
        Some(format!(
            " (actual rows={} loops={} time={:.3} ms{bloom})",
            stats.rows,
            stats.loops,
            stats.time.as_secs_f64() * 1000.0
        ))
    })
}

/// Adds `dropped` to the rows `join`'s runtime bloom filter dropped in this run.
pub fn count_bloom_dropped(join: &Join, dropped: u64) {
    if active() {
        STATS.with_borrow_mut(|stats| {
            let total = stats.entry(join as *const Join as usize).or_default();
            *total.bloom_dropped.get_or_insert(0) += dropped;
        });
    }
}

/// Counts the rows a path makes for one plan node without an operator of its own: added to
/// the run's stats (one loop) when dropped. Inert when no EXPLAIN ANALYZE runs.
pub struct Tally {
    counting: Option<(usize, u64, Instant)>,
}

impl Tally {
    #[inline]
    pub fn of(node: &Node) -> Tally {
        Tally::since(node, Instant::now())
    }

    /// A tally whose time started at `started` (a fused path counts its nodes at its end).
    #[inline]
    pub fn since(node: &Node, started: Instant) -> Tally {
        Tally::at(node as *const Node as usize, started)
    }

    /// A tally of the stats counted under `address` (`note_at`).
    #[inline]
    pub fn at(address: usize, started: Instant) -> Tally {
        Tally {
            counting: active().then_some((address, 0, started)),
        }
    }

    /// Counts one row.
    #[inline]
    pub fn row(&mut self) {
        self.rows(1);
    }

    /// Drops the count: the path did not run after all (another one counts the node).
    pub fn forget(&mut self) {
        self.counting = None;
    }

    /// Counts `rows` rows.
    #[inline]
    pub fn rows(&mut self, rows: u64) {
        if let Some((_, counted, _)) = &mut self.counting {
            *counted += rows;
        }
    }
}

impl Drop for Tally {
    fn drop(&mut self) {
        if let Some((node, rows, started)) = self.counting.take() {
            STATS.with_borrow_mut(|stats| {
                let total = stats.entry(node).or_default();
                total.rows += rows;
                total.loops += 1;
                total.time += started.elapsed();
            });
        }
    }
}

/// An operator counted for EXPLAIN ANALYZE.
pub struct Profiled<'n> {
    inner: Box<dyn Operator + 'n>,
    node: usize,
    stats: NodeStats,
    /// Whether the current loop (since the build or the last rewind) was asked for a row.
    started: bool,
    /// Whether the current loop ran to its end (counted then).
    finished: bool,
}

impl<'n> Profiled<'n> {
    pub fn wrap(node: &'n Node, inner: Box<dyn Operator + 'n>) -> Box<dyn Operator + 'n> {
        Box::new(Profiled {
            inner,
            node: node as *const Node as usize,
            stats: NodeStats::default(),
            started: false,
            finished: false,
        })
    }

    /// Counts the current loop if it ran but stopped before its end (a LIMIT above it, a
    /// scalar subquery reading its first row): it still ran once.
    fn close_stopped_loop(&mut self) {
        if self.started && !self.finished {
            self.stats.loops += 1;
        }
        self.started = false;
        self.finished = false;
    }
}

impl Operator for Profiled<'_> {
    fn next(&mut self, context: &ExecContext<'_>) -> Result<Option<Row>> {
        self.started = true;
        let started = Instant::now();
        let row = self.inner.next(context);
        self.stats.time += started.elapsed();
        match &row {
            Ok(Some(_)) => self.stats.rows += 1,
            Ok(None) if !self.finished => {
                self.finished = true;
                self.stats.loops += 1;
            }
            _ => {}
        }
        row
    }

    fn reserve_extra_width(&mut self, extra: usize) {
        self.inner.reserve_extra_width(extra);
    }

    fn recycle(&mut self, row: Row) {
        self.inner.recycle(row);
    }

    fn rewind(&mut self) -> bool {
        // Each run to the end counts as a loop, as when the plan was built anew.
        let rewound = self.inner.rewind();
        if rewound {
            self.close_stopped_loop();
        }
        rewound
    }
}

impl Drop for Profiled<'_> {
    fn drop(&mut self) {
        self.close_stopped_loop();
        STATS.with_borrow_mut(|stats| {
            let total = stats.entry(self.node).or_default();
            total.rows += self.stats.rows;
            total.loops += self.stats.loops;
            total.time += self.stats.time;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_noted_outside_a_finished_run() {
        let node = Node::Values { rows: Vec::new() };
        assert!(note_for(&node).is_none());
        let profiling = Profiling::start().unwrap();
        assert!(active());
        assert!(
            Profiling::start().is_err(),
            "a second run on this thread is refused"
        );
        STATS.with_borrow_mut(|stats| {
            stats.insert(
                &node as *const Node as usize,
                NodeStats {
                    rows: 3,
                    loops: 1,
                    time: Duration::ZERO,
                    bloom_dropped: None,
                },
            );
        });
        let note = profiling.finish(|| note_for(&node));
        assert_eq!(
            note.as_deref(),
            Some(" (actual rows=3 loops=1 time=0.000 ms)")
        );
        assert!(!active());
        assert!(note_for(&node).is_none());
    }
}
