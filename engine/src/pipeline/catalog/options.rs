//! Table options: `CREATE TABLE t(..) WITH (name = value, ...)` and
//! `ALTER TABLE t SET (name = value, ...)` (`name = NULL` or `name = DEFAULT` removes one).
//! This file owns the one list of options the engine knows, the checks of their values
//! (durations such as '30 minutes', sizes such as '64MB'), and `TableOptions`, what a table
//! definition keeps of them. The options live in the stored CREATE TABLE text, so they
//! persist wherever that text does (WAL, checkpoints, `.dump`); an option the engine does not
//! know, or one it knows but does not enforce yet, is an error naming it.

use sqlparser::ast::{self, SqlOption};

use crate::error::{unsupported, Result};

/// Most option entries one statement may give (each known option at most once anyway).
const OPTIONS_MAX: usize = 16;

/// What a table keeps of its options (`Default`: none set).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TableOptions {
    /// `expire_at = col`: the position of the column holding each row's expiry time (see
    /// `expr::expiry`); a row whose time has passed is invisible and swept.
    pub expire_at: Option<usize>,
    /// `history_retention = '<duration>'`: how long AS OF reads of this table reach back
    /// (the database keeps the longest of this and `PRAGMA history_retention`).
    pub history_retention_ms: Option<u64>,
    /// `max_memory = '<size>'`: the most bytes the table's rows may hold (see
    /// `ember_storage::mvcc::TableBudget`).
    pub max_memory: Option<u64>,
    /// `on_full = '<policy>'`: what a write that would pass `max_memory` does (default
    /// `Reject` when `max_memory` is set).
    pub on_full: Option<OnFull>,
    /// `ttl = '<duration>'`: a row expires this many milliseconds after its last write (the
    /// hidden column `WRITE_TIME_COLUMN` holds the write time; `expr::expiry`).
    pub ttl_ms: Option<u64>,
    /// `ttl_from = <unix ms>`, written by the engine when `ALTER TABLE .. SET (ttl = ..)`
    /// gives a ttl to a table that had none: the write time of the rows that were already
    /// there (they count from the ALTER). Kept in the text so replay and checkpoints
    /// restore the same times.
    pub ttl_from_ms: Option<i64>,
}

/// What a write into a table at its `max_memory` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnFull {
    /// Fails with `MemoryBudget` naming the table.
    Reject,
    /// Deletes the least recently used rows (CLOCK approximation) in the same commit.
    EvictLru,
    /// Deletes the least frequently used rows (logarithmic counters, sampled) likewise.
    EvictLfu,
    /// Deletes the rows whose `expire_at` is nearest likewise.
    EvictTtl,
}

impl OnFull {
    pub fn name(self) -> &'static str {
        match self {
            OnFull::Reject => "reject",
            OnFull::EvictLru => "evict_lru",
            OnFull::EvictLfu => "evict_lfu",
            OnFull::EvictTtl => "evict_ttl",
        }
    }

    fn parse(text: &str) -> Option<OnFull> {
        [
            OnFull::Reject,
            OnFull::EvictLru,
            OnFull::EvictLfu,
            OnFull::EvictTtl,
        ]
        .into_iter()
        .find(|policy| policy.name() == text)
    }
}

impl TableOptions {
    /// Whether no option is set (the table costs nothing extra).
    pub fn is_empty(&self) -> bool {
        self == &TableOptions::default()
    }

    /// The policy in force when the table is full (`None`: the table has no budget).
    pub fn policy(&self) -> Option<OnFull> {
        self.max_memory
            .map(|_| self.on_full.unwrap_or(OnFull::Reject))
    }

