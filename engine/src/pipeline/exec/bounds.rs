//! What bounds one statement's cost besides its row cap: the memory its intermediate results
//! hold (join build sides, sort buffers, groups, DISTINCT and set-operation tables, IN sets,
//! the result set), charged to the database's memory account while the statement runs so it
//! fails with `MemoryBudget` before the process grows past `max_memory`; and its running time
//! (`PRAGMA statement_timeout`), checked where the interrupt flag is.
//!
//! Charging is cheap: each materializing operator owns a `MemoryCharge` that adds up its
//! rows' estimated bytes locally and charges the shared account (an atomic) once per
//! `CHARGE_CHUNK_BYTES`; dropping the operator (at the end, on an error, or when a correlated
//! subquery runs again) releases what it charged. Without a budget nothing is counted.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ember_storage::slab::MemoryAccount;
use ember_storage::Value;

use crate::error::Result;

/// Bytes a `MemoryCharge` gathers before charging the account.
pub const CHARGE_CHUNK_BYTES: u64 = 64 << 10;

/// How many interrupt checks pass between two looks at the clock for the statement timeout.
const CLOCK_CHECK_EVERY: u32 = 256;
const _: () = assert!(CLOCK_CHECK_EVERY.is_power_of_two());

/// Bytes the allocator takes for a heap block of `bytes`: its header, rounded up to 16.
#[inline]
fn heap_block(bytes: usize) -> u64 {
    if bytes == 0 {
        return 0;
    }
    (bytes.div_ceil(16) * 16 + 16) as u64
}

/// Estimated bytes a materialized row holds: its slot in its container (twice, for the
/// container's growth slack), its values' heap block, and the heap blocks of its text and
/// blobs.
#[inline]
pub fn row_bytes(row: &[Value]) -> u64 {
    let mut bytes = 2 * std::mem::size_of::<Vec<Value>>() as u64 + heap_block(size_of_val(row));
    for value in row {
        match value {
            Value::Text(text) => bytes += heap_block(text.len()),
            Value::Blob(blob) => bytes += heap_block(blob.len()),
            _ => {}
        }
    }
    bytes
}

/// Memory one operator holds, charged to the database's account (see the module comment).
pub struct MemoryCharge {
    /// `None` when the database has no budget: nothing is counted.
    account: Option<Arc<MemoryAccount>>,
    /// What is being built, for the error message ("a sort", "a hash join's build side").
    what: &'static str,
    charged: u64,
    pending: u64,
}

impl MemoryCharge {
    pub fn new(account: Option<&Arc<MemoryAccount>>, what: &'static str) -> MemoryCharge {
        MemoryCharge {
            account: account.cloned(),
            what,
            charged: 0,
            pending: 0,
        }
    }

    /// Counts one more materialized row.
    #[inline]
    pub fn add_row(&mut self, row: &[Value]) -> Result<()> {
        if self.account.is_none() {
            return Ok(());
        }
        self.add(row_bytes(row))
    }

    /// Counts `bytes` more held memory.
    #[inline]
    pub fn add(&mut self, bytes: u64) -> Result<()> {
        if self.account.is_none() {
            return Ok(());
        }
        self.pending += bytes;
        if self.pending >= CHARGE_CHUNK_BYTES {
            self.charge_pending()?;
        }
        Ok(())
    }

    #[cold]
    fn charge_pending(&mut self) -> Result<()> {
        let Some(account) = &self.account else {
            return Ok(());
        };
        let bytes = std::mem::take(&mut self.pending);
        account.try_charge(bytes, 0).map_err(|_| {
            crate::err!(
                MemoryBudget,
                "memory budget exceeded: the statement needs more than {} for {} (of the {} \
                 budget, max_memory, {} is in use); narrow the query (WHERE, LIMIT) or raise \
                 max_memory",
                ember_storage::slab::format_bytes(self.charged + bytes),
                self.what,
                ember_storage::slab::format_bytes(account.budget().unwrap_or(u64::MAX)),
                ember_storage::slab::format_bytes(account.used_bytes())
            )
        })?;
        self.charged += bytes;
        Ok(())
    }

    /// Bytes charged to the account so far.
    pub fn charged(&self) -> u64 {
        self.charged
    }
}

