//! The byte envelope every sketch value is stored in: the magic `EMSK`, one byte naming the
//! sketch kind, one byte of format version, the payload's length (u32, little endian), the
//! payload, and a CRC32 of everything before it. Decoding checks each part in that order and
//! says what is wrong (not a sketch, truncated, damaged, another kind, a newer version);
//! it never panics. `Reader` reads a payload's fields with the same care.

use std::fmt;

/// The first four bytes of every sketch value.
pub const MAGIC: [u8; 4] = *b"EMSK";

/// Magic, kind, version and payload length.
const HEADER_BYTES: usize = 4 + 1 + 1 + 4;

/// The trailing CRC32.
const CRC_BYTES: usize = 4;

/// The format version this build writes and reads.
pub const VERSION: u8 = 1;

/// Which sketch a value holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SketchKind {
    HyperLogLog = 1,
    TopK = 2,
    Quantile = 3,
    Bloom = 4,
}

impl SketchKind {
    fn from_byte(byte: u8) -> Option<SketchKind> {
        Some(match byte {
            1 => SketchKind::HyperLogLog,
            2 => SketchKind::TopK,
            3 => SketchKind::Quantile,
            4 => SketchKind::Bloom,
            _ => return None,
        })
    }

    /// The sketch's name as an error message says it.
    pub fn describe(self) -> &'static str {
        match self {
            SketchKind::HyperLogLog => "a HyperLogLog sketch (hll_sketch)",
            SketchKind::TopK => "a top-k sketch (topk_sketch)",
            SketchKind::Quantile => "a quantile sketch (quantile_sketch)",
            SketchKind::Bloom => "a bloom filter (bloom_filter)",
        }
    }
}

/// Why bytes are not a sketch of the wanted kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Not a sketch value at all (no magic).
    NotASketch,
    /// Shorter than its header or than the length it states.
    Truncated,
    /// The checksum does not match: bytes were changed.
    ChecksumMismatch,
    /// A sketch, of another kind than the one wanted.
    WrongKind {
        found: SketchKind,
        wanted: SketchKind,
    },
    /// A kind byte this build does not know.
    UnknownKind(u8),
    /// A format version this build does not read.
    UnsupportedVersion(u8),
    /// The checksum matched but a field is out of its range.
    BadPayload(&'static str),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::NotASketch => f.write_str("the value is not a sketch (no EMSK header)"),
            DecodeError::Truncated => f.write_str("the sketch is truncated"),
            DecodeError::ChecksumMismatch => {
                f.write_str("the sketch is damaged (its checksum does not match)")
            }
            DecodeError::WrongKind { found, wanted } => write!(
                f,
                "the value is {}, not {}",
                found.describe(),
                wanted.describe()
            ),
            DecodeError::UnknownKind(kind) => write!(f, "unknown sketch kind {kind}"),
            DecodeError::UnsupportedVersion(version) => write!(
                f,
                "sketch format version {version} is not supported (this build reads {VERSION})"
            ),
            DecodeError::BadPayload(what) => write!(f, "the sketch is damaged ({what})"),
        }
    }
}

/// `payload` wrapped as a sketch value of `kind`.
pub fn encode(kind: SketchKind, payload: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(HEADER_BYTES + payload.len() + CRC_BYTES);
    bytes.extend_from_slice(&MAGIC);
    bytes.push(kind as u8);
    bytes.push(VERSION);
    let length = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    debug_assert_eq!(
        length as usize,
        payload.len(),
        "sketch payloads stay far below 4 GiB"
    );
    bytes.extend_from_slice(&length.to_le_bytes());
    bytes.extend_from_slice(payload);
    let crc = crc32fast::hash(&bytes);
    bytes.extend_from_slice(&crc.to_le_bytes());
    bytes
}

/// The payload of `bytes`, which must be a sketch value of kind `wanted`.
pub fn decode(bytes: &[u8], wanted: SketchKind) -> Result<&[u8], DecodeError> {
    if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
        return Err(DecodeError::NotASketch);
    }
    if bytes.len() < HEADER_BYTES + CRC_BYTES {
        return Err(DecodeError::Truncated);
    }
    let mut length = [0u8; 4];
    length.copy_from_slice(&bytes[6..10]);
    let length = u32::from_le_bytes(length) as usize;
    let end = HEADER_BYTES
        .checked_add(length)
        .ok_or(DecodeError::Truncated)?;
    if bytes.len() < end + CRC_BYTES {
        return Err(DecodeError::Truncated);
    }
    if bytes.len() > end + CRC_BYTES {
        return Err(DecodeError::BadPayload("bytes after its end"));
    }
    let mut stored = [0u8; 4];
    stored.copy_from_slice(&bytes[end..end + CRC_BYTES]);
    if crc32fast::hash(&bytes[..end]) != u32::from_le_bytes(stored) {
        return Err(DecodeError::ChecksumMismatch);
    }
    let found = SketchKind::from_byte(bytes[4]).ok_or(DecodeError::UnknownKind(bytes[4]))?;
    if found != wanted {
        return Err(DecodeError::WrongKind { found, wanted });
    }
    if bytes[5] != VERSION {
        return Err(DecodeError::UnsupportedVersion(bytes[5]));
    }
    Ok(&bytes[HEADER_BYTES..end])
}

