//! Which writing system a character belongs to, by code-point block (no
//! Unicode script database), in two granularities:
//! - [`Script`], coarse, for the renders-by-script metric: only the first
//!   character of the drawn text counts, and every variant is a time series;
//! - [`Family`], for the initials rules and the text layout: the rule of a
//!   name's first letter, whether letters are written right to left, whether
//!   an initial keeps only its base letter.
//!
//! And which characters count as letters ([`is_letter`]).
//!
//! The blocks are rows of the font table ([`crate::fonts::table`]), beside
//! the font that draws them: `Script::of` and `Family::of` are defined
//! there, from it.

/// A writing system, as a metric label. Deliberately few values: every
/// variant is a time series in the proxy's stats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Script {
    Latin,
    Greek,
    Cyrillic,
    Han,
    Hangul,
    /// Hiragana and katakana.
    Kana,
    Arabic,
    Hebrew,
    Other,
}

impl Script {
    /// Every variant, in a fixed order (metrics are defined from this list).
    pub const ALL: &[Script] = &[
        Script::Latin,
        Script::Greek,
        Script::Cyrillic,
        Script::Han,
        Script::Hangul,
        Script::Kana,
        Script::Arabic,
        Script::Hebrew,
        Script::Other,
    ];

    /// The label value, lower-case ASCII.
    pub fn name(self) -> &'static str {
        match self {
            Script::Latin => "latin",
            Script::Greek => "greek",
            Script::Cyrillic => "cyrillic",
            Script::Han => "han",
            Script::Hangul => "hangul",
            Script::Kana => "kana",
            Script::Arabic => "arabic",
            Script::Hebrew => "hebrew",
            Script::Other => "other",
        }
    }

    /// The script of `text`'s first character; `None` for empty text.
    pub fn of_text(text: &str) -> Option<Script> {
        text.chars().next().map(Script::of)
    }
}

/// The writing systems the initials rules and the layout tell apart: finer
/// than [`Script`] where the rules differ, coarser where they do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    Latin,
    Greek,
    Cyrillic,
    Armenian,
    Georgian,
    /// Hebrew, Arabic, Syriac, Thaana, N'Ko, Adlam and other right-to-left scripts.
    RightToLeft,
    /// Devanagari, Bengali, Tamil, Thai and the other Brahmic and Southeast
    /// Asian abugidas: a letter is a base consonant or independent vowel that
    /// dependent vowel signs and other marks attach to.
    Brahmic,
    /// Tibetan: Brahmic, but a syllable's sounded letter (its root) need not
    /// come first, and a tsheg ends every syllable, not every word.
    Tibetan,
    /// Mongolian: a letter's shape depends on its place in the word, chosen
    /// with variation selectors; an initial is the letter alone, isolated.
    Mongolian,
    /// Han, kana, Hangul, bopomofo.
    Cjk,
    Other,
}

/// How initials are taken from a name, chosen by the script of its first letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// First letter of the first and of the last word.
    Words,
    /// One character: the first of the name (the family name, in native order).
    FirstCharacter,
}

impl Family {
    pub fn rule(self) -> Rule {
        match self {
            Family::Cjk => Rule::FirstCharacter,
            _ => Rule::Words,
        }
    }

    pub fn is_right_to_left(self) -> bool {
        self == Family::RightToLeft
    }

    /// Does an initial in this script keep only its base letter (no marks)?
    /// Brahmic and Tibetan: no dependent vowel signs or subjoined letters
    /// without a shaping engine. Right to left: vowel points and harakat are
    /// optional and would need mark positioning. Mongolian: the variation
    /// selectors choose among positional forms, and an initial is drawn
    /// isolated.
    pub fn keeps_base_only(self) -> bool {
        matches!(
            self,
            Family::Brahmic | Family::Tibetan | Family::RightToLeft | Family::Mongolian
        )
    }
}

/// Does `text` read right to left? Decided by its first letter, as the
/// initials rule is, so the layout draws initials in the order they were taken.
pub fn text_is_right_to_left(text: &str) -> bool {
    text.chars()
        .find(|&c| is_letter(c))
        .is_some_and(|c| Family::of(c).is_right_to_left())
}

