//! The `bank` mode: in a child process four threads transfer money between 10 accounts
//! under `SyncPolicy::Always` (group commit), each transfer debiting, crediting and
//! recording itself in `xfer(id, src, dst, amount)` in one transaction, while a checkpointer
//! thread runs `CHECKPOINT` a few milliseconds apart (and automatic checkpoints start every
//! 4 KiB of log); SIGKILL at a random moment. The child prints `ack ID FROM TO AMOUNT` once
//! a transfer is committed and `fail ID` when one is rolled back after a write conflict.
//! Transfer ids are unique over the whole run (cycle, thread, sequence) and each id's
//! accounts and amount are a function of the seed and the id, so the parent knows what every
//! attempt was. After each kill the parent reopens and requires:
//!
//! - every acknowledged transfer present, as acknowledged, and every transfer an earlier
//!   reopen found still present;
//! - nothing else present but, per thread, the one transfer in flight at the kill (the id
//!   after the last one it reported), as that id's transfer would be;
//! - every account's balance equal to its opening balance plus the transfers present (a lost
//!   or half-applied transfer shows), and the total unchanged.
//!
//! Each acknowledged transfer is counted once. The child side is `child_bank`.
//!
//! The `serial-bank` mode runs the same protocol with an invariant that spans rows: account
//! `2c` and `2c + 1` belong to customer `c`, whose two balances must sum to at least 0. Each
//! transfer is a SERIALIZABLE transaction that reads both of the paying customer's balances
//! and is declined (rolled back, reported as `fail`) when the payment would take their sum
//! below 0; one account alone may go below 0. Under snapshot isolation two concurrent
//! payments from one customer's two accounts could each see enough money (write skew); the
//! parent checks every customer's sum after each reopen besides everything above.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use ember::{Connection, Database, ErrorKind, Options, SyncPolicy};

use super::kill_child::{self, KillTally};
use super::Summary;

const ACCOUNTS: i64 = 10;
const BALANCE: i64 = 1000;
/// The opening balance of each account in `serial-bank`: low, so payments are declined.
const SERIAL_BALANCE: i64 = 40;
const THREADS: i64 = 4;
/// Each cycle and thread numbers its transfers in its own range of ids.
const IDS_PER_THREAD: i64 = 1 << 32;

pub(super) fn options() -> Options {
    Options::new()
        .sync_policy(SyncPolicy::Always)
        .checkpoint_bytes(4 << 10)
}

/// One transfer: money moved from one account to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Transfer {
    pub(super) from: i64,
    pub(super) to: i64,
    pub(super) amount: i64,
}

/// The transfer numbered `id`: the same in the child that attempts it and in the parent.
pub(super) fn transfer(seed: u64, id: i64) -> Transfer {
    let mut rng = fastrand::Rng::with_seed(seed ^ (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let from = rng.i64(0..ACCOUNTS);
    Transfer {
        from,
        to: (from + rng.i64(1..ACCOUNTS)) % ACCOUNTS,
        amount: rng.i64(1..50),
    }
}

pub(super) fn first_id(cycle: u64, thread: i64) -> i64 {
    (cycle as i64 * THREADS + thread) * IDS_PER_THREAD
}

/// The cycle and thread whose range holds `id`.
fn owner(id: i64) -> (i64, i64) {
    let range = id.div_euclid(IDS_PER_THREAD);
    (range.div_euclid(THREADS), range.rem_euclid(THREADS))
}

pub fn bank(seed: u64, cycles: u64) -> Summary {
    bank_with(seed, cycles, None)
}

/// Which bank: `bank` (transfers at the default isolation) or `serial-bank` (SERIALIZABLE
/// transfers that keep every customer's sum at least 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bank {
    Plain,
    Serial,
}

impl Bank {
    fn name(self) -> &'static str {
        match self {
            Bank::Plain => "bank",
            Bank::Serial => "serial-bank",
        }
    }

    fn opening_balance(self) -> i64 {
        match self {
            Bank::Plain => BALANCE,
            Bank::Serial => SERIAL_BALANCE,
        }
    }
}

/// The `serial-bank` mode (see the module comment).
pub fn serial_bank(seed: u64, cycles: u64) -> Summary {
    bank_of(Bank::Serial, seed, cycles, None)
}

