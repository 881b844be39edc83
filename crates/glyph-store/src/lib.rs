//! A compact, random-access store of pre-outlined glyphs: for a font whose
//! file is too big for every VM to copy whole (the CJK font, 5.65 MB), so a
//! VM copies only the glyphs it draws. ttf-parser needs a font's whole file
//! in one slice; this store is read a few bytes at a time through a
//! [`Source`] (natively a slice, in a VM the module's passive font segment).
//!
//! [`build`] (native: `build.rs` runs it on the font file) writes, all
//! little-endian:
//!
//! ```text
//! header    magic "MGS1", units_per_em u16, coordinates u8 (0 deltas, 1 f32), 0 u8,
//!           entries u32, store length u32                               16 bytes
//! index     entries × (code point u32, record offset u32), sorted by code point
//! records   advance u16, has-ink u8, ink box x_min y_min x_max y_max i16,
//!           commands u16, stream bytes u16                              15 bytes
//!           then the command stream
//! ```
//!
//! The command stream is the glyph's outline exactly as ttf-parser's
//! [`OutlineBuilder`] gave it, in font units. Each command is one opcode
//! byte: the top two bits are its kind (0 move/close, 1 line, 2 quad, 3
//! cubic); the low bits say which coordinates follow (x0 y0 x1 y1 …, bit 0
//! first) — a coordinate without its bit equals the previous point's on that
//! axis (CJK strokes are mostly horizontal and vertical, so most lines carry
//! one coordinate). For kind 0, bit 2 is "close", bit 3 "then move" with
//! bits 0-1 its coordinates. A coordinate is either an exact integer delta
//! from the previous point's (when every coordinate of the font is an
//! integer, as in a CFF font: [`VarInt`] bytes, 1 for |d| ≤ 108) or its f32
//! bits. Replayed coordinates are bit-identical to ttf-parser's.
//!
//! Invariant: nothing read is trusted. Every read is bounded by the
//! store's length, every offset and count checked, a glyph's commands
//! capped at [`MAX_COMMANDS`]; a malformed store reads as absent glyphs,
//! never a panic.

// The filter's rules (src/lib.rs): the store is read from request-driven
// lookups inside the VM.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]

use std::convert::TryFrom;
use ttf_parser::{OutlineBuilder, Rect};

const MAGIC: [u8; 4] = *b"MGS1";
const HEADER_LEN: usize = 16;
const ENTRY_LEN: usize = 8;
const RECORD_HEADER_LEN: usize = 15;
/// Most commands one glyph may have (the CJK font's largest has a few
/// hundred); a record claiming more is malformed.
pub const MAX_COMMANDS: usize = 4096;

/// Where a store's bytes are read from.
pub trait Source {
    /// `len` bytes from `offset`; `None` if they are not all there.
    fn read(&self, offset: usize, len: usize) -> Option<Vec<u8>>;
}

impl Source for [u8] {
    fn read(&self, offset: usize, len: usize) -> Option<Vec<u8>> {
        self.get(offset..offset.checked_add(len)?)
            .map(<[u8]>::to_vec)
    }
}

impl<S: Source + ?Sized> Source for &S {
    fn read(&self, offset: usize, len: usize) -> Option<Vec<u8>> {
        (**self).read(offset, len)
    }
}

/// How a record's coordinates are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coordinates {
    /// Integer deltas from the previous point's, as [`VarInt`].
    Deltas,
    /// Each coordinate's f32 bits.
    Floats,
}

/// One outline command: in a store, in font units, y up, as ttf-parser
/// gives it; in monogram's `Outline` (and so its SVG), in pixels, y down.
/// The one outline type of the workspace.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Command {
    Move(f32, f32),
    Line(f32, f32),
    Quad(f32, f32, f32, f32),
    Cubic(f32, f32, f32, f32, f32, f32),
    Close,
}

impl Command {
    fn replay(&self, to: &mut dyn OutlineBuilder) {
        match *self {
            Command::Move(x, y) => to.move_to(x, y),
            Command::Line(x, y) => to.line_to(x, y),
            Command::Quad(x1, y1, x, y) => to.quad_to(x1, y1, x, y),
            Command::Cubic(x1, y1, x2, y2, x, y) => to.curve_to(x1, y1, x2, y2, x, y),
            Command::Close => to.close(),
        }
    }

