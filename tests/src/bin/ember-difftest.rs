//! `ember-difftest [--modern | --features] [--seed N] [--queries N] [--per-case N]`: runs
//! random queries on EmberDB and SQLite plus the TLP and NoREC oracles (see
//! `ember_tests::difftest`), or with `--modern` the CTEs, window functions, join forms,
//! upserts and RETURNING of `difftest::modern`, or with `--features` the triggers,
//! generated columns, row values, transactional DDL and catalog of `difftest::features`;
//! prints the seed, the counts and every mismatch with a reproducer.
//! Exits 1 when a mismatch was found.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut seed = None;
    let mut queries = 10_000u64;
    let mut per_case = 200u64;
    let mut mode = "";
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--modern" || flag == "--features" {
            mode = if flag == "--modern" {
                "--modern "
            } else {
                "--features "
            };
            continue;
        }
        let value = args.next().and_then(|v| v.parse::<u64>().ok());
        match (flag.as_str(), value) {
            ("--seed", Some(v)) => seed = Some(v),
            ("--queries", Some(v)) => queries = v,
            ("--per-case", Some(v)) if v > 0 => per_case = v,
            _ => {
                eprintln!(
                    "usage: ember-difftest [--modern | --features] [--seed N] [--queries N] \
                     [--per-case N]"
                );
                return ExitCode::from(2);
            }
        }
    }
    let seed = seed.unwrap_or_else(|| {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        now.map(|d| d.as_nanos() as u64).unwrap_or(1)
    });
    println!("ember-difftest {mode}--seed {seed} --queries {queries} --per-case {per_case}");
    let started = std::time::Instant::now();
    let (stats, mismatches) = match mode {
        "--modern " => ember_tests::difftest::run_modern(seed, queries, per_case),
        "--features " => ember_tests::difftest::run_features(seed, queries, per_case),
        _ => ember_tests::difftest::run(seed, queries, per_case),
    };
    for mismatch in &mismatches {
        println!("{mismatch}\n");
    }
    println!(
        "queries {} (both answered {}, both errored {}), known differences {:?}, \
         TLP checks {}, NoREC checks {}, mismatches {}, {:.1} s",
        stats.queries,
        stats.both_answered,
        stats.both_errored,
        stats.known_differences,
        stats.tlp_checks,
        stats.norec_checks,
        mismatches.len(),
        started.elapsed().as_secs_f64()
    );
    if mismatches.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
