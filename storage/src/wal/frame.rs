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

/// Whether a valid frame starts at any position at or after `from` (used to tell a torn
/// tail, after which nothing valid follows, from corruption in the middle of a log).
pub fn valid_frame_after(bytes: &[u8], from: usize, payload_max: usize) -> Option<usize> {
    (from..bytes.len())
        .find(|pos| matches!(frame_at(bytes, *pos, payload_max), FrameAt::Valid { .. }))
}

#[cfg(test)]
mod tests {
    use super::*;

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