    /// Its points' coordinates, x0 y0 x1 y1 …
    #[cfg(not(target_arch = "wasm32"))]
    fn coordinates(&self) -> Vec<f32> {
        match *self {
            Command::Move(x, y) | Command::Line(x, y) => vec![x, y],
            Command::Quad(a, b, x, y) => vec![a, b, x, y],
            Command::Cubic(a, b, c, d, x, y) => vec![a, b, c, d, x, y],
            Command::Close => Vec::new(),
        }
    }
}

/// Records what an outline emits.
#[derive(Debug, Default)]
pub struct Recorder {
    pub commands: Vec<Command>,
}

impl OutlineBuilder for Recorder {
    fn move_to(&mut self, x: f32, y: f32) {
        self.commands.push(Command::Move(x, y));
    }
    fn line_to(&mut self, x: f32, y: f32) {
        self.commands.push(Command::Line(x, y));
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        self.commands.push(Command::Quad(x1, y1, x, y));
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        self.commands.push(Command::Cubic(x1, y1, x2, y2, x, y));
    }
    fn close(&mut self) {
        self.commands.push(Command::Close);
    }
}

/// A signed integer in 1, 2 or 5 bytes: `0..=215` is `b − 108`;
/// `216..=233` then `b1` is `108 + (b − 216)·256 + b1`; `234..=251` then
/// `b1` is `−(109 + (b − 234)·256 + b1)`; `255` then an i32.
struct VarInt;

impl VarInt {
    #[cfg(not(target_arch = "wasm32"))]
    fn write(v: i32, out: &mut Vec<u8>) {
        let byte = |n: i32| u8::try_from(n).unwrap_or(0);
        match v {
            -108..=107 => out.push(byte(v.saturating_add(108))),
            108..=4715 => {
                let d = v.saturating_sub(108);
                out.extend([byte((d / 256).saturating_add(216)), byte(d % 256)]);
            }
            -4716..=-109 => {
                let d = v.saturating_neg().saturating_sub(109);
                out.extend([byte((d / 256).saturating_add(234)), byte(d % 256)]);
            }
            _ => {
                out.push(255);
                out.extend(v.to_le_bytes());
            }
        }
    }

    /// The value at `at`, and the position after it.
    fn read(bytes: &[u8], at: usize) -> Option<(i32, usize)> {
        let b = i32::from(*bytes.get(at)?);
        let next = at.checked_add(1)?;
        match b {
            0..=215 => Some((b.checked_sub(108)?, next)),
            216..=251 => {
                let low = i32::from(*bytes.get(next)?);
                let lead = b.saturating_sub(if b < 234 { 216 } else { 234 });
                let magnitude = lead.checked_mul(256)?.checked_add(low)?;
                let v = if b < 234 {
                    magnitude.checked_add(108)?
                } else {
                    magnitude.checked_add(109)?.checked_neg()?
                };
                Some((v, next.checked_add(1)?))
            }
            255 => {
                let end = next.checked_add(4)?;
                let raw = <[u8; 4]>::try_from(bytes.get(next..end)?).ok()?;
                Some((i32::from_le_bytes(raw), end))
            }
            _ => None,
        }
    }
}

/// Largest coordinate magnitude stored as an integer: every integer up to
/// it is exact in f32.
const EXACT: i32 = 1 << 24;

/// `v` as an integer, if it is one that converts back to the same f32 bits.
fn exact_integer(v: f32) -> Option<i32> {
    let i = v as i32;
    ((i as f32).to_bits() == v.to_bits() && i.checked_abs()? <= EXACT).then_some(i)
}

