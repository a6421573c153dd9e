//! Applying a decision's moves in order, in O((n + m) log n) for n items and
//! m moves, however hostile the moves: an implicit treap (a balanced tree
//! keyed by position) with parent links, so that an item's current position
//! is found by walking up from it. Small cases take a plain vector.
//!
//! A move takes an item from where it is now and puts it `places` higher up
//! (lower down if negative), clamped to the list.

use std::hash::{BuildHasher, Hasher};

const NIL: u32 = u32::MAX;

/// Moves applied to a list of item numbers (`0..n`), in the order given.
pub(crate) fn apply_moves(order: Vec<u32>, moves: &[(u32, i32)]) -> Vec<u32> {
    // A vector's remove and insert cost n each: fine while n × m is small.
    if order.len().saturating_mul(moves.len()) <= 16_384 {
        return apply_moves_by_shifting(order, moves);
    }
    let mut list = OrderTree::new(&order);
    for &(item, places) in moves {
        list.move_by(item, places);
    }
    list.into_order()
}

/// Where an item goes: `places` up from `from`, clamped to a list of `len`.
fn target(from: usize, places: i32, len: usize) -> usize {
    let last = len.saturating_sub(1) as i64;
    (from as i64 - places as i64).clamp(0, last) as usize
}

fn apply_moves_by_shifting(mut order: Vec<u32>, moves: &[(u32, i32)]) -> Vec<u32> {
    for &(item, places) in moves {
        let Some(from) = order.iter().position(|&i| i == item) else { continue };
        let to = target(from, places, order.len());
        let item = order.remove(from);
        order.insert(to, item);
    }
    order
}

#[derive(Clone, Copy)]
struct Node {
    left: u32,
    right: u32,
    parent: u32,
    size: u32,
    priority: u64,
}

/// An implicit treap over item numbers; node `i` is item `i`.
struct OrderTree {
    nodes: Vec<Node>,
    present: Vec<bool>,
    root: u32,
    rng: u64,
}

impl OrderTree {
    fn new(order: &[u32]) -> Self {
        let n = order.iter().map(|&i| i as usize + 1).max().unwrap_or(0);
        // Priorities come from a per-process random seed, so that no sequence
        // of moves chosen in advance can unbalance the tree.
        let seed = std::collections::hash_map::RandomState::new().build_hasher().finish() | 1;
        let empty = Node { left: NIL, right: NIL, parent: NIL, size: 1, priority: 0 };
        let mut tree = OrderTree { nodes: vec![empty; n], present: vec![false; n], root: NIL, rng: seed };
        for &item in order {
            tree.nodes[item as usize].priority = tree.next_priority();
            tree.present[item as usize] = true;
            tree.root = tree.merge(tree.root, item);
        }
        tree
    }

