//! An explicit text size: the em of the Latin font as a fraction of the
//! image edge, as ui-avatars' `font-size` means it (0.5 on a 64 px image is a
//! 32 px font). Without one, [`crate::draw::layout`] sizes text by its own rule
//! (by number of characters), which is what every avatar drew before this
//! existed, so the absence of a font size changes no byte and no ETag.
//!
//! Invariant: the value is held in ten-thousandths of the edge, within
//! [`FontSize::MIN`]..=[`FontSize::MAX`], so equal sizes are equal integers
//! (the ETag hashes that integer, never a float's spelling).

/// A font size in ten-thousandths of the image edge, `1000..=10000`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FontSize(u16);

impl FontSize {
    /// 0.1 of the edge: the smallest ui-avatars documents.
    pub const MIN: u16 = 1000;
    /// The whole edge.
    pub const MAX: u16 = 10_000;
    /// ui-avatars' default, 0.4375.
    pub const UI_AVATARS_DEFAULT: FontSize = FontSize(4375);

    /// The nearest font size to `fraction` of the edge, clamped to 0.1..=1.
    /// `NaN` is the smallest.
    pub fn clamped(fraction: f64) -> FontSize {
        let units = (fraction * 10_000.0).round();
        let units = if units.is_nan() {
            f64::from(Self::MIN)
        } else {
            units.clamp(f64::from(Self::MIN), f64::from(Self::MAX))
        };
        // In 1000..=10000 after the clamp, so the cast is exact.
        FontSize(units as u16)
    }

    /// A decimal number as a URL writes it (`0.4375`, `.5`, `1`, `-2`),
    /// clamped to 0.1..=1 as `size` is clamped to its range; `None` if it is
    /// not a plain decimal number (no exponent, no `inf`, no sign but `-`).
    pub fn parse(s: &str) -> Option<FontSize> {
        let digits = s.strip_prefix('-').unwrap_or(s);
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let plain = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if whole.len().saturating_add(fraction.len()) == 0 || !plain(whole) || !plain(fraction) {
            return None;
        }
        s.parse::<f64>().ok().map(FontSize::clamped)
    }

    /// The fraction of the edge, 0.1..=1.
    pub fn fraction(self) -> f32 {
        f32::from(self.0) / 10_000.0
    }

    /// Ten-thousandths of the edge: what the ETag hashes.
    pub fn units(self) -> u16 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_read_exactly_and_clamped() {
        let units = |s: &str| FontSize::parse(s).map(FontSize::units);
        assert_eq!(units("0.4375"), Some(4375));
        assert_eq!(units(".5"), Some(5000));
        assert_eq!(units("0.5"), Some(5000));
        assert_eq!(units("1"), Some(10_000));
        assert_eq!(units("1."), Some(10_000));
        assert_eq!(units("0.1"), Some(1000));
        assert_eq!(units("0.43754"), Some(4375));
        assert_eq!(units("0.43755"), Some(4376));
        assert_eq!(units("7"), Some(10_000));
        assert_eq!(units("0.01"), Some(1000));
        assert_eq!(units("-2"), Some(1000));
        assert_eq!(units("0"), Some(1000));
        for bad in [
            "", ".", "-", "abc", "1e-1", "inf", "NaN", "+0.5", "0.5.1", " 0.5", "0,5",
        ] {
            assert_eq!(FontSize::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn clamped_covers_every_float() {
        assert_eq!(FontSize::clamped(f64::NAN).units(), FontSize::MIN);
        assert_eq!(FontSize::clamped(f64::INFINITY).units(), FontSize::MAX);
        assert_eq!(FontSize::clamped(f64::NEG_INFINITY).units(), FontSize::MIN);
        assert_eq!(FontSize::clamped(0.4375), FontSize::UI_AVATARS_DEFAULT);
        assert!((FontSize::UI_AVATARS_DEFAULT.fraction() - 0.4375).abs() < 1e-6);
    }
}
