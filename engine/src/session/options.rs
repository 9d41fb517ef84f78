//! `Options`: how a database is opened. A builder, so new knobs can be added without
//! breaking callers: the memory budget, the per-statement row cap, and for directory
//! databases the commit durability policy, the WAL size that triggers a checkpoint, the WAL
//! segment size, salvage and read-only opening.

pub use ember_storage::wal::SyncPolicy;

/// Default WAL size past which a commit triggers a checkpoint, in bytes.
pub const CHECKPOINT_BYTES_DEFAULT: u64 = 64 << 20;

/// Default background fsync interval of `PRAGMA synchronous = NORMAL`, in milliseconds.
pub const SYNC_INTERVAL_MS_DEFAULT: u64 = 100;

/// Default of [`Options::busy_timeout`](struct.Options.html#structfield.busy_timeout).
pub const BUSY_TIMEOUT_DEFAULT: std::time::Duration = std::time::Duration::from_secs(6);

/// Settings for opening a [`crate::Database`].
///
/// ```
/// let options = ember::Options::new().checkpoint_bytes(16 << 20);
/// let db = ember::Database::in_memory_with(options);
/// # let _ = db;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// When commits reach the disk (directory databases only). Default: `Always`.
    pub sync_policy: SyncPolicy,
    /// A commit that finds more WAL than this since the last checkpoint starts one.
    pub checkpoint_bytes: u64,
    /// The WAL starts a new segment file past this size.
    pub wal_segment_bytes: u64,
    /// Open a damaged database anyway, keeping the committed prefix before the damage.
    pub salvage: bool,
    /// Whether an open may start a new, empty database: `Some(true)` always (even in a
    /// directory whose snapshot and WAL are gone but whose other EmberDB files remain),
    /// `Some(false)` never (a directory without a database is `ErrorKind::NotFound`).
    /// `None` (the default): only in a directory that does not exist or holds no EmberDB
    /// file; one that does but holds no snapshot and no WAL segment is `Corruption`.
    pub create_if_missing: Option<bool>,
    /// Open a directory database without writing to it: no torn tail cut, no checkpoint;
    /// every write fails with `ErrorKind::ReadOnly`.
    pub read_only: bool,
    /// Most memory the database may hold for rows, versions, indexes and the intermediate
    /// results of running statements. `None` (the default): 80% of the memory the process
    /// may use (physical memory or its cgroup limit, whichever is smaller; see
    /// [`Options::memory_budget_bytes`]); `Some(0)`: no limit. A write or a statement that
    /// would pass it fails with `ErrorKind::MemoryBudget` and changes nothing.
    pub memory_budget_bytes: Option<u64>,
    /// The memory-pressure marks, percentages of `memory_budget_bytes`: (soft, evict).
    /// Default (80, 90); see [`Options::memory_marks`].
    pub memory_marks_percent: (u8, u8),
    /// Most rows one statement may materialize at one point (see
    /// [`crate::limits::STATEMENT_ROWS_MAX`], which also caps this value).
    pub statement_rows_max: usize,
    /// How long one statement may run before it stops with `ErrorKind::Interrupted` (each
    /// connection starts with it; `PRAGMA statement_timeout` changes it). `None`: no limit.
    pub statement_timeout: Option<std::time::Duration>,
    /// How long a writable open of a directory waits for its lock while another process
    /// holds it, before failing with `ErrorKind::Busy` (an open of a directory this process
    /// has open shares that database; a read-only open never waits). Default 6 s (a handle
    /// that was just dropped may hold the lock for a moment while its background pass
    /// ends); `Duration::ZERO` fails at once.
    pub busy_timeout: std::time::Duration,
    /// How many checkpoint snapshots a checkpoint keeps (the newest ones; at least 1, at
    /// most [`crate::limits::KEEP_SNAPSHOTS_MAX`]). Default 1. `PRAGMA keep_snapshots`
    /// changes it while the database is open.
    pub keep_snapshots: u64,
    /// Open a directory read-only as of the checkpoint snapshot of this commit number (a
    /// `commit` of `ember_snapshots`): that snapshot alone is loaded, no WAL is replayed.
    pub at_snapshot: Option<u64>,
    /// Most time between two sweeps that delete expired rows (tables with
    /// `WITH (expire_at = col)`): an expired row is invisible at once and deleted within
    /// about this delay (plus the collector's own pass interval). Default 1 s.
    pub ttl_sweep_interval: std::time::Duration,
    /// Where "now" comes from for row expiry: the system clock, or a
    /// [`WallClock::manual`](crate::WallClock::manual) clock a test moves.
    pub clock: crate::expr::WallClock,
    /// Longest a reopen after a crash should take (directory databases): a commit that
    /// finds the estimated recovery time past it starts a checkpoint, as `checkpoint_bytes`
    /// does (whichever comes first). `None` (the default): `checkpoint_bytes` alone.
    pub recovery_target: Option<std::time::Duration>,
    /// How long `FOR SYSTEM_TIME AS OF` reads reach back (the database default; `PRAGMA
    /// history_retention` changes it, a table's `history_retention` option may ask for
    /// more). Default zero: no history is kept and nothing is paid for it.
    pub history_retention: std::time::Duration,
    /// The isolation level of each connection's transactions unless BEGIN names one
    /// (`PRAGMA isolation` changes it per connection). Default: `Isolation::Snapshot`.
    pub isolation: crate::Isolation,
}

