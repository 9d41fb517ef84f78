//! Dot-commands (`.help`, `.mode`, `.read`, …): one line, no `;`, as in sqlite3. Import and
//! dump have their own files; the rest is here.

use std::fs::File;
use std::io::{self, BufWriter};

use ember::Value;

use crate::output::Mode;
use crate::shell::{open_database, Shell, Target};

/// Deepest nesting of `.read` (a file that reads itself stops here).
const READ_DEPTH_MAX: usize = 16;

/// Every dot-command with its one-line help, in `.help` order.
pub const COMMANDS: &[(&str, &str)] = &[
    (
        ".backup FILE",
        "write a backup of the whole database (as of one commit) to FILE",
    ),
    (".checkpoint", "write a checkpoint of a directory database"),
    (".compact", "reclaim space (runs VACUUM)"),
    (
        ".dump [TABLE]",
        "print SQL that recreates the tables and their rows",
    ),
    (".exit [CODE]", "exit the shell"),
    (
        ".headers on|off",
        "show column names in list, csv and tsv modes",
    ),
    (".help", "show this message"),
    (
        ".import [--csv|--ascii] [--skip N] [-v] FILE TABLE",
        "import CSV; creates TABLE from the first row when absent",
    ),
    (".indexes [TABLE]", "list indexes"),
    (
        ".mode MODE [TABLE]",
        "output mode: list csv tsv box table json line markdown column quote insert html ascii",
    ),
    (
        ".maxrows [N]",
        "rows box and table modes print (0: all; no N: show it); 1000 at a terminal",
    ),
    (".nullvalue TEXT", "text shown for NULL"),
    (".once FILE", "send the next result to FILE"),
    (
        ".open [--salvage] [--readonly] DIR",
        "close this database and open DIR (no DIR: a new in-memory one)",
    ),
    (
        ".output [FILE]",
        "send results to FILE, or back to standard output",
    ),
    (".quit", "exit the shell"),
    (".read FILE", "run the SQL and dot-commands in FILE"),
    (
        ".restore FILE [DIR]",
        "load a backup: replaces this in-memory database, or rebuilds the new DIR and opens it",
    ),
    (".schema [TABLE]", "show CREATE statements"),
    (".show", "show the current settings"),
    (
        ".snapshots",
        "list the checkpoint snapshots of a directory database",
    ),
    (".stats", "memory, rows, versions, GC and WAL statistics"),
    (".tables [PATTERN]", "list tables"),
    (
        ".timeout [MS]",
        "stop statements running longer than MS milliseconds (0: never; no MS: show it); \
         unlike sqlite3's busy timeout, this is PRAGMA statement_timeout",
    ),
    (
        ".timer on|off",
        "show row count and elapsed time after each statement",
    ),
    (
        ".width [N ...]",
        "column widths in box, table and markdown modes (negative: right-aligned; 0: auto)",
    ),
];

/// The command names alone (`.help`, `.mode`, …), for completion.
pub fn command_names() -> impl Iterator<Item = &'static str> {
    COMMANDS
        .iter()
        .map(|(usage, _)| usage.split(' ').next().unwrap_or(usage))
}

/// Splits a dot-command line into words; single or double quotes group words.
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(&ch) = chars.peek() {
        if ch.is_whitespace() {
            chars.next();
            continue;
        }
        let mut word = String::new();
        if ch == '"' || ch == '\'' {
            chars.next();
            for c in chars.by_ref() {
                if c == ch {
                    break;
                }
                word.push(c);
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                word.push(c);
                chars.next();
            }
        }
        words.push(word);
    }
    words
}

fn on_off(value: Option<&String>) -> Result<bool, String> {
    match value.map(|v| v.to_ascii_lowercase()).as_deref() {
        Some("on" | "yes" | "true" | "1") => Ok(true),
        Some("off" | "no" | "false" | "0") => Ok(false),
        _ => Err("expected on or off".to_string()),
    }
}

