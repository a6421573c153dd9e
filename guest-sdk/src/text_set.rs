//! [`TextSet`]: a list of strings from a policy's settings that answers
//! "is this topic one of them?" with a few word operations, not a string
//! comparison per entry.
//!
//! Policies ask that question for every candidate (each topic against the
//! blocked topics and the age band's content pool, each risk tag against
//! the blocked tags). A `Vec<String>` answers it by comparing with every
//! entry; a profile of minors at 100 candidates had those comparisons as
//! the largest part of its own code. A `TextSet` keeps the list as given
//! (its serialized form is the same JSON array, so settings files do not
//! change) and adds a small open-addressing table over it, built the first
//! time it is asked: a policy's settings are decoded for every evaluation
//! (a fresh instance each time), and most of their lists (the content pools
//! of the other age bands, the defaults that decoded settings replace) are
//! never asked at all.

use std::sync::OnceLock;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Strings from a policy's settings, in the order given, with a fast
/// membership test ([`contains`](TextSet::contains)).
///
/// In settings files and in the settings' encoding it is a list of strings,
/// exactly as a `Vec<String>` would be.
///
/// ```
/// use recguard_sdk::TextSet;
/// let blocked = TextSet::from(["fan-voting", "fan-ranking"]);
/// assert!(blocked.contains("fan-ranking"));
/// assert!(!blocked.contains("science"));
/// assert_eq!(blocked.iter().collect::<Vec<_>>(), ["fan-voting", "fan-ranking"]);
/// ```
#[derive(Clone, Default)]
pub struct TextSet {
    /// The strings, in the order given (duplicates kept, as given).
    items: Vec<String>,
    /// Open addressing with linear probing, built on the first lookup: each
    /// distinct string's [`Key`], or [`Key::EMPTY`]. Its length is a power
    /// of two at least twice the number of strings, so a probe ends soon at
    /// an empty slot.
    slots: OnceLock<Box<[Key]>>,
}

impl TextSet {
    /// An empty set.
    pub const fn new() -> Self {
        TextSet { items: Vec::new(), slots: OnceLock::new() }
    }

    /// Whether `text` is one of the strings.
    #[inline]
    pub fn contains(&self, text: &str) -> bool {
        if self.items.is_empty() {
            return false;
        }
        let slots = match self.slots.get() {
            Some(slots) => slots,
            None => self.build_table(),
        };
        let key = Key::of(text.as_bytes());
        let mask = slots.len() - 1;
        let mut at = key.slot(mask);
        loop {
            let slot = &slots[at];
            // Up to 16 bytes the key is the whole string; beyond, compare it
            // (and probe on past a longer string with the same key).
            if slot.same_words(&key) && (text.len() <= 16 || self.items[slot.item as usize] == text) {
                return true;
            }
            if slot.is_empty() {
                return false;
            }
            at = (at + 1) & mask;
        }
    }

    /// The first of `texts` that is in the set, e.g. the first blocked
    /// topic of an item: `blocked.first_in(item.topics())`.
    #[inline]
    pub fn first_in<'a>(&self, texts: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
        texts.into_iter().find(|text| self.contains(text))
    }

    /// The first of `texts` that is not in the set, e.g. the first topic of
    /// an item outside a content pool: `pool.first_not_in(item.topics())`.
    #[inline]
    pub fn first_not_in<'a>(&self, texts: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
        texts.into_iter().find(|text| !self.contains(text))
    }

    /// The strings, in the order given.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.items.iter().map(String::as_str)
    }

    /// How many strings there are (duplicates counted as given).
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The lookup table, built on the first lookup (out of line, so that
    /// the lookup itself stays small).
    #[cold]
    #[inline(never)]
    fn build_table(&self) -> &[Key] {
        self.slots.get_or_init(|| table(&self.items))
    }

    /// The set of `items`, in that order.
    fn of(items: Vec<String>) -> Self {
        TextSet { items, slots: OnceLock::new() }
    }
}

/// The lookup table of `items` (not empty), as `TextSet`'s `slots` describes it.
fn table(items: &[String]) -> Box<[Key]> {
    let mut slots = vec![Key::EMPTY; (items.len() * 2).next_power_of_two()].into_boxed_slice();
    let mask = slots.len() - 1;
    for (index, item) in items.iter().enumerate() {
        let key = Key { item: index as u32, ..Key::of(item.as_bytes()) };
        let mut at = key.slot(mask);
        loop {
            let slot = &slots[at];
            if slot.is_empty() {
                slots[at] = key;
                break;
            }
            // A duplicate: the first copy already answers for it.
            if slot.same_words(&key) && items[slot.item as usize] == *item {
                break;
            }
            at = (at + 1) & mask;
        }
    }
    slots
}

/// A string's fingerprint: its length and two words that, up to 16 bytes,
/// hold all of its bytes (so that equal keys mean equal strings there).
#[derive(Clone, Copy, Debug)]
struct Key {
    /// The first 8 bytes (little-endian); for a shorter string, its bytes
    /// read as in [`Key::of`].
    head: u64,
    /// The last 8 bytes, for a string longer than 8; else 0.
    tail: u64,
    /// The length in bytes; `u32::MAX` for an empty slot.
    len: u32,
    /// In a table: the string's index in `items`.
    item: u32,
}

impl Key {
    /// An empty slot (no string is 4 GiB long in a policy's settings).
    const EMPTY: Key = Key { head: 0, tail: 0, len: u32::MAX, item: 0 };

