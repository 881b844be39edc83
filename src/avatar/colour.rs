//! Colours: hex parsing, the default palette, the stable hash that picks a
//! palette entry for a key, and the WCAG 2 contrast rule that picks the text
//! colour. Colours are 8-bit sRGB; luminance and contrast follow WCAG 2.x.

/// An opaque 8-bit sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rgb(pub u8, pub u8, pub u8);

/// White text.
pub const WHITE: Rgb = Rgb(0xFF, 0xFF, 0xFF);
/// Near-black text: softer than pure black on light backgrounds, still > 4.5:1.
pub const INK: Rgb = Rgb(0x1A, 0x1A, 0x1A);

/// The default palette: Material 800-ish tones, each reaching at least 4.5:1
/// against its text colour (checked by a test).
pub const DEFAULT_PALETTE: &[Rgb] = &[
    Rgb(0xC6, 0x28, 0x28),
    Rgb(0xAD, 0x14, 0x57),
    Rgb(0x6A, 0x1B, 0x9A),
    Rgb(0x45, 0x27, 0xA0),
    Rgb(0x28, 0x35, 0x93),
    Rgb(0x15, 0x65, 0xC0),
    Rgb(0x02, 0x77, 0xBD),
    Rgb(0x00, 0x69, 0x5C),
    Rgb(0x2E, 0x7D, 0x32),
    Rgb(0x9E, 0x9D, 0x24),
    Rgb(0xF9, 0xA8, 0x25),
    Rgb(0xEF, 0x6C, 0x00),
    Rgb(0xBF, 0x36, 0x0C),
    Rgb(0x4E, 0x34, 0x2E),
    Rgb(0x37, 0x47, 0x4F),
    Rgb(0x00, 0x60, 0x64),
];

/// The placeholder's background: a neutral grey that belongs to nobody.
pub const PLACEHOLDER_BG: Rgb = Rgb(0x9E, 0x9E, 0x9E);
/// The placeholder's silhouette colour.
pub const PLACEHOLDER_FG: Rgb = Rgb(0xF5, 0xF5, 0xF5);

/// The value of one hex digit (either case): colours here, and the
/// URL's percent-encoding.
pub fn hex_digit(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

impl Rgb {
    /// Parses `RRGGBB` or `RGB` hex, with an optional leading `#`.
    pub fn parse_hex(s: &str) -> Option<Rgb> {
        let s = s.strip_prefix('#').unwrap_or(s);
        if !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let digit = |i: usize| s.as_bytes().get(i).copied().and_then(hex_digit);
        match s.len() {
            6 => Some(Rgb(
                digit(0)? << 4 | digit(1)?,
                digit(2)? << 4 | digit(3)?,
                digit(4)? << 4 | digit(5)?,
            )),
            3 => Some(Rgb(
                digit(0)?.saturating_mul(17),
                digit(1)?.saturating_mul(17),
                digit(2)?.saturating_mul(17),
            )),
            _ => None,
        }
    }

    /// `RRGGBB`, lower-case, no `#`.
    pub fn hex(self) -> String {
        format!("{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// WCAG 2 relative luminance, 0.0 (black) ..= 1.0 (white).
    pub fn luminance(self) -> f64 {
        fn channel(c: u8) -> f64 {
            let c = f64::from(c) / 255.0;
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        }
        0.2126 * channel(self.0) + 0.7152 * channel(self.1) + 0.0722 * channel(self.2)
    }
}

/// WCAG 2 contrast ratio between two colours, 1.0 ..= 21.0.
pub fn contrast(a: Rgb, b: Rgb) -> f64 {
    let (la, lb) = (a.luminance(), b.luminance());
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}

/// The text colour (white or near-black) with the better contrast on `bg`.
pub fn text_colour_for(bg: Rgb) -> Rgb {
    if contrast(bg, WHITE) >= contrast(bg, INK) {
        WHITE
    } else {
        INK
    }
}

/// 64-bit FNV-1a. Chosen because it is fixed forever: every worker, every
/// restart and every future version must map a key to the same colour, which
/// rules out std's randomly seeded hasher.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The palette entry for `key`. `palette` must not be empty (config guarantees it).
pub fn pick(palette: &[Rgb], key: &str) -> Rgb {
    let len = palette.len().max(1) as u64;
    let index = fnv1a(key.as_bytes()).checked_rem(len).unwrap_or(0) as usize;
    palette.get(index).copied().unwrap_or(PLACEHOLDER_BG)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hex_forms() {
        assert_eq!(Rgb::parse_hex("ff8800"), Some(Rgb(255, 136, 0)));
        assert_eq!(Rgb::parse_hex("#FF8800"), Some(Rgb(255, 136, 0)));
        assert_eq!(Rgb::parse_hex("f80"), Some(Rgb(255, 136, 0)));
        assert_eq!(Rgb::parse_hex("#abc"), Some(Rgb(0xaa, 0xbb, 0xcc)));
        for bad in [
            "", "#", "ff88", "ff88001", "gg0000", "+f8000", "ff 800", "é12",
        ] {
            assert_eq!(Rgb::parse_hex(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn hex_round_trips() {
        assert_eq!(Rgb(1, 2, 255).hex(), "0102ff");
    }

    #[test]
    fn contrast_matches_wcag_examples() {
        assert!((contrast(WHITE, Rgb(0, 0, 0)) - 21.0).abs() < 1e-9);
        assert!((contrast(WHITE, WHITE) - 1.0).abs() < 1e-9);
        // #767676 on white is the classic just-passing grey (4.54:1).
        let c = contrast(WHITE, Rgb(0x76, 0x76, 0x76));
        assert!(c > 4.5 && c < 4.6, "{c}");
    }

    #[test]
    fn every_default_palette_entry_reaches_aa_contrast() {
        assert!(DEFAULT_PALETTE.len() >= 12);
        for &bg in DEFAULT_PALETTE {
            let c = contrast(bg, text_colour_for(bg));
            assert!(c >= 4.5, "#{} reaches only {c:.2}:1", bg.hex());
        }
    }

    #[test]
    fn text_colour_flips_on_light_backgrounds() {
        assert_eq!(text_colour_for(Rgb(0, 0, 0x80)), WHITE);
        assert_eq!(text_colour_for(Rgb(0xff, 0xeb, 0x3b)), INK);
    }

    #[test]
    fn fnv1a_is_the_published_function() {
        // Test vectors from the FNV reference.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn pick_is_stable_and_spreads() {
        assert_eq!(
            pick(DEFAULT_PALETTE, "di wu"),
            pick(DEFAULT_PALETTE, "di wu")
        );
        let used: std::collections::HashSet<Rgb> = (0..200)
            .map(|i| pick(DEFAULT_PALETTE, &format!("user{i}")))
            .collect();
        assert!(used.len() >= 12, "only {} colours used", used.len());
    }
}
