//! Times config compliance over a whole fleet, as the server's background run and
//! `unet policies eval` do it: every node's assigned templates rendered, compared slice by
//! slice with its latest stored running configuration, and the verdicts recorded.
//!
//!     config_fleet DATABASE_URL TEMPLATES_DIR [RUNS]
//!
//! Prints one JSON line: the nodes, each run's wall time and the counts of the last run.
//! Used by `scripts/bench/configloop/run`; the store must hold the fleet, its template
//! assignments and running configurations already.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use unet_compliance::{ConfigRunOptions, LoadedTemplates, check_configs};
use unet_store::{Store, StoreOptions};

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(url), Some(dir)) = (args.first(), args.get(1)) else {
        eprintln!("usage: config_fleet DATABASE_URL TEMPLATES_DIR [RUNS]");
        return ExitCode::from(2);
    };
    let runs: usize = match args.get(2).map(|r| r.parse()) {
        None => 3,
        Some(Ok(runs)) if runs > 0 => runs,
        Some(_) => {
            eprintln!("RUNS must be a positive number");
            return ExitCode::from(2);
        }
    };
    let templates = match LoadedTemplates::load(Path::new(dir)) {
        Ok(templates) => templates,
        Err(errors) => {
            eprintln!("templates do not load:\n{}", errors.join("\n"));
            return ExitCode::FAILURE;
        }
    };
    let store = match Store::open_and_migrate(url, StoreOptions::default()).await {
        Ok(store) => store,
        Err(e) => {
            eprintln!("{url}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut seconds = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let started = Instant::now();
        match check_configs(
            &store,
            &templates,
            &ConfigRunOptions::default(),
            &mut |_, _| {},
        )
        .await
        {
            Ok(report) => last = Some(report),
            Err(e) => {
                eprintln!("config check failed: {e}");
                return ExitCode::FAILURE;
            }
        }
        seconds.push(started.elapsed().as_secs_f64());
    }
    store.close().await;
    let report = last.expect("at least one run");
    println!(
        "{}",
        serde_json::json!({ "nodes": report.nodes, "seconds": seconds, "report": report })
    );
    ExitCode::SUCCESS
}
