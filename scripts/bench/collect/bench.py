#!/usr/bin/env python3
"""Steps of the collection benchmark (scripts/bench/collect/run), each printing one JSON line.

    bench.py configs FLEET_JSON                    per-device running configs (~300 lines)
    bench.py inventory FLEET_JSON OUT_DIR          μNet import files: node dev<i> per device
    bench.py floor FLEET_JSON COUNT CONCURRENCY    plain OpenSSH `ssh HOST 'show running-config'`
    bench.py netmiko FLEET_JSON COUNT CONCURRENCY  netmiko 4.8.0 send_command, threads
    bench.py collect BASE SERVER_PID FLEET_JSON    POST /collection/run, wait, CPU accounting
    bench.py syslog BASE FLEET_JSON COUNT SYSLOG_ADDR   change configs, log it, time the store

Standard library only, except `netmiko` (imported by that step alone).
"""

import json
import os
import resource
import subprocess
import sys
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

NS = uuid.UUID("6c1d0f0e-7a43-4f4e-9a1b-5b2f0c7d9e12")
CLK_TCK = os.sysconf("SC_CLK_TCK")
SYSLOG = b"<189>1: *Dec  7 10:00:01.123: %SYS-5-CONFIG_I: Configured from console by admin on vty0"


def node_id(address):
    # Deterministic, so every step finds a device's node without asking the server.
    return str(uuid.uuid5(NS, address))


def load(fleet_json):
    fleet = json.loads(Path(fleet_json).read_text())
    fleet["base"] = Path(fleet_json).parent
    return fleet


def out(value):
    print(json.dumps(value))


# --- the devices' configurations -------------------------------------------------------------

def running_config(i, hostname, change=0):
    """An access switch's running config (the emulator adds `Building configuration...`,
    the size line and `end`); `change` > 0 alters the SNMP contact, a real change."""
    vlan = 100 + (i % 10) * 100
    lines = [
        "version 15.2", "no service pad",
        "service timestamps debug datetime msec", "service timestamps log datetime msec",
        "service password-encryption", "!", f"hostname {hostname}", "!",
        "boot-start-marker", "boot-end-marker", "!",
        "enable secret 9 $9$abcdefghijklmnop$abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ",
        "username admin privilege 15 secret 9 $9$qrstuvwxyzabcdef$abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ",
        "aaa new-model", "aaa authentication login default group tacacs+ local",
        "aaa authorization exec default group tacacs+ local", "!",
        "ip domain name bench.example.net", "ip name-server 10.0.0.53",
        "no ip http server", "no ip http secure-server", "ip ssh version 2", "!",
    ]
    for v in range(vlan, vlan + 40):
        lines += [f"vlan {v}", f" name USERS-{v}"]
    lines.append("!")
    for port in range(1, 25):
        lines += [f"interface GigabitEthernet1/0/{port}",
                  f" description {hostname} access port {port}"]
        if port % 6 == 0:
            lines += [" switchport mode trunk",
                      f" switchport trunk allowed vlan {vlan}-{vlan + 9}"]
        else:
            lines += [" switchport mode access", f" switchport access vlan {vlan + port}",
                      " spanning-tree portfast"]
        lines.append("!")
    lines += ["interface Vlan1", " no ip address", " shutdown", "!",
              f"interface Vlan{vlan}", f" ip address 10.{i >> 8 & 255}.{i & 255}.1 255.255.255.0", "!",
              "router ospf 1", f" router-id 10.{i >> 8 & 255}.{i & 255}.1", " passive-interface default",
              f" network 10.{i >> 8 & 255}.{i & 255}.0 0.0.0.255 area 0", "!",
              f"router bgp {64512 + i % 1000}", " bgp log-neighbor-changes"]
    for peer in range(8):
        lines += [f" neighbor 10.255.{peer}.1 remote-as {65100 + peer}",
                  f" neighbor 10.255.{peer}.1 description upstream-{peer}"]
    lines += [" address-family ipv4"]
    lines += [f"  neighbor 10.255.{peer}.1 activate" for peer in range(8)]
    lines += [" exit-address-family", "!",
              "ntp server 10.0.0.1", "ntp server 10.0.0.2",
              "logging buffered 64000", "logging host 10.0.1.10", "logging host 10.0.1.11",
              "snmp-server community 7 0822455D0A16 RO", f"snmp-server location site-{i % 10:02d}",
              f"snmp-server contact noc{f'-{change}' if change else ''}@example.net", "!",
              "banner motd ^C", "Authorised access only.", "^C", "!",
              "line con 0", " logging synchronous", "line vty 0 4", " transport input ssh", "!"]
    return "\n".join(lines) + "\n"


