//! The shell: runs scripts line by line as sqlite3 does (a line starting with `.` is a
//! dot-command, other lines collect until a statement ends with `;`), runs each statement,
//! prints results in the current output mode and reports errors without stopping.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::time::Instant;

use ember::script::{is_blank, is_complete, split_statements};
use ember::{Connection, Database};

use crate::args::OpenFlags;
use crate::output::{write_result, Settings};

/// Where results go: standard output, or a file from `.output` / `.once`.
pub enum Target {
    Stdout(io::Stdout),
    File {
        writer: BufWriter<File>,
        /// `.once`: back to standard output after the next statement.
        once: bool,
    },
}

pub struct Shell {
    pub db: Database,
    pub connection: Connection,
    pub settings: Settings,
    pub timer: bool,
    /// A person is typing: errors get carets, `.import` shows progress.
    pub interactive: bool,
    pub target: Target,
    /// Nesting depth of `.read`, bounded so a file that reads itself stops.
    pub read_depth: usize,
    /// Set by `.quit` / `.exit`.
    pub quit_requested: bool,
    /// What the banner calls the database ("a transient in-memory database" or a path).
    pub location: Option<String>,
    /// While a script runs: its line (1-based) where the SQL text given to `run_sql` starts.
    script_line: Option<usize>,
    /// While a script statement runs: the script line where its text starts.
    statement_line: Option<usize>,
    /// `-bail`: a script stops at its first error.
    pub bail: bool,
    /// `-echo`: each command is printed before it runs.
    pub echo: bool,
}

/// Opens the database `ember DIR` or `.open DIR` names; `None` is a new in-memory database.
/// What recovery salvaged, and why a database opened read-only, goes to stderr.
pub fn open_database(dir: Option<&str>, flags: OpenFlags) -> Result<Database, String> {
    let Some(dir) = dir else {
        return Ok(Database::in_memory());
    };
    let mut options = ember::Options::new()
        .salvage(flags.salvage)
        .read_only(flags.read_only);
    if let Some(commit) = flags.at_snapshot {
        options = options.at_snapshot(commit);
    }
    if let Some(n) = flags.keep_snapshots {
        options = options.keep_snapshots(n);
    }
    let db = Database::open_with(dir, options).map_err(|error| {
        let hint = if error.kind() == ember::ErrorKind::Corruption {
            " (`ember --salvage DIR` or `.open --salvage DIR` opens it with what can be kept)"
        } else {
            ""
        };
        format!("cannot open {dir}: {error}{hint}")
    })?;
    if let Some(recovery) = db.durability_stats().map(|stats| stats.recovery) {
        for dropped in &recovery.salvaged {
            eprintln!("salvage dropped: {dropped}");
        }
        if let Some(copy) = &recovery.salvage_copy {
            eprintln!("salvage kept a copy of the files as they were in {copy}");
        }
        let asked_read_only = flags.read_only || flags.at_snapshot.is_some();
        if let (Some(reason), false) = (&recovery.read_only, asked_read_only) {
            eprintln!("warning: {dir} is read-only: {reason}");
        }
    }
    Ok(db)
}

impl Shell {
    pub fn new(db: Database, location: Option<String>, settings: Settings) -> Shell {
        Shell {
            connection: db.connect(),
            db,
            settings,
            timer: false,
            interactive: false,
            target: Target::Stdout(io::stdout()),
            read_depth: 0,
            quit_requested: false,
            location,
            script_line: None,
            statement_line: None,
            bail: false,
            echo: false,
        }
    }

    /// The writer results go to.
    pub fn out(&mut self) -> &mut dyn Write {
        match &mut self.target {
            Target::Stdout(stdout) => stdout,
            Target::File { writer, .. } => writer,
        }
    }

