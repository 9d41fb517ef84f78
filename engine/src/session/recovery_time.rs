//! The recovery-time model behind `Options::recovery_target`: the rates this process measured
//! (snapshot load and WAL replay at open, snapshot writing at every checkpoint, the open's
//! fixed cost), the estimate of how long reopening would take now, and the WAL size at which
//! that estimate reaches the target. The commit path reads only the resulting byte threshold
//! (`Durable::checkpoint_at`), so the model costs commits nothing.
//!
//! Estimate (what an open does: load the newest snapshot, replay the WAL after it, then write
//! a snapshot of everything in its closing checkpoint):
//!
//! `fixed + S / load + W / replay + (S + W) / write`
//!
//! with `S` the newest snapshot's bytes and `W` the WAL bytes since it (`S + W` bounds the
//! closing snapshot's size: every logged byte adds at most about one snapshot byte).

use std::sync::atomic::Ordering;
use std::sync::MutexGuard;
use std::time::Duration;

use crate::durability::{CheckpointReport, Durable};
use crate::error::Result;
use crate::limits::{RECOVERY_TARGET_MAX, RECOVERY_TARGET_MIN};
use crate::recovery::RecoveryReport;

/// Snapshot load rate assumed until an open measures one, in bytes per second.
pub const SNAPSHOT_LOAD_BYTES_PER_S_DEFAULT: f64 = 40e6;
/// WAL replay rate assumed until an open measures one, in bytes per second.
pub const WAL_REPLAY_BYTES_PER_S_DEFAULT: f64 = 25e6;
/// Snapshot write rate (encode, write, fsync) assumed until a checkpoint measures one.
pub const SNAPSHOT_WRITE_BYTES_PER_S_DEFAULT: f64 = 60e6;
/// Fixed cost of an open (lock, listing, new segment, reserve, fsyncs) assumed until one
/// is measured.
pub const OPEN_FIXED_DEFAULT: Duration = Duration::from_millis(20);

/// Least bytes a measurement must cover to replace a rate (smaller ones are mostly fixed
/// costs and would understate it).
const SAMPLE_BYTES_MIN: u64 = 1 << 20;
/// Least WAL between two checkpoints the target may ask for: a checkpoint rewrites the
/// whole snapshot, so when even an empty WAL would miss the target (a snapshot too large to
/// load in time) checkpoints still come at most once per `snapshot / 8` bytes of log.
const SNAPSHOT_SHARE_MIN_DIVISOR: u64 = 8;
/// And never less than this much log between two checkpoints.
const THRESHOLD_BYTES_MIN: u64 = 64 << 10;

/// A throughput in bytes per second, either measured here or a default.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rate {
    pub(crate) bytes_per_s: f64,
    pub(crate) measured: bool,
}

impl Rate {
    fn default_of(bytes_per_s: f64) -> Rate {
        Rate {
            bytes_per_s,
            measured: false,
        }
    }

    /// Takes a measurement of `bytes` in `took` (ignored when too small to mean anything);
    /// a second one onward is averaged with the rate so far, to damp a noisy machine.
    fn observe(&mut self, bytes: u64, took: Duration) {
        if bytes < SAMPLE_BYTES_MIN || took.is_zero() {
            return;
        }
        let sample = bytes as f64 / took.as_secs_f64();
        self.bytes_per_s = if self.measured {
            (self.bytes_per_s + sample) / 2.0
        } else {
            sample
        };
        self.measured = true;
    }

    fn time_for(&self, bytes: u64) -> f64 {
        debug_assert!(self.bytes_per_s > 0.0);
        bytes as f64 / self.bytes_per_s
    }
}

/// What one open measured (from its `RecoveryReport`).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct OpenTimings {
    pub(crate) snapshot_bytes: u64,
    pub(crate) snapshot_load: Duration,
    pub(crate) wal_bytes: u64,
    pub(crate) wal_replay: Duration,
    /// The whole open, its closing checkpoint included.
    pub(crate) total: Duration,
    /// The closing checkpoint (zero when there was none).
    pub(crate) checkpoint: Duration,
}

/// The rates and sizes the estimate is made of.
#[derive(Debug, Clone)]
pub(crate) struct RecoveryModel {
    pub(crate) target: Option<Duration>,
    /// `Options::checkpoint_bytes`: a threshold of its own, whichever comes first.
    checkpoint_bytes: u64,
    pub(crate) snapshot_load: Rate,
    pub(crate) wal_replay: Rate,
    pub(crate) snapshot_write: Rate,
    open_fixed: Duration,
    /// Size of the newest snapshot, in bytes.
    pub(crate) snapshot_bytes: u64,
}

