//! Waiting for the machine to go quiet before a timed turn. An engine may leave work running
//! after its turn: Stoolap's file database drops its volume writers on detached threads and
//! spawns compaction threads, SQLite's and the kernel's writeback follows W5's fsyncs. The
//! turn after it (always the same engine, since the order of turns is fixed) would share the
//! two cores with that leftover work. Before each timed turn the harness samples the
//! machine-wide CPU counters of `/proc/stat` in short windows and starts the turn once a
//! window shows the cores (nearly) idle, or after `SETTLE_MAX` at the latest (a shared machine
//! may never be idle). The wait is outside every timed region.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// One sampling window. `/proc/stat` counts in ticks of 10 ms per core, so a 200 ms window
/// on 2 cores holds 40 ticks: enough resolution to tell a busy thread (20) from none.
const WINDOW: Duration = Duration::from_millis(200);

/// The share of the machine's CPU time that may be busy in a quiet window: a tenth (on two
/// cores, one thread busy a fifth of the time).
const QUIET_BUSY_SHARE: f64 = 0.10;

/// The longest wait before a turn: past it the turn starts anyway.
pub const SETTLE_MAX: Duration = Duration::from_secs(3);

/// Waits that ended quiet, waits that hit `SETTLE_MAX`, and waits that could not read
/// `/proc/stat` (reported after the run).
static QUIET_WAITS: AtomicUsize = AtomicUsize::new(0);
static TIMED_OUT_WAITS: AtomicUsize = AtomicUsize::new(0);
static UNREADABLE_WAITS: AtomicUsize = AtomicUsize::new(0);

/// How the waits so far ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitCounts {
    /// The machine went quiet.
    pub quiet: usize,
    /// Gave up at `SETTLE_MAX`.
    pub timed_out: usize,
    /// `/proc/stat` could not be read (not Linux): the turn started at once.
    pub unreadable: usize,
}

pub fn wait_counts() -> WaitCounts {
    WaitCounts {
        quiet: QUIET_WAITS.load(Ordering::Relaxed),
        timed_out: TIMED_OUT_WAITS.load(Ordering::Relaxed),
        unreadable: UNREADABLE_WAITS.load(Ordering::Relaxed),
    }
}

/// Machine-wide CPU ticks since boot: busy and total.
#[derive(Debug, Clone, Copy, PartialEq)]
struct CpuTicks {
    busy: u64,
    total: u64,
}

/// Parses the aggregate `cpu` line of `/proc/stat`: user nice system idle iowait irq softirq
/// steal ... Idle and iowait count as idle (a core waiting on I/O is free to run a thread).
fn parse_cpu_line(stat: &str) -> Option<CpuTicks> {
    let line = stat.lines().find(|line| line.starts_with("cpu "))?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|field| field.parse().ok())
        .collect::<Option<_>>()?;
    if fields.len() < 5 {
        return None;
    }
    let idle = fields[3] + fields[4];
    let total: u64 = fields.iter().sum();
    Some(CpuTicks {
        busy: total - idle,
        total,
    })
}

fn read_cpu_ticks() -> Option<CpuTicks> {
    parse_cpu_line(&std::fs::read_to_string("/proc/stat").ok()?)
}

/// Whether the machine was quiet between two readings.
fn quiet_between(before: CpuTicks, after: CpuTicks) -> bool {
    let total = after.total.saturating_sub(before.total);
    let busy = after.busy.saturating_sub(before.busy);
    total > 0 && (busy as f64) <= QUIET_BUSY_SHARE * total as f64
}

/// Waits until the machine is quiet (see the module comment), at most `SETTLE_MAX`. Returns
/// whether it got quiet; without `/proc/stat` (not Linux) it returns at once with `false`.
/// Every wait is counted by how it ended (`wait_counts`).
pub fn settle() -> bool {
    let started = Instant::now();
    let unreadable = || {
        UNREADABLE_WAITS.fetch_add(1, Ordering::Relaxed);
        false
    };
    let Some(mut before) = read_cpu_ticks() else {
        return unreadable();
    };
    while started.elapsed() < SETTLE_MAX {
        std::thread::sleep(WINDOW);
        let Some(after) = read_cpu_ticks() else {
            return unreadable();
        };
        if quiet_between(before, after) {
            QUIET_WAITS.fetch_add(1, Ordering::Relaxed);
            return true;
        }
        before = after;
    }
    TIMED_OUT_WAITS.fetch_add(1, Ordering::Relaxed);
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAT: &str = "cpu  100 5 50 1000 20 3 2 0 0 0\ncpu0 50 2 25 500 10 1 1 0 0 0\nintr 1 2\n";

    #[test]
    fn the_aggregate_line_counts_idle_and_iowait_as_idle() {
        let ticks = parse_cpu_line(STAT).unwrap();
        assert_eq!(ticks.total, 100 + 5 + 50 + 1000 + 20 + 3 + 2);
        assert_eq!(ticks.busy, 100 + 5 + 50 + 3 + 2);
    }

    #[test]
    fn malformed_stat_gives_none() {
        assert_eq!(parse_cpu_line("cpu0 1 2 3 4 5\n"), None);
        assert_eq!(parse_cpu_line("cpu  1 2 x 4 5\n"), None);
        assert_eq!(parse_cpu_line("cpu  1 2 3\n"), None);
    }

    /// On the real counters the wait ends by its limit, quiet or not, and is counted.
    #[test]
    fn settle_returns_within_its_limit() {
        let before = wait_counts();
        let started = Instant::now();
        let quiet = settle();
        assert!(started.elapsed() < SETTLE_MAX + 2 * WINDOW);
        let after = wait_counts();
        let counted = (after.quiet - before.quiet)
            + (after.timed_out - before.timed_out)
            + (after.unreadable - before.unreadable);
        assert!(counted >= 1, "the wait was not counted");
        assert!(!quiet || after.quiet > before.quiet);
    }

    #[test]
    fn a_window_is_quiet_when_at_most_a_tenth_was_busy() {
        let before = CpuTicks {
            busy: 10,
            total: 100,
        };
        assert!(quiet_between(
            before,
            CpuTicks {
                busy: 14,
                total: 140
            }
        ));
        assert!(!quiet_between(
            before,
            CpuTicks {
                busy: 15,
                total: 140
            }
        ));
        assert!(
            !quiet_between(before, before),
            "an empty window proves nothing"
        );
    }
}
