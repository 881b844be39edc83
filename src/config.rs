//! The plugin configuration: JSON from Envoy's `configuration` StringValue.
//! Every key is optional; a missing key takes its default, an unknown or
//! invalid key makes [`Config::from_json`] fail with a message naming it, so
//! the host refuses the configuration instead of serving surprises.

use crate::avatar::colour::{Rgb, DEFAULT_PALETTE};
use crate::avatar::initials::MAX_INITIALS;
use crate::avatar::shape::Shape;
use crate::error::one_to;
use serde::de::{DeserializeOwned, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;
use std::fmt;

/// Shortest key accepted: 32 bytes, the size of the MAC's own output; a
/// shorter key is the weakest link, guessable offline from one signed URL.
pub const MIN_KEY_BYTES: usize = 32;
/// Fewest distinct bytes in a key: rejects keys like 32 spaces or one
/// character repeated, which pass a length check and guard nothing.
pub const MIN_DISTINCT_BYTES: usize = 8;
/// Most keys at once: the current one and a few being rotated out, each
/// costing one MAC per request that fails to verify.
pub const MAX_KEYS: usize = 8;

/// A secret key: the bytes of the configured string. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey(Vec<u8>);

impl SigningKey {
    /// `None` if the key is shorter than [`MIN_KEY_BYTES`] or has fewer
    /// than [`MIN_DISTINCT_BYTES`] distinct bytes.
    pub fn new(key: &str) -> Option<SigningKey> {
        let mut seen = [false; 256];
        for b in key.bytes() {
            if let Some(s) = seen.get_mut(usize::from(b)) {
                *s = true;
            }
        }
        let distinct = seen.iter().filter(|&&s| s).count();
        (key.len() >= MIN_KEY_BYTES && distinct >= MIN_DISTINCT_BYTES)
            .then(|| SigningKey(key.as_bytes().to_vec()))
    }
}

impl SigningKey {
    /// The key's bytes, for the MAC.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

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
    /// Prefix of the ui-avatars door ([`crate::doors::ui_avatars`]); `None` (the
    /// default) turns it off. Starts and ends with `/`; neither it nor
    /// `path_prefix` starts with the other, so a path has one meaning.
    pub ui_avatars_prefix: Option<String>,
    /// Prefix of the photo door ([`crate::doors::photo`]), a route proxied
    /// to a photo origin; `None` (the default) turns it off. Written like
    /// `path_prefix`; no door's prefix starts with another's.
    pub photo_prefix: Option<String>,
    /// Origin statuses the photo door answers with initials.
    pub photo_fallback_statuses: Vec<u16>,
    /// Whether an origin that cannot be reached or answers 5xx (the
    /// proxy's own 502, 503 and 504 included) gets initials too.
    pub photo_fallback_on_error: bool,
    /// `cache-control: max-age` of a photo's initials fallback, in seconds:
    /// short, because the person may upload a photo.
    pub photo_fallback_max_age: u32,
    /// The fallback's `cache-control` value, made once: never `immutable`.
    pub photo_cache_control: String,
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
    /// Render time a VM may spend per second of wall clock, in ms; 0 is off.
    pub render_budget_ms_per_s: u32,
    /// Render time a VM may save up for a burst, in ms.
    pub render_burst_ms: u32,
    /// The sizes images are drawn at, ascending: a requested size is
    /// snapped up to the next one. Empty: any size in `MIN_SIZE..=max_size`.
    pub sizes: Vec<u32>,
}

/// The default `sizes`: steps of about 25%, the sizes avatars are shown at
/// (and their 2× for dense screens). A flood can then ask for 16 images of
/// a name, not 497, and browsers and CDNs hold fewer variants.
pub const DEFAULT_SIZES: &[u32] = &[
    16, 20, 24, 32, 40, 48, 64, 80, 96, 128, 160, 192, 256, 320, 384, 512,
];

impl Config {
    /// `size` (already within `MIN_SIZE..=max_size`) snapped up to the next
    /// allowed size, or to the largest.
    pub fn snap(&self, size: u32) -> u32 {
        match self.sizes.iter().find(|&&s| s >= size) {
            Some(&s) => s,
            None => self.sizes.last().copied().unwrap_or(size),
        }
    }
}

/// The default sizes up to `max_size`, and `max_size` itself.
fn default_sizes(max_size: u32) -> Vec<u32> {
    let mut sizes: Vec<u32> = DEFAULT_SIZES
        .iter()
        .copied()
        .filter(|&s| s <= max_size)
        .collect();
    if sizes.last() != Some(&max_size) {
        sizes.push(max_size);
    }
    sizes
}

impl Default for Config {
    fn default() -> Self {
        Config {
            path_prefix: "/avatar/".to_string(),
            ui_avatars_prefix: None,
            photo_prefix: None,
            photo_fallback_statuses: DEFAULT_FALLBACK_STATUSES.to_vec(),
            photo_fallback_on_error: true,
            photo_fallback_max_age: 3600,
            photo_cache_control: photo_cache_control(3600),
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
            render_budget_ms_per_s: 100,
            render_burst_ms: 100,
            sizes: default_sizes(512),
        }
    }
}

impl Config {
    /// The default size snapped like any requested one.
    fn snapped(mut self) -> Config {
        self.default_size = self.snap(self.default_size);
        self
    }
}

/// The origin statuses that mean "no photo" by default: S3 answers 403 for
/// a missing key when the caller may not list the bucket.
pub const DEFAULT_FALLBACK_STATUSES: &[u16] = &[403, 404, 410];

/// A fallback is public but short-lived, and never `immutable`: the photo
/// may appear at the same URL at any time.
fn photo_cache_control(max_age: u32) -> String {
    format!("public, max-age={max_age}")
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
    photo_prefix: Option<String>,
    photo_fallback_statuses: Option<Vec<u16>>,
    photo_fallback_on_error: Option<bool>,
    photo_fallback_max_age: Option<u32>,
    default_size: Option<u32>,
    max_size: Option<u32>,
    max_age: Option<u32>,
    palette: Option<Vec<String>>,
    shape: Option<String>,
    length: Option<u8>,
    cache_bytes: Option<usize>,
    metrics: Option<bool>,
    signing_keys: Option<Vec<String>>,
    signing_keys_env: Option<String>,
    render_budget_ms_per_s: Option<u32>,
    render_burst_ms: Option<u32>,
    sizes: Option<Value>,
}

/// A JSON object's members in order, duplicates kept, so that a repeated key
/// is an error rather than silently the last one.
struct Members(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Members, D::Error> {
        struct Object;
        impl<'de> Visitor<'de> for Object {
            type Value = Members;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut out = Vec::new();
                while let Some(member) = map.next_entry::<String, Value>()? {
                    out.push(member);
                }
                Ok(Members(out))
            }
        }
        d.deserialize_map(Object)
    }
}

