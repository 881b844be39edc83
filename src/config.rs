//! The plugin configuration: JSON from Envoy's `configuration` StringValue.
//! Every key is optional; a missing key takes its default, an unknown or
//! invalid key makes [`Config::from_json`] fail with a message naming it, so
//! the host refuses the configuration instead of serving surprises.

use crate::colour::{Rgb, DEFAULT_PALETTE};
use crate::shape::Shape;
use crate::signing::{SigningKey, MAX_KEYS, MIN_KEY_BYTES};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Smallest image edge we render, in pixels; smaller requests are clamped up.
pub const MIN_SIZE: u32 = 16;
/// Largest `max_size` a configuration may set, in pixels: bounds the memory of
/// one render (2048² bytes of coverage) whatever the operator writes.
pub const MAX_SIZE_LIMIT: u32 = 2048;

/// The validated configuration. Sizes are in pixels, `max_age` in seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Path prefix the filter answers under; starts and ends with `/`.
    pub path_prefix: String,
    /// Prefix of the ui-avatars door ([`crate::ui_avatars`]); `None` (the
    /// default) turns it off. Starts and ends with `/`; neither it nor
    /// `path_prefix` starts with the other, so a path has one meaning.
    pub ui_avatars_prefix: Option<String>,
    /// Image edge when the request has no `size`, within `MIN_SIZE..=max_size`.
    pub default_size: u32,
    /// Requested sizes above this are clamped to it.
    pub max_size: u32,
    /// `cache-control: max-age` of a rendered avatar, in seconds.
    pub max_age: u32,
    /// The `cache-control` value of every image answer, made once from
    /// `max_age` rather than on every request.
    pub cache_control: String,
    /// Background colours, picked by a stable hash of the colour key. Never empty.
    pub palette: Vec<Rgb>,
    /// Shape when the request has no `shape`.
    pub shape: Shape,
    /// Number of initials when the request has no `length`, 1..=3.
    pub length: u8,
    /// Budget of the per-VM cache of encoded avatars, in bytes; 0 disables it.
    pub cache_bytes: usize,
    /// Define and update proxy-wasm metrics. Off for hosts that trap on the
    /// metric calls (ngx_wasm_module before it implemented them).
    pub metrics: bool,
    /// Keys a URL's `sig` may be made with; empty means signing is off.
    pub signing_keys: Vec<SigningKey>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            path_prefix: "/avatar/".to_string(),
            ui_avatars_prefix: None,
            default_size: 128,
            max_size: 512,
            max_age: 31_536_000,
            cache_control: cache_control(31_536_000),
            palette: DEFAULT_PALETTE.to_vec(),
            shape: Shape::Circle,
            length: 2,
            cache_bytes: 4 << 20,
            metrics: true,
            signing_keys: Vec::new(),
        }
    }
}

fn cache_control(max_age: u32) -> String {
    format!("public, max-age={max_age}, immutable")
}

/// Largest `cache_bytes` a configuration may set: 256 MiB per VM.
pub const MAX_CACHE_BYTES: usize = 256 << 20;

/// The keys as written, before validation; each is read on its own so an
/// error can name its key.
#[derive(Default)]
struct Raw {
    path_prefix: Option<String>,
    ui_avatars_prefix: Option<String>,
    default_size: Option<u32>,
    max_size: Option<u32>,
    max_age: Option<u32>,
    palette: Option<Vec<String>>,
    shape: Option<String>,
    length: Option<u8>,
    cache_bytes: Option<usize>,
    metrics: Option<bool>,
    signing_keys: Option<Vec<String>>,
}

fn read<T: DeserializeOwned>(key: &str, value: Value, expected: &str) -> Result<Option<T>, String> {
    serde_json::from_value(value)
        .map(Some)
        .map_err(|_| format!("monogram configuration key '{key}' must be {expected}"))
}