    /// The options as `name = value` text, for `ember_tables` (empty: none).
    pub fn describe(&self, columns: &[super::ColumnDef]) -> String {
        let mut parts = Vec::new();
        if let Some(column) = self.expire_at {
            parts.push(format!("expire_at = {}", columns[column].name));
        }
        if let Some(ms) = self.history_retention_ms {
            parts.push(format!("history_retention = '{ms} ms'"));
        }
        if let Some(bytes) = self.max_memory {
            parts.push(format!(
                "max_memory = '{}'",
                ember_storage::slab::format_bytes(bytes)
            ));
        }
        if let Some(policy) = self.on_full {
            parts.push(format!("on_full = '{}'", policy.name()));
        }
        if let Some(ms) = self.ttl_ms {
            parts.push(format!("ttl = '{ms} ms'"));
        }
        parts.join(", ")
    }
}

/// The options of a CREATE TABLE statement, checked against its columns (`column_index`
/// finds a column by name).
pub fn bind_table_options(
    table: &str,
    options: &ast::CreateTableOptions,
    column_index: impl Fn(&str) -> Option<usize>,
) -> Result<TableOptions> {
    let entries: &[SqlOption] = match options {
        ast::CreateTableOptions::None => &[],
        ast::CreateTableOptions::With(entries) => entries,
        other => {
            return Err(unsupported(format!(
                "table options written as {other} (write WITH (name = value, ...))"
            )))
        }
    };
    let mut bound = TableOptions::default();
    apply(table, &mut bound, entries, &column_index, false)?;
    if bound.ttl_from_ms.is_some() && bound.ttl_ms.is_none() {
        return Err(crate::err!(
            InvalidInput,
            "table {table}: table option ttl_from (the time rows count from) needs ttl"
        ));
    }
    if bound.on_full.is_some() && bound.max_memory.is_none() {
        return Err(crate::err!(
            InvalidInput,
            "table {table}: on_full needs max_memory (the budget it acts at)"
        ));
    }
    if bound.on_full == Some(OnFull::EvictTtl)
        && bound.expire_at.is_none()
        && bound.ttl_ms.is_none()
    {
        return Err(crate::err!(
            InvalidInput,
            "table {table}: on_full = 'evict_ttl' evicts the rows that expire first, so it \
             needs expire_at = <column> or ttl = '<duration>'"
        ));
    }
    Ok(bound)
}

/// `entries` (of `ALTER TABLE .. SET (..)`) merged into the stored options list of
/// `create`, after checking them: each given option replaces the one of its name, and
/// `name = NULL` / `name = DEFAULT` removes it.
pub fn merge_set_options(
    table: &str,
    create: &mut ast::CreateTable,
    entries: &[SqlOption],
    column_index: impl Fn(&str) -> Option<usize>,
) -> Result<()> {
    let mut scratch = TableOptions::default();
    apply(table, &mut scratch, entries, &column_index, true)?;
    let mut kept: Vec<SqlOption> =
        match std::mem::replace(&mut create.table_options, ast::CreateTableOptions::None) {
            ast::CreateTableOptions::With(entries) => entries,
            _ => Vec::new(),
        };
    for entry in entries {
        let (name, value) = key_value(entry)?;
        kept.retain(|old| key_value(old).map_or(true, |(old_name, _)| old_name != name));
        if name == "ttl" && is_removal(value) {
            // The rows' write times go with the ttl, and so does the time they counted from.
            kept.retain(|old| key_value(old).map_or(true, |(old_name, _)| old_name != "ttl_from"));
        }
        if !is_removal(value) {
            kept.push(entry.clone());
        }
    }
    if !kept.is_empty() {
        create.table_options = ast::CreateTableOptions::With(kept);
    }
    Ok(())
}

