//! The interactive loop on rustyline: banner, `ember> ` / `   ...> ` prompts (statements end
//! with `;` and may span lines), history in `~/.ember_history` (one entry per statement,
//! however many lines), Ctrl-C clears the current input (and stops a running query: a SIGINT
//! handler interrupts the connection), Ctrl-D exits.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use ember::script::{is_blank, is_complete};
use rustyline::config::Config;
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{CompletionType, Editor};

use crate::helper::ShellHelper;
use crate::shell::Shell;

const PROMPT: &str = "ember> ";
const CONTINUATION_PROMPT: &str = "   ...> ";
/// Entries kept in the history file.
const HISTORY_ENTRIES_MAX: usize = 10_000;

/// `~/.ember_history` (or `$EMBER_HISTORY` when set; empty disables history).
fn history_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("EMBER_HISTORY") {
        return (!path.is_empty()).then(|| PathBuf::from(path));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".ember_history"))
}

/// Whether to colour: a terminal, `NO_COLOR` unset and `TERM` not `dumb`.
fn colour_supported() -> bool {
    std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none()
        && std::env::var("TERM").map_or(true, |term| term != "dumb")
}

/// The history entry of a completed statement: its lines as typed, without the final newline.
fn history_entry(statement: &str) -> &str {
    statement.trim_end_matches('\n')
}

pub fn run(shell: &mut Shell) -> ExitCode {
    if let Err(error) = crate::sigint::install() {
        eprintln!("Warning: Ctrl-C will not stop running queries: {error}");
    }
    let config = Config::builder()
        .history_ignore_space(true)
        .completion_type(CompletionType::List)
        .max_history_size(HISTORY_ENTRIES_MAX)
        .map(|builder| builder.build());
    let editor = config.and_then(Editor::<ShellHelper, FileHistory>::with_config);
    let mut editor = match editor {
        Ok(editor) => editor,
        Err(error) => {
            eprintln!("Error: cannot start the line editor: {error}");
            return ExitCode::FAILURE;
        }
    };
    editor.set_helper(Some(ShellHelper::new(shell.db.clone(), colour_supported())));
    let history = history_path();
    if let Some(path) = &history {
        // A missing history file is normal on first start.
        let _ = editor.load_history(path);
    }
    println!("EmberDB {}", env!("CARGO_PKG_VERSION"));
    match &shell.location {
        None => println!(
            "Connected to a transient in-memory database.\n\
             Use .open DIR to reopen on a persistent database."
        ),
        Some(dir) => println!("Connected to {dir}."),
    }
    println!("Enter .help for usage hints. Statements end with \";\"; Ctrl-D exits.");
    let mut buffer = String::new();
    let code = loop {
        let prompt = if buffer.is_empty() {
            PROMPT
        } else {
            CONTINUATION_PROMPT
        };
        match editor.readline(prompt) {
            Ok(line) => {
                if buffer.is_empty() && line.starts_with('.') {
                    let _ = editor.add_history_entry(line.as_str());
                    let handle = shell.connection.interrupt_handle();
                    crate::sigint::take_seen();
                    crate::sigint::while_running(handle, || shell.run_dot_command(&line));
                } else {
                    if buffer.is_empty() && is_blank(&line) {
                        continue;
                    }
                    buffer.push_str(&line);
                    buffer.push('\n');
                    if is_complete(&buffer) {
                        let sql = std::mem::take(&mut buffer);
                        // One history entry per statement, so a multi-line one is recalled whole.
                        let _ = editor.add_history_entry(history_entry(&sql));
                        let handle = shell.connection.interrupt_handle();
                        crate::sigint::take_seen();
                        crate::sigint::while_running(handle, || shell.run_sql(&sql));
                    }
                }
                if shell.quit_requested {
                    break ExitCode::SUCCESS;
                }
                if let Some(helper) = editor.helper_mut() {
                    helper.db = shell.db.clone();
                }
            }
            Err(ReadlineError::Interrupted) => {
                // An abandoned statement still goes to history, so it can be recalled and fixed.
                if !is_blank(&buffer) {
                    let _ = editor.add_history_entry(history_entry(&buffer));
                }
                buffer.clear();
            }
            Err(ReadlineError::Eof) => break ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("Error: {error}");
                break ExitCode::FAILURE;
            }
        }
    };
    if let Some(path) = &history {
        if let Err(error) = editor.save_history(path) {
            eprintln!(
                "Warning: cannot save history to {}: {error}",
                path.display()
            );
        }
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_is_one_history_entry() {
        assert_eq!(
            history_entry("SELECT a\nFROM t\nWHERE a > 1;\n"),
            "SELECT a\nFROM t\nWHERE a > 1;"
        );
        assert_eq!(history_entry("SELECT 1;\n"), "SELECT 1;");
    }
}
