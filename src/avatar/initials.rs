//! From a person's name to the text drawn on the avatar, and to the key its
//! colour is picked from.
//!
//! The name is NFC-normalised and read as extended grapheme clusters
//! (UAX #29), never bytes or UTF-16 units, so `e` + combining acute and `é`
//! are the same initial and an emoji is never split. Bracketed parts are
//! dropped; words are split on white space (an email address: its local part
//! on `.`, `_`, `-`, `+`). A word's initial is its first letter cluster
//! (see [`script::is_letter`]): punctuation, digits, emoji and symbols are
//! skipped, so words without a letter do not count.
//!
//! The script of the name's first letter picks the rule ([`Rule`]):
//! - Han, kana, Hangul: that one character (the family name in native order).
//! - everything else: first letter of the first and of the last word
//!   (`length` = 1 takes the first word only, 3 the first two and the last).
//!
//! Tibetan writes no spaces between words: a tsheg (་) ends every syllable,
//! and personal names are made of two-syllable names (བསྟན་འཛིན Tenzin,
//! རྒྱ་མཚོ Gyatso), so a Tibetan word is two syllables ([`tibetan_words`]),
//! and its letter is its first syllable's root letter ([`tibetan_root`]).
//!
//! Each letter is then drawn as: Latin, Greek, Cyrillic, Armenian, Georgian
//! and others: the whole cluster (accents kept) upper-cased with Unicode's
//! full case mapping, no locale tailoring; Brahmic, Tibetan, Mongolian and
//! right-to-left scripts: the base letter alone, without vowel signs, points
//! or variation selectors. Compatibility forms (fullwidth, halfwidth,
//! presentation forms, ligatures, mathematical letters) are folded to their
//! ordinary letters first. The result is NFC.

use crate::fonts::script::{self, Family, Rule};
use std::borrow::Cow;
use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

/// Most characters an avatar draws: initials taken from a name (`length`)
/// or given (`initials`). Every other statement of this limit is derived.
pub const MAX_INITIALS: u8 = 3;