    fn next_priority(&mut self) -> u64 {
        // xorshift64*
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn size(&self, node: u32) -> u32 {
        if node == NIL { 0 } else { self.nodes[node as usize].size }
    }

    fn set_left(&mut self, node: u32, child: u32) {
        self.nodes[node as usize].left = child;
        if child != NIL {
            self.nodes[child as usize].parent = node;
        }
    }

    fn set_right(&mut self, node: u32, child: u32) {
        self.nodes[node as usize].right = child;
        if child != NIL {
            self.nodes[child as usize].parent = node;
        }
    }

    fn update(&mut self, node: u32) {
        let Node { left, right, .. } = self.nodes[node as usize];
        self.nodes[node as usize].size = self.size(left) + self.size(right) + 1;
    }

    fn make_root(&mut self, node: u32) -> u32 {
        if node != NIL {
            self.nodes[node as usize].parent = NIL;
        }
        node
    }

    /// Joins two trees, every item of `a` before every item of `b`.
    fn merge(&mut self, a: u32, b: u32) -> u32 {
        if a == NIL {
            return self.make_root(b);
        }
        if b == NIL {
            return self.make_root(a);
        }
        let joined = if self.nodes[a as usize].priority > self.nodes[b as usize].priority {
            let right = self.merge(self.nodes[a as usize].right, b);
            self.set_right(a, right);
            self.update(a);
            a
        } else {
            let left = self.merge(a, self.nodes[b as usize].left);
            self.set_left(b, left);
            self.update(b);
            b
        };
        self.make_root(joined)
    }

    /// Splits a tree into its first `k` items and the rest.
    fn split(&mut self, node: u32, k: u32) -> (u32, u32) {
        if node == NIL {
            return (NIL, NIL);
        }
        let Node { left, right, .. } = self.nodes[node as usize];
        let left_size = self.size(left);
        if k <= left_size {
            let (a, b) = self.split(left, k);
            self.set_left(node, b);
            self.update(node);
            (self.make_root(a), self.make_root(node))
        } else {
            let (a, b) = self.split(right, k - left_size - 1);
            self.set_right(node, a);
            self.update(node);
            (self.make_root(node), self.make_root(b))
        }
    }

    fn position(&self, item: u32) -> u32 {
        let mut position = self.size(self.nodes[item as usize].left);
        let mut node = item;
        loop {
            let parent = self.nodes[node as usize].parent;
            if parent == NIL {
                return position;
            }
            if self.nodes[parent as usize].right == node {
                position += self.size(self.nodes[parent as usize].left) + 1;
            }
            node = parent;
        }
    }

    fn move_by(&mut self, item: u32, places: i32) {
        if !self.present.get(item as usize).copied().unwrap_or(false) {
            return;
        }
        let len = self.size(self.root) as usize;
        let from = self.position(item);
        let to = target(from as usize, places, len) as u32;
        let (before, rest) = self.split(self.root, from);
        let (single, after) = self.split(rest, 1);
        debug_assert_eq!(single, item);
        self.root = self.merge(before, after);
        self.nodes[item as usize] = Node { left: NIL, right: NIL, parent: NIL, size: 1, priority: self.next_priority() };
        let (before, after) = self.split(self.root, to);
        let joined = self.merge(before, item);
        self.root = self.merge(joined, after);
    }

    fn into_order(self) -> Vec<u32> {
        let mut order = Vec::with_capacity(self.size(self.root) as usize);
        let mut stack = Vec::new();
        let mut node = self.root;
        while node != NIL || !stack.is_empty() {
            while node != NIL {
                stack.push(node);
                node = self.nodes[node as usize].left;
            }
            let Some(top) = stack.pop() else { break };
            order.push(top);
            node = self.nodes[top as usize].right;
        }
        order
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator for the property tests.
    fn numbers(mut seed: u64) -> impl FnMut(u64) -> u64 {
        move |below| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) % below.max(1)
        }
    }

    #[test]
    fn the_tree_moves_exactly_as_shifting_a_vector_does() {
        for seed in 0..40 {
            let mut next = numbers(seed);
            let n = 1 + next(300) as u32;
            // Some items are absent (dropped earlier): moves of those do nothing.
            let order: Vec<u32> = (0..n).filter(|i| i % 7 != 3).collect();
            let moves: Vec<(u32, i32)> =
                (0..next(400)).map(|_| (next(n as u64) as u32, next(2 * n as u64) as i32 - n as i32)).collect();
            let mut tree = OrderTree::new(&order);
            for &(item, places) in &moves {
                tree.move_by(item, places);
            }
            assert_eq!(tree.into_order(), apply_moves_by_shifting(order, &moves), "seed {seed}");
        }
    }

    #[test]
    fn moves_clamp_to_the_ends() {
        let moved = apply_moves_by_shifting(vec![0, 1, 2, 3], &[(2, 10), (1, -10)]);
        assert_eq!(moved, [2, 0, 3, 1]);
        let mut tree = OrderTree::new(&[0, 1, 2, 3]);
        tree.move_by(2, 10);
        tree.move_by(1, -10);
        assert_eq!(tree.into_order(), [2, 0, 3, 1]);
    }

    #[test]
    fn a_hundred_thousand_moves_over_ten_thousand_items_stay_fast() {
        // Quadratic shifting would take seconds here; the tree takes milliseconds.
        let order: Vec<u32> = (0..10_000).collect();
        let moves: Vec<(u32, i32)> = (0..100_000).map(|i| ((i * 7919 % 10_000) as u32, if i % 2 == 0 { 9_999 } else { -9_999 })).collect();
        let started = std::time::Instant::now();
        let moved = apply_moves(order, &moves);
        assert_eq!(moved.len(), 10_000);
        let mut sorted = moved.clone();
        sorted.sort_unstable();
        assert!(sorted.iter().copied().eq(0..10_000));
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    }
}
