//! Command-line arguments: `ember [DIR] [SQL]`, `-c SQL`, `--salvage`, `--readonly`,
//! `--at-snapshot N`, `--keep-snapshots N`, `--help`, `--version`, and sqlite3's own flags
//! (`-csv`, `-json`, `-box`, `-line`, ... `-header`, `-noheader`, `-cmd`, `-bail`, `-echo`,
//! `-readonly`), with one dash or two.

use crate::output::Mode;

pub const USAGE: &str = "\
Usage: ember [OPTIONS] [DIR] [SQL]

Starts an EmberDB shell. Without DIR (or with :memory:) the database is in memory and gone
on exit; DIR opens (or creates) a directory database. With SQL (or -c SQL), runs it and
exits. With standard input not a terminal, reads and runs it as a script (sqlite3 list mode).

Options:
  -c SQL          run SQL and exit
  --salvage       open a damaged DIR anyway: keep what precedes the damage, print what
                  was dropped, and first copy the damaged files into DIR/salvage-<time>
  --readonly      open DIR without writing to it (writes fail)
  --at-snapshot N open DIR read-only as of its checkpoint snapshot of commit N (see
                  .snapshots); the WAL after it is not replayed
  --keep-snapshots N
                  keep the newest N checkpoint snapshots of DIR (default 1)
  -readonly       as --readonly
  -csv -json -box -line -list -table -markdown -column -quote -html -ascii -tabs
                  the output mode (as .mode)
  -header, -noheader
                  column names on or off (as .headers)
  -cmd COMMAND    run COMMAND (SQL or a dot-command) before the input
  -bail           stop at the first error
  -echo           print each command before running it
  -h, --help      print this help
  -V, --version   print the version";

#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Help,
    Version,
    Run {
        dir: Option<String>,
        sql: Option<String>,
        open: OpenFlags,
        shell: ShellFlags,
    },
}

/// sqlite3's flags for the session: output mode and headers, commands to run first, stop at
/// the first error, echo each command.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ShellFlags {
    pub mode: Option<Mode>,
    pub headers: Option<bool>,
    /// `-cmd COMMAND`, in order.
    pub commands: Vec<String>,
    pub bail: bool,
    pub echo: bool,
}

/// Commands `-cmd` may give, at most (input bound).
const COMMANDS_MAX: usize = 64;

impl ShellFlags {
    /// Takes one of sqlite3's session flags (`-csv`, `-header`, `-cmd X`, ...), written with
    /// one dash or two; `Ok(false)` for any other argument.
    fn take<'a>(
        &mut self,
        argument: &str,
        mut value: impl FnMut() -> Option<&'a String>,
    ) -> Result<bool, String> {
        let Some(name) = argument.strip_prefix("--").or(argument.strip_prefix('-')) else {
            return Ok(false);
        };
        match name {
            "header" | "headers" => self.headers = Some(true),
            "noheader" | "noheaders" => self.headers = Some(false),
            "bail" => self.bail = true,
            "echo" => self.echo = true,
            "cmd" => {
                let command = value().ok_or("-cmd needs a command")?;
                if self.commands.len() == COMMANDS_MAX {
                    return Err(format!("at most {COMMANDS_MAX} -cmd commands"));
                }
                self.commands.push(command.clone());
            }
            "tabs" => self.mode = Some(Mode::Tsv),
            other => match Mode::parse(other).filter(|mode| *mode != Mode::Insert) {
                Some(mode) => self.mode = Some(mode),
                None => return Ok(false),
            },
        }
        Ok(true)
    }
}

/// How a directory database is opened (`--salvage`, `--readonly`; also `.open`'s flags).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct OpenFlags {
    pub salvage: bool,
    pub read_only: bool,
    /// `--at-snapshot N`: open read-only at the snapshot of commit N.
    pub at_snapshot: Option<u64>,
    /// `--keep-snapshots N`.
    pub keep_snapshots: Option<u64>,
}

impl OpenFlags {
    /// Takes `--salvage` or `--readonly`; returns false for any other argument.
    pub fn take(&mut self, argument: &str) -> bool {
        match argument {
            "--salvage" => self.salvage = true,
            "--readonly" | "--read-only" | "-readonly" => self.read_only = true,
            _ => return false,
        }
        true
    }

    /// Takes `--at-snapshot N` or `--keep-snapshots N` (N from `value`); `Ok(false)` for
    /// any other option.
    pub fn take_valued(&mut self, argument: &str, value: Option<&String>) -> Result<bool, String> {
        let slot = match argument {
            "--at-snapshot" => &mut self.at_snapshot,
            "--keep-snapshots" => &mut self.keep_snapshots,
            _ => return Ok(false),
        };
        let value = value.ok_or(format!("{argument} needs a number"))?;
        let n = value
            .parse()
            .map_err(|_| format!("{argument} needs a whole number, not {value}"))?;
        *slot = Some(n);
        Ok(true)
    }
}

/// Whether a positional argument is SQL rather than a directory: it has a space or `;`.
fn looks_like_sql(argument: &str) -> bool {
    argument.contains([' ', ';', '\n', '\t'])
}