/// Checks `entries` and sets them on `bound`; with `removals`, `name = NULL` and
/// `name = DEFAULT` are accepted (and set nothing).
fn apply(
    table: &str,
    bound: &mut TableOptions,
    entries: &[SqlOption],
    column_index: &impl Fn(&str) -> Option<usize>,
    removals: bool,
) -> Result<()> {
    if entries.len() > OPTIONS_MAX {
        return Err(crate::err!(
            Limit,
            "table {table} gives {} options; the limit is {OPTIONS_MAX}",
            entries.len()
        ));
    }
    let mut seen: Vec<String> = Vec::new();
    for entry in entries {
        let (name, value) = key_value(entry)?;
        if seen.contains(&name) {
            return Err(crate::err!(
                InvalidInput,
                "table option {name} is given more than once"
            ));
        }
        seen.push(name.clone());
        if removals && is_removal(value) {
            known(&name)?;
            continue;
        }
        match name.as_str() {
            "expire_at" => {
                let column = match value {
                    ast::Expr::Identifier(ident) => ident.value.clone(),
                    other => {
                        return Err(crate::err!(
                            InvalidInput,
                            "table option expire_at takes a column name, not {other}"
                        ))
                    }
                };
                let position = column_index(&column).ok_or_else(|| {
                    crate::err!(
                        NotFound,
                        "table option expire_at: no such column in table {table}: {column}"
                    )
                })?;
                bound.expire_at = Some(position);
            }
            "history_retention" => {
                let ms = parse_duration_ms(&text_value(&name, value)?).map_err(|message| {
                    crate::err!(InvalidInput, "table option history_retention: {message}")
                })?;
                bound.history_retention_ms = Some(ms);
            }
            "ttl" => {
                let ms = parse_duration_ms(&text_value(&name, value)?)
                    .map_err(|message| crate::err!(InvalidInput, "table option ttl: {message}"))?;
                bound.ttl_ms = Some(ms);
            }
            "ttl_from" => {
                let text = text_value(&name, value)?;
                let ms = text
                    .parse::<i64>()
                    .ok()
                    .filter(|ms| *ms >= 0)
                    .ok_or_else(|| {
                        crate::err!(
                            InvalidInput,
                            "table option ttl_from takes unix milliseconds, not '{text}'"
                        )
                    })?;
                bound.ttl_from_ms = Some(ms);
            }
            "max_memory" => {
                let bytes = parse_size_bytes(&text_value(&name, value)?).map_err(|message| {
                    crate::err!(InvalidInput, "table option max_memory: {message}")
                })?;
                bound.max_memory = Some(bytes);
            }
            "on_full" => {
                let policy = text_value(&name, value)?.to_ascii_lowercase();
                let Some(policy) = OnFull::parse(&policy) else {
                    return Err(crate::err!(
                        InvalidInput,
                        "table option on_full: unknown policy '{policy}' (one of {})",
                        ON_FULL_POLICIES.join(", ")
                    ));
                };
                bound.on_full = Some(policy);
            }
            _ => {
                known(&name)?;
            }
        }
    }
    Ok(())
}

/// The policies `on_full` names.
const ON_FULL_POLICIES: &[&str] = &["reject", "evict_lru", "evict_lfu", "evict_ttl"];

/// The options the engine knows.
const KNOWN_OPTIONS: &[&str] = &[
    "expire_at",
    "ttl",
    "ttl_from",
    "max_memory",
    "on_full",
    "history_retention",
];

fn known(name: &str) -> Result<()> {
    if KNOWN_OPTIONS.contains(&name) {
        Ok(())
    } else {
        Err(crate::err!(
            InvalidInput,
            "unknown table option: {name} (known: {})",
            KNOWN_OPTIONS.join(", ")
        ))
    }
}

/// Whether an option's value removes it (`NULL` or `DEFAULT`, under ALTER TABLE .. SET).
fn is_removal(value: &ast::Expr) -> bool {
    match value {
        ast::Expr::Value(value) => matches!(value.value, ast::Value::Null),
        ast::Expr::Identifier(ident) => {
            ident.quote_style.is_none() && ident.value.eq_ignore_ascii_case("default")
        }
        _ => false,
    }
}

/// An entry's lowercase name and its value; only `name = value` entries exist.
fn key_value(entry: &SqlOption) -> Result<(String, &ast::Expr)> {
    match entry {
        SqlOption::KeyValue { key, value } => Ok((key.value.to_lowercase(), value)),
        other => Err(crate::err!(
            InvalidInput,
            "table option {other} is not of the form name = value"
        )),
    }
}

