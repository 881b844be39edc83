//! `tests/scripts.txt` (one name per script, with the query some need), read
//! by the golden-image and render-bytes tests and the contact sheet, and its
//! names written as request paths.

/// One line of `tests/scripts.txt`: slug, name, and extra query (possibly
/// empty), tab-separated; blank lines and `#` comments are skipped.
pub struct ScriptCase<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub query: &'a str,
}

/// Every case of a script list. Panics on a line without a name: the list
/// is the tests' own file.
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
