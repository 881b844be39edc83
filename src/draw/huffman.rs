//! Huffman codes for DEFLATE (RFC 1951 §3.2.2): code lengths from symbol
//! frequencies, limited to a number of bits, and the canonical codes those
//! lengths define.
//!
//! Units: code lengths in bits; frequencies in symbols of one block.
//!
//! Why its own file, and why it works over the symbols used: every render
//! builds its block's codes afresh (the frequencies differ from name to
//! name), and a 128 px avatar uses 60-90 of the 288 literal/length symbols.
//! Scans of the whole alphabet, heap vectors and a tree of nodes made this
//! a fifth of the encoder's time under V8; here the alphabet is scanned
//! once, and the tree is built in the sorted weights themselves (Moffat and
//! Katajainen's in-place method).
//!
//! Invariant: the lengths are exactly those of the two-queue Huffman
//! construction over leaves sorted by (frequency, symbol), a leaf taken
//! before an internal node of equal weight (a test holds it to that
//! construction), so the encoder's bytes do not depend on how they are
//! computed.

/// Code lengths of an alphabet of `N` symbols, and the symbols that have one.
pub struct Lengths<const N: usize> {
    /// Length in bits of each symbol's code; 0 for a symbol without one.
    pub bits: [u8; N],
    /// The symbols with a code, ascending; `used[..count]` is meaningful.
    used: [u16; N],
    count: usize,
}

impl<const N: usize> Lengths<N> {
    /// The symbols with a code, ascending.
    pub fn used(&self) -> &[u16] {
        self.used.get(..self.count).unwrap_or_default()
    }

    /// Lengths given outright, for codes that are not built from
    /// frequencies (a block's placeholder distance code).
    pub fn from_bits(bits: [u8; N]) -> Lengths<N> {
        let mut used = [0u16; N];
        let mut count = 0;
        for (symbol, &l) in bits.iter().enumerate() {
            if let Some(slot) = used.get_mut(count) {
                *slot = symbol as u16;
            }
            count += usize::from(l != 0);
        }
        Lengths { bits, used, count }
    }

    /// The highest symbol with a code, if any.
    pub fn last(&self) -> Option<usize> {
        self.used().last().map(|&s| usize::from(s))
    }
}

/// Code lengths for `freqs`, none longer than `limit` bits. An over-long
/// code is rebuilt from halved frequencies (each at least 1), which always
/// ends: equal frequencies give a balanced tree of depth ⌈log2 n⌉ ≤ 9.
pub fn lengths<const N: usize>(freqs: &[u32; N], limit: u8) -> Lengths<N> {
    // The symbols used, ascending: one scan of the alphabet, branch-free.
    let mut used = [0u16; N];
    let mut count = 0;
    for (symbol, &f) in freqs.iter().enumerate() {
        if let Some(slot) = used.get_mut(count) {
            *slot = symbol as u16;
        }
        count += usize::from(f != 0);
    }
    let mut lengths = Lengths {
        bits: [0; N],
        used,
        count,
    };
    let symbols = lengths.used.get(..count).unwrap_or_default();
    match symbols {
        [] => return lengths,
        &[only] => {
            // A lone code of length 1 is an incomplete tree, which strict
            // inflaters reject: pair it with a neighbour that is never used.
            let partner = u16::from(only == 0);
            for s in [only, partner] {
                if let Some(l) = lengths.bits.get_mut(usize::from(s)) {
                    *l = 1;
                }
            }
            let (low, high) = (only.min(partner), only.max(partner));
            if let Some(pair) = lengths.used.get_mut(..2) {
                pair.copy_from_slice(&[low, high]);
            }
            lengths.count = 2;
            return lengths;
        }
        _ => {}
    }
    // Leaves in (frequency, symbol) order, and their weights, which become
    // their depths.
    let mut order = [0u16; N];
    let mut weights = [0u32; N];
    let (Some(order), Some(weights)) = (order.get_mut(..count), weights.get_mut(..count)) else {
        return lengths;
    };
    let mut scale = 0;
    loop {
        sort_by_weight(freqs, symbols, scale, order, weights);
        depths_in_place(weights);
        // Depths never grow along the order: the first is the deepest.
        if weights.first().is_some_and(|&d| d <= u32::from(limit)) {
            for (&s, &d) in order.iter().zip(weights.iter()) {
                if let Some(l) = lengths.bits.get_mut(usize::from(s)) {
                    *l = d as u8;
                }
            }
            return lengths;
        }
        scale += 1;
    }
}

/// Symbols sorted by insertion when there are at most this many (the
/// distance and code-length codes'), by counting or comparison above it.
const INSERTED: usize = 32;

/// Frequencies below this are sorted by counting, the rest by comparison.
/// An avatar's are far below it (at most about 70 at 128 px).
const COUNTED: usize = 512;

