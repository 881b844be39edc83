//! Hit rate of the per-VM avatar cache against its capacity, for requests
//! whose popularity follows a Zipf law (the shape of web object popularity;
//! exponent 0.8 and 1.0) over a population of distinct avatars, at a fixed
//! mix of sizes. Runs the real request path (`response::handle`, real
//! renders, real body sizes) natively, one VM's cache:
//!
//!     cargo run --release --example cache_hit_rate
//!
//! A model, not a measurement of any site: it shows how the hit rate moves
//! with capacity, which is what the default capacity is chosen from
//! (docs/MEMORY.md).
use monogram::{handle, Budget, Cache, Config, HttpRequest, Outcome, State};

/// Requests measured per run (after as many to warm the cache), and the share of each size in them (px, per cent).
const REQUESTS: usize = 60_000;
const SIZES: [(u32, u32); 4] = [(40, 25), (64, 35), (128, 30), (256, 10)];

/// xorshift64*: a fixed, dependency-free sequence.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Cumulative Zipf weights of ranks 1..=n with exponent `s`, normalised.
fn zipf(n: usize, s: f64) -> Vec<f64> {
    let mut acc = 0.0;
    let mut cdf: Vec<f64> = (1..=n)
        .map(|k| {
            acc += 1.0 / (k as f64).powf(s);
            acc
        })
        .collect();
    for c in &mut cdf {
        *c /= acc;
    }
    cdf
}

fn path(rank: usize, size: u32) -> String {
    // Two-word Latin names, distinct per rank.
    let a = (b'A' + (rank % 26) as u8) as char;
    let b = (b'A' + (rank / 26 % 26) as u8) as char;
    format!("/avatar/{a}n{rank}%20{b}m?size={size}")
}

fn hit_rate(population: usize, s: f64, capacity: usize) -> f64 {
    let cdf = zipf(population, s);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let config = Config::default();
    // The render budget off: this models the cache, not admission.
    let mut state = State {
        cache: Cache::new(capacity),
        budget: Budget::new(0, 0),
    };
    let mut warm_hits = 0;
    // The first half warms the cache up; the second half is measured.
    for i in 0..2 * REQUESTS {
        if i == REQUESTS {
            warm_hits = state.cache.hits;
        }
        let rank = cdf.partition_point(|&c| c < rng.unit());
        let mut pick = rng.next() % 100;
        let size = SIZES
            .iter()
            .find(|&&(_, share)| {
                let here = pick < u64::from(share);
                pick = pick.saturating_sub(u64::from(share));
                here
            })
            .map_or(64, |&(px, _)| px);
        let p = path(rank, size);
        let req = HttpRequest {
            method: "GET",
            path: &p,
            if_none_match: None,
            accept: None,
        };
        if let Outcome::PassThrough = handle(&config, &mut state, &req, &|| 0) {
            unreachable!("{p}");
        }
    }
    (state.cache.hits - warm_hits) as f64 / REQUESTS as f64
}

fn main() {
    let capacities = [256 << 10, 512 << 10, 1 << 20, 2 << 20, 4 << 20, 8 << 20];
    print!("| population, Zipf exponent |");
    for c in capacities {
        print!(" {} KiB |", c >> 10);
    }
    println!();
    println!("|---|{}", "---|".repeat(capacities.len()));
    for (population, s) in [(10_000, 0.8), (10_000, 1.0), (100_000, 0.8), (100_000, 1.0)] {
        print!("| {population} avatars, s = {s} |");
        for c in capacities {
            print!(" {:.0}% |", 100.0 * hit_rate(population, s, c));
        }
        println!();
    }
    println!(
        "\n{REQUESTS} requests per cell, after {REQUESTS} to warm the cache up; sizes {}.",
        SIZES
            .iter()
            .map(|(px, share)| format!("{px} px {share}%"))
            .collect::<Vec<_>>()
            .join(", ")
    );
}