/// Most characters of a configured value echoed in an error line.
const SHOWN_CHARS: usize = 32;

/// A configured value as an error line may show it: quoted, escaped (a
/// newline cannot forge a log line) and cut to [`SHOWN_CHARS`].
pub fn shown(value: &str) -> String {
    let head: String = value.chars().take(SHOWN_CHARS).collect();
    let cut = if head.len() < value.len() { "…" } else { "" };
    format!("'{}'{cut}", head.escape_debug())
}

fn read<T: DeserializeOwned>(key: &str, value: Value, expected: &str) -> Result<Option<T>, String> {
    serde_json::from_value(value)
        .map(Some)
        .map_err(|_| format!("monogram configuration key '{key}' must be {expected}"))
}

impl Raw {
    fn from_json(bytes: &[u8]) -> Result<Raw, String> {
        let Members(members) = serde_json::from_slice(bytes).map_err(|e| {
            if e.is_data() {
                "monogram configuration must be a JSON object".to_string()
            } else {
                format!("monogram configuration is not valid JSON: {e}")
            }
        })?;
        let mut raw = Raw::default();
        for (i, (key, value)) in members.iter().enumerate() {
            if members.iter().take(i).any(|(k, _)| k == key) {
                return Err(format!(
                    "monogram configuration key {} is given more than once",
                    shown(key)
                ));
            }
            let (key, value) = (key.as_str(), value.clone());
            match key {
                "path_prefix" => raw.path_prefix = read(key, value, "a string")?,
                "ui_avatars_prefix" => raw.ui_avatars_prefix = read(key, value, "a string")?,
                "photo_prefix" => raw.photo_prefix = read(key, value, "a string")?,
                "photo_fallback_statuses" => {
                    raw.photo_fallback_statuses = read(key, value, "a list of HTTP statuses")?
                }
                "photo_fallback_on_error" => {
                    raw.photo_fallback_on_error = read(key, value, "true or false")?
                }
                "photo_fallback_max_age" => {
                    raw.photo_fallback_max_age = read(key, value, "a whole number of seconds")?
                }
                "default_size" => raw.default_size = read(key, value, "a whole number of pixels")?,
                "max_size" => raw.max_size = read(key, value, "a whole number of pixels")?,
                "max_age" => raw.max_age = read(key, value, "a whole number of seconds")?,
                "palette" => raw.palette = read(key, value, "a list of hex colour strings")?,
                "shape" => raw.shape = read(key, value, "a string")?,
                "length" => raw.length = read(key, value, &one_to(MAX_INITIALS))?,
                "cache_bytes" => raw.cache_bytes = read(key, value, "a whole number of bytes")?,
                "metrics" => raw.metrics = read(key, value, "true or false")?,
                "signing_keys" => raw.signing_keys = read(key, value, "a list of strings")?,
                "signing_keys_env" => {
                    raw.signing_keys_env = read(key, value, "the name of an environment variable")?
                }
                "render_budget_ms_per_s" => {
                    raw.render_budget_ms_per_s = read(key, value, "a whole number of milliseconds")?
                }
                "render_burst_ms" => {
                    raw.render_burst_ms = read(key, value, "a whole number of milliseconds")?
                }
                "sizes" => raw.sizes = Some(value),
                _ => {
                    return Err(format!(
                        "monogram configuration has an unknown key {}",
                        shown(key)
                    ))
                }
            }
        }
        Ok(raw)
    }
}

