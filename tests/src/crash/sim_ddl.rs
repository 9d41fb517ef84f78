//! `ddl-powerloss`: schema changes and triggers inside transactions under a power loss,
//! in-process on the simulated file system. One writer runs seeded transactions under
//! `SyncPolicy::Always` with automatic checkpoints every 16 KiB: each makes a table with an
//! AFTER INSERT trigger that writes to `log`, adds or drops a column, drops a table, or
//! inserts rows (the triggers firing), and commits or, one in five, rolls back (one in ten
//! of those that commit first makes a table that ROLLBACK TO undoes). The power
//! goes at a seeded file operation (every later one fails; the writer stops at its first
//! error), and the disk keeps unsynced data as `SimVfs::crash` or, every other cycle,
//! `crash_out_of_order` leaves it.
//!
//! The check needs no model of SQL: the transactions the writer saw commit are run again,
//! in order, on a fresh in-memory database, and the reopened database must hold exactly
//! what that one holds (every table's columns and rows, the triggers, `log`), or what it
//! holds with the one transaction whose COMMIT failed applied too (that commit is in doubt).
//! A rolled-back change, and one that never reached COMMIT, must leave no trace. Then a row
//! is inserted into every table of the reopened database: each trigger must still fire.

use std::sync::Arc;

use ember::{Connection, Database, Options, SyncPolicy, Value};
use ember_storage::vfs::SimVfs;

use super::power_loss::{self, PowerLoss};
use super::Summary;

const DIR: &str = "/db";
/// Transactions the writer attempts at most.
const TRANSACTIONS: u64 = 60;
/// Tables a run keeps at most (a create beyond it inserts instead).
const TABLES_MAX: usize = 6;
const SCHEMA: &str = "CREATE TABLE log(id INTEGER PRIMARY KEY, what TEXT)";

fn options() -> Options {
    Options::new()
        .sync_policy(SyncPolicy::Always)
        .checkpoint_bytes(16 << 10)
        .wal_segment_bytes(8 << 10)
}

fn open(vfs: &SimVfs, options: Options) -> ember::Result<Database> {
    Database::open_with_vfs(DIR, options, Arc::new(vfs.clone()))
}

/// A table the writer made, as its committed transactions left it.
#[derive(Clone)]
struct Table {
    name: String,
    /// Columns after `id`, in order.
    columns: Vec<String>,
}

/// One transaction: its statements, and whether it ends in COMMIT (else ROLLBACK).
#[derive(Clone)]
struct Transaction {
    statements: Vec<String>,
    commits: bool,
    /// The tables as they are if it commits.
    after: Vec<Table>,
}