    /// Runs a script: dot-command lines and SQL statements; returns whether all succeeded.
    /// Stops early after `.quit`.
    pub fn run_script(&mut self, script: &str) -> bool {
        let mut all_succeeded = true;
        let mut buffer = String::new();
        let mut buffer_line = 1;
        for (index, line) in script.lines().enumerate() {
            if self.quit_requested {
                return all_succeeded;
            }
            if crate::sigint::take_seen() {
                eprintln!("Error: interrupted; the rest of the script was not run");
                return false;
            }
            if !all_succeeded && self.bail {
                return false;
            }
            if is_blank(&buffer) && line.starts_with('.') {
                buffer.clear();
                self.echo_command(line);
                all_succeeded &= self.run_dot_command(line);
                continue;
            }
            if buffer.is_empty() {
                buffer_line = index + 1;
            }
            buffer.push_str(line);
            buffer.push('\n');
            if is_complete(&buffer) {
                self.echo_command(&buffer);
                all_succeeded &= self.run_script_sql(&buffer, buffer_line);
                buffer.clear();
            }
        }
        let bailed = !all_succeeded && self.bail;
        if !is_blank(&buffer) && !self.quit_requested && !bailed {
            self.echo_command(&buffer);
            all_succeeded &= self.run_script_sql(&buffer, buffer_line);
        }
        all_succeeded
    }

    /// With `-echo`, prints a command's text before it runs, as sqlite3 does.
    fn echo_command(&mut self, text: &str) {
        if self.echo {
            let out = self.out();
            let _ = writeln!(out, "{}", text.trim_end());
        }
    }

    /// `run_sql` for script text starting at script line `first_line`, so errors name it.
    fn run_script_sql(&mut self, sql: &str, first_line: usize) -> bool {
        // A `.read` inside the script sets its own lines; the outer ones come back after.
        let outer = self.script_line.replace(first_line);
        let succeeded = self.run_sql(sql);
        self.script_line = outer;
        succeeded
    }

    /// Runs every statement of `sql` (an error in one does not stop the rest).
    pub fn run_sql(&mut self, sql: &str) -> bool {
        let mut all_succeeded = true;
        for statement in split_statements(sql) {
            self.statement_line = self.script_line.map(|first| {
                let offset = statement.as_ptr() as usize - sql.as_ptr() as usize;
                debug_assert!(offset <= sql.len(), "statements are slices of the script");
                first + sql[..offset].matches('\n').count()
            });
            all_succeeded &= self.run_statement(statement);
            if !all_succeeded && self.bail {
                break;
            }
        }
        self.statement_line = None;
        all_succeeded
    }

    fn run_statement(&mut self, sql: &str) -> bool {
        let started = Instant::now();
        let handle = self.connection.interrupt_handle();
        let connection = &self.connection;
        let outcomes = crate::sigint::while_running(handle, || connection.run_script(sql));
        let outcomes = match outcomes {
            Ok(outcomes) => outcomes,
            Err(error) => {
                let syntax = error.kind() == ember::ErrorKind::Syntax;
                self.report_sql_error(sql, &error.to_string(), syntax);
                return false;
            }
        };
        let elapsed = started.elapsed();
        let settings = self.settings.clone();
        let mut written = Ok(());
        for outcome in &outcomes {
            let mut out = crate::sigint::StopOnInterrupt(self.out());
            written = written
                .and_then(|()| write_result(&mut out, &settings, &outcome.columns, &outcome.rows));
        }
        if self.timer {
            let rows: usize = outcomes
                .iter()
                .map(|o| {
                    if o.columns.is_empty() {
                        o.changes
                    } else {
                        o.rows.len()
                    }
                })
                .sum();
            let noun = if rows == 1 { "row" } else { "rows" };
            let line = format!("{rows} {noun} ({:.3} ms)", elapsed.as_secs_f64() * 1000.0);
            let out = self.out();
            written = written.and_then(|()| writeln!(out, "{line}"));
        }
        let flushed = written.and_then(|()| self.out().flush());
        self.statement_done();
        match flushed {
            Ok(()) => true,
            Err(_) if crate::sigint::seen() => {
                // The rows printed so far stay; the shell goes on at its prompt.
                let _ = self.out().write_all(b"\n");
                eprintln!("Error: {}", crate::sigint::INTERRUPTED);
                false
            }
            Err(error) => {
                eprintln!("Error: cannot write output: {error}");
                false
            }
        }
    }

    /// After each statement: a `.once` target goes back to standard output.
    pub fn statement_done(&mut self) {
        if let Target::File { once: true, writer } = &mut self.target {
            let _ = writer.flush();
            self.target = Target::Stdout(io::stdout());
        }
    }