impl Shell {
    /// Runs one dot-command line; returns whether it succeeded (errors go to stderr).
    pub fn run_dot_command(&mut self, line: &str) -> bool {
        let words = words(line);
        let result = match words.first() {
            Some(name) => self.dispatch(name, &words[1..]),
            None => Ok(()),
        };
        match result {
            Ok(()) => true,
            Err(message) => {
                eprintln!("Error: {message}");
                false
            }
        }
    }

    fn dispatch(&mut self, name: &str, args: &[String]) -> Result<(), String> {
        match name {
            ".help" => self.help(),
            ".quit" | ".exit" | ".q" => {
                self.quit_requested = true;
                Ok(())
            }
            ".tables" => self.tables(args.first().map(String::as_str)),
            ".schema" => self.schema(args.first().map(String::as_str)),
            ".indexes" | ".indices" => self.indexes(args.first().map(String::as_str)),
            ".mode" => self.set_mode(args),
            ".headers" | ".header" => {
                self.settings.headers = on_off(args.first())?;
                Ok(())
            }
            ".nullvalue" => {
                self.settings.null_text = args.first().cloned().unwrap_or_default();
                Ok(())
            }
            ".maxrows" => self.max_rows(args.first().map(String::as_str)),
            ".timer" => {
                self.timer = on_off(args.first())?;
                Ok(())
            }
            ".timeout" => self.timeout(args.first().map(String::as_str)),
            ".read" => self.read(args.first().ok_or("usage: .read FILE")?),
            ".import" => self.import(&crate::import::ImportRequest::parse(args)?),
            ".output" => self.redirect(args.first(), false),
            ".once" => self.redirect(Some(args.first().ok_or("usage: .once FILE")?), true),
            ".dump" => self.dump_command(args.first().map(String::as_str)),
            ".open" => self.open(args),
            ".show" => self.show(),
            ".width" => self.width(args),
            ".stats" => self.stats(),
            ".backup" => self.backup(args),
            ".restore" => self.restore(args),
            ".snapshots" => self.snapshots(),
            ".checkpoint" => {
                self.system_statement(".checkpoint", "CHECKPOINT")?;
                self.confirm("Checkpoint written.")
            }
            ".compact" => self.system_statement(".compact", "VACUUM"),
            other => Err(format!("unknown command {other}; enter .help for the list")),
        }
    }

    fn help(&mut self) -> Result<(), String> {
        let mut text = String::new();
        for (usage, about) in COMMANDS {
            text.push_str(&format!("{usage:<20} {about}\n"));
        }
        text.push_str("SQL statements end with ';' and may span lines.\n");
        self.print(&text)
    }

    /// `.mode MODE` (`.mode insert [TABLE]`). Column mode turns headers on, as sqlite3's does.
    fn set_mode(&mut self, args: &[String]) -> Result<(), String> {
        let usage = || format!("usage: .mode MODE, MODE one of: {}", Mode::NAMES.join(" "));
        let (name, table) = match args {
            [name] => (name, None),
            [name, table] if name.eq_ignore_ascii_case("insert") => (name, Some(table)),
            _ => return Err(usage()),
        };
        let mode = Mode::parse(name).ok_or_else(|| format!("unknown mode {name}; {}", usage()))?;
        self.settings.mode = mode;
        if mode == Mode::Insert {
            self.settings.insert_table = table
                .cloned()
                .unwrap_or_else(|| crate::output::DEFAULT_INSERT_TABLE.to_string());
        }
        if mode == Mode::Column {
            self.settings.headers = true;
        }
        Ok(())
    }

