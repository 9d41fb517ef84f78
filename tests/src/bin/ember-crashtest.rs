//! `ember-crashtest`: the crash-recovery harness. `ember-crashtest MODE [--seed N]
//! [--cycles N]` with MODE one of kill, powerloss, powerloss-group, ioerr, truncate, bitflip,
//! damage, fulldisk,
//! bank, all.
//! Prints one summary line per mode; exits 1 on any failure, printing each failure with the
//! command that replays it.

use std::path::Path;
use std::process::ExitCode;

use ember_tests::crash::{damage_modes, group_modes, kill_modes, sim_modes, Summary};

const USAGE: &str = "usage: ember-crashtest MODE [--seed N] [--cycles N]
modes: kill powerloss powerloss-group ioerr truncate bitflip damage fulldisk bank all";

fn run_mode(mode: &str, seed: u64, cycles: u64) -> Option<Summary> {
    Some(match mode {
        "kill" => kill_modes::kill(seed, cycles),
        "bank" => kill_modes::bank(seed, cycles),
        // The harness's self-check: a child that acknowledges a transfer it rolled back.
        "bank-broken" => kill_modes::bank_with(seed, cycles, true),
        "powerloss" => sim_modes::powerloss(seed, cycles),
        "ioerr" => sim_modes::ioerr(seed, cycles),
        "truncate" => sim_modes::truncate(seed, cycles),
        "bitflip" => sim_modes::bitflip(seed, cycles),
        "damage" => damage_modes::damage(seed, cycles),
        "fulldisk" => damage_modes::fulldisk(seed, cycles),
        "powerloss-group" => group_modes::powerloss_group(seed, cycles),
        _ => return None,
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [mode, dir, seed, resume] = args.as_slice() {
        if mode.starts_with("child-") {
            let seed = seed.parse().unwrap_or(0);
            let result = match mode.as_str() {
                "child-kill" => {
                    kill_modes::child_kill(Path::new(dir), seed, resume.parse().unwrap_or(0))
                }
                _ => kill_modes::child_bank(Path::new(dir), seed, resume.parse().unwrap_or(0)),
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
            "bank",
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
