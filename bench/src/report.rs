//! Formats measurements as one plain-text table: workload, engine, result, ratio to the
//! SQLite baseline of the same workload, and a note; engine configurations follow.

use crate::engine::BenchError;
use crate::{engines, Measurement, Unit};

/// `1234567.8` -> `"1,234,568"`.
pub fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A rate: grouped digits, or two decimals below 100 (statements that take 10 ms or more).
pub fn rate(value: f64) -> String {
    if value < 100.0 {
        format!("{value:.2}")
    } else {
        thousands(value)
    }
}

fn result_text(measurement: &Measurement) -> String {
    match (&measurement.value, measurement.unit) {
        (Ok(value), Unit::OpsPerSecond) => format!("{} ops/s", rate(*value)),
        (Ok(value), Unit::BytesPerRow) => format!("{value:.1} B/row"),
        (Err(BenchError::Missing(what)), _) => {
            let what: String = what.chars().take(60).collect();
            format!("n/a (missing: {what})")
        }
        (Err(BenchError::Failed(what)), _) => {
            let what: String = what.chars().take(60).collect();
            format!("FAILED ({what})")
        }
    }
}

/// The median of the cell's per-round ratios to its baseline (see `rounds`); for a cell
/// without them, its value divided by the baseline engine's value for the same workload.
pub fn ratio(measurement: &Measurement, all: &[Measurement]) -> Option<f64> {
    let value = measurement.value.as_ref().ok()?;
    if !measurement.round_ratios.is_empty() {
        return crate::rounds::median(&mut measurement.round_ratios.clone());
    }
    let baseline = all
        .iter()
        .find(|other| other.workload == measurement.workload && other.is_baseline)?;
    let base = baseline.value.as_ref().ok()?;
    (*base > 0.0).then(|| value / base)
}

/// The whole report.
pub fn format_table(measurements: &[Measurement]) -> String {
    let header = ["workload", "engine", "result", "vs SQLite", "note"];
    let rows: Vec<[String; 5]> = measurements
        .iter()
        .map(|m| {
            [
                m.workload.clone(),
                m.engine.to_string(),
                result_text(m),
                ratio(m, measurements).map_or("-".into(), |r| format!("{r:.2}x")),
                m.note.clone(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, text) in widths.iter_mut().zip(row) {
            *width = (*width).max(text.chars().count());
        }
    }
    let line = |cells: [&str; 5]| {
        let mut text = String::from("|");
        for (cell, width) in cells.iter().zip(widths) {
            text.push_str(&format!(" {cell:<width$} |"));
        }
        text.trim_end().to_string() + "\n"
    };
    let mut out = line(header);
    out.push_str(&line(
        widths.map(|w| "-".repeat(w)).each_ref().map(String::as_str),
    ));
    for row in &rows {
        out.push_str(&line(row.each_ref().map(String::as_str)));
    }
    out.push_str("\nvs SQLite: ratio to `sqlite :memory:` (W5: to `sqlite WAL FULL`);");
    out.push_str(" for B/row lower is better.\n\nEngines:\n");
    for spec in engines() {
        out.push_str(&format!("- {}: {}\n", spec.name, spec.remark));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0.4), "0");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(1234567.0), "1,234,567");
    }

    #[test]
    fn slow_rates_keep_their_decimals() {
        let cell = |value: f64| Measurement {
            workload: "D1".into(),
            engine: "ember",
            value: Ok(value),
            unit: Unit::OpsPerSecond,
            is_baseline: false,
            note: String::new(),
            round_ratios: Vec::new(),
        };
        assert_eq!(result_text(&cell(0.4567)), "0.46 ops/s");
        assert_eq!(result_text(&cell(1234.4)), "1,234 ops/s");
    }
}
