"""Steps of the SNMP polling benchmark (scripts/bench/snmp/run): the simulators' data, the
inventory, a fleet-wide poll through the API with the server's CPU and memory, and the peer
(net-snmp's own tools polling the same tables). Each step prints one JSON object."""

import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
# The v3 user every simulator knows; the context name picks the agent's recording.
AUTH = ["-v3", "-l", "authPriv", "-u", "unet-bench", "-a", "SHA-256", "-A", "unet-bench-auth",
        "-x", "AES", "-X", "unet-bench-priv", "-r", "2", "-t", "2"]


def out(value):
    print(json.dumps(value))


def context(i):
    return f"a{i:05d}"


def data(recordings_dir, out_dir, devices, sims, *recordings):
    """One recording file per agent (hard links of a few real recordings, in turn on each
    simulator), in one folder per simulator; agent i is served by simulator i % sims."""
    out_dir = Path(out_dir)
    sources = [Path(recordings_dir) / f"{r}.snmprec" for r in recordings]
    for s in range(int(sims)):
        (out_dir / f"sim{s}").mkdir(parents=True, exist_ok=True)
    for i in range(int(devices)):
        target = out_dir / f"sim{i % int(sims)}" / f"{context(i)}.snmprec"
        if not target.exists():
            os.link(sources[(i // int(sims)) % len(sources)], target)
    out({"agents": int(devices)})


def inventory(out_dir, devices, sims, base_port):
    nodes = []
    for i in range(int(devices)):
        nodes.append({
            "id": str(uuid.uuid5(uuid.NAMESPACE_DNS, context(i))), "name": context(i),
            "vendor": "generic", "platform": "generic", "status": "active",
            "management_ip": "127.0.0.1",
            "custom_data": {"snmp": {"port": int(base_port) + i % int(sims), "context": context(i)}},
        })
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "nodes.json").write_text(json.dumps(nodes) + "\n")
    (out_dir / "locations.json").write_text("[]\n")
    (out_dir / "links.json").write_text("[]\n")
    out({"nodes": len(nodes)})


def stat_fields(pid):
    with open(f"/proc/{pid}/stat") as file:
        return file.read().rsplit(")", 1)[1].split()


def cpu_seconds(pid):
    fields = stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as file:
        for line in file:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def api(base, path, method="GET"):
    request = urllib.request.Request(base + path, method=method, data=b"{}" if method == "POST" else None,
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read())


def poll(base, server_pid, sim_pids):
    """One fleet-wide run: started, followed until nothing is due or polling."""
    sims = [int(p) for p in sim_pids.split(",")]
    cpu0, sims0 = cpu_seconds(server_pid), sum(cpu_seconds(p) for p in sims)
    started = time.monotonic()
    managed = api(base, "/api/v1/status/poll", "POST")["managed"]
    peak = 0
    while True:
        # Asking for the figures costs the server too: every 2 s, not more.
        time.sleep(2)
        peak = max(peak, rss_bytes(server_pid))
        summary = api(base, "/api/v1/status?limit=1")["summary"]
        if summary["due"] == 0 and summary["polling"] == 0:
            break
    wall = time.monotonic() - started
    cpu = cpu_seconds(server_pid) - cpu0
    fleet = api(base, "/api/v1/status?limit=10000")
    failing = [n for n in fleet["nodes"] if n["result"] != "ok"]
    interfaces = sum(n["interfaces"] for n in fleet["nodes"])
    out({
        "managed": managed, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
        "cpu_ms_per_poll": round(cpu * 1000 / max(managed, 1), 3),
        "cpu_s_per_1000_polls": round(cpu * 1000 / max(managed, 1), 2),
        "rss_mb": round(rss_bytes(server_pid) / 2**20, 1), "peak_rss_mb": round(peak / 2**20, 1),
        "sims_cpu_s": round(sum(cpu_seconds(p) for p in sims) - sims0, 2),
        "failing": len(failing), "failures": [f"{n['node']}: {n['message']}" for n in failing[:5]],
        "interfaces": interfaces,
    })


def peer(count, concurrency, sims, base_port):
    """net-snmp's tools poll what μNet polls: the system group with snmpget, then ifTable,
    ifXTable and the LLDP remote table with snmpbulkwalk, per agent; their CPU per agent."""
    count, sims, base_port = int(count), int(sims), int(base_port)

    def one(i):
        target = f"127.0.0.1:{base_port + i % sims}"
        common = AUTH + ["-n", context(i), "-On", "-Cr24"]
        commands = [["snmpget"] + AUTH + ["-n", context(i), "-On", target] +
                    [f"1.3.6.1.2.1.1.{n}.0" for n in range(1, 7)]]
        for table in ["1.3.6.1.2.1.2.2", "1.3.6.1.2.1.31.1.1", "1.0.8802.1.1.2.1.4.1"]:
            commands.append(["snmpbulkwalk"] + common + [target, table])
        ok = True
        for command in commands:
            ok &= subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
        return ok

    before = os.times()
    started = time.monotonic()
    with ThreadPoolExecutor(int(concurrency)) as pool:
        results = list(pool.map(one, range(count)))
    wall = time.monotonic() - started
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    out({"agents": count, "failed": results.count(False), "wall_s": round(wall, 2),
         "cpu_s": round(cpu, 2), "cpu_ms_per_poll": round(cpu * 1000 / count, 3)})


STEPS = {"data": data, "inventory": inventory, "poll": poll, "peer": peer}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in STEPS:
        sys.exit(f"usage: bench.py {{{','.join(STEPS)}}} ARGS…")
    STEPS[sys.argv[1]](*sys.argv[2:])
