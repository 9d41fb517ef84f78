//! Tests of typed column batches: every type, NULLs, projections and a left-out key read as
//! the row decoder reads them; damaged payloads fail without leaving a partial row.

use super::*;
use crate::row::{encode_into, encode_leaving_out, RowDecoder};
use crate::value::DataType;

fn sample_rows() -> (Vec<DataType>, Vec<Vec<Value>>) {
    let types = vec![
        DataType::Integer,
        DataType::Text,
        DataType::Real,
        DataType::Boolean,
        DataType::Blob,
        DataType::Any,
        DataType::Real,
    ];
    let rows = vec![
        vec![
            Value::Integer(-5),
            Value::Text("héllo".into()),
            Value::Real(2.5),
            Value::Boolean(true),
            Value::Blob(vec![0, 1, 255]),
            Value::Text("any".into()),
            Value::Real(0.1),
        ],
        vec![Value::Null; 7],
        vec![
            Value::Integer(i64::MAX),
            Value::Text(String::new()),
            Value::Real(-1e300),
            Value::Boolean(false),
            Value::Blob(Vec::new()),
            Value::Integer(i64::MIN),
            Value::Real(1.0 / 8.0),
        ],
        vec![
            Value::Integer(7),
            Value::Text("x".repeat(300)),
            Value::Null,
            Value::Null,
            Value::Blob(vec![9; 200]),
            Value::Real(3.25),
            Value::Null,
        ],
    ];
    (types, rows)
}

/// Every subset of decoded columns reads, row by row and column by column, what
/// `decode_into` reads.
#[test]
fn batches_read_what_the_row_decoder_reads() {
    let (types, rows) = sample_rows();
    let payloads: Vec<Vec<u8>> = rows
        .iter()
        .map(|row| {
            let mut out = Vec::new();
            encode_into(&types, row, &mut out).unwrap();
            out
        })
        .collect();
    for mask in 0u32..(1 << types.len()) {
        let wanted: Vec<bool> = (0..types.len()).map(|c| mask & (1 << c) != 0).collect();
        let decoder = RowDecoder::new(&types, Some(&wanted));
        let mut batch = ColumnBatch::new();
        decoder.start_batch(&mut batch, payloads.len());
        for (row, payload) in payloads.iter().enumerate() {
            decoder
                .decode_to_batch(row as u64, payload, &mut batch)
                .unwrap();
        }
        batch.finish();
        assert_eq!(batch.len(), rows.len());
        assert_eq!(batch.row_ids(), &[0, 1, 2, 3]);
        let mut values = Vec::new();
        for (row, payload) in payloads.iter().enumerate() {
            decoder
                .decode_into(row as u64, payload, &mut values)
                .unwrap();
            for (column, value) in values.iter().enumerate() {
                match batch.column(column) {
                    Some(vector) => assert_eq!(&vector.get(row).to_value(), value, "{mask}"),
                    None => assert!(!wanted[column] && value.is_null()),
                }
            }
        }
    }
}

/// A clustered table's key left out of the payload reads as the row id, as
/// `decode_into` puts it back.
#[test]
fn a_left_out_key_reads_the_row_id() {
    let types = [DataType::Integer, DataType::Text];
    let mut payload = Vec::new();
    let row = [Value::Integer(42), Value::Text("a".into())];
    encode_leaving_out(&types, &row, 0, &mut payload).unwrap();
    let decoder = RowDecoder::new(&types, None).for_clustered_key(Some(0));
    let mut batch = ColumnBatch::new();
    decoder.start_batch(&mut batch, 1);
    decoder.decode_to_batch(42, &payload, &mut batch).unwrap();
    batch.finish();
    let keys = batch.column(0).unwrap();
    assert_eq!(keys.get(0), Scalar::Integer(42));
    assert_eq!(keys.kinds(), &[Kind::Integer]);
    assert_eq!(batch.column(1).unwrap().get(0), Scalar::Text("a"));
}

/// Every cut of a payload, and a text that is not UTF-8, is an error that leaves the
/// batch with its earlier rows whole (every vector as long as the row ids).
#[test]
fn damaged_payloads_fail_and_leave_whole_rows() {
    let (types, rows) = sample_rows();
    let decoder = RowDecoder::new(&types, None);
    let mut first = Vec::new();
    encode_into(&types, &rows[0], &mut first).unwrap();
    let mut long = Vec::new();
    encode_into(&types, &rows[3], &mut long).unwrap();
    for cut in 0..long.len() {
        let mut batch = ColumnBatch::new();
        decoder.start_batch(&mut batch, 2);
        decoder.decode_to_batch(0, &first, &mut batch).unwrap();
        assert!(
            decoder
                .decode_to_batch(1, &long[..cut], &mut batch)
                .is_err(),
            "{cut}"
        );
        batch.finish();
        assert_eq!(batch.len(), 1);
        for column in 0..types.len() {
            let vector = batch.column(column).unwrap();
            assert_eq!(vector.kinds().len(), 1, "cut {cut} column {column}");
            assert_eq!(vector.words().len(), 1);
        }
    }
    let mut trailing = long.clone();
    trailing.push(0);
    let mut batch = ColumnBatch::new();
    decoder.start_batch(&mut batch, 1);
    assert!(decoder.decode_to_batch(0, &trailing, &mut batch).is_err());
    // "héllo"'s é (0xc3 0xa9) made invalid UTF-8.
    let at = first
        .windows(2)
        .position(|pair| pair == [0xc3, 0xa9])
        .unwrap();
    let mut bad = first.clone();
    bad[at + 1] = 0x41;
    let mut batch = ColumnBatch::new();
    decoder.start_batch(&mut batch, 1);
    let error = decoder.decode_to_batch(0, &bad, &mut batch).unwrap_err();
    assert!(error.to_string().contains("UTF-8"), "{error}");
    batch.finish();
    assert!(batch.is_empty());
}
