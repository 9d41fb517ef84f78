//! The shell: runs scripts statement by statement (an error in one does not stop the rest,
//! as in sqlite3) and drives the interactive rustyline loop.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use ember::script::{is_blank, is_complete, split_statements};
use ember::{Connection, Database};
use rustyline::error::ReadlineError;
use rustyline::DefaultEditor;

use crate::output::write_list;

pub struct Shell {
    connection: Connection,
}

impl Shell {
    pub fn new(db: Database) -> Shell {
        Shell {
            connection: db.connect(),
        }
    }

    /// Runs every statement of `script`; returns whether all succeeded.
    pub fn run_script(&mut self, script: &str) -> bool {
        let mut all_succeeded = true;
        for statement in split_statements(script) {
            all_succeeded &= self.run_statement(statement);
        }
        all_succeeded
    }

    fn run_statement(&mut self, sql: &str) -> bool {
        match self.connection.run_script(sql) {
            Ok(outcomes) => {
                let stdout = std::io::stdout();
                let mut out = stdout.lock();
                for outcome in outcomes {
                    if let Err(error) = write_list(&mut out, &outcome.rows) {
                        eprintln!("Error: cannot write output: {error}");
                        return false;
                    }
                }
                let _ = out.flush();
                true
            }
            Err(error) => {
                eprintln!("Error: {error}");
                false
            }
        }
    }

    /// The interactive loop: statements end with `;` and may span lines.
    pub fn interactive(&mut self) -> ExitCode {
        let mut editor = match DefaultEditor::new() {
            Ok(editor) => editor,
            Err(error) => {
                eprintln!("Error: cannot start the line editor: {error}");
                return ExitCode::FAILURE;
            }
        };
        if std::io::stdout().is_terminal() {
            println!("EmberDB {} (in-memory database)", env!("CARGO_PKG_VERSION"));
            println!("Enter SQL statements terminated with a \";\". Ctrl-D exits.");
        }
        let mut buffer = String::new();
        loop {
            let prompt = if buffer.is_empty() {
                "ember> "
            } else {
                "  ...> "
            };
            match editor.readline(prompt) {
                Ok(line) => {
                    if buffer.is_empty() && is_blank(&line) {
                        continue;
                    }
                    buffer.push_str(&line);
                    buffer.push('\n');
                    if is_complete(&buffer) {
                        let _ = editor.add_history_entry(buffer.trim_end());
                        let script = std::mem::take(&mut buffer);
                        self.run_script(&script);
                    }
                }
                Err(ReadlineError::Interrupted) => buffer.clear(),
                Err(ReadlineError::Eof) => return ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("Error: {error}");
                    return ExitCode::FAILURE;
                }
            }
        }
    }
}
