//! ember-bench: runs the same workloads against EmberDB, SQLite (rusqlite) and Stoolap and
//! prints one table of throughputs with ratios to SQLite. `run` collects the measurements;
//! `report` formats them. The binary (`src/main.rs`) parses the command line.

pub mod data;
pub mod ember_engine;
pub mod engine;
pub mod memory;
pub mod report;
pub mod rounds;
pub mod sql;
pub mod sqlite_engine;
#[cfg(feature = "stoolap")]
pub mod stoolap_engine;
pub mod workloads;

use std::path::{Path, PathBuf};

use engine::{BenchError, BenchResult, EngineSpec, Storage};
use workloads::Sizes;

/// What a cell measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    OpsPerSecond,
    BytesPerRow,
}

/// One cell of the table.
#[derive(Debug, Clone)]
pub struct Measurement {
    pub workload: String,
    pub engine: &'static str,
    pub value: BenchResult<f64>,
    pub unit: Unit,
    /// Whether this engine is the ratio baseline for this workload.
    pub is_baseline: bool,
    pub note: String,
}

/// Every engine configuration in the table, in print order.
pub fn engines() -> Vec<EngineSpec> {
    let mut specs = vec![ember_engine::MEMORY, sqlite_engine::MEMORY];
    #[cfg(feature = "stoolap")]
    specs.push(stoolap_engine::MEMORY);
    specs.extend([
        ember_engine::DURABLE,
        sqlite_engine::WAL_FULL,
        sqlite_engine::WAL_NORMAL,
    ]);
    #[cfg(feature = "stoolap")]
    specs.push(stoolap_engine::FILE_FULL);
    specs
}

/// How to run the bench.
#[derive(Debug, Clone)]
pub struct Config {
    pub scale: f64,
    /// Workload ids to run (`W1`..`W7`, `M1`); empty means all.
    pub only: Vec<String>,
    /// Engine name prefixes to run (`ember`, `sqlite`, `stoolap`); empty means all.
    pub engines: Vec<String>,
    /// Run M1 in a child process of this executable (None: in this process).
    pub m1_child_exe: Option<PathBuf>,
    /// Times the timed workloads (all but M1) run; each cell reports the median.
    pub rounds: usize,
}

impl Config {
    fn wants(&self, id: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|want| want.eq_ignore_ascii_case(id))
    }

    fn runs_engine(&self, name: &str) -> bool {
        self.engines.is_empty()
            || self
                .engines
                .iter()
                .any(|want| name.starts_with(want.as_str()))
    }
}

/// A private scratch directory, removed on drop.
pub struct ScratchDir(PathBuf);

