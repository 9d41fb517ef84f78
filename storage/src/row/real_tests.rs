//! Tests of the REAL encoding: every kind of double round-trips bit for bit (read, skipped,
//! in an `Any` column, spliced), the sizes the module comment promises, and malformed REALs
//! are errors, never panics.

use crate::row::{decode, decode_columns_into, encode};
use crate::row_splice::splice_into;
use crate::value::{DataType, Value};

/// Doubles of every kind: zeros, integral values around every limit, halves and quarters,
/// short mantissas, subnormals, infinities, NaNs with payloads, and ordinary fractions.
fn special_reals() -> Vec<f64> {
    let two53 = (1u64 << 53) as f64;
    let mut reals = vec![
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        -0.5,
        0.25,
        0.75,
        -2.25,
        0.125,
        7.5,
        15.0,
        16.0,
        -16.0,
        499.5,
        228.0,
        -123_456.75,
        2047.0,
        2048.0,
        two53,
        -two53,
        two53 - 1.0,
        -(two53 - 1.0),
        two53 + 2.0,
        -(two53 + 2.0),
        two53 / 2.0 + 0.5,
        two53 / 4.0 + 0.25,
        (1u64 << 60) as f64,
        i64::MAX as f64,
        i64::MIN as f64,
        1e15,
        1e20,
        1e300,
        -1e300,
        0.1,
        -0.1,
        std::f64::consts::PI,
        f64::MAX,
        f64::MIN,
        f64::MIN_POSITIVE,
        -f64::MIN_POSITIVE,
        f64::EPSILON,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        -f64::NAN,
    ];
    for bits in [
        1u64,                  // the smallest subnormal
        0x000F_FFFF_FFFF_FFFF, // the largest subnormal
        0x8000_0000_0000_0001, // negative subnormal
        0x0008_0000_0000_0000, // a subnormal with one high bit
        0x7FF0_0000_0000_0001, // signalling NaN, lowest payload
        0x7FF4_0000_0000_0000, // signalling NaN, high payload
        0x7FF8_0000_0000_1234, // quiet NaN with a payload
        0xFFF8_0000_0000_0001, // negative quiet NaN with a payload
        0xFFFF_FFFF_FFFF_FFFF,
        0x7FEF_FFFF_FFFF_FFFF,
    ] {
        reals.push(f64::from_bits(bits));
    }
    reals
}

/// `special_reals`, random bit patterns, random integral values of every magnitude and
/// random halves and quarters.
fn many_reals() -> Vec<f64> {
    let mut rng = fastrand::Rng::with_seed(24);
    let mut reals = special_reals();
    for _ in 0..50_000 {
        reals.push(f64::from_bits(rng.u64(..)));
    }
    for _ in 0..20_000 {
        let magnitude = rng.u32(0..64);
        let m = (rng.i64(..) >> magnitude) as f64;
        reals.push(m);
        reals.push(m / 2.0);
        reals.push(m / 4.0);
        reals.push(m / 8.0);
        reals.push(rng.f64() * (1u64 << magnitude) as f64);
    }
    reals
}

fn encoded_len(real: f64) -> usize {
    let bytes = encode(&[DataType::Real], &[Value::Real(real)]).unwrap();
    bytes.len() - 1
}

fn real_bits(value: &Value) -> u64 {
    match value {
        Value::Real(real) => real.to_bits(),
        other => panic!("not a REAL: {other:?}"),
    }
}

#[test]
fn every_kind_of_real_round_trips_bit_for_bit() {
    let types = [DataType::Real, DataType::Any, DataType::Integer];
    let mut values = Vec::new();
    for real in many_reals() {
        let row = [Value::Real(real), Value::Real(real), Value::Integer(7)];
        let bytes = encode(&types, &row).unwrap();
        let decoded = decode(&types, &bytes).unwrap();
        assert_eq!(real_bits(&decoded[0]), real.to_bits(), "{real:e}");
        assert_eq!(real_bits(&decoded[1]), real.to_bits(), "{real:e} in ANY");
        assert_eq!(decoded[2], Value::Integer(7));
        // Stepped over: the column after it still lands right.
        decode_columns_into(&types, &bytes, Some(&[false, false, true]), &mut values).unwrap();
        assert_eq!(values, vec![Value::Null, Value::Null, Value::Integer(7)]);
        // Spliced past: `column_end` agrees with the decoder.
        let mut spliced = Vec::new();
        splice_into(&types, &bytes, &[(2, Value::Integer(8))], &mut spliced).unwrap();
        let decoded = decode(&types, &spliced).unwrap();
        assert_eq!(real_bits(&decoded[1]), real.to_bits());
        assert_eq!(decoded[2], Value::Integer(8));
        assert!(
            encoded_len(real) <= 9,
            "{real:e} takes {}",
            encoded_len(real)
        );
    }
}