impl Config {
    /// Parses and validates the plugin configuration, reading environment
    /// variables (for `signing_keys_env`) from the process environment: in
    /// the VM, what the host's `vm_config` passes in. Empty input means all
    /// defaults. The error is one line naming the offending key.
    pub fn from_json(bytes: &[u8]) -> Result<Config, String> {
        Config::from_json_with_env(bytes, |name| std::env::var(name).ok())
    }

    /// [`Config::from_json`] with `env` looking up environment variables.
    pub fn from_json_with_env(
        bytes: &[u8],
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, String> {
        let defaults = Config::default();
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(defaults);
        }
        let raw = Raw::from_json(bytes)?;
        let bad = |key: &str, why: &str| format!("monogram configuration key '{key}' {why}");

        let path_prefix = raw.path_prefix.unwrap_or(defaults.path_prefix);
        check_prefix("path_prefix", &path_prefix, "/avatar/")?;
        // Each optional door's prefix against every prefix before it.
        let mut prefixes = vec![("path_prefix", path_prefix.as_str())];
        for (key, prefix, example) in [
            ("ui_avatars_prefix", &raw.ui_avatars_prefix, "/api/"),
            ("photo_prefix", &raw.photo_prefix, "/photos/"),
        ] {
            let Some(prefix) = prefix else { continue };
            check_prefix(key, prefix, example)?;
            if let Some((other, theirs)) = prefixes
                .iter()
                .find(|(_, p)| prefix.starts_with(p) || p.starts_with(prefix.as_str()))
            {
                return Err(bad(
                    key,
                    &format!(
                        "must not overlap {other} (\"{theirs}\"): neither may start with the other"
                    ),
                ));
            }
            prefixes.push((key, prefix));
        }
        let photo_fallback_statuses = raw
            .photo_fallback_statuses
            .unwrap_or(defaults.photo_fallback_statuses);
        if photo_fallback_statuses.len() > 32
            || photo_fallback_statuses
                .iter()
                .any(|s| !(400..=599).contains(s))
        {
            return Err(bad(
                "photo_fallback_statuses",
                "must list at most 32 statuses within 400..=599",
            ));
        }
        let photo_fallback_max_age = raw
            .photo_fallback_max_age
            .unwrap_or(defaults.photo_fallback_max_age);
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
                                &format!(
                                    "has {}, which is not a RRGGBB or RGB hex colour",
                                    shown(s)
                                ),
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
        if !(1..=MAX_INITIALS).contains(&length) {
            return Err(bad("length", &format!("must be {}", one_to(MAX_INITIALS))));
        }
        let cache_bytes = raw.cache_bytes.unwrap_or(defaults.cache_bytes);
        if cache_bytes > MAX_CACHE_BYTES {
            return Err(bad(
                "cache_bytes",
                &format!("must be at most {MAX_CACHE_BYTES} (256 MiB)"),
            ));
        }
        let key_list = match (raw.signing_keys, raw.signing_keys_env) {
            (None, None) => None,
            (Some(list), None) => Some(list),
            (None, Some(name)) => {
                let value = env(&name).unwrap_or_default();
                let keys: Vec<String> = value
                    .split(|c: char| c == ',' || c.is_whitespace())
                    .filter(|k| !k.is_empty())
                    .map(String::from)
                    .collect();
                if keys.is_empty() {
                    return Err(bad(
                        "signing_keys_env",
                        &format!(
                            "names {}, which is unset or empty in the VM's environment",
                            shown(&name)
                        ),
                    ));
                }
                Some(keys)
            }
            (Some(_), Some(_)) => {
                return Err(bad(
                    "signing_keys_env",
                    "cannot be given with signing_keys: keep the keys in one place",
                ))
            }
        };
        let signing_keys = match key_list {
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
                                &format!(
                                    "has key {i} shorter than {MIN_KEY_BYTES} bytes or with too \
                                     little variety (make keys with `openssl rand -base64 32`)"
                                ),
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?
            }
        };
        let render_budget_ms_per_s = raw
            .render_budget_ms_per_s
            .unwrap_or(defaults.render_budget_ms_per_s);
        if render_budget_ms_per_s > 1000 {
            return Err(bad(
                "render_budget_ms_per_s",
                "must be within 0..=1000 (milliseconds of rendering per second; 0 is off)",
            ));
        }
        let render_burst_ms = raw.render_burst_ms.unwrap_or(defaults.render_burst_ms);
        if !(1..=60_000).contains(&render_burst_ms) {
            return Err(bad("render_burst_ms", "must be within 1..=60000"));
        }
        let sizes = match raw.sizes {
            None => default_sizes(max_size),
            Some(Value::String(s)) if s == "any" => Vec::new(),
            Some(value) => {
                let mut sizes: Vec<u32> =
                    read("sizes", value, "\"any\" or a list of pixel sizes")?.unwrap_or_default();
                sizes.sort_unstable();
                sizes.dedup();
                if sizes.is_empty()
                    || sizes.len() > 64
                    || sizes.iter().any(|s| !(MIN_SIZE..=max_size).contains(s))
                {
                    return Err(bad(
                        "sizes",
                        &format!("must list 1 to 64 sizes within {MIN_SIZE}..=max_size ({max_size}), or be \"any\""),
                    ));
                }
                sizes
            }
        };
        let max_age = raw.max_age.unwrap_or(defaults.max_age);
        Ok(Config {
            path_prefix,
            ui_avatars_prefix: raw.ui_avatars_prefix,
            photo_prefix: raw.photo_prefix,
            photo_fallback_statuses,
            photo_fallback_on_error: raw
                .photo_fallback_on_error
                .unwrap_or(defaults.photo_fallback_on_error),
            photo_fallback_max_age,
            photo_cache_control: photo_cache_control(photo_fallback_max_age),
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
            render_budget_ms_per_s,
            render_burst_ms,
            sizes,
        }
        .snapped())
    }
}