/// What one child reported, checked against the ids its threads were to use.
#[derive(Debug, Default)]
pub(super) struct Reported {
    pub(super) acked: BTreeMap<i64, Transfer>,
    failed: BTreeSet<i64>,
    /// Per thread, the id it was working on at the kill.
    in_flight: BTreeSet<i64>,
}

pub(super) fn parse_report(
    seed: u64,
    cycle: u64,
    acks: &[String],
    fails: &[String],
) -> Result<Reported, String> {
    let mut reported = Reported::default();
    let mut ids = Vec::new();
    for line in acks {
        let fields: Vec<i64> = line
            .split_whitespace()
            .filter_map(|f| f.parse().ok())
            .collect();
        let [id, from, to, amount] = fields[..] else {
            return Err(format!("the child printed a bad ack: {line}"));
        };
        let acked = Transfer { from, to, amount };
        if acked != transfer(seed, id) {
            return Err(format!(
                "the child acknowledged {line}, but transfer {id} is {:?}",
                transfer(seed, id)
            ));
        }
        reported.acked.insert(id, acked);
        ids.push(id);
    }
    for line in fails {
        let id: i64 = line
            .trim()
            .parse()
            .map_err(|_| format!("the child printed a bad fail: {line}"))?;
        reported.failed.insert(id);
        ids.push(id);
    }
    // Each thread reports its ids in order, once each; the one in flight at the kill is the
    // one after the last it reported.
    let mut next: Vec<i64> = (0..THREADS).map(|t| first_id(cycle, t)).collect();
    ids.sort_unstable();
    for id in ids {
        let (c, thread) = owner(id);
        let slot = &mut next[thread as usize];
        if c != cycle as i64 || id < *slot {
            return Err(format!(
                "the child reported transfer {id} twice, or one of another cycle"
            ));
        }
        *slot = id.saturating_add(1);
    }
    reported.in_flight = next.into_iter().collect();
    Ok(reported)
}

/// `bank`, with the child misbehaving on purpose when `broken` names a way (see
/// `kill_child::BROKEN`; `bank-broken` runs `drop-transfer`).
pub fn bank_with(seed: u64, cycles: u64, broken: Option<&str>) -> Summary {
    bank_of(Bank::Plain, seed, cycles, broken)
}

fn bank_of(bank: Bank, seed: u64, cycles: u64, broken: Option<&str>) -> Summary {
    let mut summary = Summary::new(match (bank, broken) {
        (Bank::Plain, Some(_)) => "bank-broken",
        (bank, _) => bank.name(),
    });
    let dir = kill_child::scratch_dir(bank.name(), seed);
    let _ = std::fs::remove_dir_all(&dir);
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut tally = KillTally::default();
    // The transfers the last reopen found: they must stay.
    let mut durable: BTreeMap<i64, Transfer> = BTreeMap::new();
    let (mut doubt_present, mut doubt_absent) = (0u64, 0u64);
    for cycle in 0..cycles {
        let fail = |summary: &mut Summary, detail: String| {
            let note = broken.map_or_else(kill_child::broken_note, |value| {
                format!(
                    " (the child was broken on purpose: {}={value})",
                    kill_child::BROKEN
                )
            });
            summary.fail_after(
                seed,
                cycle + 1,
                format!(
                    "cycle {cycle}, {} transfers present before it: {detail}{note}",
                    durable.len()
                ),
            );
        };
        let run = match kill_child::run_child(
            bank.name(),
            &dir,
            seed,
            &cycle.to_string(),
            kill_child::run_ms(&mut rng),
            broken,
        )
        .and_then(|run| tally.count(&mut summary, run))
        {
            Ok(run) => run,
            Err(detail) => {
                fail(&mut summary, detail);
                break;
            }
        };
        let checked = parse_report(seed, cycle, &run.acks, &run.fails).and_then(|reported| {
            let reopen = || Database::open_with(&dir, options());
            Ok((check(bank, &reopen, seed, &durable, &reported)?, reported))
        });
        let (present, reported) = match checked {
            Ok(checked) => checked,
            Err(detail) => {
                fail(&mut summary, detail);
                break;
            }
        };
        let resolved = reported
            .in_flight
            .iter()
            .filter(|id| present.contains_key(id));
        let found_in_doubt = resolved.count() as u64;
        doubt_present += found_in_doubt;
        doubt_absent += reported.in_flight.len() as u64 - found_in_doubt;
        summary.commits_verified += reported.acked.len() as u64;
        durable = present;
        summary.cycles += 1;
    }
    summary.notes = format!(
        "commits verified: distinct acknowledged transfers, each counted once; {} transfers \
         present at the end; in doubt at a kill (each thread's next id): {doubt_present} \
         found, {doubt_absent} not; {}",
        durable.len(),
        tally.notes()
    );
    let _ = std::fs::remove_dir_all(&dir);
    summary
}

