//! `ember::script::is_complete` (where the shell ends a statement) against SQLite's own
//! `sqlite3_complete` (from the bundled SQLite), over generated texts mixing the tokens its
//! state machine tells apart: `;`, CREATE [TEMP] TRIGGER .. BEGIN .. END, EXPLAIN, strings,
//! quoted identifiers, both comment forms, open literals and comments, and look-alike words.

use std::ffi::CString;

const PIECES: [&str; 31] = [
    "CREATE",
    " ",
    "TRIGGER",
    "TEMP",
    "temporary",
    "END",
    "end",
    "EXPLAIN",
    ";",
    "BEGIN",
    "SELECT",
    "1",
    "'a;b'",
    "'x",
    "\"q;\"",
    "[z;]",
    "`b;`",
    "-- c;\n",
    "--x",
    "/* ; */",
    "/* open",
    "\n",
    "x",
    "(",
    ")",
    "CASE",
    "trigger_x",
    "endx",
    "tab",
    "\t",
    "é",
];

fn sqlite_complete(text: &str) -> bool {
    let text = CString::new(text).expect("the pieces hold no NUL");
    // SAFETY: `text` is a NUL-terminated string that outlives the call; sqlite3_complete
    // only reads it.
    unsafe { rusqlite::ffi::sqlite3_complete(text.as_ptr()) != 0 }
}

#[test]
fn completeness_agrees_with_sqlite3_complete() {
    let mut rng = fastrand::Rng::with_seed(59);
    for _ in 0..50_000 {
        let pieces = rng.usize(0..14);
        let mut text: String = (0..pieces)
            .map(|_| PIECES[rng.usize(..PIECES.len())])
            .collect();
        // Ended by a line break, as the shell's lines are: SQLite versions differ on text
        // that ends inside a `--` comment (3.40 calls it complete after a `;`, the bundled
        // one does not), and a trailing line break changes nothing else.
        text.push('\n');
        assert_eq!(
            ember::script::is_complete(&text),
            sqlite_complete(&text),
            "{text:?}"
        );
    }
}

#[test]
fn split_statements_end_where_sqlite3_complete_first_says_complete() {
    let mut rng = fastrand::Rng::with_seed(61);
    for _ in 0..20_000 {
        let pieces = rng.usize(0..14);
        let text: String = (0..pieces)
            .map(|_| PIECES[rng.usize(..PIECES.len())])
            .collect();
        let statements = ember::script::split_statements(&text);
        let Some(first) = statements.first() else {
            continue;
        };
        // From where the first statement starts, SQLite's prefixes first turn complete at
        // the `;` that ends it (and never, when it runs to the end of the text).
        let tail = &text[first.as_ptr() as usize - text.as_ptr() as usize..];
        let len = first.len();
        let earlier = (0..len)
            .filter(|&at| tail.is_char_boundary(at) && tail[at..].starts_with(';'))
            .find(|&at| sqlite_complete(&tail[..=at]));
        assert_eq!(earlier, None, "{text:?}: SQLite ends the statement sooner");
        if tail[len..].starts_with(';') {
            assert!(sqlite_complete(&tail[..=len]), "{text:?}: {first:?}");
        }
    }
}
