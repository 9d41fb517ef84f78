//! `json_extract`, `->` and `->>` with one path, answered by a walk of the text that builds
//! no tree (`json/locate.rs`), against SQLite: nested values, duplicate keys (the first
//! wins, even when it leads nowhere), escaped keys and strings, numbers of every form,
//! non-ASCII text, NULL documents and paths, number documents, paths of the wrong kind,
//! and malformed documents (an error in both engines).

use ember::Value;

use super::support::{assert_same_rows, both_engines, ember_rows, insert_into_both, sqlite_rows};

/// Documents every engine reads as JSON.
const DOCUMENTS: &[&str] = &[
    r#"{"a":1}"#,
    r#" { "a" : [1, 2, {"b": [3, 4.5e1]}], "a": 5, "c": {"d": null} } "#,
    r#"{"a":{"x":1},"a":{"b":2}}"#,
    r#"{"a":1,"a":{"b":2}}"#,
    r#"{"b\u0063":true,"bc":false,"q\"k":"v\"w"}"#,
    r#"[[1,[2,[3]]],{"a":[]},{},[],"s\"x\\y\u00e9",-1.5e+3,0,-0,1E2]"#,
    r#"{"a":[{"b":1},{"b":2}],"b":{"a":9},"c":"\ud83d\ude00"}"#,
    r#"{"é":"ü","a":"日本","n":9223372036854775807,"m":9223372036854775808,"f":0.1}"#,
    r#""just a string""#,
    r#"42"#,
    r#"true"#,
    r#"null"#,
    r#"[]"#,
    r#"{"a":{"b":{"c":[10,20,{"d":"deep"}]}}}"#,
];

const PATHS: &[&str] = &[
    "$",
    "$.a",
    "$.b",
    "$.c",
    "$.a[0]",
    "$.a[2]",
    "$.a[2].b",
    "$.a[2].b[1]",
    "$.a.b",
    "$.bc",
    "$[0]",
    "$[1]",
    "$[4]",
    "$[5]",
    "$[8]",
    "$[0][1][1][0]",
    "$[1].a",
    "$.c.d",
    "$.c.e",
    "$.a[#-1]",
    "$[#-2]",
    "$[99]",
    "$.x.y.z",
    "$.\"é\"",
    "$.n",
    "$.m",
    "$.f",
    "$.a.b.c[2].d",
    "$.a.b.c",
    "$.a[1].b",
];

#[test]
fn one_path_lookups_match_sqlite() {
    let (db, sqlite) = both_engines(&["CREATE TABLE docs(id INTEGER PRIMARY KEY, doc TEXT)"]);
    let rows = DOCUMENTS
        .iter()
        .enumerate()
        .map(|(id, doc)| [Value::Integer(id as i64), Value::Text(doc.to_string())]);
    insert_into_both(&db, &sqlite, "INSERT INTO docs VALUES (?, ?)", rows);
    let ember = db.connect();
    let mut queries = Vec::new();
    for path in PATHS {
        let path = path.replace('\'', "''");
        queries.push(format!(
            "SELECT id, json_extract(doc, '{path}'), typeof(json_extract(doc, '{path}')), \
             doc -> '{path}', doc ->> '{path}', typeof(doc ->> '{path}') \
             FROM docs ORDER BY id"
        ));
    }
    // The arrows' abbreviations, and documents that are numbers or NULL.
    queries.extend(
        [
            "SELECT id, doc -> 'a', doc ->> 'a', doc -> 0, doc ->> 1, doc ->> -1 FROM docs \
             ORDER BY id",
            "SELECT json_extract(12, '$'), json_extract(1.5, '$'), 12 -> '$', 12 ->> '$'",
            "SELECT json_extract(NULL, '$.a'), json_extract('{\"a\":1}', NULL), \
             NULL -> '$', '[1]' -> NULL, NULL ->> NULL",
            "SELECT sum(json_extract('{\"a\":' || id || ',\"b\":[' || id || ']}', '$.b[0]')) \
             FROM docs",
        ]
        .map(String::from),
    );
    let queries: Vec<&str> = queries.iter().map(String::as_str).collect();
    assert_same_rows(&ember, &sqlite, &queries);
}

