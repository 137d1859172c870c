#!/usr/bin/env python3
"""Generate a running/intended pair of IOS configs of about LINES lines each.

The pair differs the way real drift does: ~5% of interfaces change description or VLAN,
some are added or removed, ACL entries are inserted, BGP neighbors come and go.
Deterministic (fixed seed) so every run measures the same input.
Usage: generate.py LINES OUTDIR
"""

import random
import sys
from pathlib import Path


def interface(i, variant):
    slot, port = divmod(i, 48)
    lines = [f"interface GigabitEthernet{slot // 8 + 1}/{slot % 8}/{port + 1}"]
    desc = f"access port {i}" + (" (moved)" if variant else "")
    lines.append(f" description {desc}")
    if i % 5 == 0:
        lines += [" switchport mode trunk", f" switchport trunk allowed vlan 10,20,{30 + variant}"]
    else:
        lines += [" switchport mode access", f" switchport access vlan {10 + (i + variant) % 40}"]
    lines += [" spanning-tree portfast", " spanning-tree bpduguard enable"]
    if i % 7 == 0:
        lines.append(" shutdown")
    return lines


def config(total, intended):
    rng = random.Random(7)
    out = ["hostname bench-sw", "service timestamps log datetime msec", "no ip http server"]
    out += [f"vlan {v}\n name VLAN{v}" for v in range(10, 60)]
    # About 6.14 lines per interface; the fixed sections take about 900 lines.
    n_if = max(1, int((total - 900) / 6.14))
    for i in range(n_if):
        roll = rng.random()
        if intended and roll < 0.02:
            continue  # removed from intended
        variant = 1 if (intended and roll > 0.95) else 0
        out += interface(i, variant)
    if intended:
        for i in range(n_if, n_if + n_if // 50):
            out += interface(i, 0)
    out.append("ip access-list extended EDGE-IN")
    for n in range(1, 200):
        if intended and n % 50 == 0:
            out.append(f" {n * 10 - 5} deny ip host 192.0.2.{n % 250} any")
        out.append(f" {n * 10} permit tcp any host 10.{n // 250}.{n % 250}.1 eq 443")
    out.append("router bgp 65000")
    peers = range(0, 200) if not intended else range(10, 210)
    for p in peers:
        out.append(f" neighbor 10.255.{p // 250}.{p % 250} remote-as {65100 + p}")
        out.append(f" neighbor 10.255.{p // 250}.{p % 250} description peer {p}")
    out.append(" address-family ipv4")
    for p in peers:
        out.append(f"  neighbor 10.255.{p // 250}.{p % 250} activate")
    out.append(" exit-address-family")
    out.append("end")
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    lines, outdir = int(sys.argv[1]), Path(sys.argv[2])
    outdir.mkdir(parents=True, exist_ok=True)
    for name, intended in (("running", False), ("intended", True)):
        (outdir / f"{name}-{lines}.cfg").write_text(config(lines, intended))


if __name__ == "__main__":
    main()
