//! A short differential run against SQLite plus the TLP and NoREC oracles (the long run is
//! the `ember-difftest` binary). Fixed seeds, so a failure replays with
//! `cargo run --release -p ember-tests --bin ember-difftest -- --seed <seed> --queries <n>`.

use ember_tests::difftest;

#[test]
fn short_differential_run_finds_no_mismatch() {
    for seed in [1, 2, 3] {
        let (stats, mismatches) = difftest::run(seed, 300, 100);
        let report: Vec<String> = mismatches.iter().map(|m| m.to_string()).collect();
        assert!(report.is_empty(), "seed {seed}:\n{}", report.join("\n\n"));
        assert_eq!(stats.queries, 300);
        assert!(stats.both_answered > 150, "{stats:?}");
        assert!(stats.tlp_checks > 0 && stats.norec_checks > 0, "{stats:?}");
    }
}

#[test]
fn short_modern_differential_run_finds_no_mismatch() {
    // CTEs (recursive too), window functions with random frames, every join form, upserts,
    // UPDATE/DELETE with RETURNING; the long run is `ember-difftest --modern`.
    for seed in [1, 2] {
        let (stats, mismatches) = difftest::run_modern(seed, 400, 200);
        let report: Vec<String> = mismatches.iter().map(|m| m.to_string()).collect();
        assert!(report.is_empty(), "seed {seed}:\n{}", report.join("\n\n"));
        assert_eq!(stats.queries, 400);
        assert!(stats.both_answered > 300, "{stats:?}");
    }
}

#[test]
fn short_features_differential_run_finds_no_mismatch() {
    // Triggers, generated columns, row values, transactional DDL and the catalog PRAGMAs;
    // the long run is `ember-difftest --features`.
    for seed in [1, 2] {
        let (stats, mismatches) = difftest::run_features(seed, 400, 200);
        let report: Vec<String> = mismatches.iter().map(|m| m.to_string()).collect();
        assert!(report.is_empty(), "seed {seed}:\n{}", report.join("\n\n"));
        assert_eq!(stats.queries, 400);
        assert!(stats.both_answered > 250, "{stats:?}");
    }
}
