//! Comparing two encoded rows of one table column by column without decoding them: which
//! of some columns each holds identically (both NULL, or the same bytes). Decoding is a
//! function of the bytes, so identical bytes are identical values; garbage collection uses
//! this to see that an index entry is still needed without decoding either row. Both rows
//! are untrusted like any payload: a malformed one answers `None`, never a panic.

use crate::row_splice::column_end;
use crate::value::DataType;

/// For each column `wanted` marks, whether `left` and `right` (payloads in the current
/// format of a table of `types` that never grew a column, so both hold every column) hold
/// it identically, written into `identical` (as long as `wanted`; unmarked columns false).
/// `None` when either payload is malformed up to the last marked column.
pub(crate) fn identical_columns(
    types: &[DataType],
    left: &[u8],
    right: &[u8],
    wanted: &[bool],
    identical: &mut Vec<bool>,
) -> Option<()> {
    identical.clear();
    identical.resize(wanted.len(), false);
    let Some(last) = wanted.iter().rposition(|&marked| marked) else {
        return Some(());
    };
    if last >= types.len() {
        return None;
    }
    let bitmap_len = types.len().div_ceil(8);
    let (left_bitmap, right_bitmap) = (left.get(..bitmap_len)?, right.get(..bitmap_len)?);
    let is_null = |bitmap: &[u8], column: usize| bitmap[column / 8] & (1 << (column % 8)) != 0;
    let (mut left_at, mut right_at) = (bitmap_len, bitmap_len);
    for (column, &column_type) in types.iter().enumerate().take(last + 1) {
        let left_null = is_null(left_bitmap, column);
        let right_null = is_null(right_bitmap, column);
        let left_end = if left_null {
            left_at
        } else {
            column_end(column_type, left, left_at)?
        };
        let right_end = if right_null {
            right_at
        } else {
            column_end(column_type, right, right_at)?
        };
        if wanted[column] {
            identical[column] =
                left_null == right_null && left[left_at..left_end] == right[right_at..right_end];
        }
        (left_at, right_at) = (left_end, right_end);
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::row::encode;
    use crate::value::Value;

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn marks_the_wanted_columns_both_rows_hold_alike() {
        let types = [
            DataType::Integer,
            DataType::Any,
            DataType::Text,
            DataType::Real,
        ];
        let row = |values: &[Value]| encode(&types, values).unwrap();
        let base = row(&[
            Value::Integer(1),
            Value::Integer(5),
            text("x"),
            Value::Real(0.5),
        ]);
        let cases: [(Vec<Value>, [bool; 4]); 6] = [
            // Only the unwanted first column differs.
            (
                vec![
                    Value::Integer(2),
                    Value::Integer(5),
                    text("x"),
                    Value::Real(0.5),
                ],
                [false, true, true, true],
            ),
            // 5 and 5.0 are equal values but not identical ones.
            (
                vec![
                    Value::Integer(1),
                    Value::Real(5.0),
                    text("x"),
                    Value::Real(0.5),
                ],
                [false, false, true, true],
            ),
            (
                vec![
                    Value::Integer(1),
                    Value::Integer(5),
                    text("X"),
                    Value::Real(0.5),
                ],
                [false, true, false, true],
            ),
            (
                vec![Value::Integer(1), Value::Null, text("x"), Value::Real(-0.5)],
                [false, false, true, false],
            ),
            // A longer earlier column shifts the later ones: still compared in place.
            (
                vec![
                    Value::Integer(1 << 40),
                    Value::Integer(5),
                    text("x"),
                    Value::Null,
                ],
                [false, true, true, false],
            ),
            (
                vec![
                    Value::Integer(1),
                    Value::Integer(5),
                    text("x"),
                    Value::Real(0.5),
                ],
                [false, true, true, true],
            ),
        ];
        let wanted = [false, true, true, true];
        let mut identical = Vec::new();
        for (values, expected) in cases {
            let other = row(&values);
            identical_columns(&types, &base, &other, &wanted, &mut identical).unwrap();
            assert_eq!(identical, expected, "{values:?}");
            identical_columns(&types, &other, &base, &wanted, &mut identical).unwrap();
            assert_eq!(identical, expected, "{values:?}, swapped");
        }
        // Both NULL is identical.
        let nulls = row(&[Value::Null, Value::Null, Value::Null, Value::Null]);
        identical_columns(&types, &nulls, &nulls, &wanted, &mut identical).unwrap();
        assert_eq!(identical, [false, true, true, true]);
    }

    #[test]
    fn malformed_rows_answer_none_and_never_panic() {
        let types = [DataType::Integer, DataType::Text];
        let good = encode(&types, &[Value::Integer(1), text("abc")]).unwrap();
        let wanted = [false, true];
        let mut identical = Vec::new();
        for cut in 0..good.len() {
            assert_eq!(
                identical_columns(&types, &good, &good[..cut], &wanted, &mut identical),
                None,
                "cut at {cut}"
            );
        }
        let mut rng = fastrand::Rng::with_seed(24);
        for _ in 0..2000 {
            let junk: Vec<u8> = (0..rng.usize(0..12)).map(|_| rng.u8(..)).collect();
            let _ = identical_columns(&types, &good, &junk, &wanted, &mut identical);
        }
        // A wanted column past the row's columns cannot be compared.
        assert_eq!(
            identical_columns(&types, &good, &good, &[false, false, true], &mut identical),
            None
        );
    }
}
