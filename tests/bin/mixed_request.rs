//! Prints the benchmarks' request (`recguard_tests::mixed_request`) as the
//! JSON a provider sends, for `recguard bench` and `recguard eval`:
//! `mixed-request <candidates> [surface]` (surface: `hot-list` by default).

fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: mixed-request <candidates> [surface]";
    let Some(count) = args.next().and_then(|n| n.parse::<usize>().ok()) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let surface = args.next().unwrap_or_else(|| "hot-list".into());
    let request = recguard_tests::mixed_request(count, &surface);
    match serde_json::to_string_pretty(&request) {
        Ok(json) => println!("{json}"),
        Err(e) => {
            eprintln!("mixed-request: {e}");
            std::process::exit(1);
        }
    }
}
