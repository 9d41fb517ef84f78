//! End-to-end tests of the `ember` binary where a sqlite3 user's habits meet it: statements
//! split by SQLite's completeness rules (trigger bodies stay whole), blobs printed as sqlite3
//! prints them, views and AUTOINCREMENT counters through `.tables` / `.schema` / `.dump`,
//! `:memory:` and files given as the database path, and scripts that print what sqlite3
//! prints. Where sqlite3 is installed, its output is the reference.

use std::process::Command;

mod common;
use common::{run_piped, sqlite3_installed, text};

const EMBER: &str = env!("CARGO_BIN_EXE_ember");

#[test]
fn a_trigger_is_one_statement_and_does_not_end_the_transaction() {
    let script = "\
CREATE TABLE t(a INT);
BEGIN;
INSERT INTO t VALUES (1);
CREATE TRIGGER t_log AFTER INSERT ON t BEGIN
  INSERT INTO t VALUES (2);
  DELETE FROM t WHERE a = 5;
END;
INSERT INTO t VALUES (3);
SELECT count(*) FROM t;
ROLLBACK;
SELECT count(*) FROM t;
SELECT count(*) FROM sqlite_schema WHERE type = 'trigger';
";
    let output = run_piped(EMBER, &[], script);
    let stderr = text(&output.stderr);
    // The whole CREATE TRIGGER is one statement: the trigger fires for the second insert
    // (1, 3 and the trigger's 2), the transaction stays open, and ROLLBACK undoes the rows
    // and the trigger with them, as sqlite3 does.
    assert_eq!(text(&output.stdout), "3\n0\n0\n", "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    assert!(output.status.success());
}

#[test]
fn semicolons_in_strings_identifiers_and_comments_do_not_split() {
    let script = "\
CREATE TABLE \"a;b\"(\"c;d\" TEXT, [e;f] TEXT, `g;h` TEXT);
INSERT INTO \"a;b\" VALUES ('x;y', 'it''s;', /* ; */ 'z' -- ;
);
SELECT \"c;d\", [e;f], `g;h` FROM \"a;b\"; SELECT 'end;'
;
/* a comment; over
   lines; */ SELECT 2;
";
    let output = run_piped(EMBER, &[], script);
    assert_eq!(
        text(&output.stdout),
        "x;y|it's;|z\nend;\n2\n",
        "{}",
        text(&output.stderr)
    );
    assert!(output.status.success());
    if sqlite3_installed() {
        assert_eq!(
            text(&run_piped("sqlite3", &[], script).stdout),
            text(&output.stdout)
        );
    }
}

#[test]
fn blobs_print_as_sqlite3_prints_them_and_never_as_nul_bytes() {
    let script = "\
CREATE TABLE b(id INTEGER PRIMARY KEY, data BLOB);
INSERT INTO b VALUES (1, X'610062'), (2, X'68656c6c6f'), (3, X''), (4, NULL);
SELECT * FROM b ORDER BY id;
.mode csv
SELECT * FROM b ORDER BY id;
.mode line
SELECT data FROM b WHERE id = 1;
.mode json
SELECT data FROM b WHERE id <= 2 ORDER BY id;
";
    let output = run_piped(EMBER, &[], script);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(!output.stdout.contains(&0), "a NUL byte was printed");
    assert_eq!(
        text(&output.stdout),
        "1|a\n2|hello\n3|\n4|\n1,a\r\n2,hello\r\n3,\r\n4,\r\n\
         data = a\n[{\"data\":\"a\\u0000b\"},\n{\"data\":\"hello\"}]\n"
    );
    if sqlite3_installed() {
        // List and json modes byte for byte (csv and line differ from sqlite3 elsewhere:
        // an empty blob's quotes, the minimum name width).
        let list_and_json = "\
SELECT X'610062', X'68656c6c6f', X'', NULL;
.mode json
SELECT X'610062' AS data;
";
        assert_eq!(
            text(&run_piped(EMBER, &[], list_and_json).stdout),
            text(&run_piped("sqlite3", &[], list_and_json).stdout)
        );
    }
    for mode in ["box", "table", "markdown"] {
        let output = run_piped(
            EMBER,
            &[],
            &format!("{script}.mode {mode}\nSELECT X'610062';\n"),
        );
        assert!(!output.stdout.contains(&0), "{mode} printed a NUL byte");
    }
}

