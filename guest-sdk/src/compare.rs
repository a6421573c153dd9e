//! Comparing bytes eight at a time: the `memcmp` and `bcmp` of a policy
//! component.
//!
//! Every string comparison a policy makes (a topic against a settings list,
//! an attribute's key, an id) ends in `memcmp`. On wasm32 the standard
//! library's is compiler-builtins' loop over single bytes, where a native
//! build calls the C library's vectorised one; a profile of minors and
//! hot-list-integrity at 1000 candidates put 6–7% of all samples in it. This
//! one compares 8 bytes at a time (wasm has 64-bit loads) and finds the first
//! byte that differs from the XOR of the two words.
//!
//! The symbols are defined only on wasm32, where they take the place of
//! compiler-builtins' weak ones; natively the C library's are used, and the
//! unit tests check `compare` (a test-only wrapper) against the slices' own ordering.

#![allow(unsafe_code)]

/// Compares `n` bytes at `a` and `b` as `memcmp` does: negative, zero or
/// positive as the first byte that differs is smaller in `a`, absent, or
/// larger (as unsigned bytes).
///
/// Whole words first; the last part of a word is read as the word that ends
/// at byte `n`, overlapping bytes already found equal, so that the short
/// strings policies compare (topics, tags: 4 to 12 bytes) take one or two
/// reads and no loop over bytes.
///
/// # Safety
/// `a` and `b` must each be valid for reads of `n` bytes.
#[inline(always)]
unsafe fn compare_raw(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY (each read below): it lies within the first `n` bytes.
    unsafe {
        if n >= 8 {
            let mut i = 0;
            while i + 8 <= n {
                let order = first_difference(word(a, i), word(b, i));
                if order != 0 {
                    return order;
                }
                i += 8;
            }
            if i == n {
                return 0;
            }
            // Bytes before `n - 8` are equal: the first difference in the
            // last word is the first difference of all.
            return first_difference(word(a, n - 8), word(b, n - 8));
        }
        if n >= 4 {
            let order = first_difference(half_word(a, 0), half_word(b, 0));
            if order != 0 {
                return order;
            }
            return first_difference(half_word(a, n - 4), half_word(b, n - 4));
        }
        for i in 0..n {
            let (x, y) = (*a.add(i), *b.add(i));
            if x != y {
                return x as i32 - y as i32;
            }
        }
        0
    }
}

/// The 8 bytes at byte `at` of `p` (any alignment), as a little-endian number.
///
/// # Safety
/// `p` must be valid for reads of `at + 8` bytes.
#[inline(always)]
unsafe fn word(p: *const u8, at: usize) -> u64 {
    // SAFETY: the caller's promise.
    u64::from_le(unsafe { core::ptr::read_unaligned(p.add(at).cast::<u64>()) })
}

/// The 4 bytes at byte `at` of `p` (any alignment), as a little-endian number.
///
/// # Safety
/// `p` must be valid for reads of `at + 4` bytes.
#[inline(always)]
unsafe fn half_word(p: *const u8, at: usize) -> u64 {
    // SAFETY: the caller's promise.
    u32::from_le(unsafe { core::ptr::read_unaligned(p.add(at).cast::<u32>()) }).into()
}

/// The order of two words read little-endian: of their first bytes (in
/// memory order) that differ, or 0 if they are equal.
#[inline(always)]
fn first_difference(x: u64, y: u64) -> i32 {
    if x == y {
        return 0;
    }
    // Little-endian: the lowest differing bit is in the first differing byte.
    let shift = (x ^ y).trailing_zeros() & !7;
    ((x >> shift) as u8) as i32 - ((y >> shift) as u8) as i32
}

/// [`compare_raw`] over two slices of one length: the unit tests' way in.
#[cfg(test)]
fn compare(a: &[u8], b: &[u8]) -> i32 {
    assert_eq!(a.len(), b.len());
    // SAFETY: both slices hold `a.len()` bytes.
    unsafe { compare_raw(a.as_ptr(), b.as_ptr(), a.len()) }
}

/// The C library's `memcmp`, for a policy component.
///
/// # Safety
/// As `memcmp`: `a` and `b` must each be valid for reads of `n` bytes.
#[cfg(target_arch = "wasm32")]
#[no_mangle]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: the caller's promise is `compare_raw`'s.
    unsafe { compare_raw(a, b, n) }
}

/// The C library's `bcmp` (zero if and only if the bytes are equal), for a
/// policy component: LLVM calls it for comparisons that only ask "equal?".
///
/// # Safety
/// As `memcmp`.
#[cfg(target_arch = "wasm32")]
#[no_mangle]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: as `memcmp`.
    unsafe { compare_raw(a, b, n) }
}

#[cfg(test)]
mod tests {
    use super::compare;
    use std::cmp::Ordering;

    fn sign(n: i32) -> Ordering {
        n.cmp(&0)
    }

    #[test]
    fn orders_as_the_slices_do_at_every_length_and_position() {
        // Every length up to 40 (words, tails and both), a difference at
        // every position, in both directions, including bytes above 0x7f.
        for len in 0..=40usize {
            let a: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(compare(&a, &a), 0, "equal, length {len}");
            for at in 0..len {
                for delta in [1u8, 0x80, 0xff] {
                    let mut b = a.clone();
                    b[at] = b[at].wrapping_add(delta);
                    assert_eq!(sign(compare(&a, &b)), a.cmp(&b), "length {len}, byte {at}, +{delta:#x}");
                    assert_eq!(sign(compare(&b, &a)), b.cmp(&a), "length {len}, byte {at}, +{delta:#x}");
                }
            }
        }
    }

    #[test]
    fn the_first_difference_decides_not_a_later_one() {
        // Bytes 2 and 9 differ in opposite directions: byte 2 decides.
        let a = b"abcdefghijklmnop";
        let b = b"abXdefghiAklmnop";
        assert_eq!(sign(compare(a, b)), a.cmp(b));
        assert!(compare(a, b) > 0);
    }

    #[test]
    fn strings_compare_as_the_policies_compare_them() {
        for (a, b) in [("science", "finance"), ("fan-voting", "fan-ranker"), ("education", "education"), ("", "")] {
            assert_eq!(sign(compare(a.as_bytes(), b.as_bytes())), a.as_bytes().cmp(b.as_bytes()));
        }
    }
}
