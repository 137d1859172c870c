#!/usr/bin/env python3
"""The peer of the configuration-loop benchmark: the Golden Config recipe in one process.

    peer.py DIR [NODES]     (default: every node of DIR/inventory/nodes.json)

For each node: render its three templates with Jinja2 (StrictUndefined, trim_blocks,
lstrip_blocks), then per compliance feature (one per template, matched by top-level
prefixes as Golden Config's match_config does) cut the same sections out of the intended and
the running configuration, parse both with hier_config 3.7.1 and compute the remediation; a
feature is compliant when the remediation is empty. Each node × feature result is written to
a SQLite table, one transaction per 1,000 nodes. The node context comes from the generated
JSON, not from a database (an advantage μNet does not get). Prints JSON with the time.
"""

import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import jinja2
from hier_config import Platform, WorkflowRemediation, get_hconfig

FEATURES = [
    ("bench/base.j2", ("hostname", "ip domain name", "service ", "no ip http", "ip ssh",
                       "ntp ", "logging ", "snmp-server ", "vlan ")),
    ("bench/ports.j2", ("interface GigabitEthernet",)),
    ("bench/routing.j2", ("router ",)),
]


def sections(text, prefixes):
    """The top-level sections (a line and its indented children) starting with a prefix."""
    out, keep = [], False
    for line in text.splitlines():
        if not line.startswith(" "):
            keep = line.startswith(prefixes)
        if keep:
            out.append(line)
    return "\n".join(out)


def main():
    root = Path(sys.argv[1])
    nodes = json.loads((root / "inventory" / "nodes.json").read_text())
    if len(sys.argv) > 2:
        nodes = nodes[: int(sys.argv[2])]
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(root / "templates"),
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite3.connect(Path(tmp) / "results.db")
        db.execute("CREATE TABLE config_compliance (node TEXT, feature TEXT, compliant INTEGER,"
                   " missing INTEGER, extra INTEGER, remediation TEXT,"
                   " PRIMARY KEY (node, feature))")
        started = time.perf_counter()
        non_compliant = 0
        rows = []
        for i, node in enumerate(nodes):
            running = (root / "running" / f"{node['name']}.cfg").read_text()
            compliant = True
            for template, prefixes in FEATURES:
                intended = env.get_template(template).render(node=node)
                workflow = WorkflowRemediation(
                    get_hconfig(Platform.CISCO_IOS, sections(running, prefixes)),
                    get_hconfig(Platform.CISCO_IOS, intended),
                )
                remediation = workflow.remediation_config
                lines = list(remediation.all_children_sorted())
                missing = sum(1 for c in lines if not c.text.startswith("no "))
                rows.append((node["name"], template, int(not lines), missing,
                             len(lines) - missing,
                             "\n".join(remediation.dump_simple())))
                compliant &= not lines
            non_compliant += not compliant
            if (i + 1) % 1000 == 0 or i + 1 == len(nodes):
                with db:
                    db.executemany("INSERT OR REPLACE INTO config_compliance"
                                   " VALUES (?, ?, ?, ?, ?, ?)", rows)
                rows.clear()
        elapsed = time.perf_counter() - started
        db.close()
    json.dump({"nodes": len(nodes), "seconds": elapsed, "non_compliant": non_compliant},
              sys.stdout)
    print()


if __name__ == "__main__":
    main()
