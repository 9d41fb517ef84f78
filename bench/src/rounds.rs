//! Repeated rounds of the timed workloads. The engines take turns within each round, so a
//! burst of load elsewhere on the machine falls on every engine alike rather than on
//! whichever ran at that moment; each cell of the table is then the median of its rounds,
//! with the spread in the note.

use crate::report::thousands;
use crate::{Measurement, Unit};

/// One measurement per cell: the median of that cell's rounds. Every round must hold the
/// same cells in the same order; a cell that failed in any round reports that failure.
pub fn median_of_rounds(mut rounds: Vec<Vec<Measurement>>) -> Vec<Measurement> {
    if rounds.len() <= 1 {
        return rounds.pop().unwrap_or_default();
    }
    let count = rounds.len();
    let first = rounds.remove(0);
    first
        .into_iter()
        .enumerate()
        .map(|(position, mut cell)| {
            let mut values = Vec::with_capacity(count);
            for round in std::iter::once(&cell).chain(rounds.iter().map(|r| &r[position])) {
                debug_assert!(round.workload == cell.workload && round.engine == cell.engine);
                match &round.value {
                    Ok(value) => values.push(*value),
                    Err(error) => {
                        cell.value = Err(error.clone());
                        return cell;
                    }
                }
            }
            values.sort_by(f64::total_cmp);
            let middle = values.len() / 2;
            let median = if values.len() % 2 == 1 {
                values[middle]
            } else {
                (values[middle - 1] + values[middle]) / 2.0
            };
            cell.value = Ok(median);
            let (low, high) = (values[0], values[values.len() - 1]);
            let spread = match cell.unit {
                Unit::OpsPerSecond => format!("{}-{}", thousands(low), thousands(high)),
                Unit::BytesPerRow => format!("{low:.1}-{high:.1}"),
            };
            let rounds_note = format!("median of {count}, range {spread}");
            cell.note = if cell.note.is_empty() {
                rounds_note
            } else {
                format!("{}; {rounds_note}", cell.note)
            };
            cell
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::BenchError;

    fn cell(value: Result<f64, BenchError>) -> Measurement {
        Measurement {
            workload: "W2 point select".into(),
            engine: "ember",
            value,
            unit: Unit::OpsPerSecond,
            is_baseline: false,
            note: String::new(),
        }
    }

    #[test]
    fn a_cell_is_the_median_of_its_rounds_with_the_range_noted() {
        let rounds = vec![
            vec![cell(Ok(300.0))],
            vec![cell(Ok(100.0))],
            vec![cell(Ok(200.0))],
        ];
        let merged = median_of_rounds(rounds);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].value.as_ref().ok(), Some(&200.0));
        assert_eq!(merged[0].note, "median of 3, range 100-300");
        let even = median_of_rounds(vec![vec![cell(Ok(1.0))], vec![cell(Ok(4.0))]]);
        assert_eq!(even[0].value.as_ref().ok(), Some(&2.5));
    }

    #[test]
    fn a_failure_in_any_round_is_the_cell_result() {
        let failed = Err(BenchError::Failed("broke".into()));
        let merged = median_of_rounds(vec![vec![cell(Ok(1.0))], vec![cell(failed)]]);
        assert!(matches!(&merged[0].value, Err(BenchError::Failed(m)) if m == "broke"));
        assert_eq!(median_of_rounds(vec![vec![cell(Ok(7.0))]])[0].note, "");
    }
}
