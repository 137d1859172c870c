//! Full fleet evaluation of 10,000 nodes on SQLite with the example policies, results
//! recorded: the first run (every result row inserted) timed once, then steady-state runs
//! (results unchanged, only the per-node evaluation rows rewritten) under criterion.

use std::path::Path;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use unet_compliance::{EvaluateOptions, LoadedPolicies, evaluate};
use unet_core::{ChangeContext, ChangeSource};
use unet_store::{ImportOptions, Store, StoreOptions};

#[path = "common/fleet.rs"]
mod fleet_data;

use fleet_data::fleet;

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = std::env::temp_dir().join(format!("unet-fleet-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("bench directory");
    let url = format!("sqlite://{}", dir.join("bench.db").display());
    let store = runtime.block_on(async {
        let store = Store::open_and_migrate(&url, StoreOptions::default())
            .await
            .expect("open");
        let ctx = ChangeContext::new("bench", ChangeSource::Import);
        store
            .import(&ctx, fleet(), &ImportOptions::default())
            .await
            .expect("seed");
        store
    });
    let policies_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let policies = LoadedPolicies::load(&policies_dir).expect("example policies");
    assert!(
        !policies.diagnostics.has_errors(),
        "{}",
        policies.diagnostics
    );
    let opts = EvaluateOptions {
        record: true,
        ..Default::default()
    };
    let run = || async {
        evaluate(&store, &policies, &opts, &mut |_, _| {})
            .await
            .expect("evaluate")
    };
    let started = Instant::now();
    let first = runtime.block_on(run());
    eprintln!(
        "first full evaluation ({} nodes × {} rules, every result row inserted): {:.3} s",
        first.nodes,
        policies.set.len(),
        started.elapsed().as_secs_f64()
    );
    let mut group = c.benchmark_group("fleet");
    group.sample_size(10);
    group.bench_function("evaluate_10k_nodes_recorded", |b| {
        b.iter(|| runtime.block_on(run()));
    });
    group.finish();
    runtime.block_on(store.close());
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
