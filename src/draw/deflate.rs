//! A DEFLATE (RFC 1951) compressor specialised for avatar scanlines, wrapped
//! in zlib (RFC 1950) for a PNG `IDAT` chunk.
//!
//! Why our own: an avatar is two flat colours with anti-aliased edges, so its
//! rows are long runs of one byte, and each row mostly repeats the row above.
//! This encoder looks for exactly those matches — distance 1 (a run), the
//! byte directly above, and the byte in the mirror row — at every position, greedily,
//! and codes the result with one dynamic-Huffman block (or fixed Huffman if
//! that is smaller). At 128 px it takes 0.43× the time of the png crate's
//! fast mode (fdeflate, which only finds runs of zeros) and writes 0.64× the
//! bytes (`make bench`, same run); general-purpose deflate at a comparable
//! size took over ten times as long in the prototype (shared/NOTES.md).
//!
//! Invariant: output is a valid zlib stream that inflates to exactly the input.

use crate::draw::huffman::{self, Code, Lengths};

/// Longest and shortest match DEFLATE can code, in bytes.
const MAX_MATCH: usize = 258;
const MIN_MATCH: usize = 3;
/// Largest distance DEFLATE can code (32 KiB window).
const MAX_DISTANCE: usize = 32_768;
/// Longest Huffman code DEFLATE allows for literal/length and distance codes, and for the code-length code.
const MAX_CODE_BITS: u8 = 15;
const MAX_CL_BITS: u8 = 7;
/// Alphabet sizes: literal/length (286 used by the format, 288 in the fixed
/// code, whose code assignment counts all 288), distance, code-length.
const LIT_SYMBOLS: usize = 288;
const DIST_SYMBOLS: usize = 30;
const CL_SYMBOLS: usize = 19;
/// The end-of-block symbol.
const END_OF_BLOCK: usize = 256;

/// A literal or a match, with its symbols already looked up, so counting
/// and writing tokens need no branch on the kind (which the CPU cannot
/// predict: avatars alternate literals and matches irregularly).
#[derive(Clone, Copy)]
struct Token {
    /// Literal/length symbol: the byte itself, or 257 + the length's symbol.
    lit: u16,
    /// The value of the length's extra bits; 0 for a literal. (How many
    /// there are, the symbol says: the writer's codes count them in.)
    len_extra: u8,
    /// Distance symbol, or [`NO_DISTANCE`] for a literal.
    dist: u8,
    /// The value of the distance's extra bits.
    dist_extra: u16,
}

/// The distance "symbol" of a literal: one past the real ones, with an
/// empty code, so writing it writes nothing.
const NO_DISTANCE: u8 = DIST_SYMBOLS as u8;

impl Token {
    fn literal(byte: u8) -> Token {
        Token {
            lit: u16::from(byte),
            len_extra: 0,
            dist: NO_DISTANCE,
            dist_extra: 0,
        }
    }

    /// `len` in 3..=258, `dist` in 1..=32768.
    fn matched(len: usize, dist: usize) -> Token {
        let l = LENGTH_CODES.get(len).copied().unwrap_or_default();
        let d = dist_code(dist);
        Token {
            lit: 257 + u16::from(l.symbol),
            len_extra: l.extra as u8,
            dist: d.symbol,
            dist_extra: d.extra,
        }
    }

    /// Bytes of data the token stands for.
    fn len(&self) -> u32 {
        match usize::from(self.lit).checked_sub(257) {
            Some(symbol) => LENGTH_BASE
                .get(symbol)
                .map_or(1, |&base| u32::from(base) + u32::from(self.len_extra)),
            None => 1,
        }
    }
}

/// Compresses `data` (filtered PNG scanlines of `stride` bytes each) into a
/// zlib stream appended to `out`, so a PNG writer can put it straight into
/// its `IDAT` chunk.
pub fn zlib_into(out: &mut Vec<u8>, data: &[u8], stride: usize) {
    let mut parse = Parse::new(data.len());
    tokenize(data, stride, 0, &mut parse, None);
    finish_zlib(out, &parse, adler32(data));
}

/// The parse of one image kept to compress others that differ from it only
/// in a band of bytes: an avatar's rows above and below its text are the
/// bare shape's, whatever the name, so their tokens are made once per VM
/// (the caller keeps a `Reference` per size and shape) and copied.
pub struct Reference {
    data_len: usize,
    stride: usize,
    tokens: Vec<Token>,
    /// Where each token starts in the data, ascending.
    starts: Vec<u32>,
    /// Adler-32 of rows `0..r` and of rows `r..` for each row boundary `r`.
    adler_before: Vec<u32>,
    adler_from: Vec<u32>,
    /// The symbol counts of runs of `tokens`.
    tally: Tally,
}

impl Reference {
    pub fn new(data: &[u8], stride: usize) -> Reference {
        let mut parse = Parse::new(data.len());
        tokenize(data, stride, 0, &mut parse, None);
        let mut starts = Vec::with_capacity(parse.tokens.len());
        let mut at = 0u32;
        for t in &parse.tokens {
            starts.push(at);
            at = at.saturating_add(t.len());
        }
        let stride = stride.max(1);
        let rows: Vec<&[u8]> = data.chunks(stride).collect();
        let mut adler_before = Vec::with_capacity(rows.len() + 1);
        adler_before.push(1);
        for row in &rows {
            let last = adler_before.last().copied().unwrap_or(1);
            adler_before.push(adler32_combine(last, adler32(row), row.len()));
        }
        let mut adler_from = vec![1u32; rows.len() + 1];
        let mut tail = 1u32;
        let mut tail_len = 0usize;
        for (r, row) in rows.iter().enumerate().rev() {
            tail = adler32_combine(adler32(row), tail, tail_len);
            tail_len += row.len();
            if let Some(slot) = adler_from.get_mut(r) {
                *slot = tail;
            }
        }
        Reference {
            data_len: data.len(),
            stride,
            tally: Tally::new(&parse.tokens),
            tokens: parse.tokens,
            starts,
            adler_before,
            adler_from,
        }
    }

    /// Heap bytes held, for the caller's budget.
    pub fn bytes(&self) -> usize {
        self.tokens.capacity() * std::mem::size_of::<Token>()
            + (self.starts.capacity()
                + self.adler_before.capacity()
                + self.adler_from.capacity()
                + self.tally.rows.capacity())
                * 4
            + self.tally.symbols.capacity() * 2
    }

    /// Where `tokens` starts in this reference's tokens, if it is a run of
    /// them (the same memory, not merely equal tokens).
    fn position_of(&self, tokens: &[Token]) -> Option<usize> {
        let size = std::mem::size_of::<Token>();
        let offset = (tokens.as_ptr() as usize).checked_sub(self.tokens.as_ptr() as usize)?;
        let start = offset / size;
        let run = self.tokens.get(start..start.checked_add(tokens.len())?)?;
        (offset % size == 0 && std::ptr::eq(run.as_ptr(), tokens.as_ptr())).then_some(start)
    }
}

/// Tokens between the rows of a [`Tally`].
const TALLY_STEP: usize = 64;

/// Running symbol counts of a reference's tokens, taken every
/// [`TALLY_STEP`] tokens. A render copies hundreds of the reference's
/// tokens (the bare shape's rows above and below its text); their counts
/// then cost a pass over the few symbols the reference uses and at most
/// two steps' tokens, where counting them one by one cost a lookup and a
/// store per token.
struct Tally {
    /// The symbols the reference uses: literal/length symbols as they are,
    /// distance symbols after them (`LIT_SYMBOLS + symbol`).
    symbols: Vec<u16>,
    /// Row `r` (of `symbols.len()` counts): tokens `..r * TALLY_STEP`.
    rows: Vec<u32>,
}

impl Tally {
    fn new(tokens: &[Token]) -> Tally {
        let mut all = Parse::new(0);
        all.count(tokens, 1);
        let lit = all.lit_freq.iter().enumerate().map(|(s, &f)| (s, f));
        let dist = (all.dist_freq.iter().enumerate()).map(|(s, &f)| (LIT_SYMBOLS + s, f));
        let symbols: Vec<u16> = lit
            .chain(dist)
            .filter(|&(_, f)| f > 0)
            .map(|(s, _)| s as u16)
            .collect();
        let mut running = Parse::new(0);
        let mut rows = Vec::with_capacity((tokens.len() / TALLY_STEP + 1) * symbols.len());
        for step in tokens.chunks(TALLY_STEP).map(Some).chain([None]) {
            rows.extend(symbols.iter().map(|&s| running.freq(usize::from(s))));
            if let Some(step) = step {
                running.count(step, 1);
            }
        }
        Tally { symbols, rows }
    }

    /// The counts of `symbols` in tokens `..r * TALLY_STEP`.
    fn row(&self, r: usize) -> &[u32] {
        let n = self.symbols.len();
        self.rows
            .get(r.saturating_mul(n)..r.saturating_add(1).saturating_mul(n))
            .unwrap_or_default()
    }
}

/// Bytes before and after a token's start that its choice may read: the
/// greedy parse at `i` compares up to [`MAX_MATCH`] bytes from `i` and from
/// `i + 1` (the lazy check), and as many behind each candidate distance.
const READ_AHEAD: usize = MAX_MATCH + 3;

