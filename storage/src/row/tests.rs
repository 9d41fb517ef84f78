//! Tests of the row codec: round trips, projections, reused buffers, and damaged bytes.

use super::*;

fn all_types() -> Vec<DataType> {
    DataType::ALL.to_vec()
}

#[test]
fn round_trips_every_type_and_nulls() {
    let types = all_types();
    let rows = vec![
        vec![
            Value::Integer(-5),
            Value::Real(2.5),
            Value::Text("héllo".into()),
            Value::Boolean(true),
            Value::Blob(vec![0, 1, 255]),
            Value::Text("any".into()),
        ],
        vec![Value::Null; 6],
        vec![
            Value::Integer(i64::MIN),
            Value::Null,
            Value::Text(String::new()),
            Value::Boolean(false),
            Value::Null,
            Value::Integer(i64::MAX),
        ],
    ];
    for row in rows {
        let bytes = encode(&types, &row).unwrap();
        assert_eq!(decode(&types, &bytes).unwrap(), row);
    }
}

#[test]
fn small_integers_are_compact() {
    let bytes = encode(&[DataType::Integer], &[Value::Integer(3)]).unwrap();
    assert_eq!(bytes.len(), 2, "bitmap byte + one varint byte");
}

#[test]
fn wrong_type_is_rejected() {
    let err = encode(&[DataType::Integer], &[Value::Text("x".into())]).unwrap_err();
    assert_eq!(err.kind, StorageErrorKind::InvalidData);
}

#[test]
fn every_truncation_and_corruption_is_an_error_not_a_panic() {
    let types = all_types();
    let row = vec![
        Value::Integer(300),
        Value::Real(1.0),
        Value::Text("abc".into()),
        Value::Boolean(true),
        Value::Blob(vec![9; 20]),
        Value::Real(3.0),
    ];
    let bytes = encode(&types, &row).unwrap();
    for cut in 0..bytes.len() {
        assert!(decode(&types, &bytes[..cut]).is_err(), "cut at {cut}");
    }
    for position in 0..bytes.len() {
        for bit in 0..8 {
            let mut damaged = bytes.clone();
            damaged[position] ^= 1 << bit;
            let _ = decode(&types, &damaged);
        }
    }
    let huge_length = [0u8, 0xff, 0xff, 0xff, 0xff, 0x0f];
    assert!(decode(&[DataType::Text], &huge_length).is_err());
}

#[test]
fn projected_decode_reads_only_wanted_columns() {
    let types = all_types();
    let row = vec![
        Value::Integer(300),
        Value::Real(1.5),
        Value::Text("abc".into()),
        Value::Null,
        Value::Blob(vec![9; 20]),
        Value::Text("any".into()),
    ];
    let bytes = encode(&types, &row).unwrap();
    let mut out = Vec::new();
    for mask in 0u32..64 {
        let wanted: Vec<bool> = (0..6).map(|i| mask & (1 << i) != 0).collect();
        decode_columns_into(&types, &bytes, Some(&wanted), &mut out).unwrap();
        let expected: Vec<Value> = row
            .iter()
            .zip(&wanted)
            .map(|(value, &keep)| if keep { value.clone() } else { Value::Null })
            .collect();
        assert_eq!(out, expected, "mask {mask:06b}");
    }
    // A short mask leaves the rest undecoded; truncation is still caught when skipping.
    decode_columns_into(&types, &bytes, Some(&[true]), &mut out).unwrap();
    assert_eq!(out[0], Value::Integer(300));
    assert!(out[1..].iter().all(Value::is_null));
    for cut in 0..bytes.len() {
        let result = decode_columns_into(&types, &bytes[..cut], Some(&[false; 6]), &mut out);
        assert!(result.is_err(), "cut at {cut}");
    }
}

