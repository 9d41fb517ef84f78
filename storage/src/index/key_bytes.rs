//! The encoded bytes of an index key that is not a single integer: held in place up to
//! `INLINE_KEY_BYTES` (a short text key, the common case, costs no allocation to build,
//! probe with or drop), on the heap beyond. Equality and hashing are by content, so where
//! the bytes are held never changes which keys are equal.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

use super::key_match::varint_into;
use super::thin_bytes::ThinBytes;

/// Most bytes a key holds in place (a text of up to 20 bytes with its tag and length).
pub const INLINE_KEY_BYTES: usize = 22;

/// Encoded key bytes (see the module comment).
#[derive(Clone)]
pub struct KeyBytes(Held);

#[derive(Clone)]
enum Held {
    Inline {
        len: u8,
        bytes: [u8; INLINE_KEY_BYTES],
    },
    Heap(ThinBytes),
}

impl KeyBytes {
    /// The key bytes `bytes`, copied.
    pub fn from_slice(bytes: &[u8]) -> KeyBytes {
        if bytes.len() <= INLINE_KEY_BYTES {
            let mut inline = [0u8; INLINE_KEY_BYTES];
            inline[..bytes.len()].copy_from_slice(bytes);
            return KeyBytes(Held::Inline {
                len: bytes.len() as u8,
                bytes: inline,
            });
        }
        KeyBytes(Held::Heap(ThinBytes::from_parts(&[bytes])))
    }

    /// The key part `tag`, the length of `content` as a varint, then `content` (as
    /// `key::encode_key_part` writes a text or a blob), built in place when it fits.
    pub fn tagged(tag: u8, content: &[u8]) -> KeyBytes {
        let mut length = [0u8; 10];
        let length = varint_into(content.len() as u64, &mut length);
        let total = 1 + length.len() + content.len();
        if total <= INLINE_KEY_BYTES {
            let mut inline = [0u8; INLINE_KEY_BYTES];
            inline[0] = tag;
            inline[1..=length.len()].copy_from_slice(length);
            inline[1 + length.len()..total].copy_from_slice(content);
            return KeyBytes(Held::Inline {
                len: total as u8,
                bytes: inline,
            });
        }
        KeyBytes(Held::Heap(ThinBytes::from_parts(&[
            &[tag],
            length,
            content,
        ])))
    }

    /// The bytes.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        match &self.0 {
            Held::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Held::Heap(bytes) => bytes.as_slice(),
        }
    }

    /// The bytes as one heap block: the key's own when it was built on the heap, else a
    /// copy of the bytes held in place.
    pub(super) fn into_thin(self) -> ThinBytes {
        match self.0 {
            Held::Inline { len, bytes } => ThinBytes::from_parts(&[&bytes[..usize::from(len)]]),
            Held::Heap(bytes) => bytes,
        }
    }

    /// Bytes held in `block`.
    pub(super) fn from_heap(block: ThinBytes) -> KeyBytes {
        KeyBytes(Held::Heap(block))
    }
}

impl From<Vec<u8>> for KeyBytes {
    fn from(bytes: Vec<u8>) -> KeyBytes {
        if bytes.len() <= INLINE_KEY_BYTES {
            return KeyBytes::from_slice(&bytes);
        }
        KeyBytes(Held::Heap(ThinBytes::from_parts(&[&bytes])))
    }
}

impl Deref for KeyBytes {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for KeyBytes {
    #[inline]
    fn eq(&self, other: &KeyBytes) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for KeyBytes {}

impl Hash for KeyBytes {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl fmt::Debug for KeyBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_slice().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::{KeyBytes, INLINE_KEY_BYTES};
    use crate::index::IndexKey;

    /// Keys of every length around the inline limit keep their bytes and compare and hash
    /// by content whichever way they were built; a key stays as small as a boxed slice.
    #[test]
    fn key_bytes_compare_by_content_on_both_sides_of_the_inline_limit() {
        use std::collections::hash_map::DefaultHasher;
        use std::hash::{Hash, Hasher};
        let hash = |key: &KeyBytes| {
            let mut hasher = DefaultHasher::new();
            key.hash(&mut hasher);
            hasher.finish()
        };
        for len in 0..=INLINE_KEY_BYTES + 3 {
            let bytes: Vec<u8> = (0..len as u8).map(|b| b.wrapping_mul(37)).collect();
            let from_vec = KeyBytes::from(bytes.clone());
            let from_slice = KeyBytes::from_slice(&bytes);
            assert_eq!(from_vec.as_slice(), &bytes[..]);
            assert_eq!(from_vec, from_slice);
            assert_eq!(hash(&from_vec), hash(&from_slice));
            let mut other = bytes.clone();
            other.push(0);
            assert_ne!(from_vec, KeyBytes::from(other));
        }
        assert_eq!(
            std::mem::size_of::<IndexKey>(),
            std::mem::size_of::<(u64, Box<[u8]>)>()
        );
    }
}
