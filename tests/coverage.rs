//! Every character the initials rules can emit for the scripts monogram
//! promises has a glyph in an embedded font: no tofu, no placeholder for a
//! real name. Walks each promised range, applies the rules to each letter as
//! a one-letter name (and Latin, Greek and Cyrillic letters with each
//! combining mark), and checks every emitted character.

use monogram::{initials, initials_drawable, is_letter, Fonts};
use std::path::Path;

/// The promised ranges, by script.
const RANGES: &[(&str, &[(u32, u32)])] = &[
    (
        "Latin (with Vietnamese, IPA letters, fullwidth, ligatures)",
        &[
            (0x0041, 0x024F),
            (0x0250, 0x02AF),
            (0x1E00, 0x1EFF),
            (0xFB00, 0xFB06),
            (0xFF21, 0xFF5A),
        ],
    ),
    // Not the Coptic letters of the Greek block (U+03E2..U+03EF).
    (
        "Greek",
        &[(0x0370, 0x03E1), (0x03F0, 0x03FF), (0x1F00, 0x1FFF)],
    ),
    ("Cyrillic", &[(0x0400, 0x052F)]),
    ("Armenian", &[(0x0531, 0x058F), (0xFB13, 0xFB17)]),
    (
        "Georgian",
        &[(0x10A0, 0x10FF), (0x1C90, 0x1CBF), (0x2D00, 0x2D2F)],
    ),
    // Not U+05EF (yod triangle, Unicode 11): the Debian font predates it.
    (
        "Hebrew",
        &[(0x0590, 0x05EE), (0x05F0, 0x05FF), (0xFB1D, 0xFB4F)],
    ),
    // Not U+08B5 and U+08BF..U+08C9 (Unicode 13-14, for African and
    // Qur'anic orthographies): the Debian font predates them.
    (
        "Arabic",
        &[
            (0x0600, 0x06FF),
            (0x0750, 0x077F),
            (0x08A0, 0x08B4),
            (0x08B6, 0x08BE),
            (0x08CA, 0x08FF),
            (0xFB50, 0xFDFF),
            (0xFE70, 0xFEFF),
        ],
    ),
    ("Devanagari", &[(0x0900, 0x097F)]),
    ("Bengali", &[(0x0980, 0x09FF)]),
    ("Tamil", &[(0x0B80, 0x0BFF)]),
    ("Thai", &[(0x0E00, 0x0E7F)]),
    ("Gujarati", &[(0x0A80, 0x0AFF)]),
    ("Gurmukhi", &[(0x0A00, 0x0A7F)]),
    ("Odia", &[(0x0B00, 0x0B7F)]),
    // Not U+0C5C..U+0C5D and U+0CDC..U+0CDD (nakaara pollu, Unicode 14-15):
    // the Debian fonts predate them.
    ("Telugu", &[(0x0C00, 0x0C5B), (0x0C5E, 0x0C7F)]),
    ("Kannada", &[(0x0C80, 0x0CDB), (0x0CDE, 0x0CFF)]),
    ("Malayalam", &[(0x0D00, 0x0D7F)]),
    ("Sinhala", &[(0x0D80, 0x0DFF)]),
    // Not the letters for Pali added in Unicode 12 (U+0E86, U+0E89, U+0E8C,
    // U+0E8E..U+0E93, U+0E98, U+0EA0, U+0EA8, U+0EA9, U+0EAC): the Debian font
    // predates them.
    (
        "Lao",
        &[
            (0x0E80, 0x0E85),
            (0x0E87, 0x0E88),
            (0x0E8A, 0x0E8B),
            (0x0E8D, 0x0E8D),
            (0x0E94, 0x0E97),
            (0x0E99, 0x0E9F),
            (0x0EA1, 0x0EA7),
            (0x0EAA, 0x0EAB),
            (0x0EAD, 0x0EFF),
        ],
    ),
    ("Tibetan", &[(0x0F00, 0x0FFF)]),
    (
        "Myanmar (with Shan, Khamti, Aiton)",
        &[(0x1000, 0x109F), (0xAA60, 0xAA7F), (0xA9E0, 0xA9FF)],
    ),
    ("Khmer", &[(0x1780, 0x17FF)]),
    (
        "Ethiopic",
        &[(0x1200, 0x139F), (0x2D80, 0x2DDF), (0xAB00, 0xAB2F)],
    ),
    ("Syriac", &[(0x0700, 0x074F)]),
    ("Thaana", &[(0x0780, 0x07BF)]),
    ("N'Ko", &[(0x07C0, 0x07FF)]),
    ("Adlam", &[(0x1E900, 0x1E95F)]),
    ("Tifinagh", &[(0x2D30, 0x2D7F)]),
    ("Cherokee", &[(0x13A0, 0x13FF), (0xAB70, 0xABBF)]),
    (
        "Canadian Aboriginal syllabics",
        &[(0x1400, 0x167F), (0x18B0, 0x18FF)],
    ),
    ("Ol Chiki", &[(0x1C50, 0x1C7F)]),
    ("Mongolian", &[(0x1800, 0x18AF)]),
    ("Hangul", &[(0xAC00, 0xD7A3), (0x3131, 0x318E)]),
    (
        "Kana",
        &[(0x3041, 0x30FF), (0x31F0, 0x31FF), (0xFF66, 0xFF9D)],
    ),
];

