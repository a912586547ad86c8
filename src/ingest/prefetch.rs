//! A cache hint for the usage hot paths, where each row lands on a random
//! partner's memory and the loop would otherwise wait on it row by row.

/// Asks the processor to bring the cache line at `p` closer; a hint only:
/// it never faults, whatever the address.
#[inline(always)]
pub fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch reads nothing architecturally and cannot fault.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}