    /// Writes text to the current output target.
    pub fn print(&mut self, text: &str) -> Result<(), String> {
        let out = self.out();
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|error| format!("cannot write output: {error}"))?;
        self.statement_done();
        Ok(())
    }

    fn tables(&mut self, pattern: Option<&str>) -> Result<(), String> {
        let catalog = self.db.catalog();
        // Tables and views, as sqlite3's `.tables` lists them: the connection's temporary
        // ones as `temp.name`, sorted with the others.
        let listed = |catalog: &ember::catalog::Catalog, prefix: &str| -> Vec<String> {
            catalog
                .tables()
                .iter()
                .map(|table| table.name.clone())
                .filter(|name| !name.eq_ignore_ascii_case(ember::catalog::HEADER_TABLE))
                .chain(catalog.views().iter().map(|view| view.name.clone()))
                .filter(|name| pattern.is_none_or(|p| like(p, name)))
                .map(|name| format!("{prefix}{name}"))
                .collect()
        };
        let mut names = listed(&catalog, "");
        if let Some(temp) = self.connection.temp_catalog() {
            names.extend(listed(&temp, "temp."));
        }
        names.sort();
        let mut text = names.join("  ");
        if !text.is_empty() {
            text.push('\n');
        }
        self.print(&text)
    }

    fn schema(&mut self, table: Option<&str>) -> Result<(), String> {
        let catalog = self.db.catalog();
        let mut text = String::new();
        schema_text(&catalog, table, "", &mut text);
        // Triggers last, in creation order; `.schema t` shows the triggers on `t`.
        for trigger in catalog.triggers() {
            if table.is_none_or(|name| like(name, &trigger.table)) {
                text.push_str(&trigger.sql);
                text.push_str(";\n");
            }
        }
        // The connection's temporary objects after, named `temp.name` as sqlite3 shows them.
        if let Some(temp) = self.connection.temp_catalog() {
            schema_text(&temp, table, "temp.", &mut text);
        }
        self.print(&text)
    }

    /// Index names (of tables matching `table`, a LIKE pattern), from `ember_indexes`.
    fn indexes(&mut self, table: Option<&str>) -> Result<(), String> {
        let rows = self
            .connection
            .query("SELECT name, table_name FROM ember_indexes", ())
            .map_err(|error| format!(".indexes is not available in this build ({error})"))?;
        let mut names: Vec<String> = rows
            .into_values()
            .into_iter()
            .filter_map(|row| match (&row[0], &row[1]) {
                (Value::Text(name), Value::Text(owner))
                    if table.is_none_or(|pattern| like(pattern, owner)) =>
                {
                    Some(name.clone())
                }
                _ => None,
            })
            .collect();
        names.sort();
        let mut text = names.join("  ");
        if !text.is_empty() {
            text.push('\n');
        }
        self.print(&text)
    }

    /// Runs a query over a system table the engine provides; a clear error when it does not.
    /// Prints a system table's rows; with `skip_empty`, an empty result prints nothing (an
    /// in-memory database has no `ember_durability` row).
    pub fn system_query(
        &mut self,
        command: &str,
        sql: &str,
        skip_empty: bool,
    ) -> Result<(), String> {
        let rows = self
            .connection
            .query(sql, ())
            .map_err(|error| format!("{command} is not available in this build ({error})"))?;
        if skip_empty && rows.is_empty() {
            return Ok(());
        }
        let columns = rows.columns().to_vec();
        let values = rows.into_values();
        let settings = self.settings.clone();
        let out = self.out();
        crate::output::write_result(out, &settings, &columns, &values)
            .and_then(|()| out.flush())
            .map_err(|error| format!("cannot write output: {error}"))?;
        self.statement_done();
        Ok(())
    }

    fn system_statement(&mut self, command: &str, sql: &str) -> Result<(), String> {
        self.connection
            .execute(sql, ())
            .map(|_| ())
            .map_err(|error| format!("{command} is not available in this build ({error})"))
    }

    fn read(&mut self, path: &str) -> Result<(), String> {
        if self.read_depth >= READ_DEPTH_MAX {
            return Err(format!(".read nested deeper than {READ_DEPTH_MAX} files"));
        }
        let script = std::fs::read_to_string(path)
            .map_err(|error| format!("cannot read {path}: {error}"))?;
        self.read_depth += 1;
        let all_succeeded = self.run_script(&script);
        self.read_depth -= 1;
        if all_succeeded {
            Ok(())
        } else {
            Err(format!("{path}: some statements failed"))
        }
    }

    fn redirect(&mut self, path: Option<&String>, once: bool) -> Result<(), String> {
        let _ = self.out().flush();
        match path.map(String::as_str) {
            None | Some("stdout") | Some("-") => self.target = Target::Stdout(io::stdout()),
            Some(path) => {
                let file =
                    File::create(path).map_err(|error| format!("cannot open {path}: {error}"))?;
                self.target = Target::File {
                    writer: BufWriter::new(file),
                    once,
                };
            }
        }
        Ok(())
    }

    /// `.maxrows [N]`: the display row limit of box and table modes (0 lifts it).
    fn max_rows(&mut self, rows: Option<&str>) -> Result<(), String> {
        let Some(rows) = rows else {
            let shown = match self.settings.max_rows {
                usize::MAX => "0 (all rows)".to_string(),
                n => n.to_string(),
            };
            println!("maxrows: {shown}");
            return Ok(());
        };
        let rows: usize = rows
            .parse()
            .map_err(|_| format!("usage: .maxrows N (a row count, 0 for all), not {rows:?}"))?;
        self.settings.max_rows = if rows == 0 { usize::MAX } else { rows };
        Ok(())
    }

    fn timeout(&mut self, ms: Option<&str>) -> Result<(), String> {
        let Some(ms) = ms else {
            let shown = self
                .connection
                .statement_timeout()
                .map_or("off".to_string(), ember::exec::format_duration);
            let out = self.out();
            return writeln!(out, "statement timeout: {shown}").map_err(|e| e.to_string());
        };
        let ms: u64 = ms
            .parse()
            .map_err(|_| format!(".timeout takes milliseconds, not {ms}"))?;
        let timeout = (ms > 0).then(|| std::time::Duration::from_millis(ms));
        self.connection.set_statement_timeout(timeout);
        Ok(())
    }

    fn open(&mut self, args: &[String]) -> Result<(), String> {
        let mut flags = crate::args::OpenFlags::default();
        let mut dir = None;
        for arg in args {
            if flags.take(arg) {
                continue;
            }
            if arg.starts_with("--") || dir.is_some() {
                return Err(format!(
                    "usage: .open [--salvage] [--readonly] DIR ({arg}?)"
                ));
            }
            dir = Some(arg.as_str());
        }
        let dir = dir.filter(|dir| *dir != ember::IN_MEMORY_PATH);
        let db = open_database(dir, flags)?;
        let timeout = self.connection.statement_timeout();
        self.connection = db.connect();
        self.connection.set_statement_timeout(timeout);
        self.db = db;
        self.location = dir.map(str::to_string);
        match dir {
            Some(dir) => self.confirm(&format!("Opened {dir}.")),
            None => self.confirm("Opened a new transient in-memory database."),
        }
    }

    /// A one-line confirmation of a dot-command, at a terminal only: scripts print what
    /// sqlite3 prints (nothing).
    pub fn confirm(&mut self, text: &str) -> Result<(), String> {
        if !self.interactive {
            return Ok(());
        }
        self.print(&format!("{text}\n"))
    }
}

