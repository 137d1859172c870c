//! Runs a fleet of simulated devices for benchmarks (feature `testing`):
//!
//! `device-fleet --dir DIR --count N --platform PLATFORM [--config FILE]`
//!
//! starts N devices of PLATFORM (configuration body: FILE, else each device's default), writes
//! `DIR/fleet.json` (`port`, `user`, `key_file`, `password` when there is one, and `devices`:
//! `address`, `platform`, `hostname`, `dir`, `host_key`), prints `ready` and runs until its
//! standard input closes or it gets SIGTERM or SIGINT; then stops the fleet.

use std::path::PathBuf;
use std::process::ExitCode;

use tokio::signal::unix::{SignalKind, signal};
use unet_collect::testing::{Fleet, PLATFORMS};

const USAGE: &str = "usage: device-fleet --dir DIR --count N --platform PLATFORM [--config FILE]";

struct Args {
    dir: PathBuf,
    count: usize,
    platform: &'static str,
    config: Option<String>,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let (mut dir, mut count, mut platform, mut config) = (None, None, None, None);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--dir" => dir = Some(PathBuf::from(value)),
            "--count" => {
                count = Some(value.parse().map_err(|_| format!("bad --count {value}"))?);
            }
            "--platform" => {
                let known = PLATFORMS.iter().find(|p| **p == value);
                platform = Some(*known.ok_or(format!(
                    "unknown platform {value} (one of {})",
                    PLATFORMS.join(", ")
                ))?);
            }
            "--config" => {
                config =
                    Some(std::fs::read_to_string(&value).map_err(|e| format!("{value}: {e}"))?);
            }
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    Ok(Args {
        dir: dir.ok_or("--dir is required")?,
        count: count.ok_or("--count is required")?,
        platform: platform.ok_or("--platform is required")?,
        config,
    })
}

/// `text` as a JSON string.
fn json(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn describe(fleet: &Fleet) -> String {
    let devices: Vec<String> = fleet
        .devices()
        .iter()
        .enumerate()
        .map(|(i, device)| {
            format!(
                "    {{\"address\": {}, \"platform\": {}, \"hostname\": {}, \"dir\": {}, \"host_key\": {}}}",
                json(&device.address.to_string()),
                json(device.platform),
                json(&device.hostname),
                json(&device.dir.display().to_string()),
                json(fleet.host_key(i)),
            )
        })
        .collect();
    let password = fleet
        .password()
        .map(|p| format!("  \"password\": {},\n", json(p)))
        .unwrap_or_default();
    format!(
        "{{\n  \"port\": {},\n  \"user\": {},\n  \"key_file\": {},\n{password}  \"devices\": [\n{}\n  ]\n}}\n",
        fleet.port(),
        json(fleet.user()),
        json(&fleet.key_file().display().to_string()),
        devices.join(",\n")
    )
}

/// Prints `ready`, then returns when standard input closes or SIGTERM or SIGINT arrives.
fn announce_and_wait() -> std::io::Result<()> {
    let (closed, stdin_closed) = tokio::sync::oneshot::channel();
    // A plain thread: a blocked read would keep a runtime's blocking pool from shutting down.
    std::thread::spawn(move || {
        // Either way (end of input or an error), it is time to stop.
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        let _ = closed.send(());
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut terminate = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        // Only now: a signal sent on `ready` must find the handlers in place.
        println!("ready");
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
            _ = stdin_closed => {}
        }
        Ok(())
    })
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("device-fleet: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = std::fs::create_dir_all(&args.dir) {
        eprintln!("device-fleet: {}: {e}", args.dir.display());
        return ExitCode::FAILURE;
    }
    let fleet = Fleet::start(&args.dir, &vec![args.platform; args.count]);
    if let Some(body) = &args.config {
        for i in 0..args.count {
            fleet.set_config(i, body);
        }
    }
    let file = args.dir.join("fleet.json");
    if let Err(e) = std::fs::write(&file, describe(&fleet)) {
        eprintln!("device-fleet: {}: {e}", file.display());
        return ExitCode::FAILURE;
    }
    let waited = announce_and_wait();
    drop(fleet);
    match waited {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("device-fleet: {e}");
            ExitCode::FAILURE
        }
    }
}
