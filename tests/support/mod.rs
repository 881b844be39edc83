//! Shared by the golden-image and render-bytes tests and the contact-sheet
//! example: reading `tests/scripts.txt`, turning its names into request
//! paths, and rendering a path natively.
#![allow(dead_code)] // each user takes what it needs

use monogram::{handle_once, Config, HttpRequest, Outcome};
use std::path::Path;

/// One line of `tests/scripts.txt`: slug, name, and extra query (possibly
/// empty), tab-separated; blank lines and `#` comments are skipped.
pub struct ScriptCase<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub query: &'a str,
}

pub fn parse_script_list(list: &str) -> Vec<ScriptCase<'_>> {
    list.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut fields = l.split('\t');
            let slug = fields.next().unwrap_or_default();
            let name = fields.next().unwrap_or_else(|| panic!("no name: {l:?}"));
            ScriptCase {
                slug,
                name,
                query: fields.next().unwrap_or_default(),
            }
        })
        .collect()
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The body of a 200 for `path` under the default configuration, rendered
/// natively and uncached.
pub fn render(path: &str) -> Vec<u8> {
    render_with(&Config::default(), path)
}

/// The body of a 200 for `path` under `config`, rendered natively and uncached.
pub fn render_with(config: &Config, path: &str) -> Vec<u8> {
    let req = HttpRequest {
        method: "GET",
        path,
        if_none_match: None,
        accept: None,
    };
    match handle_once(config, &req) {
        Outcome::Respond(r) if r.status == 200 => r.body,
        other => panic!("{path}: {other:?}"),
    }
}

/// (file stem, request path) of every name in `tests/scripts.txt` under
/// the repository `root`, at the default size.
pub fn script_cases(root: &Path) -> Vec<(String, String)> {
    let list = std::fs::read_to_string(root.join("tests/scripts.txt")).unwrap();
    parse_script_list(&list)
        .into_iter()
        .map(|c| {
            let query = if c.query.is_empty() {
                String::new()
            } else {
                format!("?{}", c.query)
            };
            (
                format!("script-{}", c.slug),
                format!("/avatar/{}{query}", percent_encode(c.name)),
            )
        })
        .collect()
}
