//! Timing harness for `scripts/bench/config`: parse both configs and compute the remediation,
//! best of N runs, then print JSON with milliseconds and memory. Not part of the library
//! (which has no clock); run with `cargo run --release --example config_bench`.

use std::time::{Duration, Instant};

use unet_config::{parse, parse_platform, remediate};

fn peak_rss_kb() -> u64 {
    // Linux: VmHWM is the peak resident set size of this process.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse().ok())
        })
        .unwrap_or(0)
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let [_, platform, running_path, intended_path, rest @ ..] = args.as_slice() else {
        return Err("usage: config_bench PLATFORM RUNNING INTENDED [ITERATIONS]".into());
    };
    let iterations: u32 = rest
        .first()
        .map_or(Ok(20), |n| n.parse())
        .map_err(|e| format!("ITERATIONS: {e}"))?;
    let platform = parse_platform(platform).map_err(|e| format!("{e}"))?;
    let running_text =
        std::fs::read_to_string(running_path).map_err(|e| format!("{running_path}: {e}"))?;
    let intended_text =
        std::fs::read_to_string(intended_path).map_err(|e| format!("{intended_path}: {e}"))?;
    let baseline_kb = peak_rss_kb();

    let mut best_parse = Duration::MAX;
    let mut best_remediation = Duration::MAX;
    let mut commands = 0;
    for _ in 0..iterations.max(1) {
        let start = Instant::now();
        let running = parse(platform, &running_text).map_err(|e| format!("{running_path}: {e}"))?;
        let intended =
            parse(platform, &intended_text).map_err(|e| format!("{intended_path}: {e}"))?;
        let parsed = Instant::now();
        let remediation = remediate(&running, &intended);
        let done = Instant::now();
        best_parse = best_parse.min((parsed - start) / 2);
        best_remediation = best_remediation.min(done - parsed);
        commands = remediation.commands.len();
    }
    let peak_kb = peak_rss_kb();
    println!(
        "{{\"parse_ms\": {:.4}, \"remediation_ms\": {:.4}, \"remediation_top_level\": {commands}, \"peak_rss_kb\": {peak_kb}, \"baseline_rss_kb\": {baseline_kb}, \"input_bytes\": {}}}",
        best_parse.as_secs_f64() * 1000.0,
        best_remediation.as_secs_f64() * 1000.0,
        running_text.len() + intended_text.len(),
    );
    Ok(())
}
