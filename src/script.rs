//! Which writing system a piece of text is in, coarsely, for the
//! renders-by-script metric. Only the first character counts: initials are
//! one to three letters from one name, and a label per character would say
//! nothing more while multiplying metric series.

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
    pub const ALL: [Script; 9] = [
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

    /// The script of one character, by Unicode block. Blocks, not the
    /// Script property: exact enough for a metric, and a few range checks
    /// instead of a table.
    pub fn of(c: char) -> Script {
        match u32::from(c) {
            0x41..=0x5A | 0x61..=0x7A => Script::Latin,
            // Latin-1 letters, Latin Extended-A/B, IPA; the two signs inside are not letters.
            0xC0..=0x24F if c != '×' && c != '÷' => Script::Latin,
            // Latin Extended Additional (Vietnamese), Latin Extended-C/D/E, fullwidth Latin.
            0x1E00..=0x1EFF | 0x2C60..=0x2C7F | 0xA720..=0xA7FF | 0xAB30..=0xAB6F => Script::Latin,
            0xFF21..=0xFF3A | 0xFF41..=0xFF5A => Script::Latin,
            0x370..=0x3FF | 0x1F00..=0x1FFF => Script::Greek,
            0x400..=0x52F | 0x1C80..=0x1C8F | 0x2DE0..=0x2DFF | 0xA640..=0xA69F => Script::Cyrillic,
            0x591..=0x5FF | 0xFB1D..=0xFB4F => Script::Hebrew,
            0x600..=0x6FF | 0x750..=0x77F | 0x8A0..=0x8FF | 0xFB50..=0xFDFF | 0xFE70..=0xFEFF => {
                Script::Arabic
            }
            0x1100..=0x11FF | 0x3130..=0x318F | 0xA960..=0xA97F | 0xAC00..=0xD7FF => Script::Hangul,
            0x3040..=0x30FF | 0x31F0..=0x31FF | 0xFF66..=0xFF9F => Script::Kana,
            // CJK Unified Ideographs, Extension A, compatibility ideographs, and the
            // supplementary-plane extensions.
            0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3134F => Script::Han,
            _ => Script::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