#[test]
fn views_are_listed_shown_and_dumped_so_a_round_trip_keeps_them() {
    let scratch = tempfile::tempdir().unwrap();
    let dump_path = scratch.path().join("dump.sql");
    let setup = format!(
        "CREATE TABLE orders(id INTEGER PRIMARY KEY, amount INT);
INSERT INTO orders VALUES (1, 10), (2, 250), (3, 40);
CREATE INDEX orders_amount ON orders(amount);
CREATE VIEW big_orders AS SELECT id, amount FROM orders WHERE amount > 20;
CREATE VIEW big_total AS SELECT sum(amount) AS total FROM big_orders;
.tables
.schema big%
.output {}
.dump
.output
",
        dump_path.display()
    );
    let output = run_piped(EMBER, &[], &setup);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        "big_orders  big_total  orders\n\
         CREATE VIEW big_orders AS SELECT id, amount FROM orders WHERE amount > 20;\n\
         CREATE VIEW big_total AS SELECT sum(amount) AS total FROM big_orders;\n"
    );
    let dump = std::fs::read_to_string(&dump_path).unwrap();
    let copy = run_piped(
        EMBER,
        &[],
        &format!(
            ".read {}\n.tables\nSELECT total FROM big_total;\n",
            dump_path.display()
        ),
    );
    assert!(copy.status.success(), "{}", text(&copy.stderr));
    assert_eq!(
        text(&copy.stdout),
        "big_orders  big_total  orders\n290\n",
        "{dump}"
    );
    if sqlite3_installed() {
        let theirs = run_piped(
            "sqlite3",
            &[],
            &format!("{dump}SELECT total FROM big_total;\n"),
        );
        assert_eq!(text(&theirs.stdout), "290\n", "{}", text(&theirs.stderr));
    }
}

#[test]
fn autoincrement_counters_dump_as_sqlite3_writes_them_and_load_both_ways() {
    let setup = "\
CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, x TEXT);
INSERT INTO t(x) VALUES ('a'), ('b'), ('c');
DELETE FROM t WHERE id = 3;
";
    let ours = run_piped(EMBER, &[], &format!("{setup}.dump\n"));
    assert!(ours.status.success(), "{}", text(&ours.stderr));
    let dump = text(&ours.stdout);
    assert!(
        !dump.contains("CREATE TABLE IF NOT EXISTS sqlite_sequence"),
        "{dump}"
    );
    assert!(
        dump.contains("DELETE FROM sqlite_sequence;\nINSERT INTO sqlite_sequence VALUES('t',3);\n"),
        "{dump}"
    );
    let next = "INSERT INTO t(x) VALUES ('d');\nSELECT id FROM t WHERE x = 'd';\n";
    let loaded = run_piped(EMBER, &[], &format!("{dump}{next}"));
    assert_eq!(text(&loaded.stdout), "4\n", "{}", text(&loaded.stderr));
    if sqlite3_installed() {
        let theirs = run_piped("sqlite3", &[], &format!("{dump}{next}"));
        assert_eq!(text(&theirs.stdout), "4\n", "{}", text(&theirs.stderr));
        let their_dump = run_piped("sqlite3", &[], &format!("{setup}.dump\n"));
        let loaded = run_piped(EMBER, &[], &format!("{}{next}", text(&their_dump.stdout)));
        assert_eq!(text(&loaded.stdout), "4\n", "{}", text(&loaded.stderr));
    }
}

#[test]
fn memory_as_the_path_opens_in_memory() {
    let scratch = tempfile::tempdir().unwrap();
    let output = Command::new(EMBER)
        .current_dir(scratch.path())
        .args([
            ":memory:",
            "CREATE TABLE t(a); INSERT INTO t VALUES (1); SELECT a FROM t;",
        ])
        .output()
        .unwrap();
    assert_eq!(text(&output.stdout), "1\n", "{}", text(&output.stderr));
    assert!(output.status.success());
    let created: Vec<_> = std::fs::read_dir(scratch.path()).unwrap().collect();
    assert!(
        created.is_empty(),
        "a file or directory was created: {created:?}"
    );
}

#[test]
fn a_file_as_the_path_is_refused_and_an_sqlite_file_named_with_how_to_load_it() {
    let scratch = tempfile::tempdir().unwrap();
    let sqlite_file = scratch.path().join("app.db");
    let mut header = b"SQLite format 3\0".to_vec();
    header.resize(100, 0);
    std::fs::write(&sqlite_file, &header).unwrap();
    let other_file = scratch.path().join("notes.txt");
    std::fs::write(&other_file, "notes").unwrap();
    let output = Command::new(EMBER)
        .args([sqlite_file.to_str().unwrap(), "SELECT 1;"])
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("is an SQLite database file"), "{stderr}");
    assert!(
        stderr.contains("sqlite3") && stderr.contains(".dump | ember"),
        "{stderr}"
    );
    let output = run_piped(EMBER, &[], &format!(".open {}\n", other_file.display()));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("EmberDB databases are directories"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(&sqlite_file).unwrap(),
        header,
        "the file was changed"
    );
    assert_eq!(std::fs::read_to_string(&other_file).unwrap(), "notes");
}

