//! End-to-end tests of `.import` through the `ember` binary in pipe mode: sqlite3's options
//! (`--csv`, `--ascii`, `--skip N`, `--schema main`, `-v`), a header row into an existing
//! typed table with and without `--skip 1`, short and long records, and Ctrl-C undoing an
//! import. Where sqlite3 is installed its output on the same script is the reference (a
//! typed EmberDB column refuses what a column of sqlite3's STRICT table refuses, so those
//! comparisons give sqlite3 a STRICT table).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

mod common;
use common::{run_piped, spawn_piped, sqlite3_installed, text};

const EMBER: &str = env!("CARGO_BIN_EXE_ember");

/// Runs `script` in ember and, when installed, in sqlite3 (`sqlite_schema` replacing
/// `{schema}` for sqlite3, `ember_schema` for ember); returns both outputs.
fn both(script: &str, ember_schema: &str, sqlite_schema: &str) -> (Output, Option<Output>) {
    let ember = run_piped(EMBER, &[], &script.replace("{schema}", ember_schema));
    let sqlite = sqlite3_installed()
        .then(|| run_piped("sqlite3", &[], &script.replace("{schema}", sqlite_schema)));
    (ember, sqlite)
}

fn write(dir: &Path, name: &str, contents: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.display().to_string()
}

#[test]
fn skip_one_loads_a_header_file_into_a_typed_table() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "people.csv", "id,name\n1,ada\n2,\"grace, h\"\n");
    let script = format!(
        "CREATE TABLE t(id INTEGER, name TEXT);\n.import --csv --skip 1 {csv} t\n\
         SELECT id, typeof(id), name FROM t;\n"
    );
    let (ember, sqlite) = both(&script, "", "");
    assert!(ember.status.success(), "{}", text(&ember.stderr));
    assert_eq!(text(&ember.stdout), "1|integer|ada\n2|integer|grace, h\n");
    assert_eq!(text(&ember.stderr), "");
    if let Some(sqlite) = sqlite {
        assert_eq!(text(&ember.stdout), text(&sqlite.stdout));
    }
}

#[test]
fn a_header_row_the_table_refuses_is_reported_and_the_rest_loads() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "people.csv", "id,name\n1,ada\n2,bob\n");
    let script = format!(
        "CREATE TABLE t(id INTEGER, name TEXT){{schema}};\n.import --csv {csv} t\n\
         SELECT * FROM t;\n"
    );
    let (ember, sqlite) = both(&script, "", " STRICT");
    let errors = text(&ember.stderr);
    assert_eq!(text(&ember.stdout), "1|ada\n2|bob\n");
    assert!(
        errors.starts_with(&format!("{csv}:1: INSERT failed: ")),
        "{errors}"
    );
    assert!(errors.contains("--skip 1"), "{errors}");
    if let Some(sqlite) = sqlite {
        assert_eq!(text(&ember.stdout), text(&sqlite.stdout));
        assert!(text(&sqlite.stderr).starts_with(&format!("{csv}:1: INSERT failed: ")));
        assert_eq!(ember.status.success(), sqlite.status.success());
    }
}

#[test]
fn short_records_get_nulls_and_long_ones_lose_their_extras_as_in_sqlite3() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "ragged.csv", "a,b\n1,2\n3\n4,5,6\n");
    let script = format!(".import --csv -v {csv} t\nSELECT a, b IS NULL FROM t;\n");
    let (ember, sqlite) = both(&script, "", "");
    let added = "Added 3 rows with 0 errors using 4 lines of input\n";
    assert_eq!(text(&ember.stdout), format!("{added}1|0\n3|1\n4|0\n"));
    let errors = text(&ember.stderr);
    assert_eq!(
        errors,
        format!(
            "{csv}:3: expected 2 columns but found 1 - filling the rest with NULL\n\
             {csv}:4: expected 2 columns but found 3 - extras ignored\n"
        )
    );
    if let Some(sqlite) = sqlite {
        // sqlite3's -v also prints the separators and the CREATE TABLE it ran.
        let reference = text(&sqlite.stdout);
        assert!(reference.contains(added), "{reference}");
        assert!(reference.ends_with("1|0\n3|1\n4|0\n"), "{reference}");
        assert_eq!(errors, text(&sqlite.stderr));
    }
}

#[test]
fn skip_comes_before_the_header_of_a_new_table_and_ascii_splits_on_separators() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "notes.csv", "a title line\nk,v\nx,1\n");
    let ascii = write(dir.path(), "units.txt", "k\x1fv\x1ea,b\x1f\"2\"\x1e");
    let script = format!(
        ".import --csv --skip 1 --schema main {csv} notes\n.import --ascii {ascii} units\n\
         SELECT k, v FROM notes;\nSELECT k, v FROM units;\n"
    );
    let (ember, sqlite) = both(&script, "", "");
    assert!(ember.status.success(), "{}", text(&ember.stderr));
    assert_eq!(text(&ember.stdout), "x|1\na,b|\"2\"\n");
    if let Some(sqlite) = sqlite {
        assert_eq!(text(&ember.stdout), text(&sqlite.stdout));
    }
}

#[test]
fn unknown_options_and_schemas_are_refused_with_the_usage() {
    let output = run_piped(
        EMBER,
        &[],
        ".import --tabs x.csv t\n.import --schema aux x t\n",
    );
    let errors = text(&output.stderr);
    assert!(!output.status.success());
    assert!(errors.contains("unknown option: --tabs"), "{errors}");
    assert!(errors.contains("--skip N"), "{errors}");
    assert!(errors.contains("unknown database aux"), "{errors}");
}

/// Ctrl-C while an import waits for more input (the CSV is a pipe the test writes): the
/// import stops, its rows are undone, and the script does not go on.
#[test]
fn ctrl_c_stops_an_import_and_undoes_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db").display().to_string();
    let fifo = dir.path().join("rows.csv").display().to_string();
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|status| status.success()) {
        println!("notice: mkfifo is not available; skipping the Ctrl-C import test");
        return;
    }
    let setup = run_piped(
        EMBER,
        &[&db],
        "CREATE TABLE kept(a INT, b TEXT);\nINSERT INTO kept VALUES (0, 'before');\n",
    );
    assert!(setup.status.success(), "{}", text(&setup.stderr));
    let script = format!(".import {fifo} kept\nSELECT 'after';\n");
    let child = spawn_piped(EMBER, &[&db], &script);
    // Opening the pipe waits for the import to open it: the handler is installed by then.
    let mut rows = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    for i in 1..=1000 {
        writeln!(rows, "{i},row {i}").unwrap();
    }
    rows.flush().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    std::thread::sleep(Duration::from_millis(300));
    // More rows wake the import, which sees the Ctrl-C before inserting them.
    for i in 1001..=2000 {
        let _ = writeln!(rows, "{i},row {i}");
    }
    drop(rows);
    let output = child.wait_with_output().unwrap();
    let errors = text(&output.stderr);
    assert!(!output.status.success());
    assert!(errors.contains("interrupted"), "{errors}");
    assert!(errors.contains("nothing imported"), "{errors}");
    assert_eq!(text(&output.stdout), "", "the script stopped");
    let after = run_piped(EMBER, &[&db], "SELECT count(*), max(b) FROM kept;\n");
    assert_eq!(text(&after.stdout), "1|before\n", "{}", text(&after.stderr));
}