/// A transfer id with what it names, for messages.
fn describe(id: i64, transfer: &Transfer) -> String {
    let (cycle, thread) = owner(id);
    format!(
        "{id} (cycle {cycle}, thread {thread}, #{}: {} -> {}, {})",
        id.rem_euclid(IDS_PER_THREAD),
        transfer.from,
        transfer.to,
        transfer.amount
    )
}

/// Reopens (with `reopen`) and checks the transfers and balances (see the module comment);
/// returns the transfers present.
pub(super) fn check(
    bank: Bank,
    reopen: &dyn Fn() -> ember::Result<Database>,
    seed: u64,
    durable: &BTreeMap<i64, Transfer>,
    reported: &Reported,
) -> Result<BTreeMap<i64, Transfer>, String> {
    let db = reopen().map_err(|e| format!("reopen failed: {e}"))?;
    let conn = db.connect();
    let nothing_before = durable.is_empty() && reported.acked.is_empty();
    let present = match read_transfers(&conn) {
        Ok(present) => present,
        Err(e) if e.kind() == ErrorKind::NotFound && nothing_before => return Ok(BTreeMap::new()),
        Err(e) => return Err(format!("reading xfer failed: {e}")),
    };
    let mut problems = Vec::new();
    for (id, acked) in &reported.acked {
        match present.get(id) {
            Some(found) if found == acked => {}
            Some(found) => problems.push(format!(
                "acknowledged transfer {} is present as {found:?}",
                describe(*id, acked)
            )),
            None => problems.push(format!(
                "acknowledged transfer {} is missing",
                describe(*id, acked)
            )),
        }
    }
    for (id, before) in durable {
        if present.get(id) != Some(before) {
            problems.push(format!(
                "transfer {}, present at the last reopen, is {:?} now",
                describe(*id, before),
                present.get(id)
            ));
        }
    }
    for (id, found) in &present {
        if durable.contains_key(id) || reported.acked.contains_key(id) {
            continue;
        }
        if reported.failed.contains(id) {
            problems.push(format!(
                "transfer {} was rolled back (a write conflict) but is present",
                describe(*id, found)
            ));
        } else if !reported.in_flight.contains(id) {
            problems.push(format!(
                "transfer {} is present but was never attempted (neither acknowledged nor in \
                 flight at a kill)",
                describe(*id, found)
            ));
        } else if *found != transfer(seed, *id) {
            problems.push(format!(
                "transfer {} in flight at the kill is present as {found:?}",
                describe(*id, &transfer(seed, *id))
            ));
        }
    }
    if !problems.is_empty() {
        let count = problems.len();
        problems.truncate(5);
        return Err(format!("{count} problems: {}", problems.join("; ")));
    }
    check_balances(bank, &conn, &present)?;
    Ok(present)
}

fn read_transfers(conn: &Connection) -> ember::Result<BTreeMap<i64, Transfer>> {
    let mut present = BTreeMap::new();
    for row in conn.query("SELECT id, src, dst, amount FROM xfer", ())? {
        let transfer = Transfer {
            from: row.get(1)?,
            to: row.get(2)?,
            amount: row.get(3)?,
        };
        present.insert(row.get(0)?, transfer);
    }
    Ok(present)
}

