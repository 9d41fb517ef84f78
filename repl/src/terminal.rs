//! The terminal through `stty`: its width, for fitting box output (`$COLUMNS` when set, else
//! `stty size` on the controlling terminal, else 100), and `QuietKeys`, which keeps typed
//! keys out of a progress line.

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

/// While alive, the terminal on standard input neither echoes typed keys nor holds them for
/// a whole line (`stty -echo -icanon`; Ctrl-C still interrupts): keys typed during a long
/// `.import` stay queued for the next prompt instead of being echoed into its progress
/// line. The settings saved at the start (`stty -g`) come back on drop, without discarding
/// queued input. Does nothing when standard input is not a terminal.
pub struct QuietKeys {
    saved: Option<String>,
}

impl QuietKeys {
    pub fn new() -> QuietKeys {
        let saved = stty(&["-g"]).filter(|settings| !settings.is_empty());
        if saved.is_some() {
            stty(&["-echo", "-icanon"]);
        }
        QuietKeys { saved }
    }
}

impl Drop for QuietKeys {
    fn drop(&mut self) {
        if let Some(saved) = &self.saved {
            stty(&[saved.as_str()]);
        }
    }
}

/// Runs `stty ARGS` on our standard input; its output, trimmed, when it succeeded.
fn stty(args: &[&str]) -> Option<String> {
    let output = Command::new("stty")
        .args(args)
        .stdin(Stdio::inherit())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    Some(String::from_utf8(output.stdout).ok()?.trim().to_string())
}
