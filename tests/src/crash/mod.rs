//! The crash-recovery harness behind `ember-crashtest`: a seeded workload with a model of
//! what is committed (`workload`), in-process modes over the simulated file system
//! (`sim_modes`: powerloss, ioerr, truncate, bitflip; `damage_modes`: damage, fulldisk;
//! `group_modes`: powerloss with committing threads and out-of-order persistence) and
//! child-process modes under SIGKILL (`kill_child`: spawning and killing the child and
//! reading what it reports; `kill_modes`: kill, on its workload `kill_workload`;
//! `kill_checkpoint`: kill-checkpoint; `kill_bank`: bank; `kill_evict` and `sim_evict`: a
//! cache table's evictions, on `evict_model`) and, for reads of the past, `kill_asof` /
//! `sim_asof` (asof, asof-powerloss, on `asof_model`); `prefix_modes` (salvage-prefix,
//! clean-tail, lost-data: what salvage keeps and what a clean close promises). Each mode
//! returns a `Summary`; failures carry the command line that replays them.

pub mod asof_model;
pub mod backup_model;
pub mod damage_modes;
pub mod evict_model;
pub mod group_modes;
pub mod kill_asof;
pub mod kill_backup;
pub mod kill_bank;
pub mod kill_checkpoint;
pub mod kill_child;
pub mod kill_evict;
pub mod kill_modes;
pub mod kill_ttl;
pub mod kill_workload;
pub mod power_loss;
pub mod prefix_modes;
pub mod sim_asof;
pub mod sim_backup;
pub mod sim_bank;
pub mod sim_ddl;
pub mod sim_evict;
pub mod sim_modes;
pub mod sim_ttl;
pub mod ttl_model;
pub mod workload;

/// What a mode did.
#[derive(Debug, Default)]
pub struct Summary {
    pub mode: &'static str,
    pub cycles: u64,
    pub commits_verified: u64,
    pub faults_injected: u64,
    pub failures: Vec<String>,
    /// Anything else the mode measured, printed after the counts (empty: nothing).
    pub notes: String,
}

impl Summary {
    pub fn new(mode: &'static str) -> Summary {
        Summary {
            mode,
            ..Summary::default()
        }
    }

    pub fn fail(&mut self, seed: u64, detail: String) {
        self.failures.push(format!(
            "{detail}\n  replay: cargo run -p ember-tests --release --bin ember-crashtest -- {} \
             --seed {seed} --cycles 1",
            self.mode
        ));
    }

    /// A failure in a mode whose cycles build on each other (the child-process modes reuse
    /// one directory): the replay runs the first `cycles` cycles.
    pub fn fail_after(&mut self, seed: u64, cycles: u64, detail: String) {
        self.failures.push(format!(
            "{detail}\n  replay: cargo run -p ember-tests --release --bin ember-crashtest -- {} \
             --seed {seed} --cycles {cycles}",
            self.mode
        ));
    }

    pub fn line(&self) -> String {
        let mut line = format!(
            "{:<9} cycles {:>5}  commits verified {:>7}  faults injected {:>6}  failures {}",
            self.mode,
            self.cycles,
            self.commits_verified,
            self.faults_injected,
            self.failures.len()
        );
        if !self.notes.is_empty() {
            line.push_str("\n          ");
            line.push_str(&self.notes);
        }
        line
    }
}