/// Each account holds its opening balance plus the transfers present; the total is whole.
fn check_balances(
    bank: Bank,
    conn: &Connection,
    present: &BTreeMap<i64, Transfer>,
) -> Result<(), String> {
    let opening = bank.opening_balance();
    let mut expected = vec![opening; ACCOUNTS as usize];
    for transfer in present.values() {
        let valid = |account: i64| (0..ACCOUNTS).contains(&account);
        if !valid(transfer.from) || !valid(transfer.to) {
            return Err(format!("a transfer names an unknown account: {transfer:?}"));
        }
        let (from, to) = (transfer.from as usize, transfer.to as usize);
        expected[from] = expected[from].wrapping_sub(transfer.amount);
        expected[to] = expected[to].wrapping_add(transfer.amount);
    }
    let rows = conn
        .query("SELECT id, bal FROM acct ORDER BY id", ())
        .map_err(|e| format!("reading acct failed: {e}"))?;
    let mut found = Vec::new();
    for (index, row) in rows.into_iter().enumerate() {
        let (id, balance) = (row.get::<i64>(0), row.get::<i64>(1));
        match (id, balance) {
            (Ok(id), Ok(balance)) if id == index as i64 => found.push(balance),
            other => return Err(format!("acct row {index} is {other:?}")),
        }
    }
    // A kill before the accounts' setup committed leaves no accounts and no transfers.
    if found.is_empty() && present.is_empty() {
        return Ok(());
    }
    let total: i128 = found.iter().map(|b| i128::from(*b)).sum();
    if total != i128::from(ACCOUNTS * opening) {
        return Err(format!(
            "the total is {total}, not {}: balances {found:?}, the transfers present give \
             {expected:?}",
            ACCOUNTS * opening
        ));
    }
    if found != expected {
        return Err(format!(
            "balances {found:?}, but the transfers present give {expected:?}"
        ));
    }
    if bank == Bank::Serial {
        for (customer, pair) in found.chunks(2).enumerate() {
            let sum: i64 = pair.iter().sum();
            if sum < 0 {
                return Err(format!(
                    "customer {customer}'s accounts sum to {sum}, below 0: balances {found:?}"
                ));
            }
        }
    }
    Ok(())
}

/// How a broken child's thread 0 misbehaves in its first transfer that commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Misbehave {
    /// Rolls the transfer back, acknowledges it all the same.
    Drop,
    /// Commits the debit and the record, not the credit.
    Half,
    /// Also commits a second transfer under an id it never reports.
    Phantom,
}

fn misbehaviour() -> Option<Misbehave> {
    match kill_child::broken()?.as_str() {
        "drop-transfer" => Some(Misbehave::Drop),
        "half-transfer" => Some(Misbehave::Half),
        "phantom-transfer" => Some(Misbehave::Phantom),
        _ => None,
    }
}

/// Creates the tables, and the accounts when a kill or power loss left none.
pub(super) fn set_up(bank: Bank, conn: &Connection) -> ember::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS acct(id INT PRIMARY KEY, bal INT);
         CREATE TABLE IF NOT EXISTS xfer(id INT PRIMARY KEY, src INT, dst INT, amount INT);",
    )?;
    // A kill before the accounts' COMMIT leaves the table empty: fill it then.
    if conn.query("SELECT id FROM acct", ())?.is_empty() {
        conn.execute("BEGIN", ())?;
        for id in 0..ACCOUNTS {
            conn.execute(
                "INSERT INTO acct VALUES (?, ?)",
                (id, bank.opening_balance()),
            )?;
        }
        conn.execute("COMMIT", ())?;
    }
    Ok(())
}

/// The child of `bank`: sets up the accounts once (one transaction), then runs four
/// transfer threads and the checkpointer until the kill.
pub fn child_bank(dir: &Path, seed: u64, cycle: u64) -> ember::Result<()> {
    child_of(Bank::Plain, dir, seed, cycle)
}

/// The child of `serial-bank`.
pub fn child_serial_bank(dir: &Path, seed: u64, cycle: u64) -> ember::Result<()> {
    child_of(Bank::Serial, dir, seed, cycle)
}

fn child_of(bank: Bank, dir: &Path, seed: u64, cycle: u64) -> ember::Result<()> {
    let db = kill_child::open(dir, options())?;
    set_up(bank, &db.connect())?;
    let broken = misbehaviour();
    std::thread::scope(|scope| {
        for thread in 0..THREADS {
            let db = db.clone();
            scope.spawn(move || {
                let conn = db.connect();
                let mut misbehave = broken.filter(|_| thread == 0);
                for id in first_id(cycle, thread).. {
                    let t = transfer(seed, id);
                    match run_transfer(bank, &conn, id, t, misbehave) {
                        Ok(false) => kill_child::say(format_args!("fail {id}")),
                        Ok(true) => {
                            misbehave = None;
                            kill_child::say(format_args!(
                                "ack {id} {} {} {}",
                                t.from, t.to, t.amount
                            ));
                        }
                        Err(error) if kill_child::expected_error(&error) => {
                            kill_child::say(format_args!("fail {id}"));
                        }
                        Err(error) => {
                            kill_child::say(format_args!("error transfer {id}: {error}"));
                            return;
                        }
                    }
                }
            });
        }
        let db = db.clone();
        scope.spawn(move || kill_child::checkpoint_forever(&db, seed));
    });
    Ok(())
}