/// The store of `face`'s glyphs for the code points in `ranges` (inclusive)
/// that it maps to a glyph other than `.notdef`.
#[cfg(not(target_arch = "wasm32"))]
pub fn build(face: &ttf_parser::Face, ranges: &[(u32, u32)]) -> Result<Vec<u8>, String> {
    use std::collections::BTreeMap;

    let in_ranges = |u: u32| ranges.iter().any(|&(a, b)| a <= u && u <= b);
    let mut mapped = BTreeMap::new();
    let cmap = face.tables().cmap.ok_or("no cmap")?;
    for sub in cmap.subtables.into_iter().filter(|s| s.is_unicode()) {
        sub.codepoints(|u| {
            let glyph = char::from_u32(u).and_then(|c| face.glyph_index(c));
            if let Some(id) = glyph.filter(|id| id.0 != 0 && in_ranges(u)) {
                mapped.insert(u, id);
            }
        });
    }
    // Each glyph once, in glyph order, with what ttf-parser says of it.
    let mut glyphs = BTreeMap::new();
    for &id in mapped.values() {
        glyphs.entry(id).or_insert_with(|| {
            let mut recorder = Recorder::default();
            let ink = face.outline_glyph(id, &mut recorder);
            (
                face.glyph_hor_advance(id).unwrap_or(0),
                ink,
                recorder.commands,
            )
        });
    }
    let integers = glyphs
        .values()
        .flat_map(|(_, _, commands)| commands.iter().flat_map(Command::coordinates))
        .all(|v| exact_integer(v).is_some());
    let coordinates = if integers {
        Coordinates::Deltas
    } else {
        Coordinates::Floats
    };

    let too_big = |what: &str| format!("{what} does not fit the store");
    let count = u32::try_from(mapped.len()).map_err(|_| too_big("entries"))?;
    let records_at = mapped
        .len()
        .checked_mul(ENTRY_LEN)
        .and_then(|n| n.checked_add(HEADER_LEN))
        .ok_or_else(|| too_big("index"))?;
    let mut records = Vec::new();
    let mut offsets = BTreeMap::new();
    for (&id, (advance, ink, commands)) in &glyphs {
        let at = records_at
            .checked_add(records.len())
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| too_big("records"))?;
        offsets.insert(id, at);
        let stream = encode(commands, coordinates)?;
        if commands.len() > MAX_COMMANDS {
            return Err(format!("glyph {}: {} commands", id.0, commands.len()));
        }
        let n = u16::try_from(commands.len()).map_err(|_| too_big("commands"))?;
        let len = u16::try_from(stream.len()).map_err(|_| too_big("a glyph's outline"))?;
        let r = ink.unwrap_or(Rect {
            x_min: 0,
            y_min: 0,
            x_max: 0,
            y_max: 0,
        });
        records.extend(advance.to_le_bytes());
        records.push(u8::from(ink.is_some()));
        for v in [r.x_min, r.y_min, r.x_max, r.y_max] {
            records.extend(v.to_le_bytes());
        }
        records.extend(n.to_le_bytes());
        records.extend(len.to_le_bytes());
        records.extend(stream);
    }
    let total = records_at
        .checked_add(records.len())
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| too_big("the store"))?;

    let mut out = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    out.extend(MAGIC);
    out.extend(face.units_per_em().to_le_bytes());
    out.push(match coordinates {
        Coordinates::Deltas => 0,
        Coordinates::Floats => 1,
    });
    out.push(0);
    out.extend(count.to_le_bytes());
    out.extend(total.to_le_bytes());
    for (&u, id) in &mapped {
        out.extend(u.to_le_bytes());
        out.extend(offsets.get(id).ok_or("unplaced glyph")?.to_le_bytes());
    }
    out.extend(records);
    Ok(out)
}

