//! Framing shared by WAL segments and snapshot files: `[len u32 LE][crc32 u32 LE][payload]`,
//! the CRC (crc32fast, IEEE) taken over the payload. A zero length is never valid, so a
//! zero-filled tail never parses as a frame.

use std::ops::Range;

/// Bytes of a frame header (length and checksum).
pub const FRAME_HEADER_BYTES: usize = 8;

/// Appends one frame holding `payload` to `out`.
pub fn encode_frame(payload: &[u8], out: &mut Vec<u8>) {
    debug_assert!(!payload.is_empty() && payload.len() <= u32::MAX as usize);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
}

/// Appends one frame whose payload is `parts` one after another (no copy to join them).
pub fn encode_frame_parts(parts: &[&[u8]], out: &mut Vec<u8>) {
    let len: usize = parts.iter().map(|part| part.len()).sum();
    debug_assert!(len > 0 && len <= u32::MAX as usize);
    let mut hasher = crc32fast::Hasher::new();
    for part in parts {
        hasher.update(part);
    }
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.extend_from_slice(&hasher.finalize().to_le_bytes());
    for part in parts {
        out.extend_from_slice(part);
    }
}

/// What is at a position of a framed file.
#[derive(Debug, PartialEq, Eq)]
pub enum FrameAt {
    /// A valid frame: where its payload is, and where the next frame starts.
    Valid { payload: Range<usize>, next: usize },
    /// Exactly the end of the bytes.
    End,
    /// A frame that is cut short, too long, or fails its checksum.
    Bad(&'static str),
}

/// Reads the frame starting at `pos`, accepting payloads of at most `payload_max` bytes.
pub fn frame_at(bytes: &[u8], pos: usize, payload_max: usize) -> FrameAt {
    let Some(rest) = bytes.get(pos..) else {
        return FrameAt::Bad("position past the end");
    };
    if rest.is_empty() {
        return FrameAt::End;
    }
    if rest.len() < FRAME_HEADER_BYTES {
        return FrameAt::Bad("frame header cut short");
    }
    let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
    let crc = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
    if len == 0 {
        return FrameAt::Bad("zero-length frame");
    }
    if len > payload_max {
        return FrameAt::Bad("frame length over the limit");
    }
    if len > rest.len() - FRAME_HEADER_BYTES {
        return FrameAt::Bad("frame payload cut short");
    }
    let start = pos + FRAME_HEADER_BYTES;
    let payload = start..start + len;
    if crc32fast::hash(&bytes[payload.clone()]) != crc {
        return FrameAt::Bad("checksum mismatch");
    }
    FrameAt::Valid {
        next: payload.end,
        payload,
    }
}

/// Searches a damaged file for a valid frame at any byte offset (to tell a torn tail, after
/// which nothing valid follows, from corruption in the middle of a log), in time linear in
/// the file's length, however its bytes read.
///
/// Checking the frame at each offset directly would CRC up to the length its garbage header
/// names, at every offset: about cubic in the file's length (a 16 MiB garbage segment took
/// over a minute). Instead the search takes the CRC-32 of every prefix of the file that ends
/// on a `PREFIX_BLOCK` boundary, once; CRC-32 is linear, so the CRC of any range follows from
/// the two prefixes around it: `crc(a..b) = crc(..a) * x^(8 (b - a)) + crc(..b)` (mod the
/// polynomial, the relation zlib's `crc32_combine` uses), with at most one block's bytes
/// CRC'd at each end and `x^(8 len)` from two tables. So each offset costs a
/// bounded amount of work whatever length its header names.
pub struct FrameSearch<'a> {
    bytes: &'a [u8],
    payload_max: usize,
    /// `prefix[k]` is the CRC-32 of `bytes[..k * PREFIX_BLOCK]`; built on first use.
    prefix: Vec<u32>,
    /// Bytes run through CRC-32 so far: the search's work, which tests bound.
    pub crc_bytes: u64,
    /// Offsets whose header named a length that fits (each costs a bounded computation).
    pub candidates: u64,
}

/// Bytes between two stored prefix CRCs (the most CRC'd at either end of a range).
const PREFIX_BLOCK: usize = 32;

