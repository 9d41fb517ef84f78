//! CPU prefetch hints: ask for a cache line some work before it is read, so the miss overlaps
//! that work. Used by the scan's slot walk (headers and payloads ahead) and by inserts (the
//! primary-key entry the probe will read, while the row is encoded), and by a commit's passes
//! over the version headers it wrote (stamping, collection, recycling).

/// Asks the CPU to bring the cache line at `address` in; a hint that reads nothing and never
/// faults, whatever the address.
#[inline(always)]
pub(crate) fn prefetch_read<T>(address: *const T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: a prefetch does not access memory (an invalid or null address is ignored).
        unsafe { _mm_prefetch::<_MM_HINT_T0>(address.cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = address;
}
