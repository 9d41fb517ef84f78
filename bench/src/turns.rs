//! One round of the timed workloads, with the engines taking turns workload by workload.
//! Every in-memory engine is open side by side; W1 runs on each in turn, then W2 on each,
//! and so on, so the two cells a ratio compares were measured seconds apart rather than a
//! whole engine's run apart. This machine's speed drifts by tens of percent over minutes;
//! drift that falls on one turn falls on its neighbours too. W5 takes turns the same way
//! (1 thread on every durable engine, then 4 threads on every durable engine). The
//! query-shape workloads (`queries.rs`) follow on the same open engines: their tables are
//! loaded into each (untimed), then each workload takes its turn on every engine.

use crate::engine::{BenchError, BenchResult, Db, EngineSpec, Session};
use crate::expect::Fixture;
use crate::queries::{Check, WORKLOADS};
use crate::sql::Query;
use crate::tables::Table;
use crate::workloads::{self, Sizes};
use crate::{cell, settle, Config, Measurement, ScratchDir};

pub const W6_ONE_THREAD: &str = "W6 point select, 1 thread";
pub const W6_TWO_THREADS: &str = "W6 point select, 2 threads";

/// A database with the session the single-thread workloads use, and its directory (fields
/// drop in this order: the session before its database, the directory last).
struct Opened {
    session: Box<dyn Session>,
    db: Box<dyn Db>,
    _dir: ScratchDir,
}

/// An in-memory engine opened for one round.
struct OpenEngine<'a> {
    spec: &'a EngineSpec,
    /// The open database, or why it did not open.
    state: BenchResult<Opened>,
    /// Set when W1 failed: the workloads that need its rows report this instead.
    not_loaded: Option<BenchError>,
    /// Whether W3 or W3H (the same updates) ran: W4's answer depends on it.
    scores_updated: bool,
}

