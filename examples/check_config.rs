//! Checks a plugin configuration with the filter's own parser, as
//! `on_configure` would.
//!
//! - `check_config < config.json` prints `ok` and exits 0, or prints the
//!   one-line reason the host would log and exits 1.
//! - `check_config --nginx nginx.conf` checks the configuration string of
//!   every `proxy_wasm` directive in an Nginx configuration file (unquoted as
//!   Nginx unquotes it), printing `FILE:LINE: ok` or `FILE:LINE: reason` for
//!   each; it exits 1 if any is refused or there is none. Run it before
//!   `nginx -s reload`: Nginx itself accepts any string there, and workers
//!   whose filter refuses its configuration exit while the master keeps the
//!   port open. `include`d files are not followed: check each one.
//!
//! Used by the tests of the configurations under deploy/, the README and
//! `make run-nginx`.
use monogram::Config;
use std::io::Read;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => check_stdin(),
        [flag, file] if flag == "--nginx" => check_nginx(file),
        _ => {
            eprintln!("usage: check_config < config.json | check_config --nginx nginx.conf");
            std::process::exit(2);
        }
    }
}

fn check_stdin() {
    let mut bytes = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut bytes) {
        eprintln!("cannot read stdin: {e}");
        std::process::exit(2);
    }
    match Config::from_json(&bytes) {
        Ok(_) => println!("ok"),
        Err(message) => {
            println!("{message}");
            std::process::exit(1);
        }
    }
}

fn check_nginx(file: &str) {
    let text = match std::fs::read(file) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("cannot read {file}: {e}");
            std::process::exit(2);
        }
    };
    let directives = proxy_wasm_directives(&text);
    if directives.is_empty() {
        println!("{file}: no proxy_wasm directive");
        std::process::exit(1);
    }
    let mut refused = false;
    for (line, config) in directives {
        match Config::from_json(&config) {
            Ok(_) => println!("{file}:{line}: ok"),
            Err(message) => {
                refused = true;
                println!("{file}:{line}: {message}");
            }
        }
    }
    if refused {
        std::process::exit(1);
    }
}

/// One token of an Nginx configuration file: its text, after Nginx's
/// unquoting, and whether it was a quoted string.
struct Token {
    text: Vec<u8>,
    quoted: bool,
    line: usize,
}

/// (line, configuration) of every `proxy_wasm NAME [CONFIG];`; a directive
/// without a configuration hands the filter an empty one.
fn proxy_wasm_directives(text: &[u8]) -> Vec<(usize, Vec<u8>)> {
    let mut out = Vec::new();
    let mut statement: Vec<Token> = Vec::new();
    for token in tokens(text) {
        let ends = !token.quoted && matches!(token.text.as_slice(), b";" | b"{" | b"}");
        if !ends {
            statement.push(token);
            continue;
        }
        if let Some(first) = statement.first() {
            if !first.quoted && first.text == b"proxy_wasm" {
                let config = statement.get(2).map(|t| t.text.clone()).unwrap_or_default();
                out.push((first.line, config));
            }
        }
        statement.clear();
    }
    out
}

/// Nginx's tokenizer (ngx_conf_read_token): whitespace separates, `#`
/// starts a comment outside quotes, `;` `{` `}` are tokens of their own, and
/// inside quotes `\"` `\'` `\\` stand for the character and `\t` `\r` `\n`
/// for the control character.
fn tokens(text: &[u8]) -> Vec<Token> {
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while let Some(&c) = text.get(i) {
        match c {
            b'\n' => {
                line += 1;
                i += 1;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            b'#' => {
                while text.get(i).is_some_and(|&c| c != b'\n') {
                    i += 1;
                }
            }
            b';' | b'{' | b'}' => {
                out.push(Token {
                    text: vec![c],
                    quoted: false,
                    line,
                });
                i += 1;
            }
            b'"' | b'\'' => {
                let start_line = line;
                let mut value = Vec::new();
                i += 1;
                while let Some(&d) = text.get(i) {
                    if d == c {
                        i += 1;
                        break;
                    }
                    if d == b'\n' {
                        line += 1;
                    }
                    if d == b'\\' {
                        let escaped = match text.get(i + 1) {
                            Some(b'"') => Some(b'"'),
                            Some(b'\'') => Some(b'\''),
                            Some(b'\\') => Some(b'\\'),
                            Some(b't') => Some(b'\t'),
                            Some(b'r') => Some(b'\r'),
                            Some(b'n') => Some(b'\n'),
                            _ => None,
                        };
                        if let Some(e) = escaped {
                            value.push(e);
                            i += 2;
                            continue;
                        }
                    }
                    value.push(d);
                    i += 1;
                }
                out.push(Token {
                    text: value,
                    quoted: true,
                    line: start_line,
                });
            }
            _ => {
                let start = i;
                while text.get(i).is_some_and(|&d| {
                    !matches!(d, b' ' | b'\t' | b'\r' | b'\n' | b';' | b'{' | b'}')
                }) {
                    i += 1;
                }
                out.push(Token {
                    text: text.get(start..i).unwrap_or_default().to_vec(),
                    quoted: false,
                    line,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_proxy_wasm_and_unquotes_as_nginx_does() {
        let conf = br#"
# proxy_wasm monogram '{"max_size": 1}';
http { server { location /a/ {
    proxy_wasm monogram '{"path_prefix": "/a/", "signing_keys": ["it\'s \\ a key"]}';
}
location /b/ { proxy_wasm monogram
    "{\"max_size\": 9999}"; }
location /c/ { proxy_wasm monogram; } } }
"#;
        let found = proxy_wasm_directives(conf);
        assert_eq!(
            found,
            vec![
                (
                    4,
                    br#"{"path_prefix": "/a/", "signing_keys": ["it's \ a key"]}"#.to_vec()
                ),
                (6, br#"{"max_size": 9999}"#.to_vec()),
                (8, Vec::new()),
            ]
        );
    }
}
