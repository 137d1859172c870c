#!/usr/bin/env python3
"""hier_config 3.7.1 as the differential oracle and benchmark peer of the μNet config engine.

Modes:
  remediate   read a JSON list of {"platform", "running", "intended"} on stdin and print, for
              each, {"remediation": [[path...], ...], "rollback": [[path...], ...]}: every command
              of hier_config's remediation as its path from the top-level line down.
  bench PLATFORM RUNNING INTENDED [ITERATIONS]
              time parse (both configs) and remediation, best of ITERATIONS, print JSON with
              milliseconds and the peak resident set size of this process.
"""

import json
import resource
import sys
import time

from hier_config import Platform, WorkflowRemediation, get_hconfig

PLATFORMS = {
    "cisco_ios": Platform.CISCO_IOS,
    "cisco_nxos": Platform.CISCO_NXOS,
    "cisco_iosxr": Platform.CISCO_XR,
    "arista_eos": Platform.ARISTA_EOS,
    "juniper_junos": Platform.JUNIPER_JUNOS,
    "generic": Platform.GENERIC,
}


def platform(name):
    try:
        return PLATFORMS[name]
    except KeyError:
        sys.exit(f"unknown platform {name!r}; expected one of {', '.join(PLATFORMS)}")


def paths(config):
    return [list(child.path()) for child in config.all_children_sorted()]


def remediate():
    jobs = json.load(sys.stdin)
    results = []
    for job in jobs:
        p = platform(job["platform"])
        workflow = WorkflowRemediation(get_hconfig(p, job["running"]), get_hconfig(p, job["intended"]))
        results.append({"remediation": paths(workflow.remediation_config), "rollback": paths(workflow.rollback_config)})
    json.dump(results, sys.stdout)


def bench(name, running_path, intended_path, iterations="5"):
    p = platform(name)
    with open(running_path, encoding="utf8") as f:
        running_text = f.read()
    with open(intended_path, encoding="utf8") as f:
        intended_text = f.read()
    best_parse = best_remediation = float("inf")
    lines = 0
    for _ in range(int(iterations)):
        start = time.perf_counter()
        running = get_hconfig(p, running_text)
        intended = get_hconfig(p, intended_text)
        parsed = time.perf_counter()
        remediation = WorkflowRemediation(running, intended).remediation_config
        done = time.perf_counter()
        best_parse = min(best_parse, (parsed - start) / 2)
        best_remediation = min(best_remediation, done - parsed)
        lines = len(list(remediation.all_children()))
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    json.dump(
        {
            "parse_ms": best_parse * 1000,
            "remediation_ms": best_remediation * 1000,
            "remediation_lines": lines,
            "peak_rss_kb": peak_kb,
        },
        sys.stdout,
    )
    print()


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "remediate":
        remediate()
    elif len(sys.argv) in (5, 6) and sys.argv[1] == "bench":
        bench(*sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