#[test]
fn a_reused_buffer_is_overwritten_in_place() {
    let types = all_types();
    let first = vec![
        Value::Integer(1),
        Value::Real(1.5),
        Value::Text("a longer first text".into()),
        Value::Boolean(true),
        Value::Blob(vec![1; 40]),
        Value::Text("any".into()),
    ];
    let second = vec![
        Value::Integer(2),
        Value::Null,
        Value::Text("b".into()),
        Value::Null,
        Value::Blob(vec![2]),
        Value::Blob(vec![3, 4]),
    ];
    let mut out = vec![Value::Integer(9)]; // narrower than the row: replaced whole
    for row in [&first, &second, &first, &second] {
        let bytes = encode(&types, row).unwrap();
        decode_into(&types, &bytes, &mut out).unwrap();
        assert_eq!(&out, row);
        // Skipped columns read as NULL even where the buffer held a value.
        let wanted = [true, false, false, true, false, true];
        decode_columns_into(&types, &bytes, Some(&wanted), &mut out).unwrap();
        for (column, value) in out.iter().enumerate() {
            let expected = if wanted[column] {
                &row[column]
            } else {
                &Value::Null
            };
            assert_eq!(value, expected, "column {column}");
        }
        decode_into(&types, &bytes, &mut out).unwrap();
    }
}

#[test]
fn varints_of_every_length_round_trip_and_skip() {
    let types = [DataType::Integer, DataType::Integer];
    let mut out = Vec::new();
    for shift in 0..64 {
        for value in [
            1i64 << shift,
            (1i64 << shift).wrapping_sub(1),
            (1i64 << shift).wrapping_neg(),
        ] {
            let row = [Value::Integer(value), Value::Integer(value.wrapping_neg())];
            let bytes = encode(&types, &row).unwrap();
            assert_eq!(decode(&types, &bytes).unwrap(), row);
            decode_columns_into(&types, &bytes, Some(&[false, true]), &mut out).unwrap();
            assert_eq!(out, [Value::Null, Value::Integer(value.wrapping_neg())]);
            for cut in 1..bytes.len() {
                assert!(
                    decode(&types, &bytes[..cut]).is_err(),
                    "{value} cut at {cut}"
                );
                let skipped = decode_columns_into(&types, &bytes[..cut], Some(&[]), &mut out);
                assert!(skipped.is_err(), "{value} cut at {cut}");
            }
        }
    }
    // Eleven continuation bytes: overlong whether read or skipped.
    let mut overlong = vec![0u8];
    overlong.extend([0x80; 11]);
    overlong.push(0);
    for wanted in [None, Some(&[][..])] {
        let error = decode_columns_into(&[DataType::Integer], &overlong, wanted, &mut out);
        assert!(error.unwrap_err().message.contains("overlong"));
    }
}

#[test]
fn corrupted_rows_fail_the_same_whether_read_or_skipped() {
    let types = all_types();
    let row = vec![
        Value::Integer(123_456),
        Value::Real(1.0),
        Value::Text("abc".into()),
        Value::Boolean(true),
        Value::Blob(vec![9; 20]),
        Value::Blob(vec![7; 3]),
    ];
    let bytes = encode(&types, &row).unwrap();
    let mut out = Vec::new();
    for position in 0..bytes.len() {
        for bit in 0..8 {
            let mut damaged = bytes.clone();
            damaged[position] ^= 1 << bit;
            let full = decode(&types, &damaged);
            for mask in [
                &[true; 6][..],
                &[false; 6],
                &[true, false, true, false, true],
            ] {
                let projected = decode_columns_into(&types, &damaged, Some(mask), &mut out);
                // Skipping checks lengths, tags and framing, not UTF-8 or boolean bytes.
                if projected.is_err() {
                    assert!(full.is_err(), "byte {position} bit {bit} mask {mask:?}");
                }
            }
        }
    }
}

