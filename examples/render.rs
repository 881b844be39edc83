//! Renders one avatar URL path natively, without a proxy:
//! `cargo run --release --example render -- '/avatar/Ada%20Lovelace?size=256' out.png`
use monogram::{handle_once, Config, HttpRequest, Outcome};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(path), Some(out)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: render '/avatar/NAME?QUERY' OUT.png");
        std::process::exit(2);
    };
    let request = HttpRequest {
        method: "GET",
        path,
        if_none_match: None,
        accept: None,
    };
    match handle_once(&Config::default(), &request) {
        Outcome::Respond(r) if r.status == 200 => std::fs::write(out, &r.body).unwrap(),
        Outcome::Respond(r) => {
            eprintln!("{}: {}", r.status, String::from_utf8_lossy(&r.body));
            std::process::exit(1);
        }
        Outcome::PassThrough => eprintln!("not an avatar path"),
    }
}