impl<'a> FrameSearch<'a> {
    /// A search over `bytes` for frames of at most `payload_max` payload bytes.
    pub fn new(bytes: &'a [u8], payload_max: usize) -> FrameSearch<'a> {
        FrameSearch {
            bytes,
            payload_max,
            prefix: Vec::new(),
            crc_bytes: 0,
            candidates: 0,
        }
    }

    /// The first position at or after `from` where a valid frame starts.
    pub fn next_valid(&mut self, from: usize) -> Option<usize> {
        let last_start = self.bytes.len().checked_sub(FRAME_HEADER_BYTES + 1)?;
        (from..=last_start).find(|&pos| self.is_valid_at(pos))
    }

    fn is_valid_at(&mut self, pos: usize) -> bool {
        let header = &self.bytes[pos..pos + FRAME_HEADER_BYTES];
        let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let crc = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        let start = pos + FRAME_HEADER_BYTES;
        if len == 0 || len > self.payload_max || len > self.bytes.len() - start {
            return false;
        }
        self.candidates += 1;
        self.range_crc(start, start + len) == crc
    }

    /// CRC-32 of `bytes[start..end]`, from the prefix CRCs around it.
    fn range_crc(&mut self, start: usize, end: usize) -> u32 {
        debug_assert!(start < end && end <= self.bytes.len());
        if self.prefix.is_empty() {
            self.build_prefix();
        }
        let before = self.prefix_crc(start);
        let through = self.prefix_crc(end);
        gf2_multiply(before, x_pow_8n(end - start)) ^ through
    }

    fn build_prefix(&mut self) {
        let mut hasher = crc32fast::Hasher::new();
        self.prefix.reserve(self.bytes.len() / PREFIX_BLOCK + 1);
        self.prefix.push(0);
        for block in self.bytes.chunks_exact(PREFIX_BLOCK) {
            hasher.update(block);
            self.prefix.push(hasher.clone().finalize());
        }
        self.crc_bytes += self.bytes.len() as u64;
    }

    /// CRC-32 of `bytes[..end]`: the stored prefix before it, continued over the rest.
    fn prefix_crc(&mut self, end: usize) -> u32 {
        let block = end / PREFIX_BLOCK;
        let rest = &self.bytes[block * PREFIX_BLOCK..end];
        if rest.is_empty() {
            return self.prefix[block];
        }
        self.crc_bytes += rest.len() as u64;
        let mut hasher = crc32fast::Hasher::new_with_initial(self.prefix[block]);
        hasher.update(rest);
        hasher.finalize()
    }
}

/// The reflected CRC-32 (IEEE) polynomial.
const CRC32_POLY: u32 = 0xedb8_8320;

/// `a * b` modulo the CRC-32 polynomial, both in CRC-32's reflected bit order (`x^0` is the
/// top bit), as zlib's `multmodp`.
fn gf2_multiply(a: u32, mut b: u32) -> u32 {
    let mut product = 0;
    let mut bit = 1u32 << 31;
    loop {
        if a & bit != 0 {
            product ^= b;
            if a & (bit - 1) == 0 {
                return product;
            }
        }
        bit >>= 1;
        if bit == 0 {
            return product;
        }
        b = if b & 1 != 0 {
            (b >> 1) ^ CRC32_POLY
        } else {
            b >> 1
        };
    }
}

/// `x^(8 n)` modulo the CRC-32 polynomial (what running `n` zero bytes through the CRC
/// multiplies by), for `n` below 2^32: the product of two table entries, one per 16 bits.
fn x_pow_8n(n: usize) -> u32 {
    debug_assert!(n <= u32::MAX as usize);
    let (low, high) = powers();
    let (low_digit, high_digit) = (n & 0xffff, (n >> 16) & 0xffff);
    if high_digit == 0 {
        return low[low_digit];
    }
    gf2_multiply(low[low_digit], high[high_digit])
}

/// `x^(8 d)` and `x^(8 d 2^16)` for every 16-bit `d` (512 KiB, built once, on the first
/// damaged file searched).
fn powers() -> &'static (Vec<u32>, Vec<u32>) {
    static POWERS: std::sync::OnceLock<(Vec<u32>, Vec<u32>)> = std::sync::OnceLock::new();
    POWERS.get_or_init(|| {
        let table = |step: u32| {
            let mut table = Vec::with_capacity(1 << 16);
            let mut power = 1u32 << 31;
            for _ in 0..1 << 16 {
                table.push(power);
                power = gf2_multiply(power, step);
            }
            (table, power)
        };
        // x^8: eight zero bits shifted through.
        let (low, x_pow_8_2_16) = table(1 << (31 - 8));
        let (high, _) = table(x_pow_8_2_16);
        (low, high)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRAME_PAYLOAD_BYTES_MAX_FOR_TEST: usize = crate::limits::FRAME_PAYLOAD_BYTES_MAX;

    /// The search as it was: every offset's frame checked directly.
    fn naive_next_valid(bytes: &[u8], from: usize, payload_max: usize) -> Option<usize> {
        (from..bytes.len())
            .find(|pos| matches!(frame_at(bytes, *pos, payload_max), FrameAt::Valid { .. }))
    }

    #[test]
    fn range_crcs_from_prefixes_match_direct_crcs() {
        let mut rng = fastrand::Rng::with_seed(3);
        let bytes: Vec<u8> = (0..1000).map(|_| rng.u8(..)).collect();
        let mut search = FrameSearch::new(&bytes, 1 << 20);
        for _ in 0..2000 {
            let start = rng.usize(..bytes.len() - 1);
            let end = rng.usize(start + 1..=bytes.len());
            assert_eq!(
                search.range_crc(start, end),
                crc32fast::hash(&bytes[start..end]),
                "{start}..{end}"
            );
        }
    }

    #[test]
    fn the_search_finds_what_checking_every_offset_finds() {
        let mut rng = fastrand::Rng::with_seed(11);
        for case in 0..300 {
            let mut bytes: Vec<u8> = (0..rng.usize(0..400)).map(|_| rng.u8(..)).collect();
            for _ in 0..rng.usize(0..3) {
                let payload: Vec<u8> = (0..rng.usize(1..90)).map(|_| rng.u8(..)).collect();
                let mut frame = Vec::new();
                encode_frame(&payload, &mut frame);
                let at = rng.usize(0..=bytes.len());
                bytes.splice(at..at, frame);
            }
            if case % 3 == 0 {
                // Headers of small lengths everywhere, so many offsets are candidates.
                for byte in bytes.iter_mut().skip(1).step_by(4) {
                    *byte = 0;
                }
            }
            let max = if case % 2 == 0 { 1 << 20 } else { 40 };
            let mut search = FrameSearch::new(&bytes, max);
            let mut from = 0;
            loop {
                let expected = naive_next_valid(&bytes, from, max);
                assert_eq!(search.next_valid(from), expected, "case {case} from {from}");
                match expected {
                    Some(found) => from = found + 1,
                    None => break,
                }
            }
        }
    }

    /// The search's work is linear in the file: at most the whole file once (the prefix
    /// CRCs) plus two part-blocks per offset, whatever lengths the garbage names. (Checking
    /// each offset directly CRC'd about n^3 / 2^34 bytes of random garbage, and n^2 / 2
    /// where every header names a length that fits.)
    #[test]
    fn searching_garbage_costs_work_linear_in_its_length() {
        let mut rng = fastrand::Rng::with_seed(5);
        let mut work = Vec::new();
        for n in [1usize << 16, 1 << 18, 1 << 20] {
            let random: Vec<u8> = (0..n).map(|_| rng.u8(..)).collect();
            // Every offset's length fits: lengths 1..=255 in the low byte, the rest zero,
            // and a zero length where the pattern shifts it out.
            let fitting: Vec<u8> = (0..n)
                .map(|i| if i % 4 == 0 { rng.u8(1..) } else { 0 })
                .collect();
            for (garbage, name) in [(random, "random"), (fitting, "fitting")] {
                let mut search = FrameSearch::new(&garbage, FRAME_PAYLOAD_BYTES_MAX_FOR_TEST);
                assert_eq!(search.next_valid(0), None, "{name} {n}");
                let bound = n as u64 + 2 * PREFIX_BLOCK as u64 * search.candidates;
                assert!(
                    search.crc_bytes <= bound,
                    "{name} {n}: {}",
                    search.crc_bytes
                );
                assert!(search.candidates <= n as u64);
                work.push((name, n, search.crc_bytes + search.candidates));
            }
        }
        // Four times the bytes, about four times the work (plus one pass over the file,
        // which a search that met no candidate never made).
        for pair in work.windows(4) {
            let ((name, small, before), (_, large, after)) = (pair[0], pair[2]);
            assert_eq!(large, small * 4);
            let bound = before * 5 + 2 * large as u64;
            assert!(after <= bound, "{name}: {before} then {after}");
        }
    }

    #[test]
    fn frames_round_trip_and_every_cut_or_flip_is_caught() {
        let mut bytes = Vec::new();
        encode_frame(b"hello", &mut bytes);
        encode_frame(b"world!", &mut bytes);
        let FrameAt::Valid { payload, next } = frame_at(&bytes, 0, 100) else {
            panic!("first frame")
        };
        assert_eq!(&bytes[payload], b"hello");
        assert!(matches!(frame_at(&bytes, next, 100), FrameAt::Valid { .. }));
        for cut in 1..bytes.len() - 1 {
            let cut_bytes = &bytes[..cut];
            let mut pos = 0;
            while let FrameAt::Valid { next, .. } = frame_at(cut_bytes, pos, 100) {
                pos = next;
            }
            assert!(pos <= cut);
        }
        for bit in 0..bytes.len() * 8 {
            let mut flipped = bytes.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            let first = frame_at(&flipped, 0, 100);
            if let FrameAt::Valid { payload, .. } = first {
                assert_eq!(&flipped[payload], b"hello", "bit {bit}");
            }
        }
        let mut joined = Vec::new();
        encode_frame_parts(&[b"hel", b"", b"lo"], &mut joined);
        assert_eq!(joined, bytes[..joined.len()]);
        assert_eq!(
            frame_at(&[0u8; 16], 0, 100),
            FrameAt::Bad("zero-length frame")
        );
        assert_eq!(
            frame_at(&bytes, 0, 3),
            FrameAt::Bad("frame length over the limit")
        );
    }
}
