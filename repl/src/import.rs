//! `.import FILE TABLE`: loads a CSV file (read with the `csv` crate). When TABLE does not
//! exist it is created from the header row with TEXT columns; when it exists every record is
//! data (as sqlite3 does). Rows go in with multi-row INSERTs inside one transaction, with a
//! progress line on standard error for large files at a terminal. All or nothing: a failed
//! import rolls back its rows and drops the table it created.

use std::fs::File;
use std::io::IsTerminal;

use crate::dump::{literal, quote_identifier};
use crate::shell::Shell;
use ember::Value;

/// Rows per INSERT statement.
const ROWS_PER_INSERT: usize = 500;
/// Files at least this large show a progress line.
const PROGRESS_FILE_BYTES_MIN: u64 = 4 << 20;

impl Shell {
    pub fn import(&mut self, path: &str, table: &str) -> Result<(), String> {
        let file = File::open(path).map_err(|error| format!("cannot open {path}: {error}"))?;
        let file_bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(std::io::BufReader::new(file));
        let show_progress = self.interactive
            && file_bytes >= PROGRESS_FILE_BYTES_MIN
            && std::io::stderr().is_terminal();
        if self.connection.in_transaction() {
            return Err(".import cannot run inside an open transaction".to_string());
        }
        let existing = self.db.catalog().table(table).map(|def| def.columns.len());
        let mut records = reader.records();
        let column_count = match existing {
            Some(count) => count,
            None => {
                let header = match records.next() {
                    Some(record) => record.map_err(|e| format!("{path}: {e}"))?,
                    None => return Err(format!("{path} is empty: no header row")),
                };
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
                    .map_err(|error| format!("cannot create {table}: {error}"))?;
                header.len()
            }
        };
        let created = existing.is_none();
        let result = self.import_records(
            path,
            table,
            records,
            column_count,
            file_bytes,
            show_progress,
        );
        if result.is_err() && created {
            // All or nothing: the table made from the header row goes too.
            let drop = format!("DROP TABLE {}", quote_identifier(table));
            let _ = self.connection.execute(&drop, ());
        }
        result
    }

    /// Inserts the data records in one transaction; rolls it back on any failure.
    fn import_records(
        &mut self,
        path: &str,
        table: &str,
        records: csv::StringRecordsIter<'_, std::io::BufReader<File>>,
        column_count: usize,
        file_bytes: u64,
        show_progress: bool,
    ) -> Result<(), String> {
        self.connection
            .execute("BEGIN", ())
            .map_err(|error| error.to_string())?;
        let target = quote_identifier(table);
        let mut batch: Vec<String> = Vec::with_capacity(ROWS_PER_INSERT);
        let mut imported = 0usize;
        let mut result = Ok(());
        for (index, record) in records.enumerate() {
            let record = match record {
                Ok(record) => record,
                Err(error) => {
                    result = Err(format!("{path}: {error}"));
                    break;
                }
            };
            if record.len() != column_count {
                result = Err(format!(
                    "{path}: record {} has {} fields, table {table} has {column_count} columns",
                    index + 1,
                    record.len()
                ));
                break;
            }
            let values: Vec<String> = record
                .iter()
                .map(|field| literal(&Value::Text(field.to_string())))
                .collect();
            batch.push(format!("({})", values.join(",")));
            if batch.len() == ROWS_PER_INSERT {
                result = self.insert_batch(&target, &mut batch);
                if result.is_err() {
                    break;
                }
                imported += ROWS_PER_INSERT;
                if show_progress {
                    let done = record.position().map_or(0, |p| p.byte());
                    let percent = done * 100 / file_bytes.max(1);
                    eprint!("\rimporting {path}: {percent:>3}% ({imported} rows)");
                }
            }
        }
        if result.is_ok() && !batch.is_empty() {
            let rows = batch.len();
            result = self.insert_batch(&target, &mut batch);
            imported += rows;
        }
        if show_progress {
            eprint!("\r\x1b[K");
        }
        if let Err(error) = result {
            let _ = self.connection.execute("ROLLBACK", ());
            return Err(format!("{error}; nothing imported"));
        }
        if let Err(error) = self.connection.execute("COMMIT", ()) {
            let _ = self.connection.execute("ROLLBACK", ());
            return Err(format!(
                "cannot commit the import: {error}; nothing imported"
            ));
        }
        self.confirm(&format!("Imported {imported} rows into {table}."))
    }

    fn insert_batch(&mut self, target: &str, batch: &mut Vec<String>) -> Result<(), String> {
        let sql = format!("INSERT INTO {target} VALUES {}", batch.join(","));
        batch.clear();
        self.connection
            .execute(&sql, ())
            .map(|_| ())
            .map_err(|error| error.to_string())
    }
}