#[test]
fn multiples_of_an_eighth_take_the_short_form_in_the_fewest_bytes() {
    // -2 <= x < 2: 2 bytes; -512 <= x < 512: 3; up to 131072: 4; each byte 256 times as far.
    for (limit, len) in [(2.0, 2), (512.0, 3), (131_072.0, 4), (33_554_432.0, 5)] {
        for real in [limit - 0.125, -limit + 0.125, -limit, limit / 2.0 + 0.375] {
            assert_eq!(encoded_len(real), len, "{real}");
        }
        assert_eq!(encoded_len(limit), len + 1, "{limit}");
    }
    assert_eq!(encoded_len(0.0), 2);
    assert_eq!(encoded_len((1u64 << 40) as f64 - 0.125), 7);
    assert_eq!(encoded_len(-((1u64 << 41) as f64) + 0.125), 7);
    // Past the short form's range, or not a multiple of 1/8: plain.
    assert_eq!(encoded_len((1u64 << 41) as f64), 8);
    assert_eq!(encoded_len(1e15), 8);
    assert_eq!(encoded_len(0.0625), 8);
    // M1's scores: (id % 1000) * 0.5, and Q6's quantities and prices.
    for id in 0..1000 {
        let expected = if id < 4 { 2 } else { 3 };
        assert_eq!(encoded_len(f64::from(id) * 0.5), expected, "{id}");
    }
    assert_eq!(encoded_len(50.0 * 1099.0), 4);
    // Every short form is shorter than a plain double.
    for real in many_reals() {
        let bytes = encode(&[DataType::Real], &[Value::Real(real)]).unwrap();
        if bytes[1] == super::SHORT {
            assert!(bytes.len() - 1 <= 7, "{real:e}");
            assert_eq!(usize::from(bytes[2] & 7) + 1, bytes.len() - 2, "{real:e}");
        }
    }
}

#[test]
fn plain_doubles_keep_eight_bytes_and_only_huge_ones_take_nine() {
    let mut rng = fastrand::Rng::with_seed(7);
    for _ in 0..10_000 {
        // Random fractions (M1's updates): exactly a plain f64, no header.
        for fraction in [rng.f64(), rng.f64() * 1e6 - 5e5, -rng.f64() * 1e-100] {
            let bytes = encode(&[DataType::Real], &[Value::Real(fraction)]).unwrap();
            assert_eq!(bytes[1..], fraction.to_bits().to_be_bytes(), "{fraction:e}");
        }
        let real = f64::from_bits(rng.u64(..));
        let huge = real.is_nan() || real.abs() >= 2f64.powi(1009);
        let len = encoded_len(real);
        assert!(len <= 9 && (len == 9) == huge, "{real:e} takes {len}");
    }
    assert_eq!(encoded_len(-0.0), 8);
    assert_eq!(encoded_len(0.1), 8);
    assert_eq!(encoded_len(f64::from_bits(1)), 8);
    assert_eq!(encoded_len(2f64.powi(1008)), 8);
    assert_eq!(encoded_len(2f64.powi(1009)), 9);
    assert_eq!(encoded_len(f64::MAX), 9);
    assert_eq!(encoded_len(f64::INFINITY), 9);
    assert_eq!(encoded_len(f64::NEG_INFINITY), 9);
    assert_eq!(encoded_len(f64::NAN), 9);
}

#[test]
fn the_documented_bytes() {
    // 228.0: 1824 << 3 | 1 = 14593 = 0x3901, little-endian.
    let bytes = encode(&[DataType::Real], &[Value::Real(228.0)]).unwrap();
    assert_eq!(bytes, [0x00, 0x7f, 0x01, 0x39]);
    // -0.5: -4 << 3 | 0 in one byte.
    let bytes = encode(&[DataType::Real], &[Value::Real(-0.5)]).unwrap();
    assert_eq!(bytes, [0x00, 0x7f, 0xe0]);
    let bytes = encode(&[DataType::Real], &[Value::Real(0.1)]).unwrap();
    assert_eq!(bytes[1..], [0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a]);
    let bytes = encode(&[DataType::Real], &[Value::Real(f64::INFINITY)]).unwrap();
    assert_eq!(bytes[1..], [0xff, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0]);
}