/// The next transaction for the tables `tables`, drawn from `rng`; `serial` numbers the
/// names it makes.
fn next_transaction(rng: &mut fastrand::Rng, tables: &[Table], serial: u64) -> Transaction {
    let mut after = tables.to_vec();
    let mut statements = Vec::new();
    let insert = |table: &Table, rng: &mut fastrand::Rng, statements: &mut Vec<String>| {
        for _ in 0..rng.usize(1..4) {
            let values: Vec<String> = table
                .columns
                .iter()
                .map(|_| rng.i64(-50..1000).to_string())
                .collect();
            let mut columns = table.columns.join(", ");
            if !columns.is_empty() {
                columns.insert_str(0, ", ");
            }
            let mut list = values.join(", ");
            if !list.is_empty() {
                list.insert_str(0, ", ");
            }
            statements.push(format!(
                "INSERT INTO {}(id{columns}) VALUES (NULL{list})",
                table.name
            ));
        }
    };
    match rng.u8(0..10) {
        0..=2 if after.len() < TABLES_MAX || after.is_empty() => {
            let name = format!("t{serial}");
            statements.push(format!(
                "CREATE TABLE {name}(id INTEGER PRIMARY KEY, a INT, b INT)"
            ));
            statements.push(format!(
                "CREATE TRIGGER {name}_log AFTER INSERT ON {name} BEGIN \
                 INSERT INTO log(what) VALUES ('{name}:' || new.id); END"
            ));
            let table = Table {
                name,
                columns: vec!["a".into(), "b".into()],
            };
            insert(&table, rng, &mut statements);
            after.push(table);
        }
        3 if !after.is_empty() => {
            let at = rng.usize(0..after.len());
            let column = format!("c{serial}");
            statements.push(format!(
                "ALTER TABLE {} ADD COLUMN {column} INT DEFAULT {serial}",
                after[at].name
            ));
            after[at].columns.push(column);
            let table = after[at].clone();
            insert(&table, rng, &mut statements);
        }
        4 if after.iter().any(|table| table.columns.len() > 1) => {
            let wide: Vec<usize> = (0..after.len())
                .filter(|&at| after[at].columns.len() > 1)
                .collect();
            let at = wide[rng.usize(0..wide.len())];
            let dropped = rng.usize(0..after[at].columns.len());
            let column = after[at].columns.remove(dropped);
            statements.push(format!(
                "ALTER TABLE {} DROP COLUMN {column}",
                after[at].name
            ));
            let table = after[at].clone();
            insert(&table, rng, &mut statements);
        }
        5 if after.len() > 1 => {
            let table = after.remove(rng.usize(0..after.len()));
            statements.push(format!("DROP TABLE {}", table.name));
        }
        _ if !after.is_empty() => {
            for _ in 0..rng.usize(1..3) {
                let table = after[rng.usize(0..after.len())].clone();
                insert(&table, rng, &mut statements);
            }
        }
        _ => {}
    }
    let commits = rng.u8(0..5) != 0;
    if !commits {
        after = tables.to_vec();
    } else if rng.u8(0..10) == 0 {
        // A table made, filled and undone by ROLLBACK TO before the rest commits.
        let undone = [
            "SAVEPOINT undone".to_string(),
            format!("CREATE TABLE undone{serial}(x INT)"),
            format!("INSERT INTO undone{serial} VALUES (1)"),
            "ROLLBACK TO undone".to_string(),
            "RELEASE undone".to_string(),
        ];
        statements.splice(0..0, undone);
    }
    Transaction {
        statements,
        commits,
        after,
    }
}

/// Runs `transaction` on `conn` as the writer runs it: `Ok(true)` when it committed.
fn run_transaction(conn: &Connection, transaction: &Transaction) -> ember::Result<bool> {
    conn.execute("BEGIN", ())?;
    for statement in &transaction.statements {
        conn.execute(statement, ())?;
    }
    if transaction.commits {
        conn.execute("COMMIT", ())?;
    } else {
        conn.execute("ROLLBACK", ())?;
    }
    Ok(transaction.commits)
}

/// What the writer did: the transactions that committed, in order, and the one whose
/// COMMIT (or anything before it) failed.
#[derive(Default)]
struct Outcome {
    /// Whether the CREATE TABLE of `log` was acknowledged (else it is in doubt and nothing
    /// else ran).
    schema: bool,
    committed: Vec<Transaction>,
    in_doubt: Option<Transaction>,
    rolled_back: u64,
}

/// Runs transactions until the first error (or `TRANSACTIONS`).
fn run(vfs: &SimVfs, seed: u64) -> Outcome {
    let mut outcome = Outcome::default();
    let Ok(db) = open(vfs, options()) else {
        return outcome;
    };
    let conn = db.connect();
    if conn.execute(SCHEMA, ()).is_ok() {
        outcome.schema = true;
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut tables: Vec<Table> = Vec::new();
        for serial in 0..TRANSACTIONS {
            let transaction = next_transaction(&mut rng, &tables, serial);
            match run_transaction(&conn, &transaction) {
                Ok(true) => {
                    tables = transaction.after.clone();
                    outcome.committed.push(transaction);
                }
                Ok(false) => outcome.rolled_back += 1,
                Err(_) => {
                    outcome.in_doubt = Some(transaction);
                    break;
                }
            }
        }
    }
    drop(conn);
    db.drop_as_if_crashed();
    outcome
}

