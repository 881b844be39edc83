//! From a person's name to the text drawn on the avatar, and to the key its
//! colour is picked from.
//!
//! Rule: the first letter of the first word and of the last word
//! (`length` = 1 takes the first word only, 3 takes the first two and the
//! last); an email address uses its local part split on `.`, `_`, `-`, `+`.
//! Words without a letter are skipped. Letters are upper-cased.

/// The colour key of a name: trimmed, whitespace collapsed, lower-cased, so
/// `Di Wu` and ` di  wu ` get the same colour.
pub fn normalise(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The initials of `name`, at most `length` of them; empty when the name has
/// no usable letter (the caller then draws the placeholder).
pub fn initials(name: &str, length: u8) -> String {
    let words = words(name);
    let firsts: Vec<char> = words
        .iter()
        .filter_map(|w| w.chars().find(|c| c.is_alphabetic()))
        .collect();
    let length = usize::from(length.clamp(1, 3));
    let picked: Vec<char> = if firsts.len() <= length {
        firsts
    } else if length == 1 {
        firsts.into_iter().take(1).collect()
    } else {
        // The first `length - 1` words, then the last: "Mary Ann Smith" → MS.
        let head = firsts.iter().take(length.saturating_sub(1)).copied();
        head.chain(firsts.last().copied()).collect()
    };
    picked.into_iter().flat_map(char::to_uppercase).collect()
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

    #[test]
    fn latin_names() {
        for (name, want) in [
            ("Ada Lovelace", "AL"),
            ("Mary Ann Smith", "MS"),
            ("Madonna", "M"),
            ("ada lovelace", "AL"),
            ("  Ada   Lovelace  ", "AL"),
            ("jane.doe@example.com", "JD"),
            ("john_q_public@example.com", "JP"),
            ("x-ae-a-12+tag@example.com", "XT"),
            ("bob@example.com", "B"),
            ("Di Wu", "DW"),
            ("42 Ada", "A"),
        ] {
            assert_eq!(initials(name, 2), want, "{name}");
        }
    }

    #[test]
    fn length_chooses_how_many() {
        assert_eq!(initials("Mary Ann Smith", 1), "M");
        assert_eq!(initials("Mary Ann Smith", 3), "MAS");
        assert_eq!(initials("Mary Ann Lee Smith", 3), "MAS");
        assert_eq!(initials("Ada", 3), "A");
    }

    #[test]
    fn unusable_names_give_nothing() {
        for name in ["", "   ", "123", "!!!", "@", "..", "😀 😀"] {
            assert_eq!(initials(name, 2), "", "{name:?}");
        }
    }

    #[test]
    fn non_ascii_does_not_break() {
        assert_eq!(initials("Élodie Ñúñez", 2), "ÉÑ");
        assert!(!initials("王小明", 2).is_empty());
    }

    #[test]
    fn normalised_key() {
        assert_eq!(normalise(" Di  Wu "), "di wu");
        assert_eq!(normalise("Di Wu"), normalise("di\twu"));
    }
}
