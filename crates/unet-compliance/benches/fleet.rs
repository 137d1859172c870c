//! Full fleet evaluation of 10,000 nodes on SQLite with the example policies, results
//! recorded: the first run (every result row written) timed once, then steady-state runs
//! (results unchanged, only the per-node evaluation rows rewritten) under criterion.

use std::path::Path;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use unet_compliance::{EvaluateOptions, LoadedPolicies, evaluate};
use unet_core::{ChangeContext, ChangeSource, LocationDraft, NodeDraft, NodeStatus, Uuid};
use unet_store::{ImportBatch, ImportOptions, Origin, Sourced, Store, StoreOptions};

const NODES: usize = 10_000;
const SITES: usize = 20;

fn origin(index: usize) -> Origin {
    Origin {
        file: "bench".into(),
        index,
    }
}

/// Sites with a timezone, a rack per 40 nodes, and a mixed fleet of vendors and roles.
fn fleet() -> ImportBatch {
    let mut batch = ImportBatch::default();
    let sites: Vec<Uuid> = (0..SITES).map(|_| Uuid::new_v4()).collect();
    for (i, id) in sites.iter().enumerate() {
        batch.locations.push(Sourced {
            origin: origin(i),
            draft: LocationDraft {
                id: Some(*id),
                name: format!("Site {i}"),
                kind: "site".into(),
                custom_data: Some(json!({"timezone": "Europe/Berlin"})),
                ..Default::default()
            },
        });
    }
    let racks: Vec<Uuid> = (0..NODES / 40).map(|_| Uuid::new_v4()).collect();
    for (i, id) in racks.iter().enumerate() {
        batch.locations.push(Sourced {
            origin: origin(SITES + i),
            draft: LocationDraft {
                id: Some(*id),
                name: format!("Rack {i}"),
                kind: "rack".into(),
                parent_id: sites.get(i % SITES).copied(),
                ..Default::default()
            },
        });
    }
    let vendors = [
        ("cisco", "access"),
        ("arista", "leaf"),
        ("juniper", "firewall"),
    ];
    for i in 0..NODES {
        let (vendor, role) = vendors[i % vendors.len()];
        batch.nodes.push(Sourced {
            origin: origin(i),
            draft: NodeDraft {
                id: Some(Uuid::new_v4()),
                name: format!("node{i:05}"),
                domain: Some("bench.example.net".into()),
                vendor: Some(vendor.into()),
                role: Some(role.into()),
                status: Some(if i % 10 == 0 { NodeStatus::Planned } else { NodeStatus::Active }),
                location_id: racks.get(i / 40).copied(),
                management_ip: (i % 7 != 0).then(|| format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256)),
                serial_number: Some(format!("SN{i:08}")),
                custom_data: Some(json!({"snmp_version": if i % 5 == 0 { "v2c" } else { "v3" }, "ntp_servers": ["192.0.2.1"]})),
                ..Default::default()
            },
        });
    }
    batch
}

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
        "first full evaluation ({} nodes × {} rules, every result written): {:.3} s",
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