/// SQL LIKE with `%` and `_`, case-insensitive, for `.tables PATTERN` / `.schema PATTERN`.
pub fn like(pattern: &str, text: &str) -> bool {
    fn matches(pattern: &[char], text: &[char]) -> bool {
        match pattern.split_first() {
            None => text.is_empty(),
            Some(('%', rest)) => (0..=text.len()).any(|skip| matches(rest, &text[skip..])),
            Some((p, rest)) => text.split_first().is_some_and(|(t, text_rest)| {
                (*p == '_' || p.eq_ignore_ascii_case(t)) && matches(rest, text_rest)
            }),
        }
    }
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    matches(&pattern, &text)
}

/// The CREATE statements of `catalog`'s tables (by name, each with its indexes) and views
/// (in creation order) whose names match `pattern`, each object's name prefixed with
/// `schema` (`temp.`, as sqlite3 shows a temporary object; empty for `main`).
fn schema_text(
    catalog: &ember::catalog::Catalog,
    pattern: Option<&str>,
    schema: &str,
    text: &mut String,
) {
    let mut tables = catalog.tables();
    tables.retain(|def| !def.name.eq_ignore_ascii_case(ember::catalog::HEADER_TABLE));
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    let mut push = |sql: &str| {
        text.push_str(&with_schema(sql, schema));
        text.push_str(";\n");
    };
    for def in tables {
        if pattern.is_none_or(|name| like(name, &def.name)) {
            push(&def.sql);
            for sql in def.indexes.iter().filter_map(|index| index.sql.as_ref()) {
                push(sql);
            }
        }
    }
    // Views after every table, in creation order: a view over a view follows it.
    for view in catalog.views() {
        if pattern.is_none_or(|name| like(name, &view.name)) {
            push(&view.sql);
        }
    }
}

