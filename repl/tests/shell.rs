//! End-to-end tests of the `ember` binary: sqlite3-identical piped output, `.dump` / `.read`
//! round trips, `.import` of a large CSV file, and an interactive session driven via tmux
//! (multi-line input, tab completion, box output).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::run_piped;

const EMBER: &str = env!("CARGO_BIN_EXE_ember");

fn stdout_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

#[test]
fn piped_output_is_byte_identical_to_sqlite3() {
    if !installed("sqlite3") {
        println!("notice: sqlite3 is not installed; skipping the byte-for-byte comparison");
        return;
    }
    let script = "\
CREATE TABLE people(id INTEGER PRIMARY KEY, name TEXT, age INTEGER);
INSERT INTO people VALUES (1, 'ada', 36), (2, 'grace', 85), (3, NULL, 41);
INSERT INTO people VALUES (4, 'linus', NULL), (5, 'it''s | piped', -7);
SELECT * FROM people ORDER BY id;
SELECT name, age FROM people WHERE age > 40 ORDER BY age DESC;
SELECT id * 2, name || '!' FROM people WHERE id <= 2 ORDER BY id;
SELECT 1; SELECT 'two', 3;
SELECT id FROM people WHERE name IS NULL;
SELECT name FROM people WHERE id = 99;
";
    let ours = run_piped(EMBER, &[], script);
    let theirs = run_piped("sqlite3", &[], script);
    assert!(
        ours.status.success(),
        "{}",
        String::from_utf8_lossy(&ours.stderr)
    );
    assert_eq!(stdout_of(&ours), stdout_of(&theirs));
    assert!(stdout_of(&ours).contains("5|it's | piped|-7\n"));
}

#[test]
fn piped_errors_go_to_stderr_and_fail_the_exit_status() {
    let output = run_piped(EMBER, &[], "SELECT 1;\nSELECT * FROM missing;\nSELECT 2;\n");
    assert_eq!(stdout_of(&output), "1\n2\n");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("Runtime error near line 2: "),
        "{stderr}"
    );
    assert!(stderr.contains("missing"), "{stderr}");
    assert!(!output.status.success());
}

#[test]
fn script_syntax_errors_name_the_line_and_point_at_it() {
    let script = "SELECT 1;\nSELECT 2,\n  3 +;\n\nSELECT 4;\nSELECT (5\n";
    let output = run_piped(EMBER, &[], script);
    assert_eq!(stdout_of(&output), "1\n4\n");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = "\
Parse error near line 3: syntax error: Expected: an expression, found: EOF
    3 +
       ^
Parse error near line 6: syntax error: Expected: ), found: EOF
  SELECT (5
           ^
";
    assert_eq!(stderr, expected);
    assert!(!output.status.success());
}

#[test]
fn a_damaged_directory_is_refused_then_opened_with_salvage_and_readonly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let db = path.to_str().unwrap();
    let script = "CREATE TABLE t(id INT PRIMARY KEY);\nINSERT INTO t VALUES (1);\n\
                  CHECKPOINT;\nINSERT INTO t VALUES (2);\n";
    assert!(run_piped(EMBER, &[db], script).status.success());
    for entry in std::fs::read_dir(&path).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name().to_string_lossy().starts_with("snap-") {
            std::fs::remove_file(entry.path()).unwrap();
        }
    }
    let refused = run_piped(EMBER, &[db], "SELECT count(*) FROM t;\n");
    let stderr = String::from_utf8_lossy(&refused.stderr).into_owned();
    assert!(!refused.status.success());
    assert!(
        stderr.contains("no snapshot") && stderr.contains("--salvage"),
        "{stderr}"
    );
    let read_only = run_piped(EMBER, &["--readonly", db], "SELECT 1;\n");
    assert!(
        !read_only.status.success(),
        "read-only does not get past damage"
    );
    let salvaged = run_piped(EMBER, &["--salvage", db], "SELECT 1;\n");
    let stderr = String::from_utf8_lossy(&salvaged.stderr).into_owned();
    assert!(salvaged.status.success(), "{stderr}");
    assert!(stderr.contains("salvage dropped:"), "{stderr}");
    assert!(stderr.contains("salvage kept a copy"), "{stderr}");
    let again = run_piped(EMBER, &["--readonly", db], "CREATE TABLE u(a INT);\n");
    let stderr = String::from_utf8_lossy(&again.stderr).into_owned();
    assert!(stderr.contains("read-only"), "{stderr}");
}

