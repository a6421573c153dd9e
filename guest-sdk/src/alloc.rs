//! The allocator of a policy component: a bump allocator.
//!
//! The host gives every evaluation a fresh instance and throws it away
//! afterwards, so freeing memory inside an evaluation is wasted work. Memory
//! is handed out from a bump pointer, starting in the memory the module
//! already has (from `__heap_base`), growing it only when that runs out; the
//! last block can be freed or grown in place. A policy never grows its memory
//! for a typical request, so the host can reuse the pooled memory slot without
//! changing page protections. Growth past the host's memory cap fails, and the
//! policy is stopped with a memory-limit failure.
//!
//! Only on wasm32; native builds (unit tests, benchmarks) use the system allocator.

#![allow(unsafe_code)]

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;
use core::cell::Cell;

const PAGE: usize = 65_536;

/// A bump allocator over the instance's linear memory.
pub struct BumpAllocator {
    next: Cell<usize>,
    end: Cell<usize>,
}

// SAFETY: a policy instance is single-threaded (no threads in the component
// model as recguard runs it), so the cells are never touched concurrently.
unsafe impl Sync for BumpAllocator {}

impl BumpAllocator {
    /// An allocator that starts at `__heap_base` on first use.
    pub const fn new() -> Self {
        BumpAllocator { next: Cell::new(0), end: Cell::new(0) }
    }

    fn start(&self) {
        extern "C" {
            static __heap_base: u8;
        }
        // `__heap_base` is defined by the linker; only its address is used.
        let base = core::ptr::addr_of!(__heap_base) as usize;
        self.next.set(base);
        self.end.set(wasm32::memory_size(0) * PAGE);
    }

    /// Makes `[start, start + size)` available, growing memory if needed.
    fn reserve(&self, start: usize, size: usize) -> bool {
        let Some(new_next) = start.checked_add(size) else { return false };
        if new_next > self.end.get() {
            let pages = (new_next - self.end.get()).div_ceil(PAGE);
            if wasm32::memory_grow(0, pages) == usize::MAX {
                return false;
            }
            self.end.set(self.end.get() + pages * PAGE);
        }
        self.next.set(new_next);
        true
    }
}

impl Default for BumpAllocator {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: blocks never overlap (the pointer only moves forward, except to take
// back the most recent block), are aligned as asked, and lie in linear memory
// that was reserved for them.
unsafe impl GlobalAlloc for BumpAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if self.next.get() == 0 {
            self.start();
        }
        let start = (self.next.get() + layout.align() - 1) & !(layout.align() - 1);
        if self.reserve(start, layout.size()) {
            start as *mut u8
        } else {
            core::ptr::null_mut()
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ptr as usize + layout.size() == self.next.get() {
            self.next.set(ptr as usize);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let start = ptr as usize;
        if start + layout.size() == self.next.get() && self.reserve(start, new_size) {
            return ptr;
        }
        // SAFETY: as for `GlobalAlloc::realloc`'s default: a new block, then a copy.
        unsafe {
            let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
            let new = self.alloc(new_layout);
            if !new.is_null() {
                core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
            }
            new
        }
    }
}