/// `symbols` (ascending) into `order` by frequency, each frequency halved
/// `scale` times (and kept at least 1), ties in symbol order; `weights`
/// gets the frequencies in that order. A few symbols are placed by
/// insertion, and more with small frequencies, the usual case, by
/// counting, with no comparison at all.
fn sort_by_weight<const N: usize>(
    freqs: &[u32; N],
    symbols: &[u16],
    scale: u32,
    order: &mut [u16],
    weights: &mut [u32],
) {
    // Halved `scale` times, each at least 1: as if [`lengths`]' doc
    // comment's loop had rewritten the frequencies (a used symbol's
    // frequency is at least 1, and halving stops at 1).
    let weight = |s: u16| {
        let f = freqs.get(usize::from(s)).copied().unwrap_or(0);
        f.checked_shr(scale).unwrap_or(0).max(1)
    };
    if symbols.len() <= INSERTED {
        // Keys (weight, symbol) ascending; a symbol fits in 16 bits.
        let mut keys = [0u64; INSERTED];
        let keys = keys.get_mut(..symbols.len()).unwrap_or_default();
        for (k, &s) in symbols.iter().enumerate() {
            let key = u64::from(weight(s)) << 16 | u64::from(s);
            // Insertion: the heavier keys before it move up by one.
            let mut j = k;
            while let Some(&before) = j.checked_sub(1).and_then(|b| keys.get(b)) {
                if before <= key {
                    break;
                }
                if let Some(slot) = keys.get_mut(j) {
                    *slot = before;
                }
                j -= 1;
            }
            if let Some(slot) = keys.get_mut(j) {
                *slot = key;
            }
        }
        for ((o, x), &key) in order.iter_mut().zip(weights.iter_mut()).zip(keys.iter()) {
            (*o, *x) = ((key & 0xffff) as u16, (key >> 16) as u32);
        }
        return;
    }
    let heaviest = symbols.iter().map(|&s| weight(s)).max().unwrap_or(0);
    if (heaviest as usize) < COUNTED {
        // Where each frequency's symbols start in `order`.
        let mut start = [0u16; COUNTED];
        for &s in symbols {
            if let Some(c) = start.get_mut(weight(s) as usize) {
                *c += 1;
            }
        }
        let mut at = 0u16;
        for c in start.iter_mut().take(heaviest as usize + 1) {
            let n = *c;
            *c = at;
            at += n;
        }
        for &s in symbols {
            let w = weight(s);
            let Some(c) = start.get_mut(w as usize) else {
                continue;
            };
            let p = usize::from(*c);
            *c += 1;
            if let (Some(o), Some(x)) = (order.get_mut(p), weights.get_mut(p)) {
                (*o, *x) = (s, w);
            }
        }
        return;
    }
    let mut keys: Vec<u64> = symbols
        .iter()
        .map(|&s| u64::from(weight(s)) << 16 | u64::from(s))
        .collect();
    keys.sort_unstable();
    for ((o, x), key) in order.iter_mut().zip(weights.iter_mut()).zip(keys) {
        (*o, *x) = ((key & 0xffff) as u16, (key >> 16) as u32);
    }
}

/// Turns `a`, at least two weights in ascending order, into the depths of
/// their leaves in the Huffman tree that the two-queue construction builds
/// (a leaf taken before an internal node of equal weight): Moffat and
/// Katajainen's in-place calculation. The internal nodes are made in `a`
/// itself as the leaves are consumed, then their depths from the root
/// down, then the leaves' depths, deepest first (the construction's
/// leaf depths never grow along the sorted order, so they are those).
#[allow(clippy::indexing_slicing)]
fn depths_in_place(a: &mut [u32]) {
    let n = a.len();
    if n < 2 {
        a.fill(0);
        return;
    }
    // First pass: a[next] becomes the weight of internal node `next`, and
    // each consumed internal node's slot becomes its parent's index.
    // Indices: root < next (internal nodes made and not yet taken),
    // leaf <= n (leaves not yet taken), and root <= next <= leaf - 1.
    a[0] += a[1];
    let (mut root, mut leaf) = (0usize, 2usize);
    for next in 1..n - 1 {
        for second in [false, true] {
            let take_node = root < next && (leaf >= n || a[root] < a[leaf]);
            let weight = if take_node {
                let w = a[root];
                a[root] = next as u32;
                root += 1;
                w
            } else {
                let w = a[leaf];
                leaf += 1;
                w
            };
            if second {
                a[next] += weight;
            } else {
                a[next] = weight;
            }
        }
    }
    // Second pass: internal node depths, the root (n - 2) at 0.
    a[n - 2] = 0;
    for next in (0..n.saturating_sub(2)).rev() {
        a[next] = a[a[next] as usize] + 1;
    }
    // Third pass: at each depth, the slots not taken by internal nodes are
    // leaves, given from the end of the array (the heaviest) backwards.
    let (mut available, mut depth) = (1usize, 0u32);
    let (mut internal, mut next) = (n as isize - 2, n as isize - 1);
    while available > 0 {
        let mut used = 0;
        while internal >= 0 && a[internal as usize] == depth {
            used += 1;
            internal -= 1;
        }
        while available > used {
            a[next as usize] = depth;
            next -= 1;
            available -= 1;
        }
        available = 2 * used;
        depth += 1;
    }
}