impl RecoveryModel {
    pub(crate) fn new(target: Option<Duration>, checkpoint_bytes: u64) -> RecoveryModel {
        RecoveryModel {
            target,
            checkpoint_bytes,
            snapshot_load: Rate::default_of(SNAPSHOT_LOAD_BYTES_PER_S_DEFAULT),
            wal_replay: Rate::default_of(WAL_REPLAY_BYTES_PER_S_DEFAULT),
            snapshot_write: Rate::default_of(SNAPSHOT_WRITE_BYTES_PER_S_DEFAULT),
            open_fixed: OPEN_FIXED_DEFAULT,
            snapshot_bytes: 0,
        }
    }

    /// Takes in what an open measured. The fixed cost is what the open took beyond loading,
    /// replaying and its checkpoint.
    pub(crate) fn observe_open(&mut self, open: &OpenTimings) {
        self.snapshot_load
            .observe(open.snapshot_bytes, open.snapshot_load);
        self.wal_replay.observe(open.wal_bytes, open.wal_replay);
        if !open.checkpoint.is_zero() {
            let variable = open.snapshot_load + open.wal_replay + open.checkpoint;
            self.open_fixed = open.total.saturating_sub(variable);
        }
    }

    /// Takes in a checkpoint that wrote a snapshot of `bytes` in `took`.
    pub(crate) fn observe_checkpoint(&mut self, bytes: u64, took: Duration) {
        self.snapshot_bytes = bytes;
        self.snapshot_write.observe(bytes, took);
    }

    /// How long an open would take with `wal_bytes` of log after the newest snapshot.
    pub(crate) fn estimate(&self, wal_bytes: u64) -> Duration {
        let snapshot = self.snapshot_bytes;
        let seconds = self.open_fixed.as_secs_f64()
            + self.snapshot_load.time_for(snapshot)
            + self.wal_replay.time_for(wal_bytes)
            + self
                .snapshot_write
                .time_for(snapshot.saturating_add(wal_bytes));
        Duration::try_from_secs_f64(seconds).unwrap_or(Duration::MAX)
    }

    /// The WAL bytes since the newest snapshot at which a commit starts a checkpoint:
    /// `checkpoint_bytes`, or sooner where the estimate reaches the target.
    pub(crate) fn checkpoint_threshold(&self) -> u64 {
        let Some(target) = self.target else {
            return self.checkpoint_bytes;
        };
        let spare = target.as_secs_f64() - self.estimate(0).as_secs_f64();
        let per_wal_byte =
            1.0 / self.wal_replay.bytes_per_s + 1.0 / self.snapshot_write.bytes_per_s;
        let by_target = if spare > 0.0 {
            // Saturating float-to-int conversion.
            (spare / per_wal_byte) as u64
        } else {
            0
        };
        let floor = (self.snapshot_bytes / SNAPSHOT_SHARE_MIN_DIVISOR).max(THRESHOLD_BYTES_MIN);
        by_target.max(floor).min(self.checkpoint_bytes)
    }
}

/// A duration in milliseconds, fractional.
pub(crate) fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Checks `Options::recovery_target` (at open).
pub(crate) fn check_target(target: Option<Duration>) -> Result<Option<Duration>> {
    match target {
        Some(target) if !(RECOVERY_TARGET_MIN..=RECOVERY_TARGET_MAX).contains(&target) => {
            Err(crate::err!(
                InvalidInput,
                "Options::recovery_target must be between {} ms and {} s, not {:.3} ms",
                RECOVERY_TARGET_MIN.as_millis(),
                RECOVERY_TARGET_MAX.as_secs(),
                millis(target)
            ))
        }
        _ => Ok(target),
    }
}

impl Durable {
    pub(crate) fn model(&self) -> MutexGuard<'_, RecoveryModel> {
        self.model.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Publishes the model's threshold to the commit path.
    fn refresh_threshold(&self, model: &RecoveryModel) {
        self.checkpoint_at
            .store(model.checkpoint_threshold(), Ordering::Relaxed);
    }