#[test]
fn every_first_two_bytes_decode_and_cut_reals_are_errors() {
    let types = [DataType::Real, DataType::Integer];
    let mut values = Vec::new();
    for first in 0..=255u8 {
        for second in 0..=255u8 {
            let mut row = vec![0u8, first, second];
            row.extend(std::iter::repeat_n(0x5a, 7));
            let len = super::real_len(&row, 1).unwrap();
            assert!((2..=9).contains(&len), "{first:#04x}: {len}");
            row.truncate(1 + len);
            row.push(2);
            let decoded = decode(&types, &row).unwrap();
            let Value::Real(real) = decoded[0] else {
                panic!("{first:#04x} {second:#04x}: {decoded:?}");
            };
            assert_eq!(decoded[1], Value::Integer(1));
            // The near-end path (a REAL ending the row) reads the same value.
            let alone = decode(&[DataType::Real], &row[..row.len() - 1]).unwrap();
            assert_eq!(
                real_bits(&alone[0]),
                real.to_bits(),
                "{first:#04x} {second:#04x}"
            );
            // Cut inside the REAL (or right after it, before the integer).
            for cut in 1..row.len() {
                let cut = &row[..cut];
                assert!(
                    decode(&types, cut).is_err(),
                    "{first:#04x} cut {}",
                    cut.len()
                );
                let skipped = decode_columns_into(&types, cut, Some(&[false, true]), &mut values);
                assert!(skipped.is_err(), "{first:#04x} skipped");
                let spliced = splice_into(&types, cut, &[(1, Value::Integer(1))], &mut Vec::new());
                assert!(spliced.is_err(), "{first:#04x} spliced");
            }
        }
    }
    let any = [DataType::Any];
    assert!(decode(&any, &[0, DataType::Real.tag(), 0x40]).is_err());
    assert!(decode(&any, &[0, DataType::Real.tag(), 0x7f]).is_err());
    assert!(decode(&any, &[0, DataType::Real.tag(), 0x7f, 0x01]).is_err());
}

#[test]
fn a_short_real_ending_a_row_of_any_length_decodes() {
    // The short form's last bytes are read through a load of the row's last 8 bytes (rows
    // of 8 bytes or more) or byte by byte (shorter rows).
    for prefix in 0..20 {
        let types: Vec<DataType> = std::iter::repeat_n(DataType::Boolean, prefix)
            .chain([DataType::Real])
            .collect();
        for real in [0.0, 1.5, -228.0, 131_071.875, -((1u64 << 41) as f64), 0.1] {
            let mut row: Vec<Value> = (0..prefix).map(|i| Value::Boolean(i % 2 == 0)).collect();
            row.push(Value::Real(real));
            let bytes = encode(&types, &row).unwrap();
            let decoded = decode(&types, &bytes).unwrap();
            assert_eq!(
                real_bits(&decoded[prefix]),
                real.to_bits(),
                "{prefix} {real}"
            );
            assert_eq!(decoded, row);
            // Cut inside the REAL: an error, whether the row is long enough to be read
            // through its last 8 bytes or not.
            let start = bytes.len() - encoded_len(real);
            for cut in start..bytes.len() {
                assert!(
                    decode(&types, &bytes[..cut]).is_err(),
                    "{prefix} {real} cut at {cut}"
                );
                let read = super::decode_real(&bytes[..cut], start);
                assert_eq!(read, None, "{prefix} {real} cut at {cut}");
            }
        }
    }
}

#[test]
fn every_cut_of_a_row_of_reals_is_an_error() {
    let types = [DataType::Real; 5];
    let row: Vec<Value> = [0.1, -0.0, 499.5, f64::NAN, 3.0]
        .into_iter()
        .map(Value::Real)
        .collect();
    let bytes = encode(&types, &row).unwrap();
    for cut in 0..bytes.len() {
        assert!(decode(&types, &bytes[..cut]).is_err(), "cut at {cut}");
    }
    let mut values = Vec::new();
    for bit in 0..bytes.len() * 8 {
        let mut damaged = bytes.clone();
        damaged[bit / 8] ^= 1 << (bit % 8);
        let _ = decode(&types, &damaged);
        let _ = decode_columns_into(&types, &damaged, Some(&[false, false, true]), &mut values);
    }
}
