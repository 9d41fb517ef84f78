//! Quick start: open an in-memory database, create a table, insert with parameters, query
//! with typed access, use a prepared statement, a transaction and serde.
//!
//! Run with `cargo run --example quickstart -p ember`.

use ember::{Database, OptionalExtension};

#[derive(serde::Deserialize)]
struct User {
    id: i64,
    name: String,
    email: Option<String>,
}

pub fn main() -> ember::Result<()> {
    let db = Database::in_memory(); // cheap to clone; share it across threads
    let mut conn = db.connect(); // one connection per thread

    conn.execute_batch(
        "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT);
         INSERT INTO users VALUES (1, 'ada', 'ada@example.com'), (2, 'grace', NULL);",
    )?;
    conn.execute(
        "INSERT INTO users VALUES (?, ?, ?)",
        (3, "linus", None::<&str>),
    )?;

    // Typed access by position or by name; NULL reads as None. `iter` reads the rows in
    // place (`into_iter`, what a bare `for row in rows` does, copies each row out).
    for row in conn
        .query("SELECT id, name, email FROM users ORDER BY id", ())?
        .iter()
    {
        let id: i64 = row.get(0)?;
        let name: String = row.get("name")?;
        let email: Option<String> = row.get("email")?;
        println!("{id} {name} {}", email.as_deref().unwrap_or("-"));
    }

    // Prepared once, run many times without parsing again.
    let mut by_id = conn.prepare("SELECT name FROM users WHERE id = ?")?;
    for id in 1..=3 {
        let name: String = by_id.query_value([id])?;
        println!("user {id} is {name}");
    }
    let missing: Option<String> = by_id.query_value([42]).optional()?;
    println!("user 42: {missing:?}");
    drop(by_id);

    // Rows read lazily: computed as the loop pulls them, memory flat for any row count.
    let mut names = conn.prepare("SELECT name FROM users ORDER BY id")?;
    for name in names.query_map((), |row| row.get::<String>(0))? {
        println!("name: {}", name?);
    }
    drop(names);

    // Rows onto structs by column name.
    let users: Vec<User> = conn.query_as("SELECT * FROM users WHERE email IS NULL", ())?;
    for user in &users {
        println!("no email: {} {} {:?}", user.id, user.name, user.email);
    }

    // A transaction rolls back unless committed.
    let tx = conn.transaction()?;
    tx.execute("DELETE FROM users", ())?;
    drop(tx);
    let count = conn.query("SELECT id FROM users", ())?.len();
    println!("{count} users after the rolled-back delete");
    println!("parses so far: {}", conn.stats().parses);
    Ok(())
}
