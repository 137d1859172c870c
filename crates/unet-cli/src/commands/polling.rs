//! `unet nodes poll|status|interfaces|neighbours` and `unet status nodes|events`: the devices'
//! state as the server polls it over SNMP. Polling needs the server (it holds the
//! credentials); the polled state reads from the database too. `poll` exits 1 when a node's
//! poll failed; `poll --all` follows the fleet-wide run with a progress bar until it is over.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::Value;
use unet_core::Node;

use unet_store::{EventFilter, PollFilter};

use super::collect::follow_run;
use crate::client::{Backend, Polled};
use crate::error::Result;
use crate::output::{OutputFormat, cell, note, print_rows, print_structured};

/// The `unet nodes` commands about polled state.
#[derive(Debug, Subcommand)]
pub enum PolledCommand {
    /// Poll the nodes' SNMP agents now (through the server): the nodes named, or every
    /// managed node with --all. Exits 1 when a poll failed.
    Poll(PollArgs),
    /// A node's polled state: reachability, last poll, system name, software version,
    /// uptime, interface and neighbour counts, and where it disagrees with the inventory.
    Status {
        /// Node name, FQDN or UUID.
        node: String,
    },
    /// A node's interfaces as last polled: status, speed, traffic and errors.
    Interfaces {
        /// Node name, FQDN or UUID.
        node: String,
    },
    /// A node's LLDP neighbours as last polled.
    Neighbours {
        /// Node name, FQDN or UUID.
        node: String,
    },
}

#[derive(Debug, Args)]
pub struct PollArgs {
    /// Node names, FQDNs or UUIDs.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub nodes: Vec<String>,
    /// Every managed node (active or staged, with a management address), the server's
    /// `snmp.concurrency` at a time.
    #[arg(long)]
    pub all: bool,
    /// With --all: start the run and return without waiting for it.
    #[arg(long, requires = "all")]
    pub no_wait: bool,
}

/// `unet status`: the fleet's polled state.
#[derive(Debug, Subcommand)]
pub enum StatusCommand {
    /// The polling figures and every managed node's status (or those filtered).
    Nodes(FleetArgs),
    /// Status events newest first: unreachable/reachable, reboots, interfaces down/up,
    /// LLDP neighbours added/lost.
    Events(EventsArgs),
}

#[derive(Debug, Args)]
pub struct FleetArgs {
    /// Only nodes whose agent does not answer.
    #[arg(long)]
    pub unreachable: bool,
    /// Only nodes that disagree with the inventory (name, version, links, neighbours).
    #[arg(long)]
    pub drift: bool,
    /// Only nodes whose last poll ended so (ok, timeout, auth_failed, malformed,
    /// not_configured, network_error).
    #[arg(long)]
    pub result: Option<String>,
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Only this node's events (name, FQDN or UUID).
    #[arg(long)]
    pub node: Option<String>,
    /// Only events of this type (reachable, unreachable, reboot, interface_up,
    /// interface_down, neighbour_added, neighbour_lost).
    #[arg(long = "type")]
    pub kind: Option<String>,
    /// Only events at or after this time (RFC 3339).
    #[arg(long)]
    pub since: Option<String>,
    /// At most this many events, 1 to 1000.
    #[arg(long, default_value_t = 100)]
    pub limit: u32,
}

fn structured(format: OutputFormat) -> bool {
    matches!(format, OutputFormat::Json | OutputFormat::Yaml)
}

