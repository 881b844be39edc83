//! The layer table of docs/DESIGN.md ("Layers") is the import rule: a
//! module of `src/` uses only modules in rows above its own, or earlier in
//! its own row, and only `filter` uses `proxy_wasm`. Comments are not
//! imports, so a doc link may point anywhere; nor are unit tests (a
//! module's `mod tests` may drive it through the layers above).

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// `module path → rank`, in the table's order, and the row of each.
fn table() -> Vec<(String, usize)> {
    let design =
        fs::read_to_string(Path::new(ROOT).join("docs/DESIGN.md")).expect("docs/DESIGN.md");
    let start = design
        .find("<!-- layers")
        .expect("the layer table's opening marker");
    let end = design
        .find("<!-- /layers -->")
        .expect("the layer table's closing marker");
    let mut modules = Vec::new();
    for line in design[start..end].lines().filter(|l| l.starts_with("| ")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let Ok(row) = cells[1].parse::<usize>() else {
            continue;
        };
        for name in cells[2].split(',') {
            let name = name.trim().trim_matches('`');
            assert!(!name.is_empty(), "an empty module name in row {row}");
            modules.push((name.to_string(), row));
        }
    }
    assert!(!modules.is_empty(), "the layer table has no rows");
    modules
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("src/") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/draw/render.rs` → `draw::render`, `src/doors/mod.rs` → `doors`;
/// `None` for lib.rs, the facade.
fn module_of(file: &Path) -> Option<String> {
    let rel = file
        .strip_prefix(Path::new(ROOT).join("src"))
        .expect("under src/");
    let mut parts: Vec<String> = rel
        .with_extension("")
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    match parts.last().map(String::as_str) {
        Some("lib") => None,
        Some("mod") => {
            parts.pop();
            Some(parts.join("::"))
        }
        _ => Some(parts.join("::")),
    }
}

/// The code of a file without its comments (line comments only: the
/// crate has no block comments).
fn code(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            // A `//` inside a string literal ("http://...") is kept.
            Some(at) if line[..at].matches('"').count() % 2 == 0 => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every module a file's code names as `crate::a::b`, `crate::a` or in a
/// group, `crate::a::{b, c::X}`.
fn uses(code: &str, known: &HashMap<String, usize>) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        let path: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let group = rest[path.len()..]
            .strip_prefix('{')
            .and_then(|g| g.split_once('}'))
            .map(|(inside, _)| inside);
        let paths: Vec<String> = match group {
            Some(inside) => inside
                .split(',')
                .map(|item| format!("{path}{}", item.trim()))
                .collect(),
            None => vec![path],
        };
        for path in paths {
            found.push(module_named(&path, known));
        }
    }
    found
}

/// The module a path names: its longest prefix in the table.
fn module_named(path: &str, known: &HashMap<String, usize>) -> String {
    let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    (1..=segments.len().min(2))
        .rev()
        .map(|n| segments[..n].join("::"))
        .find(|m| known.contains_key(m))
        .unwrap_or_else(|| format!("?{path}"))
}

#[test]
fn every_module_uses_only_lower_layers() {
    let table = table();
    let rank: HashMap<String, usize> = table
        .iter()
        .enumerate()
        .map(|(i, (m, _))| (m.clone(), i))
        .collect();
    let row: HashMap<String, usize> = table.iter().cloned().collect();
    let mut files = Vec::new();
    sources(&Path::new(ROOT).join("src"), &mut files);
    files.sort();
    let mut listed = Vec::new();
    let mut wrong = Vec::new();
    for file in &files {
        let text = fs::read_to_string(file).expect("a source file");
        let text = text
            .split("#[cfg(test)]\nmod tests")
            .next()
            .unwrap_or_default();
        let code = code(text);
        let Some(module) = module_of(file) else {
            // lib.rs and the folders' mod.rs only declare and re-export.
            continue;
        };
        let Some(&own) = rank.get(&module) else {
            // A folder's mod.rs that only declares its modules needs no row.
            if code.contains("crate::") || !file.ends_with("mod.rs") {
                wrong.push(format!(
                    "{module}: not in the layer table of docs/DESIGN.md"
                ));
            }
            continue;
        };
        listed.push(module.clone());
        for used in uses(&code, &rank) {
            match rank.get(&used) {
                None => wrong.push(format!(
                    "{module} uses {used}, which is no module of the table"
                )),
                Some(&r) if r > own => wrong.push(format!(
                    "{module} (layer {}) uses {used} (layer {}), a higher layer",
                    row[&module], row[&used]
                )),
                Some(_) => {}
            }
        }
        if module != "filter" && code.contains("proxy_wasm") {
            wrong.push(format!("{module} uses proxy_wasm: only filter may"));
        }
    }
    for (module, _) in &table {
        if !listed.contains(module) {
            wrong.push(format!("{module}: in the layer table but no file of src/"));
        }
    }
    assert!(wrong.is_empty(), "layer violations:\n{}", wrong.join("\n"));
}