/// Default of [`Options::ttl_sweep_interval`](struct.Options.html#structfield.ttl_sweep_interval).
pub const TTL_SWEEP_INTERVAL_DEFAULT: std::time::Duration = std::time::Duration::from_secs(1);

impl Default for Options {
    fn default() -> Options {
        Options {
            sync_policy: SyncPolicy::Always,
            checkpoint_bytes: CHECKPOINT_BYTES_DEFAULT,
            wal_segment_bytes: ember_storage::limits::WAL_SEGMENT_BYTES_DEFAULT,
            salvage: false,
            create_if_missing: None,
            read_only: false,
            memory_budget_bytes: None,
            memory_marks_percent: crate::pressure::MARKS_DEFAULT,
            statement_rows_max: crate::limits::STATEMENT_ROWS_MAX,
            statement_timeout: None,
            busy_timeout: BUSY_TIMEOUT_DEFAULT,
            keep_snapshots: 1,
            at_snapshot: None,
            ttl_sweep_interval: TTL_SWEEP_INTERVAL_DEFAULT,
            clock: crate::expr::WallClock::default(),
            recovery_target: None,
            history_retention: std::time::Duration::ZERO,
            isolation: crate::Isolation::Snapshot,
        }
    }
}

impl Options {
    /// The defaults: commits fsynced before they return (`SyncPolicy::Always`), automatic
    /// checkpoints at the default WAL size.
    ///
    /// ```
    /// let options = ember::Options::new();
    /// # let _ = options;
    /// ```
    pub fn new() -> Options {
        Options::default()
    }

    /// When commits reach the disk: `Always` (fsync before a commit returns, shared by
    /// concurrent committers), `IntervalMs(n)` (background fsync) or `Off`.
    pub fn sync_policy(mut self, policy: SyncPolicy) -> Options {
        self.sync_policy = policy;
        self
    }

    /// Checkpoint automatically once this many WAL bytes were written since the last one.
    pub fn checkpoint_bytes(mut self, bytes: u64) -> Options {
        self.checkpoint_bytes = bytes;
        self
    }

    /// Keeps the estimated time to reopen the database after a crash under `target`: the
    /// engine measures its own snapshot load, WAL replay and snapshot write rates and
    /// checkpoints once the WAL since the last checkpoint would take the estimate past the
    /// target (see docs/durability.md; `ember_durability` shows the estimate and the last
    /// real recovery). A target outside
    /// [`RECOVERY_TARGET_MIN`](crate::limits::RECOVERY_TARGET_MIN) ..=
    /// [`RECOVERY_TARGET_MAX`](crate::limits::RECOVERY_TARGET_MAX) fails the open with
    /// `ErrorKind::InvalidInput`.
    ///
    /// ```
    /// let options = ember::Options::new().recovery_target(std::time::Duration::from_secs(2));
    /// # let _ = options;
    /// ```
    pub fn recovery_target(mut self, target: std::time::Duration) -> Options {
        self.recovery_target = Some(target);
        self
    }

    /// Largest WAL segment file before the log moves on to the next one.
    pub fn wal_segment_bytes(mut self, bytes: u64) -> Options {
        self.wal_segment_bytes = bytes;
        self
    }

    /// Opens a database whose WAL or snapshot is damaged by keeping what precedes the damage
    /// (instead of failing with a `Corruption` error). What was dropped is listed in
    /// `RecoveryReport::salvaged` and `ember.log`; the damaged files are first copied into a
    /// `salvage-<time>` folder of the directory, so nothing recovery could not apply is lost.
    pub fn salvage(mut self, salvage: bool) -> Options {
        self.salvage = salvage;
        self
    }

