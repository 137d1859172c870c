//! Fills a database with a synthetic inventory for the HTTP benchmark
//! (`scripts/bench/api/run.sh`): `seed_inventory <database-url> <nodes>`.
//!
//! 100 sites; nodes spread over them with every status, four roles and three vendors, so
//! that filtered lists select a realistic share of the fleet.

use std::process::ExitCode;

use unet_core::{ChangeContext, ChangeSource, LocationDraft, NodeDraft, NodeStatus, Uuid};
use unet_store::{ImportBatch, ImportOptions, Origin, Sourced, Store, StoreOptions};

const SITES: usize = 100;
const ROLES: [&str; 4] = ["access", "distribution", "core", "edge"];
const VENDORS: [&str; 3] = ["cisco", "juniper", "arista"];

fn origin(index: usize) -> Origin {
    Origin {
        file: "seed".to_string(),
        index,
    }
}

fn batch(nodes: usize) -> ImportBatch {
    let sites: Vec<Uuid> = (0..SITES).map(|_| Uuid::new_v4()).collect();
    let locations = sites
        .iter()
        .enumerate()
        .map(|(i, id)| Sourced {
            origin: origin(i),
            draft: LocationDraft {
                id: Some(*id),
                name: format!("Site {i:03}"),
                kind: "site".to_string(),
                ..Default::default()
            },
        })
        .collect();
    let nodes = (0..nodes)
        .map(|i| Sourced {
            origin: origin(i),
            draft: NodeDraft {
                id: Some(Uuid::new_v4()),
                name: format!("sw-{i:06}"),
                domain: Some("net.example.com".to_string()),
                vendor: Some(VENDORS[i % VENDORS.len()].to_string()),
                role: Some(ROLES[i % ROLES.len()].to_string()),
                status: Some(NodeStatus::ALL[i % NodeStatus::ALL.len()]),
                location_id: Some(sites[i % SITES]),
                management_ip: Some(format!("10.{}.{}.{}", i >> 16 & 255, i >> 8 & 255, i & 255)),
                serial_number: Some(format!("SN{i:08}")),
                ..Default::default()
            },
        })
        .collect();
    ImportBatch {
        locations,
        nodes,
        links: Vec::new(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(url), Some(count)) = (args.get(1), args.get(2).and_then(|n| n.parse().ok())) else {
        eprintln!("usage: seed_inventory <database-url> <nodes>");
        return ExitCode::from(2);
    };
    let store = match Store::open_and_migrate(url, StoreOptions::default()).await {
        Ok(store) => store,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let ctx = ChangeContext::new("bench", ChangeSource::Import);
    let result = store
        .import(&ctx, batch(count), &ImportOptions::default())
        .await;
    store.close().await;
    match result {
        Ok(report) if report.failures.is_empty() => {
            println!(
                "seeded {} locations and {} nodes",
                report.locations.created, report.nodes.created
            );
            ExitCode::SUCCESS
        }
        Ok(report) => {
            eprintln!("error: {} records failed", report.failures.len());
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