pub async fn run_polled<B: Backend>(
    backend: &B,
    cmd: PolledCommand,
    format: OutputFormat,
) -> Result<ExitCode> {
    let (node, what) = match cmd {
        PolledCommand::Poll(args) if args.all => {
            return poll_all(backend, args.no_wait, format).await;
        }
        PolledCommand::Poll(args) => return poll(backend, &args.nodes, format).await,
        PolledCommand::Status { node } => (node, Polled::Status),
        PolledCommand::Interfaces { node } => (node, Polled::Interfaces),
        PolledCommand::Neighbours { node } => (node, Polled::Neighbours),
    };
    let node: Node = backend.resolve(&node).await?;
    let answer = backend.polled(&node, what).await?;
    match what {
        Polled::Status => print_status(&answer, format)?,
        Polled::Interfaces => print_interfaces(&answer, format)?,
        Polled::Neighbours => print_list(
            &answer,
            &[
                "local_port",
                "system_name",
                "port",
                "chassis_id",
                "port_description",
            ],
            format,
        )?,
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn run_status<B: Backend>(
    backend: &B,
    cmd: StatusCommand,
    format: OutputFormat,
) -> Result<ExitCode> {
    match cmd {
        StatusCommand::Nodes(args) => {
            let filter = PollFilter {
                result: args.result.as_deref().map(str::parse).transpose()?,
                unreachable: args.unreachable,
                drift: args.drift,
            };
            let fleet = backend.fleet_status(&filter).await?;
            if structured(format) {
                print_structured(&mut std::io::stdout().lock(), &fleet, format)?;
                return Ok(ExitCode::SUCCESS);
            }
            let s = &fleet["summary"];
            if format == OutputFormat::Table {
                let schedule = match &s["enabled"] {
                    Value::Bool(true) => "on",
                    Value::Bool(false) => "off",
                    _ => "(the server's)",
                };
                note!(
                    "schedule {schedule}: {} managed, {} due, {} polling, {} failing, {} unreachable, {} with drift, {} never polled; last run {}",
                    cell(&s["managed"]),
                    cell(&s["due"]),
                    cell(&s["polling"]),
                    cell(&s["failing"]),
                    cell(&s["unreachable"]),
                    cell(&s["drifting"]),
                    cell(&s["never_polled"]),
                    if s["last_run"].is_null() {
                        "unknown here".to_string()
                    } else {
                        cell(&s["last_run"])
                    },
                );
            }
            print_statuses(&fleet["nodes"], format)?;
        }
        StatusCommand::Events(args) => {
            let node = match &args.node {
                Some(ident) => Some(backend.resolve::<Node>(ident).await?.id),
                None => None,
            };
            let since = args.since.as_deref().map(str::parse).transpose()?;
            let filter = EventFilter {
                node,
                kind: args.kind.as_deref().map(str::parse).transpose()?,
                since,
                before: None,
            };
            if !(1..=1000).contains(&args.limit) {
                return Err(unet_core::CoreError::invalid(
                    "--limit",
                    "an integer from 1 to 1000",
                    args.limit.to_string(),
                )
                .into());
            }
            let events = backend.status_events(&filter, args.limit).await?;
            if structured(format) {
                print_structured(&mut std::io::stdout().lock(), &events, format)?;
            } else {
                let rows = events
                    .iter()
                    .map(|e| {
                        vec![
                            cell(&e["occurred_at"]),
                            cell(&e["node"]),
                            cell(&e["kind"]),
                            cell(&e["interface"]),
                            detail(&e["detail"]),
                        ]
                    })
                    .collect();
                print_rows(
                    format,
                    &["occurred_at", "node", "type", "interface", "detail"],
                    rows,
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// An event's detail as `key=value` pairs.
fn detail(value: &Value) -> String {
    value
        .as_object()
        .map(|fields| {
            fields
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| format!("{k}={}", cell(v)))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

async fn poll<B: Backend>(backend: &B, nodes: &[String], format: OutputFormat) -> Result<ExitCode> {
    let mut reports = Vec::new();
    for ident in nodes {
        let node: Node = backend.resolve(ident).await?;
        reports.push(backend.poll(node.id).await?);
    }
    let any_failed = reports.iter().any(|r| r["result"] != "ok");
    if structured(format) {
        print_structured(&mut std::io::stdout().lock(), &reports, format)?;
    } else {
        let columns = [
            "node",
            "result",
            "interfaces",
            "neighbours",
            "drift",
            "events",
            "duration_ms",
            "message",
        ];
        let rows = reports
            .iter()
            .map(|r| {
                columns
                    .iter()
                    .map(|k| match &r[*k] {
                        Value::Array(kinds) => kinds.iter().map(cell).collect::<Vec<_>>().join(" "),
                        v => cell(v),
                    })
                    .collect()
            })
            .collect();
        print_rows(format, &columns, rows)?;
    }
    Ok(if any_failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn poll_all<B: Backend>(
    backend: &B,
    no_wait: bool,
    format: OutputFormat,
) -> Result<ExitCode> {
    let started = backend.poll_all().await?;
    let managed = started["managed"].as_u64().unwrap_or(0);
    if no_wait {
        if structured(format) {
            print_structured(&mut std::io::stdout().lock(), &started, format)?;
        } else {
            note!("polling {managed} managed nodes; follow with `unet status nodes`");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let every = PollFilter::default();
    let fleet = follow_run(managed, "polling", "polling", || {
        backend.fleet_status(&every)
    })
    .await?;
    let failing: Vec<Value> = fleet["nodes"]
        .as_array()
        .map(|nodes| {
            nodes
                .iter()
                .filter(|n| n["result"] != "ok")
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    if structured(format) {
        let answer = serde_json::json!({"summary": fleet["summary"], "failing": failing});
        print_structured(&mut std::io::stdout().lock(), &answer, format)?;
    } else {
        note!("polled {managed} managed nodes: {} failing", failing.len());
        if !failing.is_empty() {
            print_statuses(&Value::Array(failing.clone()), format)?;
        }
    }
    Ok(if failing.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn print_statuses(statuses: &Value, format: OutputFormat) -> Result<()> {
    let columns = [
        "node",
        "reachable",
        "result",
        "version",
        "uptime",
        "interfaces",
        "drift",
        "last_poll_at",
        "message",
    ];
    let rows = statuses
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|s| {
            columns
                .iter()
                .map(|k| match *k {
                    "result" if s["polling"] == true => "polling…".to_string(),
                    "version" => cell(&s["system"]["version"]),
                    "uptime" => uptime(&s["system"]["uptime_ticks"]),
                    "interfaces" => format!(
                        "{}/{} up",
                        cell(&s["interfaces_up"]),
                        cell(&s["interfaces"])
                    ),
                    "drift" => s["drift"].as_array().map_or(0, Vec::len).to_string(),
                    key => cell(&s[key]),
                })
                .collect()
        })
        .collect();
    print_rows(format, &columns, rows)
}

/// `sysUpTime` (hundredths of a second) as days, hours and minutes.
fn uptime(ticks: &Value) -> String {
    let Some(ticks) = ticks.as_u64() else {
        return String::new();
    };
    let minutes = ticks / 6000;
    format!(
        "{}d {:02}h {:02}m",
        minutes / 1440,
        minutes / 60 % 24,
        minutes % 60
    )
}

fn print_status(status: &Value, format: OutputFormat) -> Result<()> {
    if structured(format) {
        return print_structured(&mut std::io::stdout().lock(), status, format);
    }
    let system = &status["system"];
    let mut rows: Vec<Vec<String>> = [
        ("node", cell(&status["node"])),
        ("reachable", cell(&status["reachable"])),
        ("result", cell(&status["result"])),
        ("message", cell(&status["message"])),
        ("last poll", cell(&status["last_poll_at"])),
        ("last success", cell(&status["last_success_at"])),
        ("next poll", cell(&status["next_due_at"])),
        ("failures in a row", cell(&status["failures"])),
        ("system name", cell(&system["name"])),
        ("vendor", cell(&system["vendor"])),
        ("version", cell(&system["version"])),
        ("uptime", uptime(&system["uptime_ticks"])),
        ("booted at", cell(&status["booted_at"])),
        ("description", cell(&system["description"])),
        ("location", cell(&system["location"])),
        (
            "interfaces",
            format!(
                "{} ({} up)",
                cell(&status["interfaces"]),
                cell(&status["interfaces_up"])
            ),
        ),
        ("neighbours", cell(&status["neighbours"])),
    ]
    .into_iter()
    .map(|(k, v)| vec![k.to_string(), v])
    .collect();
    for d in status["drift"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let what = [&d["interface"], &d["expected"], &d["actual"]];
        rows.push(vec![
            format!("drift: {}", cell(&d["kind"])),
            format!(
                "{}expected {}, device says {}",
                if what[0].is_null() {
                    String::new()
                } else {
                    format!("{}: ", cell(what[0]))
                },
                if what[1].is_null() {
                    "nothing".to_string()
                } else {
                    cell(what[1])
                },
                if what[2].is_null() {
                    "nothing".to_string()
                } else {
                    cell(what[2])
                },
            ),
        ]);
    }
    print_rows(format, &["field", "value"], rows)
}

fn print_interfaces(list: &Value, format: OutputFormat) -> Result<()> {
    if structured(format) {
        return print_structured(&mut std::io::stdout().lock(), list, format);
    }
    let columns = [
        "index",
        "name",
        "admin",
        "oper",
        "speed",
        "in_bps",
        "out_bps",
        "in_errors",
        "out_errors",
        "alias",
    ];
    let rows = list
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|i| {
            vec![
                cell(&i["index"]),
                cell(&i["name"]),
                cell(&i["admin_status"]),
                cell(&i["oper_status"]),
                i["speed_bps"].as_u64().map(rate).unwrap_or_default(),
                i["in_bps"].as_u64().map(rate).unwrap_or_default(),
                i["out_bps"].as_u64().map(rate).unwrap_or_default(),
                cell(&i["counters"]["in_errors"]),
                cell(&i["counters"]["out_errors"]),
                cell(&i["alias"]),
            ]
        })
        .collect();
    print_rows(format, &columns, rows)
}

/// Bits per second the way operators read them (10G, 1.5M).
fn rate(bps: u64) -> String {
    let units = [
        (1_000_000_000_000, "T"),
        (1_000_000_000, "G"),
        (1_000_000, "M"),
        (1_000, "k"),
    ];
    for (size, unit) in units {
        if bps >= size {
            let value = bps as f64 / size as f64;
            return if value.fract() == 0.0 {
                format!("{value:.0}{unit}")
            } else {
                format!("{value:.1}{unit}")
            };
        }
    }
    bps.to_string()
}

fn print_list(list: &Value, columns: &[&str], format: OutputFormat) -> Result<()> {
    if structured(format) {
        return print_structured(&mut std::io::stdout().lock(), list, format);
    }
    let rows = list
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|item| columns.iter().map(|k| cell(&item[*k])).collect())
        .collect();
    print_rows(format, columns, rows)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn rates_and_uptimes_read_as_operators_say_them() {
        assert_eq!(rate(10_000_000_000), "10G");
        assert_eq!(rate(1_500_000), "1.5M");
        assert_eq!(rate(999), "999");
        assert_eq!(uptime(&json!(8_640_000 + 360_000 + 6_000)), "1d 01h 01m");
        assert_eq!(uptime(&Value::Null), "");
        assert_eq!(
            detail(&json!({"from": "up", "to": "down", "x": null})),
            "from=up to=down"
        );
    }
}
