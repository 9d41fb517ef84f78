//! Repeated rounds of the timed workloads. The engines take turns within each round, so a
//! burst of load elsewhere on the machine falls on every engine alike rather than on
//! whichever ran at that moment; each cell of the table is then the median of its rounds,
//! with the spread in the note. Ratios are paired: each round's cell is divided by its
//! baseline from the same round, and the table shows the median of those ratios, so a slow
//! minute that fell on one round does not skew the comparison.

use crate::report::rate;
use crate::{Measurement, Unit};

/// Sets each cell's ratio to the baseline cell of its workload in the same `round`.
pub fn note_round_ratios(round: &mut [Measurement]) {
    let baselines: Vec<(String, f64)> = round
        .iter()
        .filter(|cell| cell.is_baseline)
        .filter_map(|cell| Some((cell.workload.clone(), *cell.value.as_ref().ok()?)))
        .collect();
    for cell in round.iter_mut() {
        let Ok(value) = &cell.value else { continue };
        let base = baselines
            .iter()
            .find(|(workload, _)| *workload == cell.workload);
        if let Some((_, base)) = base.filter(|(_, base)| *base > 0.0) {
            cell.round_ratios = vec![value / base];
        }
    }
}

/// The median of `values` (sorted in place); None when empty.
pub fn median(values: &mut [f64]) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    match values.len() {
        0 => None,
        len if len % 2 == 1 => Some(values[middle]),
        _ => Some((values[middle - 1] + values[middle]) / 2.0),
    }
}

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
            let mut ratios = Vec::with_capacity(count);
            for round in std::iter::once(&cell).chain(rounds.iter().map(|r| &r[position])) {
                debug_assert!(round.workload == cell.workload && round.engine == cell.engine);
                match &round.value {
                    Ok(value) => values.push(*value),
                    Err(error) => {
                        cell.value = Err(error.clone());
                        cell.round_ratios.clear();
                        return cell;
                    }
                }
                ratios.extend_from_slice(&round.round_ratios);
            }
            cell.value = Ok(median(&mut values).expect("every round gave a value"));
            let (low, high) = (values[0], values[values.len() - 1]);
            let spread = match cell.unit {
                Unit::OpsPerSecond => format!("{}-{}", rate(low), rate(high)),
                Unit::BytesPerRow => format!("{low:.1}-{high:.1}"),
            };
            let mut rounds_note = format!("median of {count}, range {spread}");
            ratios.sort_by(f64::total_cmp);
            if let (Some(low), Some(high)) = (ratios.first(), ratios.last()) {
                if !cell.is_baseline {
                    rounds_note.push_str(&format!(", ratios {low:.2}-{high:.2}"));
                }
            }
            cell.round_ratios = ratios;
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
            round_ratios: Vec::new(),
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

    /// Ratios pair each round's cells: the table's ratio is the median of the rounds'
    /// ratios, which differs from the ratio of the medians when the machine drifts.
    #[test]
    fn ratios_are_paired_within_each_round() {
        let pair = |ember: f64, sqlite: f64| {
            let mut base = cell(Ok(sqlite));
            base.engine = "sqlite";
            base.is_baseline = true;
            let mut round = vec![cell(Ok(ember)), base];
            note_round_ratios(&mut round);
            round
        };
        // Slow, fast, slow machine: ember 2x in every round.
        let rounds = vec![pair(200.0, 100.0), pair(800.0, 400.0), pair(300.0, 150.0)];
        let merged = median_of_rounds(rounds);
        assert_eq!(merged[0].value.as_ref().ok(), Some(&300.0));
        assert_eq!(merged[1].value.as_ref().ok(), Some(&150.0));
        assert_eq!(merged[0].round_ratios, vec![2.0, 2.0, 2.0]);
        assert!(
            merged[0].note.ends_with(", ratios 2.00-2.00"),
            "{}",
            merged[0].note
        );
        assert_eq!(merged[1].round_ratios, vec![1.0, 1.0, 1.0]);
        assert!(!merged[1].note.contains("ratios"), "{}", merged[1].note);
        assert_eq!(crate::report::ratio(&merged[0], &merged), Some(2.0));
        // A round where the baseline failed gives no ratio for that round.
        let mut round = pair(5.0, 1.0);
        round[1].value = Err(BenchError::Failed("broke".into()));
        round[0].round_ratios.clear();
        note_round_ratios(&mut round);
        assert!(round[0].round_ratios.is_empty());
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3.0, 1.0]), Some(2.0));
    }

    #[test]
    fn a_failure_in_any_round_is_the_cell_result() {
        let failed = Err(BenchError::Failed("broke".into()));
        let merged = median_of_rounds(vec![vec![cell(Ok(1.0))], vec![cell(failed)]]);
        assert!(matches!(&merged[0].value, Err(BenchError::Failed(m)) if m == "broke"));
        assert_eq!(median_of_rounds(vec![vec![cell(Ok(7.0))]])[0].note, "");
    }
}