/// The command stream of `commands` (see the module docs).
#[cfg(not(target_arch = "wasm32"))]
fn encode(commands: &[Command], coordinates: Coordinates) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut previous = [0.0f32; 2];
    let mut iter = commands.iter().peekable();
    while let Some(command) = iter.next() {
        let (kind, points) = match command {
            Command::Close => {
                // A close and the move after it share an opcode.
                let then_move = matches!(iter.peek(), Some(Command::Move(..)));
                if !then_move {
                    out.push(0b0100);
                    continue;
                }
                let Some(next) = iter.next() else { continue };
                (0b1100u8, next.coordinates())
            }
            Command::Move(..) => (0b1000, command.coordinates()),
            Command::Line(..) => (0x40, command.coordinates()),
            Command::Quad(..) => (0x80, command.coordinates()),
            Command::Cubic(..) => (0xC0, command.coordinates()),
        };
        let mut mask = 0u8;
        let mut values = Vec::new();
        for (i, &v) in points.iter().enumerate() {
            let axis = i % 2;
            let before = previous.get(axis).copied().unwrap_or(0.0);
            if v.to_bits() != before.to_bits() {
                mask |= 1 << i;
                match coordinates {
                    Coordinates::Deltas => {
                        let (Some(now), Some(was)) = (exact_integer(v), exact_integer(before))
                        else {
                            return Err(format!("coordinate {v} is not an integer"));
                        };
                        VarInt::write(now.saturating_sub(was), &mut values);
                    }
                    Coordinates::Floats => values.extend(v.to_bits().to_le_bytes()),
                }
            }
            if let Some(p) = previous.get_mut(axis) {
                *p = v;
            }
        }
        out.push(kind | mask);
        out.extend(values);
    }
    Ok(out)
}

/// One glyph read from a store.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Horizontal advance, font units.
    pub advance: u16,
    /// Ink box in font units: ttf-parser's `glyph_bounding_box`.
    pub ink: Option<Rect>,
    commands: Vec<Command>,
}

impl Record {
    /// Replays the outline into `to`, as ttf-parser's `outline_glyph`
    /// would; returns the ink box, `None` for a glyph without one.
    pub fn outline(&self, to: &mut dyn OutlineBuilder) -> Option<Rect> {
        for command in &self.commands {
            command.replay(to);
        }
        self.ink
    }

    /// The outline's commands, in order.
    pub fn commands(&self) -> &[Command] {
        &self.commands
    }
}

/// A store, read through its source.
#[derive(Debug)]
pub struct Store<S> {
    source: S,
    pub units_per_em: u16,
    coordinates: Coordinates,
    entries: usize,
    len: usize,
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    let raw = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes(<[u8; 2]>::try_from(raw).ok()?))
}

