//! M1: memory per row. The process's anonymous resident memory (`RssAnon` in
//! /proc/self/status: heap and anonymous mappings, what the data lives in) is read before the
//! database is created, after loading the W1 rows, and after many updates plus the engine's
//! garbage collection; the deltas divided by the row count are the figures. The whole
//! resident set (`VmRSS`) is reported next to them: it also counts the engine's code pages
//! faulted in on first use (file-backed, shared, a few MB whatever the row count). The bench
//! runs each engine's M1 in a child process so one engine's freed memory does not hide
//! another's use.

use crate::data::Rng;
use crate::engine::{BenchError, BenchResult, EngineSpec};
use crate::workloads::{insert_rows, Sizes};

/// A field of /proc/self/status in bytes (Linux); `None` elsewhere.
fn status_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Resident set size of this process in bytes (Linux); `None` elsewhere.
pub fn resident_bytes() -> Option<u64> {
    status_bytes("VmRSS:")
}

/// Anonymous resident memory (heap, anonymous mappings) in bytes (Linux); `None` elsewhere.
pub fn anonymous_bytes() -> Option<u64> {
    status_bytes("RssAnon:")
}

/// The M1 figures for one engine.
#[derive(Debug, Clone)]
pub struct MemoryUse {
    /// Bytes of anonymous memory per row after loading the rows.
    pub loaded_bytes_per_row: f64,
    /// Anonymous bytes per row after the updates and garbage collection.
    pub after_gc_bytes_per_row: f64,
    /// The same two figures from the whole resident set (`VmRSS`).
    pub loaded_rss_per_row: f64,
    pub after_gc_rss_per_row: f64,
    /// Whether the engine's garbage collection ran (`Err` if it has none).
    pub gc: Result<(), BenchError>,
}

/// Loads `sizes.rows` rows into a fresh database, then runs `sizes.memory_updates`
/// updates in 1,000-row transactions and collects garbage, measuring memory along the way.
pub fn measure(spec: &EngineSpec, sizes: &Sizes, dir: &std::path::Path) -> BenchResult<MemoryUse> {
    let unavailable = || BenchError::Missing("RSS (no /proc/self/status)".into());
    let read = || -> BenchResult<(u64, u64)> {
        Ok((
            anonymous_bytes().ok_or_else(unavailable)?,
            resident_bytes().ok_or_else(unavailable)?,
        ))
    };
    let before = read()?;
    let db = (spec.open_m1.unwrap_or(spec.open))(dir)?;
    let mut session = db.connect()?;
    session.create_table()?;
    insert_rows(session.as_mut(), 1, sizes.rows, sizes.insert_txn_rows)?;
    let loaded = read()?;
    let mut rng = Rng::new(11);
    let mut done = 0;
    while done < sizes.memory_updates {
        session.begin()?;
        for _ in 0..1_000.min(sizes.memory_updates - done) {
            session.update_score(rng.key(sizes.rows), rng.next_f64())?;
            done += 1;
        }
        session.commit()?;
    }
    let gc = session.collect_garbage();
    let after = read()?;
    let per_row = |bytes: u64, base: u64| bytes.saturating_sub(base) as f64 / sizes.rows as f64;
    Ok(MemoryUse {
        loaded_bytes_per_row: per_row(loaded.0, before.0),
        after_gc_bytes_per_row: per_row(after.0, before.0),
        loaded_rss_per_row: per_row(loaded.1, before.1),
        after_gc_rss_per_row: per_row(after.1, before.1),
        gc,
    })
}

/// The line a child process prints for its parent.
pub fn child_line(result: &BenchResult<MemoryUse>) -> String {
    match result {
        Ok(usage) => format!(
            "m1 ok {} {} {} {} {}",
            usage.loaded_bytes_per_row,
            usage.after_gc_bytes_per_row,
            usage.loaded_rss_per_row,
            usage.after_gc_rss_per_row,
            match &usage.gc {
                Ok(()) => "gc".to_string(),
                Err(BenchError::Missing(what) | BenchError::Failed(what)) => format!("nogc {what}"),
            }
        ),
        Err(BenchError::Missing(what)) => format!("m1 missing {what}"),
        Err(BenchError::Failed(what)) => format!("m1 failed {what}"),
    }
}

/// Parses a child's output (the inverse of `child_line`).
pub fn parse_child_output(output: &str) -> BenchResult<MemoryUse> {
    let line = output
        .lines()
        .find(|line| line.starts_with("m1 "))
        .ok_or_else(|| BenchError::Failed(format!("child printed no m1 line: {output}")))?;
    let mut parts = line.splitn(3, ' ').skip(1);
    let (status, rest) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    match status {
        "ok" => {
            let fields: Vec<&str> = rest.splitn(5, ' ').collect();
            let number = |index: usize| -> BenchResult<f64> {
                fields
                    .get(index)
                    .and_then(|field| field.parse().ok())
                    .ok_or_else(|| BenchError::Failed(format!("bad m1 line: {line}")))
            };
            let gc = match fields.get(4) {
                Some(&"gc") => Ok(()),
                Some(other) => Err(BenchError::Missing(
                    other.trim_start_matches("nogc ").to_string(),
                )),
                None => Err(BenchError::Failed(format!("bad m1 line: {line}"))),
            };
            Ok(MemoryUse {
                loaded_bytes_per_row: number(0)?,
                after_gc_bytes_per_row: number(1)?,
                loaded_rss_per_row: number(2)?,
                after_gc_rss_per_row: number(3)?,
                gc,
            })
        }
        "missing" => Err(BenchError::Missing(rest.to_string())),
        _ => Err(BenchError::Failed(rest.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_lines_round_trip() {
        let usage = MemoryUse {
            loaded_bytes_per_row: 81.5,
            after_gc_bytes_per_row: 90.0,
            loaded_rss_per_row: 181.5,
            after_gc_rss_per_row: 190.0,
            gc: Err(BenchError::Missing("not supported: VACUUM".into())),
        };
        let parsed = parse_child_output(&child_line(&Ok(usage))).unwrap();
        assert_eq!(parsed.loaded_bytes_per_row, 81.5);
        assert_eq!(parsed.after_gc_bytes_per_row, 90.0);
        assert_eq!(parsed.loaded_rss_per_row, 181.5);
        assert_eq!(parsed.after_gc_rss_per_row, 190.0);
        assert!(matches!(parsed.gc, Err(BenchError::Missing(m)) if m.contains("VACUUM")));
        let missing = child_line(&Err(BenchError::Missing("open".into())));
        assert!(matches!(
            parse_child_output(&missing),
            Err(BenchError::Missing(_))
        ));
    }
}
