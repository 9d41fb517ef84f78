//! Short runs of the `asof` crash modes (reads of the past under SIGKILL and power loss),
//! and the check's check: a child that acknowledges each op as the commit before its own
//! must fail the `asof` mode.

use ember_tests::crash::sim_asof;

/// Runs `ember-crashtest ARGS` with `EMBER_CRASHTEST_BROKEN` set to `broken` (or unset);
/// returns whether it succeeded and its stdout.
fn crashtest(args: &[&str], broken: Option<&str>) -> (bool, String) {
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
fn asof_powerloss_short() {
    let summary = sim_asof::asof_powerloss(11, 3);
    println!("{}", summary.line());
    assert!(summary.failures.is_empty(), "{:#?}", summary.failures);
    assert!(summary.cycles == 3 && summary.faults_injected == 3);
}

#[test]
fn asof_short() {
    let (ok, stdout) = crashtest(&["asof", "--seed", "5", "--cycles", "3"], None);
    assert!(ok && stdout.contains("failures 0"), "{stdout}");
}

#[test]
fn asof_catches_a_child_naming_the_wrong_commit() {
    let (ok, stdout) = crashtest(
        &["asof", "--seed", "5", "--cycles", "12"],
        Some("early-commit"),
    );
    assert!(!ok, "{stdout}");
    assert!(stdout.contains("AS OF commit"), "{stdout}");
    assert!(stdout.contains("replay: "), "{stdout}");
}