#[test]
fn a_sqlite3_dump_loads() {
    // What `sqlite3 db .dump` prints (sqlite3 3.40), starting with PRAGMA foreign_keys=OFF.
    let dump = "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n\
        CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, b BLOB, r REAL);\n\
        INSERT INTO t VALUES(1,'a''b',X'0102',1.5);\nINSERT INTO t VALUES(2,NULL,NULL,NULL);\n\
        CREATE INDEX ti ON t(name);\nCREATE VIEW v AS SELECT id FROM t;\nCOMMIT;\n\
        SELECT id, name, hex(b), r FROM t ORDER BY id;\nSELECT count(*) FROM v;\n\
        PRAGMA foreign_keys;\n";
    let output = run_piped(EMBER, &[], dump);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    assert_eq!(stdout_of(&output), "1|a'b|0102|1.5\n2|||\n2\n0\n");
    let enforced = run_piped(
        EMBER,
        &[],
        "PRAGMA foreign_keys = ON;\nPRAGMA foreign_keys;\n",
    );
    assert_eq!(stdout_of(&enforced), "1\n");
}

#[test]
fn directory_database_persists_between_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let path = path.to_str().unwrap();
    let output = run_piped(
        EMBER,
        &[path],
        "CREATE TABLE t(id INT PRIMARY KEY, name TEXT);\nINSERT INTO t VALUES (1, 'kept');\n",
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = run_piped(EMBER, &[path], "SELECT id, name FROM t;\n");
    assert_eq!(stdout_of(&output), "1|kept\n");
    // `.stats` adds the durability row for a directory database: the second run replayed
    // the WAL and checkpointed, so this third one loaded the one row from that snapshot.
    let output = run_piped(EMBER, &[path], ".headers on\n.stats\n");
    let text = stdout_of(&output);
    let lines: Vec<&str> = text.lines().collect();
    let header = lines
        .iter()
        .position(|line| line.starts_with("directory|synchronous|commits"))
        .unwrap_or_else(|| panic!("no durability header in {text}"));
    let columns: Vec<&str> = lines[header].split('|').collect();
    let values: Vec<&str> = lines[header + 1].split('|').collect();
    let snapshot_rows = columns
        .iter()
        .position(|c| *c == "recovery_snapshot_rows")
        .unwrap();
    assert_eq!(values[1], "FULL", "{text}");
    assert_eq!(values[snapshot_rows], "1", "{text}");
}