impl<'a> OpenEngine<'a> {
    fn open(spec: &'a EngineSpec) -> OpenEngine<'a> {
        let state = ScratchDir::new(spec.name).and_then(|dir| {
            let db = (spec.open)(dir.path())?;
            let session = db.connect()?;
            Ok(Opened {
                db,
                session,
                _dir: dir,
            })
        });
        OpenEngine {
            spec,
            state,
            not_loaded: None,
            scores_updated: false,
        }
    }

    /// Runs `workload` on this engine unless it failed to open or to load its rows; with
    /// `config.settle`, first waits for the machine to go quiet (outside the timing).
    fn run(
        &mut self,
        config: &Config,
        workload: impl FnOnce(&dyn Db, &mut dyn Session) -> BenchResult<f64>,
    ) -> BenchResult<f64> {
        let opened = self.state.as_mut().map_err(|error| error.clone())?;
        if let Some(error) = &self.not_loaded {
            return Err(error.clone());
        }
        before_turn(config);
        workload(opened.db.as_ref(), opened.session.as_mut())
    }
}

/// What happens before every timed turn: with `config.settle`, the wait for a quiet machine
/// (outside the timing).
fn before_turn(config: &Config) {
    if config.settle {
        settle::settle();
    }
}

/// The in-memory workloads after W1, in the order they run; each may report several cells.
pub const AFTER_LOAD: [&str; 9] = ["W2", "W2A", "W2C", "W2L", "W3", "W3H", "W4", "W6", "W7"];

/// Runs the selected in-memory workloads (W1-W4, W6, W7, then the query shapes of
/// `fixture`'s tables) with the engines taking turns. W1 runs when any of W1-W7 is selected
/// (they need its rows) but is reported only when selected.
pub fn memory_round(
    specs: &[&EngineSpec],
    sizes: &Sizes,
    config: &Config,
    fixture: Option<&Fixture>,
) -> Vec<Measurement> {
    let mut engines: Vec<OpenEngine> = specs.iter().map(|spec| OpenEngine::open(spec)).collect();
    let mut out = Vec::new();
    let wants_t = config.wants("W1") || AFTER_LOAD.iter().any(|id| config.wants(id));
    for engine in engines.iter_mut().filter(|_| wants_t) {
        let loaded = engine.run(config, |_, session| workloads::w1_insert(session, sizes));
        if let Err(error) = &loaded {
            if engine.state.is_ok() {
                engine.not_loaded = Some(BenchError::Missing(format!("rows from W1 ({error})")));
            }
        }
        if config.wants("W1") {
            out.push(cell("W1 insert (1k-row txns)", engine.spec, loaded));
        }
    }
    for id in AFTER_LOAD.into_iter().filter(|id| config.wants(id)) {
        for engine in &mut engines {
            let spec = engine.spec;
            match id {
                "W2" => {
                    let value = engine.run(config, |_, s| workloads::w2_point_select_row(s, sizes));
                    out.push(cell("W2 point select, all columns", spec, value));
                }
                "W2C" | "W2L" if spec.name.starts_with("ember") => {
                    let (cache, name) = match id {
                        "W2C" => (Query::CacheLru, "W2C point select, cache table (evict_lru)"),
                        _ => (Query::CacheLfu, "W2L point select, cache table (evict_lfu)"),
                    };
                    let value = engine.run(config, |_, s| {
                        workloads::w2_cache_point_select_row(s, sizes, cache)
                    });
                    out.push(cell(name, spec, value));
                }
                // Cache tables are EmberDB's own: the other engines have no such cell.
                "W2C" | "W2L" => {}
                "W2A" => {
                    let value =
                        engine.run(config, |_, s| workloads::w2a_point_select_age(s, sizes));
                    out.push(cell("W2A point select, age only", spec, value));
                }
                "W3" => {
                    let value = engine.run(config, |_, s| workloads::w3_update(s, sizes));
                    engine.scores_updated |= value.is_ok();
                    out.push(cell("W3 update (100-row txns)", spec, value));
                }
                "W3H" => {
                    let value =
                        engine.run(config, |_, s| workloads::w3h_update_with_history(s, sizes));
                    engine.scores_updated |= value.is_ok();
                    out.push(cell("W3H update, history kept 10 min", spec, value));
                }
                "W4" => {
                    let updated = engine.scores_updated;
                    let value =
                        engine.run(config, |_, s| workloads::w4_group_by(s, sizes, updated));
                    out.push(cell("W4 GROUP BY age (queries/s)", spec, value));
                }
                "W6" => {
                    let one =
                        engine.run(config, |db, _| workloads::w6_parallel_select(db, sizes, 1));
                    let two =
                        engine.run(config, |db, _| workloads::w6_parallel_select(db, sizes, 2));
                    out.push(cell(W6_ONE_THREAD, spec, one));
                    out.push(cell(W6_TWO_THREADS, spec, two));
                }
                _ => {
                    debug_assert_eq!(id, "W7");
                    let value = engine.run(config, |db, _| workloads::w7_ycsb_a(db, sizes));
                    out.push(cell("W7 YCSB-A zipf, 2 threads", spec, value));
                }
            }
        }
    }
    if let Some(fixture) = fixture {
        query_shapes(&mut engines, config, fixture, &mut out);
    }
    out
}

/// The tables the selected query-shape workloads read, each once.
pub fn tables_wanted(config: &Config) -> Vec<Table> {
    let mut tables = Vec::new();
    for workload in WORKLOADS.iter().filter(|w| config.wants(w.id)) {
        for table in workload.tables {
            if !tables.contains(table) {
                tables.push(*table);
            }
        }
    }
    tables
}

/// The tables the selected workloads checked against SQLite read, each once.
pub fn sqlite_checked_tables(config: &Config) -> Vec<Table> {
    let mut tables = Vec::new();
    let checked = WORKLOADS
        .iter()
        .filter(|w| config.wants(w.id) && matches!(w.check, Check::Sqlite { .. }));
    for workload in checked {
        for table in workload.tables {
            if !tables.contains(table) {
                tables.push(*table);
            }
        }
    }
    tables
}

/// Loads the query-shape tables into every engine (untimed), then runs each selected
/// query-shape workload on every engine in turn.
fn query_shapes(
    engines: &mut [OpenEngine],
    config: &Config,
    fixture: &Fixture,
    out: &mut Vec<Measurement>,
) {
    let sizes = &fixture.sizes;
    let tables = tables_wanted(config);
    // Per engine, each table's load result (a failed load fails only the workloads that
    // read that table).
    let mut loaded: Vec<Vec<(Table, BenchResult<()>)>> = Vec::new();
    for engine in engines.iter_mut() {
        let mut results = Vec::new();
        for table in &tables {
            let result = match &mut engine.state {
                Ok(opened) => {
                    let session = opened.session.as_mut();
                    crate::tables::load(session, *table, sizes.rows, sizes.orders, sizes.lineitems)
                        .map_err(|error| match error {
                            BenchError::Missing(what) => BenchError::Missing(what),
                            BenchError::Failed(why) => {
                                BenchError::Failed(format!("loading {table:?}: {why}"))
                            }
                        })
                }
                Err(error) => Err(error.clone()),
            };
            results.push((*table, result));
        }
        loaded.push(results);
    }
    for workload in WORKLOADS.iter().filter(|w| config.wants(w.id)) {
        for (engine, results) in engines.iter_mut().zip(&loaded) {
            let failed_load = results
                .iter()
                .filter(|(table, _)| workload.tables.contains(table))
                .find_map(|(_, result)| result.as_ref().err());
            let value = match failed_load {
                None => engine.run(config, |_, session| workload.run(session, fixture)),
                Some(error) => Err(error.clone()),
            };
            out.push(cell(workload.label, engine.spec, value));
        }
    }
}

/// Runs W5 on every durable engine: 1 thread on each in turn, then 4 threads on each. Each
/// run gets a fresh database.
pub fn durable_round(specs: &[&EngineSpec], sizes: &Sizes, config: &Config) -> Vec<Measurement> {
    let mut out = Vec::new();
    for (threads, label) in [
        (1, "W5 durable commits, 1 thread"),
        (4, "W5 durable commits, 4 threads"),
    ] {
        for spec in specs {
            let value = ScratchDir::new(spec.name).and_then(|dir| {
                let db = (spec.open)(dir.path())?;
                db.connect()?.create_table()?;
                before_turn(config);
                workloads::w5_durable_commits(db.as_ref(), sizes, threads)
            });
            out.push(cell(label, spec, value));
        }
    }
    out
}
