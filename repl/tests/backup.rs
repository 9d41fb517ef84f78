//! `.backup`, `.restore` and `.snapshots` in the `ember` binary, and `--at-snapshot N DIR`:
//! a backup of an in-memory database restores into another session (in memory and into a new
//! directory), a directory database is never overwritten, a damaged backup is refused with
//! the offset, and an older snapshot opens read-only.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

const EMBER: &str = env!("CARGO_BIN_EXE_ember");

fn run(args: &[&str], script: &str) -> Output {
    let mut child = Command::new(EMBER)
        .args(args)
        .env("EMBER_HISTORY", "")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh scratch folder, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let path =
            std::env::temp_dir().join(format!("ember-repl-bk-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Scratch(path)
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn backup_and_restore_in_memory_and_into_a_new_directory() {
    let scratch = Scratch::new("round");
    let file = scratch.path("db.backup");
    let output = run(
        &[],
        &format!(
            "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT);\n\
             CREATE INDEX t_b ON t(b);\n\
             INSERT INTO t VALUES (1, 'one'), (2, 'two');\n\
             .backup {file}\n"
        ),
    );
    // A script prints no confirmation, as sqlite3.
    assert_eq!(text(&output.stdout), "", "{}", text(&output.stderr));
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(std::fs::metadata(&file).unwrap().len() > 0);
    // A new session: .restore replaces its in-memory database.
    let output = run(
        &[],
        &format!(
            "CREATE TABLE gone(x);\n.restore {file}\n\
             SELECT * FROM t ORDER BY a;\n.tables\n.indexes\n"
        ),
    );
    assert_eq!(
        text(&output.stdout),
        "1|one\n2|two\nt\nt_b\n",
        "{}",
        text(&output.stderr)
    );
    // Into a new directory, which is then the session's database and keeps the rows.
    let dir = scratch.path("restored");
    let output = run(
        &[],
        &format!(".restore {file} {dir}\nINSERT INTO t VALUES (3, 'three');\n"),
    );
    assert_eq!(text(&output.stdout), "", "{}", text(&output.stderr));
    assert!(output.status.success(), "{}", text(&output.stderr));
    let output = run(&[&dir], "SELECT count(*) FROM t;\n");
    assert_eq!(text(&output.stdout), "3\n", "{}", text(&output.stderr));
    // A directory database is never overwritten.
    let output = run(
        &[&dir],
        &format!(".restore {file}\n.restore {file} {dir}\nSELECT count(*) FROM t;\n"),
    );
    let errors = text(&output.stderr);
    assert!(errors.contains("a restore never overwrites"), "{errors}");
    assert!(errors.contains("not empty"), "{errors}");
    assert_eq!(text(&output.stdout), "3\n");
}

#[test]
fn a_damaged_backup_is_refused_with_its_offset() {
    let scratch = Scratch::new("damaged");
    let file = scratch.path("db.backup");
    run(
        &[],
        &format!("CREATE TABLE t(a);\nINSERT INTO t VALUES (1);\n.backup {file}\n"),
    );
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[30] ^= 0x10;
    std::fs::write(&file, &bytes).unwrap();
    let dir = scratch.path("never");
    let output = run(
        &[],
        &format!(".restore {file}\n.restore {file} {dir}\nSELECT 1;\n"),
    );
    let errors = text(&output.stderr);
    assert_eq!(
        errors.matches("backup is corrupt at offset").count(),
        2,
        "{errors}"
    );
    assert_eq!(text(&output.stdout), "1\n");
    assert!(!std::path::Path::new(&dir).exists());
}

#[test]
fn snapshots_lists_checkpoints_and_at_snapshot_opens_one_read_only() {
    let scratch = Scratch::new("snaps");
    let dir = scratch.path("db");
    let output = run(
        &["--keep-snapshots", "3", &dir],
        "CREATE TABLE t(a);\nINSERT INTO t VALUES (1);\n.checkpoint\n\
         INSERT INTO t VALUES (2);\n.checkpoint\n.mode csv\n\
         SELECT commit, rows, newest, status FROM ember_snapshots;\n",
    );
    let listed = text(&output.stdout);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 3, "{listed} {}", text(&output.stderr));
    assert!(
        lines[1].ends_with(",1,0,ok") && lines[2].ends_with(",2,1,ok"),
        "{listed}"
    );
    let older = lines[1].split(',').next().unwrap().to_string();
    // (An open keeps `--keep-snapshots`, default 1: its checkpoint would drop the older one.)
    let output = run(&["--keep-snapshots", "3", &dir], ".snapshots\n");
    assert!(text(&output.stdout).contains(&format!("snap-{:0>20}.snap", older)));
    let output = run(
        &["--at-snapshot", &older, &dir],
        "SELECT count(*) FROM t;\nINSERT INTO t VALUES (3);\n",
    );
    assert_eq!(text(&output.stdout), "1\n");
    assert!(
        text(&output.stderr).contains("at_snapshot"),
        "{}",
        text(&output.stderr)
    );
    let output = run(&["--at-snapshot", "999999", &dir], "SELECT 1;\n");
    assert!(
        text(&output.stderr).contains("no snapshot of commit 999999"),
        "{}",
        text(&output.stderr)
    );
    let output = run(&[], ".snapshots\n");
    assert!(
        text(&output.stderr).contains("in memory"),
        "{}",
        text(&output.stderr)
    );
}
