#!/usr/bin/env python3
"""Generates a large inventory in μNet's import format for the import benchmark.

    generate.py DIR [NODES] [LINKS]      (defaults: 100000 nodes, 100000 links)

Nodes are spread over 10 sites × 50 racks; link i joins node i (Ethernet1) to node i+1
(Ethernet2), wrapping around, so every interface is used by exactly one link.
"""

import json
import sys
import uuid
from pathlib import Path

NS = uuid.UUID("5d2b8e7c-1f4a-4c3b-9e6d-7a8b9c0d1e2f")


def uid(kind, key):
    return str(uuid.uuid5(NS, f"{kind}:{key}"))


def main():
    out = Path(sys.argv[1])
    n_nodes = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    n_links = int(sys.argv[3]) if len(sys.argv) > 3 else 100_000
    if n_links > n_nodes:
        sys.exit("at most one link per node: each node has one Ethernet1")
    out.mkdir(parents=True, exist_ok=True)
    locations, racks = [], []
    for s in range(10):
        site = uid("location", f"site-{s}")
        locations.append({"id": site, "name": f"Site {s:02d}", "kind": "site"})
        for r in range(50):
            rack = uid("location", f"site-{s}/rack-{r}")
            locations.append({"id": rack, "name": f"Rack {r:02d}", "kind": "rack",
                              "parent_id": site})
            racks.append(rack)
    vendors = [("arista", "arista_eos", "DCS-7050SX3"), ("cisco", "cisco_nxos", "N9K-C93180YC"),
               ("juniper", "juniper_junos", "QFX5120-48Y")]
    node_ids = []
    with open(out / "nodes.json", "w") as f:
        f.write("[\n")
        for i in range(n_nodes):
            vendor, platform, model = vendors[i % 3]
            node_id = uid("node", str(i))
            node_ids.append(node_id)
            record = {
                "id": node_id, "name": f"sw-{i:06d}", "domain": "bench.example.net",
                "vendor": vendor, "platform": platform, "model": model,
                "role": "leaf" if i % 10 else "spine", "status": "active",
                "location_id": racks[i % len(racks)],
                "management_ip": f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}",
                "serial_number": f"SN{i:08d}",
                "custom_data": {"bgp_asn": 64512 + i % 1000, "mgmt_vlan": 4000},
            }
            f.write(json.dumps(record))
            f.write(",\n" if i + 1 < n_nodes else "\n")
        f.write("]\n")
    with open(out / "links.json", "w") as f:
        f.write("[\n")
        for i in range(n_links):
            record = {
                "id": uid("link", str(i)), "node_a_id": node_ids[i], "interface_a": "Ethernet1",
                "node_z_id": node_ids[(i + 1) % n_nodes], "interface_z": "Ethernet2",
                "bandwidth_bps": 100_000_000_000,
            }
            f.write(json.dumps(record))
            f.write(",\n" if i + 1 < n_links else "\n")
        f.write("]\n")
    with open(out / "locations.json", "w") as f:
        json.dump(locations, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
