//! Many connections on one database from many threads: the bank-transfer invariant test.
//! Writers move money between accounts in explicit transactions and retry on serialization
//! conflicts; readers check that every snapshot they read has the exact total. Sizes come
//! from `EMBER_BANK_THREADS` / `EMBER_BANK_TRANSFERS` (defaults: the 8 x 5,000).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use ember::{Connection, Database, Error, ErrorKind};

const ACCOUNTS: i64 = 100;
const INITIAL_BALANCE: i64 = 1_000;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % bound
    }
}

fn balance(conn: &mut Connection, id: i64) -> Result<i64, Error> {
    conn.query("SELECT balance FROM accounts WHERE id = ?", [id])?
        .first()
        .expect("account exists")
        .get(0)
}

/// One transfer in an explicit transaction; an error leaves the transaction open or aborted.
fn transfer(
    conn: &mut Connection,
    entry: i64,
    from: i64,
    to: i64,
    amount: i64,
) -> Result<(), Error> {
    conn.execute("BEGIN", ())?;
    let from_balance = balance(conn, from)?;
    let to_balance = balance(conn, to)?;
    conn.execute(
        "UPDATE accounts SET balance = ? WHERE id = ?",
        (from_balance - amount, from),
    )?;
    conn.execute(
        "UPDATE accounts SET balance = ? WHERE id = ?",
        (to_balance + amount, to),
    )?;
    conn.execute(
        "INSERT INTO ledger VALUES (?, ?, ?, ?)",
        (entry, from, to, amount),
    )?;
    conn.execute("COMMIT", ())?;
    Ok(())
}

fn total(conn: &mut Connection) -> i64 {
    let rows = conn.query("SELECT balance FROM accounts", ()).unwrap();
    assert_eq!(
        rows.len() as i64,
        ACCOUNTS,
        "every snapshot has every account"
    );
    rows.into_iter().map(|row| row.get::<i64>(0).unwrap()).sum()
}

#[test]
fn bank_transfers_keep_the_total_in_every_snapshot() {
    let threads = env_or("EMBER_BANK_THREADS", 8);
    let transfers = env_or("EMBER_BANK_TRANSFERS", 5_000);
    let db = Database::in_memory();
    let mut setup = db.connect();
    setup
        .execute_batch(
            "CREATE TABLE accounts(id INTEGER PRIMARY KEY, balance INTEGER NOT NULL);
             CREATE TABLE ledger(id INTEGER PRIMARY KEY, src INTEGER, dst INTEGER,
                                 amount INTEGER);",
        )
        .unwrap();
    for id in 0..ACCOUNTS {
        setup
            .execute("INSERT INTO accounts VALUES (?, ?)", (id, INITIAL_BALANCE))
            .unwrap();
    }
    let committed = Arc::new(AtomicU64::new(0));
    let conflicts = Arc::new(AtomicU64::new(0));
    let writers_done = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..threads)
        .map(|thread| {
            let (db, committed, conflicts) =
                (db.clone(), Arc::clone(&committed), Arc::clone(&conflicts));
            std::thread::spawn(move || {
                let mut conn = db.connect();
                let mut rng = Rng::new(thread as u64 + 1);
                for i in 0..transfers {
                    let from = rng.below(ACCOUNTS as u64) as i64;
                    let to = (from + 1 + rng.below(ACCOUNTS as u64 - 1) as i64) % ACCOUNTS;
                    let amount = 1 + rng.below(50) as i64;
                    let entry = (thread * transfers + i) as i64;
                    loop {
                        match transfer(&mut conn, entry, from, to, amount) {
                            Ok(()) => {
                                committed.fetch_add(1, Ordering::Relaxed);
                                break;
                            }
                            Err(error) => {
                                assert_eq!(
                                    error.kind(),
                                    ErrorKind::SerializationConflict,
                                    "unexpected error: {error}"
                                );
                                conflicts.fetch_add(1, Ordering::Relaxed);
                                if conn.in_transaction() {
                                    conn.execute("ROLLBACK", ()).unwrap();
                                }
                            }
                        }
                    }
                }
            })
        })
        .collect();
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (db, writers_done) = (db.clone(), Arc::clone(&writers_done));
            std::thread::spawn(move || {
                let mut conn = db.connect();
                let mut checks = 0u64;
                while !writers_done.load(Ordering::Relaxed) || checks == 0 {
                    assert_eq!(total(&mut conn), ACCOUNTS * INITIAL_BALANCE);
                    conn.execute("BEGIN", ()).unwrap();
                    let first = total(&mut conn);
                    let second = total(&mut conn);
                    conn.execute("COMMIT", ()).unwrap();
                    assert_eq!((first, second), (ACCOUNTS * INITIAL_BALANCE, first));
                    checks += 1;
                }
                checks
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    writers_done.store(true, Ordering::Relaxed);
    let checks: u64 = readers.into_iter().map(|r| r.join().unwrap()).sum();

    let committed = committed.load(Ordering::Relaxed);
    assert_eq!(committed, (threads * transfers) as u64);
    assert_eq!(total(&mut setup), ACCOUNTS * INITIAL_BALANCE);
    let ledger = setup
        .query("SELECT src, dst, amount FROM ledger", ())
        .unwrap();
    assert_eq!(
        ledger.len() as u64,
        committed,
        "one ledger entry per committed transfer"
    );
    let mut expected = vec![INITIAL_BALANCE; ACCOUNTS as usize];
    for row in ledger.into_iter() {
        let (src, dst, amount): (i64, i64, i64) = (
            row.get(0).unwrap(),
            row.get(1).unwrap(),
            row.get(2).unwrap(),
        );
        expected[src as usize] -= amount;
        expected[dst as usize] += amount;
    }
    for (id, expected) in expected.iter().enumerate() {
        assert_eq!(
            balance(&mut setup, id as i64).unwrap(),
            *expected,
            "account {id}"
        );
    }
    println!(
        "bank: {threads} threads x {transfers} transfers, committed {committed}, \
         conflicts retried {}, reader snapshot checks {checks}",
        conflicts.load(Ordering::Relaxed)
    );
}
