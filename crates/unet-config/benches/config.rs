//! Parse and remediation of a generated 10,000-line IOS access-switch config (the shape of
//! `scripts/bench/config/generate.py`). Targets (docs/benchmarks.md): parse ≤ 2 ms,
//! remediation ≤ 1 ms. The hier_config comparison lives in `scripts/bench/config/run`.

use std::fmt::Write;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use unet_config::{Platform, parse, remediate};

/// About `lines` lines of config; `intended` drops, changes and adds a few percent of ports.
fn config(lines: usize, intended: bool) -> String {
    let mut out = String::from("hostname bench-sw\nno ip http server\n");
    for vlan in 10..60 {
        let _ = writeln!(out, "vlan {vlan}\n name VLAN{vlan}");
    }
    let ports = (lines.saturating_sub(900) * 100) / 614;
    let extra = if intended { ports / 50 } else { 0 };
    for i in 0..ports + extra {
        if intended && i % 50 == 7 {
            continue;
        }
        let changed = intended && i % 20 == 3;
        let (slot, port) = (i / 48, i % 48 + 1);
        let _ = writeln!(
            out,
            "interface GigabitEthernet{}/{}/{port}",
            slot / 8 + 1,
            slot % 8
        );
        let _ = writeln!(
            out,
            " description access port {i}{}",
            if changed { " (moved)" } else { "" }
        );
        let _ = writeln!(
            out,
            " switchport mode access\n switchport access vlan {}",
            10 + (i + usize::from(changed)) % 40
        );
        out.push_str(" spanning-tree portfast\n spanning-tree bpduguard enable\n");
    }
    out.push_str("ip access-list extended EDGE-IN\n");
    for n in 1..200 {
        if intended && n % 50 == 0 {
            let _ = writeln!(out, " {} deny ip host 192.0.2.{} any", n * 10 - 5, n % 250);
        }
        let _ = writeln!(
            out,
            " {} permit tcp any host 10.0.{}.1 eq 443",
            n * 10,
            n % 250
        );
    }
    out.push_str("router bgp 65000\n");
    let peers = if intended { 10..210 } else { 0..200 };
    for p in peers.clone() {
        let _ = writeln!(
            out,
            " neighbor 10.255.{}.{} remote-as {}",
            p / 250,
            p % 250,
            65100 + p
        );
    }
    out.push_str(" address-family ipv4\n");
    for p in peers {
        let _ = writeln!(out, "  neighbor 10.255.{}.{} activate", p / 250, p % 250);
    }
    out.push_str(" exit-address-family\nend\n");
    out
}

fn bench(c: &mut Criterion) {
    let running_text = config(10_000, false);
    let intended_text = config(10_000, true);
    let running = parse(Platform::CiscoIos, &running_text).expect("generated config parses");
    let intended = parse(Platform::CiscoIos, &intended_text).expect("generated config parses");

    let mut group = c.benchmark_group("config_10000_lines");
    group.throughput(Throughput::Bytes(running_text.len() as u64));
    group.bench_function("parse", |b| {
        b.iter(|| parse(Platform::CiscoIos, black_box(&running_text)))
    });
    group.bench_function("remediate", |b| {
        b.iter(|| remediate(black_box(&running), black_box(&intended)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