/// A Huffman code ready to write: bits already reversed for LSB-first
/// output, its length, and its length with the symbol's extra bits (what
/// a writer advances by). Lengths 0 for a symbol without a code.
#[derive(Clone, Copy, Default)]
pub struct Code {
    pub bits: u16,
    pub len: u8,
    pub total: u8,
}

/// Canonical codes (RFC 1951 §3.2.2) for `lengths`: within a length, codes
/// go to the symbols in ascending order. `extra` is the count of extra
/// bits that follow each symbol.
pub fn canonical<const N: usize>(lengths: &Lengths<N>, extra: &[u8; N]) -> [Code; N] {
    let mut count = [0u16; 16];
    for &s in lengths.used() {
        let l = lengths.bits.get(usize::from(s)).copied().unwrap_or(0);
        if let Some(c) = count.get_mut(usize::from(l)) {
            *c += 1;
        }
    }
    let mut next = [0u16; 16];
    let mut code = 0u16;
    for (slot, &previous) in next.iter_mut().skip(1).zip(&count) {
        // next[bits] = (next[bits - 1] + count[bits - 1]) << 1, with
        // count[0] = 0 (no symbol of length 0 is in `used`).
        code = code.wrapping_add(previous) << 1;
        *slot = code;
    }
    let mut codes = [Code::default(); N];
    for &s in lengths.used() {
        let l = lengths.bits.get(usize::from(s)).copied().unwrap_or(0);
        let (Some(slot), Some(out)) = (next.get_mut(usize::from(l)), codes.get_mut(usize::from(s)))
        else {
            continue;
        };
        let c = *slot;
        *slot = c.wrapping_add(1);
        *out = Code {
            bits: reverse16(c)
                .checked_shr(16 - u32::from(l.min(16)))
                .unwrap_or(0),
            len: l,
            total: l.saturating_add(extra.get(usize::from(s)).copied().unwrap_or(0)),
        };
    }
    codes
}

/// `x` with its 16 bits in reverse order, by two table lookups: targets
/// without a bit-reverse instruction (x86, wasm) otherwise spend a dozen
/// shift-and-mask steps per code.
pub fn reverse16(x: u16) -> u16 {
    let [lo, hi] = x.to_le_bytes();
    let rev = |b: u8| u16::from(REVERSED_BYTES.get(usize::from(b)).copied().unwrap_or(0));
    rev(lo) << 8 | rev(hi)
}

/// Each byte with its bits reversed.
static REVERSED_BYTES: [u8; 256] = reversed_bytes();

