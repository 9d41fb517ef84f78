//! `.import [OPTIONS] FILE TABLE`, as sqlite3's: `--csv` (the default) or `--ascii` (fields
//! end at \x1f, records at \x1e, no quoting), `--skip N` (drop the first N records),
//! `--schema main`, `-v` (a summary line). When TABLE does not exist, the first record
//! (after the skipped ones) names its columns, all TEXT; when it exists every record is
//! data. Each record goes in through one prepared INSERT, all inside one transaction; as in
//! sqlite3 a record the table refuses (a type or constraint error) is reported as
//! `FILE:LINE: INSERT failed: ...` and the rest go on, and a record with too few fields gets
//! NULLs, one with too many loses the extras (each with a warning). Ctrl-C stops the import
//! and undoes it (the table it created too), as does any other error. Large files at a
//! terminal show a progress line on standard error; keys typed meanwhile are kept for the
//! next prompt instead of being echoed into it (`terminal::QuietKeys`).

use std::fs::File;
use std::io::{BufReader, IsTerminal};

use crate::dump::quote_identifier;
use crate::shell::Shell;
use ember::{ErrorKind, Value};

/// Files at least this large show a progress line.
const PROGRESS_FILE_BYTES_MIN: u64 = 4 << 20;
/// Records between two looks at the file position for the progress line.
const PROGRESS_RECORDS_STEP: u64 = 4096;

/// sqlite3's usage text for `.import`, for a bad option.
pub const IMPORT_USAGE: &str = "usage: .import [OPTIONS] FILE TABLE
   Options:
     --ascii               Use \\037 and \\036 as column and row separators
     --csv                 Use , and \\n as column and row separators (the default)
     --skip N              Skip the first N rows of input
     --schema S            Target table to be S.TABLE (only main exists)
     -v                    \"Verbose\" - print a summary of the import";

/// What `.import`'s arguments ask for.
#[derive(Debug, PartialEq)]
pub struct ImportRequest {
    pub file: String,
    pub table: String,
    /// `--ascii`: unit and record separators instead of CSV.
    pub ascii: bool,
    /// Records dropped before the header or the data.
    pub skip: u64,
    /// `-v`: print `Added N rows with E errors using L lines of input`.
    pub verbose: bool,
}

impl ImportRequest {
    /// Reads `.import`'s arguments (options anywhere before, between or after FILE and
    /// TABLE, as sqlite3 takes them).
    pub fn parse(args: &[String]) -> Result<ImportRequest, String> {
        let mut names = Vec::new();
        let (mut ascii, mut skip, mut verbose) = (false, 0, false);
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--csv" | "-csv" => ascii = false,
                "--ascii" | "-ascii" => ascii = true,
                "-v" | "--v" => verbose = true,
                "--skip" | "-skip" => {
                    let count = args.next().ok_or("--skip takes a count of rows")?;
                    skip = count
                        .parse()
                        .map_err(|_| format!("--skip takes a count of rows, not {count}"))?;
                }
                "--schema" | "-schema" => {
                    let schema = args.next().ok_or("--schema takes a schema name")?;
                    if !schema.eq_ignore_ascii_case("main") {
                        return Err(format!("unknown database {schema}: only main exists"));
                    }
                }
                option if option.starts_with('-') && option.len() > 1 => {
                    return Err(format!("unknown option: {option}\n{IMPORT_USAGE}"));
                }
                _ => names.push(arg.clone()),
            }
        }
        match <[String; 2]>::try_from(names) {
            Ok([file, table]) => Ok(ImportRequest {
                file,
                table,
                ascii,
                skip,
                verbose,
            }),
            Err(_) => Err(IMPORT_USAGE.to_string()),
        }
    }
}

/// What an import did so far.
#[derive(Default)]
struct Tally {
    added: u64,
    failed: u64,
    /// The line the last record read ended on.
    lines: u64,
}

