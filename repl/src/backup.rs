//! `.backup FILE`, `.restore FILE [DIR]` and `.snapshots`: the shell's face of online backup
//! (`Database::backup_to`), restore (`Database::in_memory_from`, `Database::restore_from`)
//! and the checkpoint list (`ember_snapshots`).

use std::fs::File;
use std::io::{BufReader, BufWriter};

use ember::{BackupInfo, Database};

use crate::shell::{open_database, Shell};

fn summary(info: &BackupInfo) -> String {
    format!(
        "commit {}, {} tables, {} rows, {} bytes",
        info.commit, info.tables, info.rows, info.bytes
    )
}

impl Shell {
    /// `.backup FILE`: writes a backup of the whole database as of one commit (the file is
    /// replaced, as sqlite3's `.backup` does; a failed backup removes it).
    pub fn backup(&mut self, args: &[String]) -> Result<(), String> {
        let [file] = args else {
            return Err("usage: .backup FILE".to_string());
        };
        let out = File::create(file).map_err(|error| format!("cannot create {file}: {error}"))?;
        match self.db.backup_to(BufWriter::new(out)) {
            Ok(info) => self.confirm(&format!("Backup written to {file}: {}.", summary(&info))),
            Err(error) => {
                let _ = std::fs::remove_file(file);
                Err(format!("backup failed: {error}"))
            }
        }
    }

    /// `.restore FILE`: replaces the session's in-memory database with the backup's
    /// contents. `.restore FILE DIR`: rebuilds the directory database DIR (new or empty)
    /// from the backup and opens it. A directory database is never overwritten.
    pub fn restore(&mut self, args: &[String]) -> Result<(), String> {
        let (file, dir) = match args {
            [file] => (file, None),
            [file, dir] => (file, Some(dir.as_str())),
            _ => return Err("usage: .restore FILE [DIR]".to_string()),
        };
        let input = File::open(file).map_err(|error| format!("cannot open {file}: {error}"))?;
        let input = BufReader::new(input);
        let (db, info) = match dir {
            None => {
                if let Some(location) = self.location.clone().filter(|_| self.is_directory()) {
                    return Err(format!(
                        ".restore FILE replaces an in-memory database; this one is the \
                         directory {location}, which a restore never overwrites: use \
                         `.restore FILE DIR` with a new or empty DIR"
                    ));
                }
                let db = Database::in_memory_from(input)
                    .map_err(|error| format!("cannot restore {file}: {error}"))?;
                (db, None)
            }
            Some(dir) => {
                let info = Database::restore_from(input, dir)
                    .map_err(|error| format!("cannot restore {file}: {error}"))?;
                (open_database(Some(dir), Default::default())?, Some(info))
            }
        };
        let timeout = self.connection.statement_timeout();
        self.connection = db.connect();
        self.connection.set_statement_timeout(timeout);
        self.db = db;
        self.location = dir.map(str::to_string);
        let into = dir.unwrap_or("the in-memory database");
        let text = match info {
            Some(info) => format!("Restored {file} into {into}: {}.", summary(&info)),
            None => format!("Restored {file} into {into}."),
        };
        self.confirm(&text)
    }

    /// `.snapshots`: the checkpoint snapshots of a directory database (`ember_snapshots`).
    pub fn snapshots(&mut self) -> Result<(), String> {
        if !self.is_directory() {
            return Err(
                ".snapshots lists a directory database's checkpoints; this database is in \
                 memory (it has none)"
                    .to_string(),
            );
        }
        self.system_query(".snapshots", "SELECT * FROM ember_snapshots", false)
    }

    fn is_directory(&self) -> bool {
        self.db.durability_stats().is_some()
    }
}
