//! A connection's isolation levels: the default of the transactions it begins without
//! naming one (`Options::isolation`, then `PRAGMA isolation` or `set_isolation`), a
//! transaction at a named level (`transaction_with`, `transact_with`, BEGIN ... ISOLATION
//! LEVEL), the retry loop of `transact`, and the table names in a refused commit's message.

use ember_storage::{Isolation, Value};
use sqlparser::ast::Statement;

use super::{Connection, Outcome};
use crate::database::Shared;
use crate::error::{Error, ErrorKind, Result};
use crate::limits::TRANSACT_ATTEMPTS_MAX;
use crate::transaction::Transaction;

impl Connection {
    /// Starts an explicit transaction at `isolation` (see [`Connection::transaction`]).
    ///
    /// ```
    /// use ember::Isolation;
    /// let mut conn = ember::Database::in_memory().connect();
    /// conn.execute("CREATE TABLE t(a INT)", ()).unwrap();
    /// let tx = conn.transaction_with(Isolation::Serializable).unwrap();
    /// tx.execute("INSERT INTO t SELECT count(*) FROM t", ()).unwrap();
    /// tx.commit().unwrap();
    /// ```
    pub fn transaction_with(&mut self, isolation: Isolation) -> Result<Transaction<'_>> {
        self.begin(Some(isolation))?;
        Ok(Transaction::new(self))
    }

    /// [`Connection::transact`] at `isolation`: a SERIALIZABLE transaction refused at
    /// commit is retried like any serialization conflict.
    pub fn transact_with<T>(
        &mut self,
        isolation: Isolation,
        f: impl FnMut(&Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        self.transact_at(Some(isolation), f)
    }

    /// The isolation level of transactions begun without naming one.
    pub fn isolation(&self) -> Isolation {
        self.isolation.get()
    }

    /// Sets the isolation level of transactions begun without naming one, from the next one
    /// on (`PRAGMA isolation = serializable` does the same); autocommit statements that
    /// write run at it too.
    pub fn set_isolation(&self, isolation: Isolation) {
        self.isolation.set(isolation);
    }

    /// The loop of `transact`: runs `f` in a transaction and commits; retries on a
    /// retryable error after an exponential backoff, up to `TRANSACT_ATTEMPTS_MAX` tries.
    pub(super) fn transact_at<T>(
        &mut self,
        isolation: Option<Isolation>,
        mut f: impl FnMut(&Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let outcome = {
                self.begin(isolation)?;
                let tx = Transaction::new(self);
                match f(&tx) {
                    Ok(value) => tx.commit().map(|()| value),
                    Err(error) => Err(error),
                }
            };
            match outcome {
                Err(error) if error.is_retryable() && attempts < TRANSACT_ATTEMPTS_MAX => {
                    // Back off exponentially (1 us .. ~1 ms) so contending writers spread out.
                    let backoff_us = 1u64 << attempts.min(10);
                    std::thread::sleep(std::time::Duration::from_micros(backoff_us));
                }
                other => return other,
            }
        }
    }

    /// Runs `PRAGMA isolation[= level]`; `None` when the statement is another PRAGMA.
    pub(super) fn isolation_pragma(&self, statement: &Statement) -> Option<Result<Outcome>> {
        let Statement::Pragma { name, value, .. } = statement else {
            return None;
        };
        if !name.to_string().eq_ignore_ascii_case("isolation") {
            return None;
        }
        if let Some(value) = value {
            match parse_level(&value.to_string()) {
                Some(isolation) => self.isolation.set(isolation),
                None => {
                    return Some(Err(crate::err!(
                        InvalidInput,
                        "unknown isolation level {value}: use snapshot, repeatable_read or \
                         serializable"
                    )))
                }
            }
        }
        Some(Ok(Outcome {
            columns: vec!["isolation".to_string()],
            rows: vec![vec![Value::Text(self.isolation.get().name().to_string())]],
            changes: 0,
        }))
    }
}

/// An isolation level named in a PRAGMA value (quoted or not, any case, `_` or space).
fn parse_level(text: &str) -> Option<Isolation> {
    let level = text
        .trim()
        .trim_matches(|c| c == '\'' || c == '"')
        .to_ascii_lowercase()
        .replace('_', " ");
    match level.as_str() {
        "serializable" => Some(Isolation::Serializable),
        "snapshot" | "repeatable read" => Some(Isolation::Snapshot),
        _ => None,
    }
}

/// A serialization conflict's message with `table #id` replaced by the table's name.
pub(crate) fn name_conflict_tables(shared: &Shared, error: Error) -> Error {
    if error.kind() != ErrorKind::SerializationConflict || !error.message().contains("table #") {
        return error;
    }
    let catalog = shared.catalog.load();
    let mut message = error.message().to_string();
    for table in catalog.tables() {
        for end in [',', ')', ' ', ';'] {
            let by_id = format!("table #{}{end}", table.storage.id());
            message = message.replace(&by_id, &format!("table {}{end}", table.name));
        }
    }
    Error::new(ErrorKind::SerializationConflict, message)
}

#[cfg(test)]
mod tests {
    use super::parse_level;
    use ember_storage::Isolation;

    #[test]
    fn pragma_values_name_levels() {
        assert_eq!(parse_level("'SERIALIZABLE'"), Some(Isolation::Serializable));
        assert_eq!(parse_level("repeatable_read"), Some(Isolation::Snapshot));
        assert_eq!(parse_level("snapshot"), Some(Isolation::Snapshot));
        assert_eq!(parse_level("read_committed"), None);
    }
}