/// One transfer in one transaction (rolled back on any error); false when `serial-bank`
/// declined it (the paying customer's sum would go below 0).
pub(super) fn run_transfer(
    bank: Bank,
    conn: &Connection,
    id: i64,
    t: Transfer,
    misbehave: Option<Misbehave>,
) -> ember::Result<bool> {
    let move_money = |from: i64, to: i64, credit: bool| -> ember::Result<()> {
        conn.execute(
            "UPDATE acct SET bal = bal - ? WHERE id = ?",
            (t.amount, from),
        )?;
        if credit {
            conn.execute("UPDATE acct SET bal = bal + ? WHERE id = ?", (t.amount, to))?;
        }
        Ok(())
    };
    if bank == Bank::Serial {
        conn.execute("BEGIN ISOLATION LEVEL SERIALIZABLE", ())?;
        let customer = t.from - t.from % 2;
        let balance = |id: i64| -> ember::Result<i64> {
            conn.query_value("SELECT bal FROM acct WHERE id = ?", [id])
        };
        let sum = balance(customer)
            .and_then(|first| Ok(first + balance(customer + 1)?))
            .inspect_err(|_| {
                let _ = conn.execute("ROLLBACK", ());
            })?;
        if sum - t.amount < 0 {
            conn.execute("ROLLBACK", ())?;
            return Ok(false);
        }
    } else {
        conn.execute("BEGIN", ())?;
    }
    let result = (|| {
        move_money(t.from, t.to, misbehave != Some(Misbehave::Half))?;
        conn.execute(
            "INSERT INTO xfer VALUES (?, ?, ?, ?)",
            (id, t.from, t.to, t.amount),
        )?;
        if misbehave == Some(Misbehave::Phantom) {
            move_money(t.from, t.to, true)?;
            conn.execute(
                "INSERT INTO xfer VALUES (?, ?, ?, ?)",
                (id + IDS_PER_THREAD / 2, t.from, t.to, t.amount),
            )?;
        }
        let end = if misbehave == Some(Misbehave::Drop) {
            "ROLLBACK"
        } else {
            "COMMIT"
        };
        conn.execute(end, ())
    })();
    if result.is_err() {
        let _ = conn.execute("ROLLBACK", ());
    }
    result.map(|_| true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The state write skew would leave: customer 0 paid 50 from each of its two accounts.
    #[test]
    fn the_serial_check_refuses_a_customer_below_zero() {
        let conn = Database::in_memory().connect();
        conn.execute("CREATE TABLE acct(id INT PRIMARY KEY, bal INT)", ())
            .unwrap();
        let mut present = BTreeMap::new();
        let mut balances = vec![SERIAL_BALANCE; ACCOUNTS as usize];
        for (id, from, to) in [(1, 0, 2), (2, 1, 4)] {
            present.insert(
                id,
                Transfer {
                    from,
                    to,
                    amount: 50,
                },
            );
            balances[from as usize] -= 50;
            balances[to as usize] += 50;
        }
        for (id, balance) in balances.iter().enumerate() {
            conn.execute("INSERT INTO acct VALUES (?, ?)", (id as i64, *balance))
                .unwrap();
        }
        let refused = check_balances(Bank::Serial, &conn, &present).unwrap_err();
        assert!(
            refused.contains("customer 0's accounts sum to -20"),
            "{refused}"
        );
        // The same balances pass every check but the invariant.
        let mut fine = present.clone();
        fine.insert(
            3,
            Transfer {
                from: 2,
                to: 0,
                amount: 30,
            },
        );
        conn.execute("UPDATE acct SET bal = bal + 30 WHERE id = 0", ())
            .unwrap();
        conn.execute("UPDATE acct SET bal = bal - 30 WHERE id = 2", ())
            .unwrap();
        check_balances(Bank::Serial, &conn, &fine).unwrap();
    }
}