/// `sql` (a stored CREATE TABLE, INDEX or VIEW text) with `schema` before the object's
/// name: `CREATE TABLE temp.t(..)`.
fn with_schema(sql: &str, schema: &str) -> String {
    const HEADS: [&str; 4] = [
        "CREATE TABLE ",
        "CREATE UNIQUE INDEX ",
        "CREATE INDEX ",
        "CREATE VIEW ",
    ];
    let head = HEADS.iter().find(|head| {
        sql.get(..head.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(head))
    });
    match head {
        Some(head) if !schema.is_empty() => {
            format!("{}{schema}{}", &sql[..head.len()], &sql[head.len()..])
        }
        _ => sql.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::Settings;

    #[test]
    fn temp_objects_are_shown_in_their_schema() {
        assert_eq!(
            with_schema("CREATE TABLE t(a)", "temp."),
            "CREATE TABLE temp.t(a)"
        );
        assert_eq!(
            with_schema("CREATE UNIQUE INDEX i ON t(a)", "temp."),
            "CREATE UNIQUE INDEX temp.i ON t(a)"
        );
        assert_eq!(
            with_schema("CREATE VIEW v AS SELECT 1", ""),
            "CREATE VIEW v AS SELECT 1"
        );
    }

    #[test]
    fn words_and_quotes() {
        assert_eq!(
            words(".import 'my file.csv' t"),
            [".import", "my file.csv", "t"]
        );
        assert_eq!(words("  .mode   box "), [".mode", "box"]);
    }

    #[test]
    fn like_patterns() {
        assert!(like("us%", "users"));
        assert!(like("USERS", "users"));
        assert!(like("u_ers", "users"));
        assert!(!like("x%", "users"));
    }

    #[test]
    fn settings_commands() {
        let db = ember::Database::in_memory();
        let mut shell = Shell::new(db, None, Settings::piped());
        assert!(shell.run_dot_command(".mode box"));
        assert_eq!(shell.settings.mode, Mode::Box);
        assert!(!shell.run_dot_command(".mode nope"));
        assert!(shell.run_dot_command(".headers on"));
        assert!(shell.settings.headers);
        assert!(!shell.run_dot_command(".headers maybe"));
        assert!(!shell.run_dot_command(".bogus"));
        assert!(shell.run_dot_command(".quit"));
        assert!(shell.quit_requested);
    }

    #[test]
    fn stats_works_on_an_in_memory_database() {
        let db = ember::Database::in_memory();
        let mut shell = Shell::new(db, None, Settings::piped());
        shell.dispatch(".stats", &[]).unwrap();
    }
}
