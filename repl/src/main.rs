//! The `ember` binary: parses the command line, opens the database (in memory, or a
//! directory) and runs the shell on a piped script (sqlite3 list mode, errors on stderr,
//! non-zero exit if any statement failed), on one SQL argument, or interactively.

mod args;
mod backup;
mod dot;
mod dump;
mod helper;
mod import;
mod interactive;
mod output;
mod shell;
mod show;
mod sigint;
mod stats;
mod terminal;

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use args::Command;
use output::{Mode, Settings};

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
    let (dir, sql, open, flags) = match command {
        Command::Help => {
            println!("{}", args::USAGE);
            return ExitCode::SUCCESS;
        }
        Command::Version => {
            println!("ember {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Command::Run {
            dir,
            sql,
            open,
            shell,
        } => (dir, sql, open, shell),
    };
    // `:memory:` names the in-memory database, as in sqlite3.
    let dir = dir.filter(|dir| dir != ember::IN_MEMORY_PATH);
    let db = match shell::open_database(dir.as_deref(), open) {
        Ok(db) => db,
        Err(message) => {
            eprintln!("Error: {message}");
            return ExitCode::FAILURE;
        }
    };
    let stdin = std::io::stdin();
    let interactive = sql.is_none() && stdin.is_terminal();
    let mut settings = if interactive && std::io::stdout().is_terminal() {
        Settings::interactive(terminal::width_chars())
    } else {
        Settings::piped()
    };
    if let Some(mode) = flags.mode {
        settings.mode = mode;
        // sqlite3's drawn modes show the names unless -noheader says otherwise (its
        // `-column` flag, unlike `.mode column`, does not turn them on).
        settings.headers |= matches!(mode, Mode::Box | Mode::Table | Mode::Markdown);
    }
    if let Some(headers) = flags.headers {
        settings.headers = headers;
    }
    let mut shell = shell::Shell::new(db, dir, settings);
    shell.bail = flags.bail;
    // `-cmd` commands run first and, as in sqlite3, are not echoed.
    for command in &flags.commands {
        let succeeded = shell.run_script(command);
        if shell.quit_requested || (!succeeded && flags.bail) {
            return exit_code(succeeded);
        }
    }
    shell.echo = flags.echo;
    if !interactive {
        // Ctrl-C stops the running statement of a script too (and the script after it).
        if let Err(error) = sigint::install() {
            eprintln!("Warning: Ctrl-C will not stop running statements: {error}");
        }
    }
    if let Some(sql) = sql {
        return exit_code(shell.run_script(&sql));
    }
    if interactive {
        shell.interactive = true;
        return interactive::run(&mut shell);
    }
    let mut script = String::new();
    if let Err(error) = stdin.lock().read_to_string(&mut script) {
        eprintln!("Error: cannot read standard input: {error}");
        return ExitCode::FAILURE;
    }
    exit_code(shell.run_script(&script))
}

fn exit_code(all_succeeded: bool) -> ExitCode {
    if all_succeeded {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
