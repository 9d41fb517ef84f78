//! H1: what keeping history for reads of the past costs in memory per row.
//! EmberDB only. M1's table and rows (200,000 x `--scale`, W1's shape) are loaded with
//! `PRAGMA history_retention` at the value given (`off` for the control), then M1's updates
//! (1,000,000 x `--scale` random `UPDATE t SET score = ? WHERE id = ?` in 1,000-row
//! transactions) run and `VACUUM` collects. Reported per row: the process's `RssAnon`
//! growth (as M1) after the load, after the updates and after the collection, and the
//! engine's own account (`ember_stats.memory_used_bytes`, `history_versions`,
//! `history_bytes`: the versions kept for AS OF and their bytes). Each retention runs in
//! its own process (`ember-bench --h1 RETENTION`), so one run's freed memory does not hide
//! another's use.

use std::time::Instant;

use ember::{Connection, Database, Options};

use crate::data::{Person, Rng};
use crate::memory::anonymous_bytes;
use crate::sql;
use crate::workloads::Sizes;

/// The engine's memory figures read from `ember_stats`.
struct Account {
    memory_used: i64,
    history_versions: i64,
    history_bytes: i64,
}

fn account(conn: &Connection) -> ember::Result<Account> {
    conn.query_row(
        "SELECT memory_used_bytes, history_versions, history_bytes FROM ember_stats",
        (),
        |row| {
            Ok(Account {
                memory_used: row.get(0)?,
                history_versions: row.get(1)?,
                history_bytes: row.get(2)?,
            })
        },
    )
}

/// Runs H1 with `retention` (a `PRAGMA history_retention` value) and returns its report.
pub fn h1(retention: &str, scale: f64) -> Result<String, ember::Error> {
    let sizes = Sizes::scaled(scale);
    let anon = || anonymous_bytes().unwrap_or(0) as f64;
    let before = anon();
    let db = Database::in_memory_with(Options::new());
    let conn = db.connect();
    conn.execute(&format!("PRAGMA history_retention = '{retention}'"), ())?;
    conn.execute(sql::CREATE, ())?;
    let mut insert = conn.prepare(sql::INSERT)?;
    for first in (1..=sizes.rows as i64).step_by(sizes.insert_txn_rows) {
        conn.execute("BEGIN", ())?;
        let last = (first + sizes.insert_txn_rows as i64).min(sizes.rows as i64 + 1);
        for id in first..last {
            let row = Person::new(id);
            let params = (
                id,
                row.name.as_str(),
                row.email.as_str(),
                row.age,
                row.score,
            );
            insert.execute(params)?;
        }
        conn.execute("COMMIT", ())?;
    }
    drop(insert);
    let loaded = (anon(), account(&conn)?);
    let mut update = conn.prepare(sql::UPDATE)?;
    let mut rng = Rng::new(11);
    let started = Instant::now();
    let mut done = 0;
    while done < sizes.memory_updates {
        conn.execute("BEGIN", ())?;
        for _ in 0..1_000.min(sizes.memory_updates - done) {
            update.execute((rng.next_f64(), rng.key(sizes.rows)))?;
            done += 1;
        }
        conn.execute("COMMIT", ())?;
    }
    let seconds = started.elapsed().as_secs_f64();
    drop(update);
    let updated = (anon(), account(&conn)?);
    conn.execute("VACUUM", ())?;
    let collected = (anon(), account(&conn)?);
    let rows = sizes.rows as f64;
    let line = |label: &str, (anon_bytes, account): &(f64, Account)| {
        format!(
            "{label:<18} RssAnon {:>7.1} B/row  engine {:>7.1} B/row  history {:>9} versions, \
             {:>6.1} B/row",
            (anon_bytes - before) / rows,
            account.memory_used as f64 / rows,
            account.history_versions,
            account.history_bytes as f64 / rows,
        )
    };
    Ok(format!(
        "H1: history_retention = '{retention}', {} rows, {} updates in 1,000-row transactions \
         ({:.0} updates/s)\n{}\n{}\n{}",
        sizes.rows,
        sizes.memory_updates,
        sizes.memory_updates as f64 / seconds.max(1e-9),
        line("after load", &loaded),
        line("after updates", &updated),
        line("after VACUUM", &collected),
    ))
}
