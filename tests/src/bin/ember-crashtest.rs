//! `ember-crashtest`: the crash-recovery harness. `ember-crashtest MODE [--seed N]
//! [--cycles N]` with MODE one of kill, kill-checkpoint, powerloss, powerloss-group, ioerr,
//! truncate, bitflip, damage, fulldisk, bank, serial-bank, serial-bank-powerloss, backup,
//! backup-powerloss, ttl, ttl-powerloss, asof, asof-powerloss, evict, evict-powerloss,
//! ddl-powerloss, salvage-prefix, clean-tail, lost-data, all (and bank-broken, the bank mode's
//! self-check). Prints one summary per mode; exits 1 on any failure, printing each failure
//! with the command that replays it. `ember-crashtest child-MODE DIR SEED RESUME` is the
//! child process of the SIGKILL modes (see `crash::kill_child`). `--help` (or `-h`) prints
//! the usage and exits 0; an unknown mode or argument prints it and exits 2.

use std::path::Path;
use std::process::ExitCode;

use ember_tests::crash::{
    damage_modes, group_modes, kill_asof, kill_backup, kill_bank, kill_checkpoint, kill_evict,
    kill_modes, kill_ttl, prefix_modes, sim_asof, sim_backup, sim_bank, sim_ddl, sim_evict,
    sim_modes, sim_ttl, Summary,
};

const USAGE: &str = "usage: ember-crashtest MODE [--seed N] [--cycles N]
       ember-crashtest --help
modes: kill kill-checkpoint powerloss powerloss-group ioerr truncate bitflip damage fulldisk \
bank serial-bank serial-bank-powerloss backup backup-powerloss ttl ttl-powerloss asof \
asof-powerloss evict evict-powerloss ddl-powerloss salvage-prefix clean-tail lost-data all";

fn run_mode(mode: &str, seed: u64, cycles: u64) -> Option<Summary> {
    Some(match mode {
        "kill" => kill_modes::kill(seed, cycles),
        "kill-checkpoint" => kill_checkpoint::kill_checkpoint(seed, cycles),
        "bank" => kill_bank::bank(seed, cycles),
        "serial-bank" => kill_bank::serial_bank(seed, cycles),
        "serial-bank-powerloss" => sim_bank::serial_bank_powerloss(seed, cycles),
        "backup" => kill_backup::backup(seed, cycles),
        "ttl" => kill_ttl::ttl(seed, cycles),
        "backup-powerloss" => sim_backup::backup_powerloss(seed, cycles),
        "ttl-powerloss" => sim_ttl::ttl_powerloss(seed, cycles),
        "asof" => kill_asof::asof(seed, cycles),
        "asof-powerloss" => sim_asof::asof_powerloss(seed, cycles),
        "evict" => kill_evict::evict(seed, cycles),
        "evict-powerloss" => sim_evict::evict_powerloss(seed, cycles),
        "ddl-powerloss" => sim_ddl::ddl_powerloss(seed, cycles),
        // The harness's self-check: a child that acknowledges a transfer it rolled back.
        "bank-broken" => kill_bank::bank_with(seed, cycles, Some("drop-transfer")),
        "powerloss" => sim_modes::powerloss(seed, cycles),
        "ioerr" => sim_modes::ioerr(seed, cycles),
        "truncate" => sim_modes::truncate(seed, cycles),
        "bitflip" => sim_modes::bitflip(seed, cycles),
        "damage" => damage_modes::damage(seed, cycles),
        "fulldisk" => damage_modes::fulldisk(seed, cycles),
        "powerloss-group" => group_modes::powerloss_group(seed, cycles),
        "salvage-prefix" => prefix_modes::salvage_prefix(seed, cycles),
        "clean-tail" => prefix_modes::clean_tail(seed, cycles),
        "lost-data" => prefix_modes::lost_data(seed, cycles),
        _ => return None,
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [mode, dir, seed, resume] = args.as_slice() {
        if let Some(child) = mode.strip_prefix("child-") {
            let (dir, seed) = (Path::new(dir), seed.parse().unwrap_or(0));
            let result = match child {
                "kill" => kill_modes::child_kill(dir, seed, resume.parse().unwrap_or(0)),
                "kill-checkpoint" => kill_checkpoint::child_kill_checkpoint(dir, seed, resume),
                "bank" => kill_bank::child_bank(dir, seed, resume.parse().unwrap_or(0)),
                "serial-bank" => {
                    kill_bank::child_serial_bank(dir, seed, resume.parse().unwrap_or(0))
                }
                "backup" => kill_backup::child_backup(dir, seed, resume),
                "ttl" => kill_ttl::child_ttl(dir, seed, resume),
                "asof" => kill_asof::child_asof(dir, seed, resume),
                "evict" => kill_evict::child_evict(dir, seed, resume),
                _ => {
                    eprintln!("unknown child mode {mode}");
                    return ExitCode::from(2);
                }
            };
            if let Err(error) = result {
                eprintln!("child: {error}");
            }
            return ExitCode::from(3);
        }
    }
    let Some(mode) = args.first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    if mode == "--help" || mode == "-h" || mode == "help" {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let mut seed = 1u64;
    let mut cycles = 20u64;
    let mut rest = args[1..].iter();
    while let Some(flag) = rest.next() {
        let value = rest.next().and_then(|v| v.parse().ok());
        match (flag.as_str(), value) {
            ("--seed", Some(v)) => seed = v,
            ("--cycles", Some(v)) => cycles = v,
            _ => {
                eprintln!("bad argument {flag}\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let modes: Vec<&str> = if mode == "all" {
        vec![
            "powerloss",
            "powerloss-group",
            "ioerr",
            "truncate",
            "bitflip",
            "damage",
            "fulldisk",
            "kill",
            "kill-checkpoint",
            "bank",
            "serial-bank",
            "serial-bank-powerloss",
            "backup",
            "backup-powerloss",
            "ttl",
            "ttl-powerloss",
            "asof",
            "asof-powerloss",
            "evict",
            "evict-powerloss",
            "ddl-powerloss",
            "salvage-prefix",
            "clean-tail",
            "lost-data",
        ]
    } else {
        vec![mode.as_str()]
    };
    let mut failed = false;
    for mode in modes {
        let Some(summary) = run_mode(mode, seed, cycles) else {
            eprintln!("unknown mode {mode}\n{USAGE}");
            return ExitCode::from(2);
        };
        println!("{}", summary.line());
        for failure in &summary.failures {
            println!("FAIL {failure}");
        }
        failed |= !summary.failures.is_empty();
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
