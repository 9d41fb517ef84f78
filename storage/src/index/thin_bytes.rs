//! Owned bytes behind one thin pointer: a heap block holding the length (a `u32`) and then
//! the bytes. A key built on the heap (`KeyBytes` past its inline limit) holds its bytes
//! this way, so an index entry, whose key word is one machine word, takes the key's own
//! block as it is: storing a long key allocates nothing more, and freeing it frees one block.

use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::ptr::NonNull;

/// Bytes of the length in front of the bytes.
const LENGTH_BYTES: usize = std::mem::size_of::<u32>();

/// Owned bytes behind a thin pointer (see the module comment).
pub struct ThinBytes(NonNull<u8>);

// SAFETY: `ThinBytes` owns its block exclusively, like a `Box<[u8]>`; shared references give
// only reads of immutable bytes.
unsafe impl Send for ThinBytes {}
// SAFETY: as above: nothing is mutated through `&ThinBytes`.
unsafe impl Sync for ThinBytes {}

/// The layout of a block holding `len` bytes.
fn layout_of(len: usize) -> Layout {
    Layout::from_size_align(LENGTH_BYTES + len, std::mem::align_of::<u32>())
        .expect("a key's bytes fit a layout")
}

impl ThinBytes {
    /// A block holding a copy of `parts`, one after the other.
    pub fn from_parts(parts: &[&[u8]]) -> ThinBytes {
        let len: usize = parts.iter().map(|part| part.len()).sum();
        let stored_len = u32::try_from(len).expect("index keys are far below 4 GiB");
        let layout = layout_of(len);
        // SAFETY: the layout's size is at least `LENGTH_BYTES`, never zero.
        let block = unsafe { alloc(layout) };
        let Some(block) = NonNull::new(block) else {
            handle_alloc_error(layout)
        };
        // SAFETY: the block holds `LENGTH_BYTES + len` bytes, aligned for a `u32`; each part
        // is copied into its own range after the length, inside the block.
        unsafe {
            block.as_ptr().cast::<u32>().write(stored_len);
            let mut at = block.as_ptr().add(LENGTH_BYTES);
            for part in parts {
                std::ptr::copy_nonoverlapping(part.as_ptr(), at, part.len());
                at = at.add(part.len());
            }
        }
        ThinBytes(block)
    }

    /// The bytes.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: `self` owns a live block written by `from_parts`.
        unsafe { Self::slice_at(self.0.as_ptr()) }
    }

    /// The address of the block, handing its ownership to the caller (`from_raw` takes it
    /// back).
    #[inline]
    pub fn into_raw(self) -> *mut u8 {
        let block = self.0.as_ptr();
        std::mem::forget(self);
        block
    }

    /// Takes back the ownership of a block `into_raw` gave.
    ///
    /// # Safety
    /// `block` came from `into_raw` and is owned by no other `ThinBytes`.
    #[inline]
    pub unsafe fn from_raw(block: *mut u8) -> ThinBytes {
        debug_assert!(!block.is_null());
        // SAFETY: by the caller's contract the block is live, from `into_raw`.
        ThinBytes(unsafe { NonNull::new_unchecked(block) })
    }

    /// The bytes of the block at `block`, for as long as the caller keeps it alive.
    ///
    /// # Safety
    /// `block` came from `into_raw` and its block stays unfreed for `'a`.
    #[inline]
    pub unsafe fn slice_at<'a>(block: *const u8) -> &'a [u8] {
        // SAFETY: by the caller's contract the block is live; `from_parts` wrote the length
        // and that many bytes after it.
        unsafe {
            let len = block.cast::<u32>().read() as usize;
            std::slice::from_raw_parts(block.add(LENGTH_BYTES), len)
        }
    }
}

impl Clone for ThinBytes {
    fn clone(&self) -> ThinBytes {
        ThinBytes::from_parts(&[self.as_slice()])
    }
}

impl Drop for ThinBytes {
    fn drop(&mut self) {
        let len = self.as_slice().len();
        // SAFETY: the block was allocated by `from_parts` with this layout (its length is
        // stored in it) and is owned by `self` alone.
        unsafe { dealloc(self.0.as_ptr(), layout_of(len)) }
    }
}

#[cfg(test)]
mod tests {
    use super::ThinBytes;

    /// Blocks of every small length keep their bytes through clones and a round trip
    /// through a raw pointer, and free once (run under Miri or a leak checker to see it).
    #[test]
    fn blocks_keep_their_bytes_through_clones_and_raw_round_trips() {
        for len in 0..70usize {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let (head, tail) = bytes.split_at(len / 3);
            let thin = ThinBytes::from_parts(&[head, tail]);
            assert_eq!(thin.as_slice(), &bytes[..]);
            let copy = thin.clone();
            let raw = thin.into_raw();
            // SAFETY: `raw` came from `into_raw` and is alive until taken back below.
            assert_eq!(unsafe { ThinBytes::slice_at(raw) }, &bytes[..]);
            // SAFETY: `raw` came from `into_raw`; nothing else owns it.
            let back = unsafe { ThinBytes::from_raw(raw) };
            assert_eq!(back.as_slice(), copy.as_slice());
        }
    }
}
