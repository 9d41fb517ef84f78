//! Helpers shared by the shell's end-to-end tests: running a program with a script piped
//! to its standard input.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `program` with `script` on standard input.
pub fn run_piped(program: &str, args: &[&str], script: &str) -> Output {
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
    child.wait_with_output().unwrap()
}
