//! `FastHasher`: the hasher of the engine's hot hash maps (the per-connection plan cache,
//! probed on every `execute`/`query`; the GROUP BY group table and `IN (SELECT ..)` sets,
//! probed once per input row). Fx-style: a multiply and a rotate per 8 bytes, far cheaper
//! than std's SipHash on short keys; the rounds are the storage hash index's
//! (`ember_storage::index`). Not DoS resistant (like the storage hash index): a crafted
//! collision costs time, never a wrong answer, since equal-hash keys still compare in full.

use std::hash::{BuildHasherDefault, Hasher};

use ember_storage::index::{fx_add, fx_finish};

/// The `BuildHasher` for `HashMap`s keyed by SQL text or group keys.
pub(crate) type FastBuildHasher = BuildHasherDefault<FastHasher>;

/// A fast, non-cryptographic hasher (Fx-style, 8 bytes per step).
#[derive(Default)]
pub(crate) struct FastHasher(u64);

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0 = fx_add(self.0, bytes);
    }

    fn finish(&self) -> u64 {
        fx_finish(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separates_texts_that_differ_in_one_byte() {
        let hash = |text: &str| {
            let mut hasher = FastHasher::default();
            hasher.write(text.as_bytes());
            hasher.finish()
        };
        assert_ne!(
            hash("SELECT a FROM t WHERE id = ?"),
            hash("SELECT b FROM t WHERE id = ?")
        );
        assert_ne!(hash("x"), hash("y"));
        assert_eq!(hash("same"), hash("same"));
    }
}