def write_config(device_dir, text):
    # Atomically, as testing.rs does: a session reads the old or the new body, never half.
    path = Path(device_dir) / "config"
    temporary = path.with_name(f"config.tmp-{os.getpid()}")
    temporary.write_text(text)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


def configs(fleet_json):
    fleet = load(fleet_json)
    sizes = []
    for i, device in enumerate(fleet["devices"]):
        text = running_config(i, device["hostname"])
        write_config(device["dir"], text)
        sizes.append(len(text))
    out({"devices": len(sizes), "lines": text.count("\n"), "bytes": sum(sizes) // len(sizes)})


def inventory(fleet_json, out_dir):
    fleet = load(fleet_json)
    nodes = [{
        "id": node_id(d["address"]), "name": d["hostname"], "vendor": "cisco",
        "platform": "cisco_ios", "status": "active", "management_ip": d["address"],
    } for d in fleet["devices"]]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "nodes.json").write_text(json.dumps(nodes) + "\n")
    (out_dir / "locations.json").write_text("[]\n")
    (out_dir / "links.json").write_text("[]\n")
    out({"nodes": len(nodes)})


# --- CPU accounting --------------------------------------------------------------------------

def stat_fields(pid):
    with open(f"/proc/{pid}/stat") as file:
        # After the command name (which may hold blanks): utime is [11], stime [12],
        # cutime [13], cstime [14].
        return file.read().rsplit(")", 1)[1].split()


def cpu_seconds(pid, children):
    fields = stat_fields(pid)
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / CLK_TCK


def sshd_masters(fleet):
    return [int(p.read_text()) for p in sorted(fleet["base"].glob("fleet-*/sshd-*/sshd.pid"))]


def simulators_cpu(fleet):
    """CPU of the sshd masters and everything they reaped (sessions and emulators)."""
    return sum(cpu_seconds(pid, children=True) for pid in sshd_masters(fleet))


def settle(fleet, limit=10.0):
    """Waits until no session runs under any sshd master, so every session's CPU is reaped
    into its master's cutime/cstime; returns the sessions still alive at the limit."""
    masters = set(sshd_masters(fleet))
    deadline = time.monotonic() + limit
    while True:
        alive = 0
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    if int(stat_fields(entry)[1]) in masters:
                        alive += 1
                except (OSError, IndexError):
                    pass
        if alive == 0 or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


# --- the peers -------------------------------------------------------------------------------

def sample(fleet, count):
    devices = fleet["devices"]
    count = min(count, len(devices))
    # Spread over the fleet, so every sshd serves its share.
    return [devices[k * len(devices) // count] for k in range(count)]


def timed_pool(fleet, count, concurrency, fetch, self_cpu):
    """Runs `fetch(device) -> text` over the sample; wall time, failures, the simulators' CPU
    and this process's CPU (self or reaped children)."""
    devices = sample(fleet, count)
    who = resource.RUSAGE_SELF if self_cpu else resource.RUSAGE_CHILDREN
    settle(fleet)
    sims0 = simulators_cpu(fleet)
    r0 = resource.getrusage(who)
    t0 = time.monotonic()

    def one(device):
        try:
            text = fetch(device)
        except Exception as e:  # Counted and shown: the run goes on.
            return f"{device['address']}: {type(e).__name__}: {e}"
        return None if f"hostname {device['hostname']}\n" in text else f"{device['address']}: bad output {text[:80]!r}"

    with ThreadPoolExecutor(concurrency) as pool:
        errors = [e for e in pool.map(one, devices) if e]
    seconds = time.monotonic() - t0
    r1 = resource.getrusage(who)
    settle(fleet)
    out({"devices": len(devices), "seconds": seconds, "failed": len(errors), "errors": errors[:5],
         "cpu": (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime),
         "simulators_cpu": simulators_cpu(fleet) - sims0})


def floor(fleet_json, count, concurrency):
    fleet = load(fleet_json)

    def fetch(device):
        # -F /dev/null: neither the user's nor the system's ssh_config changes the figure.
        command = ["ssh", "-F", "/dev/null", "-p", str(fleet["port"]), "-i", fleet["key_file"],
                   "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
                   "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                   "-o", "ConnectTimeout=10", f"{fleet['user']}@{device['address']}",
                   "show running-config"]
        done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        if done.returncode:
            raise RuntimeError(f"ssh exit {done.returncode}: {done.stderr.decode(errors='replace').strip()}")
        return done.stdout.decode(errors="replace")

    timed_pool(fleet, int(count), int(concurrency), fetch, self_cpu=False)


def netmiko(fleet_json, count, concurrency):
    from netmiko import ConnectHandler

    fleet = load(fleet_json)

    def fetch(device):
        connection = ConnectHandler(
            device_type="cisco_ios", host=device["address"], port=fleet["port"],
            username=fleet["user"], use_keys=True, key_file=fleet["key_file"],
            allow_agent=False, ssh_strict=False, system_host_keys=False,
            alt_host_keys=False, conn_timeout=30)
        try:
            return connection.send_command("show running-config")
        finally:
            connection.disconnect()

    timed_pool(fleet, int(count), int(concurrency), fetch, self_cpu=True)


def transport(fleet_json, count, concurrency, binary):
    """unet-collect's `collect-fleet` example over the sample: μNet's SSH transport alone, with
    no database, schedule or compliance; it measures its own CPU."""
    fleet = load(fleet_json)
    settle(fleet)
    sims0 = simulators_cpu(fleet)
    done = subprocess.run([binary, fleet_json, str(count), str(concurrency)],
                          capture_output=True, text=True, timeout=900)
    if done.returncode:
        raise SystemExit(f"collect-fleet exit {done.returncode}: {done.stderr.strip()}")
    report = json.loads(done.stdout)
    settle(fleet)
    report["simulators_cpu"] = simulators_cpu(fleet) - sims0
    out(report)


# --- μNet ------------------------------------------------------------------------------------

def api(base, path, method="GET"):
    request = urllib.request.Request(base + path, method=method,
                                     data=b"" if method == "POST" else None)
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)


def epoch(text):
    """An RFC 3339 timestamp (nanoseconds allowed) as seconds since the epoch."""
    from datetime import datetime
    head, _, fraction = text.rstrip("Z").partition(".")
    seconds = datetime.fromisoformat(head + "+00:00").timestamp()
    return seconds + float("0." + fraction) if fraction else seconds


def collections_logged(text):
    """The schedule's collections in a stretch of the server log: (node, duration_ms) each."""
    import re
    found = []
    for line in text.splitlines():
        if 'event="collection"' in line and 'trigger="schedule"' in line:
            node = re.search(r'node="([^"]+)"', line)
            duration = re.search(r"duration_ms=(\d+)", line)
            found.append((node and node.group(1), int(duration.group(1)) if duration else 0))
    return found


def collect(base, server_pid, fleet_json, server_log):
    """One fleet-wide run, from POST until `due == 0 && in_progress == 0`. Wall: POST to the
    end of the last fetch the server recorded (last_attempt_at + duration_ms; the same clock),
    so the polling does not round it up. μNet's CPU: the
    server's utime+stime from POST to the poll that saw the end; the simulators' CPU once
    their sessions are reaped. Then the server CPU of one status poll, measured idle. From
    the server's log: how many collections the run made (a node may be collected twice) and
    how many were in flight on average (their durations summed over the wall time)."""
    fleet = load(fleet_json)
    pid = int(server_pid)
    settle(fleet)
    sims0 = simulators_cpu(fleet)
    cpu0 = cpu_seconds(pid, children=False)
    log_offset = os.path.getsize(server_log)
    t0, wall0 = time.monotonic(), time.time()
    started = api(base, "/api/v1/collection/run", "POST")
    # The server logs every collection; the status API (a poll costs the server a few ms of
    # CPU, counted in its figure) is asked only once every node has been logged, or every 5 s.
    polls, seen, last_poll, partial = 0, set(), t0, ""
    with open(server_log, errors="replace") as log:
        log.seek(log_offset)
        while True:
            time.sleep(0.1)
            # Whole lines only: the server may be halfway through writing one.
            lines, _, partial = (partial + log.read()).rpartition("\n")
            seen.update(node for node, _ in collections_logged(lines))
            if len(seen) < started["managed"] and time.monotonic() - last_poll < 5:
                continue
            summary = api(base, "/api/v1/collection?limit=1")["summary"]
            polls, last_poll = polls + 1, time.monotonic()
            if summary["due"] == 0 and summary["in_progress"] == 0:
                break
            if time.monotonic() - t0 > 900:
                raise SystemExit(f"collection did not finish in 900 s: {summary}")
    polled = time.monotonic() - t0
    cpu = cpu_seconds(pid, children=False) - cpu0
    alive = settle(fleet)
    sims = simulators_cpu(fleet) - sims0
    statuses = api(base, "/api/v1/collection?limit=10000")["nodes"]
    ends = [epoch(s["last_attempt_at"]) + (s["duration_ms"] or 0) / 1000 for s in statuses
            if s["last_attempt_at"] and epoch(s["last_attempt_at"]) >= wall0]
    results = {}
    for status in statuses:
        results[status["result"]] = results.get(status["result"], 0) + 1
    failures = [f"{s['node']}: {s['result']}: {s['message']}" for s in statuses
                if s["result"] not in ("stored", "unchanged")]
    durations = sorted(s["duration_ms"] or 0 for s in statuses)
    with open(server_log, errors="replace") as file:
        file.seek(log_offset)
        logged = collections_logged(file.read())
    idle0 = cpu_seconds(pid, children=False)
    for _ in range(10):
        api(base, "/api/v1/collection?limit=1")
    poll_cpu = (cpu_seconds(pid, children=False) - idle0) / 10
    seconds = max(ends) - wall0 if ends else polled
    out({"managed": started["managed"], "seconds": seconds,
         "collections": len(logged), "nodes_collected": len({node for node, _ in logged}),
         "in_flight": sum(d for _, d in logged) / 1000 / seconds,
         "polled_seconds": polled, "cpu": cpu, "simulators_cpu": sims,
         "sessions_left": alive, "polls": polls, "poll_cpu": poll_cpu, "results": results,
         "attempted": len(ends), "failing": summary["failing"], "failures": failures[:20],
         "duration_ms_p50": durations[len(durations) // 2] if durations else None,
         "duration_ms_max": durations[-1] if durations else None})


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def syslog(base, fleet_json, count, syslog_addr, spread="0"):
    """Changes `count` devices' configs, sends each a CONFIG_I message from its own address
    (spread evenly over `spread` seconds), and times message → new version listed as stored.
    Expects every node's last result to be `unchanged`, so `?result=stored` lists only these."""
    import socket

    fleet = load(fleet_json)
    devices = sample(fleet, int(count))
    host, port = syslog_addr.rsplit(":", 1)
    before = {}
    for device in devices:
        status = api(base, f"/api/v1/nodes/{node_id(device['address'])}/collection")
        before[device["hostname"]] = status["version"] or 0
    for device in devices:
        i = int(device["hostname"][3:])
        write_config(device["dir"], running_config(i, device["hostname"], change=int(time.time())))
    sent, stored = {}, {}
    gap = float(spread) / len(devices)
    t0 = time.monotonic()
    for k, device in enumerate(devices):
        delay = t0 + k * gap - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        # Bound to the device's own address: the listener names the node by the sender.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((device["address"], 0))
            sock.sendto(SYSLOG, (host, int(port)))
        sent[device["hostname"]] = time.monotonic()
    deadline = time.monotonic() + 60
    while len(stored) < len(devices) and time.monotonic() < deadline:
        now = time.monotonic()
        for status in api(base, "/api/v1/collection?result=stored&limit=10000")["nodes"]:
            name = status["node"]
            if name in sent and name not in stored and (status["version"] or 0) > before[name]:
                stored[name] = now - sent[name]
        time.sleep(0.05)
    latencies = list(stored.values())
    out({"devices": len(devices), "stored": len(stored), "spread": float(spread),
         "missing": sorted(set(sent) - set(stored))[:10],
         "p50": percentile(latencies, 0.5) if latencies else None,
         "p95": percentile(latencies, 0.95) if latencies else None,
         "max": max(latencies) if latencies else None})


STEPS = {"configs": configs, "inventory": inventory, "floor": floor, "netmiko": netmiko,
         "transport": transport, "collect": collect, "syslog": syslog}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in STEPS:
        raise SystemExit(__doc__)
    STEPS[sys.argv[1]](*sys.argv[2:])