/// A path prefix as `key` must be written: from `/` to `/`, and without the
/// characters that would end the path or start an escape.
fn check_prefix(key: &str, prefix: &str, example: &str) -> Result<(), String> {
    let bad = |why: String| Err(format!("monogram configuration key '{key}' {why}"));
    if !prefix.starts_with('/') || !prefix.ends_with('/') || prefix.len() < 2 {
        return bad(format!("must start and end with '/', e.g. \"{example}\""));
    }
    if prefix.contains(['?', '#', '%'])
        || prefix.contains("//")
        || !prefix.bytes().all(|b| b.is_ascii_graphic())
    {
        return bad("must be printable ASCII without '?', '#', '%', spaces or '//'".to_string());
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
    fn the_photo_door_is_off_unless_its_prefix_is_set_and_overlaps_no_other() {
        let d = Config::default();
        assert_eq!(d.photo_prefix, None);
        assert_eq!(d.photo_fallback_statuses, [403, 404, 410]);
        assert!(d.photo_fallback_on_error);
        assert_eq!(d.photo_cache_control, "public, max-age=3600");
        let c = Config::from_json(
            br#"{"photo_prefix":"/photos/","photo_fallback_statuses":[404],
                 "photo_fallback_on_error":false,"photo_fallback_max_age":60}"#,
        )
        .unwrap();
        assert_eq!(c.photo_prefix.as_deref(), Some("/photos/"));
        assert_eq!(c.photo_fallback_statuses, [404]);
        assert!(!c.photo_fallback_on_error);
        assert_eq!(c.photo_cache_control, "public, max-age=60");
        for (json, key) in [
            (r#"{"photo_prefix":"/avatar/x/"}"#, "photo_prefix"),
            (r#"{"photo_prefix":"/"}"#, "photo_prefix"),
            (
                r#"{"ui_avatars_prefix":"/p/","photo_prefix":"/p/q/"}"#,
                "photo_prefix",
            ),
            (r#"{"photo_prefix":"photos"}"#, "photo_prefix"),
            (
                r#"{"photo_fallback_statuses":[200]}"#,
                "photo_fallback_statuses",
            ),
            (
                r#"{"photo_fallback_statuses":"404"}"#,
                "photo_fallback_statuses",
            ),
        ] {
            let e = Config::from_json(json.as_bytes()).unwrap_err();
            assert!(e.contains(&format!("'{key}'")), "{json}: {e}");
        }
    }

    #[test]
    fn keys_from_the_environment() {
        let env = |name: &str| {
            (name == "MONOGRAM_KEYS").then(|| {
                "0123456789abcdef0123456789abcdef-new, 0123456789abcdef0123456789abcdef-old"
                    .to_string()
            })
        };
        let c =
            Config::from_json_with_env(br#"{"signing_keys_env":"MONOGRAM_KEYS"}"#, env).unwrap();
        assert_eq!(c.signing_keys.len(), 2);
        let e = Config::from_json_with_env(br#"{"signing_keys_env":"OTHER"}"#, env).unwrap_err();
        assert!(e.contains("'OTHER'"), "{e}");
    }

    #[test]
    fn sizes_snap_up_and_default_to_a_list() {
        let c = Config::default();
        assert_eq!(c.sizes, DEFAULT_SIZES.to_vec());
        assert_eq!(
            (c.snap(16), c.snap(17), c.snap(129), c.snap(512)),
            (16, 20, 160, 512)
        );
        let big = Config::from_json(br#"{"max_size":2048}"#).unwrap();
        assert_eq!(big.sizes.last(), Some(&2048));
        assert_eq!(big.snap(1000), 2048);
        let small = Config::from_json(br#"{"max_size":100}"#).unwrap();
        assert_eq!(small.sizes.last(), Some(&100));
        assert_eq!(small.default_size, 100);
        let own = Config::from_json(br#"{"sizes":[64,32],"default_size":40}"#).unwrap();
        assert_eq!((own.sizes.clone(), own.default_size), (vec![32, 64], 64));
        assert_eq!(own.snap(512), 64);
        assert!(Config::from_json(br#"{"sizes":"any"}"#)
            .unwrap()
            .sizes
            .is_empty());
    }

    #[test]
    fn errors_show_values_escaped_and_cut() {
        let e = Config::from_json(br#"{"palette":["\nforged log line"]}"#).unwrap_err();
        assert!(!e.contains('\n') && e.contains("\\nforged"), "{e}");
        let long = format!(r#"{{"palette":["{}"]}}"#, "x".repeat(10_000_000));
        let e = Config::from_json(long.as_bytes()).unwrap_err();
        assert!(e.len() < 200, "{}", e.len());
        let e =
            Config::from_json(format!(r#"{{"{}":1}}"#, "k".repeat(1000)).as_bytes()).unwrap_err();
        assert!(e.len() < 200, "{}", e.len());
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
            let list: Vec<String> = (0..n)
                .map(|i| {
                    format!("{i}abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ")[..len].to_string()
                })
                .collect();
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
            (
                r#"{"signing_keys":["0123456789abcdef0123456789abcde"]}"#,
                "signing_keys",
            ),
            (
                r#"{"signing_keys":["                                "]}"#,
                "signing_keys",
            ),
            (r#"{"path_prefix":"/a//b/"}"#, "path_prefix"),
            (r#"{"path_prefix":"/avatär/"}"#, "path_prefix"),
            (r#"{"path_prefix":"/a b/"}"#, "path_prefix"),
            (
                r#"{"render_budget_ms_per_s":1001}"#,
                "render_budget_ms_per_s",
            ),
            (r#"{"render_budget_ms_per_s":-1}"#, "render_budget_ms_per_s"),
            (r#"{"render_burst_ms":0}"#, "render_burst_ms"),
            (r#"{"sizes":[]}"#, "sizes"),
            (r#"{"sizes":[8,16]}"#, "sizes"),
            (r#"{"sizes":[16,600]}"#, "sizes"),
            (r#"{"sizes":"all"}"#, "sizes"),
            (r#"{"sizes":[16.5]}"#, "sizes"),
            (r#"{"max_age":1,"max_age":2}"#, "max_age"),
            (
                r#"{"signing_keys_env":"NOT_SET_ANYWHERE"}"#,
                "signing_keys_env",
            ),
            (
                r#"{"signing_keys_env":"K","signing_keys":["0123456789abcdef0123456789abcdef"]}"#,
                "signing_keys_env",
            ),
        ] {
            let e = Config::from_json(json.as_bytes()).unwrap_err();
            assert!(e.contains(key), "{json} gave {e}");
            assert!(!e.contains('\n'), "one line: {e}");
        }
    }
}
