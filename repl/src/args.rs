//! Command-line arguments: `ember [-c SQL | SQL]`, `--help`, `--version`.

pub const USAGE: &str = "\
Usage: ember [OPTIONS] [SQL]

Starts an EmberDB shell on a new in-memory database. With SQL (or -c SQL), runs it and
exits. With standard input not a terminal, reads and runs it as a script.

Options:
  -c SQL          run SQL and exit
  -h, --help      print this help
  -V, --version   print the version";

#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Help,
    Version,
    Run { sql: Option<String> },
}

pub fn parse(arguments: &[String]) -> Result<Command, String> {
    let mut sql = None;
    let mut iter = arguments.iter();
    while let Some(argument) = iter.next() {
        match argument.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "-c" => {
                let text = iter.next().ok_or("-c needs an SQL argument")?;
                sql = Some(text.clone());
            }
            other if other.starts_with('-') => return Err(format!("unknown option {other}")),
            other => {
                if sql.is_some() {
                    return Err(format!("unexpected argument {other}"));
                }
                sql = Some(other.to_string());
            }
        }
    }
    Ok(Command::Run { sql })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_strs(arguments: &[&str]) -> Result<Command, String> {
        parse(&arguments.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn forms() {
        assert_eq!(parse_strs(&[]).unwrap(), Command::Run { sql: None });
        assert_eq!(
            parse_strs(&["-c", "SELECT 1"]).unwrap(),
            Command::Run {
                sql: Some("SELECT 1".into())
            }
        );
        assert_eq!(
            parse_strs(&["SELECT 1"]).unwrap(),
            Command::Run {
                sql: Some("SELECT 1".into())
            }
        );
        assert_eq!(parse_strs(&["--help"]).unwrap(), Command::Help);
        assert!(parse_strs(&["-c"]).is_err());
        assert!(parse_strs(&["--bogus"]).is_err());
    }
}
