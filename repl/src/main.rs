//! The `ember` binary: parses the command line and runs the shell, either on a script read
//! from a pipe (sqlite3 list mode, errors on stderr, non-zero exit if any statement failed),
//! on one `-c` string, or interactively with rustyline.

mod args;
mod output;
mod shell;

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use args::Command;

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let command = match args::parse(&arguments) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("Error: {message}");
            eprintln!("{}", args::USAGE);
            return ExitCode::from(2);
        }
    };
    match command {
        Command::Help => {
            println!("{}", args::USAGE);
            ExitCode::SUCCESS
        }
        Command::Version => {
            println!("ember {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Command::Run { sql } => {
            let mut shell = shell::Shell::new(ember::Database::in_memory());
            if let Some(sql) = sql {
                return exit_code(shell.run_script(&sql));
            }
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                shell.interactive()
            } else {
                let mut script = String::new();
                if let Err(error) = stdin.lock().read_to_string(&mut script) {
                    eprintln!("Error: cannot read standard input: {error}");
                    return ExitCode::FAILURE;
                }
                exit_code(shell.run_script(&script))
            }
        }
    }
}

fn exit_code(all_succeeded: bool) -> ExitCode {
    if all_succeeded {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
