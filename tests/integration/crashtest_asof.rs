//! Short runs of the `asof` crash modes (reads of the past under SIGKILL and power loss),
//! and the check's check: a child that acknowledges each op as the commit before its own
//! must fail the `asof` mode.

use ember_tests::crash::sim_asof;

use crate::crashtest::crashtest;

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