/// Runs the rules on `name` and lists every emitted character without a glyph.
fn missing(fonts: &Fonts, name: &str, out: &mut Vec<String>) -> usize {
    let emitted = initials_drawable(name, 3, |c| fonts.has_glyph(c));
    for c in emitted.chars() {
        if !fonts.has_glyph(c) {
            out.push(format!(
                "{name:?} → {emitted:?}: U+{:04X} {c}",
                u32::from(c)
            ));
        }
    }
    emitted.chars().count()
}

#[test]
fn every_emitted_character_has_a_glyph() {
    let fonts = Fonts::get().unwrap();
    let mut gaps = Vec::new();
    for (script, ranges) in RANGES {
        let mut emitted = 0;
        let letters = ranges
            .iter()
            .flat_map(|&(a, b)| (a..=b).filter_map(char::from_u32))
            .filter(|&c| is_letter(c));
        for c in letters {
            emitted += missing(fonts, &c.to_string(), &mut gaps);
        }
        assert!(emitted > 20, "{script}: only {emitted} characters emitted");
    }
    // Hangul: every one of the 11,172 precomposed syllables.
    let syllables = (0xAC00..=0xD7A3).filter_map(char::from_u32).count();
    assert_eq!(syllables, 11_172);
    assert!(gaps.is_empty(), "{} gaps:\n{}", gaps.len(), gaps.join("\n"));
}

#[test]
fn tibetan_roots_under_a_superscript_have_glyphs() {
    // A subjoined letter under ར, ལ or ས is the syllable's root, drawn in its
    // full form: every subjoined letter (U+0F90..U+0FBC) that way.
    let fonts = Fonts::get().unwrap();
    let mut gaps = Vec::new();
    let mut emitted = 0;
    for top in ['ར', 'ལ', 'ས'] {
        for sub in (0x0F90..=0x0FBC).filter_map(char::from_u32) {
            emitted += missing(fonts, &format!("{top}{sub}"), &mut gaps);
        }
    }
    assert!(emitted > 100, "{emitted}");
    assert!(gaps.is_empty(), "{} gaps:\n{}", gaps.len(), gaps.join("\n"));
}

#[test]
fn accented_letters_have_their_marks() {
    let fonts = Fonts::get().unwrap();
    let mut gaps = Vec::new();
    for base in ['a', 'A', 'q', 'ω', 'ж'] {
        for mark in (0x0300..=0x036F).filter_map(char::from_u32) {
            missing(fonts, &format!("{base}{mark}"), &mut gaps);
        }
    }
    assert!(gaps.is_empty(), "{} gaps:\n{}", gaps.len(), gaps.join("\n"));
}

#[test]
fn han_used_in_names_has_glyphs() {
    let fonts = Fonts::get().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fonts");
    // (list made by fonts/subset.sh from Python's codecs, ideographs expected)
    for (file, count) in [
        ("han-gb2312.txt", 6_763),
        ("han-jisx0208.txt", 6_355),
        ("han-big5.txt", 13_051),
        ("han-jisx0213-extb.txt", 303),
        ("han-hkscs-extb.txt", 1_682),
        ("han-adobe-japan1-extb.txt", 347),
    ] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        let han: Vec<char> = text.trim_end().chars().collect();
        assert_eq!(han.len(), count, "{file}");
        let mut gaps = Vec::new();
        for c in han {
            // Each character is a one-character name: the CJK rule emits it.
            assert_eq!(initials(&c.to_string(), 2), c.to_string(), "{file}: {c}");
            missing(fonts, &c.to_string(), &mut gaps);
        }
        assert!(
            gaps.is_empty(),
            "{file}: {} gaps:\n{}",
            gaps.len(),
            gaps.join("\n")
        );
    }
}
