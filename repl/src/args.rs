//! Command-line arguments: `ember [DIR] [SQL]`, `-c SQL`, `--salvage`, `--readonly`,
//! `--at-snapshot N`, `--keep-snapshots N`, `--help`, `--version`.

pub const USAGE: &str = "\
Usage: ember [OPTIONS] [DIR] [SQL]

Starts an EmberDB shell. Without DIR (or with :memory:) the database is in memory and gone
on exit; DIR opens (or creates) a directory database. With SQL (or -c SQL), runs it and exits. With standard
input not a terminal, reads and runs it as a script (sqlite3 list mode).

Options:
  -c SQL          run SQL and exit
  --salvage       open a damaged DIR anyway: keep what precedes the damage, print what
                  was dropped, and first copy the damaged files into DIR/salvage-<time>
  --readonly      open DIR without writing to it (writes fail)
  --at-snapshot N open DIR read-only as of its checkpoint snapshot of commit N (see
                  .snapshots); the WAL after it is not replayed
  --keep-snapshots N
                  keep the newest N checkpoint snapshots of DIR (default 1)
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
    },
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
            "--readonly" | "--read-only" => self.read_only = true,
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
    let mut iter = arguments.iter();
    while let Some(argument) = iter.next() {
        if open.take(argument) {
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
    Ok(Command::Run { dir, sql, open })
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
                }
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
                }
            }
        );
        assert!(parse_strs(&["--at-snapshot", "x", "data"]).is_err());
        assert!(parse_strs(&["--at-snapshot", "7"]).is_err(), "needs DIR");
    }
}
