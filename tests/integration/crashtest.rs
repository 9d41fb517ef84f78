//! A short run of every `ember-crashtest` mode, so `cargo test` exercises the crash harness
//! (the long run is `ember-crashtest all --cycles 200`).

use ember_tests::crash::{
    damage_modes, group_modes, prefix_modes, sim_backup, sim_ddl, sim_evict, sim_modes, sim_ttl,
    Summary,
};

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
fn backup_powerloss_short() {
    check(sim_backup::backup_powerloss(10, 3));
}

#[test]
fn ttl_powerloss_short() {
    check(sim_ttl::ttl_powerloss(9, 3));
}

#[test]
fn ddl_powerloss_short() {
    check(sim_ddl::ddl_powerloss(11, 3));
}

#[test]
fn evict_powerloss_short() {
    check(sim_evict::evict_powerloss(10, 3));
}

#[test]
fn damage_short() {
    check(damage_modes::damage(6, 2));
}

#[test]
fn salvage_prefix_short() {
    check(prefix_modes::salvage_prefix(12, 2));
}

#[test]
fn clean_tail_short() {
    check(prefix_modes::clean_tail(13, 4));
}

#[test]
fn lost_data_short() {
    check(prefix_modes::lost_data(14, 2));
}

#[test]
fn fulldisk_short() {
    check(damage_modes::fulldisk(7, 6));
}

/// Runs `ember-crashtest ARGS` (the SIGKILL modes spawn the binary itself as their child),
/// with `EMBER_CRASHTEST_BROKEN` set when `broken`; returns whether it succeeded and its
/// stdout.
pub(crate) fn crashtest(args: &[&str], broken: Option<&str>) -> (bool, String) {
    let mut command =
        std::process::Command::new(std::path::Path::new(env!("CARGO_BIN_EXE_ember-crashtest")));
    command.args(args).env_remove("EMBER_CRASHTEST_BROKEN");
    if let Some(value) = broken {
        command.env("EMBER_CRASHTEST_BROKEN", value);
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    println!("{args:?} broken {broken:?}:\n{stdout}");
    (output.status.success(), stdout)
}

#[test]
fn kill_short() {
    let (ok, stdout) = crashtest(&["kill", "--seed", "5", "--cycles", "3"], None);
    assert!(ok && stdout.contains("failures 0"), "{stdout}");
}

#[test]
fn kill_checkpoint_short() {
    let (ok, stdout) = crashtest(&["kill-checkpoint", "--seed", "5", "--cycles", "3"], None);
    assert!(ok && stdout.contains("failures 0"), "{stdout}");
}

#[test]
fn bank_short() {
    let (ok, stdout) = crashtest(&["bank", "--seed", "5", "--cycles", "3"], None);
    assert!(ok && stdout.contains("failures 0"), "{stdout}");
}

#[test]
fn serial_bank_short() {
    let (ok, stdout) = crashtest(&["serial-bank", "--seed", "5", "--cycles", "3"], None);
    assert!(ok && stdout.contains("failures 0"), "{stdout}");
}

#[test]
fn serial_bank_powerloss_short() {
    let args = ["serial-bank-powerloss", "--seed", "5", "--cycles", "4"];
    let (ok, stdout) = crashtest(&args, None);
    assert!(ok && stdout.contains("failures 0"), "{stdout}");
}

#[test]
fn backup_short() {
    let (ok, stdout) = crashtest(&["backup", "--seed", "5", "--cycles", "3"], None);
    assert!(ok && stdout.contains("failures 0"), "{stdout}");
}

#[test]
fn evict_short() {
    let (ok, stdout) = crashtest(&["evict", "--seed", "5", "--cycles", "3"], None);
    assert!(ok && stdout.contains("failures 0"), "{stdout}");
}

#[test]
fn ttl_short() {
    let (ok, stdout) = crashtest(&["ttl", "--seed", "5", "--cycles", "3"], None);
    assert!(ok && stdout.contains("failures 0"), "{stdout}");
}

/// The SIGKILL modes' own checks: a child broken on purpose (see
/// `kill_child::BROKEN`) must make the mode fail, each way with its own finding. Each run
/// stops at its first failure; 12 cycles leave room for kills that land before the child
/// committed anything.
#[test]
fn kill_modes_catch_a_broken_child() {
    let cases = [
        // Bank: an acknowledged transfer rolled back (the total alone would not show it).
        ("bank-broken", None, "is missing"),
        ("bank", Some("drop-transfer"), "is missing"),
        // Bank: a transfer's credit lost (the record is there: only the balances show it).
        ("bank", Some("half-transfer"), "the total is"),
        // Bank: a transfer committed that the child never reported attempting.
        ("bank", Some("phantom-transfer"), "never attempted"),
        (
            "kill-checkpoint",
            Some("drop-commit"),
            "commits acknowledged (commit",
        ),
        ("kill", Some("drop-commit"), "acknowledged ops found"),
        // Backup: a finished backup cut short, and one claimed to follow a commit it lacks.
        ("backup", Some("cut-backup"), "is refused as corrupt"),
        ("backup", Some("early-backup"), "holds the state of commit"),
        // TTL: deletes acknowledged but not done: the rows come back.
        ("ttl", Some("keep-deleted"), "resurrected"),
    ];
    for (mode, broken, finding) in cases {
        let (ok, stdout) = crashtest(&[mode, "--seed", "5", "--cycles", "12"], broken);
        assert!(!ok, "{mode} {broken:?}: {stdout}");
        assert!(stdout.contains(finding), "{mode} {broken:?}: {stdout}");
        assert!(stdout.contains("replay: "), "{stdout}");
    }
}

/// Runs `ember-crashtest ARGS`; returns its exit code, stdout and stderr.
fn crashtest_output(args: &[&str]) -> (Option<i32>, String, String) {
    let output =
        std::process::Command::new(std::path::Path::new(env!("CARGO_BIN_EXE_ember-crashtest")))
            .args(args)
            .env_remove("EMBER_CRASHTEST_BROKEN")
            .output()
            .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn help_prints_usage_and_succeeds() {
    for flag in ["--help", "-h"] {
        let (code, stdout, _) = crashtest_output(&[flag]);
        assert_eq!(code, Some(0), "{flag}: {stdout}");
        assert!(
            stdout.starts_with("usage: ember-crashtest MODE"),
            "{stdout}"
        );
        assert!(stdout.contains("powerloss"), "{stdout}");
    }
}

#[test]
fn an_unknown_mode_prints_usage_and_exits_2() {
    for args in [&["--helpme"][..], &["nonsense", "--cycles", "1"], &[]] {
        let (code, stdout, stderr) = crashtest_output(args);
        assert_eq!(code, Some(2), "{args:?}: {stdout} {stderr}");
        assert!(stderr.contains("usage: ember-crashtest MODE"), "{stderr}");
        assert!(!stdout.contains("failures"), "{stdout}");
    }
}