/// [`zlib_into`] for `data` that equals the data `reference` was made from
/// outside `changed` (byte offsets, `start..end`), with the same stride: the
/// same bytes as `zlib_into(out, data, stride)`, at the cost of the parse
/// of `changed` and its surroundings only. Tokens before `changed` whose
/// choice read nothing in it are copied, the band is parsed, and after it
/// the parse rejoins the reference's once it reaches one of its token
/// boundaries past every byte a later choice could read from the band.
pub fn zlib_over(out: &mut Vec<u8>, data: &[u8], reference: &Reference, changed: (usize, usize)) {
    let stride = reference.stride;
    let (first, end) = changed;
    if data.len() != reference.data_len || first >= end || end > data.len() {
        if data.len() == reference.data_len && first >= end {
            // Nothing changed: the reference's own stream.
            let mut parse = Parse::over(data.len(), reference);
            parse.extend(&reference.tokens);
            bump(&mut parse.lit_freq, END_OF_BLOCK);
            let adler = reference.adler_from.first().copied().unwrap_or(1);
            finish_zlib(out, &parse, adler);
        } else {
            zlib_into(out, data, stride);
        }
        return;
    }
    let mut parse = Parse::over(data.len(), reference);
    // Reference tokens whose choice read only bytes before `first`.
    let kept = reference
        .starts
        .partition_point(|&s| (s as usize).saturating_add(READ_AHEAD) <= first);
    parse.extend(reference.tokens.get(..kept).unwrap_or_default());
    let resume = reference
        .starts
        .get(kept)
        .map_or(data.len(), |&s| s as usize);
    let rows = data.len() / stride;
    let far = Candidates { stride, rows };
    // The first row from which no choice reads the band: the row above and
    // the mirror row are both clear of it, for this row and every later one.
    let mut clear_from = rows;
    for r in (0..rows).rev() {
        let start = r * stride;
        let mirror = far.mirror(r);
        let mirror_clear = mirror == 0
            || (start + stride + READ_AHEAD).saturating_sub(mirror) <= first
            || start.saturating_sub(mirror) >= end;
        if !mirror_clear || start < end + stride {
            break;
        }
        clear_from = r;
    }
    // From the first token not kept: every earlier one starts before
    // `resume`, so the search for a shared boundary need not walk them.
    let rejoin = Rejoin {
        from: clear_from * stride,
        starts: reference.starts.get(kept..).unwrap_or_default(),
        tokens: reference.tokens.get(kept..).unwrap_or_default(),
    };
    tokenize(data, stride, resume, &mut parse, Some(rejoin));
    // Adler-32 of the reference's rows before and after the changed rows,
    // and of the changed rows themselves.
    let (top, bottom) = (first / stride, end.div_ceil(stride).min(rows));
    let band = data.get(top * stride..bottom * stride).unwrap_or_default();
    let before = reference.adler_before.get(top).copied().unwrap_or(1);
    let after = reference.adler_from.get(bottom).copied().unwrap_or(1);
    let adler = adler32_combine(
        adler32_combine(before, adler32(band), band.len()),
        after,
        data.len().saturating_sub(bottom * stride),
    );
    finish_zlib(out, &parse, adler);
}

/// Writes the zlib stream of a finished parse.
fn finish_zlib(out: &mut Vec<u8>, parse: &Parse, adler: u32) {
    // zlib header: deflate, 32 KiB window, "fastest" level hint; 0x7801 % 31 == 0.
    out.extend_from_slice(&[0x78, 0x01]);
    write_block(out, parse);
    out.extend_from_slice(&adler.to_be_bytes());
}

/// Where a parse may rejoin a reference parse of the same data: at any of
/// its token boundaries (`starts`) from `from` on, the rest of the tokens
/// are the reference's.
struct Rejoin<'a> {
    from: usize,
    starts: &'a [u32],
    tokens: &'a [Token],
}

/// Greedy parse over three candidates: the previous byte (runs), the byte one
/// row up, and the same byte in the mirror row — the row as far above the
/// middle as this one is below it. Shapes are symmetric top to bottom, so
/// below the text each row repeats one from the top half exactly.
///
/// Parses from `from` (a token boundary of the whole data's parse) into
/// `parse`, and ends it with the end of block. A choice depends only on the
/// bytes it reads, so with `rejoin` the parse stops at the first shared
/// token boundary past `rejoin.from` and takes the reference's tokens.
fn tokenize(data: &[u8], stride: usize, from: usize, parse: &mut Parse, rejoin: Option<Rejoin>) {
    let n = data.len();
    let finder = Finder {
        data,
        stride,
        far: Candidates {
            stride,
            rows: n.checked_div(stride).unwrap_or(0),
        },
        reach: stride > 1 && stride <= MAX_DISTANCE,
    };
    // The row of `i` and where that row ends, kept incrementally: a division
    // per position costs more than the rest of a failed match attempt.
    let row = from.checked_div(stride).unwrap_or(0);
    let (mut row, mut row_end) = (row, (row + 1).saturating_mul(stride.max(1)));
    // The mirror distances of this row and the next, kept with the row.
    let mut mirror = (finder.mirror(row), finder.mirror(row + 1));
    // The match at `i`, when the lazy check below already found it.
    // (A length of 0 for none.)
    let mut known = (0, 1);
    let (rejoin_from, starts, reference) = match &rejoin {
        Some(r) => (r.from, r.starts, r.tokens),
        None => (usize::MAX, &[][..], &[][..]),
    };
    let mut next_start = 0;
    let mut i = from;
    while let Some(&byte) = data.get(i) {
        // Literals may be taken several at a time only up to where the
        // parse could rejoin the reference's: the rejoin boundary, then
        // each of its token starts.
        let mut stop = rejoin_from;
        if i >= rejoin_from {
            // The reference's first token boundary at or after `i`.
            while starts.get(next_start).is_some_and(|&s| (s as usize) < i) {
                next_start += 1;
            }
            match starts.get(next_start) {
                Some(&s) if s as usize == i => {
                    parse.extend(reference.get(next_start..).unwrap_or_default());
                    break;
                }
                Some(&s) => stop = s as usize,
                None => stop = n,
            }
        }
        if i >= row_end {
            while i >= row_end {
                row += 1;
                row_end += stride.max(1);
            }
            mirror = (finder.mirror(row), finder.mirror(row + 1));
        }
        // Within eight bytes of the end, bytes are compared one by one.
        let full = i + 8 <= n;
        let near = finder.near(i, mirror.0);
        let (len, dist) = if known.0 != 0 {
            std::mem::replace(&mut known, (0, 1))
        } else if full {
            finder.best_from(i, near, mirror.0)
        } else {
            finder.best_by_bytes(i, mirror.0)
        };
        if len < MIN_MATCH {
            // A literal, and so are the next positions in the row where no
            // candidate repeats three bytes (most of the text's edges).
            match finder.word(i) {
                Some(ahead) if Finder::settled(i) => {
                    let more = free_literals(near).min(row_end.min(stop).saturating_sub(i + 1));
                    parse.literals(ahead, 1 + more);
                    i += 1 + more;
                }
                _ => {
                    parse.literal(byte);
                    i += 1;
                }
            }
            continue;
        }
        // Lazy evaluation: a short match that hides a much longer one starting
        // at the next byte is worth a literal.
        // Almost never can a candidate start that long a match there. One
        // branch on the whole test, like `best_from`'s.
        let settled = full & Finder::settled(i) & (i + 1 < row_end);
        if (len < 16) & (!settled | may_grow(near, len + 2)) {
            let next_mirror = if i + 1 >= row_end { mirror.1 } else { mirror.0 };
            let next = finder.best_match(i + 1, next_mirror);
            if next.0 > len + 1 {
                known = next;
                parse.literal(byte);
                i += 1;
                continue;
            }
        }
        parse.matched(len, dist);
        i += len;
    }
    bump(&mut parse.lit_freq, END_OF_BLOCK);
}

/// The tokens of one block and their symbol frequencies (the end of block
/// included), counted as the tokens are made.
struct Parse<'a> {
    tokens: Vec<Token>,
    lit_freq: [u32; LIT_SYMBOLS],
    dist_freq: [u32; DIST_SYMBOLS],
    /// The reference whose tokens [`extend`](Self::extend) is given, whose
    /// tally counts them.
    reference: Option<&'a Reference>,
}

