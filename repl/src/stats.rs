//! `.stats`: the engine's statistics (`ember_stats`, `ember_durability`, `ember_tables`).
//! In the drawn grid modes (box, table, markdown) each one-row view is turned into
//! (metric, value) rows so it reads at any terminal width, and the tables get one row each
//! with a bar of their share of the bytes and, for a table with `max_memory`, its budget at a
//! glance (share used, policy, evictions, hit rate); the text modes print the views as they are.

use ember::Value;

use crate::output::{write_result, Mode, Settings};
use crate::shell::Shell;

/// Characters of the widest bar in the per-table listing.
const BAR_CHARS_MAX: usize = 20;

/// The columns of `ember_tables` the per-table listing shows, in order.
const TABLE_COLUMNS: [&str; 5] = [
    "name",
    "rows",
    "live_versions",
    "dead_versions",
    "bytes_used",
];

/// One (metric, value) row per column of a one-row view.
fn transpose(columns: &[String], row: &[Value]) -> Vec<Vec<Value>> {
    columns
        .iter()
        .zip(row)
        .map(|(column, value)| vec![Value::Text(column.clone()), value.clone()])
        .collect()
}

/// A bar of `part` against `whole`, at most `BAR_CHARS_MAX` characters (at least one for a
/// non-zero part).
fn bar(part: i64, whole: i64) -> String {
    if part <= 0 || whole <= 0 {
        return String::new();
    }
    let scaled = (part as f64 / whole as f64 * BAR_CHARS_MAX as f64).round() as usize;
    "█".repeat(scaled.clamp(1, BAR_CHARS_MAX))
}

/// The per-table rows: the `TABLE_COLUMNS` of each table and a bar of its bytes.
fn table_rows(columns: &[String], rows: &[Vec<Value>]) -> Vec<Vec<Value>> {
    let positions: Vec<Option<usize>> = TABLE_COLUMNS
        .iter()
        .map(|name| columns.iter().position(|column| column == name))
        .collect();
    let bytes_of = |row: &Vec<Value>| match positions[4].and_then(|at| row.get(at)) {
        Some(Value::Integer(bytes)) => *bytes,
        _ => 0,
    };
    let widest = rows.iter().map(bytes_of).max().unwrap_or(0);
    rows.iter()
        .map(|row| {
            let mut shown: Vec<Value> = positions
                .iter()
                .map(|at| {
                    at.and_then(|at| row.get(at))
                        .cloned()
                        .unwrap_or(Value::Null)
                })
                .collect();
            shown.push(Value::Text(bar(bytes_of(row), widest)));
            shown.push(budget_summary(columns, row));
            shown
        })
        .collect()
}

/// A table's budget at a glance: "12% of 64.0 MiB, evict_lru, 40 evicted, 93% hits" (NULL
/// for a table without `max_memory`).
fn budget_summary(columns: &[String], row: &[Value]) -> Value {
    let int = |name: &str| match columns
        .iter()
        .position(|column| column == name)
        .and_then(|at| row.get(at))
    {
        Some(Value::Integer(n)) => Some(*n),
        _ => None,
    };
    let Some(budget) = int("max_memory").filter(|budget| *budget > 0) else {
        return Value::Null;
    };
    let policy = columns
        .iter()
        .position(|column| column == "on_full")
        .and_then(|at| row.get(at))
        .map_or(String::new(), |value| match value {
            Value::Text(policy) => policy.clone(),
            _ => String::new(),
        });
    let used = int("bytes").unwrap_or(0);
    let mut text = format!(
        "{}% of {}, {policy}, {} evicted",
        used * 100 / budget,
        ember_storage_size(budget),
        int("rows_evicted").unwrap_or(0)
    );
    if let (Some(hits), Some(misses)) = (int("hits"), int("misses")) {
        if hits + misses > 0 {
            text.push_str(&format!(", {}% hits", hits * 100 / (hits + misses)));
        }
    }
    Value::Text(text)
}

/// The database budget at a glance, from `ember_stats`: a bar of the memory used against
/// `max_memory` with its share, and the pressure level with its marks ("evict (marks 80% /
/// 90%)"); `None` without a budget.
fn pressure_summary(columns: &[String], row: &[Value]) -> Option<Vec<Value>> {
    let value = |name: &str| {
        columns
            .iter()
            .position(|column| column == name)
            .and_then(|at| row.get(at))
    };
    let int = |name: &str| match value(name) {
        Some(Value::Integer(n)) => Some(*n),
        _ => None,
    };
    let budget = int("max_memory").filter(|budget| *budget > 0)?;
    let used = int("memory_used_bytes").unwrap_or(0);
    let level = match value("memory_pressure") {
        Some(Value::Text(level)) => level.clone(),
        _ => return None,
    };
    let memory = format!(
        "{} {}% of {}",
        bar(used, budget),
        used * 100 / budget,
        ember_storage_size(budget)
    );
    let pressure = format!(
        "{level} (marks {}% / {}%)",
        int("memory_soft_mark").unwrap_or(0),
        int("memory_evict_mark").unwrap_or(0)
    );
    Some(vec![Value::Text(memory), Value::Text(pressure)])
}

