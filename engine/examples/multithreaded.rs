//! Several threads share one `Database`, each with its own `Connection`: writers move money
//! between accounts in transactions retried on serialization conflicts (`transact`), while
//! readers check that the total never changes (snapshot isolation).
//!
//! Run with `cargo run --example multithreaded -p ember`.

use std::thread;

use ember::Database;

const ACCOUNTS: i64 = 10;
const TRANSFERS_PER_THREAD: i64 = 500;

pub fn main() -> ember::Result<()> {
    let db = Database::in_memory();
    let setup = db.connect();
    setup.execute(
        "CREATE TABLE acct(id INTEGER PRIMARY KEY, balance INT NOT NULL)",
        (),
    )?;
    let mut insert = setup.prepare("INSERT INTO acct VALUES (?, 100)")?;
    for id in 0..ACCOUNTS {
        insert.execute([id])?;
    }

    let writers: Vec<_> = (0..4)
        .map(|thread_index| {
            let db = db.clone();
            thread::spawn(move || -> ember::Result<()> {
                let mut conn = db.connect();
                for i in 0..TRANSFERS_PER_THREAD {
                    let from = (i + thread_index) % ACCOUNTS;
                    let to = (i * 7 + thread_index + 1) % ACCOUNTS;
                    conn.transact(|tx| {
                        let sql = "UPDATE acct SET balance = balance + ? WHERE id = ?";
                        tx.execute(sql, (-1, from))?;
                        tx.execute(sql, (1, to))?;
                        Ok(())
                    })?;
                }
                Ok(())
            })
        })
        .collect();
    let reader = {
        let db = db.clone();
        thread::spawn(move || -> ember::Result<()> {
            let conn = db.connect();
            let mut balances = conn.prepare("SELECT balance FROM acct")?;
            for _ in 0..200 {
                let sum: i64 = balances
                    .query_map((), |row| row.get::<i64>(0))?
                    .sum::<ember::Result<i64>>()?;
                assert_eq!(sum, ACCOUNTS * 100, "a reader saw a half-done transfer");
            }
            Ok(())
        })
    };
    for writer in writers {
        writer.join().expect("writer thread panicked")?;
    }
    reader.join().expect("reader thread panicked")?;
    let sum: i64 = balances_of(&setup)?;
    println!("4 writers x {TRANSFERS_PER_THREAD} transfers done; total balance {sum}");
    assert_eq!(sum, ACCOUNTS * 100);
    Ok(())
}

fn balances_of(conn: &ember::Connection) -> ember::Result<i64> {
    let rows = conn.query("SELECT balance FROM acct", ())?;
    rows.iter().map(|row| row.get::<i64>(0)).sum()
}
