//! The memory budget seen from SQL: `SET max_memory = '<size>'` and `PRAGMA max_memory`
//! (read, or set like SET). Sizes are a number of bytes with an optional unit: B, KB/KiB,
//! MB/MiB, GB/GiB, TB/TiB (all binary: '1KB' = 1024 bytes) — or 'unlimited' / 'none' /
//! 'off' / 0 to remove the budget, 'default' for the default share of the process's memory
//! (`physical_memory`). The budget itself lives in the store's `MemoryAccount`.

use ember_storage::slab::format_bytes;
use ember_storage::Value;
use sqlparser::ast::Set;

use crate::connection::Outcome;
use crate::database::Database;
use crate::error::Result;

/// Smallest budget accepted: below one slab page nothing could ever be stored.
pub const MAX_MEMORY_BYTES_MIN: u64 = ember_storage::slab::PAGE_BYTES as u64;

/// Parses a size: `'64MB'`, `'1 GiB'`, `'65536'`; `Ok(None)` for `'unlimited'` / `'none'` /
/// `'off'` / `0`, the default share for `'default'`.
pub(crate) fn parse_size(text: &str) -> Result<Option<u64>> {
    let trimmed = text.trim();
    let lower = trimmed.to_ascii_lowercase();
    if matches!(lower.as_str(), "unlimited" | "none" | "off" | "0") {
        return Ok(None);
    }
    if lower == "default" {
        return Ok(crate::session::physical_memory::default_budget_bytes());
    }
    let digits_end = lower
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(lower.len());
    let (number, unit) = lower.split_at(digits_end);
    let bad = || {
        crate::err!(
            InvalidInput,
            "max_memory takes a size such as '64MB', '1GB' or '1048576' (bytes), \
             'default', or 'unlimited' (or 0), not '{trimmed}'"
        )
    };
    let number: u64 = number.parse().map_err(|_| bad())?;
    let shift = match unit.trim() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(bad()),
    };
    let bytes = number
        .checked_mul(1u64 << shift)
        .ok_or_else(|| crate::err!(InvalidInput, "max_memory '{trimmed}' is too large"))?;
    if bytes < MAX_MEMORY_BYTES_MIN {
        return Err(crate::err!(
            InvalidInput,
            "max_memory must be at least {} ('{trimmed}' is {})",
            format_bytes(MAX_MEMORY_BYTES_MIN),
            format_bytes(bytes)
        ));
    }
    Ok(Some(bytes))
}

fn no_rows() -> Outcome {
    Outcome {
        columns: Vec::new(),
        rows: Vec::new(),
        changes: 0,
    }
}

fn apply(db: &Database, text: &str) -> Result<Outcome> {
    let budget = parse_size(text.trim_matches('\''))?;
    db.shared.store.memory().set_budget(budget);
    Ok(no_rows())
}

/// Runs a `SET` statement; only `max_memory` is a setting.
pub(crate) fn set_statement(db: &Database, set: &Set) -> Result<Outcome> {
    let Set::SingleAssignment {
        scope: None,
        hivevar: false,
        variable,
        values,
    } = set
    else {
        return Err(crate::err!(Unsupported, "not supported: {set}"));
    };
    let name = variable.to_string().to_ascii_lowercase();
    let mark = crate::pressure::Mark::by_name(&name);
    if name != "max_memory" && mark.is_none() {
        return Err(crate::err!(
            Unsupported,
            "not supported: SET {variable} (the settings are max_memory, memory_soft_mark \
             and memory_evict_mark)"
        ));
    }
    let [value] = values.as_slice() else {
        return Err(crate::err!(InvalidInput, "SET {name} takes one value"));
    };
    if let Some(mark) = mark {
        return crate::pressure::pragma_mark(db, mark, Some(value));
    }
    apply(db, &value.to_string())
}

/// `PRAGMA max_memory` (the budget in bytes, NULL when there is none) or
/// `PRAGMA max_memory = '<size>'`.
pub(crate) fn pragma_max_memory(db: &Database, value: Option<&impl ToString>) -> Result<Outcome> {
    match value {
        Some(value) => apply(db, &value.to_string()),
        None => {
            let budget = db.shared.store.memory().budget();
            let value = budget.map_or(Value::Null, |bytes| {
                Value::Integer(i64::try_from(bytes).unwrap_or(i64::MAX))
            });
            Ok(Outcome {
                columns: vec!["max_memory".to_string()],
                rows: vec![vec![value]],
                changes: 0,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("64MB").unwrap(), Some(64 << 20));
        assert_eq!(parse_size(" 1 GiB ").unwrap(), Some(1 << 30));
        assert_eq!(parse_size("2g").unwrap(), Some(2 << 30));
        assert_eq!(parse_size("65536").unwrap(), Some(65536));
        assert_eq!(parse_size("512kb").unwrap(), Some(512 << 10));
        assert_eq!(parse_size("unlimited").unwrap(), None);
        assert_eq!(parse_size("0").unwrap(), None, "0 turns the budget off");
        assert_eq!(
            parse_size("Default").unwrap(),
            crate::session::physical_memory::default_budget_bytes()
        );
        for bad in [
            "",
            "MB",
            "64XB",
            "-5MB",
            "1.5GB",
            "99999999999999999999",
            "16KB",
        ] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
        assert!(parse_size("20000000TB")
            .unwrap_err()
            .message()
            .contains("too large"));
    }
}