impl Shell {
    pub fn import(&mut self, request: &ImportRequest) -> Result<(), String> {
        let path = &request.file;
        let table = &request.table;
        if self.connection.in_transaction() {
            return Err(".import cannot run inside an open transaction".to_string());
        }
        let file = File::open(path).map_err(|error| format!("cannot open {path}: {error}"))?;
        let file_bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
        let mut builder = csv::ReaderBuilder::new();
        builder.has_headers(false).flexible(true);
        if request.ascii {
            builder
                .delimiter(0x1f)
                .terminator(csv::Terminator::Any(0x1e))
                .quoting(false);
        }
        let mut reader = builder.from_reader(BufReader::with_capacity(1 << 16, file));
        let mut record = csv::StringRecord::new();
        for _ in 0..request.skip {
            if !read_record(&mut reader, &mut record, path)? {
                break;
            }
        }
        // The columns an INSERT without a column list fills (hidden ones, as the implicit
        // rowid, are not among them).
        let existing = self
            .db
            .catalog()
            .table(table)
            .map(|def| def.columns.iter().filter(|column| !column.hidden).count());
        let column_count = match existing {
            Some(count) => count,
            None => {
                if !read_record(&mut reader, &mut record, path)? {
                    return Err(format!("{path} is empty: no header row"));
                }
                self.create_from_header(table, &record)?;
                record.len()
            }
        };
        let show_progress = self.interactive
            && file_bytes >= PROGRESS_FILE_BYTES_MIN
            && std::io::stderr().is_terminal();
        let handle = self.connection.interrupt_handle();
        let loaded = crate::sigint::while_running(handle, || {
            let _quiet = show_progress.then(crate::terminal::QuietKeys::new);
            self.load_records(
                request,
                &mut reader,
                column_count,
                file_bytes,
                show_progress,
            )
        });
        if show_progress {
            eprint!("\r\x1b[K");
        }
        let tally = match loaded {
            Ok(tally) => tally,
            Err(error) => {
                if existing.is_none() {
                    // All or nothing: the table made from the header row goes too.
                    let drop = format!("DROP TABLE {}", quote_identifier(table));
                    let _ = self.connection.execute(&drop, ());
                }
                return Err(format!("{error}; nothing imported"));
            }
        };
        if request.verbose {
            let line = format!(
                "Added {} rows with {} errors using {} lines of input\n",
                tally.added, tally.failed, tally.lines
            );
            return self.print(&line);
        }
        self.confirm(&format!("Imported {} rows into {table}.", tally.added))
    }

    /// `CREATE TABLE` with a TEXT column named by each field of `header`.
    fn create_from_header(
        &mut self,
        table: &str,
        header: &csv::StringRecord,
    ) -> Result<(), String> {
        let columns: Vec<String> = header
            .iter()
            .map(|name| format!("{} TEXT", quote_identifier(name)))
            .collect();
        let create = format!(
            "CREATE TABLE {}({})",
            quote_identifier(table),
            columns.join(", ")
        );
        self.connection
            .execute(&create, ())
            .map(|_| ())
            .map_err(|error| format!("cannot create {table}: {error}"))
    }

    /// Inserts the data records in one transaction; rolls it back when the import stops
    /// (Ctrl-C, an unreadable record, an error no record causes alone).
    fn load_records(
        &mut self,
        request: &ImportRequest,
        reader: &mut csv::Reader<BufReader<File>>,
        column_count: usize,
        file_bytes: u64,
        show_progress: bool,
    ) -> Result<Tally, String> {
        self.connection
            .execute("BEGIN", ())
            .map_err(|error| error.to_string())?;
        let loaded = self.insert_records(request, reader, column_count, file_bytes, show_progress);
        let tally = match loaded {
            Ok(tally) => tally,
            Err(error) => {
                let _ = self.connection.execute("ROLLBACK", ());
                return Err(error);
            }
        };
        if let Err(error) = self.connection.execute("COMMIT", ()) {
            let _ = self.connection.execute("ROLLBACK", ());
            return Err(format!("cannot commit the import: {error}"));
        }
        Ok(tally)
    }

