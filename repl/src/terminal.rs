//! The terminal's width, for fitting box output: `$COLUMNS` when set, else `stty size` on
//! the controlling terminal, else 100.

use std::process::{Command, Stdio};

const WIDTH_CHARS_DEFAULT: usize = 100;
/// Narrowest width we lay out for.
const WIDTH_CHARS_MIN: usize = 20;

pub fn width_chars() -> usize {
    let from_env = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok());
    from_env
        .or_else(stty_columns)
        .unwrap_or(WIDTH_CHARS_DEFAULT)
        .max(WIDTH_CHARS_MIN)
}

/// Columns from `stty size` (which prints "ROWS COLUMNS") run on our standard input.
fn stty_columns() -> Option<usize> {
    let output = Command::new("stty")
        .arg("size")
        .stdin(Stdio::inherit())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    text.split_whitespace().nth(1)?.parse().ok()
}