impl ScratchDir {
    pub fn new(label: &str) -> BenchResult<ScratchDir> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let unique = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("ember-bench-{}-{unique}-{label}", std::process::id());
        let path = std::env::temp_dir().join(name.replace([' ', ':'], "_"));
        std::fs::create_dir_all(&path).map_err(engine::failed)?;
        Ok(ScratchDir(path))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn cell(workload: &str, spec: &EngineSpec, value: BenchResult<f64>) -> Measurement {
    Measurement {
        workload: workload.to_string(),
        engine: spec.name,
        value,
        unit: Unit::OpsPerSecond,
        is_baseline: spec.is_baseline,
        note: String::new(),
    }
}

/// Runs W1-W4, W6, W7 against one in-memory engine, in that order on one database.
fn run_memory_engine(spec: &EngineSpec, sizes: &Sizes, config: &Config) -> Vec<Measurement> {
    let mut out = Vec::new();
    let scratch = ScratchDir::new(spec.name);
    let db = scratch.and_then(|dir| Ok(((spec.open)(dir.path())?, dir)));
    let (db, _dir) = match db {
        Ok(pair) => pair,
        Err(error) => {
            for id in ["W1", "W2", "W3", "W4", "W6", "W7"] {
                out.push(cell(id, spec, Err(error.clone())));
            }
            return out;
        }
    };
    let session = db.connect();
    let mut session = match session {
        Ok(session) => session,
        Err(error) => return vec![cell("W1 insert", spec, Err(error))],
    };
    let loaded = workloads::w1_insert(session.as_mut(), sizes);
    let needs_rows = match &loaded {
        Ok(_) => None,
        Err(error) => Some(BenchError::Missing(format!("rows from W1 ({error})"))),
    };
    let or_load = |run: &mut dyn FnMut() -> BenchResult<f64>| match &needs_rows {
        Some(error) => Err(error.clone()),
        None => run(),
    };
    if config.wants("W1") {
        out.push(cell("W1 insert (1k-row txns)", spec, loaded.clone()));
    }
    if config.wants("W2") {
        let value = or_load(&mut || workloads::w2_point_select(session.as_mut(), sizes));
        out.push(cell("W2 point select", spec, value));
    }
    if config.wants("W3") {
        let value = or_load(&mut || workloads::w3_update(session.as_mut(), sizes));
        out.push(cell("W3 update (100-row txns)", spec, value));
    }
    if config.wants("W4") {
        let value = or_load(&mut || workloads::w4_group_by(session.as_mut(), sizes));
        out.push(cell("W4 GROUP BY age (queries/s)", spec, value));
    }
    if config.wants("W6") {
        let one = or_load(&mut || workloads::w6_parallel_select(db.as_ref(), sizes, 1));
        let two = or_load(&mut || workloads::w6_parallel_select(db.as_ref(), sizes, 2));
        out.push(cell(W6_ONE_THREAD, spec, one));
        out.push(cell(W6_TWO_THREADS, spec, two));
    }
    if config.wants("W7") {
        let value = or_load(&mut || workloads::w7_ycsb_a(db.as_ref(), sizes));
        out.push(cell("W7 YCSB-A zipf, 2 threads", spec, value));
    }
    out
}

const W6_ONE_THREAD: &str = "W6 point select, 1 thread";
const W6_TWO_THREADS: &str = "W6 point select, 2 threads";

/// Notes each engine's W6 speed-up from 1 to 2 threads (from the cells' final values).
fn note_w6_speedups(measurements: &mut [Measurement]) {
    let one_thread: Vec<(&'static str, f64)> = measurements
        .iter()
        .filter(|m| m.workload == W6_ONE_THREAD)
        .filter_map(|m| Some((m.engine, *m.value.as_ref().ok()?)))
        .collect();
    for measurement in measurements.iter_mut() {
        let Ok(two) = &measurement.value else {
            continue;
        };
        if measurement.workload != W6_TWO_THREADS {
            continue;
        }
        if let Some((_, one)) = one_thread.iter().find(|(e, _)| *e == measurement.engine) {
            let speedup = format!("speed-up 1->2 threads: {:.2}x", two / one);
            measurement.note = if measurement.note.is_empty() {
                speedup
            } else {
                format!("{speedup}; {}", measurement.note)
            };
        }
    }
}

/// Runs W5 (1 thread, then 4 threads) against one durable engine.
fn run_durable_engine(spec: &EngineSpec, sizes: &Sizes) -> Vec<Measurement> {
    let run = |threads: usize| -> BenchResult<f64> {
        let dir = ScratchDir::new(spec.name)?;
        let db = (spec.open)(dir.path())?;
        db.connect()?.create_table()?;
        workloads::w5_durable_commits(db.as_ref(), sizes, threads)
    };
    vec![
        cell("W5 durable commits, 1 thread", spec, run(1)),
        cell("W5 durable commits, 4 threads", spec, run(4)),
    ]
}

/// M1 for one engine, in a child process when configured.
pub fn run_m1(spec: &EngineSpec, sizes: &Sizes, config: &Config) -> Vec<Measurement> {
    let usage = match &config.m1_child_exe {
        Some(exe) => std::process::Command::new(exe)
            .args([
                "--m1-child",
                spec.name,
                "--scale",
                &config.scale.to_string(),
            ])
            .output()
            .map_err(engine::failed)
            .and_then(|output| {
                memory::parse_child_output(&String::from_utf8_lossy(&output.stdout))
            }),
        None => ScratchDir::new(spec.name).and_then(|dir| memory::measure(spec, sizes, dir.path())),
    };
    let mut loaded = cell("M1 anon bytes/row after W1", spec, Ok(0.0));
    let mut after = cell("M1 anon bytes/row after updates+GC", spec, Ok(0.0));
    loaded.unit = Unit::BytesPerRow;
    after.unit = Unit::BytesPerRow;
    match usage {
        Ok(usage) => {
            loaded.value = Ok(usage.loaded_bytes_per_row);
            after.value = Ok(usage.after_gc_bytes_per_row);
            loaded.note = format!("VmRSS: {:.1} B/row", usage.loaded_rss_per_row);
            after.note = format!("VmRSS: {:.1} B/row", usage.after_gc_rss_per_row);
            if let Err(error) = usage.gc {
                after.note = format!("{}; no GC ({error})", after.note);
            }
        }
        Err(error) => {
            loaded.value = Err(error.clone());
            after.value = Err(error);
        }
    }
    vec![loaded, after]
}

/// The child-process side of M1: measures `engine_name` and returns the line to print.
pub fn m1_child(engine_name: &str, scale: f64) -> String {
    let sizes = Sizes::scaled(scale);
    let result = match engines().iter().find(|spec| spec.name == engine_name) {
        Some(spec) => {
            ScratchDir::new(spec.name).and_then(|dir| memory::measure(spec, &sizes, dir.path()))
        }
        None => Err(BenchError::Failed(format!(
            "unknown engine {engine_name:?}"
        ))),
    };
    memory::child_line(&result)
}

/// Runs every selected workload against every engine.
pub fn run(config: &Config) -> Vec<Measurement> {
    let sizes = Sizes::scaled(config.scale);
    let specs: Vec<EngineSpec> = engines()
        .into_iter()
        .filter(|spec| config.runs_engine(spec.name))
        .collect();
    let memory_ids = ["W1", "W2", "W3", "W4", "W6", "W7"];
    let mut rounds = Vec::new();
    for _ in 0..config.rounds.max(1) {
        let mut round = Vec::new();
        for spec in specs.iter().filter(|spec| spec.storage == Storage::Memory) {
            if memory_ids.iter().any(|id| config.wants(id)) {
                round.extend(run_memory_engine(spec, &sizes, config));
            }
        }
        if config.wants("W5") {
            for spec in specs.iter().filter(|spec| spec.storage != Storage::Memory) {
                round.extend(run_durable_engine(spec, &sizes));
            }
        }
        rounds.push(round);
    }
    let mut out = rounds::median_of_rounds(rounds);
    note_w6_speedups(&mut out);
    if config.wants("M1") {
        for spec in specs.iter().filter(|spec| spec.storage == Storage::Memory) {
            out.extend(run_m1(spec, &sizes, config));
        }
        let payload = data::payload_bytes_per_row(sizes.rows);
        out.push(Measurement {
            workload: "M1 raw payload bytes/row".into(),
            engine: "-",
            value: Ok(payload),
            unit: Unit::BytesPerRow,
            is_baseline: false,
            note: "8 (id) + name + email + 8 (age) + 8 (score)".into(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every workload at a tiny size against every engine: nothing may fail (missing
    /// features are allowed: they print as n/a).
    #[test]
    fn every_workload_runs_at_tiny_scale() {
        let config = Config {
            scale: 0.001,
            only: Vec::new(),
            engines: Vec::new(),
            m1_child_exe: None,
            rounds: 2,
        };
        let measurements = run(&config);
        for id in ["W1", "W2", "W3", "W4", "W5", "W6", "W7", "M1"] {
            assert!(
                measurements.iter().any(|m| m.workload.starts_with(id)),
                "{id} produced no measurement"
            );
        }
        for measurement in &measurements {
            if let Err(BenchError::Failed(message)) = &measurement.value {
                panic!(
                    "{} on {}: {message}",
                    measurement.workload, measurement.engine
                );
            }
            if measurement.engine.starts_with("sqlite") {
                assert!(
                    measurement.value.is_ok(),
                    "sqlite must run {}",
                    measurement.workload
                );
            }
        }
        let table = report::format_table(&measurements);
        assert!(table.contains("W1 insert"), "{table}");
    }
}
