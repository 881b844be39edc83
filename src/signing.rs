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
//! parameters ([`crate::ui_avatars::UI_PARAMS`]) the same way.
//!
//! `sig` itself and unknown parameters are not signed (unknown ones never
//! change the image). Decoded text cannot hold a control character (the
//! request parser rejects them), so the lines cannot be forged by a value
//! containing `\n`. The signature is the first [`TAG_BYTES`] bytes of the MAC,
//! URL-safe base64 without padding: 22 characters.

use crate::error::Error;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::fmt;

/// Bytes of the MAC kept in `sig`: 128 bits, as in RFC 2104's advice to keep
/// at least half of the hash.
pub const TAG_BYTES: usize = 16;
/// Length of `sig`: base64 of [`TAG_BYTES`] without padding.
pub const SIG_CHARS: usize = 22;
/// Shortest key accepted: below this a key is guessable offline from one URL.
pub const MIN_KEY_BYTES: usize = 16;
/// Most keys at once: the current one and a few being rotated out, each
/// costing one MAC per request that fails to verify.
pub const MAX_KEYS: usize = 8;

/// A secret key: the bytes of the configured string. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey(Vec<u8>);

impl SigningKey {
    /// `None` if the key is shorter than [`MIN_KEY_BYTES`].
    pub fn new(key: &str) -> Option<SigningKey> {
        (key.len() >= MIN_KEY_BYTES).then(|| SigningKey(key.as_bytes().to_vec()))
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

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
        let ok = mac(key, message).is_some_and(|m| m.verify_truncated_left(&tag).is_ok());
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
    let Some(m) = mac(key, canonical) else {
        return String::new();
    };
    let tag = m.finalize().into_bytes();
    encode_base64url(tag.get(..TAG_BYTES).unwrap_or(&[]))
}

fn mac(key: &SigningKey, message: &str) -> Option<Hmac<Sha256>> {
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(&key.0).ok()?;
    m.update(message.as_bytes());
    Some(m)
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn encode_base64url(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut acc = 0u32;
    let mut bits = 0u32;
    for &b in bytes {
        acc = (acc << 8 | u32::from(b)) & 0xffff;
        bits = bits.saturating_add(8);
        while bits >= 6 {
            bits = bits.saturating_sub(6);
            out.push(sextet(acc >> bits));
        }
    }
    if bits > 0 {
        out.push(sextet(acc << 6u32.saturating_sub(bits)));
    }
    out
}

fn sextet(v: u32) -> char {
    ALPHABET
        .get((v & 63) as usize)
        .map_or('A', |&c| char::from(c))
}

/// Decodes exactly [`SIG_CHARS`] characters of unpadded URL-safe base64 into
/// [`TAG_BYTES`] bytes. The 4 bits left over must be zero, so each tag has one
/// spelling (no free variants of a signed URL to bust caches with).
fn decode_sig(sig: &str) -> Option<[u8; TAG_BYTES]> {
    if sig.len() != SIG_CHARS {
        return None;
    }
    let mut out = [0u8; TAG_BYTES];
    let mut acc = 0u32;
    let mut bits = 0u32;
    let mut n = 0usize;
    for c in sig.bytes() {
        let v = ALPHABET.iter().position(|&a| a == c)?;
        acc = (acc << 6 | v as u32) & 0xfff;
        bits = bits.saturating_add(6);
        if bits >= 8 {
            bits = bits.saturating_sub(8);
            *out.get_mut(n)? = (acc >> bits) as u8;
            n = n.saturating_add(1);
        }
    }
    let leftover = acc & (1u32 << bits).saturating_sub(1);
    (n == TAG_BYTES && leftover == 0).then_some(out)
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
        let k = SigningKey(b"Jefe".to_vec());
        let tag = mac(&k, "what do ya want for nothing?")
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
        let old = key("old-key-0123456789");
        let new = key("new-key-0123456789");
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
    fn short_keys_are_refused_and_never_printed() {
        assert!(SigningKey::new("too-short").is_none());
        let k = key("a-perfectly-fine-key");
        assert_eq!(format!("{k:?}"), "SigningKey(..)");
    }
}
