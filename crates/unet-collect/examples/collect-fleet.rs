//! Collects a simulated fleet with this crate alone, for the collection benchmark: what the SSH
//! transport costs without the server's bookkeeping (database, schedule, compliance).
//!
//! `collect-fleet FLEET_JSON COUNT CONCURRENCY`
//!
//! reads the `fleet.json` that `device-fleet` writes, collects COUNT of its devices (spread over
//! the fleet) CONCURRENCY at a time, with the sessions on their own thread as in the server
//! (callers on a multi-threaded runtime like the server's), and prints one JSON object:
//! `devices`, `seconds`, `cpu` (this process's user + system seconds over the collections),
//! `failed` and the first `errors`.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use unet_collect::{Credential, HostKeys, Limits, Login, SshSessions, Target, load_private_key};
use unet_core::Platform;

const USAGE: &str = "usage: collect-fleet FLEET_JSON COUNT CONCURRENCY";

/// This process's user + system CPU seconds so far.
fn cpu_seconds() -> Result<f64, String> {
    let stat = std::fs::read_to_string("/proc/self/stat").map_err(|e| e.to_string())?;
    // The fields after the command name, which is in parentheses and may hold blanks.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
    // utime and stime, fields 14 and 15 of proc(5), in clock ticks (100 per second on Linux).
    match (ticks(11), ticks(12)) {
        (Some(user), Some(system)) => Ok((user + system) / 100.0),
        _ => Err("/proc/self/stat is not what proc(5) describes".to_string()),
    }
}

async fn run(fleet: &Value, count: usize, concurrency: usize) -> Result<Value, String> {
    let field = |name: &str| {
        fleet[name]
            .as_str()
            .ok_or(format!("fleet.json has no {name}"))
    };
    let port = fleet["port"]
        .as_u64()
        .and_then(|p| u16::try_from(p).ok())
        .ok_or("fleet.json has no port")?;
    let key = load_private_key(field("key_file")?.as_ref())?;
    let login = Arc::new(Login {
        user: field("user")?.to_string(),
        credential: Credential::Key(key),
        enable: None,
    });
    let devices = fleet["devices"]
        .as_array()
        .ok_or("fleet.json has no devices")?;
    let count = count.min(devices.len());
    let limits = Limits {
        connect: Duration::from_secs(30),
        total: Duration::from_secs(60),
        max_bytes: 16 << 20,
    };
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let sessions = Arc::new(SshSessions::start().map_err(|e| e.to_string())?);
    let cpu0 = cpu_seconds()?;
    let started = Instant::now();
    let mut running = JoinSet::new();
    for k in 0..count {
        let device = &devices[k * devices.len() / count];
        let address = device["address"]
            .as_str()
            .and_then(|a| a.parse().ok())
            .ok_or("a device without an address")?;
        let hostname = device["hostname"].as_str().unwrap_or_default().to_string();
        let (login, permits, sessions) = (login.clone(), permits.clone(), sessions.clone());
        running.spawn(async move {
            let _permit = permits.acquire_owned().await.ok()?;
            let target = Target {
                node: &hostname,
                address,
                port,
                platform: Platform::CiscoIos,
                format: None,
            };
            let collected = sessions
                .collect(&target, &login, &HostKeys::Pinned(None), &limits)
                .await;
            match collected {
                Ok(c) if c.text.contains(&format!("hostname {hostname}\n")) => None,
                Ok(c) => Some(format!("{address}: unexpected text {:?}", c.text.get(..80))),
                Err(e) => Some(format!("{address}: {e}")),
            }
        });
    }
    let mut errors = Vec::new();
    while let Some(done) = running.join_next().await {
        match done {
            Ok(Some(error)) => errors.push(error),
            Ok(None) => {}
            Err(e) => errors.push(format!("a collection task failed: {e}")),
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds()? - cpu0;
    Ok(json!({
        "devices": count,
        "seconds": seconds,
        "cpu": cpu,
        "failed": errors.len(),
        "errors": errors.iter().take(5).collect::<Vec<_>>(),
    }))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [fleet_json, count, concurrency] = args.as_slice() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let (Ok(count), Ok(concurrency)) = (count.parse(), concurrency.parse()) else {
        eprintln!("collect-fleet: COUNT and CONCURRENCY are numbers\n{USAGE}");
        return ExitCode::from(2);
    };
    let fleet = std::fs::read_to_string(fleet_json)
        .map_err(|e| format!("{fleet_json}: {e}"))
        .and_then(|text| serde_json::from_str(&text).map_err(|e| format!("{fleet_json}: {e}")));
    let result = match fleet {
        Ok(fleet) => run(&fleet, count, concurrency).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("collect-fleet: {e}");
            ExitCode::FAILURE
        }
    }
}
