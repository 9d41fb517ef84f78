//! ember-bench: runs the same workloads against EmberDB, SQLite (rusqlite) and Stoolap and
//! prints one table of throughputs with ratios to SQLite. `run` collects the measurements;
//! `report` formats them. The binary (`src/main.rs`) parses the command line.

pub mod cache;
pub mod data;
pub mod ember_engine;
pub mod engine;
pub mod expect;
pub mod expiry;
pub mod history;
pub mod memory;
pub mod names;
pub mod queries;
pub mod report;
pub mod rounds;
pub mod settle;
pub mod shapes;
pub mod smaps;
pub mod sql;
pub mod sqlite_engine;
#[cfg(feature = "stoolap")]
pub mod stoolap_engine;
pub mod tables;
pub mod turns;
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
    /// This cell's ratio to its workload's baseline in each round where both ran (paired:
    /// the two were measured in neighbouring turns of the same round).
    pub round_ratios: Vec<f64>,
}

/// Every engine configuration in the table, in print order.
pub fn engines() -> Vec<EngineSpec> {
    let mut specs = vec![
        ember_engine::MEMORY,
        ember_engine::PARALLEL,
        ember_engine::SERIALIZABLE,
        sqlite_engine::MEMORY,
    ];
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
    /// Workload ids to run (`W1`..`W7`, `W2A`, `M1`, the query shapes `R1`..`J4` of
    /// `queries::WORKLOADS`); empty means all.
    pub only: Vec<String>,
    /// Engine name prefixes to run (`ember`, `sqlite`, `stoolap`); empty means all.
    pub engines: Vec<String>,
    /// Run M1 in a child process of this executable (None: in this process).
    pub m1_child_exe: Option<PathBuf>,
    /// Times the timed workloads (all but M1) run; each cell reports the median.
    pub rounds: usize,
    /// Wait for the machine to go quiet before each timed turn (`settle.rs`).
    pub settle: bool,
}

impl Config {
    fn wants(&self, id: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|want| want.eq_ignore_ascii_case(id))
    }

    /// A wanted name that is an engine's whole name selects that engine only (`ember` is
    /// not `ember-par`); any other selects the engines it starts (`sqlite`: every SQLite).
    fn runs_engine(&self, name: &str) -> bool {
        let names = engines();
        self.engines.is_empty()
            || self.engines.iter().any(|want| {
                let exact = names.iter().any(|spec| spec.name == want.as_str());
                if exact {
                    name == want.as_str()
                } else {
                    name.starts_with(want.as_str())
                }
            })
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
        round_ratios: Vec::new(),
    }
}

/// Notes each engine's W6 speed-up from 1 to 2 threads (from the cells' final values).
fn note_w6_speedups(measurements: &mut [Measurement]) {
    let one_thread: Vec<(&'static str, f64)> = measurements
        .iter()
        .filter(|m| m.workload == turns::W6_ONE_THREAD)
        .filter_map(|m| Some((m.engine, *m.value.as_ref().ok()?)))
        .collect();
    for measurement in measurements.iter_mut() {
        let Ok(two) = &measurement.value else {
            continue;
        };
        if measurement.workload != turns::W6_TWO_THREADS {
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
    let tables = turns::tables_wanted(config);
    let fixture = (!tables.is_empty())
        .then(|| expect::Fixture::new(sizes, &tables, &turns::sqlite_checked_tables(config)));
    let wants_memory = config.wants("W1")
        || turns::AFTER_LOAD.iter().any(|id| config.wants(id))
        || fixture.is_some();
    let memory: Vec<&EngineSpec> = specs
        .iter()
        .filter(|s| s.storage == Storage::Memory)
        .collect();
    let durable: Vec<&EngineSpec> = specs
        .iter()
        .filter(|s| s.storage != Storage::Memory)
        .collect();
    let mut rounds = Vec::new();
    for _ in 0..config.rounds.max(1) {
        let mut round = Vec::new();
        if wants_memory {
            round.extend(turns::memory_round(
                &memory,
                &sizes,
                config,
                fixture.as_ref(),
            ));
        }
        if config.wants("W5") {
            round.extend(turns::durable_round(&durable, &sizes, config));
        }
        rounds::note_round_ratios(&mut round);
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
            round_ratios: Vec::new(),
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
            settle: false,
        };
        let measurements = run(&config);
        let query_ids = queries::WORKLOADS.iter().map(|w| w.id);
        let ids = [
            "W1", "W2 ", "W2A", "W3", "W3H", "W4", "W5", "W6", "W7", "M1",
        ];
        for id in ids.into_iter().chain(query_ids) {
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
            let ember_only = measurement.workload.starts_with("W3H");
            if measurement.engine == "ember"
                || (measurement.engine.starts_with("sqlite") && !ember_only)
            {
                assert!(
                    measurement.value.is_ok(),
                    "{} must run {}: {:?}",
                    measurement.engine,
                    measurement.workload,
                    measurement.value
                );
            }
        }
        let table = report::format_table(&measurements);
        assert!(table.contains("W1 insert"), "{table}");
    }
}