/// The colour key of a name: NFC, trimmed, whitespace collapsed, lower-cased,
/// so `Di Wu` and ` di  wu ` (and composed and decomposed accents) get the
/// same colour.
pub fn normalise(name: &str) -> String {
    name.nfc()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The initials of `name`, at most `length` of them (one for CJK names);
/// empty when the name has no usable letter (the caller then draws the
/// placeholder). Each letter is upper-cased if `uppercase`, keeping its own
/// case where `can_draw` lacks a character of its upper-case form (a capital
/// added to Unicode after the embedded fonts were made, such as U+A7CB Ɤ: a
/// lower-case initial beats the placeholder); otherwise each keeps its case
/// as written in the name (`ada lovelace` → `al`), as ui-avatars'
/// `uppercase=false` asks.
pub fn initials(
    name: &str,
    length: u8,
    uppercase: bool,
    can_draw: impl Fn(char) -> bool,
) -> String {
    let name: String = name.nfc().collect();
    let name = without_brackets(&name);
    let letters: Vec<Letter> = words(&name)
        .into_iter()
        .flat_map(tibetan_words)
        .filter_map(first_letter)
        .collect();
    let Some(first) = letters.first() else {
        return String::new();
    };
    let length = match first.family.rule() {
        Rule::FirstCharacter => 1,
        Rule::Words => usize::from(length.clamp(1, MAX_INITIALS)),
    };
    let picked: Vec<&Letter> = if letters.len() <= length {
        letters.iter().collect()
    } else if length == 1 {
        vec![first]
    } else {
        // The first `length - 1` words, then the last: "Mary Ann Smith" → MS.
        let head = letters.iter().take(length.saturating_sub(1));
        head.chain(letters.last()).collect()
    };
    picked
        .iter()
        .map(|l| {
            if uppercase {
                l.drawn(&can_draw)
            } else {
                l.kept().to_string()
            }
        })
        .collect::<String>()
        .nfc()
        .collect()
}

/// The number of user-perceived characters (extended grapheme clusters) in
/// `text`: what the limit of an `initials` override ([`MAX_INITIALS`]) counts.
pub fn grapheme_count(text: &str) -> usize {
    text.graphemes(true).count()
}

/// A word's first letter: one grapheme cluster, folded, and its script family.
#[derive(Debug)]
struct Letter {
    cluster: String,
    family: Family,
}

impl Letter {
    /// The letter in its own case: the whole cluster, or for Brahmic and
    /// right-to-left letters the base character alone.
    fn kept(&self) -> &str {
        if self.family.keeps_base_only() {
            self.cluster
                .get(..self.cluster.chars().next().map_or(0, char::len_utf8))
                .unwrap_or_default()
        } else {
            self.cluster.as_str()
        }
    }

    /// The letter as drawn: upper-cased; Brahmic and right-to-left letters
    /// reduced to their base character (no vowel signs, viramas, nuktas,
    /// harakat or points: drawing those right needs a shaping engine).
    fn drawn(&self, can_draw: impl Fn(char) -> bool) -> String {
        let kept = self.kept();
        let upper: String = kept.chars().flat_map(char::to_uppercase).collect();
        if upper.chars().all(can_draw) {
            upper
        } else {
            kept.to_string()
        }
    }
}

fn first_letter(word: &str) -> Option<Letter> {
    word.grapheme_indices(true).find_map(|(at, g)| {
        let first = g.chars().next()?;
        if !script::is_letter(first) {
            return None;
        }
        if Family::of(first) == Family::Tibetan {
            return Some(Letter {
                cluster: tibetan_root(word.get(at..)?)?.to_string(),
                family: Family::Tibetan,
            });
        }
        let folded = fold(g);
        let cluster = folded
            .graphemes(true)
            .find(|h| h.chars().next().is_some_and(script::is_letter))?;
        let family = Family::of(cluster.chars().next()?);
        Some(Letter {
            cluster: cluster.to_string(),
            family,
        })
    })
}

/// Tibetan syllable ends: tsheg, non-breaking tsheg, the shads (clause and
/// verse ends) and gter tsheg.
fn is_tibetan_syllable_end(c: char) -> bool {
    matches!(u32::from(c), 0x0F0B..=0x0F12 | 0x0F14)
}

/// A word, cut into Tibetan words of two syllables each: `བསྟན་འཛིན་རྒྱ་མཚོ`
/// → `བསྟན་འཛིན་`, `རྒྱ་མཚོ`. Tibetan personal names are built of
/// two-syllable names and written without spaces, so two syllables is where
/// a name's parts meet; a name written with spaces between its parts is cut
/// the same way. A word without a tsheg is returned whole.
fn tibetan_words(word: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    // `second`: one syllable of the current part has ended.
    let (mut start, mut second, mut in_syllable) = (0, false, false);
    for (i, c) in word.char_indices() {
        if !is_tibetan_syllable_end(c) {
            in_syllable = true;
            continue;
        }
        if in_syllable {
            in_syllable = false;
            if second {
                let end = i.saturating_add(c.len_utf8());
                parts.extend(word.get(start..end));
                start = end;
            }
            second = !second;
        }
    }
    parts.extend(word.get(start..).filter(|rest| !rest.is_empty()));
    parts
}

/// The root letter of the Tibetan syllable `syllable` starts (it may run on
/// past the syllable's end): the letter that is sounded and under which
/// dictionaries file the syllable, in its full (not subjoined) form. A
/// syllable is stacks of letters: a base letter with subjoined letters and
/// vowel signs below or above it. Before the root there may be a silent
/// prefix letter (ག ད བ མ འ) and, in the root's stack, a superscript (ར ལ ས)
/// over it; after it, subscripts (ya, ra, la, wa) in its stack and suffix
/// letters. So: `བསྟན` (bstan, Tenzin's first syllable) → ཏ, `རྒྱ` → ག, `འཛིན`
/// → ཛ, `བློ` → བ, `དབང` → བ, `ཚེ` → ཚ. A syllable that does not start with a
/// consonant (ༀ) is its own first letter.
fn tibetan_root(syllable: &str) -> Option<char> {
    /// A base letter, its first subjoined letter, whether it carries a vowel sign.
    struct Stack {
        base: char,
        sub: Option<char>,
        vowel: bool,
    }
    let first_char = syllable.chars().next()?;
    let mut stacks: Vec<Stack> = Vec::new();
    for c in syllable.chars() {
        match u32::from(c) {
            0x0F40..=0x0F6C => stacks.push(Stack {
                base: c,
                sub: None,
                vowel: false,
            }),
            0x0F90..=0x0FBC => {
                if let Some(s) = stacks.last_mut() {
                    s.sub = s.sub.or(Some(c));
                }
            }
            0x0F71..=0x0F7D | 0x0F80..=0x0F81 => {
                if let Some(s) = stacks.last_mut() {
                    s.vowel = true;
                }
            }
            _ if is_tibetan_syllable_end(c) || Family::of(c) != Family::Tibetan => break,
            _ => {}
        }
    }
    let is_prefix = |c: char| matches!(c, 'ག' | 'ད' | 'བ' | 'མ' | 'འ');
    // In a stack, a superscript's root is the letter under it; a subscript's
    // root is the letter over it.
    let root_of = |s: &Stack| match s.sub {
        Some(sub) if matches!(s.base, 'ར' | 'ལ' | 'ས') && !is_subscript(sub) => {
            full_form(sub).unwrap_or(s.base)
        }
        _ => s.base,
    };
    let mut it = stacks.iter();
    let (Some(first), second) = (it.next(), it.next()) else {
        return Some(first_char);
    };
    if first.base != first_char {
        return Some(first_char);
    }
    Some(match second {
        _ if first.sub.is_some() || first.vowel => root_of(first),
        Some(second) if is_prefix(first.base) => {
            if second.sub.is_some() || second.vowel {
                root_of(second)
            } else if stacks.len() == 2 {
                // Two bare letters: root and suffix (དག dag, མང mang).
                first.base
            } else {
                // Prefix, root, suffix (བཀའ bka', དབང dbang, གནས gnas).
                second.base
            }
        }
        _ => first.base,
    })
}

/// The subjoined letters that are subscripts (ya, ra, la, wa and the fixed
/// forms of wa, ya, ra): the letter over them is the root.
fn is_subscript(c: char) -> bool {
    matches!(u32::from(c), 0x0FAD | 0x0FB1..=0x0FB3 | 0x0FBA..=0x0FBC)
}

/// A subjoined Tibetan letter's full form (ྟ → ཏ), if it has one.
fn full_form(subjoined: char) -> Option<char> {
    let full = match u32::from(subjoined) {
        0x0FBA => 0x0F5D,
        0x0FBB => 0x0F61,
        0x0FBC => 0x0F62,
        u => u.saturating_sub(0x50),
    };
    char::from_u32(full).filter(|&c| script::is_letter(c))
}

/// Compatibility forms to their ordinary letters (NFKC), only in the blocks
/// where that is what a reader sees: letterlike symbols (ℍ), alphabetic and
/// Arabic presentation forms (ﬁ, ﬓ, ﻣ), half- and fullwidth forms (Ａ, ｼﾞ),
/// mathematical alphanumerics (𝐉), the kana digraphs ゟ and ヿ. Elsewhere NFKC would change letters
/// (Hangul compatibility jamo to conjoining jamo) or turn symbols into text.
fn fold(cluster: &str) -> Cow<'_, str> {
    let compat = |c: char| {
        matches!(
            u32::from(c),
            0x2100..=0x214F
                | 0xFB00..=0xFDFF
                | 0xFE70..=0xFEFF
                | 0xFF00..=0xFFEF
                | 0x1D400..=0x1D7FF
                | 0x1EE00..=0x1EEFF
                | 0x309F // ゟ, the digraph より
                | 0x30FF // ヿ, the digraph コト
        )
    };
    if cluster.chars().any(compat) {
        Cow::Owned(cluster.nfkc().collect())
    } else {
        Cow::Borrowed(cluster)
    }
}