#[test]
fn a_decoder_that_decodes_nothing_reads_no_bytes() {
    let types = all_types();
    let decoder = RowDecoder::new(&types, Some(&[false; 6]));
    let mut out = vec![Value::Text("stale".into()); 3];
    // Even bytes that are not a row: nothing is read.
    decoder.decode_into(0, &[0xff, 0x80], &mut out).unwrap();
    assert_eq!(out, vec![Value::Null; 6]);
    out[2] = Value::Integer(4);
    decoder.decode_into(0, &[], &mut out).unwrap();
    assert_eq!(out, vec![Value::Null; 6]);
    // One decoded column makes it read (and check) the row up to that column: a bitmap
    // that says column 0 is there, with no bytes for it, is truncated.
    let decoder = RowDecoder::new(&types, Some(&[false, true]));
    assert!(decoder.decode_into(0, &[0x00], &mut out).is_err());
    // The columns after the last decoded one are not walked: a damaged tail is not seen
    // (a full decode, below, still checks the payload's end).
    let mut bytes = encode(
        &types,
        &[
            Value::Null,
            Value::Real(2.0),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
        ],
    )
    .unwrap();
    bytes.push(0x80);
    decoder.decode_into(0, &bytes, &mut out).unwrap();
    assert!(RowDecoder::new(&types, None)
        .decode_into(0, &bytes, &mut out)
        .is_err());
    let row = vec![
        Value::Integer(1),
        Value::Real(2.0),
        Value::Null,
        Value::Boolean(false),
        Value::Null,
        Value::Integer(5),
    ];
    let bytes = encode(&types, &row).unwrap();
    decoder.decode_into(0, &bytes, &mut out).unwrap();
    let mut expected = vec![Value::Null; 6];
    expected[1] = Value::Real(2.0);
    assert_eq!(out, expected);
}

/// Rows wider than one bitmap word (64 columns): nulls on both sides of column 64 and at
/// the last column, read whole and through decoders that stop early.
#[test]
fn wide_rows_read_their_null_bits_past_64_columns() {
    let width = 150;
    let types = vec![DataType::Integer; width];
    let row: Vec<Value> = (0..width)
        .map(|column| match column {
            3 | 63 | 64 | 65 | 127 | 128 | 149 => Value::Null,
            _ => Value::Integer(column as i64 * 1000),
        })
        .collect();
    let bytes = encode(&types, &row).unwrap();
    assert_eq!(decode(&types, &bytes).unwrap(), row);
    for last in [0, 63, 64, 66, 128, 140, 149] {
        let wanted: Vec<bool> = (0..width)
            .map(|column| column % 3 == 0 || column == last)
            .collect();
        let decoder = RowDecoder::new(&types, Some(&wanted[..=last]));
        let mut out = Vec::new();
        decoder.decode_into(0, &bytes, &mut out).unwrap();
        let expected: Vec<Value> = (0..width)
            .map(|column| match column <= last && wanted[column] {
                true => row[column].clone(),
                false => Value::Null,
            })
            .collect();
        assert_eq!(out, expected, "decoding up to column {last}");
    }
}

/// A checked decode gives the plain decode's row when every stage passes, stops at the
/// first failing stage (never calling a later one), and runs each stage once its column is
/// decoded.
#[test]
fn checked_decode_stops_at_the_first_failing_stage() {
    let types = [
        DataType::Integer,
        DataType::Text,
        DataType::Real,
        DataType::Any,
        DataType::Integer,
        DataType::Blob,
    ];
    let row = vec![
        Value::Integer(7),
        Value::Text("skip me".into()),
        Value::Real(1.5),
        Value::Null,
        Value::Integer(-3),
        Value::Blob(vec![1, 2]),
    ];
    let bytes = encode(&types, &row).unwrap();
    let wanted = [true, false, true, true, true, false];
    let decoder = RowDecoder::new(&types, Some(&wanted));
    let mut plain = Vec::new();
    decoder.decode_into(0, &bytes, &mut plain).unwrap();
    let stops = [0, 2, 4];
    let mut buffer = vec![Value::Text("stale".into()); 2];
    let mut seen = Vec::new();
    let passed = decoder
        .decode_checked(0, &bytes, &mut buffer, &stops, |stage, values| {
            seen.push((stage, values[stops[stage]].clone()));
            true
        })
        .unwrap();
    assert!(passed);
    assert_eq!(buffer, plain);
    assert_eq!(
        seen,
        vec![
            (0, Value::Integer(7)),
            (1, Value::Real(1.5)),
            (2, Value::Integer(-3))
        ]
    );
    let mut calls = 0;
    let passed = decoder
        .decode_checked(0, &bytes, &mut buffer, &stops, |stage, _| {
            calls += 1;
            stage != 1
        })
        .unwrap();
    assert!(!passed);
    assert_eq!(calls, 2, "the stage after the failing one is not run");
    // The buffer decodes the next row whole again.
    decoder.decode_into(0, &bytes, &mut buffer).unwrap();
    assert_eq!(buffer, plain);
    // Damaged bytes before a stop are still an error.
    assert!(decoder
        .decode_checked(0, &bytes[..3], &mut buffer, &stops, |_, _| true)
        .is_err());
}

