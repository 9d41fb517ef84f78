//! Helpers shared by the shell's end-to-end tests: running a program with a script piped
//! to its standard input, its output as text, whether sqlite3 is there to compare with.

use std::io::Write;
use std::process::{Child, Command, Output, Stdio};

/// Starts `program` with `script` written to its standard input (which is then closed),
/// its output piped.
pub fn spawn_piped(program: &str, args: &[&str], script: &str) -> Child {
    let mut child = Command::new(program)
        .args(args)
        .env("EMBER_HISTORY", "")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start {program}: {error}"));
    let written = child.stdin.take().unwrap().write_all(script.as_bytes());
    // A program that exits before reading all its input closes the pipe; its output and exit
    // status, not the write, are what the tests check.
    if let Err(error) = written {
        assert_eq!(
            error.kind(),
            std::io::ErrorKind::BrokenPipe,
            "writing stdin: {error}"
        );
    }
    child
}

/// Runs `program` with `script` on standard input.
pub fn run_piped(program: &str, args: &[&str], script: &str) -> Output {
    spawn_piped(program, args, script)
        .wait_with_output()
        .unwrap()
}

/// Bytes of a program's output as text.
#[allow(dead_code)] // each test binary uses its own share of these helpers
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Whether sqlite3 is installed; prints a notice when not, as the comparisons with it skip.
#[allow(dead_code)]
pub fn sqlite3_installed() -> bool {
    let found = Command::new("sqlite3")
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        println!("notice: sqlite3 is not installed; skipping the comparison with it");
    }
    found
}