impl Raw {
    fn from_json(bytes: &[u8]) -> Result<Raw, String> {
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| format!("monogram configuration is not valid JSON: {e}"))?;
        let Value::Object(map) = value else {
            return Err("monogram configuration must be a JSON object".to_string());
        };
        let mut raw = Raw::default();
        for (key, value) in map {
            match key.as_str() {
                "path_prefix" => raw.path_prefix = read(&key, value, "a string")?,
                "ui_avatars_prefix" => raw.ui_avatars_prefix = read(&key, value, "a string")?,
                "default_size" => raw.default_size = read(&key, value, "a whole number of pixels")?,
                "max_size" => raw.max_size = read(&key, value, "a whole number of pixels")?,
                "max_age" => raw.max_age = read(&key, value, "a whole number of seconds")?,
                "palette" => raw.palette = read(&key, value, "a list of hex colour strings")?,
                "shape" => raw.shape = read(&key, value, "a string")?,
                "length" => raw.length = read(&key, value, "1, 2 or 3")?,
                "cache_bytes" => raw.cache_bytes = read(&key, value, "a whole number of bytes")?,
                "metrics" => raw.metrics = read(&key, value, "true or false")?,
                "signing_keys" => raw.signing_keys = read(&key, value, "a list of strings")?,
                _ => return Err(format!("monogram configuration has an unknown key '{key}'")),
            }
        }
        Ok(raw)
    }
}

impl Config {
    /// Parses and validates the plugin configuration. Empty input means all
    /// defaults. The error is one line naming the offending key.
    pub fn from_json(bytes: &[u8]) -> Result<Config, String> {
        let defaults = Config::default();
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(defaults);
        }
        let raw = Raw::from_json(bytes)?;
        let bad = |key: &str, why: &str| format!("monogram configuration key '{key}' {why}");

