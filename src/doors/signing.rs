//! Signed URLs: with `signing_keys` configured, only URLs whose `sig` is the
//! HMAC-SHA256 of their canonical form under one of the keys are rendered.
//! Avatar URLs are public; without this anyone can make the gateway render
//! (and caches keep) as many distinct images as they can invent names.
//!
//! The canonical form signs the meaning of the URL, not its spelling, so any
//! correct percent-encoding of the same values verifies. It is the lines,
//! joined by `\n` (no trailing newline):
//! 1. the path prefix and the decoded name, e.g. `/avatar/Ada Lovelace`
//!    (without `.png` or `.svg`: the extension picks an encoding, not the image);
//! 2. then `key=value` for each signed parameter of the door's table that is
//!    present with a non-empty value, in that (alphabetical) order, the value
//!    decoded and otherwise exactly as given: on `/avatar/`, `bg`, `fg`,
//!    `font-size`, `initials`, `length`, `seed`, `shape`, `size`, `uppercase`.
//!
//! The path form `/avatar/{size}/{sig}/{name}.png` is the query form spelled
//! otherwise, so it has the same canonical form and the same `sig`. The
//! ui-avatars door signs its own prefix, name (`John Doe` when absent) and
//! parameters ([`crate::doors::ui_avatars::UI_PARAMS`]) the same way.
//!
//! `sig` itself and unknown parameters are not signed (unknown ones never
//! change the image). Decoded text cannot hold a control character (the
//! request parser rejects them), so the lines cannot be forged by a value
//! containing `\n`. The signature is the first [`TAG_BYTES`] bytes of the MAC,
//! URL-safe base64 without padding: 22 characters.