#[test]
fn dump_read_back_gives_identical_selects() {
    let dir = tempfile::tempdir().unwrap();
    let dump_path = dir.path().join("dump.sql");
    let setup = format!(
        "CREATE TABLE authors(id INT PRIMARY KEY, name TEXT NOT NULL, born INT);
INSERT INTO authors VALUES (1, 'O''Brien', 1903), (2, 'say \"hi\"', NULL), (3, '', 0);
CREATE TABLE files(id INT PRIMARY KEY, data BLOB, ratio REAL, note TEXT);
INSERT INTO files VALUES (1, X'00ff10', 0.1, 'multi
line'), (2, NULL, 1e300, NULL), (3, X'', -2.5, 'a;b'), (4, X'27', 1.0000000000000002, '--x');
CREATE TABLE empty(k TEXT PRIMARY KEY);
.output {}
.dump
.output
",
        dump_path.display()
    );
    let queries = ".mode json
SELECT * FROM authors ORDER BY id;
SELECT * FROM files ORDER BY id;
SELECT id, hex(data) FROM files ORDER BY id;
SELECT * FROM empty;
";
    let original = run_piped(EMBER, &[], &format!("{setup}{queries}"));
    assert!(
        original.status.success(),
        "{}",
        String::from_utf8_lossy(&original.stderr)
    );
    let dump = std::fs::read_to_string(&dump_path).unwrap();
    assert!(dump.contains("X'00ff10'"), "{dump}");
    assert!(dump.contains("'O''Brien'"), "{dump}");
    let copy = run_piped(
        EMBER,
        &[],
        &format!(".read {}\n{queries}", dump_path.display()),
    );
    assert!(
        copy.status.success(),
        "{}",
        String::from_utf8_lossy(&copy.stderr)
    );
    assert_eq!(stdout_of(&copy), stdout_of(&original));
    assert!(stdout_of(&copy).contains("\"hex(data)\":\"00FF10\""));
}

#[test]
fn import_of_100_000_rows_loads_them_all_and_prints_nothing_in_a_script() {
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("big.csv");
    let mut csv = String::from("id,name,score\n");
    for id in 0..100_000 {
        csv.push_str(&format!("{id},\"name, {id}\",{}\n", id % 97));
    }
    std::fs::write(&csv_path, csv).unwrap();
    let script = format!(
        ".import {} big\nSELECT id FROM big WHERE id = '0';\n\
         SELECT name FROM big WHERE id = '99999';\n",
        csv_path.display()
    );
    let output = run_piped(EMBER, &[], &script);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(stdout_of(&output), "0\nname, 99999\n");
}

#[test]
fn stats_in_box_mode_read_at_100_columns() {
    let script = "\
CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE orders(id INTEGER PRIMARY KEY, user_id INT, note TEXT);
INSERT INTO users VALUES (1, 'ada'), (2, 'grace');
INSERT INTO orders VALUES (1, 1, 'a fairly long note to take some bytes'), (2, 2, 'x');
.mode box
.stats
";
    let output = run_piped(EMBER, &[], script);
    let text = stdout_of(&output);
    assert!(output.status.success(), "{text}");
    for line in text.lines() {
        assert!(line.chars().count() <= 100, "{line:?}");
    }
    assert!(text.contains("│ metric "), "{text}");
    assert!(text.contains("│ live_versions "), "{text}");
    assert!(text.contains("│ orders │"), "{text}");
    assert!(text.contains('█'), "{text}");
}

#[test]
fn show_lists_the_settings_and_width_fixes_columns() {
    let script = ".mode box\n.width -5 2\n.maxrows 7\n.show\nSELECT 1 AS a, 'xyz' AS b;\n.open\n";
    let output = run_piped(EMBER, &[], script);
    let text = stdout_of(&output);
    assert!(output.status.success(), "{text}");
    for line in ["        mode: box", "       width: -5 2", "     maxrows: 7"] {
        assert!(text.contains(&format!("{line}\n")), "{text}");
    }
    assert!(text.contains("│     1 │ x… │"), "{text}");
    // Confirmations are for a person at a terminal: a script prints what sqlite3 prints.
    assert!(!text.contains("Opened"), "{text}");
}

fn tmux(args: &[&str]) -> Output {
    Command::new("tmux").args(args).output().unwrap()
}

/// Polls the pane until `wanted` appears; returns the pane text.
fn wait_for_pane(session: &str, wanted: &str) -> String {
    wait_for_count(session, wanted, 1)
}

/// Polls the pane until `wanted` appears `count` times; returns the pane text. The shell
/// must be waiting at its prompt before more keys are sent: entering raw mode flushes
/// typed-ahead input.
fn wait_for_count(session: &str, wanted: &str, count: usize) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let pane = stdout_of(&tmux(&["capture-pane", "-p", "-t", session]));
        if pane.matches(wanted).count() >= count || Instant::now() > deadline {
            return pane;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn interactive_session_in_tmux() {
    if !installed("tmux") || Command::new("tmux").arg("-V").output().is_err() {
        println!("notice: tmux is not installed; skipping the interactive test");
        return;
    }
    let session = format!("ember-test-{}", std::process::id());
    let command = format!("env EMBER_HISTORY= TERM=xterm {EMBER}");
    let started = tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "100",
        "-y",
        "40",
        &command,
    ]);
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );
    let send = |keys: &[&str]| {
        let mut args = vec!["send-keys", "-t", session.as_str()];
        args.extend_from_slice(keys);
        tmux(&args);
    };
    // tmux reads a `;` ending an argument as its own command separator: type it by code.
    let semicolon = || send(&["-H", "3b"]);
    // capture-pane trims trailing blanks, so prompts are matched without theirs.
    let banner = wait_for_pane(&session, "ember>");
    let result = std::panic::catch_unwind(|| {
        assert!(banner.contains("transient in-memory database"), "{banner}");
        send(&[
            "-l",
            "CREATE TABLE customers(id INT PRIMARY KEY, name TEXT)",
        ]);
        semicolon();
        send(&["Enter"]);
        wait_for_count(&session, "ember>", 2);
        send(&[
            "-l",
            "INSERT INTO customers VALUES (1, 'ada'), (22, 'grace')",
        ]);
        semicolon();
        send(&["Enter"]);
        wait_for_count(&session, "ember>", 3);
        // A multi-line statement with the table name completed by Tab.
        send(&["-l", "SELECT id, name"]);
        send(&["Enter"]);
        wait_for_pane(&session, "...>");
        send(&["-l", "FROM custo"]);
        send(&["Tab"]);
        wait_for_pane(&session, "FROM customers");
        send(&["-l", " ORDER BY id"]);
        semicolon();
        send(&["Enter"]);
        let pane = wait_for_pane(&session, "└");
        let expected = "\
┌────┬───────┐
│ id │ name  │
├────┼───────┤
│  1 │ ada   │
│ 22 │ grace │
└────┴───────┘";
        assert!(pane.contains(expected), "{pane}");
        assert!(
            pane.contains("   ...> FROM customers ORDER BY id;"),
            "{pane}"
        );
        // History recalls the multi-line statement as one entry.
        send(&["C-l"]);
        std::thread::sleep(Duration::from_millis(200));
        send(&["Up"]);
        wait_for_pane(&session, "ORDER BY id");
        send(&["Enter"]);
        let pane = wait_for_pane(&session, "└");
        assert!(pane.contains(expected), "{pane}");
        assert!(pane.contains("SELECT id, name"), "{pane}");
        // Ctrl-C stops a running query (a cross join of 2^30 rows) and the shell goes on.
        send(&["C-l"]);
        let joined: Vec<String> = (0..30).map(|i| format!("customers c{i}")).collect();
        send(&["-l", &format!("SELECT count(*) FROM {}", joined.join(", "))]);
        semicolon();
        send(&["Enter"]);
        std::thread::sleep(Duration::from_millis(300));
        send(&["C-c"]);
        let pane = wait_for_pane(&session, "Error: interrupted");
        assert!(pane.contains("Error: interrupted"), "{pane}");
        send(&["-l", "SELECT count(*) AS n FROM customers"]);
        semicolon();
        send(&["Enter"]);
        let pane = wait_for_pane(&session, "│ 2 │");
        assert!(pane.contains("│ 2 │"), "{pane}");
        // At a terminal, box mode shows 1,000 rows and says how many more there are.
        send(&["C-l"]);
        let join_of = |tables: usize| {
            let joined: Vec<String> = (0..tables).map(|i| format!("customers c{i}")).collect();
            format!("SELECT c0.id FROM {}", joined.join(", "))
        };
        send(&["-l", &join_of(11)]);
        semicolon();
        send(&["Enter"]);
        let pane = wait_for_pane(&session, "more rows");
        assert!(
            pane.contains("... 1048 more rows (.maxrows N to show more)"),
            "{pane}"
        );
        // Ctrl-C stops the printing of a large result (2^18 rows) and the shell goes on.
        send(&["-l", ".maxrows 0"]);
        send(&["Enter"]);
        wait_for_count(&session, "ember>", 2);
        send(&["-l", &join_of(18)]);
        semicolon();
        send(&["Enter"]);
        wait_for_pane(&session, "│ 22 │");
        send(&["C-c"]);
        let pane = wait_for_pane(&session, "Error: interrupted");
        assert!(pane.contains("Error: interrupted"), "{pane}");
        send(&["C-l"]);
        send(&["-l", "SELECT 40 + 2 AS answer"]);
        semicolon();
        send(&["Enter"]);
        let pane = wait_for_pane(&session, "│     42 │");
        assert!(pane.contains("│     42 │"), "{pane}");
        // Completion after `alias.` offers that table's columns.
        send(&["-l", "SELECT c.id FROM customers c WHERE c.na"]);
        send(&["Tab"]);
        wait_for_pane(&session, "WHERE c.name");
        send(&["-l", " = 'grace'"]);
        semicolon();
        send(&["Enter"]);
        let pane = wait_for_pane(&session, "│ 22 │");
        assert!(pane.contains("WHERE c.name = 'grace';"), "{pane}");
        send(&["C-l"]);
        send(&["-l", ".open"]);
        send(&["Enter"]);
        let pane = wait_for_pane(&session, "Opened a new transient in-memory database.");
        assert!(pane.contains("Opened a new"), "{pane}");
        // Borders stay aligned on CJK and emoji text (two columns per character).
        send(&["C-l"]);
        send(&[
            "-l",
            "SELECT '東京' AS city UNION ALL SELECT '🍣 x' UNION ALL SELECT 'ab'",
        ]);
        semicolon();
        send(&["Enter"]);
        let pane = wait_for_pane(&session, "└");
        let expected = "\
│ city │
├──────┤
│ 東京 │
│ 🍣 x │
│ ab   │
└──────┘";
        assert!(pane.contains(expected), "{pane}");
        // `.stats` in box mode reads at 100 columns: one (metric, value) row per figure and
        // a row per table, every name whole (nothing cut to `tab…`).
        send(&["-l", "CREATE TABLE readings(sensor_id INT, value REAL)"]);
        semicolon();
        send(&["Enter"]);
        send(&["C-l"]);
        send(&["-l", ".stats"]);
        send(&["Enter"]);
        let pane = wait_for_pane(&session, "│ readings │");
        assert!(
            pane.contains("│ table    │ rows │ live_versions │"),
            "{pane}"
        );
        assert!(pane.contains("│ pages_released "), "{pane}");
        assert!(!pane.contains('…'), "{pane}");
    });
    tmux(&["kill-session", "-t", &session]);
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn help_and_version() {
    let output = Command::new(EMBER).arg("--version").output().unwrap();
    assert!(stdout_of(&output).starts_with("ember "));
    let output = Command::new(EMBER).arg("--help").output().unwrap();
    assert!(stdout_of(&output).contains("Usage: ember"));
    assert!(Path::new(EMBER).exists());
}

