//! How a sketch sees one SQL value: as canonical bytes (a type tag, then the value) that
//! equal values share (an integral REAL is the INTEGER it equals, a BOOLEAN is 0 or 1, as
//! SQL's DISTINCT compares them), and as a 64-bit hash that equal values share, with a fixed
//! seed, so a sketch built by one process merges with one built by another, today or later.

use ember_storage::Value;

use super::format::DecodeError;

/// The hash's fixed seed (never change it: stored sketches depend on it).
const SEED: u64 = 0x454d_4245_5253_4b31;
const MULTIPLY_A: u64 = 0x9e37_79b9_7f4a_7c15;
const MULTIPLY_B: u64 = 0xc2b2_ae3d_27d4_eb4f;

const TAG_INTEGER: u8 = 1;
const TAG_REAL: u8 = 2;
const TAG_TEXT: u8 = 3;
const TAG_BLOB: u8 = 4;

/// The splitmix64 finalizer: a bijection whose every output bit depends on every input bit.
#[inline]
fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The value an integral REAL stands for, when it is exactly an INTEGER.
#[inline]
fn integral(real: f64) -> Option<i64> {
    // 2^63 as f64: reals at or past it are not an i64.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    (real.fract() == 0.0 && (-LIMIT..LIMIT).contains(&real)).then_some(real as i64)
}

#[inline]
fn hash_word(tag: u8, word: u64) -> u64 {
    mix(SEED ^ u64::from(tag).wrapping_mul(MULTIPLY_B) ^ mix(word))
}

fn hash_bytes(tag: u8, bytes: &[u8]) -> u64 {
    let mut hash = SEED ^ u64::from(tag).wrapping_mul(MULTIPLY_B) ^ bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        hash = (hash ^ u64::from_le_bytes(word).wrapping_mul(MULTIPLY_A))
            .rotate_left(31)
            .wrapping_mul(MULTIPLY_B);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        let mut word = [0u8; 8];
        word[..tail.len()].copy_from_slice(tail);
        hash = (hash ^ u64::from_le_bytes(word).wrapping_mul(MULTIPLY_A))
            .rotate_left(31)
            .wrapping_mul(MULTIPLY_B);
    }
    mix(hash)
}

/// The fixed 64-bit hash of a non-NULL value (equal values hash alike: 2 and 2.0).
#[inline]
pub fn hash_value(value: &Value) -> u64 {
    match value {
        Value::Integer(integer) => hash_word(TAG_INTEGER, *integer as u64),
        Value::Boolean(boolean) => hash_word(TAG_INTEGER, u64::from(*boolean)),
        Value::Real(real) => match integral(*real) {
            Some(integer) => hash_word(TAG_INTEGER, integer as u64),
            None => hash_word(TAG_REAL, real.to_bits()),
        },
        Value::Text(text) => hash_bytes(TAG_TEXT, text.as_bytes()),
        Value::Blob(blob) => hash_bytes(TAG_BLOB, blob),
        Value::Null => hash_word(0, 0),
    }
}

/// Writes the canonical bytes of a non-NULL value into `out` (cleared first).
pub fn encode_item(value: &Value, out: &mut Vec<u8>) {
    out.clear();
    let integer = match value {
        Value::Integer(integer) => Some(*integer),
        Value::Boolean(boolean) => Some(i64::from(*boolean)),
        Value::Real(real) => integral(*real),
        _ => None,
    };
    if let Some(integer) = integer {
        out.push(TAG_INTEGER);
        out.extend_from_slice(&integer.to_le_bytes());
        return;
    }
    match value {
        Value::Real(real) => {
            out.push(TAG_REAL);
            out.extend_from_slice(&real.to_bits().to_le_bytes());
        }
        Value::Text(text) => {
            out.push(TAG_TEXT);
            out.extend_from_slice(text.as_bytes());
        }
        Value::Blob(blob) => {
            out.push(TAG_BLOB);
            out.extend_from_slice(blob);
        }
        _ => out.push(0),
    }
}

/// The value whose canonical bytes are `bytes`.
pub fn decode_item(bytes: &[u8]) -> Result<Value, DecodeError> {
    let (&tag, rest) = bytes
        .split_first()
        .ok_or(DecodeError::BadPayload("an empty item"))?;
    let word = || -> Result<u64, DecodeError> {
        let word: [u8; 8] = rest
            .try_into()
            .map_err(|_| DecodeError::BadPayload("a number item of the wrong size"))?;
        Ok(u64::from_le_bytes(word))
    };
    Ok(match tag {
        TAG_INTEGER => Value::Integer(word()? as i64),
        TAG_REAL => Value::Real(f64::from_bits(word()?)),
        TAG_TEXT => Value::Text(
            String::from_utf8(rest.to_vec())
                .map_err(|_| DecodeError::BadPayload("a text item that is not UTF-8"))?,
        ),
        TAG_BLOB => Value::Blob(rest.to_vec()),
        _ => return Err(DecodeError::BadPayload("an item of unknown type")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_hash_and_encode_alike() {
        let pairs = [
            (Value::Integer(2), Value::Real(2.0)),
            (Value::Integer(1), Value::Boolean(true)),
            (Value::Integer(0), Value::Real(-0.0)),
        ];
        for (a, b) in pairs {
            assert_eq!(hash_value(&a), hash_value(&b), "{a:?} {b:?}");
            let (mut x, mut y) = (Vec::new(), Vec::new());
            encode_item(&a, &mut x);
            encode_item(&b, &mut y);
            assert_eq!(x, y);
        }
    }

    #[test]
    fn different_types_hash_apart() {
        let values = [
            Value::Integer(1),
            Value::Real(1.5),
            Value::Text("1".into()),
            Value::Blob(b"1".to_vec()),
        ];
        for (i, a) in values.iter().enumerate() {
            for b in &values[i + 1..] {
                assert_ne!(hash_value(a), hash_value(b), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn the_hash_is_fixed() {
        // Stored sketches depend on these exact values: a change breaks their merges.
        assert_eq!(
            hash_value(&Value::Text("ember".into())),
            0x15ce_4b06_51f5_40f4
        );
        assert_eq!(hash_value(&Value::Integer(0)), 0xdea5_f29d_2189_f077);
        assert_eq!(hash_value(&Value::Integer(-1)), 0x8fd8_7d49_0df5_eee1);
    }

    #[test]
    fn items_round_trip() {
        for value in [
            Value::Integer(-7),
            Value::Real(0.25),
            Value::Text("héllo".into()),
            Value::Blob(vec![0, 255]),
        ] {
            let mut bytes = Vec::new();
            encode_item(&value, &mut bytes);
            assert_eq!(decode_item(&bytes).unwrap(), value);
        }
        assert!(decode_item(&[]).is_err());
        assert!(decode_item(&[TAG_INTEGER, 1]).is_err());
        assert!(decode_item(&[9, 1]).is_err());
        assert!(decode_item(&[TAG_TEXT, 0xff]).is_err());
    }
}