    /// Takes in a checkpoint's snapshot size and write time.
    pub(crate) fn observe_checkpoint(&self, report: &CheckpointReport) {
        let mut model = self.model();
        model.observe_checkpoint(report.bytes, report.duration);
        self.refresh_threshold(&model);
    }

    /// Takes in what the open measured (`checkpoint`: its closing checkpoint's time).
    pub(crate) fn observe_open(&self, report: &RecoveryReport, checkpoint: Duration) {
        let mut model = self.model();
        model.observe_open(&OpenTimings {
            snapshot_bytes: report.snapshot_bytes,
            snapshot_load: report.snapshot_load,
            wal_bytes: report.wal_bytes,
            wal_replay: report.wal_replay,
            total: report.duration,
            checkpoint,
        });
        self.refresh_threshold(&model);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1_000_000;

    fn measured(mb_per_s: f64) -> Rate {
        Rate {
            bytes_per_s: mb_per_s * 1e6,
            measured: true,
        }
    }

    fn model(target_ms: Option<u64>) -> RecoveryModel {
        let mut model = RecoveryModel::new(target_ms.map(Duration::from_millis), 1 << 40);
        model.snapshot_load = measured(100.0);
        model.wal_replay = measured(50.0);
        model.snapshot_write = measured(200.0);
        model.open_fixed = Duration::from_millis(10);
        model
    }

    #[test]
    fn the_estimate_adds_load_replay_and_the_closing_snapshot() {
        let mut model = model(None);
        model.snapshot_bytes = 100 * MB;
        // 10 ms + 100 MB / 100 + 50 MB / 50 + 150 MB / 200 = 10 + 1000 + 1000 + 750 ms.
        let estimate = model.estimate(50 * MB);
        assert_eq!(estimate.as_millis(), 2760);
    }

    #[test]
    fn the_threshold_puts_the_estimate_at_the_target() {
        let mut model = model(Some(3000));
        model.snapshot_bytes = 100 * MB;
        let threshold = model.checkpoint_threshold();
        let at = model.estimate(threshold).as_secs_f64();
        assert!(
            (at - 3.0).abs() < 0.001,
            "estimate at the threshold: {at} s"
        );
        assert!(model.estimate(threshold + MB) > Duration::from_secs(3));
    }

    #[test]
    fn without_a_target_the_threshold_is_checkpoint_bytes() {
        let mut model = model(None);
        model.checkpoint_bytes = 5 * MB;
        assert_eq!(model.checkpoint_threshold(), 5 * MB);
        model.target = Some(Duration::from_secs(3600));
        assert_eq!(
            model.checkpoint_threshold(),
            5 * MB,
            "whichever comes first"
        );
    }

    #[test]
    fn an_unreachable_target_still_spaces_checkpoints() {
        let mut model = model(Some(100));
        model.snapshot_bytes = 800 * MB;
        assert_eq!(model.checkpoint_threshold(), 100 * MB);
        model.snapshot_bytes = 0;
        model.target = Some(Duration::from_millis(1));
        assert_eq!(model.checkpoint_threshold(), THRESHOLD_BYTES_MIN);
    }

    #[test]
    fn small_samples_keep_the_defaults_and_later_ones_are_averaged() {
        let mut model = RecoveryModel::new(None, 1 << 30);
        model.observe_open(&OpenTimings {
            snapshot_bytes: 1000,
            snapshot_load: Duration::from_millis(5),
            ..OpenTimings::default()
        });
        assert!(!model.snapshot_load.measured);
        model.observe_checkpoint(10 * MB, Duration::from_millis(100));
        assert_eq!(model.snapshot_write, measured(100.0));
        model.observe_checkpoint(10 * MB, Duration::from_millis(50));
        assert_eq!(model.snapshot_write, measured(150.0));
        assert_eq!(model.snapshot_bytes, 10 * MB);
    }

    #[test]
    fn the_fixed_cost_is_what_the_open_spent_elsewhere() {
        let mut model = RecoveryModel::new(None, 1 << 30);
        model.observe_open(&OpenTimings {
            snapshot_bytes: 4 * MB,
            snapshot_load: Duration::from_millis(40),
            wal_bytes: 2 * MB,
            wal_replay: Duration::from_millis(40),
            total: Duration::from_millis(150),
            checkpoint: Duration::from_millis(60),
        });
        assert_eq!(model.snapshot_load, measured(100.0));
        assert_eq!(model.wal_replay, measured(50.0));
        assert_eq!(model.open_fixed, Duration::from_millis(10));
    }
}