    /// Whether opening a directory database may create a new, empty one (see
    /// [`Options::create_if_missing`](struct.Options.html#structfield.create_if_missing)):
    /// `true` also in a directory that held a database whose snapshot and WAL are gone,
    /// `false` never. Without it, a directory with no EmberDB file gets a new database and
    /// one whose data files are gone is refused with `ErrorKind::Corruption`.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("ember-doc-create-{}", std::process::id()));
    /// let options = ember::Options::new().create_if_missing(false);
    /// let Err(error) = ember::Database::open_with(&dir, options) else {
    ///     panic!("a missing directory was created");
    /// };
    /// assert_eq!(error.kind(), ember::ErrorKind::NotFound);
    /// ```
    pub fn create_if_missing(mut self, create: bool) -> Options {
        self.create_if_missing = Some(create);
        self
    }

    /// Sets how long an open waits for a directory locked by another handle or process
    /// (see [`Options::busy_timeout`](struct.Options.html#structfield.busy_timeout)).
    ///
    /// ```
    /// let options = ember::Options::new().busy_timeout(std::time::Duration::from_millis(250));
    /// # let _ = options;
    /// ```
    pub fn busy_timeout(mut self, timeout: std::time::Duration) -> Options {
        self.busy_timeout = timeout;
        self
    }