        let path_prefix = raw.path_prefix.unwrap_or(defaults.path_prefix);
        check_prefix("path_prefix", &path_prefix, "/avatar/")?;
        if let Some(ui) = &raw.ui_avatars_prefix {
            check_prefix("ui_avatars_prefix", ui, "/api/")?;
            if ui.starts_with(path_prefix.as_str()) || path_prefix.starts_with(ui.as_str()) {
                return Err(bad(
                    "ui_avatars_prefix",
                    &format!(
                        "must not overlap path_prefix (\"{path_prefix}\"): neither may start with the other"
                    ),
                ));
            }
        }
        let max_size = raw.max_size.unwrap_or(defaults.max_size);
        if !(MIN_SIZE..=MAX_SIZE_LIMIT).contains(&max_size) {
            return Err(bad(
                "max_size",
                &format!("must be within {MIN_SIZE}..={MAX_SIZE_LIMIT}"),
            ));
        }
        let default_size = raw
            .default_size
            .unwrap_or(defaults.default_size.min(max_size));
        if !(MIN_SIZE..=max_size).contains(&default_size) {
            return Err(bad(
                "default_size",
                &format!("must be within {MIN_SIZE}..=max_size ({max_size})"),
            ));
        }
        let palette = match raw.palette {
            None => defaults.palette,
            Some(list) => {
                if list.is_empty() || list.len() > 256 {
                    return Err(bad("palette", "must list 1 to 256 colours"));
                }
                list.iter()
                    .map(|s| {
                        Rgb::parse_hex(s).ok_or_else(|| {
                            bad(
                                "palette",
                                &format!("has '{s}', which is not a RRGGBB or RGB hex colour"),
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?
            }
        };
        let shape = match raw.shape {
            None => defaults.shape,
            Some(s) => Shape::parse(&s)
                .ok_or_else(|| bad("shape", "must be \"circle\", \"rounded\" or \"square\""))?,
        };
        let length = raw.length.unwrap_or(defaults.length);
        if !(1..=3).contains(&length) {
            return Err(bad("length", "must be 1, 2 or 3"));
        }
        let cache_bytes = raw.cache_bytes.unwrap_or(defaults.cache_bytes);
        if cache_bytes > MAX_CACHE_BYTES {
            return Err(bad(
                "cache_bytes",
                &format!("must be at most {MAX_CACHE_BYTES} (256 MiB)"),
            ));
        }
        let signing_keys = match raw.signing_keys {
            None => Vec::new(),
            Some(list) => {
                if list.is_empty() || list.len() > MAX_KEYS {
                    return Err(bad(
                        "signing_keys",
                        &format!(
                            "must list 1 to {MAX_KEYS} keys (leave it out to turn signing off)"
                        ),
                    ));
                }
                list.iter()
                    .enumerate()
                    .map(|(i, k)| {
                        SigningKey::new(k).ok_or_else(|| {
                            bad(
                                "signing_keys",
                                &format!("has key {i} shorter than {MIN_KEY_BYTES} bytes"),
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?
            }
        };
        let max_age = raw.max_age.unwrap_or(defaults.max_age);
        Ok(Config {
            path_prefix,
            ui_avatars_prefix: raw.ui_avatars_prefix,
            default_size,
            max_size,
            max_age,
            cache_control: cache_control(max_age),
            palette,
            shape,
            length,
            cache_bytes,
            metrics: raw.metrics.unwrap_or(defaults.metrics),
            signing_keys,
        })
    }
}

/// A path prefix as `key` must be written: from `/` to `/`, and without the
/// characters that would end the path or start an escape.
fn check_prefix(key: &str, prefix: &str, example: &str) -> Result<(), String> {
    let bad = |why: String| Err(format!("monogram configuration key '{key}' {why}"));
    if !prefix.starts_with('/') || !prefix.ends_with('/') || prefix.len() < 2 {
        return bad(format!("must start and end with '/', e.g. \"{example}\""));
    }
    if prefix.contains(['?', '#', '%']) {
        return bad("must not contain '?', '#' or '%'".to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_configuration_is_all_defaults() {
        assert_eq!(Config::from_json(b"").unwrap(), Config::default());
        assert_eq!(Config::from_json(b"{}").unwrap(), Config::default());
    }

    #[test]
    fn every_key_is_read() {
        let c = Config::from_json(
            br##"{"path_prefix":"/a/","default_size":64,"max_size":256,"max_age":60,
                 "palette":["#000","123456"],"shape":"square","length":1,"cache_bytes":0,
                 "metrics":false}"##,
        )
        .unwrap();
        assert_eq!(c.path_prefix, "/a/");
        assert_eq!((c.default_size, c.max_size, c.max_age), (64, 256, 60));
        assert_eq!(c.cache_control, "public, max-age=60, immutable");
        assert_eq!(c.palette, vec![Rgb(0, 0, 0), Rgb(0x12, 0x34, 0x56)]);
        assert_eq!((c.shape, c.length, c.cache_bytes), (Shape::Square, 1, 0));
        assert!(!c.metrics);
    }

    #[test]
    fn the_ui_avatars_door_is_off_unless_its_prefix_is_set() {
        assert_eq!(Config::default().ui_avatars_prefix, None);
        let c = Config::from_json(br#"{"ui_avatars_prefix":"/api/"}"#).unwrap();
        assert_eq!(c.ui_avatars_prefix.as_deref(), Some("/api/"));
        // Siblings do not overlap, whichever is longer.
        let c = Config::from_json(br#"{"path_prefix":"/a/","ui_avatars_prefix":"/ab/"}"#).unwrap();
        assert_eq!(c.ui_avatars_prefix.as_deref(), Some("/ab/"));
    }

    #[test]
    fn cache_bytes_at_the_limit_is_accepted() {
        let c = Config::from_json(br#"{"cache_bytes":268435456}"#).unwrap();
        assert_eq!(c.cache_bytes, MAX_CACHE_BYTES);
    }

    #[test]
    fn default_size_follows_a_small_max_size() {
        let c = Config::from_json(br#"{"max_size":100}"#).unwrap();
        assert_eq!(c.default_size, 100);
    }

    #[test]
    fn signing_keys_at_and_past_the_limits() {
        let keys = |n: usize, len: usize| {
            let list: Vec<String> = (0..n).map(|i| format!("{i:0>len$}")).collect();
            Config::from_json(
                serde_json::json!({ "signing_keys": list })
                    .to_string()
                    .as_bytes(),
            )
        };
        assert_eq!(keys(1, MIN_KEY_BYTES).unwrap().signing_keys.len(), 1);
        assert!(keys(1, MIN_KEY_BYTES - 1).is_err());
        assert_eq!(keys(MAX_KEYS, 32).unwrap().signing_keys.len(), MAX_KEYS);
        assert!(keys(MAX_KEYS + 1, 32).is_err());
        assert!(Config::default().signing_keys.is_empty());
    }

    #[test]
    fn max_size_at_and_past_the_limit() {
        let max = |n: u32| Config::from_json(format!(r#"{{"max_size":{n}}}"#).as_bytes());
        assert_eq!(max(MAX_SIZE_LIMIT).unwrap().max_size, MAX_SIZE_LIMIT);
        assert!(max(MAX_SIZE_LIMIT + 1).is_err());
        assert_eq!(max(MIN_SIZE).unwrap().max_size, MIN_SIZE);
        assert!(max(MIN_SIZE - 1).is_err());
    }

    #[test]
    fn errors_name_the_key() {
        for (json, key) in [
            (r#"{"path_prefix":"avatar"}"#, "path_prefix"),
            (r#"{"path_prefix":"/avatar"}"#, "path_prefix"),
            (r#"{"path_prefix":"/a?b/"}"#, "path_prefix"),
            (r#"{"ui_avatars_prefix":"api"}"#, "ui_avatars_prefix"),
            (r#"{"ui_avatars_prefix":"/"}"#, "ui_avatars_prefix"),
            (r#"{"ui_avatars_prefix":"/api/%20/"}"#, "ui_avatars_prefix"),
            (r#"{"ui_avatars_prefix":"/api/#/"}"#, "ui_avatars_prefix"),
            (r#"{"ui_avatars_prefix":"/avatar/"}"#, "ui_avatars_prefix"),
            (
                r#"{"ui_avatars_prefix":"/avatar/api/"}"#,
                "ui_avatars_prefix",
            ),
            (
                r#"{"path_prefix":"/api/avatar/","ui_avatars_prefix":"/api/"}"#,
                "ui_avatars_prefix",
            ),
            (r#"{"ui_avatars_prefix":null}"#, "ui_avatars_prefix"),
            (r#"{"ui_avatars_prefix":7}"#, "ui_avatars_prefix"),
            (r#"{"max_size":8}"#, "max_size"),
            (r#"{"max_size":4096}"#, "max_size"),
            (r#"{"default_size":600}"#, "default_size"),
            (r#"{"palette":[]}"#, "palette"),
            (r#"{"palette":["red"]}"#, "palette"),
            (r#"{"shape":"star"}"#, "shape"),
            (r#"{"length":4}"#, "length"),
            (r#"{"colour":"red"}"#, "colour"),
            (r#"{"max_age":-1}"#, "max_age"),
            (r#"{"cache_bytes":268435457}"#, "cache_bytes"),
            (r#"{"cache_bytes":-1}"#, "cache_bytes"),
            (r#"{"metrics":"yes"}"#, "metrics"),
            (r#"{"signing_keys":[]}"#, "signing_keys"),
            (r#"{"signing_keys":"0123456789abcdef"}"#, "signing_keys"),
            (r#"{"signing_keys":["0123456789abcde"]}"#, "signing_keys"),
            (
                r#"{"signing_keys":["0123456789abcdef","0123456789abcdef","0123456789abcdef",
                   "0123456789abcdef","0123456789abcdef","0123456789abcdef","0123456789abcdef",
                   "0123456789abcdef","0123456789abcdef"]}"#,
                "signing_keys",
            ),
        ] {
            let e = Config::from_json(json.as_bytes()).unwrap_err();
            assert!(e.contains(key), "{json} gave {e}");
            assert!(!e.contains('\n'), "one line: {e}");
        }
    }
}
