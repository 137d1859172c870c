//! Policy engine speed: 100 rules × 10,000 nodes (1,000,000 rule evaluations) and parsing
//! 10,000 rules. Targets (docs/benchmarks.md): ≤ 100 ms and ≤ 50 ms on one core.

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};
use unet_policy::{NodeFacts, PolicySet, parse};

const VENDORS: [&str; 3] = ["cisco", "arista", "juniper"];
const PLATFORMS: [&str; 3] = ["cisco_ios", "arista_eos", "juniper_junos"];
const ROLES: [&str; 5] = ["access", "distribution", "core", "leaf", "spine"];
const STATUSES: [&str; 4] = ["active", "active", "active", "planned"];

/// A realistic mix of conditions and actions; `i` varies literals so rules differ.
fn rule(i: usize) -> String {
    let vendor = VENDORS[i % 3];
    let platform = PLATFORMS[i % 3];
    let role = ROLES[i % 5];
    let site = i % 20;
    match i % 10 {
        0 => format!(
            "WHEN node.vendor == \"{vendor}\" AND node.status == \"active\" THEN ASSERT custom_data.snmp_version IS \"v3\""
        ),
        1 => format!("WHEN node.role == \"{role}\" THEN ASSERT node.management_ip IS NOT NULL"),
        2 => format!("WHEN node.name MATCHES /^{role}-s{site}-/ THEN APPLY \"{role}/base-{i}.j2\""),
        3 => format!(
            "WHEN custom_data.mgmt_vlan >= {} AND custom_data.mgmt_vlan <= 4094\n  THEN ASSERT custom_data.ntp_servers CONTAINS \"10.0.0.123\"",
            i % 900
        ),
        4 => format!(
            "WHEN location.path MATCHES /^Site {site}\\// OR location.ancestors.0.name == \"Site {site}\"\n  THEN ASSERT custom_data.syslog_server IS NOT NULL"
        ),
        5 => "WHEN NOT (node.status == \"decommissioned\" OR node.status == \"planned\") AND node.role == \"leaf\"\n  THEN ASSERT custom_data.bgp_asn >= 64512 AND custom_data.bgp_asn <= 65534".to_owned(),
        6 => format!(
            "WHEN node.model CONTAINS \"{}\" THEN SET custom_data.managed_by TO \"unet\"",
            9000 + i % 7 * 100
        ),
        7 => format!(
            "WHEN node.vendor == \"{vendor}\" AND node.platform != \"{platform}\" THEN ASSERT node.platform IS \"{platform}\""
        ),
        8 => format!(
            "WHEN custom_data.vlans CONTAINS {} THEN ASSERT custom_data.mgmt_vlan != {}",
            10 + i % 40,
            10 + i % 40
        ),
        _ => format!(
            "RULE \"rule-{i}\": WHEN node.revision > {} AND node.serial_number IS NOT NULL\n  THEN ASSERT node.asset_tag IS NULL",
            i % 13
        ),
    }
}

fn rules(count: usize) -> String {
    (0..count).map(|i| rule(i) + "\n").collect()
}

fn node(n: usize) -> Value {
    let vendor = VENDORS[n % 3];
    let role = ROLES[n % 5];
    json!({
        "id": format!("00000000-0000-4000-8000-{n:012}"),
        "name": format!("{role}-s{}-{n}", n % 20),
        "domain": "net.example.com",
        "vendor": vendor,
        "platform": PLATFORMS[n % 3],
        "model": format!("C{}-48P", 9000 + n % 7 * 100),
        "role": role,
        "status": STATUSES[n % 4],
        "management_ip": if n.is_multiple_of(50) { Value::Null } else { json!(format!("10.{}.{}.{}", n / 65536 % 256, n / 256 % 256, n % 256)) },
        "serial_number": format!("FOC{n:08}"),
        "asset_tag": if n.is_multiple_of(10) { json!(format!("A{n}")) } else { Value::Null },
        "revision": n % 17,
        "custom_data": {
            "snmp_version": if n.is_multiple_of(20) { "v2c" } else { "v3" },
            "mgmt_vlan": 100 + n % 900,
            "ntp_servers": ["10.0.0.123", "10.0.1.123"],
            "syslog_server": "10.0.0.50",
            "vlans": [10 + n % 40, 20 + n % 40, 30 + n % 40],
            "bgp_asn": 64512 + n % 1000
        }
    })
}

fn location(n: usize) -> Value {
    let site = n % 20;
    json!({
        "name": format!("Floor {}", n % 4),
        "kind": "floor",
        "path": format!("Site {site}/Building {}/Floor {}", n % 3, n % 4),
        "ancestors": [
            {"name": format!("Site {site}"), "kind": "site"},
            {"name": format!("Building {}", n % 3), "kind": "building"}
        ]
    })
}

/// Nanoseconds this thread has spent on a CPU (Linux). On a machine shared with other jobs,
/// wall time includes waiting for a core; this does not.
fn thread_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// Benchmarks `routine` twice: by wall time (`name`) and by this thread's CPU time
/// (`name_cpu_time`, where the platform reports it).
fn wall_and_cpu<R>(group: &mut BenchmarkGroup<'_, WallTime>, name: &str, routine: impl Fn() -> R) {
    group.bench_function(name, |b| b.iter(|| black_box(routine())));
    if thread_cpu_time().is_some() {
        group.bench_function(format!("{name}_cpu_time"), |b| {
            b.iter_custom(|iterations| {
                let start = thread_cpu_time().unwrap_or_default();
                for _ in 0..iterations {
                    black_box(routine());
                }
                thread_cpu_time().unwrap_or_default().saturating_sub(start)
            });
        });
    }
}

fn evaluate_all(set: &PolicySet, nodes: &[(Value, Value)]) -> usize {
    let mut failures = 0usize;
    for (node, location) in nodes {
        let facts = NodeFacts {
            location: Some(location),
            ..NodeFacts::new(node)
        };
        let evaluation = set.evaluate(black_box(&facts));
        failures += evaluation
            .results
            .iter()
            .filter(|r| r.expected().is_some())
            .count();
    }
    failures
}

fn evaluate(c: &mut Criterion) {
    let text = rules(100);
    let (set, _) = PolicySet::load([("bench.rules", text.as_str())]).expect("bench rules compile");
    let nodes: Vec<(Value, Value)> = (0..10_000).map(|n| (node(n), location(n))).collect();
    let mut group = c.benchmark_group("policy_evaluate");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements((set.len() * nodes.len()) as u64));
    wall_and_cpu(&mut group, "100_rules_x_10000_nodes", || {
        evaluate_all(&set, &nodes)
    });
    group.finish();
}

fn parse_rules(c: &mut Criterion) {
    let text = rules(10_000);
    let mut group = c.benchmark_group("policy_parse");
    group.sample_size(20);
    group.throughput(Throughput::Elements(10_000));
    wall_and_cpu(&mut group, "parse_10000_rules", || {
        let (file, diagnostics) = parse("bench.rules", black_box(&text));
        assert!(diagnostics.is_empty());
        file.rules.len()
    });
    wall_and_cpu(&mut group, "compile_10000_rules", || {
        let compiled = PolicySet::compile([("bench.rules", black_box(text.as_str()))]);
        assert!(!compiled.diagnostics.has_errors());
        compiled.set.len()
    });
    group.finish();
}

criterion_group!(benches, evaluate, parse_rules);
criterion_main!(benches);
