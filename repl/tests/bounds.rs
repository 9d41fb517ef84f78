//! The shell stops long statements in script mode: `PRAGMA statement_timeout` and `.timeout`
//! end a 6-way cross join at the timeout, and Ctrl-C (SIGINT) stops the running statement
//! and the rest of the script.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const EMBER: &str = env!("CARGO_BIN_EXE_ember");

const SETUP: &str = "CREATE TABLE t(id INT PRIMARY KEY);\n\
    INSERT INTO t VALUES (1),(2),(3),(4),(5),(6),(7),(8),(9),(10),(11),(12),(13),(14),(15),\
    (16),(17),(18),(19),(20),(21),(22),(23),(24),(25),(26),(27),(28),(29),(30);\n";

const SIX_WAY: &str = "SELECT count(*) FROM t, t t2, t t3, t t4, t t5, t t6;\n";

/// Runs a script through the shell; returns (stdout, stderr, success, elapsed).
fn run(script: &str) -> (String, String, bool, Duration) {
    let started = Instant::now();
    let mut child = Command::new(EMBER)
        .env("EMBER_HISTORY", "")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        output.status.success(),
        started.elapsed(),
    )
}

#[test]
fn a_six_way_cross_join_stops_at_a_one_second_timeout_in_a_script() {
    let script = format!("{SETUP}PRAGMA statement_timeout = 1000;\n{SIX_WAY}SELECT 'after';\n");
    let (stdout, stderr, success, elapsed) = run(&script);
    assert!(!success);
    assert!(
        stderr.contains("statement timeout: ran longer than 1s"),
        "{stderr}"
    );
    assert_eq!(
        stdout, "after\n",
        "the script goes on after a timed-out statement"
    );
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}");
}

#[test]
fn dot_timeout_sets_and_shows_the_statement_timeout() {
    let script = format!("{SETUP}.timeout\n.timeout 300\n.timeout\n{SIX_WAY}");
    let (stdout, stderr, _, elapsed) = run(&script);
    assert_eq!(stdout, "statement timeout: off\nstatement timeout: 300ms\n");
    assert!(stderr.contains("statement timeout"), "{stderr}");
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}");
}

#[test]
fn ctrl_c_stops_the_running_statement_and_the_script() {
    let script = format!("{SETUP}{SIX_WAY}SELECT 'after';\n");
    let mut child = Command::new(EMBER)
        .env("EMBER_HISTORY", "")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    // Long enough for the shell to start and install its handler; the join runs for minutes.
    std::thread::sleep(Duration::from_millis(1500));
    let started = Instant::now();
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(!output.status.success());
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "",
        "the script stopped"
    );
}
