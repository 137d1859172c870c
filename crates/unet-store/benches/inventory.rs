//! Inventory store benchmark (release build): import of a generated inventory of 100,000
//! nodes and 100,000 links into a fresh SQLite file, then a filtered list page of 100 out of
//! 100,000 nodes. Prints the figures recorded in docs/benchmarks.md.
//!
//! `cargo bench -p unet-store --bench inventory` (set UNET_BENCH_NODES for another size).

use std::time::{Duration, Instant};

use unet_core::{
    ChangeContext, ChangeSource, LinkDraft, LocationDraft, NodeDraft, NodeFilter, NodeStatus,
    PageRequest, Uuid,
};
use unet_store::{ImportBatch, ImportOptions, Origin, Sourced, Store, StoreOptions};

const ROLES: [&str; 5] = ["leaf", "spine", "border", "access", "core"];
const VENDORS: [&str; 3] = ["cisco", "juniper", "arista"];

fn origin(file: &str, index: usize) -> Origin {
    Origin {
        file: file.to_string(),
        index,
    }
}

/// 10 sites × 10 racks; node i sits in rack i % 100; link i joins node i (eth1) to node
/// i + 1 (eth2), so every interface is used once.
fn inventory(n: usize) -> ImportBatch {
    let mut batch = ImportBatch::default();
    let mut racks = Vec::new();
    for s in 0..10 {
        let site = Uuid::new_v4();
        batch.locations.push(Sourced {
            origin: origin("locations.json", batch.locations.len()),
            draft: LocationDraft {
                id: Some(site),
                name: format!("Site {s}"),
                kind: "site".into(),
                ..Default::default()
            },
        });
        for r in 0..10 {
            let rack = Uuid::new_v4();
            racks.push(rack);
            batch.locations.push(Sourced {
                origin: origin("locations.json", batch.locations.len()),
                draft: LocationDraft {
                    id: Some(rack),
                    name: format!("Rack {r}"),
                    kind: "rack".into(),
                    parent_id: Some(site),
                    ..Default::default()
                },
            });
        }
    }
    let ids: Vec<Uuid> = (0..n).map(|_| Uuid::new_v4()).collect();
    for (i, id) in ids.iter().enumerate() {
        let status = match i % 10 {
            0..=6 => NodeStatus::Active,
            7 => NodeStatus::Planned,
            8 => NodeStatus::Maintenance,
            _ => NodeStatus::Offline,
        };
        batch.nodes.push(Sourced {
            origin: origin("nodes.json", i),
            draft: NodeDraft {
                id: Some(*id),
                name: format!("sw{i:06}"),
                domain: Some(format!("dc{}.example.net", i % 10)),
                vendor: Some(VENDORS[i % 3].into()),
                role: Some(ROLES[(i / 10) % 5].into()),
                status: Some(status),
                location_id: Some(racks[i % racks.len()]),
                management_ip: Some(format!("10.{}.{}.{}", i >> 16 & 255, i >> 8 & 255, i & 255)),
                serial_number: Some(format!("SN{i:08}")),
                model: Some("generic-48x10g".into()),
                ..Default::default()
            },
        });
    }
    for i in 0..n {
        batch.links.push(Sourced {
            origin: origin("links.json", i),
            draft: LinkDraft {
                id: Some(Uuid::new_v4()),
                node_a_id: ids[i],
                interface_a: "eth1".into(),
                node_z_id: Some(ids[(i + 1) % n]),
                interface_z: Some("eth2".into()),
                bandwidth_bps: Some(10_000_000_000),
                ..Default::default()
            },
        });
    }
    batch
}

/// CPU seconds this process has used (user + system, all threads), from /proc; the machine
/// is shared, so CPU time is reported next to wall time.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which ends with ')'): utime is the 12th, stime the 13th.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("UNET_BENCH_NODES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("temporary directory");
    // UNET_BENCH_DB=PATH keeps the database for inspection (it must not exist yet).
    let path = std::env::var("UNET_BENCH_DB")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| dir.path().join("bench.db"));
    let url = format!("sqlite://{}", path.display());
    // UNET_BENCH_SLOW_MS=N logs every statement slower than N ms (to find what dominates).
    let mut opts = StoreOptions::default();
    if let Some(ms) = std::env::var("UNET_BENCH_SLOW_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        opts.slow_query_threshold = Duration::from_millis(ms);
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .init();
    }
    let store = Store::open_and_migrate(&url, opts)
        .await
        .expect("open store");
    let batch = inventory(n);
    let ctx = ChangeContext::new("bench", ChangeSource::Import);

    let cpu = cpu_seconds();
    let started = Instant::now();
    let report = store
        .import(&ctx, batch, &ImportOptions::default())
        .await
        .expect("import");
    let import_time = started.elapsed();
    let import_cpu = cpu_seconds() - cpu;
    assert!(report.committed && report.failures.is_empty(), "{report:?}");
    println!(
        "import: {n} nodes + {n} links (+ 110 locations, change rows included) into SQLite: {:.2} s wall, {import_cpu:.2} s CPU",
        import_time.as_secs_f64()
    );

    let filter = NodeFilter {
        status: Some(NodeStatus::Active),
        role: Some("leaf".into()),
        ..Default::default()
    };
    let page = PageRequest::new(100, None).expect("page");
    let first = store.list_nodes(&filter, &page).await.expect("list");
    let mut times = Vec::new();
    for _ in 0..300 {
        let started = Instant::now();
        let got = store.list_nodes(&filter, &page).await.expect("list");
        times.push(started.elapsed());
        assert_eq!(got.items.len(), 100);
    }
    times.sort();
    println!(
        "list_nodes status=active role=leaf limit=100 ({} matches of {n}): median {:.2} ms, p95 {:.2} ms",
        first.total,
        percentile(&times, 0.5).as_secs_f64() * 1000.0,
        percentile(&times, 0.95).as_secs_f64() * 1000.0
    );
    let mut cursor = first.next_cursor;
    let mut times = Vec::new();
    while let Some(c) = cursor.take().filter(|_| times.len() < 100) {
        let started = Instant::now();
        let got = store
            .list_nodes(&filter, &PageRequest::new(100, Some(c)).expect("page"))
            .await
            .expect("list");
        times.push(started.elapsed());
        cursor = got.next_cursor;
    }
    times.sort();
    println!(
        "list_nodes next pages (keyset, {} pages): median {:.2} ms, p95 {:.2} ms",
        times.len(),
        percentile(&times, 0.5).as_secs_f64() * 1000.0,
        percentile(&times, 0.95).as_secs_f64() * 1000.0
    );
    store.close().await;
}