/// A string literal value (`'30 minutes'`), or a bare number, as text.
fn text_value(name: &str, value: &ast::Expr) -> Result<String> {
    match value {
        ast::Expr::Value(literal) => match &literal.value {
            ast::Value::SingleQuotedString(text) => Ok(text.clone()),
            ast::Value::Number(number, _) => Ok(number.clone()),
            _ => Err(crate::err!(
                InvalidInput,
                "table option {name} takes a quoted value, not {value}"
            )),
        },
        _ => Err(crate::err!(
            InvalidInput,
            "table option {name} takes a quoted value, not {value}"
        )),
    }
}

/// Splits "30 minutes" / "64MB" / "500ms" into its number and its unit (lowercase).
fn number_and_unit(text: &str) -> std::result::Result<(f64, String), String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("'{text}' does not start with a number"))?;
    Ok((number, unit.trim().to_ascii_lowercase()))
}

/// A duration such as '30 minutes', '1 second', '500 ms', '2h', in milliseconds (at least
/// one millisecond, at most 100 years).
pub fn parse_duration_ms(text: &str) -> std::result::Result<u64, String> {
    if text.trim_start().starts_with('-') {
        return Err(format!(
            "'{text}' is negative (a duration is at least 1 millisecond)"
        ));
    }
    let (number, unit) = number_and_unit(text)?;
    let scale: f64 = match unit.as_str() {
        "ms" | "msec" | "millisecond" | "milliseconds" => 1.0,
        "" | "s" | "sec" | "secs" | "second" | "seconds" => 1e3,
        "m" | "min" | "mins" | "minute" | "minutes" => 60e3,
        "h" | "hour" | "hours" => 3_600e3,
        "d" | "day" | "days" => 86_400e3,
        _ => {
            return Err(format!(
                "unknown time unit '{unit}' in '{text}' (ms, seconds, minutes, hours, days)"
            ))
        }
    };
    let ms = number * scale;
    if !(1.0..=3.2e12).contains(&ms) {
        return Err(format!(
            "'{text}' is out of range (1 millisecond to 100 years)"
        ));
    }
    Ok(ms as u64)
}

/// A size such as '64MB', '512 kB', '1GB' or '4096' (bytes), in bytes (at least 1 kB, at
/// most 1 PB). Units are powers of 1024, as `max_memory` is read elsewhere.
pub fn parse_size_bytes(text: &str) -> std::result::Result<u64, String> {
    let (number, unit) = number_and_unit(text)?;
    let scale: f64 = match unit.as_str() {
        "" | "b" | "bytes" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" | "tib" => 1024f64.powi(4),
        _ => {
            return Err(format!(
                "unknown size unit '{unit}' in '{text}' (B, kB, MB, GB, TB)"
            ))
        }
    };
    let bytes = number * scale;
    if !(1024.0..=1024f64.powi(5)).contains(&bytes) {
        return Err(format!("'{text}' is out of range (1 kB to 1 PB)"));
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_their_units() {
        assert_eq!(parse_duration_ms("30 minutes"), Ok(1_800_000));
        assert_eq!(parse_duration_ms("1 second"), Ok(1000));
        assert_eq!(parse_duration_ms("500 ms"), Ok(500));
        assert_eq!(parse_duration_ms("1.5h"), Ok(5_400_000));
        assert!(parse_duration_ms("ten minutes").is_err());
        assert!(parse_duration_ms("3 fortnights").is_err());
        assert!(parse_duration_ms("0 s").is_err());
        assert!(parse_duration_ms("-5 minutes")
            .unwrap_err()
            .contains("negative"));
        assert!(parse_duration_ms("1 fortnight")
            .unwrap_err()
            .contains("unknown time unit 'fortnight'"));
    }

    #[test]
    fn sizes_parse_with_their_units() {
        assert_eq!(parse_size_bytes("64MB"), Ok(64 << 20));
        assert_eq!(parse_size_bytes("512 kB"), Ok(512 << 10));
        assert_eq!(parse_size_bytes("1GB"), Ok(1 << 30));
        assert!(parse_size_bytes("12 parsecs").is_err());
        assert!(parse_size_bytes("1").is_err());
    }
}
