//! `FOR SYSTEM_TIME AS OF`: runs one table's scan against a read-only transaction at a past
//! commit. The commit is named by an INTEGER (a commit number, as `ember_commits` lists) or
//! a TEXT time (the newest commit at or before it, as SQLite's date functions read the text,
//! UTC). A commit older than the history the table keeps is a `HistoryUnavailable` error
//! naming the oldest readable one; a commit or time after the newest is an `InvalidInput`
//! error; nothing ever answers from another time than the one named.

use ember_storage::{AsOfRead, Value};

use crate::error::{Error, ErrorKind, Result};
use crate::expr::{expiry_ms, format_unix_ms};
use crate::plan::AsOfScan;

use super::super::{build, ExecContext, Operator, Row};

pub struct AsOfOperator<'p> {
    plan: &'p AsOfScan,
    input: Box<dyn Operator + 'p>,
    read: Option<AsOfRead>,
}

impl<'p> AsOfOperator<'p> {
    pub fn new(plan: &'p AsOfScan) -> Self {
        AsOfOperator {
            plan,
            input: build(&plan.input),
            read: None,
        }
    }
}

impl Operator for AsOfOperator<'_> {
    fn next(&mut self, context: &ExecContext<'_>) -> Result<Option<Row>> {
        let read = match &self.read {
            Some(read) => read,
            None => self.read.insert(open(self.plan, context)?),
        };
        let past = ExecContext {
            txn: read.transaction(),
            eval: context.eval,
            rows_max: context.rows_max,
            buffers: None,
            work: context.work,
        };
        self.input.next(&past)
    }
}

fn unavailable(message: String) -> Error {
    Error::new(ErrorKind::HistoryUnavailable, message)
}

/// Resolves the plan's commit or time and opens the read.
fn open(plan: &AsOfScan, context: &ExecContext<'_>) -> Result<AsOfRead> {
    let table = &plan.table;
    let time = context
        .eval
        .subqueries
        .and_then(|runtime| runtime.env.time)
        .ok_or_else(|| crate::err!(InvalidInput, "FOR SYSTEM_TIME AS OF outside a statement"))?;
    let now_ms = time.now_ms();
    let txn = context.txn;
    let history = txn.store_history();
    let retention_ms = history
        .default_retention_ms()
        .max(table.options.history_retention_ms.unwrap_or(0));
    let newest = txn.store_read_ts();
    let commit = match plan.at.eval(&[], &context.eval)? {
        Value::Integer(commit) => {
            let commit = u64::try_from(commit).map_err(|_| {
                crate::err!(
                    InvalidInput,
                    "FOR SYSTEM_TIME AS OF {commit}: commit numbers are not negative"
                )
            })?;
            if commit > newest {
                return Err(crate::err!(
                    InvalidInput,
                    "FOR SYSTEM_TIME AS OF {commit}: no such commit yet (the newest is {newest})"
                ));
            }
            commit
        }
        value @ Value::Text(_) => {
            let Some(at_ms) = expiry_ms(&value) else {
                return Err(crate::err!(
                    InvalidInput,
                    "FOR SYSTEM_TIME AS OF {value}: not a time (write 'YYYY-MM-DD HH:MM:SS', UTC)"
                ));
            };
            let at_ms = at_ms.floor() as i64;
            if at_ms > now_ms {
                return Err(crate::err!(
                    InvalidInput,
                    "FOR SYSTEM_TIME AS OF '{}': that time is in the future (now is {})",
                    format_unix_ms(at_ms),
                    format_unix_ms(now_ms)
                ));
            }
            let horizon = now_ms.saturating_sub(i64::try_from(retention_ms).unwrap_or(i64::MAX));
            match history.commit_at(at_ms).filter(|_| at_ms >= horizon) {
                Some(commit) => commit,
                None => {
                    return Err(gap_error(
                        plan,
                        &format!("time '{}'", format_unix_ms(at_ms)),
                        retention_ms,
                        now_ms,
                        txn,
                    ))
                }
            }
        }
        other => {
            return Err(crate::err!(
                InvalidInput,
                "FOR SYSTEM_TIME AS OF takes an INTEGER commit number or a TEXT time, not {}",
                other.type_name().to_uppercase()
            ))
        }
    };
    let floor = table.storage.history_floor();
    if commit < floor {
        // Named exactly when history is kept: after a reopen the history starts at the
        // recovered commit, which may be later than the table's floor.
        let oldest = match history.oldest_readable(retention_ms, now_ms) {
            Some(oldest) => oldest.commit.max(floor).to_string(),
            None => format!("{floor} or later"),
        };
        return Err(unavailable(format!(
            "table {} cannot be read AS OF commit {commit}: its history starts after commit \
             {}, when the table was created (or rebuilt by ALTER TABLE) or the database was \
             reopened (history does not survive a restart: recovery rebuilds every table \
             from the snapshot and WAL without its old versions); the oldest readable \
             commit is {oldest}",
            table.name,
            floor - 1
        )));
    }
    txn.begin_as_of(commit, retention_ms, now_ms)
        .map_err(|_| gap_error(plan, &format!("commit {commit}"), retention_ms, now_ms, txn))
}

/// The `HistoryUnavailable` error for a read of `what` (a commit or time) past the history
/// `plan`'s table keeps.
fn gap_error(
    plan: &AsOfScan,
    what: &str,
    retention_ms: u64,
    now_ms: i64,
    txn: &ember_storage::Transaction,
) -> Error {
    let table = &plan.table.name;
    let history = txn.store_history();
    match history.oldest_readable(retention_ms, now_ms) {
        None => unavailable(format!(
            "table {table} cannot be read AS OF {what}: no history is kept \
             (PRAGMA history_retention is 0 and the table sets no history_retention); the \
             oldest readable commit is the newest, {}",
            txn.store_read_ts()
        )),
        Some(oldest) => {
            let floor = plan.table.storage.history_floor();
            let commit = oldest.commit.max(floor);
            unavailable(format!(
                "table {table} cannot be read AS OF {what}: it is older than the history kept \
                 ({retention_ms} ms); the oldest readable commit is {commit}, at {}",
                format_unix_ms(oldest.millis)
            ))
        }
    }
}