#[test]
fn a_script_error_names_the_file_line_once() {
    let script = "SELECT 1;\n\nSELECT 2,\n  3 + );\n";
    let output = run_piped(EMBER, &[], script);
    let stderr = text(&output.stderr);
    let first_line = stderr.lines().next().unwrap_or_default();
    assert!(
        first_line.starts_with("Parse error near line 4: "),
        "{stderr}"
    );
    assert!(!first_line.contains("Line:"), "{stderr}");
}

#[test]
fn sqlite3_flags_and_modes_print_as_sqlite3_does() {
    let setup = "CREATE TABLE t(id INTEGER, name TEXT); \
                 INSERT INTO t VALUES (1, 'ab''c'), (22, NULL), (3, '<x&y>\"');";
    let query = "SELECT * FROM t;";
    let cases: [(&[&str], &str); 8] = [
        (&["-csv", "-header"], ""),
        (&["-column", "-header"], ""),
        (&["-column", "-noheader"], ""),
        (&["-html", "-header"], ""),
        (&["-ascii"], ""),
        (&["-quote", "-header"], ""),
        (&[], ".mode insert people\n.headers on\n"),
        (&["-echo", "-cmd", ".mode list"], ".headers on\n"),
    ];
    let expected = [
        "id,name\r\n1,ab'c\r\n22,\r\n3,\"<x&y>\"\"\"\r\n",
        "id  name  \n--  ------\n1   ab'c  \n22        \n3   <x&y>\"\n",
        "1   ab'c  \n22        \n3   <x&y>\"\n",
        "<TR><TH>id</TH>\n<TH>name</TH>\n</TR>\n<TR><TD>1</TD>\n<TD>ab&#39;c</TD>\n</TR>\n\
         <TR><TD>22</TD>\n<TD></TD>\n</TR>\n\
         <TR><TD>3</TD>\n<TD>&lt;x&amp;y&gt;&quot;</TD>\n</TR>\n",
        "1\x1fab'c\x1e22\x1f\x1e3\x1f<x&y>\"\x1e",
        "'id','name'\n1,'ab''c'\n22,NULL\n3,'<x&y>\"'\n",
        "INSERT INTO people(id,name) VALUES(1,'ab''c');\n\
         INSERT INTO people(id,name) VALUES(22,NULL);\n\
         INSERT INTO people(id,name) VALUES(3,'<x&y>\"');\n",
        "",
    ];
    for ((flags, dot_commands), expected) in cases.iter().zip(expected) {
        let script = format!("{dot_commands}{query}\n");
        let mut args: Vec<&str> = flags.to_vec();
        args.extend(["-cmd", setup]);
        let ours = run_piped(EMBER, &args, &script);
        assert!(ours.status.success(), "{flags:?}: {}", text(&ours.stderr));
        if !expected.is_empty() {
            assert_eq!(text(&ours.stdout), expected, "{flags:?}");
        }
        // sqlite3's `-csv` flag (unlike its `.mode csv`) ends rows with \n and quotes a
        // field holding `'`; ember's csv is `.mode csv`'s in both places.
        let csv = flags.contains(&"-csv") || script.contains("csv") || setup.contains("csv");
        if !csv && sqlite3_installed() {
            let theirs = run_piped("sqlite3", &args, &script);
            assert_eq!(
                text(&ours.stdout),
                text(&theirs.stdout),
                "{flags:?} {dot_commands:?}"
            );
        }
    }
}

#[test]
fn bail_stops_at_the_first_error_and_sql_may_be_the_last_argument() {
    let output = run_piped(
        EMBER,
        &["-bail"],
        "SELECT 1;\nSELECT * FROM missing;\nSELECT 2;\n",
    );
    assert_eq!(text(&output.stdout), "1\n");
    assert!(!output.status.success());
    let output = run_piped(EMBER, &[], "SELECT 1;\nSELECT * FROM missing;\nSELECT 2;\n");
    assert_eq!(
        text(&output.stdout),
        "1\n2\n",
        "without -bail the script goes on"
    );
    let output = Command::new(EMBER)
        .args(["-json", ":memory:", "SELECT 1 AS a"])
        .output()
        .unwrap();
    assert_eq!(
        text(&output.stdout),
        "[{\"a\":1}]\n",
        "{}",
        text(&output.stderr)
    );
}