/// `decode_wanted_prefix_into` gives what `decode_columns_into` gives for every mask, into
/// a buffer holding another row's values, and reads nothing past the last wanted column: a
/// payload cut short after it still decodes (the whole-row decode reports it). Fails if a
/// column past the last wanted one is read, or a wanted one is missed or left stale.
#[test]
fn wanted_prefix_decodes_the_wanted_columns_and_stops_after_the_last() {
    let types = vec![
        DataType::Integer,
        DataType::Text,
        DataType::Real,
        DataType::Any,
        DataType::Text,
    ];
    let row = vec![
        Value::Integer(-9),
        Value::Text("ab".into()),
        Value::Null,
        Value::Real(0.5),
        Value::Text("tail".into()),
    ];
    let bytes = encode(&types, &row).unwrap();
    let stale = vec![Value::Text("stale".into()); types.len()];
    for mask in 0u32..(1 << types.len()) {
        let wanted: Vec<bool> = (0..types.len()).map(|c| mask & (1 << c) != 0).collect();
        let mut whole = stale.clone();
        decode_columns_into(&types, &bytes, Some(&wanted), &mut whole).unwrap();
        let mut prefix = stale.clone();
        decode_wanted_prefix_into(&types, &bytes, &wanted, &mut prefix).unwrap();
        assert_eq!(prefix, whole, "mask {mask:05b}");
    }
    // Cut inside the last column: only a decode that stops before it succeeds.
    let cut = &bytes[..bytes.len() - 2];
    let up_to_any = [true, false, false, true, false];
    let mut values = Vec::new();
    decode_wanted_prefix_into(&types, cut, &up_to_any, &mut values).unwrap();
    assert_eq!(values[3], Value::Real(0.5));
    assert_eq!(values[4], Value::Null);
    assert!(decode_columns_into(&types, cut, Some(&up_to_any), &mut values).is_err());
    let with_tail = [false, false, false, false, true];
    assert!(decode_wanted_prefix_into(&types, cut, &with_tail, &mut values).is_err());
}

/// The ASCII shortcut answers as `from_utf8` for every length across its byte and word
/// tests, with a high byte at every position (valid multi-byte text and invalid bytes).
#[test]
fn ascii_texts_decode_as_from_utf8() {
    for len in 0..=80usize {
        let base: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
        assert_eq!(utf8(&base), std::str::from_utf8(&base).ok());
        for at in 0..len {
            for high in [0x80u8, 0xc3, 0xff] {
                let mut bytes = base.clone();
                bytes[at] = high;
                assert_eq!(utf8(&bytes), std::str::from_utf8(&bytes).ok(), "{bytes:?}");
            }
            if at + 1 < len {
                // "é" (0xc3 0xa9): valid, not ASCII.
                let mut bytes = base.clone();
                bytes[at] = 0xc3;
                bytes[at + 1] = 0xa9;
                assert_eq!(utf8(&bytes), std::str::from_utf8(&bytes).ok(), "{bytes:?}");
                assert!(utf8(&bytes).is_some());
            }
        }
    }
}