    /// The key of `bytes`. The reads overlap where the string is shorter
    /// than the words, which loses nothing: with the length, the words
    /// still determine every byte.
    #[inline]
    fn of(bytes: &[u8]) -> Key {
        let len = bytes.len();
        let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or_default());
        let half = |at: usize| u64::from(u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap_or_default()));
        let (head, tail) = match len {
            9.. => (word(0), word(len - 8)),
            8 => (word(0), 0),
            4..=7 => (half(0) | half(len - 4) << 32, 0),
            1..=3 => (u64::from(bytes[0]) | u64::from(bytes[len / 2]) << 8 | u64::from(bytes[len - 1]) << 16, 0),
            0 => (0, 0),
        };
        Key { head, tail, len: len.min(u32::MAX as usize - 1) as u32, item: 0 }
    }

    /// Where a probe for this key starts in a table of `mask + 1` slots.
    #[inline]
    fn slot(&self, mask: usize) -> usize {
        let mixed = (self.head ^ self.tail.rotate_left(29) ^ u64::from(self.len)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (mixed >> 32) as usize & mask
    }

    /// Whether both keys have the same length and words.
    #[inline]
    fn same_words(&self, other: &Key) -> bool {
        self.len == other.len && self.head == other.head && self.tail == other.tail
    }

    fn is_empty(&self) -> bool {
        self.len == u32::MAX
    }
}

impl From<Vec<String>> for TextSet {
    fn from(items: Vec<String>) -> Self {
        TextSet::of(items)
    }
}

impl<const N: usize> From<[&str; N]> for TextSet {
    fn from(items: [&str; N]) -> Self {
        items.into_iter().collect()
    }
}

impl From<&[&str]> for TextSet {
    fn from(items: &[&str]) -> Self {
        items.iter().copied().collect()
    }
}

impl<S: Into<String>> FromIterator<S> for TextSet {
    fn from_iter<I: IntoIterator<Item = S>>(items: I) -> Self {
        TextSet::of(items.into_iter().map(Into::into).collect())
    }
}

/// Equal when the strings are, in the same order (as two lists would be).
impl PartialEq for TextSet {
    fn eq(&self, other: &Self) -> bool {
        self.items == other.items
    }
}

impl Eq for TextSet {}

impl std::fmt::Debug for TextSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(&self.items).finish()
    }
}

impl Serialize for TextSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.items.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for TextSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<String>::deserialize(deserializer).map(TextSet::of)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_exactly_its_strings_among_others() {
        let words: Vec<String> = (0..300).map(|i| format!("topic-{i}")).collect();
        let set: TextSet = words.iter().step_by(2).cloned().collect();
        for (i, word) in words.iter().enumerate() {
            assert_eq!(set.contains(word), i % 2 == 0, "{word}");
        }
        for probe in ["", "topic", "topic-", "topic-1x", "TOPIC-0", "topic-0 ", "话题"] {
            assert!(!set.contains(probe), "{probe:?}");
        }
    }

    #[test]
    fn tells_apart_strings_that_differ_in_any_one_byte_at_every_length() {
        for len in 0..40 {
            let base = "a".repeat(len);
            let variants: Vec<String> = (0..len)
                .map(|at| base.chars().enumerate().map(|(i, c)| if i == at { 'b' } else { c }).collect())
                .collect();
            let only_base = TextSet::from_iter([base.clone()]);
            assert!(only_base.contains(&base), "len {len}");
            let every_variant: TextSet = variants.iter().cloned().collect();
            assert!(!every_variant.contains(&base) || len == 0 && variants.is_empty(), "len {len}");
            for variant in &variants {
                assert!(!only_base.contains(variant), "{variant:?}");
                assert!(every_variant.contains(variant), "{variant:?}");
            }
            // One byte longer or shorter is another string.
            assert!(!only_base.contains(&format!("{base}a")), "len {len}");
            if len > 0 {
                assert!(!only_base.contains(&base[1..]), "len {len}");
            }
        }
    }

    #[test]
    fn keeps_the_order_and_duplicates_given_and_serializes_as_a_list() {
        let set = TextSet::from(["b", "a", "b", ""]);
        assert_eq!(set.iter().collect::<Vec<_>>(), ["b", "a", "b", ""]);
        assert_eq!(set.len(), 4);
        assert!(set.contains("") && set.contains("a") && set.contains("b") && !set.contains("c"));
        let json = serde_json::to_string(&set).unwrap();
        assert_eq!(json, r#"["b","a","b",""]"#);
        let back: TextSet = serde_json::from_str(&json).unwrap();
        assert_eq!(back, set);
        assert!(back.contains("a"));
        let encoded = postcard::to_allocvec(&set).unwrap();
        assert_eq!(encoded, postcard::to_allocvec(&vec!["b", "a", "b", ""]).unwrap());
        assert_eq!(postcard::from_bytes::<TextSet>(&encoded).unwrap(), set);
    }

    #[test]
    fn an_empty_set_contains_nothing() {
        for set in [TextSet::new(), TextSet::default(), serde_json::from_str("[]").unwrap()] {
            assert!(set.is_empty());
            assert!(!set.contains("") && !set.contains("a"));
            assert_eq!(set.first_in(["a", ""]), None);
            assert_eq!(set.first_not_in(["a"]), Some("a"));
        }
    }

    #[test]
    fn a_list_that_is_not_strings_is_refused() {
        assert!(serde_json::from_str::<TextSet>(r#"["a", 1]"#).is_err());
        assert!(serde_json::from_str::<TextSet>(r#""a""#).is_err());
    }

    #[test]
    fn finds_the_first_member_and_the_first_stranger_in_order() {
        let pool = TextSet::from(["science", "music"]);
        assert_eq!(pool.first_in(["news", "music", "science"]), Some("music"));
        assert_eq!(pool.first_not_in(["science", "news", "gossip"]), Some("news"));
        assert_eq!(pool.first_not_in(["science", "music"]), None);
    }
}