// Built at compile time, where an out-of-range index is a build error.
#[allow(clippy::indexing_slicing)]
const fn reversed_bytes() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = (i as u8).reverse_bits();
        i += 1;
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two-queue construction itself, over an explicit tree: what
    /// [`lengths`] must agree with.
    fn two_queue<const N: usize>(freqs: &[u32; N]) -> [u8; N] {
        let mut lengths = [0u8; N];
        let mut keys: Vec<u64> = freqs
            .iter()
            .enumerate()
            .filter(|(_, &f)| f > 0)
            .map(|(s, &f)| u64::from(f) << 16 | s as u64)
            .collect();
        if keys.len() == 1 {
            let only = (keys[0] & 0xffff) as usize;
            lengths[only] = 1;
            lengths[usize::from(only == 0)] = 1;
            return lengths;
        }
        keys.sort_unstable();
        let leaves = keys.len();
        // (weight, parent)
        let mut nodes: Vec<(u64, usize)> = keys.iter().map(|&k| (k >> 16, 0)).collect();
        let (mut next_leaf, mut next_node) = (0, leaves);
        for _ in 1..leaves {
            let mut pick = |nodes: &Vec<(u64, usize)>| {
                let node_first = next_node < nodes.len()
                    && (next_leaf >= leaves || nodes[next_node].0 < nodes[next_leaf].0);
                if node_first {
                    next_node += 1;
                    next_node - 1
                } else {
                    next_leaf += 1;
                    next_leaf - 1
                }
            };
            let a = pick(&nodes);
            let b = pick(&nodes);
            let id = nodes.len();
            nodes.push((nodes[a].0 + nodes[b].0, 0));
            nodes[a].1 = id;
            nodes[b].1 = id;
        }
        let mut depth = vec![0u8; nodes.len()];
        for n in (0..nodes.len().saturating_sub(1)).rev() {
            depth[n] = depth[nodes[n].1] + 1;
        }
        for (k, d) in keys.iter().zip(&depth) {
            lengths[(k & 0xffff) as usize] = *d;
        }
        lengths
    }

    fn limited<const N: usize>(freqs: &[u32; N], limit: u8) -> [u8; N] {
        let mut f = *freqs;
        loop {
            let l = two_queue(&f);
            if l.iter().all(|&l| l <= limit) {
                return l;
            }
            for x in f.iter_mut().filter(|x| **x > 0) {
                *x = (*x >> 1).max(1);
            }
        }
    }

    fn xorshift(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    #[test]
    fn lengths_are_the_two_queue_constructions() {
        let mut seed = 0x1234_5678_9ABC_DEF1;
        for case in 0..3000 {
            let mut freqs = [0u32; 288];
            // A 7-bit limit (the code-length code's) holds at most 128 codes.
            let limit = if case % 3 == 0 { 7 } else { 15 };
            let used = 1 + xorshift(&mut seed) % if limit == 7 { 100 } else { 288 };
            let spread = 1 + xorshift(&mut seed) % 5000;
            for _ in 0..used {
                let s = (xorshift(&mut seed) % 288) as usize;
                // Many ties (small counts) and a few heavy symbols, as in avatars.
                freqs[s] = match xorshift(&mut seed) % 4 {
                    0 => 1 + (xorshift(&mut seed) % spread) as u32,
                    _ => 1 + (xorshift(&mut seed) % 4) as u32,
                };
            }
            let got = lengths(&freqs, limit);
            assert_eq!(got.bits, limited(&freqs, limit), "case {case}");
            let used: Vec<u16> = (0..288u16)
                .filter(|&s| got.bits[usize::from(s)] != 0)
                .collect();
            assert_eq!(got.used(), used.as_slice(), "case {case}");
        }
        // Fibonacci frequencies make the deepest trees; the limit holds.
        let mut fib = vec![1u32, 1];
        while fib.len() < 30 {
            fib.push(fib[fib.len() - 1] + fib[fib.len() - 2]);
        }
        let fib: [u32; 30] = fib.try_into().unwrap();
        let got = lengths(&fib, 15);
        assert_eq!(got.bits, limited(&fib, 15));
        assert!(got.bits.iter().all(|&l| (1..=15).contains(&l)));
        let kraft: f64 = got.bits.iter().map(|&l| 0.5f64.powi(l as i32)).sum();
        assert!((kraft - 1.0).abs() < 1e-9, "complete tree: {kraft}");
        assert_eq!(lengths(&[5, 1, 1, 2, 3], 15).bits, [1, 4, 4, 3, 2]);
    }

    #[test]
    fn one_symbol_is_paired_and_none_is_empty() {
        let got = lengths(&[0, 0, 9, 0], 15);
        assert_eq!(got.bits, [1, 0, 1, 0]);
        assert_eq!(got.used(), &[0, 2]);
        let got = lengths(&[4, 0, 0], 15);
        assert_eq!(got.bits, [1, 1, 0]);
        assert_eq!(got.used(), &[0, 1]);
        let got = lengths(&[0u32; 5], 15);
        assert_eq!(got.bits, [0; 5]);
        assert!(got.used().is_empty());
    }

    #[test]
    fn canonical_codes_follow_the_rfc_example() {
        // RFC 1951 §3.2.2: lengths (3, 3, 3, 3, 3, 2, 4, 4) for A..H give
        // codes 010, 011, 100, 101, 110, 00, 1110, 1111.
        let extra = [0, 0, 0, 0, 0, 0, 0, 2];
        let codes = canonical(&Lengths::from_bits([3, 3, 3, 3, 3, 2, 4, 4]), &extra);
        let expected = [0b010, 0b011, 0b100, 0b101, 0b110, 0b00, 0b1110, 0b1111];
        for ((c, &x), (&e, l)) in codes
            .iter()
            .zip(&extra)
            .zip(expected.iter().zip([3, 3, 3, 3, 3, 2, 4, 4]))
        {
            assert_eq!(u32::from(c.len), l);
            assert_eq!(c.total, c.len + x);
            // Written LSB first: the code's bits reversed.
            assert_eq!(u32::from(c.bits), (e as u32).reverse_bits() >> (32 - l));
        }
        for x in [0u16, 1, 0x8000, 0x1234, 0xffff, 0xa5c3] {
            assert_eq!(reverse16(x), x.reverse_bits());
        }
    }
}
