//! The `ember-bench` binary: `ember-bench [--scale F] [--only W1,...] [--engines ember,...]
//! [--rounds N] [--no-settle]`
//! runs the workloads and prints the table; `--m3` runs M3 (row expiry, EmberDB only).
//! runs the workloads and prints the table. (`--m1-child ENGINE` is the internal child mode
//! of M1; `--ops-of ID` prints how many operations workload ID's measured function runs at
//! the given `--scale`, for `bench/callgrind.sh`.)

use ember_bench::{m1_child, report, run, Config};

const USAGE: &str = "usage: ember-bench [--scale F] [--only IDS] \
[--engines ember,sqlite,stoolap] [--rounds N] [--no-settle] [--ops-of ID]
  workload ids: W1 W2 W2A W2C W2L W3 W3H W4 W5 W6 W7 M1 R1 R2 K1 K2 J1 J2 G2 J3 S1 Q1 Q6
                D1 I1 I2 P1 P2 G3 L1 D2 C1 C2 J4
  --scale F      multiply every workload size by F (default 1.0 = the issue's sizes)
  --rounds N     run the timed workloads N times, engines taking turns, and report each
                 cell's median (default 3; M1 runs once)
  --only IDS     run only these workloads (comma-separated)
  --engines PFX  run only these engines (comma-separated): a whole engine name selects it
                 alone (ember, ember-par), else every engine whose name starts with it
  --no-settle    start each timed turn at once instead of waiting (up to 3 s) for the
                 machine's cores to go idle after the previous turn
  --m2           run M2 (a cache table under a Zipfian stream, EmberDB only) and exit
  --m3           run M3 (row expiry reclaiming memory, EmberDB only) and exit
  --h1 RETENTION run H1 (memory per row after updates with PRAGMA history_retention =
                 RETENTION, e.g. off or '10 minutes'; EmberDB only) and exit
  --ops-of ID    print the operations workload ID's measured function runs at this
                 --scale (what bench/callgrind.sh divides instructions by), and exit";

fn parse_scale(text: Option<String>) -> Result<f64, String> {
    let text = text.ok_or("--scale needs a value")?;
    match text.parse::<f64>() {
        Ok(scale) if scale > 0.0 && scale <= 100.0 => Ok(scale),
        _ => Err(format!(
            "--scale must be a number in (0, 100], got {text:?}"
        )),
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut config = Config {
        scale: 1.0,
        only: Vec::new(),
        engines: Vec::new(),
        m1_child_exe: std::env::current_exe().ok(),
        rounds: 3,
        settle: true,
    };
    let mut m1_engine = None;
    let mut ops_of = None;
    let mut m2 = false;
    let mut m3 = false;
    let mut h1 = None;
    while let Some(arg) = args.next() {
        let step = match arg.as_str() {
            "--scale" => parse_scale(args.next()).map(|scale| config.scale = scale),
            "--rounds" => match args.next().and_then(|text| text.parse::<usize>().ok()) {
                Some(rounds) if (1..=100).contains(&rounds) => {
                    config.rounds = rounds;
                    Ok(())
                }
                _ => Err("--rounds needs a number from 1 to 100".to_string()),
            },
            "--no-settle" => {
                config.settle = false;
                Ok(())
            }
            "--only" => match args.next() {
                Some(list) => {
                    config.only = list.split(',').map(|id| id.trim().to_string()).collect();
                    Ok(())
                }
                None => Err("--only needs a list".to_string()),
            },
            "--engines" => match args.next() {
                Some(list) => {
                    config.engines = list
                        .split(',')
                        .map(|name| name.trim().to_string())
                        .collect();
                    Ok(())
                }
                None => Err("--engines needs a list".to_string()),
            },
            "--m1-child" => match args.next() {
                Some(engine) => {
                    m1_engine = Some(engine);
                    Ok(())
                }
                None => Err("--m1-child needs an engine name".to_string()),
            },
            "--ops-of" => match args.next() {
                Some(id) => {
                    ops_of = Some(id);
                    Ok(())
                }
                None => Err("--ops-of needs a workload id".to_string()),
            },
            "--m2" => {
                m2 = true;
                Ok(())
            }
            "--m3" => {
                m3 = true;
                Ok(())
            }
            "--h1" => match args.next() {
                Some(retention) => {
                    h1 = Some(retention);
                    Ok(())
                }
                None => Err("--h1 needs a history_retention value (off, '10 minutes')".into()),
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return;
            }
            other => Err(format!("unknown argument {other:?}")),
        };
        if let Err(message) = step {
            eprintln!("ember-bench: {message}\n{USAGE}");
            std::process::exit(2);
        }
    }
    if let Some(id) = ops_of {
        let sizes = ember_bench::workloads::Sizes::scaled(config.scale);
        match ember_bench::workloads::operations(&id, &sizes) {
            Some(ops) => println!("{ops}"),
            None => {
                eprintln!("ember-bench: no operation count for workload {id:?}");
                std::process::exit(2);
            }
        }
        return;
    }
    if let Some(retention) = h1 {
        match ember_bench::history::h1(&retention, config.scale) {
            Ok(report) => println!("{report}"),
            Err(error) => {
                eprintln!("ember-bench: H1 failed: {error}");
                std::process::exit(1);
            }
        }
        return;
    }
    if m2 {
        match ember_bench::cache::m2(config.scale) {
            Ok(report) => println!("{report}"),
            Err(error) => {
                eprintln!("ember-bench: M2 failed: {error}");
                std::process::exit(1);
            }
        }
        return;
    }
    if m3 {
        match ember_bench::expiry::m3(config.scale) {
            Ok(report) => println!("{report}"),
            Err(error) => {
                eprintln!("ember-bench: M3 failed: {error}");
                std::process::exit(1);
            }
        }
        return;
    }
    if let Some(engine) = m1_engine {
        println!("{}", m1_child(&engine, config.scale));
        return;
    }
    if cfg!(debug_assertions) {
        eprintln!("ember-bench: warning: debug build; use `cargo run --release -p ember-bench`");
    }
    eprintln!("ember-bench: scale {} (nproc {})", config.scale, nproc());
    let measurements = run(&config);
    print!("{}", report::format_table(&measurements));
    report_waits();
}

/// Says after the table how the waits for a quiet machine ended (`settle.rs`).
fn report_waits() {
    let counts = ember_bench::settle::wait_counts();
    if counts.quiet + counts.timed_out > 0 {
        let busy = if counts.timed_out > 0 {
            " (the machine was busy: figures are less reliable)"
        } else {
            ""
        };
        eprintln!(
            "ember-bench: {} timed turns started on a quiet machine, {} after waiting {} s \
             for one{busy}",
            counts.quiet,
            counts.timed_out,
            ember_bench::settle::SETTLE_MAX.as_secs()
        );
    }
    if counts.unreadable > 0 {
        eprintln!(
            "ember-bench: /proc/stat could not be read: {} timed turns started without \
             waiting for a quiet machine",
            counts.unreadable
        );
    }
}

fn nproc() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}