#[test]
fn malformed_documents_fail_in_both() {
    let (db, sqlite) = both_engines(&[]);
    let ember = db.connect();
    for doc in [
        "[1,2",
        "{\"a\":1",
        "{\"a\" 1}",
        "[1 2]",
        "{\"a\":01}",
        "\"abc",
        "[\"\\u12\"]",
        "tru",
        "{\"a\":[1,2]]",
        "{\"a\":1}}",
        "1 x",
        "{1:2}",
        "",
        " ",
    ] {
        for path in ["$", "$.a", "$[0]", "$.a[#-1]"] {
            let sql = format!("SELECT json_extract('{doc}', '{path}')");
            let (ours, theirs) = (ember_rows(&ember, &sql), sqlite_rows(&sqlite, &sql));
            assert!(
                ours.is_err() && theirs.is_err(),
                "{sql}: {ours:?} / {theirs:?}"
            );
            assert_eq!(ours.unwrap_err(), "malformed JSON", "{sql}");
            let sql = format!("SELECT '{doc}' ->> '{path}'");
            let (ours, theirs) = (ember_rows(&ember, &sql), sqlite_rows(&sqlite, &sql));
            assert!(
                ours.is_err() && theirs.is_err(),
                "{sql}: {ours:?} / {theirs:?}"
            );
        }
    }
    // A malformed document's error comes before a bad path's.
    let sql = "SELECT json_extract('[1', 'x')";
    assert_eq!(ember_rows(&ember, sql).unwrap_err(), "malformed JSON");
    assert!(sqlite_rows(&sqlite, sql).is_err());
    // A bad path in a well-formed document, and NULL documents with any path.
    let sql = "SELECT json_extract('[1]', 'x')";
    assert_eq!(ember_rows(&ember, sql).unwrap_err(), "bad JSON path: 'x'");
    assert_same_rows(
        &ember,
        &sqlite,
        &[
            "SELECT json_extract(NULL, 'x')",
            "SELECT json_extract('[1]', NULL)",
        ],
    );
}

/// Quoted path keys with escapes (`$."q\"k"`): looked up, set, inserted, replaced and removed
/// as SQLite does, the key decoded to match and written as the path has it when created.
#[test]
fn escaped_quoted_keys_match_sqlite() {
    let (db, sqlite) = both_engines(&["CREATE TABLE docs(id INTEGER PRIMARY KEY, doc TEXT)"]);
    let rows = DOCUMENTS
        .iter()
        .enumerate()
        .map(|(id, doc)| [Value::Integer(id as i64), Value::Text(doc.to_string())]);
    insert_into_both(&db, &sqlite, "INSERT INTO docs VALUES (?, ?)", rows);
    let ember = db.connect();
    let paths = [
        r#"$."q\"k""#,
        r#"$."b\u0063""#,
        r#"$."\u00e9""#,
        r#"$."a\\b""#,
        r#"$."new\"key".x"#,
        r#"$."t\tab""#,
        r#"$."s\/l""#,
        r#"$."\"""#,
        r#"$."q\"k"[0]"#,
        r#"$.a."b\"c"[#]"#,
    ];
    let mut queries = Vec::new();
    for path in paths {
        queries.push(format!(
            "SELECT id, json_extract(doc, '{path}'), doc -> '{path}', doc ->> '{path}', \
             json_set(doc, '{path}', 'v'), json_insert(doc, '{path}', 1), \
             json_replace(doc, '{path}', 2), json_remove(doc, '{path}') \
             FROM docs WHERE json_valid(doc) ORDER BY id"
        ));
        queries.push(format!(
            "SELECT key, value, fullkey, path FROM docs, json_tree(doc, '{path}') \
             WHERE docs.id = 4 ORDER BY fullkey"
        ));
    }
    queries.push(r#"SELECT json_set('{}', '$."a\"b"', 1, '$."c\\d"', 2, '$."e\u0066"', 3)"#.into());
    queries.push(r#"SELECT json_object('q"k', 1) ->> '$."q\"k"'"#.into());
    let queries: Vec<&str> = queries.iter().map(String::as_str).collect();
    assert_same_rows(&ember, &sqlite, &queries);
    // Escapes JSON does not have, and a quoted key left open, are refused (SQLite reads
    // JSON5's escapes; this engine reads only JSON's).
    for bad in [r#"$."a\q""#, r#"$."a\"#, r#"$."a\u12""#, r#"$."a\""#] {
        let sql = format!("SELECT json_extract('{{}}', '{bad}')");
        assert!(ember_rows(&ember, &sql).is_err(), "{sql}");
    }
    let sql = r#"SELECT json_extract('{}', '$."a\"')"#;
    assert!(sqlite_rows(&sqlite, sql).is_err(), "{sql}");
}