impl Drop for MemoryCharge {
    fn drop(&mut self) {
        if let (Some(account), true) = (&self.account, self.charged > 0) {
            account.release(self.charged);
        }
    }
}

/// What bounds one statement: the memory account its operators charge (only with a budget)
/// and its deadline (only with a timeout). Absent when there is neither.
pub struct StatementBounds<'a> {
    pub memory: Option<&'a Arc<MemoryAccount>>,
    pub deadline: Option<Deadline>,
}

impl<'a> StatementBounds<'a> {
    /// The bounds of a statement starting now; `None` when nothing bounds it.
    #[cold]
    #[inline(never)]
    pub fn starting_now(
        account: &'a Arc<MemoryAccount>,
        timeout: Option<Duration>,
    ) -> Option<StatementBounds<'a>> {
        let memory = account.budget().map(|_| account);
        if memory.is_none() && timeout.is_none() {
            return None;
        }
        Some(StatementBounds {
            memory,
            deadline: Deadline::starting_now(timeout),
        })
    }
}

/// A statement's deadline, looked at every `CLOCK_CHECK_EVERY` interrupt checks.
#[derive(Debug)]
pub struct Deadline {
    at: Instant,
    timeout: Duration,
    checks: std::cell::Cell<u32>,
}

impl Deadline {
    /// The deadline of a statement starting now, if there is a timeout.
    pub fn starting_now(timeout: Option<Duration>) -> Option<Deadline> {
        let timeout = timeout?;
        Some(Deadline {
            at: Instant::now() + timeout,
            timeout,
            checks: std::cell::Cell::new(0),
        })
    }

    /// An `Interrupted` error once the statement ran past its timeout.
    #[inline]
    pub fn check(&self) -> Result<()> {
        let checks = self.checks.get().wrapping_add(1);
        self.checks.set(checks);
        if checks & (CLOCK_CHECK_EVERY - 1) == 0 && Instant::now() >= self.at {
            return Err(self.expired());
        }
        Ok(())
    }

    #[cold]
    fn expired(&self) -> crate::Error {
        crate::err!(
            Interrupted,
            "statement timeout: ran longer than {} (PRAGMA statement_timeout); its changes \
             were undone",
            format_duration(self.timeout)
        )
    }
}

/// `1500ms` as `1.5s`, `250ms` as `250ms`.
pub fn format_duration(duration: Duration) -> String {
    let ms = duration.as_millis();
    if ms >= 1000 && ms / 100 * 100 == ms {
        format!("{}s", duration.as_secs_f64())
    } else {
        format!("{ms}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_go_in_chunks_fail_past_the_budget_and_release_on_drop() {
        let account = Arc::new(MemoryAccount::new());
        account.set_budget(Some(1 << 20));
        let row = vec![Value::Text("x".repeat(1000))];
        let mut charge = MemoryCharge::new(Some(&account), "a test");
        charge.add_row(&row).unwrap();
        assert_eq!(
            account.used_bytes(),
            0,
            "below a chunk nothing is charged yet"
        );
        let error = (0..2000).find_map(|_| charge.add_row(&row).err()).unwrap();
        assert_eq!(error.kind(), crate::ErrorKind::MemoryBudget);
        assert!(error.message().contains("a test"), "{error}");
        assert!(account.used_bytes() <= 1 << 20);
        assert!(charge.charged() > 0);
        drop(charge);
        assert_eq!(account.used_bytes(), 0);
        let mut free = MemoryCharge::new(None, "nothing");
        for _ in 0..10_000 {
            free.add_row(&row).unwrap();
        }
    }

    #[test]
    fn a_deadline_expires_after_its_timeout() {
        let deadline = Deadline::starting_now(Some(Duration::from_millis(1))).unwrap();
        std::thread::sleep(Duration::from_millis(5));
        let error = (0..1000).find_map(|_| deadline.check().err()).unwrap();
        assert_eq!(error.kind(), crate::ErrorKind::Interrupted);
        assert!(error.message().contains("statement timeout"), "{error}");
        assert!(Deadline::starting_now(None).is_none());
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format_duration(Duration::from_millis(250)), "250ms");
    }
}