    fn insert_records(
        &mut self,
        request: &ImportRequest,
        reader: &mut csv::Reader<BufReader<File>>,
        column_count: usize,
        file_bytes: u64,
        show_progress: bool,
    ) -> Result<Tally, String> {
        let path = &request.file;
        let slots = vec!["?"; column_count].join(", ");
        let sql = format!(
            "INSERT INTO {} VALUES ({slots})",
            quote_identifier(&request.table)
        );
        let mut insert = self
            .connection
            .prepare(&sql)
            .map_err(|error| format!("cannot import into {}: {error}", request.table))?;
        let mut values: Vec<Value> = vec![Value::Text(String::new()); column_count];
        let mut record = csv::StringRecord::new();
        let mut tally = Tally::default();
        while read_record(reader, &mut record, path)? {
            if crate::sigint::seen() {
                return Err(crate::sigint::INTERRUPTED.to_string());
            }
            let line = record.position().map_or(0, |p| p.line());
            tally.lines = reader.position().line().saturating_sub(1).max(line);
            fill_values(&mut values, &record);
            if record.len() != column_count {
                let what = if record.len() < column_count {
                    "filling the rest with NULL"
                } else {
                    "extras ignored"
                };
                eprintln!(
                    "{path}:{line}: expected {column_count} columns but found {} - {what}",
                    record.len()
                );
            }
            match insert.execute(&values[..]) {
                Ok(_) => tally.added += 1,
                Err(error) if row_error(error.kind()) && !crate::sigint::seen() => {
                    tally.failed += 1;
                    let hint = if line == 1 && request.skip == 0 {
                        " (a header row? `.import --skip 1` skips it)"
                    } else {
                        ""
                    };
                    eprintln!("{path}:{line}: INSERT failed: {error}{hint}");
                }
                Err(_) if crate::sigint::seen() => {
                    return Err(crate::sigint::INTERRUPTED.to_string());
                }
                Err(error) => return Err(format!("{path}:{line}: {error}")),
            }
            if show_progress && (tally.added + tally.failed) % PROGRESS_RECORDS_STEP == 0 {
                let done = reader.position().byte();
                let percent = done * 100 / file_bytes.max(1);
                eprint!("\rimporting {path}: {percent:>3}% ({} rows)", tally.added);
            }
        }
        Ok(tally)
    }
}

/// Whether an INSERT failing with `kind` is the record's own fault (reported, and the
/// import goes on, as sqlite3's does) rather than a reason to stop.
fn row_error(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::Constraint | ErrorKind::Type | ErrorKind::Limit
    )
}

/// Sets `values` to the fields of `record`, reusing their text buffers: missing fields are
/// NULL, extra fields are left out.
fn fill_values(values: &mut [Value], record: &csv::StringRecord) {
    for (index, value) in values.iter_mut().enumerate() {
        match (record.get(index), value) {
            (Some(field), Value::Text(text)) => {
                text.clear();
                text.push_str(field);
            }
            (Some(field), value) => *value = Value::Text(field.to_string()),
            (None, value) => *value = Value::Null,
        }
    }
}

/// Reads the next record into `record`; `false` at the end of the file.
fn read_record(
    reader: &mut csv::Reader<BufReader<File>>,
    record: &mut csv::StringRecord,
    path: &str,
) -> Result<bool, String> {
    reader
        .read_record(record)
        .map_err(|error| format!("{path}: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<ImportRequest, String> {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        ImportRequest::parse(&args)
    }

    #[test]
    fn reads_sqlite3s_options() {
        let request = parse(&[
            "--csv", "--skip", "2", "-v", "f.csv", "--schema", "MAIN", "t",
        ]);
        assert_eq!(
            request.unwrap(),
            ImportRequest {
                file: "f.csv".into(),
                table: "t".into(),
                ascii: false,
                skip: 2,
                verbose: true,
            }
        );
        assert!(parse(&["--ascii", "f", "t"]).unwrap().ascii);
    }

    #[test]
    fn refuses_what_it_cannot_do() {
        assert!(parse(&["--foo", "f", "t"])
            .unwrap_err()
            .contains("unknown option: --foo"));
        assert!(parse(&["--skip", "x", "f", "t"])
            .unwrap_err()
            .contains("not x"));
        assert!(parse(&["--schema", "temp", "f", "t"])
            .unwrap_err()
            .contains("only main"));
        assert!(parse(&["f"]).unwrap_err().starts_with("usage: .import"));
        assert!(parse(&["f", "t", "u"])
            .unwrap_err()
            .starts_with("usage: .import"));
    }

    #[test]
    fn short_records_get_nulls_and_long_ones_lose_their_extras() {
        let mut values = vec![Value::Text("old".into()), Value::Integer(1)];
        fill_values(&mut values, &csv::StringRecord::from(vec!["a"]));
        assert_eq!(values, [Value::Text("a".into()), Value::Null]);
        fill_values(&mut values, &csv::StringRecord::from(vec!["b", "c", "d"]));
        assert_eq!(values, [Value::Text("b".into()), Value::Text("c".into())]);
    }
}