    /// Keeps the newest `n` checkpoint snapshots on disk instead of only the newest (see
    /// [`Options::keep_snapshots`](struct.Options.html#structfield.keep_snapshots)); the
    /// older ones can be opened with [`Options::at_snapshot`]. An `n` of 0 or past the
    /// limit fails the open with `ErrorKind::InvalidInput`.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("ember-doc-keep-{}", std::process::id()));
    /// let db = ember::Database::open_with(&dir, ember::Options::new().keep_snapshots(3)).unwrap();
    /// let conn = db.connect();
    /// conn.execute("CREATE TABLE t(a INT)", ()).unwrap();
    /// for i in 0..3 {
    ///     conn.execute("INSERT INTO t VALUES (?)", [i]).unwrap();
    ///     db.checkpoint().unwrap(); // one snapshot per commit number
    /// }
    /// let sql = "SELECT count(*) FROM ember_snapshots";
    /// let kept: i64 = conn.query_row(sql, (), |r| r.get(0)).unwrap();
    /// assert_eq!(kept, 3);
    /// # drop(conn); drop(db); std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn keep_snapshots(mut self, n: u64) -> Options {
        self.keep_snapshots = n;
        self
    }

    /// Opens a directory database as it was at the checkpoint snapshot of commit `commit`
    /// (the `commit` column of `ember_snapshots`), read-only: that snapshot is loaded and
    /// no WAL is replayed; every write fails with `ErrorKind::ReadOnly` naming the snapshot,
    /// and nothing in the directory is changed. No such snapshot is `ErrorKind::NotFound`
    /// listing the ones there are.
    ///
    /// ```
    /// use ember::{Database, Options};
    /// let dir = std::env::temp_dir().join(format!("ember-doc-at-{}", std::process::id()));
    /// let old = {
    ///     let db = Database::open_with(&dir, Options::new().keep_snapshots(2)).unwrap();
    ///     let conn = db.connect();
    ///     conn.execute_batch("CREATE TABLE t(a INT); INSERT INTO t VALUES (1)").unwrap();
    ///     let old = db.checkpoint().unwrap().ts;
    ///     conn.execute("INSERT INTO t VALUES (2)", ()).unwrap();
    ///     old
    /// };
    /// let db = Database::open_with(&dir, Options::new().at_snapshot(old)).unwrap();
    /// let conn = db.connect();
    /// let rows: i64 = conn.query_row("SELECT count(*) FROM t", (), |r| r.get(0)).unwrap();
    /// assert_eq!(rows, 1);
    /// let error = conn.execute("INSERT INTO t VALUES (3)", ()).unwrap_err();
    /// assert_eq!(error.kind(), ember::ErrorKind::ReadOnly);
    /// # drop(conn); drop(db); std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn at_snapshot(mut self, commit: u64) -> Options {
        self.at_snapshot = Some(commit);
        self
    }

    /// Sets the most time between two sweeps of expired rows (see
    /// [`Options::ttl_sweep_interval`](struct.Options.html#structfield.ttl_sweep_interval)).
    pub fn ttl_sweep_interval(mut self, interval: std::time::Duration) -> Options {
        self.ttl_sweep_interval = interval;
        self
    }

    /// Sets the clock row expiry reads (a manual one in tests).
    ///
    /// ```
    /// let clock = ember::WallClock::manual(1_000_000);
    /// let db = ember::Database::in_memory_with(ember::Options::new().clock(clock.clone()));
    /// # let _ = db;
    /// ```
    pub fn clock(mut self, clock: crate::expr::WallClock) -> Options {
        self.clock = clock;
        self
    }

    /// Sets the database's default history retention (see
    /// [`Options::history_retention`](struct.Options.html#structfield.history_retention)).
    pub fn history_retention(mut self, retention: std::time::Duration) -> Options {
        self.history_retention = retention;
        self
    }

    /// Opens a directory database for reading only: recovery writes nothing (a torn tail is
    /// skipped in memory, not cut; no checkpoint) and every write fails with
    /// `ErrorKind::ReadOnly`. A database whose disk cannot be written at open (full) is
    /// opened this way without asking, and `RecoveryReport::read_only` says why. It does not
    /// wait for a writer (another process, or a handle of this one) that holds the
    /// directory: it loads the state as of its open, retrying when a checkpoint of the
    /// writer removes files it was reading.
    pub fn read_only(mut self, read_only: bool) -> Options {
        self.read_only = read_only;
        self
    }

    /// Caps the memory held for rows, versions and indexes (slab pages, large payloads,
    /// version headers, index entries) and by running statements (sorts, hash tables, join
    /// build sides, materialized results) at `bytes`; 0 removes the cap. Without this call
    /// the cap is 80% of the memory the process may use (the smaller of physical memory and
    /// the cgroup limit; none where neither can be read), so one runaway statement fails
    /// with `ErrorKind::MemoryBudget` instead of the process being killed for memory.
    /// `SET max_memory` changes it later. A directory database applies it after recovery,
    /// so data already on disk always loads.
    ///
    /// ```
    /// let options = ember::Options::new().memory_budget_bytes(1 << 20);
    /// let db = ember::Database::in_memory_with(options);
    /// let conn = db.connect();
    /// conn.execute("CREATE TABLE t(x TEXT)", ()).unwrap();
    /// let error = (0..100_000)
    ///     .find_map(|i| conn.execute("INSERT INTO t VALUES (printf('%0100d', ?))", [i]).err())
    ///     .unwrap();
    /// assert_eq!(error.kind(), ember::ErrorKind::MemoryBudget);
    /// ```
    pub fn memory_budget_bytes(mut self, bytes: u64) -> Options {
        self.memory_budget_bytes = Some(bytes);
        self
    }

    /// The budget the database starts with: `memory_budget_bytes` when set (0 for none),
    /// else the default share of the process's memory.
    pub(crate) fn resolved_memory_budget(&self) -> Option<u64> {
        match self.memory_budget_bytes {
            None => crate::session::physical_memory::default_budget_bytes(),
            Some(0) => None,
            Some(bytes) => Some(bytes),
        }
    }

    /// Sets the memory-pressure marks, in percent of the budget: at `soft_percent` a commit
    /// wakes the collector (GC and compaction at once), at `evict_percent` commits delete
    /// rows of cache tables (tables with an evicting `on_full`) even below their own budgets.
    /// Values are clamped to 1..=100, and the soft mark to at most the evict mark.
    /// `PRAGMA memory_soft_mark` / `memory_evict_mark` change them later.
    pub fn memory_marks(mut self, soft_percent: u8, evict_percent: u8) -> Options {
        let evict = evict_percent.clamp(1, 100);
        self.memory_marks_percent = (soft_percent.clamp(1, evict), evict);
        self
    }

    /// Lowers the number of rows one statement may materialize at one point (a result set,
    /// a sort, groups, a join's build side, DML targets). Values above
    /// [`crate::limits::STATEMENT_ROWS_MAX`] are clamped to it.
    pub fn statement_rows_max(mut self, rows: usize) -> Options {
        self.statement_rows_max = rows.min(crate::limits::STATEMENT_ROWS_MAX);
        self
    }

    /// Stops a statement that runs longer than `timeout` with `ErrorKind::Interrupted`, its
    /// changes undone: the default of every connection (`PRAGMA statement_timeout` and
    /// `Connection::set_statement_timeout` change it per connection).
    pub fn statement_timeout(mut self, timeout: std::time::Duration) -> Options {
        self.statement_timeout = Some(timeout);
        self
    }

    /// Sets the isolation level every connection starts with (see [`Options::isolation`]).
    pub fn isolation(mut self, isolation: crate::Isolation) -> Options {
        self.isolation = isolation;
        self
    }
}