/// Drops bracketed parts: `John Smith (Sales)` → `John Smith`. Brackets nest;
/// a bracket never closed drops the rest of the name, a stray closing one is
/// ignored. Each dropped part leaves a space, so it also separates words.
fn without_brackets(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut depth = 0usize;
    for c in name.chars() {
        match c {
            '(' | '[' | '{' | '（' | '［' | '｛' | '【' | '〔' | '〖' => {
                if depth == 0 {
                    out.push(' ');
                }
                depth = depth.saturating_add(1);
            }
            ')' | ']' | '}' | '）' | '］' | '｝' | '】' | '〕' | '〗' => {
                depth = depth.saturating_sub(1);
            }
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

fn words(name: &str) -> Vec<&str> {
    let name = name.trim();
    let (local, domain) = name.rsplit_once('@').unwrap_or((name, ""));
    let is_email = !local.is_empty() && !domain.is_empty() && !local.contains(char::is_whitespace);
    if is_email {
        local
            .split(['.', '_', '-', '+'])
            .filter(|w| !w.is_empty())
            .collect()
    } else {
        name.split_whitespace().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Upper-cased initials, every character drawable.
    fn initials(name: &str, length: u8) -> String {
        super::initials(name, length, true, |_| true)
    }

    fn initials_drawable(name: &str, length: u8, can_draw: impl Fn(char) -> bool) -> String {
        super::initials(name, length, true, can_draw)
    }

    /// (name, expected initials at the default length 2). At least 100 names
    /// across every script the rules distinguish.
    const TABLE: &[(&str, &str)] = &[
        // Latin: first and last word, accents kept, full upper-casing.
        ("Ada Lovelace", "AL"),
        ("Mary Ann Smith", "MS"),
        ("Madonna", "M"),
        ("ada lovelace", "AL"),
        ("  Ada   Lovelace  ", "AL"),
        ("Di Wu", "DW"),
        ("Tim Berners-Lee", "TB"),
        ("Jean-Luc Picard", "JP"),
        ("Élodie Ñúñez", "ÉÑ"),
        ("e\u{301}lodie n\u{303}u\u{301}n\u{303}ez", "ÉÑ"),
        ("Zoë Saldaña", "ZS"),
        ("Søren Kierkegaard", "SK"),
        ("Ægir Þórsson", "ÆÞ"),
        ("Łukasz Żółć", "ŁŻ"),
        ("Çağla Şahin", "ÇŞ"),
        ("istanbul ılgaz", "II"),
        ("Dvořák Čapek", "DČ"),
        ("Ōtsuka Ūta", "ŌŪ"),
        ("Nguyễn Văn An", "NA"),
        ("Đặng Thị Ánh", "ĐÁ"),
        ("Ưng Hoàng Phúc", "ƯP"),
        ("Ẩn \u{110}ức", "Ẩ\u{110}"),
        ("Ɓello Ɗanjuma", "ƁƊ"),
        ("ɛkua ŋɔzi", "ƐŊ"),
        ("José María Aznar-López", "JA"),
        ("O'Brien Seán", "OS"),
        ("d'Artagnan", "D"),
        ("van der Waals", "VW"),
        ("John Smith (Sales)", "JS"),
        ("John [ext] Smith", "JS"),
        ("Jane Doe {contractor}", "JD"),
        ("Jane (Doe", "J"),
        ("J. R. R. Tolkien", "JT"),
        ("\"Johnny\" Cash", "JC"),
        ("¡Ana! ¿Luz?", "AL"),
        ("Agent 007 Bond", "AB"),
        ("R2D2 Droid", "RD"),
        ("42 Ada", "A"),
        ("Ａｄａ Ｌｏｖｅｌａｃｅ", "AL"),
        ("𝐉𝐨𝐡𝐧 𝐒𝐦𝐢𝐭𝐡", "JS"),
        ("ﬁona ﬂynn", "FF"),
        ("ǆemal ǉubić", "\u{1C4}\u{1C7}"),
        ("ʻIolani Kealoha", "IK"),
        ("jane.doe@example.com", "JD"),
        ("john_q_public@example.com", "JP"),
        ("x-ae-a-12+tag@example.com", "XT"),
        ("bob@example.com", "B"),
        ("Q\u{303}uentin Z\u{30C}", "Q\u{303}\u{17D}"),
        // Greek.
        ("Αλέξανδρος Παπαδόπουλος", "ΑΠ"),
        ("Ελένη Οικονόμου", "ΕΟ"),
        ("άννα ήλιος", "ΆΉ"),
        ("ωμέγα", "Ω"),
        ("Ἀλέξανδρος ὁ Μέγας", "ἈΜ"),
        // Cyrillic.
        ("Владимир Набоков", "ВН"),
        ("анна каренина", "АК"),
        ("Ёлка Ёжикова", "ЁЁ"),
        ("Їжак Ґудзь", "ЇҐ"),
        ("Шамиль Ҳасанов", "ШҲ"),
        ("Мария-Тереза Иванова", "МИ"),
        // Armenian: upper-cased; the ligature և maps to two capitals.
        ("Արամ Խաչատրյան", "ԱԽ"),
        ("արամ խաչատրյան", "ԱԽ"),
        ("Շառլ Ազնավուր", "ՇԱ"),
        ("և", "ԵՒ"),
        // Georgian: Mkhedruli upper-cases to Mtavruli.
        ("ნინო ბერიძე", "ᲜᲑ"),
        ("Ნინო Ბერიძე", "ᲜᲑ"),
        ("ილია ჭავჭავაძე", "ᲘᲭ"),
        // Han, kana, Hangul: the first character of the name.
        ("王小明", "王"),
        ("王 小明", "王"),
        ("毛泽东", "毛"),
        ("欧阳娜娜", "欧"),
        ("張學友", "張"),
        ("山田太郎", "山"),
        ("山田 太郎", "山"),
        ("さくら", "さ"),
        ("ジョン・スミス", "ジ"),
        ("ｼﾞｮﾝ", "ジ"),
        ("김민준", "김"),
        ("이 서연", "이"),
        ("김민준 Kim", "김"),
        ("\u{1100}\u{1161}\u{11A8}", "각"),
        // Extension B: Adobe-Japan1 (𠮷, the "tsuchiyoshi" of 𠮷田), JIS X
        // 0213 (𣘺, a form of 橋), HKSCS (𤋮, a form of 熙).
        ("𠮷田太郎", "𠮷"),
        ("𣘺本", "𣘺"),
        ("𤋮 陳", "𤋮"),
        // Latin-written CJK names follow the Latin rule.
        ("Wang Xiaoming", "WX"),
        ("Yamada Taro", "YT"),
        ("Kim Min-jun", "KM"),
        // Right to left: first and last word, base letters only.
        ("محمد علي", "مع"),
        ("مُحَمَّد عَلِيّ", "مع"),
        ("أحمد الفاروق", "أا"),
        ("فاطمة الزهراء بنت محمد", "فم"),
        ("ﻣﺤﻤﺪ", "م"),
        ("دوري نور", "دن"),
        ("پرویز کاظمی", "پک"),
        ("دیوید בן־גוריון", "دב"),
        ("דוד בן-גוריון", "דב"),
        ("שָׁלוֹם עליכם", "שע"),
        ("יעל", "י"),
        // Syriac, Thaana, N'Ko, Adlam (upper-cased: it has case).
        ("ܝܘܚܢܢ ܐܦܪܝܡ", "ܝܐ"),
        ("މުހައްމަދު ނަޝީދު", "މނ"),
        ("ߡߊ߬ߡߊ߬ߘߎ ߞߊ߲ߕߍ", "ߡߞ"),
        ("𞤀𞤥𞤢𞤣𞤵 𞤄𞤢𞤤𞤣𞤫", "𞤀𞤄"),
        ("𞤢𞤥𞤢𞤣𞤵 𞤦𞤢𞤤𞤣𞤫", "𞤀𞤄"),
        // Brahmic: the base consonant or independent vowel.
        ("प्रिया शर्मा", "पश"),
        ("अमित कुमार", "अक"),
        ("क़ादिर ख़ान", "कख"),
        ("श्री गणेश", "शग"),
        ("রবীন্দ্রনাথ ঠাকুর", "রঠ"),
        ("ক্ষমা ইসলাম", "কই"),
        ("அருண் குமார்", "அக"),
        ("கீதா", "க"),
        ("ஸ்ரீ ராம்", "ஸர"),
        ("สมชาย ใจดี", "สจ"),
        ("เกศินี แก้ว", "กก"),
        ("ไพโรจน์", "พ"),
        ("นิด", "น"),
        ("નરેન્દ્ર મોદી", "નમ"),
        ("ਗੁਰਪ੍ਰੀਤ ਸਿੰਘ", "ਗਸ"),
        ("ਇੰਦਰਜੀਤ ਕੌਰ", "ਇਕ"),
        ("ନବୀନ ପଟ୍ଟନାୟକ", "ନପ"),
        ("మోహన్", "మ"),
        ("ఎన్. టి. రామారావు", "ఎర"),
        ("ಪುನೀತ್ ರಾಜ್\u{200C}ಕುಮಾರ್", "ಪರ"),
        ("ശശി തരൂർ", "ശത"),
        ("മോഹൻലാൽ", "മ"),
        ("මහින්ද රාජපක්ෂ", "මර"),
        ("အောင် ဆန်း စု ကြည်", "အက"),
        ("ဦးသန့်", "ဦ"),
        ("សុខ ចាន់", "សច"),
        ("ហ៊ុន សែន", "ហស"),
        // Lao: preposed vowels skipped, as in Thai.
        ("ສົມພອນ ແກ້ວ", "ສກ"),
        ("ໄຊຍະສອນ", "ຊ"),
        ("ເພັດ", "ພ"),
        // Tibetan: words of two syllables, each initial its root letter.
        ("བསྟན་འཛིན་རྒྱ་མཚོ", "ཏག"),
        ("བསྟན་འཛིན རྒྱ་མཚོ", "ཏག"),
        ("བསྟན་འཛིན་", "ཏ"),
        ("ཚེ་རིང་ཆོས་སྒྲོན", "ཚཆ"),
        ("བཀྲ་ཤིས་བདེ་ལེགས", "ཀད"),
        ("བློ་བཟང་ཆོས་འཕེལ", "བཆ"),
        ("ཉི་མ་འཇམ་དབྱངས", "ཉཇ"),
        ("དབང་ཕྱུག", "བ"),
        ("ལྷ་མོ", "ཧ"),
        ("ཀུན་བཟང་དག་པ", "ཀད"),
        // Mixed scripts: the rule of the first letter's script.
        ("John 王", "J王"),
        ("王 John", "王"),
        ("Ali محمد", "Aم"),
        ("محمد Ali", "مA"),
        ("Priya शर्मा", "Pश"),
        ("😀 Ada Lovelace", "AL"),
        ("Ada 😀 Lovelace 🎉", "AL"),
        ("👩‍💻 Grace Hopper", "GH"),
        ("🇯🇵 山田", "山"),
        ("★ Star ☆ Light", "SL"),
        // Other scripts follow the word rule: Ethiopic syllables, Cherokee
        // (upper-cased), Canadian syllabics, Tifinagh, Ol Chiki as they are;
        // Mongolian letters without their variation selectors.
        ("\u{13E3}\u{13B3} \u{13A6}", "\u{13E3}\u{13A6}"),
        ("አበበ ቢቂላ", "አቢ"),
        ("ኃይሌ ገብረሥላሴ", "ኃገ"),
        ("ᏍᏏᏉᏯ", "Ꮝ"),
        ("ꮝꮟꮙꭿ ᎬᏍᏗ", "ᏍᎬ"),
        ("ᔮᓯ ᐊᓐᓇᓇᑦ", "ᔮᐊ"),
        ("ⵢⵓⴳⵓⵔⵜⴻⵏ ⵎⴰⵙⵉⵏⵉⵙⴰ", "ⵢⵎ"),
        ("ᱯᱚᱸᱰᱤᱛ ᱨᱟᱜᱷᱩᱱᱟᱛᱷ ᱢᱩᱨᱢᱩ", "ᱯᱢ"),
        ("ᠴᠢᠩᠭᠢᠰ ᠬᠠᠭᠠᠨ", "ᠴᠬ"),
        ("ᠨ\u{180B}ᠠᠰᠤ ᠪᠠᠲᠤ", "ᠨᠪ"),
    ];

    #[test]
    fn the_table() {
        assert!(TABLE.len() >= 100, "{}", TABLE.len());
        let mut wrong = Vec::new();
        for (name, want) in TABLE {
            let got = initials(name, 2);
            if got != *want {
                wrong.push(format!("{name:?}: got {got:?}, want {want:?}"));
            }
        }
        assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
    }

    #[test]
    fn tibetan_root_letters() {
        for (syllable, root) in [
            ("ཀ", 'ཀ'),
            ("ཚེ", 'ཚ'),
            ("བསྟན", 'ཏ'),  // prefix, superscript, root, suffix
            ("འཛིན", 'ཛ'),  // prefix, root with a vowel sign
            ("རྒྱ", 'ག'),    // superscript, root, subscript
            ("སྒྲོན", 'ག'),   // superscript, root, subscript, vowel, suffix
            ("བསྒྲུབས", 'ག'), // prefix, superscript, root, subscript, suffixes
            ("བློ", 'བ'),    // root, subscript
            ("རླུང", 'ར'),   // la is a subscript under ra
            ("ལྷ", 'ཧ'),    // la is a superscript over ha
            ("འབྲས", 'བ'),  // prefix, root, subscript
            ("དག", 'ད'),   // root, suffix
            ("མང", 'མ'),
            ("དབང", 'བ'), // prefix, root, suffix
            ("གནས", 'ན'),
            ("བཀའ", 'ཀ'),
            ("ཐམས", 'ཐ'), // not a prefix letter: the root comes first
            ("འོད", 'འ'),
            ("པདྨ", 'པ'), // a Sanskrit stack after the root
            ("ཀྵ", 'ཀ'),
            ("ༀ", 'ༀ'),
            ("བཟང་པོ", 'ཟ'), // the syllable ends at the tsheg
        ] {
            assert_eq!(tibetan_root(syllable), Some(root), "{syllable}");
        }
        assert_eq!(tibetan_root(""), None);
    }

    #[test]
    fn tibetan_words_are_two_syllables() {
        assert_eq!(tibetan_words("བསྟན་འཛིན་རྒྱ་མཚོ"), ["བསྟན་འཛིན་", "རྒྱ་མཚོ"]);
        assert_eq!(tibetan_words("བསྟན་འཛིན་"), ["བསྟན་འཛིན་"]);
        assert_eq!(tibetan_words("ཉི་མ་ཚེ་རིང་ལྷ"), ["ཉི་མ་", "ཚེ་རིང་", "ལྷ"]);
        assert_eq!(tibetan_words("་་ཀ"), ["་་ཀ"]);
        assert_eq!(tibetan_words("Ada"), ["Ada"]);
        assert_eq!(initials("བསྟན་འཛིན་རྒྱ་མཚོ", 1), "ཏ");
        assert_eq!(initials("ཉི་མ་ཚེ་རིང་ལྷ་མོ", 3), "ཉཚཧ");
    }

    #[test]
    fn length_chooses_how_many() {
        assert_eq!(initials("Mary Ann Smith", 1), "M");
        assert_eq!(initials("Mary Ann Smith", 3), "MAS");
        assert_eq!(initials("Mary Ann Lee Smith", 3), "MAS");
        assert_eq!(initials("Ada", 3), "A");
        assert_eq!(initials("محمد بن سلمان", 3), "مبس");
        assert_eq!(
            initials("王小明", 3),
            "王",
            "CJK is one character at any length"
        );
        assert_eq!(initials("김민준", 1), "김");
    }

    #[test]
    fn unusable_names_give_nothing() {
        for name in [
            "",
            "   ",
            "123",
            "!!!",
            "@",
            "..",
            "😀 😀",
            "😀",
            "👩‍👩‍👧‍👦",
            "🇺🇸",
            "★☆♥",
            "١٢٣",
            "४२",
            "(Sales)",
            "ⓐⓑ",
            "ー",
            "\u{301}",
        ] {
            assert_eq!(initials(name, 2), "", "{name:?}");
        }
    }

    #[test]
    fn keeps_the_case_when_the_capital_cannot_be_drawn() {
        let no_new_capitals = |c: char| c != '\u{A7CB}';
        assert_eq!(initials("ɤ", 2), "\u{A7CB}");
        assert_eq!(initials_drawable("ɤa bo", 2, no_new_capitals), "ɤB");
    }

    #[test]
    fn uppercase_false_keeps_each_letter_as_written() {
        let kept = |name: &str| super::initials(name, 2, false, |_| true);
        assert_eq!(kept("ada Lovelace"), "aL");
        assert_eq!(kept("élodie ñúñez"), "éñ");
        assert_eq!(kept("jane.doe@example.com"), "jd");
        // Scripts without case, and the base-letter rule, are unchanged.
        assert_eq!(kept("王小明"), "王");
        assert_eq!(kept("प्रिया शर्मा"), initials("प्रिया शर्मा", 2));
        assert_eq!(super::initials("ada lovelace", 2, true, |_| true), "AL");
    }

    #[test]
    fn result_is_nfc() {
        assert_eq!(initials("A\u{30A} B", 2), "\u{C5}B");
        assert_eq!(initials("a\u{30A}", 2), "\u{C5}");
    }

    #[test]
    fn graphemes_are_counted_not_code_points() {
        assert_eq!(grapheme_count("E\u{301}"), 1);
        assert_eq!(grapheme_count("👩‍💻"), 1);
        assert_eq!(grapheme_count("🇯🇵A"), 2);
        assert_eq!(grapheme_count("प्रि"), 1);
    }

    #[test]
    fn normalised_key() {
        assert_eq!(normalise(" Di  Wu "), "di wu");
        assert_eq!(normalise("Di Wu"), normalise("di\twu"));
        assert_eq!(normalise("E\u{301}lodie"), normalise("Élodie"));
    }
}
