//! A short run of every `ember-crashtest` mode, so `cargo test` exercises the crash harness
//! (the long run is `ember-crashtest all --cycles 200`).

use ember_tests::crash::{damage_modes, group_modes, sim_modes, Summary};

fn check(summary: Summary) {
    println!("{}", summary.line());
    assert!(summary.failures.is_empty(), "{:#?}", summary.failures);
    assert!(
        summary.cycles > 0 && summary.faults_injected > 0,
        "{}",
        summary.line()
    );
}

#[test]
fn powerloss_short() {
    check(sim_modes::powerloss(1, 1));
}

/// The harness's own check: with the WAL's fsyncs turned into no-ops (what deleting the
/// fsync from the commit path does), powerloss must report lost acknowledged commits.
#[test]
fn powerloss_catches_a_wal_that_is_never_fsynced() {
    let summary = sim_modes::powerloss_losing_syncs_of(1, 2, Some("wal-"));
    println!("{}", summary.line());
    assert!(!summary.failures.is_empty(), "{}", summary.line());
    assert!(
        summary.failures[0].contains("reading t failed")
            || summary.failures[0].contains("acknowledged ops")
            || summary.failures[0].contains("reopen failed"),
        "{:#?}",
        summary.failures
    );
}

#[test]
fn ioerr_short() {
    check(sim_modes::ioerr(2, 1));
}

#[test]
fn truncate_short() {
    check(sim_modes::truncate(3, 1));
}

#[test]
fn bitflip_short() {
    check(sim_modes::bitflip(4, 2));
}

#[test]
fn powerloss_group_short() {
    check(group_modes::powerloss_group(8, 20));
}

#[test]
fn damage_short() {
    check(damage_modes::damage(6, 2));
}

#[test]
fn fulldisk_short() {
    check(damage_modes::fulldisk(7, 6));
}

/// The kill modes spawn `ember-crashtest` itself as the child writer, so they run through
/// the binary.
#[test]
fn kill_and_bank_short() {
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_ember-crashtest"));
    for mode in ["kill", "bank"] {
        let output = std::process::Command::new(exe)
            .args([mode, "--seed", "5", "--cycles", "3"])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        println!("{stdout}");
        assert!(output.status.success(), "{mode}: {stdout}");
        assert!(stdout.contains("failures 0"), "{stdout}");
    }
}

/// The bank mode's own check: a child that acknowledges one transfer it rolled back must be
/// caught (the total alone would not show it: the rollback keeps it whole).
#[test]
fn bank_catches_a_lost_acknowledged_transfer() {
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_ember-crashtest"));
    let output = std::process::Command::new(exe)
        .args(["bank-broken", "--seed", "5", "--cycles", "12"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    assert!(!output.status.success(), "{stdout}");
    assert!(
        stdout.contains("acknowledged transfers are missing"),
        "{stdout}"
    );
}