/// Appends fixed-width little-endian fields to a payload.
#[derive(Default)]
pub struct Writer {
    pub bytes: Vec<u8>,
}

impl Writer {
    pub fn u8(&mut self, value: u8) {
        self.bytes.push(value);
    }

    pub fn u32(&mut self, value: u32) {
        self.bytes.extend_from_slice(&value.to_le_bytes());
    }

    pub fn u64(&mut self, value: u64) {
        self.bytes.extend_from_slice(&value.to_le_bytes());
    }

    pub fn f64(&mut self, value: f64) {
        self.u64(value.to_bits());
    }

    /// A length (u32) then the bytes.
    pub fn bytes(&mut self, value: &[u8]) {
        self.u32(u32::try_from(value.len()).unwrap_or(u32::MAX));
        self.bytes.extend_from_slice(value);
    }
}

/// Reads a payload's fields in order; running past its end is `BadPayload`.
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(payload: &'a [u8]) -> Reader<'a> {
        Reader { rest: payload }
    }

    fn take(&mut self, count: usize) -> Result<&'a [u8], DecodeError> {
        if self.rest.len() < count {
            return Err(DecodeError::BadPayload("a field runs past the end"));
        }
        let (head, tail) = self.rest.split_at(count);
        self.rest = tail;
        Ok(head)
    }

    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        let mut word = [0u8; 4];
        word.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(word))
    }

    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        let mut word = [0u8; 8];
        word.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(word))
    }

    pub fn f64(&mut self) -> Result<f64, DecodeError> {
        Ok(f64::from_bits(self.u64()?))
    }

    /// A length-prefixed byte string of at most `max` bytes.
    pub fn bytes(&mut self, max: usize) -> Result<&'a [u8], DecodeError> {
        let length = self.u32()? as usize;
        if length > max {
            return Err(DecodeError::BadPayload("a field is longer than its limit"));
        }
        self.take(length)
    }

    /// `count` raw bytes.
    pub fn raw(&mut self, count: usize) -> Result<&'a [u8], DecodeError> {
        self.take(count)
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// Fails unless every byte was read.
    pub fn finish(&self) -> Result<(), DecodeError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::BadPayload("bytes left over after its fields"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_round_trips() {
        let bytes = encode(SketchKind::TopK, b"hello");
        assert_eq!(decode(&bytes, SketchKind::TopK), Ok(&b"hello"[..]));
    }

    #[test]
    fn every_single_bit_flip_is_caught() {
        let bytes = encode(SketchKind::Quantile, &[7u8; 40]);
        for bit in 0..bytes.len() * 8 {
            let mut damaged = bytes.clone();
            damaged[bit / 8] ^= 1 << (bit % 8);
            assert!(
                decode(&damaged, SketchKind::Quantile).is_err(),
                "bit {bit} flipped went unnoticed"
            );
        }
    }

    #[test]
    fn every_truncation_is_caught() {
        let bytes = encode(SketchKind::HyperLogLog, &[1, 2, 3, 4, 5]);
        for length in 0..bytes.len() {
            assert!(decode(&bytes[..length], SketchKind::HyperLogLog).is_err());
        }
    }

    #[test]
    fn another_kind_is_named() {
        let bytes = encode(SketchKind::TopK, b"");
        let error = decode(&bytes, SketchKind::HyperLogLog).unwrap_err();
        assert_eq!(
            error,
            DecodeError::WrongKind {
                found: SketchKind::TopK,
                wanted: SketchKind::HyperLogLog
            }
        );
        assert!(error.to_string().contains("top-k"), "{error}");
    }

    #[test]
    fn a_later_version_is_refused_by_name() {
        let mut bytes = encode(SketchKind::TopK, b"x");
        bytes[5] = VERSION + 1;
        let end = bytes.len() - CRC_BYTES;
        let crc = crc32fast::hash(&bytes[..end]);
        bytes[end..].copy_from_slice(&crc.to_le_bytes());
        assert_eq!(
            decode(&bytes, SketchKind::TopK),
            Err(DecodeError::UnsupportedVersion(VERSION + 1))
        );
    }

    #[test]
    fn text_is_not_a_sketch() {
        assert_eq!(
            decode(b"not a sketch at all", SketchKind::TopK),
            Err(DecodeError::NotASketch)
        );
    }

    #[test]
    fn the_reader_stops_at_the_end() {
        let mut reader = Reader::new(&[1, 2, 3]);
        assert_eq!(reader.u8(), Ok(1));
        assert!(reader.u32().is_err());
        assert!(reader.finish().is_err());
    }
}