impl<'a> Parse<'a> {
    fn new(data_len: usize) -> Parse<'a> {
        Parse {
            tokens: Vec::with_capacity(data_len / 8 + 16),
            lit_freq: [0; LIT_SYMBOLS],
            dist_freq: [0; DIST_SYMBOLS],
            reference: None,
        }
    }

    /// A parse that copies tokens of `reference`.
    fn over(data_len: usize, reference: &'a Reference) -> Parse<'a> {
        Parse {
            reference: Some(reference),
            ..Parse::new(data_len)
        }
    }

    /// Appends tokens made elsewhere, counting their symbols: from the
    /// reference's tally when they are a run of its tokens.
    fn extend(&mut self, tokens: &[Token]) {
        let at = self
            .reference
            .and_then(|r| Some((r, r.position_of(tokens)?)));
        match at {
            Some((reference, start)) => self.count_run(reference, start, start + tokens.len()),
            None => self.count(tokens, 1),
        }
        self.tokens.extend_from_slice(tokens);
    }

    /// Adds `delta` (1, or `u32::MAX` to take away, modulo 2^32) to the
    /// counts of the symbols of `tokens`.
    fn count(&mut self, tokens: &[Token], delta: u32) {
        for t in tokens {
            if let Some(f) = self.lit_freq.get_mut(usize::from(t.lit)) {
                *f = f.wrapping_add(delta);
            }
            if let Some(f) = self.dist_freq.get_mut(usize::from(t.dist)) {
                *f = f.wrapping_add(delta);
            }
        }
    }

    /// Counts the symbols of `reference`'s tokens `start..end`: the tally's
    /// rows around them, less the tokens between the lower row and `start`,
    /// plus those between the upper row and `end`. Counts only ever end
    /// up as true counts, so arithmetic modulo 2^32 is exact.
    fn count_run(&mut self, reference: &Reference, start: usize, end: usize) {
        let tally = &reference.tally;
        let (low, high) = (start / TALLY_STEP, end / TALLY_STEP);
        let between = |from: usize, to: usize| reference.tokens.get(from..to).unwrap_or_default();
        if low == high {
            self.count(between(start, end), 1);
            return;
        }
        for ((&s, &h), &l) in tally
            .symbols
            .iter()
            .zip(tally.row(high))
            .zip(tally.row(low))
        {
            let s = usize::from(s);
            let f = match s.checked_sub(LIT_SYMBOLS) {
                None => self.lit_freq.get_mut(s),
                Some(d) => self.dist_freq.get_mut(d),
            };
            if let Some(f) = f {
                *f = f.wrapping_add(h.wrapping_sub(l));
            }
        }
        self.count(between(low * TALLY_STEP, start), u32::MAX);
        self.count(between(high * TALLY_STEP, end), 1);
    }

    /// The count of a [`Tally`] symbol.
    fn freq(&self, symbol: usize) -> u32 {
        match symbol.checked_sub(LIT_SYMBOLS) {
            None => self.lit_freq.get(symbol),
            Some(d) => self.dist_freq.get(d),
        }
        .copied()
        .unwrap_or(0)
    }

    fn literal(&mut self, byte: u8) {
        bump(&mut self.lit_freq, usize::from(byte));
        self.tokens.push(Token::literal(byte));
    }

    /// The first `count` (1..=[`LITERALS`]) bytes of `word` (little-endian)
    /// as literals. Always writes and counts all of them, weighted by
    /// whether they are taken: how many are varies from one literal to the
    /// next, and a loop over them ends at a branch the CPU cannot predict.
    #[inline(always)]
    fn literals(&mut self, word: u64, count: usize) {
        let bytes = word.to_le_bytes();
        let mut run = [Token::literal(0); LITERALS];
        for (k, (t, &b)) in run.iter_mut().zip(&bytes).enumerate() {
            *t = Token::literal(b);
            if let Some(f) = self.lit_freq.get_mut(usize::from(b)) {
                *f += u32::from(k < count);
            }
        }
        let keep = self.tokens.len() + count.min(LITERALS);
        self.tokens.extend_from_slice(&run);
        self.tokens.truncate(keep);
    }

    fn matched(&mut self, len: usize, dist: usize) {
        let t = Token::matched(len, dist);
        bump(&mut self.lit_freq, usize::from(t.lit));
        bump(&mut self.dist_freq, usize::from(t.dist));
        self.tokens.push(t);
    }
}

/// The image geometry the far candidates come from.
struct Candidates {
    stride: usize,
    rows: usize,
}

impl Candidates {
    /// Distance to the mirror row of `row`, or 0 when there is none worth
    /// trying (it is the row above or nearer, or beyond the window).
    fn mirror(&self, row: usize) -> usize {
        let mirror = self.rows.saturating_sub(row + 1);
        let dist = row.saturating_sub(mirror).saturating_mul(self.stride);
        if dist > self.stride && dist <= MAX_DISTANCE {
            dist
        } else {
            0
        }
    }
}

/// The candidate matches at a position: a run (distance 1), the row above
/// (the stride) and the mirror row.
struct Finder<'a> {
    data: &'a [u8],
    stride: usize,
    far: Candidates,
    /// Whether the row above and mirror rows are candidates at all.
    reach: bool,
}

/// The eight bytes at a position XORed with the eight each candidate back
/// (run, row above, mirror): a zero byte is an equal one. All ones for a
/// candidate that does not apply there. One load per candidate gives a
/// match length under eight (most, in the text's rows) and the three-byte
/// test, and says which of the next positions no candidate can match.
type Near = [u64; 3];

impl Finder<'_> {
    /// The mirror distance of `row` as a candidate, or 0.
    fn mirror(&self, row: usize) -> usize {
        if self.reach {
            self.far.mirror(row)
        } else {
            0
        }
    }

    /// The eight bytes at `i`, little-endian, if there are eight.
    #[inline(always)]
    fn word(&self, i: usize) -> Option<u64> {
        self.data
            .get(i..)
            .and_then(|d| d.first_chunk::<8>())
            .map(|w| u64::from_le_bytes(*w))
    }

    /// [`Near`] at `i` with mirror distance `mirror` (0 for none); no
    /// candidate applies within eight bytes of the end.
    #[inline(always)]
    fn near(&self, i: usize, mirror: usize) -> Near {
        let word = |at: usize| self.word(at);
        let Some(ahead) = word(i) else {
            return [u64::MAX; 3];
        };
        let back = |dist: usize| {
            if dist != 0 && i >= dist {
                word(i - dist).map_or(u64::MAX, |w| ahead ^ w)
            } else {
                u64::MAX
            }
        };
        let (up, mirror) = if self.reach {
            (back(self.stride), back(mirror))
        } else {
            (u64::MAX, u64::MAX)
        };
        [back(1), up, mirror]
    }

    /// Whether every candidate at `i` reaches back into the data, so
    /// [`Near`] there says which apply at the next positions of its row
    /// too. The row above and the mirror row reach back from a row's first
    /// byte on, or from none; a run from the second byte of the data.
    #[inline(always)]
    fn settled(i: usize) -> bool {
        i >= 1
    }

    /// The longest of the three candidate matches at `i` (mirror distance
    /// `mirror`, 0 for none), as (length, distance).
    fn best_match(&self, i: usize, mirror: usize) -> (usize, usize) {
        if i + 8 <= self.data.len() {
            self.best_from(i, self.near(i, mirror), mirror)
        } else {
            self.best_by_bytes(i, mirror)
        }
    }

    /// [`best_match`](Self::best_match) from the [`Near`] at `i`: a run,
    /// then the row above if longer, then the mirror row if longer by more
    /// than two (a far distance costs more extra bits); ties go to the
    /// nearer candidate. Lengths below [`MIN_MATCH`] are exact too: the
    /// mirror's threshold depends on them.
    #[inline(always)]
    fn best_from(&self, i: usize, x: Near, mirror: usize) -> (usize, usize) {
        // Lengths under eight from the words alone; a candidate that does
        // not apply has a word of all ones, so a length of 0. Longer ones
        // are looked for behind one test of all three words, not a branch
        // per candidate on each: which candidates match all eight bytes
        // changes from position to position, and the CPU mispredicts it.
        let mut lens = x.map(|x| (x.trailing_zeros() / 8) as usize);
        if (x[0] == 0) | (x[1] == 0) | (x[2] == 0) {
            for ((len, &x), dist) in lens.iter_mut().zip(&x).zip([1, self.stride, mirror]) {
                if x == 0 {
                    let end = (i + MAX_MATCH).min(self.data.len());
                    let ahead = self.data.get(i + 8..end).unwrap_or_default();
                    let behind = (i + 8)
                        .checked_sub(dist)
                        .and_then(|s| self.data.get(s..))
                        .unwrap_or_default();
                    *len = 8 + match_len(ahead, behind);
                }
            }
        }
        let [run, up, far] = lens;
        let best = if up > run {
            (up, self.stride)
        } else {
            (run, 1)
        };
        if far > best.0 + 2 {
            (far, mirror)
        } else {
            best
        }
    }

    /// [`best_match`](Self::best_match) comparing byte by byte, for the
    /// last bytes of the data.
    #[cold]
    fn best_by_bytes(&self, i: usize, mirror: usize) -> (usize, usize) {
        let rest = self.data.get(i..).unwrap_or_default();
        let ahead = rest.get(..MAX_MATCH).unwrap_or(rest);
        let len = |dist: usize| match i.checked_sub(dist).and_then(|s| self.data.get(s..)) {
            Some(behind) if dist != 0 => match_len(ahead, behind),
            _ => 0,
        };
        let run = len(1);
        let up = if self.reach { len(self.stride) } else { 0 };
        let mut best = if up > run {
            (up, self.stride)
        } else {
            (run, 1)
        };
        if mirror != 0 {
            let far = len(mirror);
            if far > best.0 + 2 {
                best = (far, mirror);
            }
        }
        best
    }
}

