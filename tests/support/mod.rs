//! Shared by the golden-image, render-bytes, SVG and worst-case tests:
//! rendering a path natively, and the request path of every name of
//! `tests/scripts.txt` (read by `monogram_dev::scripts`, which the contact
//! sheet reads it with too).
#![allow(dead_code)] // each user takes what it needs

use monogram::{handle_once, Config, HttpRequest, Outcome};
use monogram_dev::scripts::{parse_script_list, percent_encode};
use std::path::Path;

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