/// Bytes as "64.0 MiB" / "512.0 KiB".
fn ember_storage_size(bytes: i64) -> String {
    let bytes = bytes as f64;
    if bytes >= 1024.0 * 1024.0 * 1024.0 {
        format!("{:.1} GiB", bytes / (1024.0 * 1024.0 * 1024.0))
    } else if bytes >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", bytes / (1024.0 * 1024.0))
    } else {
        format!("{:.1} KiB", bytes / 1024.0)
    }
}

impl Shell {
    /// `.stats`.
    pub fn stats(&mut self) -> Result<(), String> {
        let grid = matches!(self.settings.mode, Mode::Box | Mode::Table | Mode::Markdown);
        if !grid {
            self.system_query(".stats", "SELECT * FROM ember_stats", false)?;
            return self.system_query(".stats", "SELECT * FROM ember_durability", true);
        }
        let metric_columns = ["metric".to_string(), "value".to_string()];
        for view in ["ember_stats", "ember_durability"] {
            let (columns, rows) = self.system_rows(view)?;
            if let Some(row) = rows.first() {
                self.write_grid(&metric_columns, &transpose(&columns, row))?;
                if let Some(summary) = pressure_summary(&columns, row) {
                    let header = ["memory".to_string(), "pressure".to_string()];
                    self.write_grid(&header, &[summary])?;
                }
            }
        }
        let (columns, rows) = self.system_rows("ember_tables")?;
        if !rows.is_empty() {
            let mut shown: Vec<String> = TABLE_COLUMNS.iter().map(|c| c.to_string()).collect();
            shown[0] = "table".to_string();
            shown.push("bytes".to_string());
            shown.push("budget".to_string());
            self.write_grid(&shown, &table_rows(&columns, &rows))?;
        }
        Ok(())
    }

    fn system_rows(&self, view: &str) -> Result<(Vec<String>, Vec<Vec<Value>>), String> {
        let rows = self
            .connection
            .query(&format!("SELECT * FROM {view}"), ())
            .map_err(|error| format!(".stats is not available in this build ({error})"))?;
        let columns = rows.columns().to_vec();
        Ok((columns, rows.into_values()))
    }

    fn write_grid(&mut self, columns: &[String], rows: &[Vec<Value>]) -> Result<(), String> {
        let settings = Settings {
            max_rows: usize::MAX,
            ..self.settings.clone()
        };
        let out = self.out();
        write_result(out, &settings, columns, rows)
            .and_then(|()| out.flush())
            .map_err(|error| format!("cannot write output: {error}"))?;
        self.statement_done();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_one_row_view_becomes_metric_rows() {
        let columns = vec!["tables".to_string(), "rows".to_string()];
        let rows = transpose(&columns, &[Value::Integer(2), Value::Integer(40)]);
        assert_eq!(
            rows,
            vec![
                vec![Value::Text("tables".into()), Value::Integer(2)],
                vec![Value::Text("rows".into()), Value::Integer(40)],
            ]
        );
    }

    #[test]
    fn the_memory_summary_shows_share_and_pressure() {
        let columns: Vec<String> = [
            "memory_used_bytes",
            "max_memory",
            "memory_pressure",
            "memory_soft_mark",
            "memory_evict_mark",
        ]
        .map(String::from)
        .to_vec();
        let row = [
            Value::Integer(85 << 20),
            Value::Integer(100 << 20),
            Value::Text("soft".into()),
            Value::Integer(80),
            Value::Integer(90),
        ];
        let summary = pressure_summary(&columns, &row).unwrap();
        assert_eq!(
            summary[0],
            Value::Text(format!("{} 85% of 100.0 MiB", "█".repeat(17)))
        );
        assert_eq!(summary[1], Value::Text("soft (marks 80% / 90%)".into()));
        let mut unbudgeted = row.to_vec();
        unbudgeted[1] = Value::Null;
        assert!(pressure_summary(&columns, &unbudgeted).is_none());
    }

    #[test]
    fn bars_scale_to_the_largest_table() {
        assert_eq!(bar(100, 100).chars().count(), BAR_CHARS_MAX);
        assert_eq!(bar(50, 100).chars().count(), BAR_CHARS_MAX / 2);
        assert_eq!(bar(1, 1_000_000).chars().count(), 1);
        assert_eq!(bar(0, 100), "");
    }

    #[test]
    fn a_budgeted_table_shows_its_share_policy_and_hits() {
        let columns: Vec<String> = [
            "bytes",
            "max_memory",
            "on_full",
            "rows_evicted",
            "hits",
            "misses",
        ]
        .iter()
        .map(|c| c.to_string())
        .collect();
        let row = vec![
            Value::Integer(32 << 20),
            Value::Integer(64 << 20),
            Value::Text("evict_lru".into()),
            Value::Integer(40),
            Value::Integer(9),
            Value::Integer(1),
        ];
        assert_eq!(
            budget_summary(&columns, &row),
            Value::Text("50% of 64.0 MiB, evict_lru, 40 evicted, 90% hits".into())
        );
        let plain = vec![
            Value::Integer(5),
            Value::Null,
            Value::Null,
            Value::Integer(0),
        ];
        assert_eq!(budget_summary(&columns, &plain), Value::Null);
    }

    #[test]
    fn stats_in_box_mode_fit_100_columns() {
        let db = ember::Database::in_memory();
        let mut shell = Shell::new(db, None, Settings::interactive(100));
        shell
            .connection
            .execute_batch("CREATE TABLE users(id INT PRIMARY KEY, name TEXT)")
            .unwrap();
        shell.stats().unwrap();
    }
}
