//! Tests of `PRAGMA integrity_check` over indexes that disagree with their tables (made so
//! by `SecondaryIndex::forget_entries_of`, or by rows written without their unique checks):
//! SQLite's messages, their cap, the one table checked, and `quick_check` leaving indexes
//! out.

use std::sync::Arc;

use ember_storage::Value;

use crate::Database;

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn check(db: &Database, pragma: &str) -> Vec<String> {
    db.connect()
        .query(pragma, ())
        .unwrap()
        .into_values()
        .into_iter()
        .map(|row| match &row[0] {
            Value::Text(problem) => problem.clone(),
            other => panic!("a problem is text: {other:?}"),
        })
        .collect()
}

/// Takes out of index `index` of `table` the entries under the key of the row `values`.
fn forget(db: &Database, table: &str, index: &str, values: &[Value]) {
    let catalog = db.catalog();
    let table = catalog.table(table).unwrap();
    let index = table.indexes.iter().find(|i| i.name == index).unwrap();
    assert!(index.storage.forget_entries_of(values) > 0);
}

fn people() -> Database {
    let db = Database::in_memory();
    db.connect()
        .execute_batch(
            "CREATE TABLE p(id INTEGER PRIMARY KEY, name TEXT, age INT);
             CREATE INDEX by_name ON p(name);
             CREATE INDEX by_age ON p USING HASH (age);
             CREATE INDEX adults ON p(name) WHERE age >= 18;
             CREATE INDEX lower_name ON p(lower(name));
             INSERT INTO p VALUES (1, 'ann', 30), (2, 'bob', 12), (3, 'cy', 40);",
        )
        .unwrap();
    db
}

#[test]
fn a_missing_entry_names_the_row_and_the_count() {
    let db = people();
    assert_eq!(check(&db, "PRAGMA integrity_check"), ["ok"]);
    let bob = [Value::Integer(2), text("bob"), Value::Integer(12)];
    forget(&db, "p", "by_name", &bob);
    assert_eq!(
        check(&db, "PRAGMA integrity_check"),
        [
            "row 2 missing from index by_name",
            "wrong # of entries in index by_name"
        ]
    );
    assert_eq!(check(&db, "PRAGMA quick_check"), ["ok"]);
    assert_eq!(
        check(&db, "PRAGMA integrity_check(1)"),
        ["row 2 missing from index by_name"]
    );
    assert_eq!(check(&db, "PRAGMA integrity_check(p)").len(), 2);
}

#[test]
fn every_kind_of_index_reports_its_missing_entries() {
    let db = people();
    db.connect()
        .execute("CREATE TABLE other(a INT UNIQUE)", ())
        .unwrap();
    let ann = [Value::Integer(1), text("ann"), Value::Integer(30)];
    let cy = [Value::Integer(3), text("cy"), Value::Integer(40)];
    forget(&db, "p", "by_age", &ann);
    forget(&db, "p", "adults", &cy);
    forget(&db, "p", "lower_name", &cy);
    assert_eq!(
        check(&db, "PRAGMA integrity_check"),
        [
            "row 1 missing from index by_age",
            "row 3 missing from index adults",
            "row 3 missing from index lower_name",
            "wrong # of entries in index by_age",
            "wrong # of entries in index adults",
            "wrong # of entries in index lower_name",
        ]
    );
    assert_eq!(check(&db, "PRAGMA integrity_check('other')"), ["ok"]);
    // A partial index misses nothing for a row its WHERE refuses.
    let db = people();
    let bob = [Value::Integer(2), text("bob"), Value::Integer(12)];
    assert_eq!(
        db.catalog().table("p").unwrap().indexes[2]
            .storage
            .forget_entries_of(&bob),
        0
    );
    assert_eq!(check(&db, "PRAGMA integrity_check"), ["ok"]);
}

#[test]
fn rows_repeating_a_unique_key_are_non_unique_entries() {
    let db = Database::in_memory();
    db.connect()
        .execute_batch(
            "CREATE TABLE u(id INTEGER PRIMARY KEY, email TEXT UNIQUE, nick TEXT);
             CREATE UNIQUE INDEX u_nick ON u(nick COLLATE NOCASE);
             INSERT INTO u VALUES (1, 'a@x', 'Al'), (2, 'b@x', NULL), (3, NULL, NULL);",
        )
        .unwrap();
    assert_eq!(check(&db, "PRAGMA integrity_check"), ["ok"]);
    let table = Arc::clone(&db.catalog().table("u").unwrap().storage);
    let mut txn = db.shared.store.begin().unwrap();
    txn.skip_unique_checks();
    for (id, email, nick) in [(4, "a@x", "AL"), (5, "a@x", "x")] {
        let row = [Value::Integer(id), text(email), text(nick)];
        txn.insert(&table, &row).unwrap();
    }
    txn.commit().unwrap();
    let email_index = db.catalog().table("u").unwrap().indexes[0].name.clone();
    assert_eq!(
        check(&db, "PRAGMA integrity_check"),
        [
            format!("non-unique entry in index {email_index}"),
            "non-unique entry in index u_nick".to_string(),
            format!("non-unique entry in index {email_index}"),
        ]
    );
    assert_eq!(check(&db, "PRAGMA quick_check"), ["ok"]);
}