#[test]
fn indexes_and_schema_show_secondary_indexes() {
    let script = "CREATE TABLE t(id INT PRIMARY KEY, a INT, e TEXT UNIQUE);\n\
                  CREATE TABLE u(x INT);\n\
                  CREATE INDEX t_a ON t(a);\n\
                  CREATE UNIQUE INDEX u_x ON u(x);\n\
                  .indexes\n.indexes t\n.schema t\n";
    let output = run_piped(EMBER, &[], script);
    assert!(output.status.success(), "{output:?}");
    // The PRIMARY KEY's index (`id INT` is no rowid alias), then e's.
    assert_eq!(
        stdout_of(&output),
        "ember_autoindex_t_1  ember_autoindex_t_2  t_a  u_x\n\
         ember_autoindex_t_1  ember_autoindex_t_2  t_a\n\
         CREATE TABLE t(id INT PRIMARY KEY, a INT, e TEXT UNIQUE);\n\
         CREATE INDEX t_a ON t(a);\n"
    );
}

/// A directory database is locked against a second process: while one `ember DIR` waits
/// on its input, another fails to open the directory, and can once the first has exited.
#[test]
fn a_directory_database_is_locked_against_a_second_process() {
    let dir = tempfile::tempdir().unwrap();
    let db_dir = dir.path().join("db");
    let mut first = Command::new(EMBER)
        .arg(&db_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The WAL segment is created after the lock is taken.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !db_dir.join("wal-00000000000000000001.log").exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = Command::new(EMBER)
        .arg(&db_dir)
        .arg("SELECT 1;")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr).to_string();
    // Let the first finish its (empty) script and release the lock.
    let mut stdin = first.stdin.take().unwrap();
    stdin.write_all(b"CREATE TABLE t(a INT);\n").unwrap();
    drop(stdin);
    let first = first.wait_with_output().unwrap();
    assert!(
        !second.status.success(),
        "the second process opened a locked database"
    );
    assert!(
        stderr.contains("already open in another process"),
        "{stderr}"
    );
    assert!(first.status.success(), "{first:?}");
    let third = Command::new(EMBER)
        .arg(&db_dir)
        .arg(".tables")
        .output()
        .unwrap();
    assert!(third.status.success(), "{third:?}");
    assert_eq!(stdout_of(&third), "t\n");
}

#[test]
fn tables_and_schema_show_temporary_objects_in_their_schema() {
    let script = "CREATE TABLE t(a);\n\
                  CREATE TEMP TABLE t(b);\n\
                  CREATE TEMP TABLE s(x);\n\
                  CREATE INDEX si ON s(x);\n\
                  CREATE TEMP VIEW v AS SELECT 1;\n\
                  .tables\n.schema\n";
    let output = run_piped(EMBER, &[], script);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        stdout_of(&output),
        "t  temp.s  temp.t  temp.v\n\
         CREATE TABLE t(a);\n\
         CREATE TABLE temp.s(x);\n\
         CREATE INDEX temp.si ON s(x);\n\
         CREATE TABLE temp.t(b);\n\
         CREATE VIEW temp.v AS SELECT 1;\n"
    );
}