use crate::config::SigningKey;
use crate::error::Error;
use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Bytes of the MAC kept in `sig`: 128 bits, as in RFC 2104's advice to keep
/// at least half of the hash.
pub const TAG_BYTES: usize = 16;
/// Length of `sig`: base64 of [`TAG_BYTES`] without padding.
pub const SIG_CHARS: usize = 22;
/// The canonical form (see the module documentation) of the decoded `name`
/// under `path_prefix` with the signed parameters `given`, sorted by name.
pub fn canonical(path_prefix: &str, name: &str, given: &[(&str, String)]) -> String {
    let mut out = format!("{path_prefix}{name}");
    for (name, value) in given {
        out.push('\n');
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// Accepts a URL whose canonical form is `message` if signing is off or
/// its `sig` matches under any key.
pub fn verify(keys: &[SigningKey], message: &str, sig: Option<&str>) -> Result<(), Error> {
    if keys.is_empty() {
        return Ok(());
    }
    let Some(sig) = sig else {
        return Err(Error::SignatureMissing);
    };
    let tag = decode_sig(sig).ok_or(Error::SignatureMalformed)?;
    // Every key is tried even after a match would be found, so the time taken
    // does not tell which key (or whether a later one) matched.
    let matched = keys.iter().fold(false, |found, key| {
        let ok = mac(key.bytes(), message).is_some_and(|m| m.verify_truncated_left(&tag).is_ok());
        found | ok
    });
    if matched {
        Ok(())
    } else {
        Err(Error::SignatureMismatch)
    }
}

/// The `sig` for `canonical` under `key`: what a backend computes.
pub fn sign(key: &SigningKey, canonical: &str) -> String {
    let Some(m) = mac(key.bytes(), canonical) else {
        return String::new();
    };
    let tag = m.finalize().into_bytes();
    encode_base64url(tag.get(..TAG_BYTES).unwrap_or(&[]))
}

fn mac(key: &[u8], message: &str) -> Option<Hmac<Sha256>> {
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key).ok()?;
    m.update(message.as_bytes());
    Some(m)
}

fn encode_base64url(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// Decodes exactly [`SIG_CHARS`] characters of unpadded URL-safe base64 into
/// [`TAG_BYTES`] bytes. The 4 bits left over must be zero (base64ct refuses
/// any other spelling), so each tag has one spelling: no free variants of a
/// signed URL to bust caches with.
fn decode_sig(sig: &str) -> Option<[u8; TAG_BYTES]> {
    if sig.len() != SIG_CHARS {
        return None;
    }
    let mut out = [0u8; TAG_BYTES];
    let decoded = Base64UrlUnpadded::decode(sig, &mut out).ok()?.len();
    (decoded == TAG_BYTES).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> SigningKey {
        SigningKey::new(s).unwrap()
    }

    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        // RFC 4231 test case 2, truncated to 16 bytes.
        let tag = mac(b"Jefe", "what do ya want for nothing?")
            .unwrap()
            .finalize()
            .into_bytes();
        let hex: String = tag.iter().take(16).map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "5bdcc146bf60754e6a042426089575c7");
    }

    #[test]
    fn base64url_round_trips() {
        for n in 0..=255u8 {
            let tag = [n; TAG_BYTES];
            let s = encode_base64url(&tag);
            assert_eq!(s.len(), SIG_CHARS);
            assert_eq!(decode_sig(&s), Some(tag));
        }
        assert_eq!(encode_base64url(b"\xfb\xff"), "-_8");
    }

    #[test]
    fn decoding_is_strict() {
        let good = encode_base64url(&[7; TAG_BYTES]);
        assert!(decode_sig(&good).is_some());
        for bad in [
            "",
            "A",
            &good[..21],
            &format!("{good}A"),
            &format!("{}=", &good[..21]),
            &good.replace('H', "+"),
        ] {
            assert_eq!(decode_sig(bad), None, "{bad}");
        }
        // Same bytes, non-zero leftover bits: another spelling, refused.
        let last = good.as_bytes()[21];
        let twin = format!("{}{}", &good[..21], char::from(last + 1));
        assert_eq!(decode_sig(&twin), None);
    }

    #[test]
    fn canonical_form_is_prefix_name_then_sorted_lines() {
        let given = [("bg", "#ABC".to_string()), ("size", "64".to_string())];
        assert_eq!(
            canonical("/avatar/", "Ada Lovelace", &given),
            "/avatar/Ada Lovelace\nbg=#ABC\nsize=64"
        );
        assert_eq!(canonical("/avatar/", "", &[]), "/avatar/");
    }

    #[test]
    fn verifies_with_any_configured_key() {
        let old = key("old-key-0123456789abcdefghijklmnop");
        let new = key("new-key-0123456789abcdefghijklmnop");
        let message = "/avatar/Ada\nsize=64";
        let sig = sign(&old, message);
        let keys = [new.clone(), old.clone()];
        assert_eq!(verify(&keys, message, Some(&sig)), Ok(()));
        assert_eq!(
            verify(&[new], message, Some(&sig)),
            Err(Error::SignatureMismatch)
        );
        assert_eq!(verify(&[], message, None), Ok(()));
        assert_eq!(verify(&keys, message, None), Err(Error::SignatureMissing));
        assert_eq!(
            verify(&keys, message, Some("abc")),
            Err(Error::SignatureMalformed)
        );
        for changed in [
            "/avatar/Ada\nsize=65",
            "/avatar/Adb\nsize=64",
            "/v2/Ada\nsize=64",
        ] {
            assert_eq!(
                verify(&keys, changed, Some(&sig)),
                Err(Error::SignatureMismatch),
                "{changed}"
            );
        }
    }

    #[test]
    fn short_or_uniform_keys_are_refused_and_never_printed() {
        assert!(SigningKey::new("too-short").is_none());
        assert!(SigningKey::new(&"x".repeat(31)).is_none());
        assert!(SigningKey::new(&" ".repeat(64)).is_none());
        assert!(
            SigningKey::new(&"abcdefg".repeat(10)).is_none(),
            "7 distinct bytes"
        );
        let k = key("a-perfectly-fine-key-of-32-bytes");
        assert_eq!(format!("{k:?}"), "SigningKey(..)");
    }
}