pub fn parse(arguments: &[String]) -> Result<Command, String> {
    let mut sql = None;
    let mut dir = None;
    let mut open = OpenFlags::default();
    let mut shell = ShellFlags::default();
    let mut iter = arguments.iter();
    while let Some(argument) = iter.next() {
        if open.take(argument) || shell.take(argument, || iter.next())? {
            continue;
        }
        if matches!(argument.as_str(), "--at-snapshot" | "--keep-snapshots") {
            open.take_valued(argument, iter.next())?;
            continue;
        }
        match argument.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "-c" => {
                if sql.is_some() {
                    return Err("only one SQL argument is allowed".to_string());
                }
                let text = iter.next().ok_or("-c needs an SQL argument")?;
                sql = Some(text.clone());
            }
            other if other.starts_with('-') => return Err(format!("unknown option {other}")),
            other => {
                if dir.is_none() && sql.is_none() && !looks_like_sql(other) {
                    dir = Some(other.to_string());
                } else if sql.is_none() {
                    sql = Some(other.to_string());
                } else {
                    return Err(format!("unexpected argument {other}"));
                }
            }
        }
    }
    let directory_only = open.salvage || open.read_only;
    if (directory_only || open.at_snapshot.is_some() || open.keep_snapshots.is_some())
        && dir.is_none()
    {
        return Err(
            "--salvage, --readonly, --at-snapshot and --keep-snapshots need a directory \
             database (DIR)"
                .to_string(),
        );
    }
    Ok(Command::Run {
        dir,
        sql,
        open,
        shell,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_strs(arguments: &[&str]) -> Result<Command, String> {
        parse(&arguments.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    fn run(dir: Option<&str>, sql: Option<&str>) -> Command {
        Command::Run {
            dir: dir.map(str::to_string),
            sql: sql.map(str::to_string),
            open: OpenFlags::default(),
            shell: ShellFlags::default(),
        }
    }

    #[test]
    fn forms() {
        assert_eq!(parse_strs(&[]).unwrap(), run(None, None));
        assert_eq!(
            parse_strs(&["-c", "SELECT 1"]).unwrap(),
            run(None, Some("SELECT 1"))
        );
        assert_eq!(
            parse_strs(&["SELECT 1"]).unwrap(),
            run(None, Some("SELECT 1"))
        );
        assert_eq!(parse_strs(&["data"]).unwrap(), run(Some("data"), None));
        assert_eq!(
            parse_strs(&["data", "SELECT 1;"]).unwrap(),
            run(Some("data"), Some("SELECT 1;"))
        );
        assert_eq!(
            parse_strs(&["data", "-c", "SELECT 1"]).unwrap(),
            run(Some("data"), Some("SELECT 1"))
        );
        assert_eq!(parse_strs(&["--help"]).unwrap(), Command::Help);
        assert!(parse_strs(&["-c"]).is_err());
        assert!(parse_strs(&["--bogus"]).is_err());
        assert!(parse_strs(&["a", "SELECT 1", "SELECT 2"]).is_err());
        assert_eq!(
            parse_strs(&["--salvage", "data"]).unwrap(),
            Command::Run {
                dir: Some("data".into()),
                sql: None,
                open: OpenFlags {
                    salvage: true,
                    ..OpenFlags::default()
                },
                shell: ShellFlags::default(),
            }
        );
        assert!(parse_strs(&["--readonly"]).is_err(), "needs DIR");
        assert_eq!(
            parse_strs(&["--at-snapshot", "7", "--keep-snapshots", "2", "data"]).unwrap(),
            Command::Run {
                dir: Some("data".into()),
                sql: None,
                open: OpenFlags {
                    at_snapshot: Some(7),
                    keep_snapshots: Some(2),
                    ..OpenFlags::default()
                },
                shell: ShellFlags::default(),
            }
        );
        assert!(parse_strs(&["--at-snapshot", "x", "data"]).is_err());
        assert!(parse_strs(&["--at-snapshot", "7"]).is_err(), "needs DIR");
    }

    #[test]
    fn sqlite3_flags() {
        let parsed = parse_strs(&[
            "-csv",
            "--header",
            "-cmd",
            ".nullvalue -",
            "-cmd",
            "SELECT 1",
            "-bail",
            "-echo",
            "-readonly",
            "data",
            "SELECT 2",
        ])
        .unwrap();
        assert_eq!(
            parsed,
            Command::Run {
                dir: Some("data".into()),
                sql: Some("SELECT 2".into()),
                open: OpenFlags {
                    read_only: true,
                    ..OpenFlags::default()
                },
                shell: ShellFlags {
                    mode: Some(Mode::Csv),
                    headers: Some(true),
                    commands: vec![".nullvalue -".into(), "SELECT 1".into()],
                    bail: true,
                    echo: true,
                },
            }
        );
        for (flag, mode) in [
            ("-json", Mode::Json),
            ("-box", Mode::Box),
            ("-line", Mode::Line),
            ("--column", Mode::Column),
            ("-tabs", Mode::Tsv),
            ("-html", Mode::Html),
        ] {
            let Command::Run { shell, .. } = parse_strs(&[flag]).unwrap() else {
                panic!("{flag}");
            };
            assert_eq!(shell.mode, Some(mode), "{flag}");
        }
        let Command::Run { shell, .. } = parse_strs(&["-noheader"]).unwrap() else {
            panic!("-noheader");
        };
        assert_eq!(shell.headers, Some(false));
        assert!(parse_strs(&["-cmd"]).is_err());
        assert!(
            parse_strs(&["-insert"]).is_err(),
            "insert mode needs .mode insert TABLE"
        );
        assert!(parse_strs(&["-bogus"]).is_err());
    }
}