/// Can `c` start an initial? A letter (Unicode categories Lu, Ll, Lt, Lo),
/// not a combining mark, modifier letter (ʻ, ー, ـ), letter-like number (Ⅻ),
/// enclosed letter (Ⓐ, 🅰) or Thai/Lao vowel written before its consonant.
pub fn is_letter(c: char) -> bool {
    c.is_alphabetic()
        && !unicode_normalization::char::is_combining_mark(c)
        && !is_modifier_or_number(c)
        && !is_preposed_vowel(c)
}

/// Thai and Lao vowels stored and written before the consonant they follow
/// in speech: a syllable's base consonant comes after them.
pub fn is_preposed_vowel(c: char) -> bool {
    matches!(u32::from(c), 0x0E40..=0x0E44 | 0x0EC0..=0x0EC4)
}

/// The alphabetic characters that are not letters in the initials' sense:
/// modifier letters (Lm), letter numbers (Nl) and enclosed letters (So).
fn is_modifier_or_number(c: char) -> bool {
    matches!(
        u32::from(c),
        0x02B0..=0x02FF // spacing modifier letters: ʻ ʼ ˈ
            | 0x0374 | 0x037A
            | 0x0559 // Armenian modifier letter left half ring
            | 0x0640 // Arabic tatweel
            | 0x06E5..=0x06E6
            | 0x07F4..=0x07F5
            | 0x07FA
            | 0x0E46 // Thai maiyamok
            | 0x0EC6 // Lao ko la
            | 0x17D7 // Khmer lek too (repetition)
            | 0x1843 // Mongolian Todo long vowel sign
            | 0x1C78..=0x1C7D // Ol Chiki length and nasalisation marks
            | 0x10FC
            | 0x16EE..=0x16F0
            | 0x1D2C..=0x1D6A
            | 0x1D78
            | 0x1D9B..=0x1DBF
            | 0x2071 | 0x207F | 0x2090..=0x209C
            | 0x2160..=0x2188 // Roman numerals
            | 0x2460..=0x24FF // enclosed alphanumerics
            | 0x2C7C..=0x2C7D
            | 0x2D6F
            | 0x3005 // 々 iteration mark
            | 0x3007 // 〇
            | 0x3021..=0x3029
            | 0x3031..=0x3035
            | 0x3038..=0x303B
            | 0x309D..=0x309E
            | 0x30FC..=0x30FE // ー prolonged sound mark
            | 0xA015
            | 0xA4F8..=0xA4FD
            | 0xA60C
            | 0xA67F
            | 0xA69C..=0xA69D
            | 0xA717..=0xA71F
            | 0xA770
            | 0xA788
            | 0xA7F8..=0xA7F9
            | 0xA9E6 // Myanmar Shan reduplication
            | 0xAA70
            | 0xAADD
            | 0xAAF3..=0xAAF4
            | 0xFE73 // Arabic tail fragment
            | 0xFF70
            | 0xFF9E..=0xFF9F
            | 0x1E94B // Adlam nasalisation mark
            | 0x1F100..=0x1F1FF // enclosed alphanumeric supplement: 🅰
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direction_follows_the_first_letter() {
        assert!(text_is_right_to_left("مع"));
        assert!(text_is_right_to_left("מA"));
        assert!(!text_is_right_to_left("Aم"));
        assert!(!text_is_right_to_left("王"));
        assert!(!text_is_right_to_left(""));
    }

    #[test]
    fn first_character_decides() {
        for (text, script) in [
            ("AL", Script::Latin),
            ("ÉZ", Script::Latin),
            ("Đ", Script::Latin),
            ("Ỹ", Script::Latin),
            ("ΑΒ", Script::Greek),
            ("ЖК", Script::Cyrillic),
            ("王", Script::Han),
            ("김", Script::Hangul),
            ("さ", Script::Kana),
            ("カ", Script::Kana),
            ("م", Script::Arabic),
            ("ש", Script::Hebrew),
            ("क", Script::Other),
            ("7", Script::Other),
            ("×", Script::Other),
            ("A王", Script::Latin),
            ("王A", Script::Han),
        ] {
            assert_eq!(Script::of_text(text), Some(script), "{text}");
        }
        assert_eq!(Script::of_text(""), None);
    }

    #[test]
    fn names_are_distinct_lower_case_ascii() {
        let names: Vec<&str> = Script::ALL.iter().map(|s| s.name()).collect();
        for (i, n) in names.iter().enumerate() {
            assert!(n.bytes().all(|b| b.is_ascii_lowercase()), "{n}");
            assert!(!names[..i].contains(n), "{n} twice");
        }
    }

    #[test]
    fn scripts_of_sample_letters() {
        for (c, s) in [
            ('A', Family::Latin),
            ('ễ', Family::Latin),
            ('Ω', Family::Greek),
            ('ж', Family::Cyrillic),
            ('Ա', Family::Armenian),
            ('ნ', Family::Georgian),
            ('Ნ', Family::Georgian),
            ('ש', Family::RightToLeft),
            ('م', Family::RightToLeft),
            ('क', Family::Brahmic),
            ('ক', Family::Brahmic),
            ('த', Family::Brahmic),
            ('ก', Family::Brahmic),
            ('ક', Family::Brahmic),
            ('ਕ', Family::Brahmic),
            ('କ', Family::Brahmic),
            ('క', Family::Brahmic),
            ('ಕ', Family::Brahmic),
            ('ക', Family::Brahmic),
            ('ක', Family::Brahmic),
            ('ກ', Family::Brahmic),
            ('က', Family::Brahmic),
            ('ꧠ', Family::Brahmic),
            ('ក', Family::Brahmic),
            ('ཀ', Family::Tibetan),
            ('ᠮ', Family::Mongolian),
            ('ܐ', Family::RightToLeft),
            ('ހ', Family::RightToLeft),
            ('ߞ', Family::RightToLeft),
            ('𞤀', Family::RightToLeft),
            ('𞤢', Family::RightToLeft),
            ('አ', Family::Other),
            ('ⵣ', Family::Other),
            ('ᐊ', Family::Other),
            ('ᱚ', Family::Other),
            ('𠮷', Family::Cjk),
            ('王', Family::Cjk),
            ('さ', Family::Cjk),
            ('ア', Family::Cjk),
            ('김', Family::Cjk),
            ('Ꮳ', Family::Other),
        ] {
            assert_eq!(Family::of(c), s, "{c}");
        }
    }

    #[test]
    fn letters_and_not_letters() {
        for c in [
            'a', 'É', 'ß', 'Ω', 'ж', 'م', 'क', 'ก', '王', 'ア', '김', 'Ꮳ', 'ꮳ', 'ક', 'ཀ', 'ༀ', 'ᠮ',
            'ܐ', 'ހ', 'ߞ', '𞤀', '𞤢', 'አ', 'ⵣ', 'ᐊ', 'ᱚ', '𠮷', 'ສ',
        ] {
            assert!(is_letter(c), "{c}");
        }
        for c in [
            '1', '!', '(', '😀', '\u{301}', '\u{93F}', 'ʻ', 'ー', 'ـ', 'Ⅻ', 'Ⓐ', '🅰', 'เ', '々',
            ' ', 'ໄ', 'ໆ', 'ៗ', 'ᡃ', 'ᱸ', 'ᱻ', 'ꧦ', '𞥋', 'ߵ', '\u{0FB1}', '\u{180B}', '་',
        ] {
            assert!(!is_letter(c), "{c:?}");
        }
    }

    #[test]
    fn only_cjk_takes_the_first_character() {
        assert_eq!(Family::Cjk.rule(), Rule::FirstCharacter);
        for s in [
            Family::Latin,
            Family::RightToLeft,
            Family::Brahmic,
            Family::Tibetan,
            Family::Mongolian,
            Family::Other,
        ] {
            assert_eq!(s.rule(), Rule::Words);
        }
    }
}