/// The high bit of each zero byte of `x`, exactly (no borrow between bytes).
#[inline(always)]
fn zero_bytes(x: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// Literals [`Parse::literals`] writes at once: the one at a position and
/// the most [`free_literals`] finds after it.
const LITERALS: usize = 6;

/// How many of the five positions after the one `x` is the [`Near`] of
/// come before the first where a candidate (at the same distances) repeats
/// three bytes: with no match possible there, each is a literal.
#[inline(always)]
fn free_literals(x: Near) -> usize {
    let starts = |x: u64| {
        let z = zero_bytes(x);
        z & z >> 8 & z >> 16
    };
    let any = starts(x[0]) | starts(x[1]) | starts(x[2]);
    // The high bit of byte j says a match may start j bytes on; j ≤ 5
    // have their three bytes in the word. Bit 47 stands for "none by 5".
    ((any >> 8 | 1 << 47).trailing_zeros() / 8) as usize
}

/// Whether, at the position after the one `x` is the [`Near`] of, a
/// candidate at the same distance may match `need` (≥ 5) bytes or more: one
/// that matched here matches one byte less there, so only one that did not.
#[inline(always)]
fn may_grow(x: Near, need: usize) -> bool {
    // The bytes after the first, as many as the word holds of `need`.
    let mask = u64::MAX >> (64 - 8 * need.min(7)) << 8;
    // Bitwise, not short-circuiting: which candidate (if any) decides
    // changes from one match to the next.
    x.iter()
        .fold(false, |any, &x| any | ((x & 0xff != 0) & (x & mask == 0)))
}

/// How many leading bytes of `ahead` equal those of `behind`.
/// Compares eight bytes at a time: avatars are mostly long matches.
fn match_len(ahead: &[u8], behind: &[u8]) -> usize {
    let (a8, _) = ahead.as_chunks::<8>();
    let (b8, _) = behind.as_chunks::<8>();
    let mut n = 0;
    for (a, b) in a8.iter().zip(b8) {
        let x = u64::from_le_bytes(*a) ^ u64::from_le_bytes(*b);
        if x != 0 {
            return n + (x.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    let (Some(a), Some(b)) = (ahead.get(n..), behind.get(n..)) else {
        return n;
    };
    n + a.iter().zip(b).take_while(|(a, b)| a == b).count()
}

// ---- DEFLATE's symbol tables (RFC 1951 §3.2.5) ------------------------------

const LENGTH_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LENGTH_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];
/// Order in which code-length code lengths are sent.
const CL_ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// A length or distance as DEFLATE codes it: a symbol, then its extra bits
/// ([`LENGTH_EXTRA`], [`DIST_EXTRA`]) holding `extra` (the value minus the
/// symbol's base).
#[derive(Clone, Copy, Default)]
struct Coded {
    symbol: u8,
    extra: u16,
}

/// [`Coded`] for every match length, indexed by length (0..=2 are unused).
/// A table instead of a search: it is looked up twice per match.
static LENGTH_CODES: [Coded; MAX_MATCH + 1] = length_codes();

/// Distance symbols by `dist_slot`: 256 entries for distances 1..=256, then
/// one per 128 for 257..=32768 (every symbol above 256 spans a multiple of 128).
static DIST_SYMBOLS_BY_SLOT: [u8; 512] = dist_symbols();

// Both tables are built at compile time, where an out-of-range index is a
// build error rather than a panic.
#[allow(clippy::indexing_slicing)]
const fn length_codes() -> [Coded; MAX_MATCH + 1] {
    let mut table = [Coded {
        symbol: 0,
        extra: 0,
    }; MAX_MATCH + 1];
    let mut symbol = 0;
    while symbol < LENGTH_BASE.len() {
        let base = LENGTH_BASE[symbol] as usize;
        // Symbol 284 stops at 257: 258 has its own symbol, 285.
        let end = if symbol + 1 < LENGTH_BASE.len() {
            LENGTH_BASE[symbol + 1] as usize
        } else {
            MAX_MATCH + 1
        };
        let mut len = base;
        while len < end {
            table[len] = Coded {
                symbol: symbol as u8,
                extra: (len - base) as u16,
            };
            len += 1;
        }
        symbol += 1;
    }
    table
}

#[allow(clippy::indexing_slicing)]
const fn dist_symbols() -> [u8; 512] {
    let mut table = [0u8; 512];
    let mut symbol = 0;
    while symbol < DIST_BASE.len() {
        let base = DIST_BASE[symbol] as usize;
        let end = if symbol + 1 < DIST_BASE.len() {
            DIST_BASE[symbol + 1] as usize
        } else {
            MAX_DISTANCE + 1
        };
        let mut dist = base;
        while dist < end {
            table[dist_slot(dist)] = symbol as u8;
            dist += 1;
        }
        symbol += 1;
    }
    table
}

/// Index into [`DIST_SYMBOLS_BY_SLOT`] for a distance in 1..=32768.
const fn dist_slot(dist: usize) -> usize {
    let d = dist.saturating_sub(1);
    if d < 256 {
        d
    } else {
        256 + (d >> 7)
    }
}

/// [`Coded`] for a distance in 1..=32768.
fn dist_code(dist: usize) -> Coded {
    let symbol = DIST_SYMBOLS_BY_SLOT
        .get(dist_slot(dist))
        .copied()
        .unwrap_or(0);
    let i = usize::from(symbol);
    let base = DIST_BASE.get(i).copied().map_or(0, usize::from);
    Coded {
        symbol,
        extra: dist.saturating_sub(base) as u16,
    }
}

// ---- Huffman codes ------------------------------------------------------------

fn bump(freqs: &mut [u32], symbol: usize) {
    if let Some(f) = freqs.get_mut(symbol) {
        *f += 1;
    }
}

// ---- block writing --------------------------------------------------------------

/// Extra bits that follow each literal/length symbol: none for literals
/// and end of block, [`LENGTH_EXTRA`] for lengths.
const LIT_EXTRA: [u8; LIT_SYMBOLS] = lit_extra();

// Built at compile time, like the tables above.
#[allow(clippy::indexing_slicing)]
const fn lit_extra() -> [u8; LIT_SYMBOLS] {
    let mut t = [0u8; LIT_SYMBOLS];
    let mut i = 0;
    while i < LENGTH_EXTRA.len() {
        t[257 + i] = LENGTH_EXTRA[i];
        i += 1;
    }
    t
}

/// The fixed literal/length code lengths (RFC 1951 §3.2.6).
const FIXED_LIT: [u8; LIT_SYMBOLS] = fixed_lit_lengths();

// Built at compile time, like the tables above.
#[allow(clippy::indexing_slicing)]
const fn fixed_lit_lengths() -> [u8; LIT_SYMBOLS] {
    let mut t = [8u8; LIT_SYMBOLS];
    let mut s = 0;
    while s < LIT_SYMBOLS {
        t[s] = match s {
            0..=143 => 8,
            144..=255 => 9,
            256..=279 => 7,
            _ => 8,
        };
        s += 1;
    }
    t
}
const FIXED_DIST: [u8; DIST_SYMBOLS] = [5; DIST_SYMBOLS];

/// The distance code of a block without distances: at least one must be
/// described, and two of length 1 make a complete tree.
const NO_DISTANCES: [u8; DIST_SYMBOLS] = no_distances();

// Built at compile time, like the tables above.
#[allow(clippy::indexing_slicing)]
const fn no_distances() -> [u8; DIST_SYMBOLS] {
    let mut t = [0u8; DIST_SYMBOLS];
    t[0] = 1;
    t[1] = 1;
    t
}

/// Room past a block's last byte for the writer's whole-word stores: a
/// window of [`write_tokens`]' (which also covers [`BitWriter::put`]'s 8
/// bytes), and the Adler-32 that follows the block.
const SLACK: usize = WINDOW;

/// Appends the parse as one final block, coded with whichever of the
/// dynamic and fixed codes takes fewer bits.
fn write_block(out: &mut Vec<u8>, parse: &Parse) {
    let Parse {
        tokens,
        lit_freq,
        dist_freq,
        ..
    } = parse;
    let lit = huffman::lengths(lit_freq, MAX_CODE_BITS);
    let mut dist = huffman::lengths(dist_freq, MAX_CODE_BITS);
    if dist.used().is_empty() {
        dist = Lengths::from_bits(NO_DISTANCES);
    }
    let header = DynamicHeader::new(&lit, &dist);

    let (data_dynamic, fixed_bits) = data_bits(lit_freq, dist_freq, &lit, &dist);
    let dynamic_bits = header.bits() + data_dynamic;
    let fixed = fixed_bits <= dynamic_bits;

    // The block's size is known to the bit (its 3 header bits included):
    // the buffer is made that long, and the slack, once.
    let bits = 3 + fixed_bits.min(dynamic_bits);
    let start = out.len();
    let bytes = usize::try_from(bits.div_ceil(8)).unwrap_or(usize::MAX);
    out.resize(start.saturating_add(bytes).saturating_add(SLACK), 0);
    let mut w = BitWriter::new(out.get_mut(start..).unwrap_or_default());
    if fixed {
        w.bits(0b011, 3); // final block, fixed Huffman
        let lit = huffman::canonical(&Lengths::from_bits(FIXED_LIT), &LIT_EXTRA);
        let dist = huffman::canonical(&Lengths::from_bits(FIXED_DIST), &DIST_EXTRA);
        write_tokens(&mut w, tokens, &lit, &dist);
    } else {
        w.bits(0b101, 3); // final block, dynamic Huffman
        header.write(&mut w);
        write_tokens(
            &mut w,
            tokens,
            &huffman::canonical(&lit, &LIT_EXTRA),
            &huffman::canonical(&dist, &DIST_EXTRA),
        );
    }
    let written = w.finish();
    out.truncate(start.saturating_add(written));
}

/// Bits the tokens take (extra bits included) with the code lengths given,
/// and with the fixed code.
fn data_bits(
    lit_freq: &[u32; LIT_SYMBOLS],
    dist_freq: &[u32; DIST_SYMBOLS],
    lit: &Lengths<LIT_SYMBOLS>,
    dist: &Lengths<DIST_SYMBOLS>,
) -> (u64, u64) {
    let (lit_dynamic, lit_fixed) = code_bits(lit_freq, lit, &LIT_EXTRA, &FIXED_LIT);
    let (dist_dynamic, dist_fixed) = code_bits(dist_freq, dist, &DIST_EXTRA, &FIXED_DIST);
    (lit_dynamic + dist_dynamic, lit_fixed + dist_fixed)
}

/// [`data_bits`] of one alphabet, in one pass over the symbols used (every
/// symbol with a non-zero frequency has a code).
fn code_bits<const N: usize>(
    freq: &[u32; N],
    code: &Lengths<N>,
    extra: &[u8; N],
    fixed: &[u8; N],
) -> (u64, u64) {
    let (mut dynamic, mut fixed_bits) = (0u64, 0u64);
    for &s in code.used() {
        let s = usize::from(s);
        let at = |t: &[u8; N]| u64::from(t.get(s).copied().unwrap_or(0));
        let f = u64::from(freq.get(s).copied().unwrap_or(0));
        dynamic += f * (at(&code.bits) + at(extra));
        fixed_bits += f * (at(fixed) + at(extra));
    }
    (dynamic, fixed_bits)
}

/// Tokens [`write_tokens`] writes at a time, and the bytes they may take:
/// each at its worst (48 bits, 6 bytes), and the 8-byte store.
const CHUNK: usize = 16;
const WINDOW: usize = CHUNK * 6 + 8;

/// Writes the tokens and the end of block: per token the literal/length
/// code with the length's extra bits (≤ 20 bits), then the distance code
/// with its extra bits (≤ 28 bits; nothing for a literal).
fn write_tokens(
    w: &mut BitWriter,
    tokens: &[Token],
    lit: &[Code; LIT_SYMBOLS],
    dist_codes: &[Code; DIST_SYMBOLS],
) {
    // The real distance codes, then NO_DISTANCE's empty one.
    let mut dist = [Code::default(); DIST_SYMBOLS + 1];
    if let Some(real) = dist.get_mut(..DIST_SYMBOLS) {
        real.copy_from_slice(dist_codes);
    }
    // BitWriter::put with the writer's state in locals: through `w` every
    // byte store could alias it, and wasm would reload it per token.
    let (mut acc, mut n, mut pos) = (w.acc, w.n, w.pos);
    let buf = &mut *w.buf;
    // A token's codes and extra bits as one value and its bit count:
    // the literal/length code and its extra bits (≤ 20 bits), then the
    // distance code and its extra bits (≤ 28; none for a literal).
    let coded = |t: &Token| {
        // Indices clamped to the tables, so no lookup can miss.
        let l = lit
            .get(usize::from(t.lit).min(LIT_SYMBOLS - 1))
            .copied()
            .unwrap_or_default();
        let d = dist
            .get(usize::from(t.dist).min(DIST_SYMBOLS))
            .copied()
            .unwrap_or_default();
        let first = u64::from(u32::from(l.bits) | u32::from(t.len_extra) << l.len);
        let second = u64::from(u32::from(d.bits) | u32::from(t.dist_extra) << d.len);
        (
            first | second << l.total,
            u32::from(l.total) + u32::from(d.total),
        )
    };
    // Tokens a window at a time: a window holds every token of a chunk at
    // its worst and the 8-byte store, so the stores within it need no
    // bounds check of their own.
    let mut chunks = tokens.chunks_exact(CHUNK);
    let mut rest: &[Token] = chunks.remainder();
    for (k, chunk) in chunks.by_ref().enumerate() {
        let Some(window) = buf
            .get_mut(pos..)
            .and_then(|b| b.first_chunk_mut::<WINDOW>())
        else {
            rest = tokens.get(k * CHUNK..).unwrap_or_default();
            break;
        };
        let mut local = 0usize;
        for t in chunk {
            let (bits, count) = coded(t);
            // n < 8 and at most 48 bits more: the sum fits in 64.
            acc |= bits << n;
            n += count;
            let at = local.min(CHUNK * 6);
            if let Some(bytes) = window.get_mut(at..at + 8) {
                bytes.copy_from_slice(&acc.to_le_bytes());
            }
            let whole = n / 8;
            local += whole as usize;
            acc >>= whole * 8;
            n -= whole * 8;
        }
        pos += local;
    }
    for t in rest {
        let (bits, count) = coded(t);
        acc |= bits << n;
        n += count;
        if let Some(bytes) = buf.get_mut(pos..pos.saturating_add(8)) {
            bytes.copy_from_slice(&acc.to_le_bytes());
        }
        let whole = n / 8;
        pos += whole as usize;
        acc >>= whole * 8;
        n -= whole * 8;
    }
    (w.acc, w.n, w.pos) = (acc, n, pos);
    let end = lit.get(END_OF_BLOCK).copied().unwrap_or_default();
    w.put(u64::from(end.bits), u32::from(end.total));
}

/// Extra bits after each code-length symbol: 16 repeats the previous
/// length 3–6 times (2 bits), 17 and 18 are runs of 3–10 and 11–138 zeros
/// (3 and 7 bits).
const CL_EXTRA: [u8; CL_SYMBOLS] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 7];

/// The dynamic block header: code lengths, run-length coded with the code-length code.
struct DynamicHeader {
    hlit: usize,
    hdist: usize,
    cl: ClSymbols,
    cl_len: Lengths<CL_SYMBOLS>,
    hclen: usize,
}

impl DynamicHeader {
    fn new(lit: &Lengths<LIT_SYMBOLS>, dist: &Lengths<DIST_SYMBOLS>) -> DynamicHeader {
        let hlit = lit.last().map_or(257, |p| (p + 1).max(257));
        let hdist = dist.last().map_or(1, |p| p + 1);
        // The lengths of both codes as one sequence (literal/length
        // symbols 0..hlit, then distance symbols 0..hdist), visited at the
        // symbols that have a code; the gaps between are zeros.
        let mut cl = ClSymbols::new();
        let mut run = (0u8, 0usize); // (length, count) of the run being gathered
        let mut at = 0usize; // the sequence's length so far
        let codes = lit
            .used()
            .iter()
            .map(|&s| (usize::from(s), lit.bits.get(usize::from(s))))
            .chain(
                dist.used()
                    .iter()
                    .map(|&s| (hlit + usize::from(s), dist.bits.get(usize::from(s)))),
            );
        for (position, l) in codes {
            let l = l.copied().unwrap_or(0);
            let zeros = position.saturating_sub(at);
            if zeros > 0 || l != run.0 {
                cl.run(run.0, run.1);
                cl.run(0, zeros);
                run = (l, 0);
            }
            run.1 += 1;
            at = position + 1;
        }
        cl.run(run.0, run.1);
        cl.run(0, (hlit + hdist).saturating_sub(at));
        let cl_len = huffman::lengths(&cl.freq, MAX_CL_BITS);
        let hclen = CL_ORDER
            .iter()
            .rposition(|&s| cl_len.bits.get(s).copied().unwrap_or(0) != 0)
            .map_or(4, |p| (p + 1).max(4));
        DynamicHeader {
            hlit,
            hdist,
            cl,
            cl_len,
            hclen,
        }
    }

    fn bits(&self) -> u64 {
        let symbols: u64 = self
            .cl
            .freq
            .iter()
            .zip(&self.cl_len.bits)
            .zip(&CL_EXTRA)
            .map(|((&f, &l), &e)| u64::from(f) * u64::from(l + e))
            .sum();
        14 + 3 * self.hclen as u64 + symbols
    }

    fn write(&self, w: &mut BitWriter) {
        w.local(|w| {
            let counts = (self.hlit - 257) | (self.hdist - 1) << 5 | (self.hclen - 4) << 10;
            w.put(counts as u64 & 0x3fff, 14);
            // The code-length code's lengths, 3 bits each, in two writes
            // (19 of them take 57 bits).
            let mut lengths = [0u64; 2];
            for (k, &s) in CL_ORDER.iter().take(self.hclen).enumerate() {
                let l = u64::from(self.cl_len.bits.get(s).copied().unwrap_or(0) & 7);
                if let Some(half) = lengths.get_mut(k / 10) {
                    *half |= l << (3 * (k % 10));
                }
            }
            let [low, high] = lengths;
            let low_count = self.hclen.min(10) as u32;
            w.put(low, 3 * low_count);
            w.put(high, 3 * (self.hclen as u32 - low_count));
            let codes = huffman::canonical(&self.cl_len, &CL_EXTRA);
            for &packed in self.cl.symbols() {
                let [s, extra] = packed.to_le_bytes();
                let code = codes.get(usize::from(s)).copied().unwrap_or_default();
                // The code, then its extra bits (at most 7 + 7 bits).
                w.put(
                    u64::from(u32::from(code.bits) | u32::from(extra) << code.len),
                    u32::from(code.total),
                );
            }
        });
    }
}

/// Code-length symbols as they are made, with their frequencies.
struct ClSymbols {
    /// Symbol (low byte) and its extra bits' value (high byte).
    symbols: [u16; LIT_SYMBOLS + DIST_SYMBOLS],
    count: usize,
    freq: [u32; CL_SYMBOLS],
}

impl ClSymbols {
    fn new() -> ClSymbols {
        ClSymbols {
            symbols: [0; LIT_SYMBOLS + DIST_SYMBOLS],
            count: 0,
            freq: [0; CL_SYMBOLS],
        }
    }

    fn symbols(&self) -> &[u16] {
        self.symbols.get(..self.count).unwrap_or_default()
    }

    fn push(&mut self, symbol: u8, extra: u8) {
        if let Some(slot) = self.symbols.get_mut(self.count) {
            *slot = u16::from_le_bytes([symbol, extra]);
            self.count += 1;
        }
        bump(&mut self.freq, usize::from(symbol));
    }

    /// A maximal run of `count` lengths `l` (the length before it differs):
    /// zeros as 18 (11–138 of them) and 17 (3–10), a non-zero length sent
    /// once and then repeated by 16 (3–6 at a time); what is left over,
    /// one by one.
    fn run(&mut self, l: u8, mut count: usize) {
        if count == 0 {
            return;
        }
        if l == 0 {
            while count >= 11 {
                let n = count.min(138);
                self.push(18, (n - 11) as u8);
                count -= n;
            }
            if count >= 3 {
                self.push(17, (count - 3) as u8);
                count = 0;
            }
        } else {
            self.push(l, 0);
            count -= 1;
            while count >= 3 {
                let n = count.min(6);
                self.push(16, (n - 3) as u8);
                count -= n;
            }
        }
        for _ in 0..count {
            self.push(l, 0);
        }
    }
}

/// Adler-32 (RFC 1950), a block of at most 5552 bytes at a time (the most
/// whose sums cannot overflow `u32` lanes; a lane's prior sum stays under
/// 2^29), each through byte lanes side by side: sixteen in a `v128` with
/// wasm SIMD, else four. Four, not sixteen, without SIMD: in wasm sixteen
/// scalar lanes spill to memory and ran 2.4× slower than four under V8
/// (11.1 against 4.6 µs for 8,320 bytes); natively the two are within half
/// a microsecond.
pub fn adler32(data: &[u8]) -> u32 {
    const MOD: u64 = 65_521;
    const BLOCK: usize = 5552; // = 16 × 347
    /// Over `block` but its tail (fewer bytes than a lane group): Σx, Σ(n -
    /// i)·x_i (n the bytes summed, i from 0), and the tail.
    #[cfg(not(target_arch = "wasm32"))]
    fn sums(block: &[u8]) -> (u64, u64, &[u8]) {
        let (lanes, tail) = block.as_chunks::<4>();
        // After k chunks: s[j] = Σ x[j] over them; p[j] = Σ s[j] as it stood
        // before each chunk, so the weighted sum is 4·Σp + Σ(4 - j)·s[j].
        let (mut s0, mut s1, mut s2, mut s3) = (0u32, 0u32, 0u32, 0u32);
        let (mut p0, mut p1, mut p2, mut p3) = (0u32, 0u32, 0u32, 0u32);
        for &[x0, x1, x2, x3] in lanes {
            p0 += s0;
            p1 += s1;
            p2 += s2;
            p3 += s3;
            s0 += u32::from(x0);
            s1 += u32::from(x1);
            s2 += u32::from(x2);
            s3 += u32::from(x3);
        }
        let prior = u64::from(p0) + u64::from(p1) + u64::from(p2) + u64::from(p3);
        let weighted = 4 * u64::from(s0) + 3 * u64::from(s1) + 2 * u64::from(s2) + u64::from(s3);
        let sum = u64::from(s0) + u64::from(s1) + u64::from(s2) + u64::from(s3);
        (sum, 4 * prior + weighted, tail)
    }
    /// The same with sixteen byte lanes: four u32 lanes of byte sums and of
    /// prior sums, and the in-chunk weights 16..=1 by dot products.
    #[cfg(target_arch = "wasm32")]
    #[target_feature(enable = "simd128")]
    fn sums(block: &[u8]) -> (u64, u64, &[u8]) {
        use core::arch::wasm32::*;
        let (chunks, tail) = block.as_chunks::<16>();
        let (mut s, mut p, mut w) = (u32x4_splat(0), u32x4_splat(0), u32x4_splat(0));
        let high = i16x8(16, 15, 14, 13, 12, 11, 10, 9);
        let low = i16x8(8, 7, 6, 5, 4, 3, 2, 1);
        for chunk in chunks {
            // SAFETY: v128 is 16 plain bytes, as [u8; 16] is, and an
            // unaligned read is what read_unaligned does.
            let v = unsafe { core::ptr::read_unaligned(chunk.as_ptr().cast::<v128>()) };
            p = i32x4_add(p, s);
            s = i32x4_add(
                s,
                u32x4_extadd_pairwise_u16x8(u16x8_extadd_pairwise_u8x16(v)),
            );
            let first = i32x4_dot_i16x8(u16x8_extend_low_u8x16(v), high);
            let last = i32x4_dot_i16x8(u16x8_extend_high_u8x16(v), low);
            w = i32x4_add(w, i32x4_add(first, last));
        }
        let total = |v: v128| {
            u64::from(u32x4_extract_lane::<0>(v))
                + u64::from(u32x4_extract_lane::<1>(v))
                + u64::from(u32x4_extract_lane::<2>(v))
                + u64::from(u32x4_extract_lane::<3>(v))
        };
        (total(s), 16 * total(p) + total(w), tail)
    }
    let (mut a, mut b) = (1u64, 0u64);
    for block in data.chunks(BLOCK) {
        let (sum, weighted, tail) = sums(block);
        let n = (block.len() - tail.len()) as u64;
        b += n * a + weighted;
        a += sum;
        for &x in tail {
            a += u64::from(x);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16 | a) as u32
}

/// The Adler-32 of `a || b` from those of `a` and `b` and the length of `b`
/// (as zlib's `adler32_combine`).
pub fn adler32_combine(adler_a: u32, adler_b: u32, len_b: usize) -> u32 {
    const MOD: u64 = 65_521;
    let rem = len_b as u64 % MOD;
    let (a1, b1) = (u64::from(adler_a & 0xffff), u64::from(adler_a >> 16));
    let (a2, b2) = (u64::from(adler_b & 0xffff), u64::from(adler_b >> 16));
    // a = a1 + a2 - 1; b = b1 + b2 + rem·(a1 - 1), all modulo 65521.
    let a = (a1 + a2 + MOD - 1) % MOD;
    let b = (b1 + b2 + rem * a1 + MOD * MOD - rem) % MOD;
    (b << 16 | a) as u32
}

/// LSB-first bit packing, as DEFLATE wants, into the caller's buffer.
/// Bits gather in a 64-bit accumulator, which is stored whole (8 bytes)
/// after every write and advanced by the whole bytes it held: one store
/// and no branch per write, and a literal/length code and its distance
/// code (at most 48 bits together) go in as one write. The buffer is made
/// as long as the block, known beforehand, and [`SLACK`].
/// Invariant: `n < 8` between writes; `buf[..pos]` is written, and
/// `buf[pos]` holds the `n` pending bits.
struct BitWriter<'a> {
    buf: &'a mut [u8],
    pos: usize,
    acc: u64,
    n: u32,
}

impl<'a> BitWriter<'a> {
    fn new(buf: &'a mut [u8]) -> BitWriter<'a> {
        BitWriter {
            buf,
            pos: 0,
            acc: 0,
            n: 0,
        }
    }

    /// Appends the low `count` (≤ 56) bits of `value`; bits above `count`
    /// must be zero (codes and extra values are, by construction).
    #[inline(always)]
    fn put(&mut self, value: u64, count: u32) {
        self.acc |= value << self.n;
        self.n += count.min(56);
        if let Some(bytes) = self
            .buf
            .get_mut(self.pos..)
            .and_then(|b| b.first_chunk_mut::<8>())
        {
            *bytes = self.acc.to_le_bytes();
        }
        let whole = self.n / 8;
        self.pos += whole as usize;
        // whole ≤ 7, so the shift is below 64.
        self.acc >>= whole * 8;
        self.n -= whole * 8;
    }

    /// [`put`](Self::put) for header fields, masking `value` to `count` (≤ 16) bits.
    fn bits(&mut self, value: u32, count: u8) {
        let count = u32::from(count.min(16));
        self.put(u64::from(value & ((1u32 << count) - 1)), count);
    }

    /// Runs `f` on a copy of the writer held in locals, then takes its
    /// state back: through `&mut self` every byte store could alias the
    /// writer's fields, and wasm would reload them after each.
    #[inline(always)]
    fn local<R>(&mut self, f: impl FnOnce(&mut BitWriter) -> R) -> R {
        let mut w = BitWriter {
            buf: &mut *self.buf,
            pos: self.pos,
            acc: self.acc,
            n: self.n,
        };
        let r = f(&mut w);
        let (pos, acc, n) = (w.pos, w.acc, w.n);
        (self.pos, self.acc, self.n) = (pos, acc, n);
        r
    }

    /// Ends the stream: the bytes written, the last partial one (zero-padded,
    /// already stored) included.
    fn finish(self) -> usize {
        self.pos + usize::from(self.n > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zlib(data: &[u8], stride: usize) -> Vec<u8> {
        let mut out = Vec::new();
        zlib_into(&mut out, data, stride);
        out
    }

    fn inflate(z: &[u8]) -> Vec<u8> {
        let mut d = fdeflate::Decompressor::new();
        let mut out = vec![0u8; 1 << 22];
        let (_, n) = d.read(z, &mut out, 0, true).unwrap();
        out.truncate(n);
        out
    }

    /// A small deterministic generator, so failures reproduce.
    fn xorshift(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    /// The parse as [`super::tokenize`] must make it, written plainly: at
    /// every position the first three bytes of each candidate, then each
    /// one's match length. The two must agree token for token (every PNG
    /// byte and ETag depends on the parse).
    mod by_bytes {
        use super::super::*;

        pub(super) fn tokenize(
            data: &[u8],
            stride: usize,
            from: usize,
            parse: &mut Parse,
            rejoin: Option<Rejoin>,
        ) {
            let rows = data.len().checked_div(stride).unwrap_or(0);
            let far = Candidates { stride, rows };
            // The row of `i` and where that row ends, kept incrementally: a division
            // per position costs more than the rest of a failed match attempt.
            let row = from.checked_div(stride).unwrap_or(0);
            let (mut row, mut row_end) = (row, (row + 1).saturating_mul(stride.max(1)));
            // The mirror distances of this row and the next, kept with the row.
            let mut mirror = (far.mirror(row), far.mirror(row + 1));
            // best_match at `i`, when the lazy check below already computed it.
            let mut known: Option<(usize, usize)> = None;
            let (rejoin_from, starts, reference) = match &rejoin {
                Some(r) => (r.from, r.starts, r.tokens),
                None => (usize::MAX, &[][..], &[][..]),
            };
            let mut next_start = 0;
            let mut i = from;
            while let Some(&byte) = data.get(i) {
                if i >= rejoin_from {
                    // The reference's first token boundary at or after `i`.
                    while starts.get(next_start).is_some_and(|&s| (s as usize) < i) {
                        next_start += 1;
                    }
                    if starts.get(next_start).is_some_and(|&s| s as usize == i) {
                        parse.extend(reference.get(next_start..).unwrap_or_default());
                        break;
                    }
                }
                if i >= row_end {
                    while i >= row_end {
                        row += 1;
                        row_end += stride.max(1);
                    }
                    mirror = (far.mirror(row), far.mirror(row + 1));
                }
                let (len, dist) = known
                    .take()
                    .unwrap_or_else(|| best_match(data, i, mirror.0, stride));
                // Lazy evaluation: a short match that hides a much longer one starting
                // at the next byte is worth a literal.
                if (MIN_MATCH..16).contains(&len) {
                    let next_mirror = if i + 1 >= row_end { mirror.1 } else { mirror.0 };
                    let next = best_match(data, i + 1, next_mirror, stride);
                    if next.0 > len + 1 {
                        known = Some(next);
                        parse.literal(byte);
                        i += 1;
                        continue;
                    }
                }
                if len >= MIN_MATCH {
                    parse.matched(len, dist);
                    i += len;
                } else {
                    parse.literal(byte);
                    i += 1;
                }
            }
            bump(&mut parse.lit_freq, END_OF_BLOCK);
        }

        fn best_match(data: &[u8], i: usize, mirror: usize, stride: usize) -> (usize, usize) {
            let Some(rest) = data.get(i..) else {
                return (0, 1);
            };
            let ahead = rest.get(..MAX_MATCH).unwrap_or(rest);
            let behind = |dist: usize| i.checked_sub(dist).and_then(|start| data.get(start..));
            let far = stride > 1 && stride <= MAX_DISTANCE;
            // Most calls are at literals (about 60% of tokens): when no candidate
            // shares the next three bytes, no match is possible and nothing below
            // can change that, so skip the full comparisons.
            // Fixed-size arrays, not slices: a slice comparison is a call to memcmp
            // in wasm, and this test runs at every literal.
            let first3 = |at: usize| {
                data.get(at..)
                    .and_then(|b| b.first_chunk::<MIN_MATCH>().copied())
            };
            let Some(head) = first3(i) else {
                return (0, 1);
            };
            let starts_match = |dist: usize| i.checked_sub(dist).and_then(first3) == Some(head);
            if !(starts_match(1)
                || far && (starts_match(stride) || mirror != 0 && starts_match(mirror)))
            {
                return (0, 1);
            }
            let len_at = |dist: usize| behind(dist).map_or(0, |b| match_len(ahead, b));
            let mut best = (len_at(1), 1);
            // A run as long as the match can be leaves nothing to win.
            if best.0 < ahead.len() && far {
                let up = len_at(stride);
                if up > best.0 {
                    best = (up, stride);
                }
                // A far distance costs more extra bits: take it only if clearly longer.
                if mirror != 0 && best.0 + 2 < ahead.len() {
                    let len = len_at(mirror);
                    if len > best.0 + 2 {
                        best = (len, mirror);
                    }
                }
            }
            best
        }
    }

    /// A token's fields, to compare parses.
    type Key = (u16, u8, u8, u16);

    fn token_key(t: &Token) -> Key {
        (t.lit, t.len_extra, t.dist, t.dist_extra)
    }

    /// Both parses of `data` from `from`, with the rejoin made of
    /// `reference` from its token `kept` on, if any.
    fn both_parses(
        data: &[u8],
        stride: usize,
        from: usize,
        rejoin: Option<(&Reference, usize, usize)>,
    ) -> [Vec<Key>; 2] {
        fn make((r, kept, at): (&Reference, usize, usize)) -> Rejoin<'_> {
            Rejoin {
                from: at,
                starts: r.starts.get(kept..).unwrap_or_default(),
                tokens: r.tokens.get(kept..).unwrap_or_default(),
            }
        }
        let mut new = Parse::new(data.len());
        tokenize(data, stride, from, &mut new, rejoin.map(make));
        let mut old = Parse::new(data.len());
        by_bytes::tokenize(data, stride, from, &mut old, rejoin.map(make));
        assert_eq!(new.lit_freq, old.lit_freq);
        assert_eq!(new.dist_freq, old.dist_freq);
        [&new, &old].map(|p| p.tokens.iter().map(token_key).collect())
    }

    /// Avatar-like scanlines: a symmetric shape of runs (an outline byte
    /// between two fills), each row a filter byte and `stride - 1` bytes.
    fn shape(stride: usize, rows: usize) -> Vec<u8> {
        let mut data = vec![0u8; stride * rows];
        for r in 0..rows {
            let half = r.min(rows - 1 - r);
            let row = &mut data[r * stride..(r + 1) * stride];
            let inset = stride.saturating_sub(2 * half + 2) / 2;
            for (x, b) in row.iter_mut().enumerate().skip(1) {
                *b = match x {
                    _ if x < inset || x >= stride - inset => 0,
                    _ if x == inset || x + 1 == stride - inset => 0x35,
                    _ => 0x55,
                };
            }
        }
        data
    }

    #[test]
    fn the_parse_is_the_byte_by_byte_parse() {
        let mut seed = 0x0051_DEB1_750F_5EED;
        for case in 0..1500 {
            let stride = match case % 6 {
                0 => (xorshift(&mut seed) % 4) as usize,
                1 => 65,
                2 => 257,
                _ => 1 + (xorshift(&mut seed) % 300) as usize,
            };
            let rows = 1 + (xorshift(&mut seed) % 140) as usize;
            let mut data = match case % 4 {
                // Noise over few or many byte values, with runs and rows.
                0 | 1 => {
                    let len = (xorshift(&mut seed) % 9000) as usize;
                    let alphabet = 1 + xorshift(&mut seed) % if case % 4 == 0 { 4 } else { 256 };
                    let run = 1 + xorshift(&mut seed) % 40;
                    let mut data = Vec::with_capacity(len);
                    let mut byte = 0u8;
                    for i in 0..len {
                        if i >= stride.max(1) && xorshift(&mut seed).is_multiple_of(3) {
                            data.push(data[i - stride.max(1)]);
                            continue;
                        }
                        if xorshift(&mut seed).is_multiple_of(run) {
                            byte = (xorshift(&mut seed) % alphabet) as u8;
                        }
                        data.push(byte);
                    }
                    data
                }
                _ => shape(stride.max(1), rows),
            };
            // A band of anti-aliased "text" over shapes, with a partial row
            // at the end sometimes.
            if case % 4 >= 2 && !data.is_empty() {
                let len = data.len();
                let a = xorshift(&mut seed) as usize % len;
                let end = (a + 1 + xorshift(&mut seed) as usize % 3000).min(len);
                for b in &mut data[a..end] {
                    if xorshift(&mut seed).is_multiple_of(3) {
                        *b = (xorshift(&mut seed) % 12) as u8 * 0x11;
                    }
                }
                if case % 8 >= 6 {
                    data.extend_from_slice(&[0x55; 40][..(xorshift(&mut seed) % 40) as usize]);
                }
            }
            let [new, old] = both_parses(&data, stride, 0, None);
            assert_eq!(
                new,
                old,
                "case {case}: {} bytes, stride {stride}",
                data.len()
            );
            // From a later start, rejoining a reference (of other data of
            // the same length) anywhere from any of its tokens on.
            if data.is_empty() {
                continue;
            }
            let len = data.len();
            let reference = Reference::new(
                &shape(stride.max(1), len / stride.max(1) + 1)[..len],
                stride,
            );
            for _ in 0..4 {
                let from = xorshift(&mut seed) as usize % len;
                let kept = xorshift(&mut seed) as usize % (reference.tokens.len() + 1);
                let at = match xorshift(&mut seed) % 3 {
                    0 => 0,
                    1 => from + xorshift(&mut seed) as usize % 600,
                    _ => xorshift(&mut seed) as usize % len,
                };
                let [new, old] = both_parses(&data, stride, from, Some((&reference, kept, at)));
                assert_eq!(
                    new, old,
                    "case {case}: from {from}, rejoin from token {kept} at {at}"
                );
            }
        }
    }

    #[test]
    fn zero_bytes_are_equal_bytes() {
        let mut seed = 0xB175;
        for _ in 0..2000 {
            let a: Vec<u8> = (0..64)
                .map(|_| (xorshift(&mut seed) % 3) as u8 * 0x7f)
                .collect();
            let mut b = a.clone();
            for x in &mut b {
                if xorshift(&mut seed).is_multiple_of(2) {
                    *x ^= 1 << (xorshift(&mut seed) % 8);
                }
            }
            let bytes: u64 = (0..64).map(|j| u64::from(a[j] == b[j]) << j).sum();
            for (k, (a8, b8)) in a.chunks(8).zip(b.chunks(8)).enumerate() {
                let x = u64::from_le_bytes(a8.try_into().unwrap())
                    ^ u64::from_le_bytes(b8.try_into().unwrap());
                let z = zero_bytes(x);
                let gathered: u64 = (0..8).map(|j| (z >> (8 * j + 7) & 1) << j).sum();
                assert_eq!(gathered, bytes >> (8 * k) & 0xff);
                assert_eq!(z & !0x8080_8080_8080_8080, 0);
            }
        }
    }

    #[test]
    fn round_trips_runs_rows_and_noise() {
        let mut seed = 0x9E37_79B9_7F4A_7C15;
        for case in 0..300 {
            let len = (xorshift(&mut seed) % 5000) as usize;
            let stride = 1 + (xorshift(&mut seed) % 300) as usize;
            let alphabet = 1 + xorshift(&mut seed) % 256;
            let run = 1 + xorshift(&mut seed) % 64;
            let mut data = Vec::with_capacity(len);
            let mut byte = 0u8;
            for i in 0..len {
                if i >= stride && xorshift(&mut seed).is_multiple_of(3) {
                    data.push(data[i - stride]);
                    continue;
                }
                if xorshift(&mut seed).is_multiple_of(run) {
                    byte = (xorshift(&mut seed) % alphabet) as u8;
                }
                data.push(byte);
            }
            let z = zlib(&data, stride);
            assert_eq!(inflate(&z), data, "case {case}: len {len} stride {stride}");
        }
    }

    #[test]
    fn a_parse_over_a_reference_is_the_whole_parse() {
        // Symmetric "shapes" of runs, with a band of noise written over
        // them: zlib_over must give zlib_into's bytes exactly, wherever the
        // band falls (the first rows, the last, the middle, nowhere).
        let mut seed = 0x0DDB_1A5E_5BAD_5EED;
        for case in 0..400 {
            let stride = 2 + (xorshift(&mut seed) % 300) as usize;
            let rows = 1 + (xorshift(&mut seed) % 160) as usize;
            let data = shape(stride, rows);
            let reference = Reference::new(&data, stride);
            let mut changed = data.clone();
            let len = changed.len();
            let (first, end) = match case % 5 {
                0 => (0, 0),
                1 => (0, (xorshift(&mut seed) as usize % len) + 1),
                2 => (xorshift(&mut seed) as usize % len, len),
                _ => {
                    let a = xorshift(&mut seed) as usize % len;
                    (a, (a + 1 + xorshift(&mut seed) as usize % 4000).min(len))
                }
            };
            for b in &mut changed[first..end] {
                if xorshift(&mut seed).is_multiple_of(3) {
                    *b = (xorshift(&mut seed) % 12) as u8 * 0x11;
                }
            }
            let mut over = Vec::new();
            zlib_over(&mut over, &changed, &reference, (first, end));
            assert_eq!(over, zlib(&changed, stride), "case {case}: {stride}×{rows}");
            assert_eq!(inflate(&over), changed, "case {case}");
        }
    }

    #[test]
    fn a_tally_counts_runs_of_the_reference() {
        let mut seed = 0x7A11_7A11;
        let data: Vec<u8> = (0..30_000)
            .map(|i| match xorshift(&mut seed) % 6 {
                0 => (xorshift(&mut seed) % 9) as u8,
                _ => (i / 40 % 4) as u8,
            })
            .collect();
        let reference = Reference::new(&data, 120);
        let n = reference.tokens.len();
        assert!(n > 4 * TALLY_STEP, "{n} tokens");
        let copy = reference.tokens.clone();
        for (start, end) in [
            (0, n),
            (0, 0),
            (5, 60),
            (63, 64),
            (64, 128),
            (65, 3 * TALLY_STEP - 1),
            (1, n - 1),
            (n / 2, n),
        ] {
            let run = &reference.tokens[start..end];
            let mut tallied = Parse::over(0, &reference);
            tallied.extend(run);
            // Equal tokens elsewhere in memory are counted one by one.
            let mut counted = Parse::over(0, &reference);
            counted.extend(&copy[start..end]);
            assert_eq!(reference.position_of(run), Some(start));
            assert_eq!(reference.position_of(&copy[start..end]), None);
            assert_eq!(tallied.lit_freq, counted.lit_freq, "{start}..{end}");
            assert_eq!(tallied.dist_freq, counted.dist_freq, "{start}..{end}");
            assert_eq!(tallied.tokens.len(), end - start);
        }
    }

    #[test]
    fn adler32_combines() {
        let mut seed = 11;
        let data: Vec<u8> = (0..20_000).map(|_| xorshift(&mut seed) as u8).collect();
        for cut in [0, 1, 7, 5552, 12_345, 20_000] {
            let (a, b) = data.split_at(cut);
            assert_eq!(
                adler32_combine(adler32(a), adler32(b), b.len()),
                adler32(&data),
                "cut {cut}"
            );
        }
    }

    #[test]
    fn round_trips_edge_cases() {
        for data in [
            vec![],
            vec![7],
            vec![0; 100_000],
            (0..=255).collect::<Vec<u8>>(),
        ] {
            assert_eq!(inflate(&zlib(&data, 3)), data);
        }
    }

    #[test]
    fn round_trips_every_match_length_and_far_distances() {
        // Runs of every length around the symbol boundaries and the 258 cap,
        // separated by a different byte, so each is one run match (or a
        // maximal match and a remainder).
        let mut data = Vec::new();
        for (k, run) in (1..=300).chain([515, 516, 517, 1000]).enumerate() {
            data.push(200 + (k % 50) as u8);
            data.extend(std::iter::repeat_n((k % 7) as u8, run));
        }
        for stride in [1, 2, 64, 1025] {
            assert_eq!(inflate(&zlib(&data, stride)), data, "stride {stride}");
        }
        // Rows that repeat the row above and the mirror row, with strides up
        // to the 32 KiB window and beyond it (where only runs may be used).
        let mut seed = 0x2545_F491_4F6C_DD1D;
        for stride in [3usize, 257, 1025, 16_384, 32_768, 40_000] {
            let rows = (200_000 / stride).clamp(2, 40);
            let top: Vec<u8> = (0..stride * rows.div_ceil(2))
                .map(|i| match xorshift(&mut seed) % 9 {
                    0 => (xorshift(&mut seed) % 12) as u8,
                    _ => (i / 97 % 3) as u8,
                })
                .collect();
            let mut data = top.clone();
            for r in (0..rows / 2).rev() {
                data.extend_from_slice(&top[r * stride..(r + 1) * stride]);
            }
            assert_eq!(inflate(&zlib(&data, stride)), data, "stride {stride}");
        }
    }

    #[test]
    fn tables_agree_with_the_rfc() {
        for (len, &c) in LENGTH_CODES.iter().enumerate().skip(MIN_MATCH) {
            let s = usize::from(c.symbol);
            assert_eq!(usize::from(LENGTH_BASE[s]) + usize::from(c.extra), len);
            assert!(u32::from(c.extra) < 1 << LENGTH_EXTRA[s]);
        }
        assert_eq!(LENGTH_CODES[258].symbol, 28);
        assert_eq!(LENGTH_CODES[257].symbol, 27);
        for dist in 1..=MAX_DISTANCE {
            let c = dist_code(dist);
            let s = usize::from(c.symbol);
            assert_eq!(usize::from(DIST_BASE[s]) + usize::from(c.extra), dist);
            assert!(u32::from(c.extra) < 1 << DIST_EXTRA[s], "distance {dist}");
        }
    }

    #[test]
    fn adler32_matches_the_rfc_example() {
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
        assert_eq!(adler32(b""), 1);
        // The lane-wise sums against the byte-at-a-time definition, across
        // the 4-byte lanes and the 5552-byte reduction blocks, worst case
        // (all 0xff) included.
        let simple = |data: &[u8]| {
            let (mut a, mut b) = (1u32, 0u32);
            for &x in data {
                a = (a + u32::from(x)) % 65_521;
                b = (b + a) % 65_521;
            }
            b << 16 | a
        };
        let mut seed = 7;
        for len in [
            1, 3, 4, 5, 15, 16, 17, 5551, 5552, 5553, 11_104, 11_120, 100_003,
        ] {
            let noise: Vec<u8> = (0..len).map(|_| xorshift(&mut seed) as u8).collect();
            assert_eq!(adler32(&noise), simple(&noise), "noise {len}");
            let full = vec![0xff; len];
            assert_eq!(adler32(&full), simple(&full), "0xff {len}");
        }
    }

    /// The code-length symbols of a sequence of lengths, position by
    /// position (the header's runs must be these).
    fn run_length(lengths: &[u8]) -> Vec<(u8, u8)> {
        let mut out = Vec::new();
        let mut i = 0;
        // The length symbol 16 would repeat, if one was just sent.
        let mut previous: Option<u8> = None;
        while let Some(&l) = lengths.get(i) {
            let mut run = 1;
            while run < 138 && lengths.get(i + run) == Some(&l) {
                run += 1;
            }
            if l == 0 && run >= 11 {
                let n = run.min(138);
                out.push((18, (n - 11) as u8));
                i += n;
                previous = None;
            } else if l == 0 && run >= 3 {
                out.push((17, (run - 3) as u8));
                i += run;
                previous = None;
            } else if previous == Some(l) && run >= 3 {
                let n = run.min(6);
                out.push((16, (n - 3) as u8));
                i += n;
            } else {
                out.push((l, 0));
                i += 1;
                previous = Some(l);
            }
        }
        out
    }

    #[test]
    fn header_runs_are_those_of_the_whole_sequence() {
        // Lengths with long runs of zeros and of equal lengths, across the
        // boundary between the two codes too.
        let mut seed = 0x005E_ED0F_C0DE;
        for case in 0..2000 {
            let mut lit = [0u8; LIT_SYMBOLS];
            let mut dist = [0u8; DIST_SYMBOLS];
            let density = 1 + xorshift(&mut seed) % 8;
            let mut l = 1 + (xorshift(&mut seed) % 15) as u8;
            for x in lit.iter_mut().chain(dist.iter_mut()) {
                if xorshift(&mut seed) % 8 < density {
                    if xorshift(&mut seed).is_multiple_of(4) {
                        l = 1 + (xorshift(&mut seed) % 15) as u8;
                    }
                    *x = l;
                }
            }
            if case % 7 == 0 {
                lit[256..].fill(0);
            }
            lit[END_OF_BLOCK] = lit[END_OF_BLOCK].max(1);
            let (lit, dist) = (Lengths::from_bits(lit), Lengths::from_bits(dist));
            let header = DynamicHeader::new(&lit, &dist);
            let mut all = lit.bits[..header.hlit].to_vec();
            all.extend_from_slice(&dist.bits[..header.hdist]);
            let expected = run_length(&all);
            let got: Vec<(u8, u8)> = header
                .cl
                .symbols()
                .iter()
                .map(|p| (p.to_le_bytes()[0], p.to_le_bytes()[1]))
                .collect();
            assert_eq!(got, expected, "case {case}");
        }
    }
}