/// Every table's and trigger's definition, then every table's columns and rows, as text.
fn contents(conn: &Connection) -> ember::Result<String> {
    let mut out = String::new();
    let objects = conn.query(
        "SELECT type, name, sql FROM sqlite_schema WHERE type IN ('table', 'trigger') \
         ORDER BY type, name",
        (),
    )?;
    for row in objects.into_values() {
        out.push_str(&format!("{row:?}\n"));
        if let [Value::Text(kind), Value::Text(name), _] = row.as_slice() {
            if kind == "table" {
                let rows = conn.query(&format!("SELECT * FROM {name} ORDER BY id"), ())?;
                out.push_str(&format!("{:?}\n", rows.columns()));
                for values in rows.into_values() {
                    out.push_str(&format!("{values:?}\n"));
                }
            }
        }
    }
    Ok(out)
}

/// The contents an in-memory database holds after `transactions` committed in order, after
/// the schema when `schema`.
fn expected(schema: bool, transactions: &[Transaction]) -> Result<String, String> {
    let db = Database::in_memory();
    let conn = db.connect();
    if schema {
        conn.execute(SCHEMA, ())
            .map_err(|e| format!("reference schema: {e}"))?;
    }
    for transaction in transactions {
        run_transaction(&conn, transaction).map_err(|e| format!("reference run: {e}"))?;
    }
    contents(&conn).map_err(|e| format!("reference contents: {e}"))
}

/// The reopened database against the committed transactions (module comment).
fn check(vfs: &SimVfs, outcome: &Outcome) -> Result<(), String> {
    let db = open(vfs, options()).map_err(|e| format!("reopen: {e}"))?;
    let conn = db.connect();
    let found = contents(&conn).map_err(|e| format!("reading the reopened database: {e}"))?;
    // What the acknowledged work leaves, and what it leaves with the work in doubt done.
    let mut allowed = Vec::new();
    if outcome.schema {
        allowed.push(expected(true, &outcome.committed)?);
        if let Some(in_doubt) = outcome.in_doubt.as_ref().filter(|t| t.commits) {
            let mut all = outcome.committed.clone();
            all.push(in_doubt.clone());
            allowed.push(expected(true, &all)?);
        }
    } else {
        allowed.push(expected(false, &[])?);
        allowed.push(expected(true, &[])?);
    }
    if !allowed.contains(&found) {
        return Err(format!(
            "the reopened database holds\n{found}\nbut the acknowledged transactions leave\n{}",
            allowed[0]
        ));
    }
    // Every trigger still fires: a row into each table adds one row to `log`.
    let tables = conn
        .query(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 't%'",
            (),
        )
        .map_err(|e| format!("listing tables: {e}"))?;
    for row in tables.into_values() {
        let [Value::Text(name)] = row.as_slice() else {
            continue;
        };
        let before: i64 = conn
            .query_value("SELECT count(*) FROM log", ())
            .map_err(|e| e.to_string())?;
        conn.execute(&format!("INSERT INTO {name}(id) VALUES (NULL)"), ())
            .map_err(|e| format!("insert into {name}: {e}"))?;
        let after: i64 = conn
            .query_value("SELECT count(*) FROM log", ())
            .map_err(|e| e.to_string())?;
        if after != before + 1 {
            return Err(format!(
                "the trigger of {name} did not fire after the reopen"
            ));
        }
    }
    Ok(())
}

pub fn ddl_powerloss(seed: u64, cycles: u64) -> Summary {
    let mut summary = Summary::new("ddl-powerloss");
    let mut rng = fastrand::Rng::with_seed(seed);
    let total_ops = power_loss::ops_of(seed, run);
    let (mut rolled_back, mut in_doubt) = (0, 0);
    for cycle in 0..cycles {
        let seed = seed.wrapping_add(cycle);
        let PowerLoss {
            vfs,
            at_op,
            outcome,
        } = power_loss::lose_power(&mut rng, total_ops, cycle, seed, run);
        summary.faults_injected += 1;
        rolled_back += outcome.rolled_back;
        in_doubt += u64::from(outcome.in_doubt.is_some());
        match check(&vfs, &outcome) {
            Ok(()) => summary.commits_verified += outcome.committed.len() as u64,
            Err(detail) => summary.fail(seed, format!("power lost at op {at_op}: {detail}")),
        }
        summary.cycles += 1;
    }
    summary.notes = format!(
        "transactions with CREATE/ALTER/DROP TABLE and triggers; rolled back {rolled_back}, \
         in doubt at the power loss {in_doubt}"
    );
    summary
}