fn i16_at(bytes: &[u8], at: usize) -> Option<i16> {
    u16_at(bytes, at).map(|v| i16::from_le_bytes(v.to_le_bytes()))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<usize> {
    let raw = bytes.get(at..at.checked_add(4)?)?;
    usize::try_from(u32::from_le_bytes(<[u8; 4]>::try_from(raw).ok()?)).ok()
}

impl<S: Source> Store<S> {
    /// The store in `source`, its header checked; `None` if it is not one.
    pub fn open(source: S) -> Option<Store<S>> {
        let header = source.read(0, HEADER_LEN)?;
        if header.get(..4)? != MAGIC {
            return None;
        }
        let coordinates = match header.get(6)? {
            0 => Coordinates::Deltas,
            1 => Coordinates::Floats,
            _ => return None,
        };
        let entries = u32_at(&header, 8)?;
        let len = u32_at(&header, 12)?;
        let index_end = entries.checked_mul(ENTRY_LEN)?.checked_add(HEADER_LEN)?;
        if index_end > len {
            return None;
        }
        // The store's last byte is there.
        source.read(len.checked_sub(1)?, 1)?;
        Some(Store {
            source,
            units_per_em: u16_at(&header, 4)?,
            coordinates,
            entries,
            len,
        })
    }

    /// How many code points the store maps.
    pub fn entries(&self) -> usize {
        self.entries
    }

    /// Entry `i` of the index: (code point, record offset).
    fn entry(&self, i: usize) -> Option<(u32, usize)> {
        let at = i.checked_mul(ENTRY_LEN)?.checked_add(HEADER_LEN)?;
        let bytes = self.source.read(at, ENTRY_LEN)?;
        let u = u32::try_from(u32_at(&bytes, 0)?).ok()?;
        Some((u, u32_at(&bytes, 4)?))
    }

    /// The code point of entry `i`, in increasing order.
    pub fn code_point(&self, i: usize) -> Option<u32> {
        (i < self.entries).then(|| self.entry(i))?.map(|(u, _)| u)
    }

    /// The glyph of code point `u`, `None` if the store has none (or its
    /// record is malformed).
    pub fn lookup(&self, u: u32) -> Option<Record> {
        let (mut low, mut high) = (0usize, self.entries);
        while low < high {
            let mid = low.checked_add(high.checked_sub(low)? / 2)?;
            let (at, offset) = self.entry(mid)?;
            match at.cmp(&u) {
                std::cmp::Ordering::Less => low = mid.checked_add(1)?,
                std::cmp::Ordering::Greater => high = mid,
                std::cmp::Ordering::Equal => return self.record(offset),
            }
        }
        None
    }

    /// The record at `offset`.
    fn record(&self, offset: usize) -> Option<Record> {
        let within = |at: usize, len: usize| at.checked_add(len).filter(|&end| end <= self.len);
        within(offset, RECORD_HEADER_LEN)?;
        let head = self.source.read(offset, RECORD_HEADER_LEN)?;
        let ink = match head.get(2)? {
            0 => None,
            1 => Some(Rect {
                x_min: i16_at(&head, 3)?,
                y_min: i16_at(&head, 5)?,
                x_max: i16_at(&head, 7)?,
                y_max: i16_at(&head, 9)?,
            }),
            _ => return None,
        };
        let count = usize::from(u16_at(&head, 11)?);
        if count > MAX_COMMANDS {
            return None;
        }
        let stream_at = offset.checked_add(RECORD_HEADER_LEN)?;
        let stream_len = usize::from(u16_at(&head, 13)?);
        within(stream_at, stream_len)?;
        let stream = self.source.read(stream_at, stream_len)?;
        Some(Record {
            advance: u16_at(&head, 0)?,
            ink,
            commands: self.decode(&stream, count)?,
        })
    }

    /// The `count` commands of `stream`, all of it; `None` if it is not
    /// exactly that.
    fn decode(&self, stream: &[u8], count: usize) -> Option<Vec<Command>> {
        let mut commands = Vec::with_capacity(count);
        let mut previous = [0.0f32; 2];
        let mut at = 0;
        while at < stream.len() {
            // Every opcode adds a command: more opcodes than commands
            // (at most MAX_COMMANDS) is a malformed record.
            if commands.len() >= count {
                return None;
            }
            let op = *stream.get(at)?;
            at = at.checked_add(1)?;
            let (kind, mask) = (op >> 6, op & 0x3F);
            // How many coordinates the command has, and the mask's bits
            // that may be set.
            let (coordinates, allowed) = match kind {
                0 => match mask >> 2 {
                    0b01 if mask == 0b0100 => {
                        commands.push(Command::Close);
                        continue;
                    }
                    0b10 => (2, 0b1111),
                    0b11 => {
                        commands.push(Command::Close);
                        (2, 0b1111)
                    }
                    _ => return None,
                },
                1 => (2, 0b11),
                2 => (4, 0b1111),
                _ => (6, 0b11_1111),
            };
            if mask & !allowed != 0 {
                return None;
            }
            let mut v = [0.0f32; 6];
            for (i, slot) in v.iter_mut().enumerate().take(coordinates) {
                let axis = i % 2;
                let before = *previous.get(axis)?;
                *slot = if mask & (1 << i) == 0 {
                    before
                } else {
                    match self.coordinates {
                        Coordinates::Deltas => {
                            let (delta, next) = VarInt::read(stream, at)?;
                            at = next;
                            let now = exact_integer(before)?.checked_add(delta)?;
                            if now.checked_abs()? > EXACT {
                                return None;
                            }
                            now as f32
                        }
                        Coordinates::Floats => {
                            let end = at.checked_add(4)?;
                            let raw = <[u8; 4]>::try_from(stream.get(at..end)?).ok()?;
                            at = end;
                            f32::from_bits(u32::from_le_bytes(raw))
                        }
                    }
                };
                *previous.get_mut(axis)? = *slot;
            }
            commands.push(match kind {
                0 => Command::Move(v[0], v[1]),
                1 => Command::Line(v[0], v[1]),
                2 => Command::Quad(v[0], v[1], v[2], v[3]),
                _ => Command::Cubic(v[0], v[1], v[2], v[3], v[4], v[5]),
            });
        }
        (commands.len() == count).then_some(commands)
    }
}

// Natively: the wasm build has no `build`.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use ttf_parser::Face;

    fn latin() -> Face<'static> {
        Face::parse(include_bytes!("../../../fonts/NotoSans-Bold.subset.ttf"), 0).unwrap()
    }

    /// A small store: Latin capitals A-E and the digits (curves with
    /// half-unit midpoints: f32 coordinates).
    fn small() -> Vec<u8> {
        build(&latin(), &[(0x41, 0x45), (0x30, 0x39)]).unwrap()
    }

    /// Capitals of straight strokes only, E F H I: integer deltas.
    fn straight() -> Vec<u8> {
        build(&latin(), &[(0x45, 0x46), (0x48, 0x49)]).unwrap()
    }

    fn same(a: &[Command], b: &[Command]) -> bool {
        let bits = |c: &[Command]| -> Vec<u32> {
            c.iter()
                .flat_map(|c| {
                    let tag = match c {
                        Command::Move(..) => 0,
                        Command::Line(..) => 1,
                        Command::Quad(..) => 2,
                        Command::Cubic(..) => 3,
                        Command::Close => 4,
                    };
                    std::iter::once(tag).chain(c.coordinates().into_iter().map(f32::to_bits))
                })
                .collect()
        };
        bits(a) == bits(b)
    }

    /// A TrueType font (quadratic outlines, half-unit midpoints): every
    /// glyph of the store is ttf-parser's, to the bit.
    #[test]
    fn a_truetype_font_round_trips() {
        let face = latin();
        let store_bytes = build(&face, &[(0, 0x10FFFF)]).unwrap();
        let store = Store::open(&store_bytes[..]).unwrap();
        assert_eq!(store.units_per_em, face.units_per_em());
        let mut quads = 0;
        for i in 0..store.entries() {
            let u = store.code_point(i).unwrap();
            let id = face.glyph_index(char::from_u32(u).unwrap()).unwrap();
            let record = store.lookup(u).unwrap();
            let mut want = Recorder::default();
            let ink = face.outline_glyph(id, &mut want);
            let mut got = Recorder::default();
            assert_eq!(record.outline(&mut got), ink, "U+{u:04X}");
            assert!(same(&got.commands, &want.commands), "U+{u:04X}");
            assert_eq!(Some(record.advance), face.glyph_hor_advance(id));
            quads += got
                .commands
                .iter()
                .filter(|c| matches!(c, Command::Quad(..)))
                .count();
        }
        assert!(store.entries() > 1000, "{}", store.entries());
        assert!(quads > 1000, "{quads}");
    }

    #[test]
    fn integer_outlines_are_stored_as_deltas() {
        let store = straight();
        assert_eq!(store[6], 0, "deltas");
        assert_eq!(small()[6], 1, "f32");
        let open = Store::open(&store[..]).unwrap();
        assert_eq!(open.entries(), 4);
        let face = latin();
        for c in ['E', 'F', 'H', 'I'] {
            let record = open.lookup(u32::from(c)).unwrap();
            let mut want = Recorder::default();
            face.outline_glyph(face.glyph_index(c).unwrap(), &mut want);
            assert!(same(record.commands(), &want.commands), "{c}");
        }
        // Smaller than the same outlines as f32 pairs.
        let floats: usize = ['E', 'F', 'H', 'I']
            .iter()
            .map(|&c| open.lookup(u32::from(c)).unwrap().commands().len() * 8)
            .sum();
        assert!(store.len() < floats, "{} vs {floats}", store.len());
    }

    #[test]
    fn var_ints_round_trip() {
        let mut values: Vec<i32> = (-5000..5000).collect();
        values.extend([i32::MIN, i32::MAX, -4717, 4716, 1 << 24, -(1 << 24)]);
        for v in values {
            let mut out = Vec::new();
            VarInt::write(v, &mut out);
            let expected_len = match v {
                -108..=107 => 1,
                -4716..=4715 => 2,
                _ => 5,
            };
            assert_eq!(out.len(), expected_len, "{v}");
            assert_eq!(VarInt::read(&out, 0), Some((v, out.len())), "{v}");
            assert_eq!(VarInt::read(&out[..out.len() - 1], 0), None, "{v}");
        }
        for b in 252..=254 {
            assert_eq!(VarInt::read(&[b, 0, 0, 0, 0], 0), None);
        }
    }

    #[test]
    fn absent_code_points_are_none() {
        let bytes = small();
        let store = Store::open(&bytes[..]).unwrap();
        for u in [
            0,
            0x2F,
            0x3A,
            0x40,
            0x46,
            u32::from('a'),
            0x10FFFF,
            u32::MAX,
        ] {
            assert!(store.lookup(u).is_none(), "U+{u:04X}");
        }
        for u in (0x30..=0x39).chain(0x41..=0x45) {
            assert!(store.lookup(u).is_some(), "U+{u:04X}");
        }
        assert_eq!(store.code_point(15), None);
    }

    /// Reads every code point the store maps and a few it does not; must
    /// not panic whatever the bytes.
    fn read_all(bytes: &[u8]) -> usize {
        let Some(store) = Store::open(bytes) else {
            return 0;
        };
        let mut found = 0;
        for u in (0x2F..=0x4A).chain([0, u32::MAX]) {
            if let Some(record) = store.lookup(u) {
                record.outline(&mut Recorder::default());
                found += 1;
            }
        }
        found
    }

    #[test]
    fn truncated_stores_never_panic() {
        for (bytes, entries) in [(small(), 15), (straight(), 4)] {
            assert_eq!(read_all(&bytes), entries);
            for len in 0..bytes.len() {
                read_all(&bytes[..len]);
            }
            // Cut before its last byte, the store is not one.
            assert!(Store::open(&bytes[..bytes.len() - 1]).is_none());
            assert!(Store::open(&bytes[..HEADER_LEN]).is_none());
        }
    }

    #[test]
    fn corrupt_stores_never_panic() {
        for bytes in [small(), straight()] {
            // Every byte set to values that break counts, offsets, opcodes
            // and var-ints.
            for i in 0..bytes.len() {
                for v in [0x00, 0x01, 0x0C, 0x3F, 0x7F, 0x80, 0xC0, 0xD8, 0xFC, 0xFF] {
                    let mut bad = bytes.clone();
                    bad[i] = v;
                    read_all(&bad);
                }
            }
        }
    }

    #[test]
    fn out_of_range_offsets_and_counts_are_rejected() {
        let bytes = small();
        let set_u32 = |b: &mut Vec<u8>, at: usize, v: u32| {
            b[at..at + 4].copy_from_slice(&v.to_le_bytes());
        };
        // An entry count whose index would pass the end.
        let mut bad = bytes.clone();
        set_u32(&mut bad, 8, u32::MAX);
        assert!(Store::open(&bad[..]).is_none());
        // A stated length past the bytes there.
        let mut bad = bytes.clone();
        set_u32(&mut bad, 12, bytes.len() as u32 + 1);
        assert!(Store::open(&bad[..]).is_none());
        // A record offset past the end, and one at the last byte.
        for offset in [u32::MAX, bytes.len() as u32, bytes.len() as u32 - 1] {
            let mut bad = bytes.clone();
            set_u32(&mut bad, HEADER_LEN + 4, offset);
            let store = Store::open(&bad[..]).unwrap();
            assert!(store.lookup(store.code_point(0).unwrap()).is_none());
        }
        // A record that claims more commands than the cap.
        let store = Store::open(&bytes[..]).unwrap();
        let (_, offset) = store.entry(0).unwrap();
        let mut bad = bytes.clone();
        bad[offset + 11..offset + 13].copy_from_slice(&(MAX_COMMANDS as u16 + 1).to_le_bytes());
        let store = Store::open(&bad[..]).unwrap();
        assert!(store.lookup(store.code_point(0).unwrap()).is_none());
        // A wrong magic or coordinate kind.
        for at in [0, 6] {
            let mut bad = bytes.clone();
            bad[at] = 9;
            assert!(Store::open(&bad[..]).is_none());
        }
    }
}