    /// Prints an error: `Error: <message>` at a terminal; in a script, sqlite3's
    /// `Parse error near line N: <message>` (`Runtime error` when it is not a syntax error),
    /// N the line of the error when the parser gives one, else where the statement starts.
    /// Errors with a position (or at the end of the input) also get the line and a caret.
    pub fn report_sql_error(&self, sql: &str, message: &str, syntax: bool) {
        let position = error_position(message).or_else(|| end_of_input_position(sql, message));
        match self.statement_line {
            Some(first) => {
                let leading_blank_lines = sql.lines().take_while(|l| is_blank(l)).count();
                let offset = position.map_or(leading_blank_lines, |(line, _)| line - 1);
                let kind = if syntax { "Parse" } else { "Runtime" };
                // The script line is named once: the parser's own `at Line: L, Column: C`
                // (counted within the statement) is left out; the caret below shows it.
                let message = without_position(message);
                eprintln!("{kind} error near line {}: {message}", first + offset);
            }
            None => eprintln!("Error: {message}"),
        }
        if !self.interactive && self.statement_line.is_none() {
            return;
        }
        if let Some((line, column)) = position {
            if let Some(text) = sql.lines().nth(line.saturating_sub(1)) {
                let caret_at = column.saturating_sub(1).min(text.chars().count());
                eprintln!("  {text}");
                eprintln!("  {}^", " ".repeat(caret_at));
            }
        }
    }
}

/// Where an error at the end of the input points: just after the last non-blank character
/// (`found: EOF` is the parser's wording for running out of input).
pub fn end_of_input_position(sql: &str, message: &str) -> Option<(usize, usize)> {
    if !message.contains("found: EOF") {
        return None;
    }
    let (index, text) = sql
        .lines()
        .enumerate()
        .filter(|(_, text)| !is_blank(text))
        .last()?;
    Some((index + 1, text.trim_end().chars().count() + 1))
}

/// `message` without the ` at Line: L, Column: C` sqlparser appends to it.
pub fn without_position(message: &str) -> &str {
    match message.rfind(" at Line: ") {
        Some(at) if error_position(&message[at..]).is_some() => message[..at].trim_end(),
        _ => message,
    }
}

/// The `Line: L, Column: C` position sqlparser puts in its messages.
pub fn error_position(message: &str) -> Option<(usize, usize)> {
    let at = message.rfind("Line: ")?;
    let rest = &message[at + "Line: ".len()..];
    let (line, rest) = rest.split_once(", Column: ")?;
    let column: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    Some((line.trim().parse().ok()?, column.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_parser_positions() {
        assert_eq!(
            error_position("sql parser error: Expected: end, found: x at Line: 2, Column: 15"),
            Some((2, 15))
        );
        assert_eq!(error_position("no such table: t"), None);
    }

    #[test]
    fn script_errors_drop_the_parsers_own_position() {
        assert_eq!(
            without_position("sql parser error: Expected: end, found: x at Line: 2, Column: 15"),
            "sql parser error: Expected: end, found: x"
        );
        assert_eq!(without_position("no such table: t"), "no such table: t");
        assert_eq!(
            without_position("no such column: at Line: x"),
            "no such column: at Line: x"
        );
    }

    #[test]
    fn end_of_input_errors_point_after_the_last_character() {
        let message = "syntax error: Expected: an expression, found: EOF";
        assert_eq!(
            end_of_input_position("SELECT\n  1 +  \n\n", message),
            Some((2, 6))
        );
        assert_eq!(
            end_of_input_position("SELECT 1 +", "no such table: t"),
            None
        );
    }

    #[test]
    fn unopenable_directory_gives_a_clear_error() {
        let file = std::env::temp_dir().join(format!("ember-not-a-dir-{}", std::process::id()));
        std::fs::write(&file, b"x").unwrap();
        let error = open_database(Some(file.to_str().unwrap()), OpenFlags::default())
            .err()
            .unwrap();
        assert!(error.starts_with("cannot open"), "{error}");
        std::fs::remove_file(&file).unwrap();
        assert!(open_database(None, OpenFlags::default()).is_ok());
    }
}
