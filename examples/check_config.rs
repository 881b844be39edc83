//! Checks a plugin configuration with the filter's own parser, as
//! `on_configure` would: `check_config < config.json` prints `ok` and exits 0,
//! or prints the one-line reason the host would log and exits 1. Used by the
//! tests of the configurations under deploy/ and in the README.
use monogram::config::Config;
use std::io::Read;

fn main() {
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
